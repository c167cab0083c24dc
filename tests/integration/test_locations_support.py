"""Helpers the readmission and voluntary-return integration tests share (no tests of its own):
both services run the same location read model, so they run the same scenarios."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from passage.bus.publisher import Publisher
from passage.bus.topology import Topology
from passage.config import Settings
from passage.events import Envelope, new_event, registry, validate_event
from passage.testing import identity_headers, wait_for
from passage.worker import run_loops

CONTRACT_KEYS = {
    "person_ref",
    "held",
    "centre_id",
    "unit_id",
    "stay_id",
    "since",
    "released_at",
    "release_reason",
}
ROLES = (
    "admin",
    "centre_staff",
    "liaison_officer",
    "avr_caseworker",
    "partner",
    "auditor",
    "system",
)


@dataclass(frozen=True)
class ServiceUnderTest:
    """What differs between the two services; everything else is the same scenario."""

    service: str  # settings name (database, logs)
    package: str  # python -m <package>.worker
    api_prefix: str
    queue: str  # ROUTES key of the detention_location queue
    readers: tuple[str, ...]
    create_app: Callable[..., Flask]
    build_worker: Callable[..., Any]
    build_deps: Callable[[Settings], Any]
    # Opens a record about the person through the API (a request; a case): locations are only
    # answered for people the caller has a record of (#11 finding 3).
    give_record: Callable[[FlaskClient, Settings, str], None]

    @property
    def refused_roles(self) -> tuple[str, ...]:
        return tuple(r for r in ROLES if r not in self.readers)

    def location_path(self, person_ref: str) -> str:
        return f"{self.api_prefix}/persons/{person_ref}/location"


def stay_event(kind: str, person_ref: str, stay_id: str, **data: Any) -> Envelope:
    """A valid detention.stay.<kind> v1 envelope (schema example, with our ids)."""
    type_ = f"detention.stay.{kind}"
    payload = {
        **registry().get(type_, 1).examples[0],
        "person_ref": person_ref,
        "stay_id": stay_id,
        **data,
    }
    return validate_event(
        new_event(type_, source="detention", subject=stay_id, data=payload).to_dict()
    )


def new_person() -> tuple[str, str]:
    return f"AZ-2026-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())


def headers_for(settings: Settings, role: str, **scopes: Any) -> dict[str, str]:
    if role == "liaison_officer" and not scopes:
        scopes = {"all_scopes": True}
    return identity_headers(settings.internal_token_secret, role=role, **scopes)


def location(
    client: FlaskClient,
    sut: ServiceUnderTest,
    settings: Settings,
    person_ref: str,
    role: str | None = None,
) -> Any:
    return client.get(
        sut.location_path(person_ref), headers=headers_for(settings, role or sut.readers[1])
    )


@contextmanager
def running(worker: Any) -> Iterator[threading.Thread]:
    """Run the worker's loops in a thread, as ``main()`` does; stop and join them at the end."""
    stop = threading.Event()
    thread = threading.Thread(target=run_loops, args=(worker.loops(), stop), daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the worker did not stop"


@contextmanager
def publisher_for(settings: Settings) -> Iterator[Publisher]:
    publisher = Publisher(settings.broker_url, Topology(settings.bus_prefix))
    try:
        yield publisher
    finally:
        publisher.close()


def record_directly(deps: Any, *events: Envelope) -> None:
    """Put events into the read model the way the consumer does (one transaction each)."""
    for event in events:
        deps.mongo.transaction(lambda session, e=event: deps.locations.record(e, session=session))


@contextmanager
def worker_process(sut: ServiceUnderTest, settings: Settings) -> Iterator[subprocess.Popen]:
    """``python -m <package>.worker`` as production starts it, configured by environment only."""
    env = {
        **os.environ,
        "MONGO_URL": settings.mongo_url,
        f"{sut.service.upper()}_MONGO_DB": settings.mongo_db,
        "AMQP_URL": settings.broker_url,
        "PASSAGE_BUS_PREFIX": settings.bus_prefix,
        "LOG_LEVEL": "WARNING",
    }
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", f"{sut.package}.worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# Scenarios ------------------------------------------------------------------------------------


def check_location_follows_the_stay(sut: ServiceUnderTest, settings: Settings) -> None:
    """opened → transferred → closed over the real bus, then the same events again: one effect."""
    app, worker = sut.create_app(settings), sut.build_worker(settings)
    client, (ref, stay) = app.test_client(), new_person()
    sut.give_record(client, settings, ref)
    opened = stay_event(
        "opened",
        ref,
        stay,
        centre_id="baku",
        unit_id="baku-m1",
        admitted_at="2026-11-20T09:30:00.000Z",
    )
    moved = stay_event(
        "transferred",
        ref,
        stay,
        from_centre_id="baku",
        from_unit_id="baku-m1",
        centre_id="yevlakh",
        unit_id="yevlakh-m1",
        transferred_at="2026-11-21T10:00:00.000Z",
    )
    closed = stay_event(
        "closed",
        ref,
        stay,
        centre_id="yevlakh",
        unit_id="yevlakh-m1",
        reason="voluntary_return",
        released_at="2026-12-01T06:00:00.000Z",
    )
    with running(worker), publisher_for(settings) as publisher:
        publisher.publish_event(opened.to_dict())
        held = wait_for(
            lambda: _body_if(location(client, sut, settings, ref), held=True),
            timeout=30,
            message="the opened stay to show",
        )
        assert held == {
            "person_ref": ref,
            "held": True,
            "centre_id": "baku",
            "unit_id": "baku-m1",
            "stay_id": stay,
            "since": "2026-11-20T09:30:00.000000Z",
            "released_at": None,
            "release_reason": None,
        }
        publisher.publish_event(moved.to_dict())
        wait_for(
            lambda: _body_if(location(client, sut, settings, ref), centre_id="yevlakh"),
            timeout=30,
            message="the transfer to show",
        )
        publisher.publish_event(closed.to_dict())
        wait_for(
            lambda: _body_if(location(client, sut, settings, ref), held=False),
            timeout=30,
            message="the release to show",
        )
        before = worker.consumer.processed
        for event in (opened, moved, closed):  # the same events delivered a second time
            publisher.publish_event(event.to_dict())
        wait_for(
            lambda: worker.consumer.processed >= before + 3,
            timeout=30,
            message="the duplicates to be consumed",
        )
    _check_applied_once(sut, settings, worker.deps, client, ref, [opened, moved, closed])
    worker.deps.mongo.close()


def _body_if(response: Any, **expected: Any) -> dict[str, Any] | None:
    if response.status_code != 200:
        return None
    body = response.get_json()
    return body if all(body.get(k) == v for k, v in expected.items()) else None


def _check_applied_once(
    sut: ServiceUnderTest,
    settings: Settings,
    deps: Any,
    client: FlaskClient,
    ref: str,
    events: list[Envelope],
) -> None:
    # The location subscription is idempotent by itself: no inbox marker is written for it, and
    # the second delivery of every event changed nothing (version 3 after three facts, one stay).
    inbox = deps.mongo.collection("inbox")
    queue = Topology(settings.bus_prefix).queue_name(sut.queue)
    assert [e.id for e in events if inbox.find_one({"_id": f"{queue}:{e.id}"})] == []
    doc = deps.mongo.collection("person_locations").find_one({"_id": ref})
    assert doc["version"] == 3 and len(doc["stays"]) == 1
    response = location(client, sut, settings, ref)
    assert response.headers["ETag"] == '"v3"'
    assert response.get_json() == {
        "person_ref": ref,
        "held": False,
        "centre_id": None,
        "unit_id": None,
        "stay_id": events[0].data["stay_id"],
        "since": None,
        "released_at": "2026-12-01T06:00:00.000000Z",
        "release_reason": "voluntary_return",
    }


def check_worker_process_runs_and_stops(sut: ServiceUnderTest, settings: Settings) -> None:
    """The production command consumes events and exits 0 on SIGTERM."""
    deps = sut.build_deps(settings)
    ref, stay = new_person()
    with worker_process(sut, settings) as proc, publisher_for(settings) as publisher:
        publisher.publish_event(stay_event("opened", ref, stay).to_dict())
        found = wait_for(
            lambda: deps.locations.get_location(ref) or proc.poll() is not None,
            timeout=60,
            message="the worker process to record the stay",
        )
        assert proc.poll() is None, "the worker process exited"
        assert found.location.held and found.location.stay_id == stay
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    assert deps.mongo.collection("person_locations").index_information().get("stays_stay_id")
    deps.mongo.close()


# Bad input -------------------------------------------------------------------------------------

BAD_REFS = [
    "a%20b",
    "x" * 65,
    "%24ne",
    "%7B%22%24ne%22%3Anull%7D",
    "a%24where",
    "ref%3B1",
    "%C3%A9t%C3%A9",
    "a*",
]
BAD_QUERIES = ["?person_ref[$ne]=x", "?%24where=1", "?held=true", "?person_ref=AZ-1"]


def assert_problem(response: Any, status: int | tuple[int, ...]) -> dict[str, Any]:
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, (
        response.status_code,
        response.get_data(as_text=True)[:300],
    )
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert (
        body["status"] == response.status_code
        and body["type"].startswith("https://")
        and body["detail"]
    )
    assert "Traceback" not in response.get_data(as_text=True)
    return body


class KnownPerson:
    """A service app with one person in its read model, recorded without the bus."""

    def __init__(self, sut: ServiceUnderTest, settings: Settings) -> None:
        self.sut, self.settings = sut, settings
        self.deps = sut.build_deps(settings)
        self.client = sut.create_app(settings, self.deps).test_client()
        self.person_ref, self.stay_id = new_person()
        sut.give_record(self.client, settings, self.person_ref)
        record_directly(self.deps, stay_event("opened", self.person_ref, self.stay_id))

    def get(
        self,
        path_ref: str | None = None,
        query: str = "",
        headers: dict[str, str] | None = None,
        role: str | None = None,
    ) -> Any:
        path = self.sut.location_path(path_ref or self.person_ref) + query
        return self.client.get(
            path,
            headers=headers_for(self.settings, role or self.sut.readers[1])
            if headers is None
            else headers,
        )

    def stored(self) -> list[dict[str, Any]]:
        return list(self.deps.mongo.collection("person_locations").find({}, sort=[("_id", 1)]))


def check_readers_get_the_contract_shape(known: KnownPerson) -> None:
    for role in known.sut.readers:
        response = known.get(role=role)
        assert response.status_code == 200, role
        assert set(response.get_json()) == CONTRACT_KEYS and response.get_json()["held"] is True
        assert response.headers["ETag"] == '"v1"' and response.headers["X-Request-ID"]


def check_refused_callers(known: KnownPerson) -> None:
    from passage.identity import HEADER, Identity, sign_identity

    secret = known.settings.internal_token_secret
    reader = Identity(user_id="u1", role=known.sut.readers[1])
    for headers in (
        {},
        {HEADER: ""},
        {HEADER: "not-a-token"},
        {HEADER: sign_identity(reader, "another-secret-of-sufficient-length-0123456789")},
        {HEADER: sign_identity(reader, secret, ttl_seconds=-120)},
        {"Authorization": "Bearer " + sign_identity(reader, secret)},
    ):
        assert_problem(known.get(headers=headers), 401)
    for role in known.sut.refused_roles:
        assert_problem(known.get(role=role), 403)
    assert_problem(known.get(path_ref="unknown-person", role=known.sut.refused_roles[0]), 403)


def check_bad_person_refs_and_queries(known: KnownPerson) -> None:
    before = known.stored()
    for ref in BAD_REFS:
        body = assert_problem(known.get(path_ref=ref), 422)
        assert body["errors"][0]["pointer"] == "/path/person_ref"
    assert_problem(known.get(path_ref="a%2Fb"), (404, 422))
    for query in BAD_QUERIES:
        assert_problem(known.get(query=query), 422)
    body = assert_problem(known.get(path_ref="AZ-2026-never-seen"), 404)
    assert "AZ-2026-never-seen" not in body["detail"]
    assert_problem(
        known.client.post(
            known.sut.location_path(known.person_ref),
            json={"held": False},
            headers=headers_for(known.settings, "admin"),
        ),
        405,
    )
    assert known.stored() == before
