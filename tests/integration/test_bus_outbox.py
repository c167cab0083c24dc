"""Outbox → relay → consumer on the real brokers: nothing lost, nothing applied twice.

Runs on RabbitMQ and on kombu's MongoDB transport (``broker_url`` is parametrised).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pymongo import MongoClient, monitoring
from pymongo.errors import DuplicateKeyError

from passage.bus.consumer import INBOX, EventConsumer, Subscription
from passage.bus.outbox import (
    OutboxRelay,
    committed,
    outbox_fields,
    settle,
    take_announced,
    take_committed,
    with_outbox,
)
from passage.bus.topology import ROUTES
from passage.mongo import Mongo
from passage.testing import wait_for
from tests.rabbitnode import QUEUE, BusRig, stay_opened

# A relay whose publisher dies right after the broker confirmed the first envelope: the
# envelope is out, but the process never gets to pull it from the document.
CRASHING_RELAY = """
import os, sys
from passage.bus.outbox import OutboxRelay
from passage.bus.publisher import Publisher
from passage.bus.topology import Topology
from passage.mongo import Mongo

class CrashAfterPublish(Publisher):
    def publish_event(self, envelope):
        super().publish_event(envelope)
        os._exit(17)

mongo_url, database, broker_url, prefix = sys.argv[1:5]
publisher = CrashAfterPublish(broker_url, Topology(prefix))
relay = OutboxRelay(Mongo(mongo_url, database), publisher, ["stays"])
relay.relay_once()
sys.exit(3)  # not reached: the publish above ends the process
"""


@pytest.fixture
def rig(mongo_url: str, broker_url: str, bus_prefix: str, unique: str) -> Iterator[BusRig]:
    rig = BusRig(mongo_url, f"t_{unique}_bus", broker_url, bus_prefix)
    try:
        yield rig
    finally:
        rig.close()
        if broker_url.startswith("mongodb://"):
            with MongoClient(mongo_url) as client:
                client.drop_database(f"bus_{unique}")


def inbox_count(rig: BusRig) -> int:
    return rig.mongo.collection(INBOX).count_documents({})


def test_outbox_to_consumer_applies_each_event_once(rig: BusRig) -> None:
    events = [stay_opened(f"P-{i}") for i in range(5)]
    rig.write_to_outbox(events[:3])
    # Two more events appended to an existing document in one update (as a transfer would).
    rig.mongo.collection("stays").update_one(
        {"_id": events[0].subject}, with_outbox({"$set": {"status": "transferred"}}, events[3:])
    )
    rig.start_consumer()
    rig.start_relay()
    wait_for(lambda: len(rig.applied()) == 5, timeout=30, message="five effects")
    wait_for(rig.outbox_settled, timeout=10, message="outboxes to empty")
    assert rig.applied() == {e.id: 1 for e in events}
    assert inbox_count(rig) == 5
    first = rig.mongo.collection(INBOX).find_one(
        {"_id": f"{rig.topology.queue_name(QUEUE)}:{events[0].id}"}
    )
    assert first is not None and first["type"] == "detention.stay.opened"
    assert (
        rig.mongo.collection("stays").find_one({"_id": events[0].subject})["status"]
        == "transferred"
    )


def test_settling_pulls_only_what_went_out_and_keeps_the_flag_while_events_wait(
    rig: BusRig,
) -> None:
    """An event pushed between the relay's read and its settle stays, flagged, for the next pass."""
    stays = rig.mongo.collection("stays")
    first, second = stay_opened("P-1"), stay_opened("P-1")
    rig.write_to_outbox([first])
    stays.update_one({"_id": first.subject}, with_outbox({"$set": {}}, [second]))
    settle(stays, first.subject, [first.id])
    left = stays.find_one({"_id": first.subject})
    assert [e["id"] for e in left["outbox"]] == [second.id] and left["outbox_pending"] is True
    settle(stays, first.subject, [second.id])
    settle(stays, first.subject, [second.id])  # a duplicate settle changes nothing
    done = stays.find_one({"_id": first.subject})
    assert done["outbox"] == [] and "outbox_pending" not in done
    assert stays.count_documents({"outbox_pending": {"$exists": True}}) == 0


