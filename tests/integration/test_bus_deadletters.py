"""Poison messages go to ``<queue>.dlq`` with a reason, the consumer keeps going, replay works.

Runs on RabbitMQ and on kombu's MongoDB transport (``broker_url`` is parametrised).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from pymongo import MongoClient

from passage.bus.consumer import INBOX
from passage.bus.deadletters import DeadLetter, DeadLetters
from passage.config import Settings
from passage.testing import wait_for
from tests.rabbitnode import QUEUE, BusRig, stay_opened

ROUTING_KEY = "detention.stay.opened.v1"


@pytest.fixture
def rig(mongo_url: str, broker_url: str, bus_prefix: str, unique: str) -> Iterator[BusRig]:
    rig = BusRig(mongo_url, f"t_{unique}_dlq", broker_url, bus_prefix)
    try:
        yield rig
    finally:
        rig.close()
        if broker_url.startswith("mongodb://"):
            with MongoClient(mongo_url) as client:
                client.drop_database(f"bus_{unique}")


def publish_raw(rig: BusRig, body: bytes, content_type: str) -> None:
    rig.publisher.publish_raw(
        body, rig.topology.events_exchange("detention"), ROUTING_KEY, content_type=content_type
    )


def parked(rig: BusRig) -> list[DeadLetter]:
    return DeadLetters(rig.broker_url, rig.topology).list(QUEUE)


def parked_at_least(rig: BusRig, count: int) -> list[DeadLetter] | None:
    letters = parked(rig)
    return letters if len(letters) >= count else None


def reason_kinds(letters: list[DeadLetter]) -> list[str]:
    return sorted(letter.reason.split(":", 1)[0] for letter in letters)


@pytest.mark.slow
def test_poison_messages_are_parked_and_the_consumer_keeps_going(
    rig: BusRig, broker_url: str, bus_prefix: str, mongo_url: str
) -> None:
    good_before, good_after, broken = stay_opened("P-1"), stay_opened("P-2"), stay_opened("P-3")
    invalid = {
        **stay_opened("P-4").to_dict(),
        "data": {"person_ref": "Jane Doe", "full_name": "Jane Doe"},
    }
    rig.failing.add(broken.id)
    consumer = rig.start_consumer(max_attempts=2, base_delay=0.05)

    rig.publisher.publish_event(good_before.to_dict())
    publish_raw(rig, b"\xff\xfe{not json", "application/json")
    publish_raw(rig, b"\x80\x04K\x01.", "application/x-python-serialize")  # a pickle: never decoded
    publish_raw(rig, json.dumps(invalid).encode(), "application/json")
    rig.publisher.publish_event(broken.to_dict())
    rig.publisher.publish_event(good_after.to_dict())

    wait_for(
        lambda: good_after.id in rig.applied(),
        timeout=30,
        message="the good message after the poison",
    )
    assert rig.applied() == {good_before.id: 1, good_after.id: 1}
    letters = wait_for(lambda: parked_at_least(rig, 4), timeout=20, message="four dead letters")
    assert reason_kinds(letters) == ["failed 2 times", "invalid", "undecodable", "undecodable"]
    by_id = {letter.event_id: letter for letter in letters}
    assert by_id[broken.id].attempts == 2 and "RuntimeError" in by_id[broken.id].reason
    assert (
        by_id[invalid["id"]].reason.startswith("invalid: ") and by_id[invalid["id"]].attempts == 0
    )
    assert all(letter.dead_lettered_at for letter in letters)
    assert "Jane Doe" not in json.dumps([letter.__dict__ for letter in letters]), (
        "no values in reasons"
    )
    assert len(parked(rig)) == 4, "listing must not consume the dead letters"

    if broker_url.startswith("amqp://"):
        assert reason_kinds(cli_list(broker_url, bus_prefix, mongo_url)) == reason_kinds(letters)

    # The bug is fixed; replaying that one message applies it once and leaves the others parked.
    rig.failing.clear()
    assert DeadLetters(rig.broker_url, rig.topology).replay(QUEUE, {broken.id}) == 1
    wait_for(
        lambda: rig.applied().get(broken.id) == 1, timeout=30, message="the replayed event to apply"
    )
    assert reason_kinds(parked(rig)) == ["invalid", "undecodable", "undecodable"]
    assert rig.applied() == {good_before.id: 1, good_after.id: 1, broken.id: 1}
    assert rig.mongo.collection(INBOX).count_documents({}) == 3
    assert consumer.processed == 3


def test_replaying_an_already_applied_event_changes_nothing(rig: BusRig) -> None:
    """A replay of something that did apply (e.g. parked after a lost ack) is absorbed by the
    inbox."""
    event = stay_opened()
    consumer = rig.start_consumer()
    rig.publisher.publish_event(event.to_dict())
    wait_for(lambda: consumer.processed == 1, timeout=30, message="the first delivery")
    rig.publisher.publish_raw(
        json.dumps(event.to_dict()).encode(),
        rig.topology.dead_letter_exchange(),
        rig.topology.queue_name(QUEUE),
        headers={"x-passage-reason": "test"},
    )
    assert DeadLetters(rig.broker_url, rig.topology).replay(QUEUE) == 1
    wait_for(lambda: consumer.processed == 2, timeout=30, message="the replayed delivery")
    assert rig.applied() == {event.id: 1}
    assert parked(rig) == []


def cli_list(broker_url: str, prefix: str, mongo_url: str) -> list[DeadLetter]:
    """``python -m passage.bus.deadletters list QUEUE`` as an operator runs it."""
    env = {
        **os.environ,
        "AMQP_URL": broker_url,
        "PASSAGE_BUS_PREFIX": prefix,
        "MONGO_URL": mongo_url,
    }
    result = subprocess.run(
        [sys.executable, "-m", "passage.bus.deadletters", "list", QUEUE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return [DeadLetter(**json.loads(line)) for line in result.stdout.splitlines() if line.strip()]


def test_cli_lists_and_replays_on_the_embedded_transport(
    mongo_url: str, bus_prefix: str, unique: str
) -> None:
    """Without AMQP_URL the command finds the MongoDB-transport bus the services use."""
    env = {k: v for k, v in os.environ.items() if k != "AMQP_URL"}
    env.update(MONGO_URL=mongo_url, PASSAGE_BUS_PREFIX=bus_prefix)
    broker_url = Settings.from_env("admin", env=env).broker_url
    assert broker_url.startswith("mongodb://")
    rig = BusRig(mongo_url, f"t_{unique}_cli", broker_url, bus_prefix)
    try:
        event = stay_opened()
        rig.publisher.publish_raw(
            json.dumps(event.to_dict()).encode(),
            rig.topology.dead_letter_exchange(),
            rig.topology.queue_name(QUEUE),
            headers={"x-passage-reason": "invalid: test"},
        )
        command = [sys.executable, "-m", "passage.bus.deadletters"]
        listed = subprocess.run(
            [*command, "list", QUEUE], env=env, capture_output=True, text=True, timeout=60
        )
        assert listed.returncode == 0, listed.stderr[-2000:]
        assert [json.loads(line)["event_id"] for line in listed.stdout.splitlines()] == [event.id]
        replayed = subprocess.run(
            [*command, "replay", QUEUE, "--id", event.id],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert replayed.returncode == 0 and "replayed 1" in replayed.stdout, replayed.stderr[-2000:]
        assert parked(rig) == []
    finally:
        rig.close()
        with MongoClient(mongo_url) as client:
            client.drop_database(broker_url.rsplit("/", 1)[1])


def test_cli_refuses_an_unknown_queue() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "passage.bus.deadletters", "list", "no.such.queue"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "invalid choice" in result.stderr
