"""Detention's worker process: the outbox relay, the event consumers and the clock jobs
(``service.subscriptions``, ``service.jobs``).

    python -m detention.worker

SIGTERM/SIGINT stop it cleanly.
"""

from __future__ import annotations

from detention.service import SPEC, Deps
from passage import service
from passage.config import Settings
from passage.worker import ServiceWorker


def build_worker(settings: Settings | None = None, deps: Deps | None = None) -> ServiceWorker:
    """The worker; ``deps`` lets tests hand in their own adapters (clock, rules)."""
    return service.build_worker(SPEC, settings, deps)


def main() -> None:
    service.run_worker(SPEC)


if __name__ == "__main__":
    main()