def test_a_relay_told_of_more_documents_than_its_batch_publishes_them_all_in_one_pass(
    rig: BusRig,
) -> None:
    events = [stay_opened(f"P-{i}") for i in range(12)]
    unnamed = stay_opened("P-not-named")
    rig.write_to_outbox([*events, unnamed])
    relay = OutboxRelay(rig.mongo, rig.publisher, ["stays"], batch_size=5)
    relay.notify({"stays": frozenset(e.subject for e in events)})
    assert relay.relay_named() == 12
    left = rig.mongo.collection("stays").find({"outbox_pending": True}, {"_id": 1})
    assert [doc["_id"] for doc in left] == [unnamed.subject]


class _Finds(monitoring.CommandListener):
    """The filters of ``find`` commands sent by clients made after it was registered."""

    def __init__(self, collection: str) -> None:
        self.collection = collection
        self.filters: list[Any] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command.get("find") == self.collection:
            self.filters.append(event.command.get("filter"))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def test_a_relay_handed_committed_documents_sends_them_without_reading_them_back(
    rig: BusRig, mongo_url: str
) -> None:
    events = [stay_opened(f"P-{i}") for i in range(3)]
    docs = [{"_id": e.subject, "status": "open", **outbox_fields([e])} for e in events]
    rig.mongo.collection("stays").insert_many([dict(d) for d in docs])
    take_announced()  # outbox_fields announced them in this context; the notice below says it
    committed("stays", [*docs[:2], {"_id": "no-events", "outbox": []}])
    handed = take_committed()
    assert set(handed["stays"]) == {docs[0]["_id"], docs[1]["_id"]} and not take_committed()
    finds = _Finds("stays")
    monitoring.register(finds)  # counts the relay's own client, made after this
    relay = OutboxRelay(Mongo(mongo_url, rig.mongo.database_name), rig.publisher, ["stays"])
    relay.notify({"stays": frozenset(d["_id"] for d in docs)}, handed)
    try:
        assert relay.relay_named() == 3
    finally:
        relay.mongo.close()
    assert finds.filters == [{"_id": {"$in": [docs[2]["_id"]]}}]  # the one not handed over
    assert rig.mongo.collection("stays").count_documents({"outbox_pending": True}) == 0
    rig.start_consumer()
    wait_for(lambda: len(rig.applied()) == 3, timeout=30, message="three effects")
    assert rig.applied() == {e.id: 1 for e in events}


