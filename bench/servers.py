"""The processes a bench starts, started alike by every bench: its own SecantusDB (durable as the
devstack runs it), an API under gunicorn with its production settings, the plain Flask + pymongo
baseline, each waited for and stopped after. Figures compare only when their servers do."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devstack.stack import DURABLE  # noqa: E402
from passage.bus.connection import broker_connection  # noqa: E402
from passage.bus.topology import Topology  # noqa: E402
from passage.testing import free_port, port_open, wait_for  # noqa: E402

BASELINE_APP = "bench.baseline_app:create_app()"

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"


@contextmanager
def own_bus(amqp: bool, name: str) -> Iterator[dict[str, str]]:
    """The stack's bus settings: RabbitMQ under a prefix of this run's own when ``amqp`` (its
    queues and exchanges removed when the run ends, so benches leave nothing on the broker),
    else none (the embedded transport)."""
    if not amqp:
        yield {}
        return
    prefix = f"{name}-{uuid.uuid4().hex[:6]}."
    try:
        yield {"AMQP_URL": RABBITMQ, "PASSAGE_BUS_PREFIX": prefix}
    finally:
        with broker_connection(RABBITMQ) as conn:
            Topology(prefix).remove(conn.channel())


def start(cmd: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    """``cmd`` in its own session, logging to ``log``, once it listens on ``port``."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd,
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_for(
        lambda: port_open(port) or proc.poll() is not None, timeout=60, message=" ".join(cmd[:3])
    )
    if proc.poll() is not None:
        raise RuntimeError(log.read_text()[-2000:])
    return proc


def gunicorn(
    app: str, port: int, env: dict[str, str], log: Path, conf: str = "gateway"
) -> subprocess.Popen:
    """``app`` under gunicorn with ``<conf>/gunicorn.conf.py`` (a service folder or the gateway)."""
    path = ROOT / conf / "gunicorn.conf.py"
    if not path.exists():
        path = ROOT / "services" / conf / "gunicorn.conf.py"
    return start(
        [sys.executable, "-m", "gunicorn", "-c", str(path), app],
        {
            **env,
            "PASSAGE_BIND": f"127.0.0.1:{port}",
            "PYTHONPATH": str(ROOT),
            "LOG_LEVEL": "warning",
        },
        port,
        log,
    )


def secantus(work: Path) -> tuple[subprocess.Popen, str]:
    """A SecantusDB of the bench's own in ``work``; (process, URL)."""
    port = free_port()
    cmd = [sys.executable, "-m", "secantus", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--storage-path", str(work / "db"), "--log-level", "WARNING", *DURABLE]
    # no retryable writes, as the launcher (devstack.database.DatabaseUser.url says why)
    return start(
        cmd, {}, port, work / "mongo.log"
    ), f"mongodb://127.0.0.1:{port}/?retryWrites=false"


def baseline(port: int, mongo_url: str, log: Path) -> subprocess.Popen:
    """The plain Flask + pymongo endpoints under the gateway's gunicorn settings."""
    proc = gunicorn(BASELINE_APP, port, {"MONGO_URL": mongo_url}, log)
    wait_for(lambda: _ok(f"http://127.0.0.1:{port}/ping"), timeout=30, message="baseline app")
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def api_beside_baseline(
    work: Path, app: str, conf: str, env: dict[str, str], prepare: Callable[[str], None]
) -> Iterator[tuple[str, str, str]]:
    """Own SecantusDB, ``app`` under gunicorn and the baseline: ``(mongo URL, API, baseline)``.

    ``prepare(mongo_url)`` runs before the API starts (indexes, seed data).
    """
    with ExitStack() as running:
        db, mongo_url = secantus(work)
        running.callback(stop, db)
        prepare(mongo_url)
        api_port, base_port = free_port(), free_port()
        api = gunicorn(app, api_port, {**env, "MONGO_URL": mongo_url}, work / "api.log", conf)
        running.callback(stop, api)
        base = baseline(base_port, mongo_url, work / "baseline.log")
        running.callback(stop, base)
        yield mongo_url, f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{base_port}"


@contextmanager
def database(url: str = "") -> Iterator[str]:
    """``url`` when the caller gave one, else a SecantusDB of the bench's own until the end."""
    if url:
        yield url
        return
    proc, own = secantus(Path(tempfile.mkdtemp(prefix="bench-secantus-")))
    try:
        yield own
    finally:
        stop(proc)


def _ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False
