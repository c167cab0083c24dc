"""CPU time per request, process by process: where a closed-loop run's machine time went.

On a machine whose cores are all busy, a rate is bounded by the CPU every process spends on one
request (cores / CPU per request): the gateway, the service, the workers that consume its events,
the database and the load generator itself. Counting it for the stack and for the same-run
baseline says how far a rate ratio can go before anything is faster: a stack spending 4x the
baseline's CPU per request cannot reach more than about 0.25x its rate on the same cores.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TypeVar

T = TypeVar("T")
CLIENT = "client"  # this process: the load generator's threads


def _process_table() -> dict[int, tuple[int, float]]:
    """``{pid: (parent pid, CPU seconds)}`` of every process this user can read."""
    ticks = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # it ended meanwhile
            continue
        table[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    return table


def _tree_cpu(root: int, table: Mapping[int, tuple[int, float]]) -> float:
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += table.get(pid, (0, 0.0))[1]
        todo.extend(children.get(pid, []))
    return total


class CpuMeter:
    """CPU seconds of named process trees (a gunicorn master and its workers, say) and of this
    process, before and after a piece of work."""

    def __init__(self, roots: Mapping[str, int]) -> None:
        self.roots = dict(roots)

    def snapshot(self) -> dict[str, float]:
        table = _process_table()
        spent = {name: _tree_cpu(pid, table) for name, pid in self.roots.items()}
        own = os.times()
        spent[CLIENT] = own.user + own.system
        return spent

    def measure(self, work: Callable[[], T]) -> tuple[T, dict[str, float]]:
        before = self.snapshot()
        result = work()
        after = self.snapshot()
        return result, {name: after[name] - before.get(name, 0.0) for name in after}


def per_request(spent: Mapping[str, float], requests: int, cores: int | None = None) -> str:
    """``CPU/req 9.1 ms (gateway 2.6, …) → at most 220/s on 2 cores``: processes under 0.05 ms
    a request are left out of the parts, never out of the total."""
    if not requests:
        return "CPU/req n/a"
    cores = cores or os.cpu_count() or 1
    total = sum(spent.values()) * 1000 / requests
    parts = ", ".join(
        f"{name} {seconds * 1000 / requests:.2f}"
        for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1])
        if seconds * 1000 / requests >= 0.05
    )
    ceiling = f" -> at most {cores * 1000 / total:.0f}/s on {cores} cores" if total else ""
    return f"CPU/req {total:.2f} ms ({parts}){ceiling}"
