"""The relay wakes on work instead of polling: a change stream for other processes' writes, a signal
for its own.

Each relay here would otherwise wait an hour between passes, so an event is published only if the
wake-up under test works. Runs on RabbitMQ and on kombu's MongoDB transport.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pymongo import MongoClient

from passage.bus.outbox import OutboxRelay, after_commit, announce_work
from passage.testing import wait_for
from tests.rabbitnode import BusRig, stay_opened

HOUR = 3600.0


@pytest.fixture
def rig(mongo_url: str, broker_url: str, bus_prefix: str, unique: str) -> Iterator[BusRig]:
    rig = BusRig(mongo_url, f"t_{unique}_wake", broker_url, bus_prefix)
    try:
        yield rig
    finally:
        rig.close()
        if broker_url.startswith("mongodb://"):
            with MongoClient(mongo_url) as client:
                client.drop_database(f"bus_{unique}")


def _sleepy(rig: BusRig, stream_grace: float = 0.0) -> OutboxRelay:
    """A relay that would wait an hour between passes unless woken."""
    return OutboxRelay(
        rig.mongo,
        rig.publisher,
        ["stays"],
        poll_interval=HOUR,
        idle_interval=HOUR,
        poll_interval_unwatched=HOUR,
        stream_grace=stream_grace,
    )


def _sleepy_relay(rig: BusRig, watch: bool = True) -> OutboxRelay:
    relay = _sleepy(rig)
    if not watch:  # as on a server without change streams
        relay._watch = lambda stop: None  # type: ignore[method-assign]
    rig._spawn("relay", lambda: relay.run(rig.stop))
    return relay


def test_a_write_by_another_process_wakes_the_relay_through_the_change_stream(
    rig: BusRig, mongo_url: str
) -> None:
    rig.start_consumer()
    relay = _sleepy_relay(rig)
    wait_for(relay.watching.is_set, timeout=30)
    wait_for(relay.resting.is_set, timeout=30)
    event = stay_opened("P-WAKE-1")
    with MongoClient(mongo_url) as other:  # another process: no in-process signal reaches the relay
        other[rig.mongo.database_name]["stays"].insert_one(
            {"_id": event.subject, "outbox": [event.to_dict()], "outbox_pending": True}
        )
    wait_for(lambda: rig.applied() == {event.id: 1}, timeout=60)
    wait_for(rig.outbox_settled, timeout=30)


def test_an_outbox_write_in_the_same_process_wakes_the_relay_without_a_change_stream(
    rig: BusRig,
) -> None:
    rig.start_consumer()
    relay = _sleepy_relay(rig, watch=False)
    wait_for(relay.resting.is_set, timeout=30)  # its first look found nothing: it now waits an hour
    events = [stay_opened(f"P-WAKE-{i}") for i in range(3)]
    for (
        event
    ) in events:  # the document first, then the signal (a relay woken too early would sleep on)
        rig.mongo.collection("stays").insert_one(
            {"_id": event.subject, "outbox": [event.to_dict()], "outbox_pending": True}
        )
    announce_work("stays")  # as outbox_fields(..., into="stays") does inside the unit of work
    after_commit()  # as the web layer, the consumer base and the clock loop do after it
    wait_for(lambda: rig.applied() == {e.id: 1 for e in events}, timeout=60)
    assert rig.outbox_settled()


def test_an_announcement_reaches_no_relay_before_the_unit_of_work_has_ended(rig: BusRig) -> None:
    """Announced while the write may still roll back: nothing is looked at until after_commit."""
    rig.start_consumer()
    relay = _sleepy_relay(rig, watch=False)
    wait_for(relay.resting.is_set, timeout=30)
    event = stay_opened("P-WAKE-EARLY")
    rig.mongo.collection("stays").insert_one(
        {"_id": event.subject, "outbox": [event.to_dict()], "outbox_pending": True}
    )
    announce_work("stays")
    assert not relay._wake.wait(1.0)  # not woken: the unit of work has not said it committed
    after_commit()
    wait_for(lambda: rig.applied() == {event.id: 1}, timeout=60)


def test_with_a_grace_the_stream_names_a_collection_once_for_a_burst_and_looks_after_it(
    rig: BusRig, mongo_url: str
) -> None:
    """The worker's relay beside prompt relays: a burst of writes by other processes is looked
    at once, after the grace, and everything in it is published."""
    rig.start_consumer()
    relay = _sleepy(rig, stream_grace=1.5)
    passes: list[list[str]] = []
    relay_named = relay.relay_named

    def counted() -> int:
        passes.append(sorted(relay._named))
        return relay_named()

    relay.relay_named = counted  # type: ignore[method-assign]
    rig._spawn("relay", lambda: relay.run(rig.stop))
    wait_for(relay.watching.is_set, timeout=30)
    wait_for(relay.resting.is_set, timeout=30)
    passes.clear()  # the pass that opened the stream
    events = [stay_opened(f"P-BURST-{i}") for i in range(5)]
    with MongoClient(mongo_url) as other:
        for event in events:
            other[rig.mongo.database_name]["stays"].insert_one(
                {"_id": event.subject, "outbox": [event.to_dict()], "outbox_pending": True}
            )
    wait_for(lambda: rig.applied() == {e.id: 1 for e in events}, timeout=60)
    assert passes == [["stays"]]
