"""Runs a service's background work in one process: consumer, outbox relay, timed jobs.

Each loop runs in its own thread; SIGTERM/SIGINT set one stop event and the process exits
after every loop has returned (the consumer leaves unacked work to the broker).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from passage.bus.consumer import EventConsumer
    from passage.bus.outbox import OutboxRelay
    from passage.mongo import Index, Mongo

log = logging.getLogger(__name__)

Loop = Callable[[threading.Event], None]


def run_loops(loops: dict[str, Loop], stop: threading.Event | None = None) -> bool:
    """Start every loop, wait for a signal (or ``stop``), then join them all.

    Returns False when a loop ended on its own (a crash), so the process can exit non-zero
    and its supervisor sees the failure.
    """
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    threads = [
        threading.Thread(target=_guarded, args=(name, loop, stop), name=name, daemon=True)
        for name, loop in loops.items()
    ]
    for thread in threads:
        thread.start()
    log.info("worker started", extra={"loops": sorted(loops)})
    healthy = True
    while not stop.is_set():
        stop.wait(0.5)
        if not stop.is_set() and not all(t.is_alive() for t in threads):
            log.error("a worker loop ended unexpectedly; stopping")
            healthy = False
            stop.set()
    for thread in threads:
        thread.join(timeout=10)
    log.info("worker stopped")
    return healthy


def _guarded(name: str, loop: Loop, stop: threading.Event) -> None:
    try:
        loop(stop)
    except Exception:
        log.exception("worker loop crashed", extra={"loop": name})
        stop.set()


def every(seconds: float, job: Callable[[], object], name: str = "job") -> Loop:
    """A loop that runs ``job`` every ``seconds`` (errors logged and counted, never fatal)."""
    from passage import metrics
    from passage.bus.outbox import after_commit

    def loop(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                job()
                metrics.clock_runs.labels(name, "ok").inc()
            except Exception:
                log.exception("scheduled job failed", extra={"job": name})
                metrics.clock_runs.labels(name, "failed").inc()
            after_commit()  # the round's events go out now, not when the stream's grace ends
            stop.wait(seconds)

    return loop


class ServiceWorker:
    """A service's worker process: indexes first, then outbox relay, consumer and timed jobs.

    Every loop waits until the indexes exist (the database may start after the worker), so
    the inbox's and outbox's indexes are in place before the first event is handled.
    """

    def __init__(
        self,
        mongo: Mongo,
        indexes: list[Index],
        relay: OutboxRelay,
        consumer: EventConsumer | None = None,
        jobs: dict[str, tuple[float, Callable[[], object]]] | None = None,
        deps: object = None,
    ) -> None:
        self.deps = deps  # the service's adapters, for its jobs and for tests
        self.mongo = mongo
        self.indexes = indexes
        self.relay = relay
        self.consumer = consumer
        self.jobs = jobs or {}
        self.ready = threading.Event()

    def loops(self) -> dict[str, Loop]:
        loops: dict[str, Loop] = {"outbox_relay": self._indexes_then(self.relay.run)}
        if self.consumer is not None:
            loops["consumer"] = self._after_ready(self.consumer.run_until)
        for name, (seconds, job) in self.jobs.items():
            loops[name] = self._after_ready(every(seconds, job, name))
        return loops

    def run(self) -> None:
        """The process's main: run every loop until SIGTERM/SIGINT; exit 1 after a crash."""
        import os

        from passage.metrics import process_ended

        try:
            healthy = run_loops(self.loops())
        finally:
            process_ended(os.getpid())
        if not healthy:
            raise SystemExit(1)

    def _indexes_then(self, loop: Loop) -> Loop:
        from passage.mongo import ensure_indexes_until_ready

        def run(stop: threading.Event) -> None:
            if ensure_indexes_until_ready(self.mongo, self.indexes, stop):
                self.ready.set()
                loop(stop)

        return run

    def _after_ready(self, loop: Loop) -> Loop:
        def run(stop: threading.Event) -> None:
            while not stop.is_set() and not self.ready.wait(0.5):
                pass
            if not stop.is_set():
                loop(stop)

        return run
