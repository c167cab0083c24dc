"""The whole Passage stack on one machine, started the way production runs it.

SecantusDB (only when ``MONGO_URL`` is unset; its own process, never imported: GPL-2.0), the
three service APIs and the gateway under gunicorn, and the three workers (consumer + outbox
relay). Used by ``python -m devstack``, the e2e tests and the benchmarks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import cast

import requests

from devstack import database, keys, processes, seed
from devstack.probes import mongo_answers, port_taken, ready
from devstack.processes import MARKER, ProcessSpec

SERVICES = (  # (name, package, directory) in start order
    ("detention", "detention", "services/detention"),
    ("readmission", "readmission", "services/readmission"),
    ("voluntary-return", "voluntary_return", "services/voluntary-return"),
)
MONGO_PORT_OFFSET = 18
DATABASE = "secantus"
#: An acknowledged write survives the database process being killed: without it SecantusDB keeps
#: commits in its log buffer for a moment, and a SIGKILL lost admissions already answered 201
#: (tests/integration/test_database_killed.py). MongoDB's journal gives the same by default.
DURABLE = ("--sync-on-commit",)


class StackError(RuntimeError):
    """The stack could not start (the message says which process and shows its log)."""


class Stack:
    """Start, seed and stop the stack; a context manager (``with Stack(root) as s: ...``)."""

    def __init__(
        self,
        root: Path,
        var_dir: Path | None = None,
        base_port: int = 8000,
        env: Mapping[str, str | None] | None = None,
        workers: int = 2,
        start_timeout: float = 120.0,
        stop_timeout: float = 20.0,
        detention_workers: int = 1,
    ) -> None:
        self.root = Path(root).resolve()
        self.var_dir = Path(var_dir or self.root / "var").resolve()
        self.base_port = base_port
        # gunicorn processes of the gateway and of each API; the detention API's apart (one by
        # default: services/detention/gunicorn.conf.py says why)
        self.workers = workers
        self.detention_workers = detention_workers
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.started_in: float | None = None
        self._env = _merged_env(os.environ, env or {})
        self._procs: dict[str, subprocess.Popen] = {}

    # --- where things are ---------------------------------------------------------------------

    @property
    def ports(self) -> dict[str, int]:
        ports = {"gateway": self.base_port}
        ports.update({name: self.base_port + i for i, (name, _, _) in enumerate(SERVICES, start=1)})
        return ports

    @property
    def urls(self) -> dict[str, str]:
        """Base URL of the gateway and of each service API."""
        return {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}

    @property
    def gateway_url(self) -> str:
        return self.urls["gateway"]

    @property
    def embedded_database(self) -> bool:
        """True when the stack runs its own SecantusDB (``MONGO_URL`` unset)."""
        return not self._env.get("MONGO_URL")

    @property
    def mongo_port(self) -> int:
        return self.base_port + MONGO_PORT_OFFSET

    @property
    def mongo_url(self) -> str:
        """The administrator's URL (with credentials on the embedded server), for tests and
        operators."""
        return self._env.get("MONGO_URL") or self.database_accounts()[database.ADMIN].url(
            self.mongo_port
        )

    def database_accounts(self) -> dict[str, database.DatabaseUser]:
        """The embedded server's users (passwords generated once into secrets.json)."""
        passwords = keys.load_or_create(
            self.var_dir / "secrets.json", {}, database.password_names()
        )
        return database.accounts(self._env, passwords)

    @property
    def broker(self) -> str:
        """A description of the bus, for people (never the URL: it may hold a password)."""
        return (
            "RabbitMQ (AMQP_URL)"
            if self._env.get("AMQP_URL")
            else "kombu MongoDB transport (embedded)"
        )

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    @property
    def pidfile(self) -> Path:
        return self.var_dir / "stack.pids"

    @property
    def metrics_dir(self) -> Path:
        """One multiprocess metrics directory per service under here (emptied at each start)."""
        return self.var_dir / "metrics"

    @property
    def logins_file(self) -> Path:
        return self.var_dir / "demo-logins.json"

    @property
    def logins(self) -> dict[str, str]:
        """Demo ``{username: password}`` (empty until :meth:`seed` has run once on this var dir)."""
        return seed.read_logins(self.logins_file)

    @property
    def pids(self) -> dict[str, int]:
        """Process group id (= leader pid) of each running process, by name."""
        return {name: proc.pid for name, proc in self._procs.items()}

    # --- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start every process and wait until each API answers ``/readyz`` with 200."""
        began = time.monotonic()
        processes.make_private(self.var_dir)
        self._clear_leftovers()
        self._refuse_taken_ports()
        self._fresh_metrics_dirs()
        try:
            if self.embedded_database:
                self._start_database(began + self.start_timeout)
            for spec in self.specs():
                self._spawn(spec)
            self._wait_ready(began + self.start_timeout)
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began

    def seed(self) -> dict[str, int]:
        """Demo users (users CLI), the demo centres and units through the gateway, readmission
        protocols."""
        logins = seed.ensure_demo_users(
            sys.executable, self.root, self.process_env(), self.logins_file
        )
        if "admin" not in logins:
            raise StackError(f"no admin password in {self.logins_file}")
        counts = seed.seed_centres(
            self.gateway_url, seed.login(self.gateway_url, "admin", logins["admin"])
        )
        counts["protocols"] = seed.seed_protocols(
            sys.executable, self.root, self.process_env("readmission")
        )
        return counts

    def stop(self) -> None:
        """SIGTERM every process group (the database last), SIGKILL what outlives the timeout."""
        procs = list(self._procs.values())
        database = [p for name, p in self._procs.items() if name == DATABASE]
        processes.stop_children([p for p in procs if p not in database], self.stop_timeout)
        processes.stop_children(database, self.stop_timeout)
        if self._procs:  # never the pid file of another launcher this one refused to compete with
            self.pidfile.unlink(missing_ok=True)
        self._procs.clear()

    def exited(self) -> dict[str, int]:
        """Processes that have ended on their own since start, with their exit codes."""
        return {
            name: code for name, proc in self._procs.items() if (code := proc.poll()) is not None
        }

    def log_tail(self, name: str, lines: int = 40) -> str:
        return processes.log_tail(self.log_dir / f"{name}.log", lines)

    # --- what runs ----------------------------------------------------------------------------

    def specs(self) -> list[ProcessSpec]:
        """The processes besides the database, in start order."""
        py = sys.executable
        specs = []
        for name, package, directory in SERVICES:
            specs.append(
                self._api(name, f"{directory}/gunicorn.conf.py", f"{package}.app:create_app()")
            )
            specs.append(ProcessSpec(f"{name}-worker", (py, "-m", f"{package}.worker")))
        specs.append(self._api("gateway", "gateway/gunicorn.conf.py", "gateway.app:create_app()"))
        return specs

    def _api(self, name: str, config: str, app: str) -> ProcessSpec:
        argv = (
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(self.root / config),
            "--bind",
            f"127.0.0.1:{self.ports[name]}",
            app,
        )
        return ProcessSpec(
            f"{name}-api" if name != "gateway" else name, argv, f"{self.urls[name]}/readyz"
        )

    def database_spec(self, auth: bool = True) -> ProcessSpec:
        """SecantusDB on loopback only; with access control except while its users are being
        created."""
        return ProcessSpec(
            DATABASE,
            (
                sys.executable,
                "-m",
                "secantus",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.mongo_port),
                "--storage-path",
                str(self.var_dir / "secantus"),
                "--log-level",
                "WARNING",
                *DURABLE,
                *(("--auth",) if auth else ()),
            ),
        )

    def process_env(self, service: str = "gateway") -> dict[str, str]:
        """The environment of ``service``'s processes (settings name: ``detention``, …,
        ``gateway``).

        The caller's, the overrides, the stack's wiring, and only the secrets that service needs:
        its own database user, the token secrets, and for the gateway the audit chain's key.
        """
        env = dict(self._env)
        secrets = keys.load_or_create(self.var_dir / "secrets.json", self._env)
        wanted = keys.NAMES if service == "gateway" else ("INTERNAL_TOKEN_SECRET",)
        env.update({name: secrets[name] for name in wanted})
        if service == "gateway":
            env.setdefault("AUDIT_CHECKPOINT_FILE", str(self.var_dir / "audit-checkpoints.jsonl"))
        env.update(
            {
                "MONGO_URL": self._env.get("MONGO_URL")
                or self.database_accounts()[service].url(self.mongo_port),
                "DETENTION_URL": self.urls["detention"],
                "READMISSION_URL": self.urls["readmission"],
                "VOLUNTARY_RETURN_URL": self.urls["voluntary-return"],
                "WEB_CONCURRENCY": str(
                    self.detention_workers if service == "detention" else self.workers
                ),
                "PYTHONUNBUFFERED": "1",
                # plain HTTP on loopback: session cookies without Secure
                "PASSAGE_DEVELOPMENT": "1",
                # events published by the process that committed them (the worker: safety net)
                "PASSAGE_RELAY_AFTER_COMMIT": "1",
                MARKER: str(self.var_dir),
            }
        )
        return env

    # --- start-up steps -----------------------------------------------------------------------

    def _clear_leftovers(self) -> None:
        """End what a crashed earlier start on this var dir left running (only if really ours)."""
        launcher = processes.running_launcher(self.pidfile)
        if launcher is not None:
            raise StackError(
                f"a stack is already running from {self.var_dir} (launcher pid {launcher}); "
                "stop it first (Ctrl-C in its terminal, or kill -TERM "
                f"{launcher}), or use another var dir"
            )
        leftovers = processes.read_pidfile(self.pidfile)
        if leftovers:
            ended = processes.stop_leftovers(leftovers, self.var_dir, self.stop_timeout)
            if ended:
                print(
                    f"devstack: stopped leftovers of an earlier run: {', '.join(ended)}",
                    file=sys.stderr,
                )
        self.pidfile.unlink(missing_ok=True)

    def _refuse_taken_ports(self) -> None:
        wanted = dict(self.ports)
        if self.embedded_database:
            wanted["SecantusDB"] = self.mongo_port
        taken = [f"{port} ({name})" for name, port in wanted.items() if port_taken(port)]
        if taken:
            raise StackError(
                f"port(s) already in use by another program: {', '.join(taken)}. "
                "Stop it, or choose other ports with --port-base."
            )

    def _fresh_metrics_dirs(self) -> None:
        """Empty per-service metrics directories: counts of an earlier run must not add up."""
        shutil.rmtree(self.metrics_dir, ignore_errors=True)
        processes.make_private(self.metrics_dir)
        for name, _, _ in (*SERVICES, ("gateway", "", "")):
            processes.make_private(self.metrics_dir / name)

    def metrics_env(self, spec_name: str) -> dict[str, str]:
        """``PROMETHEUS_MULTIPROC_DIR`` shared by a service's API workers and its worker process."""
        service = spec_name.removesuffix("-api").removesuffix("-worker")
        if spec_name == DATABASE or self._env.get("PASSAGE_METRICS") == "per-process":
            return {}  # per-process: only for measuring what multiprocess mode costs
        return {"PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir / service)}

    def _spawn(self, spec: ProcessSpec) -> None:
        env = (
            {**self._env, MARKER: str(self.var_dir)}
            if spec.name == DATABASE
            else self.process_env(_service_of(spec.name))
        )
        env = {**env, **self.metrics_env(spec.name)}
        self._procs[spec.name] = processes.spawn(spec, env, self.root, self.log_dir)
        processes.write_pidfile(  # spawn gives each process its argv as a list
            self.pidfile, {n: (p.pid, cast(list[str], p.args)) for n, p in self._procs.items()}
        )

    def _start_database(self, deadline: float) -> None:
        """SecantusDB with ``--auth``; its users are created first when any of them cannot sign
        in."""
        if not database.start_closed(
            lambda auth: self._run_database(deadline, auth),
            self._stop_database,
            self.database_accounts(),
            self.mongo_port,
            self.var_dir / "secantus.users",
        ):
            raise self._error(
                DATABASE, "SecantusDB refused the users the launcher has just created"
            )

    def _run_database(self, deadline: float, auth: bool) -> None:
        self._spawn(self.database_spec(auth))
        while not mongo_answers(f"mongodb://127.0.0.1:{self.mongo_port}/"):
            self._fail_if_exited()
            if time.monotonic() > deadline:
                raise self._error(DATABASE, f"SecantusDB did not answer on port {self.mongo_port}")
            time.sleep(0.2)

    def _stop_database(self) -> None:
        proc = self._procs.pop(DATABASE)
        processes.stop_children([proc], self.stop_timeout)

    def _wait_ready(self, deadline: float) -> None:
        pending = {spec.name: spec.ready_url for spec in self.specs() if spec.ready_url}
        with requests.Session() as session:
            while pending:
                self._fail_if_exited()
                pending = {name: url for name, url in pending.items() if not ready(session, url)}
                if pending and time.monotonic() > deadline:
                    name = sorted(pending)[0]
                    raise self._error(
                        name,
                        f"{', '.join(sorted(pending))} not ready after {self.start_timeout:.0f} s",
                    )
                if pending:
                    time.sleep(0.25)
        self._fail_if_exited()

    def _fail_if_exited(self) -> None:
        for name, code in self.exited().items():
            raise self._error(name, f"{name} exited with code {code} during start-up")

    def _error(self, name: str, message: str) -> StackError:
        log = self.log_dir / f"{name}.log"
        return StackError(f"{message}\n--- last lines of {log} ---\n{self.log_tail(name)}")


def _service_of(process: str) -> str:
    """The settings name of the service a process belongs to (``detention-worker`` →
    ``detention``)."""
    for name, package, _ in SERVICES:
        if process.startswith(f"{name}-"):
            return package
    return "gateway"


def _merged_env(base: Mapping[str, str], overrides: Mapping[str, str | None]) -> dict[str, str]:
    """``base`` with ``overrides`` applied; an override of ``None`` removes the variable."""
    env = dict(base)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env
