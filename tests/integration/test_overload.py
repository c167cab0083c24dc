"""A saturated process answers 503 + Retry-After at once (no slow 504); a database that does not
answer in time is a 503 problem too, never a hung request.

The slow requests are a test-only route that holds its work slot until the test lets it go, so
the 503s are seen while the slots are still taken: they did not wait for the slow work.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
import requests
from flask import Flask

from passage.mongo import Mongo
from passage.overload import Limits
from passage.testing import LiveServer, free_port, wait_for
from passage.web import build_app

SLOTS = 2
CALLERS = 6


class SlowService:
    """An app with a route that blocks until ``release`` is set, and one that reads ``mongo``."""

    def __init__(self, limits: Limits, mongo: Mongo | None = None) -> None:
        self.release = threading.Event()
        self.inside = 0
        self.lock = threading.Lock()
        self.app: Flask
        self.app, _ = build_app("overload-test", title="overload test", limits=limits)
        self.app.add_url_rule("/api/v1/slow", "slow", self.slow)
        if mongo is not None:
            self.app.add_url_rule(
                "/api/v1/read",
                "read",
                lambda: {"found": mongo.collection("x").find_one() is not None},
            )

    def slow(self) -> dict[str, Any]:
        with self.lock:
            self.inside += 1
        self.release.wait(60)
        return {"done": True}


@pytest.fixture
def slow() -> Iterator[tuple[SlowService, str]]:
    service = SlowService(Limits(work_slots=SLOTS, queue_wait_seconds=0.2, database_seconds=2.0))
    with LiveServer(service.app) as server:
        try:
            yield service, server.url
        finally:
            service.release.set()


def test_a_saturated_process_answers_503_with_retry_after_while_the_slow_work_goes_on(
    slow: tuple[SlowService, str],
) -> None:
    service, url = slow
    with ThreadPoolExecutor(CALLERS) as pool:
        calls: list[Future[requests.Response]] = [
            pool.submit(requests.get, f"{url}/api/v1/slow", timeout=60) for _ in range(CALLERS)
        ]
        wait_for(
            lambda: sum(c.done() for c in calls) == CALLERS - SLOTS,
            timeout=30,
            message="every request beyond the work slots to be answered",
        )
        assert service.inside == SLOTS and not service.release.is_set()
        turned_away = [c.result() for c in calls if c.done()]
        for response in turned_away:
            assert response.status_code == 503
            assert response.headers["Retry-After"] == "1"
            assert response.headers["Content-Type"] == "application/problem+json"
            assert response.json()["type"].endswith("/saturated")
        # Probes are never turned away, even now.
        assert requests.get(f"{url}/healthz", timeout=10).status_code == 200
        service.release.set()
        served = [c.result() for c in calls if c.result().status_code != 503]
    assert [r.status_code for r in served] == [200] * SLOTS
    # The slots are free again.
    service.release.set()
    assert requests.get(f"{url}/api/v1/slow", timeout=30).status_code == 200


def test_a_database_that_does_not_answer_is_a_quick_503_problem() -> None:
    nowhere = Mongo(f"mongodb://127.0.0.1:{free_port()}/", "nothing_here", timeout_ms=60_000)
    service = SlowService(
        Limits(work_slots=SLOTS, queue_wait_seconds=0.2, database_seconds=0.5), nowhere
    )
    with LiveServer(service.app) as server:
        response = requests.get(f"{server.url}/api/v1/read", timeout=30)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert response.json()["type"].endswith("/database-unavailable")
    assert "127.0.0.1" not in response.text
