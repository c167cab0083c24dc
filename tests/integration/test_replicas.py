"""Two replicas against one database: admissions spread over two detention API processes never
overbook a unit, and two workers' legal-clock jobs alert each stay once.

The APIs run under gunicorn as production runs them (configured by environment only); the clock
jobs run from two separately built services (own clients), released together.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from typing import Any

import pytest
import requests

from detention import service, timers
from detention.adapters.repository import STAYS
from detention.adapters.verify import verify
from passage.config import Settings
from passage.testing import free_port, identity_headers, wait_for
from tests.integration.test_detention_capacity import admission

pytestmark = pytest.mark.slow

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PREFIX = "/api/v1/detention"
PLACES, ATTEMPTS = 10, 40


@contextmanager
def detention_api(settings: Settings) -> Iterator[str]:
    """One detention API replica: gunicorn with the shared settings, on a port of its own."""
    port = free_port()
    env = {
        **os.environ,
        "MONGO_URL": settings.mongo_url,
        "DETENTION_MONGO_DB": settings.mongo_db,
        "AMQP_URL": settings.broker_url,
        "PASSAGE_BUS_PREFIX": settings.bus_prefix,
        "INTERNAL_TOKEN_SECRET": settings.internal_token_secret,
        "PASSAGE_BIND": f"127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
    }
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "services/detention/gunicorn.conf.py",
                "detention.app:create_app()",
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(
                lambda: _answers(f"{url}/healthz") or proc.poll() is not None,
                timeout=60,
                message="a detention API replica",
            )
            assert proc.poll() is None, "the replica exited"
            yield url
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _unit(url: str, headers: dict[str, str], places: int) -> str:
    centre = f"rp-{os.urandom(3).hex()}"
    assert (
        requests.post(
            f"{url}{PREFIX}/centres",
            json={"id": centre, "name": "Replicas", "city": "Baku"},
            headers=headers,
            timeout=30,
        ).status_code
        == 201
    )
    unit = f"{centre}-a"
    response = requests.post(
        f"{url}{PREFIX}/centres/{centre}/units",
        headers=headers,
        timeout=30,
        json={
            "id": unit,
            "name": "A",
            "category": "men",
            "declared_places": places,
            "floor_area_m2": 80.0,
        },
    )
    assert response.status_code == 201, response.text
    return unit


def test_forty_admissions_over_two_api_replicas_fill_ten_places_exactly(
    settings_for, rabbit_url
) -> None:
    settings = settings_for("detention", broker=rabbit_url)
    headers = identity_headers(settings.internal_token_secret, role="admin")
    with ExitStack() as replicas:
        urls = [replicas.enter_context(detention_api(settings)) for _ in range(2)]
        unit = _unit(urls[0], headers, PLACES)
        barrier = threading.Barrier(ATTEMPTS)
        answers: list[Any] = [None] * ATTEMPTS

        def admit(n: int) -> None:
            barrier.wait(timeout=30)
            answers[n] = requests.post(
                f"{urls[n % 2]}{PREFIX}/stays",
                json=admission(unit, 500 + n),
                headers=headers,
                timeout=60,
            )

        threads = [threading.Thread(target=admit, args=(n,)) for n in range(ATTEMPTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        seen = requests.get(f"{urls[1]}{PREFIX}/units/{unit}", headers=headers, timeout=30).json()
    statuses = [a.status_code for a in answers]
    assert statuses.count(201) == PLACES, statuses
    assert set(statuses) <= {201, 409}, statuses
    admitted_by = {n % 2 for n, a in enumerate(answers) if a.status_code == 201}
    assert admitted_by == {0, 1}, "both replicas admitted someone"
    deps = service.build_deps(settings)
    assert seen["occupancy"] == PLACES
    assert (
        deps.mongo.collection(STAYS).count_documents({"unit_id": unit, "status": "open"}) == PLACES
    )
    assert verify(deps.mongo) == []


def test_two_workers_clock_jobs_alert_each_stay_once(settings_for) -> None:
    settings = settings_for("detention")
    first, second = service.build_deps(settings), service.build_deps(settings)
    headers = identity_headers(settings.internal_token_secret, role="admin")
    from detention.app import create_app

    client = create_app(settings, first).test_client()
    unit = _unit_with_client(client, headers)
    soon = (date.today() + timedelta(days=3)).isoformat()
    stays = []
    for n in range(5):
        body = admission(unit, 900 + n)
        body["legal_basis"]["valid_until"] = soon
        response = client.post(f"{PREFIX}/stays", json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        stays.append(response.get_json()["id"])

    barrier = threading.Barrier(2)
    sent: list[int] = []

    def run_clock(deps: Any) -> None:
        barrier.wait(timeout=30)
        for _ in range(3):
            sent.append(timers.emit_deadlines(deps.stay_store, deps.clock(), deps.rules_for))

    workers = [threading.Thread(target=run_clock, args=(deps,)) for deps in (first, second)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert sum(sent) == len(stays), sent
    for stay_id in stays:
        doc = first.mongo.collection(STAYS).find_one({"_id": stay_id})
        alerts = [e for e in doc.get("outbox", []) if e["type"] == "detention.stay.deadline_due"]
        assert len(alerts) == 1 and alerts[0]["data"]["clock"] == "legal_end", doc.get("outbox")


def _unit_with_client(client: Any, headers: dict[str, str]) -> str:
    centre = f"rc-{os.urandom(3).hex()}"
    assert (
        client.post(
            f"{PREFIX}/centres",
            json={"id": centre, "name": "Clocks", "city": "Baku"},
            headers=headers,
        ).status_code
        == 201
    )
    unit = f"{centre}-a"
    response = client.post(
        f"{PREFIX}/centres/{centre}/units",
        headers=headers,
        json={
            "id": unit,
            "name": "A",
            "category": "men",
            "declared_places": 10,
            "floor_area_m2": 80.0,
        },
    )
    assert response.status_code == 201, response.get_json()
    return unit
