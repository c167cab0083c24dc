"""A small closed-loop load generator: N client threads, each with a keep-alive session.

Prints throughput and latency percentiles; used by every benchmark so figures compare.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies)

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index] * 1000

    def line(self, baseline: Result | None = None) -> str:
        rate = self.count / self.seconds if self.seconds else 0.0
        text = (
            f"{self.name:<44} {rate:>9.1f}/s  p50 {self.percentile(50):>7.2f} ms  "
            f"p99 {self.percentile(99):>7.2f} ms  n={self.count} "
            f"statuses={dict(sorted(self.statuses.items()))}"
        )
        if baseline is not None and baseline.count and self.count:
            base_rate = baseline.count / baseline.seconds
            slower = self.percentile(50) / baseline.percentile(50)
            text += f"  [{rate / base_rate:.2f}x baseline rate, p50 {slower:.1f}x]"
        return text


Call = Callable[[requests.Session, int], int]


def run_load(
    name: str,
    call: Call,
    *,
    clients: int,
    requests_per_client: int,
    setup: Callable[[requests.Session], None] | None = None,
) -> Result:
    """Run ``call(session, i)`` (returns an HTTP status) from ``clients`` threads."""
    result = Result(name)
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def client(worker: int) -> None:
        session = requests.Session()
        if setup:
            setup(session)
        local: list[tuple[float, int]] = []
        barrier.wait()
        for i in range(requests_per_client):
            started = time.perf_counter()
            status = call(session, worker * requests_per_client + i)
            local.append((time.perf_counter() - started, status))
        with lock:
            for latency, status in local:
                result.latencies.append(latency)
                result.statuses[status] = result.statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client, args=(w,)) for w in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - started
    return result


def timed(name: str, fn: Callable[[int], object], n: int) -> Result:
    """Sequential timing of ``fn(i)`` for raw-driver baselines."""
    result = Result(name)
    started = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        result.latencies.append(time.perf_counter() - t0)
    result.seconds = time.perf_counter() - started
    result.statuses[0] = n
    return result


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000 if values else float("nan")
