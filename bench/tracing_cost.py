"""What tracing and multiprocess metrics cost: foundation's HTTP loads under four settings.

Each setting starts its own stack (as the launcher does) and runs foundation's admission and
stay-read loads beside the same-run baseline (a bare Flask app under gunicorn):

- ``tracing off, per-process metrics``: OTEL_SDK_DISABLED=true, no PROMETHEUS_MULTIPROC_DIR
- ``tracing off``: OTEL_SDK_DISABLED=true (multiprocess metrics as shipped)
- ``tracing, no export`` (the default): spans made for the ids in the logs, nothing exported
- ``tracing, console export``: OTEL_TRACES_EXPORTER=console (every span serialised to the log)

    ./passage py bench/tracing_cost.py [--clients 8] [--requests 25]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import servers  # noqa: E402
from bench.cpu import CpuMeter  # noqa: E402
from bench.dbops import OpMeter  # noqa: E402
from bench.foundation import bench_http, login  # noqa: E402
from devstack import Stack  # noqa: E402
from devstack.probes import free_port_base  # noqa: E402
from devstack.stack import DATABASE  # noqa: E402
from passage.testing import free_port  # noqa: E402

SETTINGS = {
    "tracing off, per-process metrics": {
        "OTEL_SDK_DISABLED": "true",
        "PASSAGE_METRICS": "per-process",
    },
    "tracing off": {"OTEL_SDK_DISABLED": "true"},
    "tracing, no export (default)": {"OTEL_TRACES_EXPORTER": "none"},
    "tracing, console export": {"OTEL_TRACES_EXPORTER": "console"},
}


def run(name: str, env: dict[str, str], clients: int, per_client: int) -> list[str]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        Stack(ROOT, var_dir=Path(tmp), base_port=free_port_base(), env=env) as stack,
    ):
        stack.seed()
        port = free_port()
        baseline = servers.baseline(port, stack.mongo_url, Path(tmp) / "baseline.log")
        meter = OpMeter(stack.mongo_url, stack.pids.get(DATABASE))
        try:
            auth = login(stack.gateway_url, "admin", stack.logins["admin"])
            return [f"[{name}]"] + bench_http(
                stack.gateway_url,
                f"http://127.0.0.1:{port}",
                auth,
                clients,
                per_client,
                meter,
                CpuMeter({**stack.pids, "baseline": baseline.pid}),
            )
        finally:
            meter.close()
            os.killpg(baseline.pid, 15)
            baseline.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=25, help="per client")
    args = parser.parse_args()
    report = [
        line
        for name, env in SETTINGS.items()
        for line in run(name, env, args.clients, args.requests)
    ]
    print(
        f"\nTracing and metrics cost — {args.clients} clients × {args.requests} requests, "
        f"{os.cpu_count()} cores"
    )
    print("\n".join(report))


if __name__ == "__main__":
    main()
