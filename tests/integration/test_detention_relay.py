"""Detention's worker relays what admissions leave in the outbox: the ``detention.stay.opened``
event reaches the readmission and voluntary-return queues, and the outbox is emptied. Runs the
worker in-process on both transports and as ``python -m detention.worker`` on RabbitMQ."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from kombu import Connection

from detention import service
from detention.adapters.repository import STAYS
from detention.app import create_app
from detention.worker import build_worker
from passage.bus.topology import Topology
from passage.config import Settings
from passage.events import validate_event
from passage.testing import identity_headers, wait_for
from passage.worker import run_loops

P = "/api/v1/detention"
QUEUES = ("readmission.detention_location", "voluntary_return.detention_location")


def admit_one(settings: Settings) -> tuple[dict[str, Any], Any]:
    """Create a centre and unit and admit a person through the API; returns the stay and the
    deps."""
    deps = service.build_deps(settings)
    client = create_app(settings, deps).test_client()
    headers = identity_headers(settings.internal_token_secret)
    assert (
        client.post(
            f"{P}/centres", json={"id": "baku", "name": "Baku", "city": "Baku"}, headers=headers
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"{P}/centres/baku/units",
            headers=headers,
            json={
                "id": "baku-m1",
                "name": "M1",
                "category": "men",
                "declared_places": 5,
                "floor_area_m2": 40.0,
            },
        ).status_code
        == 201
    )
    response = client.post(
        f"{P}/stays",
        headers=headers,
        json={
            "unit_id": "baku-m1",
            "legal_basis": {"kind": "asylum_applicant"},
            "person": {
                "given_name": "Ali",
                "family_name": "Rezaei",
                "birth_date": "1990-04-02",
                "sex": "male",
            },
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json(), deps


def receive(broker_url: str, prefix: str, queue: str, timeout: float = 30.0) -> dict[str, Any]:
    """The next message on one of Passage's queues (declared here too, so none is missed)."""
    with Connection(broker_url, transport_options={"polling_interval": 0.1}) as conn:
        simple = conn.SimpleQueue(Topology(prefix).queue(queue))
        try:
            message = simple.get(block=True, timeout=timeout)
            message.ack()
            return message.payload
        finally:
            simple.close()


def assert_stay_opened(payload: dict[str, Any], stay: dict[str, Any]) -> None:
    event = validate_event(payload)
    assert (event.type, event.subject, event.data["stay_id"]) == (
        "detention.stay.opened",
        stay["id"],
        stay["id"],
    )
    assert event.data["person_ref"] == stay["person_ref"] and "family_name" not in event.data


def outbox_settled(deps: Any, stay_id: str) -> bool:
    doc = deps.mongo.collection(STAYS).find_one({"_id": stay_id})
    return doc["outbox"] == [] and "outbox_pending" not in doc


@pytest.fixture
def running_worker() -> Iterator[Any]:
    """Start a worker's loops in a thread; stopped (and joined) after the test."""
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start(worker: Any) -> None:
        thread = threading.Thread(target=run_loops, args=(worker.loops(), stop), daemon=True)
        thread.start()
        threads.append(thread)

    yield start
    stop.set()
    for thread in threads:
        thread.join(timeout=20)
        assert not thread.is_alive(), "the worker did not stop"


def test_the_worker_relays_the_admission_event(
    settings_for: Any, broker_url: str, bus_prefix: str, running_worker: Any
) -> None:
    settings = settings_for("detention", broker=broker_url)
    stay, deps = admit_one(settings)
    running_worker(build_worker(settings))
    assert_relayed(settings, deps, stay)


def assert_relayed(settings: Settings, deps: Any, stay: dict[str, Any]) -> None:
    """The stay's opening reached both queues and its outbox was emptied."""
    for queue in QUEUES:
        assert_stay_opened(receive(settings.broker_url, settings.bus_prefix, queue), stay)
    wait_for(
        lambda: outbox_settled(deps, stay["id"]),
        timeout=15,
        message="the stay's outbox to be emptied",
    )


@pytest.mark.rabbitmq
def test_python_m_detention_consumer_relays_and_stops_on_sigterm(
    settings_for: Any, rabbit_url: str, bus_prefix: str
) -> None:
    settings = settings_for("detention", broker=rabbit_url)
    stay, deps = admit_one(settings)
    env = {
        **os.environ,
        "MONGO_URL": settings.mongo_url,
        "DETENTION_MONGO_DB": settings.mongo_db,
        "AMQP_URL": rabbit_url,
        "PASSAGE_BUS_PREFIX": settings.bus_prefix,
        "LOG_LEVEL": "INFO",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "detention.worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert_stay_opened(receive(rabbit_url, settings.bus_prefix, QUEUES[0]), stay)
        wait_for(
            lambda: outbox_settled(deps, stay["id"]),
            timeout=15,
            message="the stay's outbox to be emptied",
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            output, _ = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
    assert worker.returncode == 0, output.decode(errors="replace")[-2000:]
    assert b"worker stopped" in output


def test_the_api_process_publishes_its_own_commit_at_once_without_a_worker(
    settings_for: Any, broker_url: str, bus_prefix: str
) -> None:
    """After-commit relay: no worker runs, yet the admission's event reaches both queues and the
    stay's outbox is settled — by the API process that committed it (its prompt relay)."""
    settings = settings_for("detention", broker=broker_url).with_(relay_after_commit=True)
    stay, deps = admit_one(settings)
    assert_relayed(settings, deps, stay)


def test_without_after_commit_relaying_the_api_leaves_the_event_to_the_worker(
    settings_for: Any, broker_url: str, bus_prefix: str
) -> None:
    """The setting is what turns it on: off, the event waits in the outbox for a worker."""
    settings = settings_for("detention", broker=broker_url)
    assert not settings.relay_after_commit
    stay, deps = admit_one(settings)
    doc = deps.mongo.collection(STAYS).find_one({"_id": stay["id"]})
    assert doc["outbox_pending"] is True and len(doc["outbox"]) == 1
