"""Test-only helpers for the bus tests: a private RabbitMQ node, and a relay/consumer rig.

The fault tests stop and restart a broker; they do it to a node of their own (own node name,
ports, Mnesia directory, cookie, config) so the shared broker at 127.0.0.1:5672 is never
disturbed, and whatever they start they stop.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pymongo.client_session import ClientSession

from passage.bus.consumer import EventConsumer, Subscription
from passage.bus.outbox import OutboxRelay, outbox_fields
from passage.bus.publisher import Publisher
from passage.bus.topology import ROUTES, Topology
from passage.events import Envelope, new_event, registry
from passage.mongo import Mongo
from passage.testing import free_port, port_open, wait_for

SBIN_CANDIDATES = (
    "/usr/lib/rabbitmq/bin",
    "/usr/lib/rabbitmq/sbin",
    "/usr/local/sbin",
    "/usr/sbin",
)
QUEUE = "readmission.detention_location"


def rabbitmq_script(name: str) -> str | None:
    """The real RabbitMQ script (not Debian's /usr/sbin wrapper, which su's to the rabbitmq
    user)."""
    for folder in SBIN_CANDIDATES:
        path = Path(folder) / name
        if path.exists() and "su rabbitmq" not in path.read_text(errors="replace"):
            return str(path)
    return shutil.which(name)


class RabbitNode:
    """A RabbitMQ node of the test's own; ``with RabbitNode(...) as node`` always stops it."""

    def __init__(self, base: Path, name: str) -> None:
        self.base = base
        self.node = name if "@" in name else f"{name}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.server = rabbitmq_script("rabbitmq-server")
        self.ctl = rabbitmq_script("rabbitmqctl")
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}//"
        self.pid_file = base / "rabbit.pid"

    def unavailable_reason(self) -> str | None:
        if not self.server or not self.ctl:
            return "rabbitmq-server/rabbitmqctl are not installed"
        if os.geteuid() != 0 and not os.access(self.server, os.X_OK):
            return f"{self.server} is not executable by this user"
        return None

    def _env(self) -> dict[str, str]:
        base = self.base
        for folder in ("home", "mnesia", "log"):
            (base / folder).mkdir(parents=True, exist_ok=True)
        cookie = base / "home" / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(secrets.token_hex(20))
            cookie.chmod(0o400)
        (base / "enabled_plugins").write_text("[].\n")
        (base / "rabbitmq-env.conf").write_text("")
        (base / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\nloopback_users.guest = true\n"
            "disk_free_limit.absolute = 10MB\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update(
            HOME=str(base / "home"),
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(base / "mnesia"),
            RABBITMQ_LOG_BASE=str(base / "log"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(base / "enabled_plugins"),
            RABBITMQ_CONF_ENV_FILE=str(base / "rabbitmq-env.conf"),
            RABBITMQ_CONFIG_FILE=str(base / "rabbitmq.conf"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(base / "advanced.config"),
            RABBITMQ_PID_FILE=str(self.pid_file),
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}",
        )
        return env

    def _ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.ctl, "-n", self.node, *args],
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self, timeout: float = 90) -> None:
        """Start (or restart, keeping its data) and wait until it takes AMQP connections."""
        subprocess.run(
            [self.server, "-detached"],
            env=self._env(),
            cwd=self.base,
            check=True,
            capture_output=True,
            timeout=60,
        )
        try:
            wait_for(
                lambda: port_open(self.port),
                timeout=timeout,
                interval=0.2,
                message=f"{self.node} to listen",
            )
        except AssertionError as exc:
            raise RuntimeError(f"{exc}; log tail:\n{self.log_tail()}") from None
        result = self._ctl("await_startup", "--timeout", str(int(timeout)), timeout=timeout + 10)
        if result.returncode != 0:
            raise RuntimeError(f"{self.node} did not boot: {result.stderr[-1000:]}")

    def stop(self) -> None:
        """Stop the node and its Erlang VM; falls back to killing the VM this object started."""
        if not self.pid_file.exists():
            return
        result = self._ctl("stop", str(self.pid_file), timeout=60)
        pid = self._pid()
        if result.returncode != 0 and pid is not None:
            os.kill(pid, signal.SIGKILL)
        wait_for(
            lambda: not port_open(self.port) and not self._alive(pid),
            timeout=30,
            message=f"{self.node} to stop",
        )
        self.pid_file.unlink(missing_ok=True)

    def _pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    @staticmethod
    def _alive(pid: int | None) -> bool:
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    def log_tail(self, chars: int = 3000) -> str:
        logs = sorted((self.base / "log").glob("*.log"))
        return "".join(p.read_text(errors="replace") for p in logs)[-chars:]

    def __enter__(self) -> RabbitNode:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def stay_opened(person_ref: str = "AZ-2024-000123") -> Envelope:
    """A valid ``detention.stay.opened`` event (from the schema's own example)."""
    data = dict(registry().get("detention.stay.opened", 1).examples[0])
    data.update(stay_id=secrets.token_hex(8), person_ref=person_ref)
    return new_event(
        "detention.stay.opened", source="detention", subject=data["stay_id"], data=data
    )


