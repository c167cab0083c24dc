"""Voluntary return's worker process: the event consumer and the outbox relay, in one process.

    python -m voluntary_return.worker

Consumes detention stay events (where the person is held) and accepted readmission requests
(flag "forced route open" on the person's open cases); relays the cases' outbox to the bus.
SIGTERM/SIGINT stop it cleanly (unacked work goes back to the broker).
"""

from __future__ import annotations

from passage import service
from passage.config import Settings
from passage.worker import ServiceWorker
from voluntary_return.service import SPEC, Deps


def build_worker(settings: Settings | None = None, deps: Deps | None = None) -> ServiceWorker:
    return service.build_worker(SPEC, settings, deps)


def main() -> None:
    service.run_worker(SPEC)


if __name__ == "__main__":
    main()
