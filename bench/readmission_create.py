"""Readmission benchmark: request-creation throughput and latency through the gateway.

Starts the stack as the launcher does (own var dir and ports, embedded SecantusDB), logs in as the
seeded admin and has 16 clients create draft readmission requests via POST
/api/v1/readmission/requests
on the gateway (authentication, audit, signed internal identity, validation, one transaction with
the
open-deadline index). Beside it, in the same run: a bare Flask POST /echo of the same body under
gunicorn with the same worker settings (bench/baseline_app.py), so the figures read as ratios.

    .venv/bin/python bench/readmission_create.py [--clients 16] [--requests 50] [--amqp]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import servers  # noqa: E402
from bench.foundation import login  # noqa: E402
from bench.loadgen import Result, run_load  # noqa: E402
from devstack import Stack  # noqa: E402
from devstack.probes import free_port_base  # noqa: E402
from passage.testing import free_port  # noqa: E402

REQUESTS = "/api/v1/readmission/requests"


def request_body(i: int) -> dict:
    """A draft outgoing request with the common application form's particulars and one evidence
    item."""
    return {
        "direction": "outgoing",
        "member_state": ("DE", "FR", "IT", "NL")[i % 4],
        "person_ref": f"BENCH-{uuid.uuid4().hex[:12]}",
        "category": "third_country_national",
        "procedure": "normal",
        "learned_on": "2026-10-01",
        "voluntary_return_offered": False,
        "particulars": {
            "family_name": f"Person{i}",
            "given_names": "Bench",
            "birth_date": "1990-04-02",
            "sex": "male",
            "nationality": "IRN",
            "documents": [{"type": "passport", "number": f"K{i:07d}", "issued_by": "IRN"}],
        },
        "evidence": [
            {"of": "third_country_conditions", "type": "travel_ticket", "reference": f"TK-{i}"}
        ],
    }


def bench_create(
    gateway: str, baseline: str, auth: dict, clients: int, per_client: int
) -> tuple[Result, Result]:
    def create(session: requests.Session, i: int) -> int:
        return session.post(
            f"{gateway}{REQUESTS}", json=request_body(i), headers=auth, timeout=30
        ).status_code

    def echo(session: requests.Session, i: int) -> int:
        return session.post(f"{baseline}/echo", json=request_body(i), timeout=30).status_code

    warm = requests.Session()  # first request builds indexes and pools; not part of the figures
    assert create(warm, -1) == 201
    base = run_load(
        "baseline: bare Flask POST /echo", echo, clients=clients, requests_per_client=per_client
    )
    made = run_load(
        "POST /readmission/requests via gateway",
        create,
        clients=clients,
        requests_per_client=per_client,
    )
    return base, made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=50, help="per client")
    parser.add_argument(
        "--amqp",
        action="store_true",
        help="use RabbitMQ at 127.0.0.1:5672 instead of the embedded transport",
    )
    args = parser.parse_args()
    with (
        servers.own_bus(args.amqp, "bench") as env,
        tempfile.TemporaryDirectory() as tmp,
        Stack(ROOT, var_dir=Path(tmp), base_port=free_port_base(), env=env) as stack,
    ):
        stack.seed()
        baseline_port = free_port()
        baseline = servers.baseline(baseline_port, stack.mongo_url, Path(tmp) / "baseline.log")
        try:
            auth = login(stack.gateway_url, "admin", stack.logins["admin"])
            base, made = bench_create(
                stack.gateway_url,
                f"http://127.0.0.1:{baseline_port}",
                auth,
                args.clients,
                args.requests,
            )
        finally:
            os.killpg(baseline.pid, 15)
            baseline.wait(timeout=20)
    print(
        f"\nPassage readmission request creation — {args.clients} clients × "
        f"{args.requests} requests, bus: "
        f"{'RabbitMQ' if args.amqp else 'MongoDB transport (embedded)'}, {os.cpu_count()} cores"
    )
    print(base.line())
    print(made.line(base))


if __name__ == "__main__":
    main()
