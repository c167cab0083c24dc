"""Detention consuming readmission outcomes and voluntary-return departures over the real bus
(RabbitMQ and the MongoDB transport): a readmission closes the stay once however often it is
delivered, an event about someone not held here is recorded and acked, never retried."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from detention import service
from detention.adapters import repository
from detention.adapters.occupancy import DAILY
from detention.adapters.repository import STAYS, UNITS
from detention.adapters.stay_store import UNMATCHED
from detention.app import create_app
from detention.worker import build_worker
from passage.bus.consumer import INBOX, INBOX_INDEXES
from passage.events import new_event, validate_event
from passage.testing import identity_headers, wait_for
from passage.worker import run_loops
from tests.integration.test_locations_support import publisher_for

P = "/api/v1/detention"
ADMITTED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
ORDER = {
    "kind": "court_order",
    "decision_ref": "2-1/2026",
    "court": "Baku Administrative Court",
    "decided_on": "2026-11-20",
    "valid_until": "2027-02-20",
}


def _admit(client: Any, headers: dict[str, str], ref: str) -> str:
    response = client.post(
        f"{P}/stays",
        headers=headers,
        json={
            "unit_id": "baku-m1",
            "legal_basis": ORDER,
            "person": {
                "person_ref": ref,
                "given_name": "A",
                "family_name": "B",
                "birth_date": "1990-01-01",
                "sex": "male",
                "nationality": "IRN",
            },
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


@contextmanager
def consuming(worker: Any) -> Iterator[None]:
    """Only the consumer loop (no relay), so the envelopes the handlers queued stay to be
    checked."""
    worker.mongo.ensure_indexes([*repository.indexes(), *INBOX_INDEXES])
    worker.ready.set()
    loops = {"consumer": worker.loops()["consumer"]}
    stop = threading.Event()
    thread = threading.Thread(target=run_loops, args=(loops, stop), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the consumer did not stop"


def readmission_event(type_: str, ref: str, **data: Any) -> Any:
    return new_event(
        type_,
        source="readmission",
        subject="req-1",
        data={"request_id": "req-1", "person_ref": ref, "member_state": "DE", **data},
    )


def test_outcomes_plan_and_close_stays_once_and_unknown_people_are_recorded(
    broker_url, bus_prefix, settings_for
) -> None:
    settings = settings_for("detention", broker=broker_url)
    clock = [ADMITTED]
    deps = replace(service.build_deps(settings), clock=lambda: clock[0])
    client, headers = (
        create_app(settings, deps).test_client(),
        identity_headers(settings.internal_token_secret),
    )
    assert (
        client.post(
            f"{P}/centres", headers=headers, json={"id": "baku", "name": "Baku", "city": "Baku"}
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
    readmitted, departing = _admit(client, headers, "P-READMIT"), _admit(client, headers, "P-AVRR")
    clock[0] = NOW
    stays, worker = deps.mongo.collection(STAYS), build_worker(settings, deps)
    accepted = readmission_event(
        "readmission.request.accepted",
        "P-READMIT",
        direction="outgoing",
        decided_at="2026-12-01T10:00:00Z",
        transfer_due_on="2027-01-15",
    )
    completed = readmission_event(
        "readmission.transfer.completed", "P-READMIT", transferred_at="2026-12-10T08:00:00Z"
    )
    again = readmission_event(
        "readmission.transfer.completed", "P-READMIT", transferred_at="2026-12-10T08:00:00Z"
    )
    unknown = readmission_event(
        "readmission.transfer.completed", "P-NOBODY", transferred_at="2026-12-10T08:00:00Z"
    )
    departed = new_event(
        "voluntary_return.departure.confirmed",
        source="voluntary_return",
        subject="case-1",
        data={
            "case_id": "case-1",
            "person_ref": "P-AVRR",
            "departed_at": "2026-12-10T04:20:00Z",
            "destination_country": "IRN",
        },
    )
    with consuming(worker), publisher_for(settings) as publisher:
        publisher.publish_event(accepted.to_dict())
        wait_for(
            lambda: stays.find_one({"_id": readmitted})["planned_release_on"] == "2027-01-15",
            timeout=30,
            message="the planned release date",
        )
        for event in (
            completed,
            completed,
            again,
            unknown,
            departed,
        ):  # completed is delivered twice
            publisher.publish_event(event.to_dict())
        wait_for(
            lambda: worker.consumer.processed >= 6,
            timeout=60,
            message="every delivery to be consumed",
        )

    closed = stays.find_one({"_id": readmitted})
    assert (closed["status"], closed["release_reason"]) == ("closed", "readmitted")
    assert closed["released_at"] == datetime(2026, 12, 10, 8, 0, tzinfo=UTC)
    envelopes = [validate_event(e) for e in closed["outbox"]]
    assert [e.type for e in envelopes] == ["detention.stay.opened", "detention.stay.closed"]
    assert envelopes[1].data["reason"] == "readmitted"
    assert envelopes[1].correlation_id == completed.correlation_id
    assert (
        stays.find_one({"_id": departing})["status"],
        stays.find_one({"_id": departing})["release_reason"],
    ) == ("closed", "voluntary_return")
    assert deps.mongo.collection(UNITS).find_one({"_id": "baku-m1"})["occupancy"] == 0
    assert deps.mongo.collection(DAILY).find_one({"_id": "baku-m1:2026-12-10"})["releases"] == 2
    unmatched = {doc["_id"]: doc for doc in deps.mongo.collection(UNMATCHED).find({})}
    assert set(unmatched) == {again.id, unknown.id}
    assert all("person_ref" not in doc for doc in unmatched.values())
    assert (
        deps.mongo.collection(INBOX).count_documents({}) == 5
    )  # each distinct event once; no dead letters
    assert worker.consumer.processed == 6


def test_the_whole_worker_sends_deadline_alerts_and_rolls_the_day(
    rabbit_url, bus_prefix, settings_for
) -> None:
    """Relay, consumer and timed jobs together: the alert is queued once, relayed, and today's
    figures exist."""
    settings = settings_for("detention", broker=rabbit_url)
    deps = replace(service.build_deps(settings), clock=lambda: ADMITTED)
    client, headers = (
        create_app(settings, deps).test_client(),
        identity_headers(settings.internal_token_secret),
    )
    assert (
        client.post(
            f"{P}/centres", headers=headers, json={"id": "baku", "name": "Baku", "city": "Baku"}
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
    assert (
        client.post(
            f"{P}/centres/baku/units",
            headers=headers,
            json={
                "id": "baku-m2",
                "name": "M2",
                "category": "men",
                "declared_places": 3,
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
            "legal_basis": {**ORDER, "valid_until": "2026-12-04"},
            "person": {
                "person_ref": "P-DUE",
                "given_name": "A",
                "family_name": "B",
                "birth_date": "1990-01-01",
                "sex": "male",
            },
        },
    )
    stay_id = response.get_json()["id"]
    stays = deps.mongo.collection(STAYS)
    stop = threading.Event()
    thread = threading.Thread(
        target=run_loops, args=(build_worker(settings, deps).loops(), stop), daemon=True
    )
    thread.start()
    try:
        wait_for(
            lambda: (
                "legal_end:2026-12-04:7" in stays.find_one({"_id": stay_id})["deadlines_emitted"]
            ),
            timeout=30,
            message="the deadline alert",
        )
        wait_for(
            lambda: not stays.find_one({"_id": stay_id})["outbox"],
            timeout=30,
            message="the relay to publish it",
        )
        quiet = wait_for(
            lambda: deps.mongo.collection(DAILY).find_one({"_id": "baku-m2:2026-12-01"}),
            timeout=30,
            message="the daily roll",
        )
        assert (quiet["occupied"], quiet["capacity"]) == (0, 3)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert sorted(stays.find_one({"_id": stay_id})["deadlines_emitted"]) == [
        "legal_end:2026-12-04:14",
        "legal_end:2026-12-04:7",
    ]


def _request_event(type_: str, request_id: str, ref: str, **data: Any) -> Any:
    return new_event(
        type_,
        source="readmission",
        subject=request_id,
        data={"request_id": request_id, "person_ref": ref, "member_state": "DE", **data},
    )


def _deemed(request_id: str, ref: str, due: str) -> Any:
    return _request_event(
        "readmission.request.deemed_accepted",
        request_id,
        ref,
        decided_at="2026-12-05T12:00:00Z",
        transfer_due_on=due,
        direction="outgoing",
    )


def _reversed(request_id: str, ref: str, outcome: str, due: str | None = None) -> Any:
    return _request_event(
        "readmission.request.deemed_acceptance_reversed",
        request_id,
        ref,
        outcome=outcome,
        reversed_at="2026-12-10T08:00:00Z",
        replied_on="2026-12-04",
        transfer_due_on=due,
        direction="outgoing",
    )


def test_a_reversed_deemed_acceptance_takes_back_or_resets_its_planned_release_once(
    broker_url, bus_prefix, settings_for
) -> None:
    settings = settings_for("detention", broker=broker_url)
    deps = replace(service.build_deps(settings), clock=lambda: ADMITTED)
    client, headers = (
        create_app(settings, deps).test_client(),
        identity_headers(settings.internal_token_secret),
    )
    assert (
        client.post(
            f"{P}/centres", headers=headers, json={"id": "baku", "name": "Baku", "city": "Baku"}
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
    ids = {
        ref: _admit(client, headers, ref)
        for ref in ("P-REJ", "P-INFO", "P-ACC", "P-OTHER", "P-SCHED")
    }
    stays, worker = deps.mongo.collection(STAYS), build_worker(settings, deps)
    first = [
        _deemed("req-rej", "P-REJ", "2027-03-05"),
        _deemed("req-info", "P-INFO", "2027-03-05"),
        _deemed("req-acc", "P-ACC", "2027-03-05"),
        _deemed("req-other", "P-OTHER", "2027-03-05"),
        _deemed("req-sched", "P-SCHED", "2027-03-05"),
        _request_event(
            "readmission.transfer.scheduled", "req-sched", "P-SCHED", scheduled_for="2027-01-20"
        ),
    ]
    rejected = _reversed("req-rej", "P-REJ", "rejected")
    then = [
        rejected,
        rejected,
        _reversed("req-info", "P-INFO", "info_requested"),
        _reversed("req-acc", "P-ACC", "accepted", "2027-03-01"),
        _reversed("req-elsewhere", "P-OTHER", "rejected"),  # another request: P-OTHER's date stays
        _reversed("req-sched", "P-SCHED", "accepted", "2027-03-01"),
    ]  # the scheduled transfer's date stays
    with consuming(worker), publisher_for(settings) as publisher:
        for event in first:
            publisher.publish_event(event.to_dict())
        wait_for(
            lambda: worker.consumer.processed >= len(first),
            timeout=60,
            message="the deemed acceptances",
        )
        assert stays.find_one({"_id": ids["P-REJ"]})["planned_release_on"] == "2027-03-05"
        for event in then:
            publisher.publish_event(event.to_dict())
        wait_for(
            lambda: worker.consumer.processed >= len(first) + len(then),
            timeout=60,
            message="the reversals",
        )

    planned = {
        ref: stays.find_one({"_id": stay_id})["planned_release_on"] for ref, stay_id in ids.items()
    }
    assert planned == {
        "P-REJ": None,
        "P-INFO": None,
        "P-ACC": "2027-03-01",
        "P-OTHER": "2027-03-05",
        "P-SCHED": "2027-01-20",
    }
    assert (
        client.get(f"{P}/stays/{ids['P-ACC']}", headers=headers).get_json()["planned_release_on"]
        == "2027-03-01"
    )
    assert (
        deps.mongo.collection(INBOX).count_documents({}) == len(first) + len(then) - 1
    )  # the duplicate once
    assert all(s["status"] == "open" for s in stays.find({}))
