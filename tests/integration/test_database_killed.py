"""The database killed with SIGKILL during concurrent admissions, then restarted: nothing answered
201 is lost, nothing is doubled.

The test starts SecantusDB of its own in a temporary directory (so it can kill it), as the devstack
runs it (``DURABLE``: without it the kill lost writes already answered 201), a detention API
under gunicorn as production runs it, and the outbox relay publishing to RabbitMQ. While admissions
run concurrently the database process is killed (no chance to flush anything) and started again on
the same files. Then every admission answered 201 has its stay, the unit's counter agrees with the
open stays, each stay's ``stay.opened`` event was published (the same event id, however many
times the relay had to send it), no person has two stays, and no event speaks of a stay that does
not exist. Answers other than 201 (the outage) may or may not have taken effect: that is what the
``Idempotency-Key`` is for, tested on its own.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from kombu import Queue

from detention import service
from detention.adapters import repository
from detention.adapters.verify import verify
from devstack.stack import DURABLE
from passage.bus.connection import broker_connection
from passage.bus.outbox import OutboxRelay
from passage.bus.topology import Topology
from passage.config import Settings
from passage.testing import free_port, identity_headers, port_open, wait_for
from tests.conftest import delete_bus_objects
from tests.integration.test_detention_capacity import admission
from tests.integration.test_replicas import PREFIX, _unit, detention_api

pytestmark = pytest.mark.slow

THREADS, EACH = 8, 4  # 32 admissions into 40 places: the unit never fills
OPENED = "detention.stay.opened.v1"


@contextmanager
def own_database(path: Path) -> Iterator[tuple[str, Any]]:
    """A SecantusDB of the test's own, with ``restart(kill=True)`` to SIGKILL and start it again."""
    port = free_port()
    procs: list[subprocess.Popen] = []

    def start() -> None:
        log = open(path / "server.log", "ab")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "secantus", "--host", "127.0.0.1", "--port", str(port)]
                + ["--storage-path", str(path / "db"), "--log-level", "WARNING", *DURABLE],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        log.close()
        wait_for(lambda: port_open(port), timeout=60, message="SecantusDB to listen")

    def kill_and_restart() -> None:
        procs[-1].send_signal(signal.SIGKILL)
        procs[-1].wait(timeout=30)
        time.sleep(1.0)  # requests meet a closed port meanwhile
        start()

    start()
    try:
        yield f"mongodb://127.0.0.1:{port}/", kill_and_restart
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)


def test_a_database_killed_during_admissions_loses_and_doubles_nothing(
    tmp_path: Path, rabbit_url: str, unique: str
) -> None:
    prefix = f"test-{unique}."
    with own_database(tmp_path) as (mongo_url, kill_and_restart):
        settings = Settings.from_env(
            "detention",
            env={},
            mongo_url=mongo_url,
            mongo_db=f"t_{unique}_detention",
            amqp_url=rabbit_url,
            bus_prefix=prefix,
        )
        watched = _watch_opened_events(rabbit_url, prefix)
        stop = threading.Event()
        deps = service.build_deps(settings)
        relay = OutboxRelay(deps.mongo, deps.publisher, repository.OUTBOX_COLLECTIONS)
        relay_thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
        headers = identity_headers(settings.internal_token_secret, role="admin")
        try:
            with detention_api(settings) as url:
                unit = _unit(url, headers, THREADS * EACH + 8)
                relay_thread.start()
                created, attempted = _admit_while_killed(url, headers, unit, kill_and_restart)
            wait_for(lambda: _settled(deps), timeout=90, message="the relay to publish every event")
            _check(deps, unit, created, attempted, _drain(rabbit_url, watched))
        finally:
            stop.set()
            relay_thread.join(timeout=30)
            deps.mongo.close()
            delete_bus_objects(rabbit_url, prefix)
            _delete_queue(rabbit_url, watched)


def _admit_while_killed(
    url: str, headers: dict[str, str], unit: str, kill_and_restart: Any
) -> tuple[dict[str, str], list[str]]:
    """Admissions from ``THREADS`` threads; the database is killed once a few have been answered."""
    created: dict[str, str] = {}  # person_ref → stay id, for every 201
    attempted: list[str] = []
    answered = threading.Semaphore(0)
    lock = threading.Lock()

    def admit(thread: int) -> None:
        for n in range(EACH):
            body = admission(unit, 3000 + thread * EACH + n)
            person = body["person"]["person_ref"]
            with lock:
                attempted.append(person)
            try:
                r = requests.post(f"{url}{PREFIX}/stays", json=body, headers=headers, timeout=60)
            except requests.RequestException:
                continue  # the outage: no answer, so no claim either way
            finally:
                answered.release()
            if r.status_code == 201:
                with lock:
                    created[person] = r.json()["id"]

    threads = [threading.Thread(target=admit, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for _ in range(THREADS):  # some answered, the others in flight: now the database dies
        answered.acquire(timeout=120)
    kill_and_restart()
    for thread in threads:
        thread.join(timeout=300)
    return created, attempted


def _check(
    deps: Any,
    unit: str,
    created: dict[str, str],
    attempted: list[str],
    events: list[dict[str, Any]],
) -> None:
    stays = list(deps.mongo.collection(repository.STAYS).find({"unit_id": unit}))
    by_id = {s["_id"]: s for s in stays}
    assert created, "no admission was answered 201"
    missing = [stay for stay in created.values() if stay not in by_id]
    assert missing == [], f"answered 201 but lost by the kill: {missing}"
    per_person: dict[str, int] = defaultdict(int)
    for stay in stays:
        per_person[stay["person_ref"]] += 1
    assert {p: n for p, n in per_person.items() if n > 1} == {}, "a person admitted twice"
    assert set(per_person) <= set(attempted)
    event_ids: dict[str, set[str]] = defaultdict(set)
    for event in events:
        event_ids[event["subject"]].add(event["id"])
    assert {s: ids for s, ids in event_ids.items() if len(ids) > 1} == {}, "an event doubled"
    assert set(event_ids) == set(by_id), "every stay's opening published, and no other"
    assert verify(deps.mongo) == []  # counters agree with the open stays
    unit_doc = deps.mongo.collection(repository.UNITS).find_one({"_id": unit})
    assert unit_doc["occupancy"] == len(stays)


def _settled(deps: Any) -> bool:
    return all(
        deps.mongo.collection(name).count_documents({"outbox_pending": True}) == 0
        for name in repository.OUTBOX_COLLECTIONS
    )


def _watch_opened_events(rabbit_url: str, prefix: str) -> Queue:
    """A queue of the test's own bound to every ``stay.opened`` the relay publishes."""
    queue = Queue(
        f"{prefix}killed-db-watch",
        exchange=Topology(prefix).events_exchange("detention"),
        routing_key=OPENED,
        durable=False,
        auto_delete=False,
    )
    with broker_connection(rabbit_url) as conn:
        queue(conn.channel()).declare()
    return queue


def _drain(rabbit_url: str, queue: Queue) -> list[dict[str, Any]]:
    """Every envelope delivered to ``queue`` (each delivery, duplicates included)."""
    found: list[dict[str, Any]] = []
    with broker_connection(rabbit_url) as conn:
        channel = conn.channel()
        bound = queue(channel)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            message = bound.get(no_ack=True)
            if message is None:
                if found:
                    break
                time.sleep(0.2)
                continue
            found.append(json.loads(message.body))
    return found


def _delete_queue(rabbit_url: str, queue: Queue) -> None:
    try:
        with broker_connection(rabbit_url) as conn:
            conn.channel().queue_delete(queue.name)
    except Exception:  # best effort, as conftest's cleanup
        pass
