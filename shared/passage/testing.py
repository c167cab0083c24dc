"""Helpers for Passage's tests (no I/O at import)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T],
    timeout: float = 15.0,
    interval: float = 0.05,
    message: str = "condition",
) -> T:
    """Poll ``predicate`` until it returns something truthy; fail with ``message`` on timeout."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message} (last: {last!r})")


FIRST_LISTENING_PORT = 20000


def ephemeral_ports_start() -> int:
    """Where the kernel starts handing out local ports to outgoing connections (Linux's default
    where it cannot be read)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(offsets: tuple[int, ...] = (0,)) -> int:
    """A port ``p`` such that ``p + offset`` is free on loopback now for each offset, all below the
    ephemeral range: no outgoing connection (to the database, the broker, a service) can be given
    one of them between this look and the server's bind. A port the kernel picked (``bind(0)``) is
    ephemeral: a stack stopped and restarted on one lost it to a client's connection once."""
    import random

    top = max(ephemeral_ports_start(), FIRST_LISTENING_PORT + 1000) - max(offsets)
    for _ in range(500):
        first = random.randrange(FIRST_LISTENING_PORT, top)
        if all(bindable(first + offset) for offset in offsets):
            return first
    raise RuntimeError("no free port found below the ephemeral range")


def free_port() -> int:
    return free_ports()


@contextmanager
def down_url() -> Iterator[str]:
    """The URL of a service that is down, for the ``with`` block: its port is bound and never
    listens, so a connection is refused, and no server started meanwhile can be given the port
    (a port that :func:`free_port` merely saw free can go to the next LiveServer: the gateway
    under test then forwards to itself)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}"


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


class LiveServer:
    """Serve a WSGI app over real HTTP on loopback in a thread (threaded, so truly concurrent)."""

    def __init__(self, app, port: int = 0) -> None:
        from werkzeug.serving import make_server

        self._server = make_server("127.0.0.1", port, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        import threading

        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


def identity_headers(secret: str, role: str = "admin", **scopes) -> dict[str, str]:
    """Headers carrying a signed internal identity, as the gateway would send them."""
    from passage.identity import HEADER, Identity, sign_identity

    identity = Identity(user_id=scopes.pop("user_id", f"test-{role}"), role=role, **scopes)
    return {HEADER: sign_identity(identity, secret)}
