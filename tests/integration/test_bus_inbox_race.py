"""The inbox under the one interleaving that matters, forced rather than hoped for (real
SecantusDB):
a second delivery of the same event passes the "already processed?" check while the first
delivery's transaction — marker and effect — is still open. Exactly one effect, in about a second.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from pymongo import monitoring

from passage.bus.consumer import INBOX, EventConsumer
from passage.mongo import Mongo
from tests.rabbitnode import QUEUE, BusRig, stay_opened

WRITES = ("insert", "update", "findAndModify", "delete")


class _WritesFrom(monitoring.CommandListener):
    """Sets ``wrote`` when ``thread`` sends its first write command (pymongo command monitoring)."""

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None
        self.wrote = threading.Event()

    def started(self, event: Any) -> None:
        if (
            self.thread is not None
            and threading.current_thread() is self.thread
            and event.command_name in WRITES
        ):
            self.wrote.set()

    def succeeded(self, event: Any) -> None:
        pass

    def failed(self, event: Any) -> None:
        pass


@pytest.fixture
def rig(mongo_url: str, rabbit_url: str, bus_prefix: str, unique: str) -> Iterator[BusRig]:
    rig = BusRig(mongo_url, f"t_{unique}_inbox", rabbit_url, bus_prefix)
    try:
        yield rig
    finally:
        rig.close()


def test_a_redelivery_racing_the_open_first_delivery_has_no_second_effect(
    rig: BusRig, mongo_url: str
) -> None:
    listener = _WritesFrom()
    monitoring.register(listener)  # process-wide; it reacts only to the racing thread below
    other_worker = Mongo(
        mongo_url, rig.mongo.database_name
    )  # a second consumer process's own client
    first = EventConsumer(
        rig.broker_url, rig.topology, rig.mongo, rig.publisher, [rig.subscription()]
    )
    second = EventConsumer(
        rig.broker_url, rig.topology, other_worker, rig.publisher, [rig.subscription()]
    )
    event, queue = stay_opened(), rig.topology.queue_name(QUEUE)
    results: dict[str, bool] = {}
    racer = threading.Thread(
        target=lambda: results.setdefault("second", second.apply_once(queue, event, rig.handle))
    )
    listener.thread = racer

    def first_delivery(envelope: Any, session: Any) -> None:
        rig.handle(envelope, session)  # the effect, inside the still-open transaction
        if not racer.is_alive() and "second" not in results and racer.ident is None:
            # the redelivery arrives now: it finds no committed marker and goes on to write
            racer.start()
        listener.wrote.wait(timeout=10)

    try:
        results["first"] = first.apply_once(queue, event, first_delivery)
        racer.join(timeout=60)
    finally:
        listener.thread = None
        other_worker.close()
    assert listener.wrote.is_set(), (
        "the second delivery never reached its write: the race was not forced"
    )
    assert results == {"first": True, "second": False}
    assert rig.applied() == {event.id: 1}
    assert rig.mongo.collection(INBOX).count_documents({}) == 1
