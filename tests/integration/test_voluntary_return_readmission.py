"""The worker on the real bus (RabbitMQ and the MongoDB transport): an accepted readmission
request flags "forced route open" on the person's open cases once, however often it is
delivered; an unknown person's acceptance is recorded and acked (and flags a case opened
later); the relay publishes the cases' events."""

from __future__ import annotations

import json
import uuid
from typing import Any

from passage.bus.connection import broker_connection
from passage.bus.topology import Topology
from passage.events import Envelope, new_event, registry, validate_event
from passage.testing import wait_for
from tests.integration.test_locations_support import publisher_for, running
from tests.integration.test_voluntary_return_support import new_ref, service
from voluntary_return.routes import READMISSION_OUTCOMES
from voluntary_return.worker import build_worker


def accepted(person_ref: str) -> Envelope:
    data = {
        **registry().get("readmission.request.accepted", 1).examples[0],
        "person_ref": person_ref,
        "request_id": str(uuid.uuid4()),
    }
    return validate_event(
        new_event(
            "readmission.request.accepted",
            source="readmission",
            subject=data["request_id"],
            data=data,
        ).to_dict()
    )


def _inbox(svc: Any, event: Envelope) -> int:
    queue = Topology(svc.settings.bus_prefix).queue_name(READMISSION_OUTCOMES)
    return svc.deps.mongo.collection("inbox").count_documents({"_id": f"{queue}:{event.id}"})


def test_accepted_readmission_flags_open_cases_once_under_redelivery(
    broker_url, bus_prefix, settings_for
) -> None:
    settings = settings_for("voluntary_return", broker=broker_url)
    svc = service(settings)
    ref = new_ref()
    open_case, other_open = (
        svc.case_at("eligible", ref, shared=True),
        svc.case_at("referred", ref, shared=True),
    )
    finished = svc.case_at("withdrawn", ref, shared=True)
    event, stranger = accepted(ref), accepted(new_ref())
    worker = build_worker(settings, svc.deps)
    with running(worker), publisher_for(settings) as publisher:
        for _ in range(3):  # the same event delivered three times
            publisher.publish_event(event.to_dict())
        publisher.publish_event(stranger.to_dict())
        wait_for(
            lambda: worker.consumer.processed >= 4,
            timeout=60,
            message="the deliveries to be handled",
        )
        wait_for(
            lambda: (
                not svc.deps.mongo.collection("cases").count_documents({"outbox_pending": True})
            ),
            timeout=60,
            message="the relay to publish the cases' events",
        )
    assert _inbox(svc, event) == 1 and _inbox(svc, stranger) == 1
    for case in (open_case, other_open):
        seen = svc.get(f"/cases/{case['id']}").get_json()
        assert seen["forced_route_open"] is True and seen["version"] == case["version"] + 1
        assert [r["request_id"] for r in seen["forced_routes"]] == [event.data["request_id"]]
    assert svc.stored(finished["id"])["version"] == finished["version"]
    assert (
        "forced_routes" not in svc.get(f"/cases/{finished['id']}").get_json()
        or svc.get(f"/cases/{finished['id']}").get_json()["forced_route_open"] is False
    )
    routes = svc.deps.mongo.collection("forced_routes")
    assert routes.find_one({"person_ref": stranger.data["person_ref"]})["cases_flagged"] == 0
    later = svc.refer(stranger.data["person_ref"]).get_json()
    assert later["forced_route_open"] is True and later["forced_routes"][0]["member_state"] == "DE"
    _check_events_were_published(settings, ref)
    svc.deps.mongo.close()


def _check_events_were_published(settings: Any, ref: str) -> None:
    """readmission's queue got the cases' opened/withdrawn events through the relay."""
    queue = Topology(settings.bus_prefix).queue_name("readmission.voluntary_return_cases")
    seen: list[dict[str, Any]] = []
    with broker_connection(settings.broker_url) as conn:
        channel = conn.channel()
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            seen.append(validate_event(json.loads(message.body)).to_dict())
    mine = sorted(e["type"] for e in seen if e["data"]["person_ref"] == ref)
    assert mine == ["voluntary_return.case.opened"] * 3 + ["voluntary_return.case.withdrawn"]
