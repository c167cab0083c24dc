"""HTTP client to the services: one keep-alive connection pool per process, created after fork.

urllib3 directly, not requests: the hop is a trusted internal call with fixed headers, and
requests' session layer (settings merge, hooks, cookie jar, its tracing instrumentation) was a
third of the hop's cost: in a profile of stay reads under load the hop took 32% of the gateway's
CPU through requests, 23% through urllib3. The caller's trace goes on as ``traceparent``.

Failures become problems the caller can act on: a service that refuses or drops the connection
is a 502, one that does not answer in time a 504. Exception text never reaches a client.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError, TimeoutError

from passage import tracing
from passage.problems import Problem

log = logging.getLogger(__name__)
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Reply:
    """A service's answer, read in full."""

    status_code: int
    headers: Mapping[str, str]  # case-insensitive (urllib3's HTTPHeaderDict)
    content: bytes

    def json(self) -> Any:
        """The body as JSON; ``ValueError`` when it is not."""
        return json.loads(self.content)


class Upstreams:
    """The base URLs of the services and the connection pool that talks to them."""

    def __init__(
        self,
        urls: Mapping[str, str],
        *,
        connect_timeout: float = 2.0,
        read_timeout: float = 15.0,
        pool_size: int = 32,
    ) -> None:
        self.urls = {name: url.rstrip("/") for name, url in urls.items()}
        self.timeout = (connect_timeout, read_timeout)
        self.pool_size = pool_size
        self._pool: urllib3.PoolManager | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    @property
    def pool(self) -> urllib3.PoolManager:
        """This process's pool; a forked worker makes its own (sockets are not shared)."""
        pid = os.getpid()
        if self._pool is None or self._pid != pid:
            with self._lock:
                if self._pool is None or self._pid != pid:
                    self._pool = self._new_pool()
                    self._pid = pid
        return self._pool

    def _new_pool(self) -> urllib3.PoolManager:
        # No retries or redirects down here: ``send`` decides, knowing which methods are safe to
        # repeat. No proxy or netrc from the environment on the internal hop (urllib3 reads none).
        return urllib3.PoolManager(
            num_pools=len(self.urls) or 1, maxsize=self.pool_size, retries=False
        )

    def send(
        self,
        service: str,
        method: str,
        path: str,
        *,
        query: bytes = b"",
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> Reply:
        """Send one request to ``service``; raise a 502/504 :class:`Problem` when it fails."""
        url = self.urls[service] + path + (f"?{query.decode('latin-1')}" if query else "")
        sent = dict(headers or {})
        tracing.inject(sent)
        connect, read = timeout or self.timeout
        failure: Exception | None = None
        # A pooled connection the service closed just now: a read-only request may try again.
        for _ in range(2 if method in IDEMPOTENT else 1):
            try:
                answer = self.pool.request(
                    method,
                    url,
                    headers=sent,
                    body=body or None,
                    timeout=urllib3.Timeout(connect=connect, read=read),
                    retries=False,
                    redirect=False,
                )
                return Reply(answer.status, answer.headers, answer.data)
            except NewConnectionError as exc:  # refused (urllib3 files it under timeouts too)
                failure = exc
            except TimeoutError:
                log.warning("upstream timeout", extra={"upstream": service})
                raise _unavailable(
                    504,
                    service,
                    "did not answer in time. A change you sent may or may not "
                    "have been made: read it back before sending it again",
                ) from None
            except HTTPError as exc:
                failure = exc
        log.warning(
            "upstream unreachable", extra={"upstream": service, "error": type(failure).__name__}
        )
        raise _unavailable(502, service, "is not reachable. Try again shortly")

    def healthy(self, service: str) -> bool:
        """True when the service's ``/healthz`` answers 200 quickly (for ``/readyz``)."""
        try:
            return self.send(service, "GET", "/healthz", timeout=(1.0, 2.0)).status_code == 200
        except Problem:
            return False

    def fetch_json(self, service: str, path: str) -> Any:
        """The JSON document at ``path`` on ``service``, or None when it cannot be had."""
        try:
            response = self.send(
                service, "GET", path, headers={"Accept": "application/json"}, timeout=(1.0, 3.0)
            )
            return response.json() if response.status_code == 200 else None
        except (Problem, ValueError):
            return None


def _unavailable(status: int, service: str, what: str) -> Problem:
    name = service.replace("-", " ")
    return Problem(
        f"The {name} service {what}.",
        status=status,
        headers={"Retry-After": "5"} if status == 502 else None,
        service=service,
    )
