"""Slow clients do not take the embedded gateway down (issue 12, finding 1).

Ten sockets sending one header line every 3 s made every /healthz probe of the gthread gateway
time out: each slow request held a worker thread. The gateway is started exactly as the launcher
starts it (same argv, same gunicorn config, same worker count) on loopback; 30 sockets each send a
header line every 2 s for about 10 s while /healthz is probed with a 1 s client timeout, and the
server must cut the never-ending requests off (their header time is bounded).
Bounded and loopback only.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from devstack.processes import spawn
from devstack.stack import Stack
from passage.testing import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
SLOW_SOCKETS = 30
LINE_EVERY = 2.0
ATTACK_FOR = 10.0


@pytest.fixture
def gateway(mongo_url: str, tmp_path: Path) -> Iterator[str]:
    stack = Stack(
        ROOT, var_dir=tmp_path / "var", base_port=free_port(), env={"MONGO_URL": mongo_url}
    )
    spec = next(s for s in stack.specs() if s.name == "gateway")
    stack.log_dir.mkdir(parents=True, exist_ok=True)
    proc = spawn(spec, stack.process_env(), ROOT, stack.log_dir)
    url = stack.gateway_url
    try:
        wait_for(
            lambda: _answers(url) or proc.poll() is not None,
            timeout=60,
            message="the gateway to answer",
        )
        assert proc.poll() is None, stack.log_tail("gateway")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _slow_client(port: int, stop: threading.Event, dropped: list[bool]) -> None:
    """Opens a request and never finishes its headers: one more line every LINE_EVERY seconds."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            n = 0
            while not stop.wait(LINE_EVERY):
                n += 1
                sock.sendall(f"X-Slow-{n}: {'a' * 10}\r\n".encode())
    except OSError:
        dropped.append(True)  # the server closed the connection: its header time is bounded


def test_slow_header_senders_do_not_stop_healthz(gateway: str) -> None:
    port = int(gateway.rsplit(":", 1)[1])
    stop = threading.Event()
    dropped: list[bool] = []
    attackers = [
        threading.Thread(target=_slow_client, args=(port, stop, dropped), daemon=True)
        for _ in range(SLOW_SOCKETS)
    ]
    for thread in attackers:
        thread.start()
    probes: list[bool] = []
    try:
        time.sleep(1.0)  # let every slow request reach the server before probing
        ends = time.monotonic() + ATTACK_FOR
        while time.monotonic() < ends:
            probes.append(_answers(gateway))
            time.sleep(0.5)
    finally:
        stop.set()
        for thread in attackers:
            thread.join(timeout=10)
    assert len(probes) >= 10 and all(probes), (
        f"{probes.count(False)} of {len(probes)} probes got no answer within 1 s"
    )
    # gunicorn's gevent worker gives a request's headers `keepalive` (5 s) in all; the attack lasts
    # twice that
    assert len(dropped) >= SLOW_SOCKETS * 0.9, (
        f"only {len(dropped)} of {SLOW_SOCKETS} slow requests were cut off"
    )
