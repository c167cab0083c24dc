"""Gateway benchmark: the cost of the hop, sign-in throughput and the person timeline's latency.

Starts the stack as the launcher does (gunicorn processes, embedded SecantusDB) and measures in the
same run: a small authenticated GET through the gateway vs the same GET sent to the service
directly (with the internal identity the gateway would sign), for a route without personal data
(no audit record) and one with (audited); a bare Flask GET under gunicorn as the machine baseline;
sign-ins per second (Argon2id, as configured); the person timeline's latency.

    ./passage py bench/gateway_overhead.py [--clients 8] [--requests 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import servers  # noqa: E402
from bench.foundation import admission_body, login, make_unit  # noqa: E402
from bench.loadgen import Result, run_load  # noqa: E402
from devstack import Stack  # noqa: E402
from passage.config import Settings  # noqa: E402
from passage.identity import HEADER, Identity, sign_identity  # noqa: E402
from passage.testing import free_port  # noqa: E402

# The bench signs in and calls far more often than a person: lift the per-IP/user limits for it.
LIMITS = {"LOGIN_IP_LIMIT": "1000000", "LOGIN_USER_LIMIT": "1000000", "API_USER_LIMIT": "10000000"}


def admit(gateway: str, auth: dict, unit: str) -> tuple[str, str]:
    body = admission_body(unit, 1)
    r = requests.post(f"{gateway}/api/v1/detention/stays", json=body, headers=auth, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["id"], body["person"]["person_ref"]


def get_load(name: str, url: str, headers: dict, clients: int, per_client: int) -> Result:
    return run_load(
        name,
        lambda s, i: s.get(url, headers=headers, timeout=30).status_code,
        clients=clients,
        requests_per_client=per_client,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=100, help="per client")
    parser.add_argument("--logins", type=int, default=10, help="per client")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        Stack(
            ROOT, var_dir=Path(tmp), base_port=free_port() // 100 * 100 % 50000 + 10000, env=LIMITS
        ) as stack,
    ):
        stack.seed()
        baseline_port = free_port()
        baseline = servers.baseline(baseline_port, stack.mongo_url, Path(tmp) / "baseline.log")
        try:
            lines = run(stack, f"http://127.0.0.1:{baseline_port}", args)
        finally:
            os.killpg(baseline.pid, 15)
            baseline.wait(timeout=20)
    print(
        f"\nPassage gateway benchmark — real gunicorn processes ({stack.workers} workers each, "
        f"detention {stack.detention_workers}), "
        f"{args.clients} clients, {os.cpu_count()} cores"
    )
    for line in lines:
        print(line)


def run(stack: Stack, baseline: str, args: argparse.Namespace) -> list[str]:
    gateway, detention = stack.gateway_url, stack.urls["detention"]
    password = stack.logins["admin"]
    auth = login(gateway, "admin", password)
    unit = make_unit(gateway, auth, 50)
    centre = unit.rsplit("-", 1)[0]
    stay_id, person = admit(gateway, auth, unit)
    secret = Settings.from_env("detention", stack.process_env()).internal_token_secret
    internal = {HEADER: sign_identity(Identity("admin", "admin"), secret, ttl_seconds=3600)}
    c, n = args.clients, args.requests
    results = [get_load("baseline: bare Flask GET /ping", f"{baseline}/ping", {}, c, n)]
    for label, path in (
        ("centre (no personal data)", f"/api/v1/detention/centres/{centre}"),
        ("stay (audited)", f"/api/v1/detention/stays/{stay_id}"),
    ):
        direct = get_load(f"direct to service: GET {label}", f"{detention}{path}", internal, c, n)
        via = get_load(f"via gateway: GET {label}", f"{gateway}{path}", auth, c, n)
        results += [direct, via]
    logins = run_load(
        "sign-in POST /auth/login (Argon2id)",
        lambda s, i: (
            s.post(
                f"{gateway}/api/v1/auth/login",
                json={"username": "admin", "password": password},
                timeout=60,
            ).status_code
        ),
        clients=c,
        requests_per_client=args.logins,
    )
    timeline = get_load(
        "person timeline (3 services)",
        f"{gateway}/api/v1/persons/{person}/timeline",
        auth,
        c,
        n // 4 or 1,
    )
    partial = requests.get(
        f"{gateway}/api/v1/persons/{person}/timeline", headers=auth, timeout=30
    ).json()
    base = results[0]
    lines = [base.line()]
    for direct, via in zip(results[1::2], results[2::2], strict=False):
        lines += [direct.line(base), via.line(base), _ratio(via, direct)]
    lines += [
        logins.line(),
        timeline.line(base),
        f"  timeline answer: partial={partial.get('partial')} "
        f"failed={partial.get('failed_services')} "
        f"items={len(partial.get('items', []))}",
    ]
    return lines


def _ratio(via: Result, direct: Result) -> str:
    rate = (via.count / via.seconds) / (direct.count / direct.seconds)
    return (
        f"  gateway/direct: throughput {rate:.2f}x, "
        f"p50 {via.percentile(50) / direct.percentile(50):.2f}x, "
        f"p99 {via.percentile(99) / direct.percentile(99):.2f}x "
        f"(+{via.percentile(50) - direct.percentile(50):.2f} ms at p50)"
    )


if __name__ == "__main__":
    main()
