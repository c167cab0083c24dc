"""Database work counted by the server itself: ``serverStatus`` opcounters before and after.

Works on any MongoDB-wire server that reports opcounters (MongoDB, SecantusDB). The counters are
server-wide, so a figure per request includes whatever the idle stack did meanwhile; the idle
rate is measured on its own so the two can be read together.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

from pymongo import MongoClient

T = TypeVar("T")
KINDS = ("insert", "query", "update", "delete", "getmore", "command")


class OpMeter:
    """Reads the server's opcounters; its own ``serverStatus`` calls are not counted.

    Given the server's pid (a server on this machine), it also reads the CPU time the server
    spent meanwhile (``/proc/<pid>/stat``): on a database that is the bottleneck, its CPU per
    request bounds the throughput (one core / CPU per request), whatever else the stack does.
    """

    def __init__(self, mongo_url: str, server_pid: int | None = None) -> None:
        self.client: MongoClient = MongoClient(mongo_url)
        self.server_pid = server_pid
        self.last_cpu_seconds: float | None = None  # of the last ``measure``

    def snapshot(self) -> dict[str, int]:
        counters = self.client.admin.command("serverStatus").get("opcounters", {})
        return {kind: int(counters.get(kind, 0)) for kind in KINDS}

    def measure(self, work: Callable[[], T]) -> tuple[T, dict[str, int]]:
        """Run ``work`` and return its result with the operations the server did meanwhile."""
        before, cpu_before = self.snapshot(), self.server_cpu()
        result = work()
        after, cpu_after = self.snapshot(), self.server_cpu()
        self.last_cpu_seconds = (
            None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
        )
        delta = {kind: after[kind] - before[kind] for kind in KINDS}
        delta["command"] -= 1  # the second serverStatus itself
        return result, delta

    def server_cpu(self) -> float | None:
        """CPU seconds (user + system) the server has used, or None when it cannot be read."""
        if self.server_pid is None:
            return None
        try:
            with open(f"/proc/{self.server_pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def cpu_per_request(self, requests: int) -> str:
        """``db CPU 4.1 ms/req`` for the last ``measure`` (empty when not read)."""
        if self.last_cpu_seconds is None or not requests:
            return ""
        return f"  db CPU {self.last_cpu_seconds * 1000 / requests:.1f} ms/req"

    def cpu_per_second(self, seconds: float) -> str:
        """``db CPU 3.0 ms/s`` for the last ``measure`` (the idle count): the background that a
        figure per request also contains."""
        if self.last_cpu_seconds is None or not seconds:
            return ""
        return f"; db CPU {self.last_cpu_seconds * 1000 / seconds:.1f} ms/s"

    def idle_rate(self, seconds: float) -> tuple[float, dict[str, int]]:
        """Operations per second with nobody using the stack."""
        _, delta = self.measure(lambda: time.sleep(seconds))
        return sum(delta.values()) / seconds, delta

    def close(self) -> None:
        self.client.close()


def top(client: MongoClient) -> dict[tuple[str, str], int]:
    """``{(namespace, section): count}`` from the server's ``top`` command (what touched which
    collection); commands without a collection (hello, endSessions) are not attributed."""
    totals = client.admin.command("top").get("totals", {})
    return {
        (ns, section): int(value.get("count", 0))
        for ns, sections in totals.items()
        if isinstance(sections, dict)
        for section, value in sections.items()
        if section not in ("total", "readLock", "writeLock") and isinstance(value, dict)
    }


def top_delta(
    before: dict[tuple[str, str], int], after: dict[tuple[str, str], int], per: float
) -> str:
    """The namespaces and sections that moved, per ``per`` (requests or seconds), largest first."""
    moved = {k: (after.get(k, 0) - before.get(k, 0)) / per for k in after}
    shown = sorted(((v, k) for k, v in moved.items() if v > 0.004), reverse=True)
    return "\n".join(f"    {v:7.2f}  {section:8} {ns}" for v, (ns, section) in shown)


def per_request(delta: dict[str, int], requests: int) -> str:
    """``db ops/req 29.8 (insert 6.0, query 16.1, …)`` for ``requests`` requests."""
    if not requests:
        return "db ops/req n/a"
    total = sum(delta.values()) / requests
    parts = ", ".join(f"{kind} {delta[kind] / requests:.1f}" for kind in KINDS if delta[kind])
    return f"db ops/req {total:.1f} ({parts})"


def per_second(rate: float, delta: dict[str, int], seconds: float) -> str:
    parts = ", ".join(f"{kind} {delta[kind] / seconds:.1f}" for kind in KINDS if delta[kind])
    return f"idle stack: {rate:.1f} db ops/s ({parts})"
