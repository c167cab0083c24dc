"""``python -m devstack`` (what ``./passage up`` runs): start, seed, print where things are, wait.

Ctrl-C (SIGINT) or SIGTERM stops every process cleanly and exits 0. If a process of the stack
dies on its own, the launcher shows the end of its log, stops the rest and exits 1.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import requests

from devstack.seed import SeedError
from devstack.stack import Stack, StackError

ROOT = Path(__file__).resolve().parents[1]
ROLES = {
    "admin": "admin",
    "staff.baku": "centre staff (baku)",
    "staff.yevlakh": "centre staff (yevlakh)",
    "liaison": "readmission liaison officer",
    "caseworker": "IOM AVRR caseworker",
    "partner.iom": "partner (IOM, statistics only)",
    "auditor": "auditor",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devstack",
        description="Run the whole Passage stack on this machine (Ctrl-C stops it). "
        "Without MONGO_URL it starts SecantusDB with its data under the var dir; "
        "without AMQP_URL the bus runs on kombu's MongoDB transport on that server.",
    )
    parser.add_argument(
        "--port-base",
        type=int,
        default=8000,
        help="gateway port; services use +1..+3, the embedded SecantusDB +18 (default 8000)",
    )
    parser.add_argument(
        "--no-seed", action="store_true", help="do not create the demo users, centres and units"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", "2")),
        help="gunicorn workers of the gateway and of each API but detention's (default: "
        "WEB_CONCURRENCY or 2)",
    )
    parser.add_argument(
        "--detention-workers",
        type=int,
        default=int(os.environ.get("DETENTION_CONCURRENCY", "1")),
        help="the detention API's gunicorn workers (default: DETENTION_CONCURRENCY or 1)",
    )
    parser.add_argument(
        "--var-dir",
        type=Path,
        default=ROOT / "var",
        help="data, logs, secrets and pid file (default: var/ in the repository)",
    )
    return parser.parse_args(argv)


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived: stop the stack."""


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _interrupt)
    stack = Stack(
        ROOT,
        var_dir=args.var_dir,
        base_port=args.port_base,
        workers=args.workers,
        detention_workers=args.detention_workers,
    )
    try:
        print(f"devstack: starting Passage (logs in {stack.log_dir}) …", flush=True)
        stack.start()
        counts = None if args.no_seed else stack.seed()
        print_summary(stack, counts)
        return watch(stack)
    except Interrupted as exc:
        print(f"\ndevstack: {exc} received, stopping …", flush=True)
        return 0
    except (StackError, SeedError, requests.RequestException) as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        return 1
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut the stop short
            signal.signal(sig, signal.SIG_IGN)
        running = bool(stack.pids)
        stack.stop()
        if running:
            print("devstack: stopped", flush=True)


def watch(stack: Stack) -> int:
    """Wait for a signal; a process that ends on its own stops the stack with exit code 1."""
    idle = threading.Event()
    while True:
        exited = stack.exited()
        if exited:
            name, code = next(iter(exited.items()))
            print(
                f"devstack: {name} exited with code {code}\n--- last lines of its log ---\n"
                f"{stack.log_tail(name)}",
                file=sys.stderr,
            )
            return 1
        idle.wait(1.0)


def print_summary(stack: Stack, counts: dict[str, int] | None) -> None:
    gateway = stack.gateway_url
    database = (
        f"embedded SecantusDB on 127.0.0.1:{stack.mongo_port}, access control on "
        f"(passwords and data in {stack.var_dir})"
        if stack.embedded_database
        else "MONGO_URL"
    )
    rows = [
        ("gateway", gateway),
        ("staff web UI", f"{gateway}/ui/"),
        ("API docs", _docs_url(gateway)),
        ("OpenAPI", f"{gateway}/openapi.json"),
    ]
    rows += [(name, url) for name, url in stack.urls.items() if name != "gateway"]
    rows += [("database", database), ("bus", stack.broker), ("logs", str(stack.log_dir))]
    print(f"\nPassage is running (started in {stack.started_in:.1f} s).\n")
    for label, value in rows:
        print(f"  {label:<18} {value}")
    if counts is not None:
        print(
            f"\n  demo data: {counts['created']} centres/units created, "
            f"{counts['existing']} already there, "
            f"{counts.get('protocols', 0)} member-state protocols added"
        )
    logins = stack.logins
    if (
        logins
    ):  # the passwords stay in the 0600 file: terminals, CI logs and screen shares keep output
        print(f"\nDemo logins: the passwords are in {stack.logins_file} (readable by you only).\n")
        print(f"  {'username':<15} role")
        for username in logins:
            print(f"  {username:<15} {ROLES.get(username, '')}")
    print("\nPress Ctrl-C to stop.", flush=True)


def _docs_url(gateway: str) -> str:
    """Interactive docs when the gateway serves them, else the OpenAPI document."""
    try:
        if requests.get(f"{gateway}/docs", timeout=5).status_code == 200:
            return f"{gateway}/docs"
    except requests.RequestException:
        pass
    return f"{gateway}/openapi.json (interactive docs not served yet)"


if __name__ == "__main__":
    sys.exit(main())
