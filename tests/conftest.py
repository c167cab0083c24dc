"""Fixtures shared by every suite: a real SecantusDB server, the real RabbitMQ, isolation.

Integration and e2e tests never mock MongoDB or the broker: each test gets its own database
name and its own bus prefix on the real servers, and cleans its queues up afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from passage.config import Settings, mongo_transport_url
from passage.testing import free_port, port_open, wait_for

RABBIT_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SecantusDB server of the test session's own (or TEST_MONGO_URL if given)."""
    if os.environ.get("TEST_MONGO_URL"):
        yield os.environ["TEST_MONGO_URL"]
        return
    port = free_port()
    data = tmp_path_factory.mktemp("secantus")
    log = open(data / "server.log", "wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "secantus",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            str(data / "db"),
            "--log-level",
            "WARNING",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(
            lambda: port_open(port) or proc.poll() is not None,
            timeout=60,
            message="SecantusDB to listen",
        )
        if proc.poll() is not None:
            raise RuntimeError(f"SecantusDB exited: {(data / 'server.log').read_text()[-2000:]}")
        yield f"mongodb://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def rabbit_url() -> str:
    """The real broker; the suite fails loudly (not skips) when it is down."""
    if not port_open(5672):
        pytest.fail("RabbitMQ is not listening on 127.0.0.1:5672 (.ci/run starts it)")
    return RABBIT_URL


@pytest.fixture
def unique() -> str:
    """A short unique token for database names and bus prefixes."""
    return uuid.uuid4().hex[:10]


@pytest.fixture(params=["rabbitmq", "mongodb"])
def broker_url(request: pytest.FixtureRequest, mongo_url: str, unique: str) -> str:
    """Each bus test runs on RabbitMQ and on kombu's MongoDB transport."""
    if request.param == "rabbitmq":
        return request.getfixturevalue("rabbit_url")
    return mongo_transport_url(mongo_url, f"bus_{unique}")


@pytest.fixture
def bus_prefix(unique: str, rabbit_url: str) -> Iterator[str]:
    """A bus prefix of the test's own; its RabbitMQ queues and exchanges are removed after."""
    prefix = f"test-{unique}."
    yield prefix
    delete_bus_objects(rabbit_url, prefix)


def delete_bus_objects(url: str, prefix: str) -> None:
    """Remove the topology a test declared under ``prefix`` on RabbitMQ."""
    from passage.bus.connection import broker_connection
    from passage.bus.topology import Topology

    topology = Topology(prefix)
    try:
        with broker_connection(url) as conn:
            topology.remove(conn.channel())
    except Exception:  # cleanup is best effort; a leftover prefixed queue harms no other test
        pass


@pytest.fixture
def settings_for(mongo_url: str, unique: str):
    """Build Settings for a service with an isolated database and bus prefix."""

    def make(service: str, broker: str = "", **overrides) -> Settings:
        return Settings.from_env(
            service,
            env={},
            mongo_url=mongo_url,
            mongo_db=f"t_{unique}_{service}",
            amqp_url=broker,
            bus_prefix=f"test-{unique}.",
            **overrides,
        )

    return make


REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def service_down() -> Iterator[str]:
    """The URL of a service that is down for the test (its port held, never listening)."""
    from passage.testing import down_url

    with down_url() as url:
        yield url
