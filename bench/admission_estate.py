"""Admissions as the estate grows: the same load at the demo's ten units and at hundreds.

An admission's cost must not depend on how many units the service holds: it names its unit. On
SecantusDB (the embedded default) a findAndModify, or any filter with ``$expr``, reads every
document of the collection, so taking a place that way cost more with every unit added (37
admissions a second at 410 units against 55 at 10, before ``take_place`` read the unit and wrote
on condition of its version). This bench starts the stack, admits under load, adds ``--units``
units in new centres, and admits again; beside both, the plain Flask + pymongo insert under the
same gunicorn settings, and the CPU every process spent per admission.

    ./passage py bench/admission_estate.py [--units 400] [--clients 16] [--requests 40]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from pymongo import MongoClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import servers  # noqa: E402
from bench.cpu import CpuMeter  # noqa: E402
from bench.dbops import OpMeter  # noqa: E402
from bench.foundation import admission_body, login, make_unit, measured_load  # noqa: E402
from bench.loadgen import Result, run_load  # noqa: E402
from devstack import Stack  # noqa: E402
from devstack.probes import free_port_base  # noqa: E402
from devstack.stack import DATABASE  # noqa: E402
from passage.testing import free_port  # noqa: E402


def units_held(mongo_url: str) -> int:
    client: MongoClient = MongoClient(mongo_url)
    with client:
        return sum(
            client[name]["units"].count_documents({})
            for name in client.list_database_names()
            if "detention" in name
        )


def admissions(
    gateway: str, auth: dict, args: argparse.Namespace, meters: tuple[OpMeter, CpuMeter]
) -> tuple[Result, str]:
    """Admissions into one new unit under load; the result and its cost per admission."""
    unit = make_unit(gateway, auth, args.clients * args.requests)
    ops, cpu = meters

    def admit(session: requests.Session, i: int) -> int:
        body = admission_body(unit, i)
        return session.post(
            f"{gateway}/api/v1/detention/stays", json=body, headers=auth, timeout=30
        ).status_code

    return measured_load("admission", admit, args.clients, args.requests, ops, cpu)


def plain_inserts(baseline: str, args: argparse.Namespace) -> Result:
    def insert(session: requests.Session, i: int) -> int:
        body = admission_body("baseline-unit", i)
        return session.post(f"{baseline}/stays", json=body, timeout=30).status_code

    return run_load(
        "baseline: Flask+pymongo POST insert",
        insert,
        clients=args.clients,
        requests_per_client=args.requests,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=400, help="units added before the 2nd load")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=40, help="per client")
    args = parser.parse_args()
    lines = []
    with (
        servers.own_bus(True, "estate") as env,
        tempfile.TemporaryDirectory() as tmp,
        Stack(ROOT, var_dir=Path(tmp), base_port=free_port_base(), env=env) as stack,
    ):
        stack.seed()
        port = free_port()
        baseline = servers.baseline(port, stack.mongo_url, Path(tmp) / "baseline.log")
        meters = (
            OpMeter(stack.mongo_url, stack.pids.get(DATABASE)),
            CpuMeter({**stack.pids, "baseline": baseline.pid}),
        )
        try:
            gateway = stack.gateway_url
            auth = login(gateway, "admin", stack.logins["admin"])
            plain = plain_inserts(f"http://127.0.0.1:{port}", args)
            lines.append(plain.line())
            for step in ("before", "after"):
                if step == "after":
                    with ThreadPoolExecutor(8) as pool:
                        list(pool.map(lambda _: make_unit(gateway, auth, 10), range(args.units)))
                result, cost = admissions(gateway, auth, args, meters)
                result.name = f"admission via gateway, {units_held(stack.mongo_url)} units"
                lines.append(f"{result.line(plain)}  {cost}")
        finally:
            meters[0].close()
            os.killpg(baseline.pid, 15)
            baseline.wait(timeout=20)
    print(
        f"\nAdmissions as the estate grows — {args.clients} clients × {args.requests}, "
        f"RabbitMQ, {os.cpu_count()} cores"
    )
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