@pytest.mark.slow
def test_relay_killed_between_publish_and_pull_delivers_twice_applies_once(
    rig: BusRig, mongo_url: str, broker_url: str, bus_prefix: str
) -> None:
    event = stay_opened()
    rig.write_to_outbox([event])
    crashed = subprocess.run(
        [
            sys.executable,
            "-c",
            CRASHING_RELAY,
            mongo_url,
            rig.mongo.database_name,
            broker_url,
            bus_prefix,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert crashed.returncode == 17, crashed.stderr[-2000:]
    stay = rig.mongo.collection("stays").find_one({"_id": event.subject})
    assert [e["id"] for e in stay["outbox"]] == [event.id] and stay["outbox_pending"] is True

    consumer = rig.start_consumer()
    rig.start_relay()
    wait_for(lambda: consumer.processed >= 2, timeout=30, message="the event to arrive twice")
    wait_for(rig.outbox_settled, timeout=10, message="the outbox to empty")
    assert consumer.processed == 2
    assert rig.applied() == {event.id: 1}
    assert inbox_count(rig) == 1
    stay = rig.mongo.collection("stays").find_one({"_id": event.subject})
    assert stay["outbox"] == [] and "outbox_pending" not in stay


def test_event_delivered_twice_has_one_effect(rig: BusRig) -> None:
    event, other = stay_opened(), stay_opened()
    for envelope in (event, event, other, event):
        rig.publisher.publish_event(event.to_dict() if envelope is event else other.to_dict())
    consumer = rig.start_consumer()
    wait_for(lambda: consumer.processed >= 4, timeout=30, message="four deliveries")
    assert rig.applied() == {event.id: 1, other.id: 1}
    assert inbox_count(rig) == 2


def test_concurrent_deliveries_of_one_event_apply_it_once(rig: BusRig) -> None:
    """Two consumers racing on the same event id: the inbox key lets exactly one through."""
    workers = [
        EventConsumer(rig.broker_url, rig.topology, rig.mongo, rig.publisher, [rig.subscription()])
        for _ in range(6)
    ]
    event = stay_opened()
    barrier = threading.Barrier(len(workers))
    results: list[bool] = []
    errors: list[BaseException] = []

    def race(worker: EventConsumer) -> None:
        barrier.wait()
        try:
            results.append(worker.apply_once(rig.topology.queue_name(QUEUE), event, rig.handle))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=race, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(results) == [False] * 5 + [True]
    assert rig.applied() == {event.id: 1}
    assert inbox_count(rig) == 1


def test_a_handler_duplicate_key_error_is_a_failure_not_a_done_event(rig: BusRig) -> None:
    """Only the inbox's own duplicate means "already processed"; the handler's rolls everything
    back."""

    def clashing(event: Any, session: Any) -> None:
        rig.effects.insert_one({"_id": "taken"}, session=session)

    rig.effects.insert_one({"_id": "taken"})
    worker = EventConsumer(
        rig.broker_url, rig.topology, rig.mongo, rig.publisher, [rig.subscription()]
    )
    with pytest.raises(DuplicateKeyError):
        worker.apply_once(rig.topology.queue_name(QUEUE), stay_opened(), clashing)
    assert inbox_count(rig) == 0


def test_an_idempotent_subscription_runs_its_handler_alone_and_a_duplicate_changes_nothing(
    rig: BusRig,
) -> None:
    """No inbox marker, no transaction (the handler gets no session): its own conditional write is
    the effect, so the second delivery of an event — and an older one after a newer — change
    nothing; a failing handler is still retried and then dead-lettered, never acked silently."""
    sessions: list[Any] = []
    newest = rig.mongo.collection("newest")

    def keep_newest(event: Any, session: Any) -> None:
        """A read model keeping each person's newest fact (by event time), as locations do."""
        sessions.append(session)
        if event.id in rig.failing:
            raise RuntimeError("handler bug (test)")
        person = event.data["person_ref"]
        if newest.find_one({"_id": person}) is None:
            newest.insert_one({"_id": person, "time": event.time, "event": event.id})
        else:
            newest.update_one(
                {"_id": person, "time": {"$lt": event.time}},
                {"$set": {"time": event.time, "event": event.id}},
            )

    first = stay_opened("P-IDEM")
    time.sleep(0.01)
    second, broken = stay_opened("P-IDEM"), stay_opened("P-BROKEN")
    assert first.time < second.time
    rig.failing.add(broken.id)
    subscription = Subscription(QUEUE, dict.fromkeys(ROUTES[QUEUE], keep_newest), idempotent=True)
    consumer = EventConsumer(
        rig.broker_url,
        rig.topology,
        rig.mongo,
        rig.publisher,
        [subscription],
        max_attempts=2,
        base_delay=0.01,
    )
    rig.consumers.append(consumer)
    for event in (first, second, second, first, broken):
        rig.publisher.publish_event(event.to_dict())
    rig._spawn("consumer", lambda: consumer.run_until(rig.stop))
    wait_for(lambda: consumer.processed >= 4, timeout=30, message="four deliveries")
    wait_for(lambda: len(sessions) >= 6, timeout=30, message="the broken event tried twice")
    assert set(sessions) == {None}
    assert newest.find_one({"_id": "P-IDEM"}) == {
        "_id": "P-IDEM",
        "time": second.time,
        "event": second.id,
    }
    assert inbox_count(rig) == 0
    assert consumer.processed == 4  # the broken one was not counted as done
