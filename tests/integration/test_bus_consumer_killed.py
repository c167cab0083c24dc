"""A consumer killed with SIGKILL in the middle of a message loses nothing, on either transport.

The killed process holds the message unacknowledged inside its handler; RabbitMQ redelivers it
when the connection drops, the embedded (MongoDB) transport when the message's lease runs out.
The next consumer applies it, exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
from pymongo import MongoClient

from passage.bus.connection import is_mongo_transport
from passage.bus.consumer import INBOX
from passage.testing import wait_for
from tests.rabbitnode import QUEUE, BusRig, stay_opened

pytestmark = pytest.mark.slow

LEASE_SECONDS = 2.0

# A consumer whose handler records that it started, then hangs until it is killed: the message
# is fetched and unacknowledged, its transaction open and uncommitted.
HANGING_CONSUMER = """
import sys, threading, time
from passage.bus.consumer import EventConsumer, Subscription
from passage.bus.publisher import Publisher
from passage.bus.topology import ROUTES, Topology
from passage.mongo import Mongo

mongo_url, database, broker_url, prefix, lease = sys.argv[1:6]  # argv[6]: the queue
mongo = Mongo(mongo_url, database)

def hang(event, session):
    mongo.collection("effects").update_one({"_id": event.id}, {"$inc": {"applied": 1}}, upsert=True,
                                           session=session)
    mongo.collection("started").insert_one({"_id": event.id, "pid": __import__("os").getpid()})
    time.sleep(3600)

queue = sys.argv[6]
topology = Topology(prefix)
consumer = EventConsumer(broker_url, topology, mongo, Publisher(broker_url, topology),
                         [Subscription(queue, {key: hang for key in ROUTES[queue]})],
                         lease_seconds=float(lease))
consumer.run_until(threading.Event())
"""


@pytest.fixture
def rig(mongo_url: str, broker_url: str, bus_prefix: str, unique: str) -> Iterator[BusRig]:
    rig = BusRig(mongo_url, f"t_{unique}_killed", broker_url, bus_prefix)
    try:
        yield rig
    finally:
        rig.close()
        if is_mongo_transport(broker_url):
            with MongoClient(mongo_url) as client:
                client.drop_database(f"bus_{unique}")


def start_hanging_consumer(rig: BusRig, mongo_url: str, bus_prefix: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            HANGING_CONSUMER,
            mongo_url,
            rig.mongo.database_name,
            rig.broker_url,
            bus_prefix,
            str(LEASE_SECONDS),
            QUEUE,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def messages_left(rig: BusRig, mongo_url: str) -> int:
    """Messages still on the consumer's queue of the embedded bus (0 on RabbitMQ: not ours to
    count)."""
    if not is_mongo_transport(rig.broker_url):
        return 0
    database = rig.broker_url.rsplit("/", 1)[1].split("?")[0]
    with MongoClient(mongo_url) as client:
        return client[database]["messages"].count_documents(
            {"queue": rig.topology.queue_name(QUEUE)}
        )


def test_consumer_killed_mid_message_the_message_is_redelivered_and_applied_once(
    rig: BusRig, mongo_url: str, bus_prefix: str
) -> None:
    event, later = stay_opened("P-killed"), stay_opened("P-later")
    rig.write_to_outbox([event])
    rig.start_relay()
    victim = start_hanging_consumer(rig, mongo_url, bus_prefix)
    try:
        wait_for(
            lambda: (
                rig.mongo.collection("started").count_documents({}) == 1
                or victim.poll() is not None
            ),
            timeout=60,
            message="the first consumer to be inside its handler",
        )
        assert victim.poll() is None, victim.stderr.read().decode()[-2000:] if victim.stderr else ""
        assert rig.mongo.collection("started").find_one({"_id": event.id}) is not None
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    assert rig.applied() == {}  # its transaction died with it

    consumer = rig.start_consumer(lease_seconds=LEASE_SECONDS)
    rig.write_to_outbox([later])
    wait_for(
        lambda: rig.applied() == {event.id: 1, later.id: 1},
        timeout=180,
        interval=0.2,
        message="the killed consumer's message and a later one to be applied",
    )
    wait_for(lambda: messages_left(rig, mongo_url) == 0, timeout=30, message="the bus to be empty")
    assert rig.applied() == {event.id: 1, later.id: 1}
    assert rig.mongo.collection(INBOX).count_documents({}) == 2
    assert consumer.processed == 2
