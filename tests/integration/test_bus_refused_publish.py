"""A broker that refuses a publish, on the real RabbitMQ: the publisher raises on the broker's nack
and the outbox relay keeps the event and delivers it once the broker takes messages again.

The refusal is RabbitMQ's own: a queue bound to the events exchange with ``x-max-length: 0`` and
``x-overflow: reject-publish`` makes every confirmed publish routed to it come back as a nack.
Without publisher confirms the same publish "succeeds" and the event is lost — these tests catch
that in seconds (the broker-restart fault test is slow and needs a private node).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from kombu import Queue

from passage.bus.connection import broker_connection
from passage.bus.outbox import OutboxRelay
from passage.bus.publisher import Publisher
from passage.testing import wait_for
from tests.rabbitnode import QUEUE, BusRig, stay_opened

pytestmark = pytest.mark.rabbitmq


class Refusal:
    """A reject-publish queue of length 0 bound to ``<prefix>detention.events`` (every key)."""

    def __init__(self, rig: BusRig) -> None:
        self.rig = rig
        self.name = f"{rig.topology.queue_name('refuser')}"

    def __enter__(self) -> Refusal:
        queue = Queue(
            self.name,
            exchange=self.rig.topology.events_exchange("detention"),
            routing_key="#",
            durable=False,
            queue_arguments={"x-max-length": 0, "x-overflow": "reject-publish"},
        )
        with broker_connection(self.rig.broker_url) as conn:
            queue(conn.channel()).declare()
        return self

    def __exit__(self, *exc: object) -> None:
        with broker_connection(self.rig.broker_url) as conn:
            conn.channel().queue_delete(self.name)


class CountingPublisher(Publisher):
    """The real publisher, counting attempts so a test can wait for the relay to have retried."""

    attempts = 0

    def publish_event(self, envelope: Any) -> None:
        self.attempts += 1
        super().publish_event(envelope)


@pytest.fixture
def rig(mongo_url: str, rabbit_url: str, bus_prefix: str, unique: str) -> Iterator[BusRig]:
    rig = BusRig(mongo_url, f"t_{unique}_refused", rabbit_url, bus_prefix)
    rig.publisher.publish_event(
        stay_opened().to_dict()
    )  # declares the topology (exchange and queues)
    try:
        yield rig
    finally:
        rig.close()


def _delivered(rig: BusRig) -> list[str]:
    """Ids of the events waiting in the consumer's queue (taken off it)."""
    ids = []
    with broker_connection(rig.broker_url) as conn:
        channel = conn.channel()
        while (
            message := channel.basic_get(rig.topology.queue_name(QUEUE), no_ack=True)
        ) is not None:
            ids.append(json.loads(message.body)["id"])
    return ids


def _pending(rig: BusRig, event_id: str) -> bool:
    doc = rig.mongo.collection("stays").find_one({"outbox.id": event_id})
    return doc is not None and doc.get("outbox_pending") is True


def test_a_publish_the_broker_refuses_raises_and_the_next_one_goes_through(rig: BusRig) -> None:
    _delivered(rig)
    refused, accepted = stay_opened(), stay_opened()
    with Refusal(rig):
        with pytest.raises(Exception):  # noqa: B017  (whatever the broker answers: the point is what stays)
            rig.publisher.publish_event(refused.to_dict())
    rig.publisher.publish_event(accepted.to_dict())
    assert accepted.id in _delivered(rig)


def test_the_relay_keeps_a_refused_event_and_sends_it_once_the_broker_takes_it(rig: BusRig) -> None:
    _delivered(rig)
    event = stay_opened()
    rig.write_to_outbox([event])
    relay = OutboxRelay(rig.mongo, rig.publisher, ["stays"])
    with Refusal(rig):
        with pytest.raises(Exception):  # noqa: B017  (whatever the broker answers: the point is what stays)
            relay.relay_once()  # the error reaches the relay's caller: nothing is pulled
        assert _pending(rig, event.id)
    assert relay.relay_once() == 1
    assert rig.outbox_settled()
    # A nack means "not every queue took it": RabbitMQ may still have routed copies of the refused
    # attempts to the other queues. Duplicates are allowed (the inbox absorbs them), loss is not.
    assert set(_delivered(rig)) == {event.id}


def test_the_running_relay_retries_a_refused_event_until_it_is_delivered(rig: BusRig) -> None:
    _delivered(rig)
    event = stay_opened()
    rig.write_to_outbox([event])
    publisher = CountingPublisher(rig.broker_url, rig.topology)
    relay = OutboxRelay(rig.mongo, publisher, ["stays"])
    stop = threading.Event()
    worker = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    try:
        with Refusal(rig):
            worker.start()
            wait_for(lambda: publisher.attempts >= 2, timeout=15, message="the relay to try twice")
            assert _pending(rig, event.id)  # refused twice, still kept
        wait_for(
            rig.outbox_settled, timeout=15, message="the relay to deliver after the refusal ends"
        )
    finally:
        stop.set()
        worker.join(timeout=15)
        publisher.close()
    assert set(_delivered(rig)) == {
        event.id
    }  # delivered; copies of refused attempts are duplicates, not loss
