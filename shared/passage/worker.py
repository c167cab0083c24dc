"""Runs a service's background work in one process: consumer, outbox relay, timed jobs.

Each loop runs in its own thread; SIGTERM/SIGINT set one stop event and the process exits
after every loop has returned (the consumer leaves unacked work to the broker).
"""
from __future__ import annotations

import logging
import signal
import threading
from typing import Callable

log = logging.getLogger(__name__)

Loop = Callable[[threading.Event], None]


def run_loops(loops: dict[str, Loop], stop: threading.Event | None = None) -> None:
    """Start every loop, wait for a signal (or ``stop``), then join them all."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    threads = [threading.Thread(target=_guarded, args=(name, loop, stop), name=name, daemon=True)
               for name, loop in loops.items()]
    for thread in threads:
        thread.start()
    log.info("worker started", extra={"loops": sorted(loops)})
    while not stop.is_set():
        stop.wait(0.5)
        if not stop.is_set() and not all(t.is_alive() for t in threads):
            log.error("a worker loop ended unexpectedly; stopping")
            stop.set()
    for thread in threads:
        thread.join(timeout=10)
    log.info("worker stopped")


def _guarded(name: str, loop: Loop, stop: threading.Event) -> None:
    try:
        loop(stop)
    except Exception:
        log.exception("worker loop crashed", extra={"loop": name})
        stop.set()


def every(seconds: float, job: Callable[[], object]) -> Loop:
    """A loop that runs ``job`` every ``seconds`` (errors logged, never fatal)."""
    def loop(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                job()
            except Exception:
                log.exception("scheduled job failed")
            stop.wait(seconds)
    return loop
