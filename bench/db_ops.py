"""Database operations per request and per idle second, counted with SecantusDB's serverStatus
opcounters.

Starts the stack as ``./passage up`` does (embedded SecantusDB and bus), seeds it, then counts the
operations (insert/query/update/delete/getmore/command) the whole stack makes while idle, per
``GET /api/v1/detention/stays/<id>`` through the gateway, and per admission through the gateway
with the workers paused (SIGSTOP), so the request's own work is counted, then the work its events
cause once the workers resume (the idle rate over that time subtracted).
Usage: ``./passage py bench/db_ops.py [--requests 30] [--idle 20] [--settle 40] [--amqp]``.
A bench, not a test: figures only.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests
from pymongo import MongoClient

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import servers  # noqa: E402
from bench.dbops import top, top_delta  # noqa: E402
from bench.foundation import admission_body, login  # noqa: E402
from devstack import Stack  # noqa: E402
from devstack.probes import free_port_base  # noqa: E402

KINDS = ("insert", "query", "update", "delete", "getmore", "command")


def counters(client: MongoClient) -> dict[str, int]:
    return {
        k: int(v)
        for k, v in client.admin.command("serverStatus")["opcounters"].items()
        if k in KINDS
    }


def per_call(
    client: MongoClient, calls: int, action: Callable[[], None], idle_rate: dict[str, float]
) -> dict[str, float]:
    """Operations per call of ``action``: the serverStatus command and the idle rate over the same
    time subtracted."""
    before, started = counters(client), time.monotonic()
    for _ in range(calls):
        action()
    after, took = counters(client), time.monotonic() - started
    diff = {
        k: (after[k] - before[k] - (1 if k == "command" else 0) - idle_rate[k] * took) / calls
        for k in KINDS
    }
    diff["total"] = sum(diff.values())
    return diff


def idle(client: MongoClient, seconds: float) -> dict[str, float]:
    before = counters(client)
    time.sleep(seconds)
    after = counters(client)
    diff = {k: (after[k] - before[k] - (1 if k == "command" else 0)) / seconds for k in KINDS}
    diff["total"] = sum(diff.values())
    return diff


def signal_workers(stack: Stack, sig: signal.Signals) -> None:
    """Pause (SIGSTOP) or resume (SIGCONT) the background workers, to count a request's own work
    apart."""
    for name, pgid in stack.pids.items():
        if name.endswith("-worker"):
            os.killpg(pgid, sig)


def after_work(
    client: MongoClient, calls: int, seconds: float, idle_rate: dict[str, float]
) -> dict[str, float]:
    """Operations per call done in the ``seconds`` after (events relayed and consumed), idle rate
    subtracted."""
    before = counters(client)
    time.sleep(seconds)
    after = counters(client)
    diff = {
        k: (after[k] - before[k] - (1 if k == "command" else 0) - idle_rate[k] * seconds) / calls
        for k in KINDS
    }
    diff["total"] = sum(diff.values())
    return diff


def run(
    calls: int, idle_seconds: float, settle: float, by_collection: bool = False, amqp: bool = False
) -> None:
    # With ``amqp`` events go over RabbitMQ: what is left is the database work proper.
    env: dict[str, str | None] = {"MONGO_URL": None, "AMQP_URL": None, "PASSAGE_BUS_PREFIX": None}
    with (
        servers.own_bus(amqp, "dbops") as bus,
        tempfile.TemporaryDirectory() as var,
        Stack(REPO, var_dir=Path(var), base_port=free_port_base(), env={**env, **bus}) as stack,
    ):
        stack.seed()
        gw = stack.gateway_url
        client: MongoClient = MongoClient(stack.mongo_url)
        staff = login(gw, "staff.baku", stack.logins["staff.baku"])
        units = requests.get(
            f"{gw}/api/v1/detention/centres/baku/units", headers=staff, timeout=30
        ).json()["items"]
        unit = max((u for u in units if u["category"] == "men"), key=lambda u: u["free_places"])
        first = requests.post(
            f"{gw}/api/v1/detention/stays",
            headers=staff,
            json=admission_body(unit["id"], 0),
            timeout=30,
        )
        first.raise_for_status()
        stay = f"{gw}/api/v1/detention/stays/{first.json()['id']}"
        time.sleep(settle)  # let the first admission's events and the relays' back-off settle
        seen = top(client)
        quiet = idle(client, idle_seconds)
        print("idle ops/s                ", _fmt(quiet))
        if by_collection:
            print(top_delta(seen, seen := top(client), idle_seconds))

        def read() -> None:
            requests.get(stay, headers=staff, timeout=30).raise_for_status()

        def admit() -> None:
            requests.post(
                f"{gw}/api/v1/detention/stays",
                headers=staff,
                json=admission_body(unit["id"], 0),
                timeout=30,
            ).raise_for_status()

        admissions = min(calls, unit["free_places"] - 1)
        nothing = dict.fromkeys(
            KINDS, 0.0
        )  # idle work not subtracted while paused: the figures err high
        signal_workers(stack, signal.SIGSTOP)
        try:
            seen = top(client)
            print("GET stay (request)        ", _fmt(per_call(client, calls, read, nothing)))
            if by_collection:
                print(top_delta(seen, seen := top(client), calls))
            print("admission (request)       ", _fmt(per_call(client, admissions, admit, nothing)))
            if by_collection:
                print(top_delta(seen, seen := top(client), admissions))
        finally:
            signal_workers(stack, signal.SIGCONT)
        print("admission (its events)    ", _fmt(after_work(client, admissions, settle, quiet)))
        if by_collection:
            print(top_delta(seen, top(client), admissions))


def _fmt(diff: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.1f}" for k, v in diff.items())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--idle", type=float, default=20.0)
    parser.add_argument("--settle", type=float, default=40.0, help="seconds for events to settle")
    parser.add_argument(
        "--by-collection", action="store_true", help="also print the server's top per collection"
    )
    parser.add_argument(
        "--amqp", action="store_true", help="RabbitMQ at 127.0.0.1:5672 instead of the embedded bus"
    )
    args = parser.parse_args()
    run(args.requests, args.idle, args.settle, args.by_collection, args.amqp)
