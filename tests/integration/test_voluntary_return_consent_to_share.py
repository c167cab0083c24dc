"""#11 finding 7 through the API, the outbox relay and the real RabbitMQ: nothing about a case
leaves
voluntary return before the migrant's consent to share it with the authorities; recording that
consent publishes ``case.opened`` once (with the case's stage); its withdrawal publishes
``case.withdrawn`` (reason ``consent_to_share_withdrawn``) and then nothing more."""

from __future__ import annotations

import json
from typing import Any

from passage.bus.connection import broker_connection
from passage.bus.outbox import OutboxRelay
from passage.bus.publisher import Publisher
from passage.bus.topology import Topology
from passage.events import validate_event
from tests.integration.test_voluntary_return_support import service

QUEUES = ("readmission.voluntary_return_cases", "detention.voluntary_return_departures")


def _published(url: str, topology: Topology, person_ref: str) -> list[dict[str, Any]]:
    """Every event about ``person_ref`` now waiting on readmission's and detention's queues."""
    seen = []
    with broker_connection(url) as conn:
        channel = conn.channel()
        for queue in QUEUES:
            while (
                message := channel.basic_get(topology.queue_name(queue), no_ack=True)
            ) is not None:
                event = validate_event(json.loads(message.body)).to_dict()
                if event["data"]["person_ref"] == person_ref:
                    seen.append(event)
    return seen


def test_nothing_leaves_before_consent_to_share_and_nothing_after_its_withdrawal(
    rabbit_url, bus_prefix, settings_for
) -> None:
    svc = service(settings_for("voluntary_return", broker=rabbit_url))
    topology = Topology(bus_prefix)
    publisher = Publisher(rabbit_url, topology)
    relay = OutboxRelay(svc.deps.mongo, publisher, ("cases",))
    with broker_connection(
        rabbit_url
    ) as conn:  # the consumers' queues exist before anything could be sent
        topology.declare(conn.default_channel)
    case = svc.case_at(
        "booked"
    )  # referral, registration, counselling, eligibility, consent, document, booking
    ref = case["person_ref"]
    relay.relay_once()
    assert not svc.stored(case["id"]).get("outbox") and _published(rabbit_url, topology, ref) == []

    assert svc.act(case["id"], "record_consent_to_share").status_code == 200
    assert svc.act(case["id"], "record_consent_to_share").status_code == 409  # once only
    assert relay.relay_once() == 1 and relay.relay_once() == 0
    opened = _published(rabbit_url, topology, ref)
    assert [(e["type"], e["data"]["stage"], e["data"]["case_id"]) for e in opened] == [
        ("voluntary_return.case.opened", "booked", case["id"])
    ]

    withdrawn = svc.act(case["id"], "withdraw_consent_to_share")
    assert withdrawn.status_code == 200 and withdrawn.get_json()["stage"] == "booked"
    assert svc.act(case["id"], "confirm_departure").status_code == 200
    relay.relay_once()
    told = _published(rabbit_url, topology, ref)
    assert [(e["type"], e["data"]["reason"]) for e in told] == [
        ("voluntary_return.case.withdrawn", "consent_to_share_withdrawn")
    ]
    assert svc.act(case["id"], "withdraw_consent_to_share").status_code == 422
    publisher.close()
    svc.deps.mongo.close()