class BusRig:
    """One test's database, publisher, and relay/consumer threads; ``close()`` stops them all."""

    def __init__(self, mongo_url: str, database: str, broker_url: str, prefix: str) -> None:
        self.mongo = Mongo(mongo_url, database)
        self.broker_url = broker_url
        self.topology = Topology(prefix)
        self.publisher = Publisher(broker_url, self.topology)
        self.stop = threading.Event()
        self.failing: set[str] = set()
        self.gate: threading.Event | None = None
        self.gate_after = 0
        self.seen = 0
        self.blocked = threading.Event()
        self.threads: list[threading.Thread] = []
        self.consumers: list[EventConsumer] = []

    # the effect under test --------------------------------------------------------------------
    def handle(self, event: Envelope, session: ClientSession) -> None:
        """Count applications per event id; may fail on purpose or hold until the gate opens."""
        if event.id in self.failing:
            raise RuntimeError("handler bug (test)")
        self.seen += 1
        if self.gate is not None and self.seen > self.gate_after and not self.gate.is_set():
            self.blocked.set()
            self.gate.wait(60)
        self.effects.update_one(
            {"_id": event.id}, {"$inc": {"applied": 1}}, upsert=True, session=session
        )

    @property
    def effects(self) -> Any:
        return self.mongo.collection("effects")

    def applied(self) -> dict[str, int]:
        return {d["_id"]: d["applied"] for d in self.effects.find()}

    def subscription(self) -> Subscription:
        return Subscription(QUEUE, dict.fromkeys(ROUTES[QUEUE], self.handle))

    # outbox -----------------------------------------------------------------------------------
    def write_to_outbox(self, events: Iterable[Envelope], collection: str = "stays") -> None:
        """As a service does: the document and its events in one insert."""
        for event in events:
            self.mongo.collection(collection).insert_one(
                {"_id": event.subject, "status": "open", **outbox_fields([event])}
            )

    def outbox_settled(self, collection: str = "stays") -> bool:
        docs = self.mongo.collection(collection)
        return (
            docs.count_documents({"outbox_pending": {"$exists": True}}) == 0
            and docs.count_documents({"outbox.0": {"$exists": True}}) == 0
        )

    # running loops ----------------------------------------------------------------------------
    def _spawn(self, name: str, target: Any) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def start_consumer(self, **options: Any) -> EventConsumer:
        consumer = EventConsumer(
            self.broker_url,
            self.topology,
            self.mongo,
            self.publisher,
            [self.subscription()],
            **options,
        )
        self.consumers.append(consumer)
        self._spawn("consumer", lambda: consumer.run_until(self.stop))
        return consumer

    def start_relay(self, collections: tuple[str, ...] = ("stays",)) -> OutboxRelay:
        relay = OutboxRelay(self.mongo, self.publisher, list(collections))
        self._spawn("relay", lambda: relay.run(self.stop))
        return relay

    def close(self) -> None:
        self.stop.set()
        if self.gate is not None:
            self.gate.set()
        for thread in self.threads:
            thread.join(timeout=20)
        alive = [t.name for t in self.threads if t.is_alive()]
        self.publisher.close()
        self.mongo.client.drop_database(self.mongo.database_name)
        self.mongo.close()
        assert not alive, f"threads did not stop: {alive}"
