"""Readmission's reactions to voluntary-return and detention events over the real bus: idempotent
under redelivery, a departure withdraws a pending request once, the location shows on the
request."""

from __future__ import annotations

from typing import Any

import pytest

from passage.events import new_event, validate_event
from passage.testing import wait_for
from readmission.worker import build_worker
from tests.integration.test_locations_support import publisher_for, running, stay_event
from tests.integration.test_readmission_requests import drive
from tests.integration.test_readmission_support import Service


def vr_event(
    type_: str, person_ref: str, case_id: str = "c0ffee00-0000-4000-8000-000000000001", **data: Any
) -> Any:
    base = {"case_id": case_id, "person_ref": person_ref}
    defaults = {
        "voluntary_return.case.opened": {
            "referral_source": "detention_centre",
            "nationality": "IRN",
            "opened_at": "2026-11-02T10:00:00.000Z",
        },
        "voluntary_return.departure.confirmed": {
            "departed_at": "2026-11-03T04:20:00.000Z",
            "destination_country": "IRN",
        },
        "voluntary_return.case.withdrawn": {
            "withdrawn_at": "2026-11-03T10:00:00.000Z",
            "reason": "migrant_withdrew",
        },
    }[type_]
    event = new_event(
        type_, source="voluntary_return", subject=case_id, data={**base, **defaults, **data}
    )
    return validate_event(event.to_dict())


@pytest.fixture
def service(broker_url, bus_prefix, settings_for) -> Service:
    return Service(settings_for("readmission", broker=broker_url))


def test_voluntary_return_events_apply_once_and_a_departure_withdraws_pending_requests_once(
    service: Service,
) -> None:
    person = "AZ-VR-000001"
    pending = drive_for(service, person, "submitted")
    accepted = drive_for(service, person, "accepted")
    transferred = drive_for(service, person, "transferred")
    other = drive_for(service, "AZ-VR-OTHER", "submitted")
    worker = build_worker(service.deps.settings, service.deps, clock_seconds=3600)
    opened = vr_event("voluntary_return.case.opened", person)
    departed = vr_event("voluntary_return.departure.confirmed", person)
    with running(worker), publisher_for(service.deps.settings) as publisher:
        for _ in range(2):  # a redelivery is the same envelope again
            publisher.publish_event(opened.to_dict())
        wait_for(
            lambda: service.get(pending["id"]).get_json()["voluntary_return"], message="the VR mark"
        )
        wait_for(lambda: worker.consumer.processed >= 2, message="both deliveries handled")
        marked = service.get(pending["id"]).get_json()
        assert marked["voluntary_return"]["case_id"] == opened.data["case_id"]
        assert marked["version"] == pending["version"] + 1  # the duplicate changed nothing
        assert service.get(other["id"]).get_json()["voluntary_return"] is None
        for _ in range(2):
            publisher.publish_event(departed.to_dict())
        publisher.publish_event(
            vr_event("voluntary_return.departure.confirmed", "AZ-NOBODY").to_dict()
        )
        wait_for(lambda: worker.consumer.processed >= 5, message="departures handled")
        for request in (pending, accepted):
            after = service.get(request["id"]).get_json()
            assert (
                after["state"] == "withdrawn"
                and after["withdrawal"]["reason"] == "voluntary_departure"
            )
            assert [h["action"] for h in after["history"]].count("withdraw") == 1
            assert after["history"][-1]["by"] == "system:voluntary-return"
        assert service.get(transferred["id"]).get_json()["state"] == "transferred"
        assert service.get(other["id"]).get_json()["state"] == "submitted"
        wait_for(
            lambda: _relayed(service, pending["id"]), message="the relay to publish the withdrawal"
        )
    events = service.deps.mongo.collection("requests").find_one({"_id": pending["id"]})
    assert not events.get("outbox")


def drive_for(service: Service, person_ref: str, state: str) -> dict[str, Any]:
    original = service.create

    def create(role: str = "liaison_officer", **overrides: Any) -> dict[str, Any]:
        return original(role, person_ref=person_ref, **overrides)

    service.create = create  # type: ignore[method-assign]
    try:
        return drive(service, state)
    finally:
        service.create = original  # type: ignore[method-assign]


def _relayed(service: Service, request_id: str) -> bool:
    doc = service.deps.mongo.collection("requests").find_one({"_id": request_id})
    return not doc.get("outbox")


def test_case_withdrawn_clears_only_its_own_mark(service: Service) -> None:
    person = "AZ-VR-000002"
    request = drive_for(service, person, "submitted")
    worker = build_worker(service.deps.settings, service.deps, clock_seconds=3600)
    with running(worker), publisher_for(service.deps.settings) as publisher:
        publisher.publish_event(vr_event("voluntary_return.case.opened", person).to_dict())
        wait_for(
            lambda: service.get(request["id"]).get_json()["voluntary_return"], message="the mark"
        )
        other_case = "c0ffee00-0000-4000-8000-000000000002"
        publisher.publish_event(
            vr_event("voluntary_return.case.withdrawn", person, case_id=other_case).to_dict()
        )
        withdrawn = vr_event("voluntary_return.case.withdrawn", person)
        publisher.publish_event(withdrawn.to_dict())
        publisher.publish_event(withdrawn.to_dict())
        wait_for(lambda: worker.consumer.processed >= 4, message="withdrawals handled")
        after = service.get(request["id"]).get_json()
        assert after["voluntary_return"] is None and after["state"] == "submitted"


def test_the_request_shows_where_the_person_is_held(service: Service) -> None:
    person = "AZ-LOC-000001"
    request = drive_for(service, person, "draft")
    worker = build_worker(service.deps.settings, service.deps, clock_seconds=3600)
    with running(worker), publisher_for(service.deps.settings) as publisher:
        publisher.publish_event(stay_event("opened", person, "stay-1").to_dict())
        found = wait_for(
            lambda: service.get(request["id"]).get_json()["location"], message="the location"
        )
    assert found["held"] is True and found["centre_id"]
    listed = service.client.get(
        f"/api/v1/readmission/requests?person_ref={person}", headers=service.headers()
    )
    assert listed.get_json()["items"][0]["location"]["held"] is True
