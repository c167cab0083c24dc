"""AVRR case creation and stage transitions through the gateway, beside a bare Flask POST.

Starts the stack as the launcher does (own var dir and ports) and drives it with 16 clients:
each referral is followed by its registration (referred → registered), both via the gateway.

    ./passage py bench/voluntary_return_gateway.py [--clients 16] [--requests 30]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import servers  # noqa: E402
from bench.foundation import login  # noqa: E402
from bench.loadgen import run_load  # noqa: E402
from devstack import Stack  # noqa: E402
from devstack.probes import free_port_base  # noqa: E402
from passage.testing import free_port  # noqa: E402

REGISTRATION: dict[str, Any] = {
    "particulars": {
        "given_name": "Bench",
        "family_name": "Person",
        "birth_date": "1990-04-02",
        "sex": "male",
        "nationality": "IRN",
    },
    "languages": ["fa"],
    "classification": "AVR",
    "destination_country": "IRN",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=30, help="per client")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        Stack(ROOT, var_dir=Path(tmp), base_port=free_port_base()) as stack,
    ):
        stack.seed()
        port = free_port()
        baseline_proc = servers.baseline(port, stack.mongo_url, Path(tmp) / "baseline.log")
        try:
            gateway, auth = (
                stack.gateway_url,
                login(stack.gateway_url, "admin", stack.logins["admin"]),
            )
            cases: list[str] = []

            def refer(session: requests.Session, i: int) -> int:
                r = session.post(
                    f"{gateway}/api/v1/voluntary-return/cases",
                    headers=auth,
                    timeout=30,
                    json={
                        "person_ref": f"BENCH-{uuid.uuid4().hex[:12]}",
                        "source": "ngo",
                        "organisation": "Caritas Baku",
                        "nationality": "IRN",
                    },
                )
                if r.status_code == 201:
                    cases.append(r.json()["id"])
                return r.status_code

            def register(session: requests.Session, i: int) -> int:
                return session.post(
                    f"{gateway}/api/v1/voluntary-return/cases/{cases[i]}/registration",
                    json=REGISTRATION,
                    headers=auth,
                    timeout=30,
                ).status_code

            def echo(session: requests.Session, i: int) -> int:
                return session.post(
                    f"http://127.0.0.1:{port}/echo", json=REGISTRATION, timeout=30
                ).status_code

            base = run_load(
                "baseline: bare Flask POST /echo",
                echo,
                clients=args.clients,
                requests_per_client=args.requests,
            )
            created = run_load(
                "case referral POST /cases via gateway",
                refer,
                clients=args.clients,
                requests_per_client=args.requests,
            )
            moved = run_load(
                "stage transition (registration) via gateway",
                register,
                clients=args.clients,
                requests_per_client=args.requests,
            )
        finally:
            os.killpg(baseline_proc.pid, 15)
            baseline_proc.wait(timeout=20)
    print(
        f"\nVoluntary return through the gateway — {args.clients} clients × {args.requests}, "
        f"{os.cpu_count()} cores"
    )
    print(base.line())
    print(created.line(base))
    print(moved.line(base))


if __name__ == "__main__":
    main()
