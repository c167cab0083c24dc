"""RabbitMQ stopped and restarted while events are pending: every event applied exactly once.

The test runs its own RabbitMQ node (own name, ports and data) so the shared broker is never
disturbed. Publisher confirms are on; a message may arrive twice, the inbox absorbs it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from passage.bus.consumer import INBOX
from passage.testing import port_open, wait_for
from tests.rabbitnode import BusRig, RabbitNode, stay_opened

pytestmark = [pytest.mark.slow, pytest.mark.rabbitmq]

BEFORE_STOP = 50
WHILE_DOWN = 20
APPLIED_BEFORE_STOP = 10


@pytest.fixture
def node(tmp_path: Path, unique: str) -> Iterator[RabbitNode]:
    node = RabbitNode(tmp_path / "rabbit", f"passage-test-{unique}@localhost")
    reason = node.unavailable_reason()
    if reason:
        # In CI a skipped fault test is a fault test that never runs: there it must fail.
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail(f"no private RabbitMQ node in CI: {reason}")
        pytest.skip(f"no private RabbitMQ node: {reason}")
    with node:
        yield node


@pytest.fixture
def rig(node: RabbitNode, mongo_url: str, unique: str) -> Iterator[BusRig]:
    rig = BusRig(mongo_url, f"t_{unique}_restart", node.url, f"test-{unique}.")
    try:
        yield rig
    finally:
        rig.close()


def test_broker_restart_with_pending_events_applies_each_exactly_once(
    node: RabbitNode, rig: BusRig
) -> None:
    first = [stay_opened(f"P-{i}") for i in range(BEFORE_STOP)]
    rig.write_to_outbox(first)
    # The consumer holds the event after the tenth inside its transaction until the broker is
    # down: its commit then happens with the ack impossible, so the broker must redeliver it.
    rig.gate, rig.gate_after = threading.Event(), APPLIED_BEFORE_STOP
    rig.start_consumer(base_delay=0.05, max_delay=0.5)
    rig.start_relay()
    wait_for(rig.blocked.is_set, timeout=60, message="the consumer to be mid-way")
    assert 0 < len(rig.applied()) <= APPLIED_BEFORE_STOP

    node.stop()
    assert not port_open(node.port)
    rig.gate.set()
    later = [stay_opened(f"Q-{i}") for i in range(WHILE_DOWN)]
    rig.write_to_outbox(later)
    everything = first + later
    assert len(rig.applied()) < len(everything)

    node.start()
    wait_for(
        lambda: len(rig.applied()) == len(everything),
        timeout=120,
        interval=0.2,
        message=f"all {len(everything)} effects after the restart",
    )
    wait_for(rig.outbox_settled, timeout=30, message="every outbox to empty")
    assert rig.applied() == {event.id: 1 for event in everything}
    assert rig.mongo.collection(INBOX).count_documents({}) == len(everything)
    assert sum(c.processed for c in rig.consumers) >= len(everything)
