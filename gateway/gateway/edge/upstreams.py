"""HTTP client to the services: one pooled keep-alive session per process, created after fork.

Failures become problems the caller can act on: a service that refuses or drops the connection
is a 502, one that does not answer in time a 504. Exception text never reaches a client.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from passage.problems import Problem

log = logging.getLogger(__name__)
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})


class Upstreams:
    """The base URLs of the services and the session that talks to them."""

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
        self._session: requests.Session | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    @property
    def session(self) -> requests.Session:
        """This process's session; a forked worker makes its own (sockets are not shared)."""
        pid = os.getpid()
        if self._session is None or self._pid != pid:
            with self._lock:
                if self._session is None or self._pid != pid:
                    self._session = self._new_session()
                    self._pid = pid
        return self._session

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # no proxy or netrc from the environment on the internal hop
        # No retries down here: ``send`` decides, knowing which methods are safe to repeat.
        adapter = HTTPAdapter(
            pool_connections=len(self.urls) or 1, pool_maxsize=self.pool_size, max_retries=0
        )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

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
    ) -> requests.Response:
        """Send one request to ``service``; raise a 502/504 :class:`Problem` when it fails."""
        url = self.urls[service] + path + (f"?{query.decode('latin-1')}" if query else "")
        attempts = 2 if method in IDEMPOTENT else 1
        for attempt in range(attempts):
            try:
                return self.session.request(
                    method,
                    url,
                    headers=dict(headers or {}),
                    data=body or None,
                    timeout=timeout or self.timeout,
                    allow_redirects=False,
                )
            except requests.Timeout:
                log.warning("upstream timeout", extra={"upstream": service})
                raise _unavailable(
                    504,
                    service,
                    "did not answer in time. A change you sent may or may not "
                    "have been made: read it back before sending it again",
                ) from None
            except requests.RequestException as exc:
                # A pooled connection the service closed just now: a read-only request may try
                # again.
                if attempt + 1 < attempts:
                    continue
                log.warning(
                    "upstream unreachable", extra={"upstream": service, "error": type(exc).__name__}
                )
                raise _unavailable(502, service, "is not reachable. Try again shortly") from None
        raise AssertionError("unreachable")

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
