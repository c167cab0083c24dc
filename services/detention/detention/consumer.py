"""Detention's worker process: the outbox relay, timed jobs and (later) event consumers.

    python -m detention.consumer

SIGTERM/SIGINT stop it cleanly. Detention consumes readmission outcomes and voluntary-return
departures from a later issue on: :func:`subscriptions` is where they will be wired.
"""
from __future__ import annotations

from passage.bus.consumer import INBOX_INDEXES, EventConsumer, Subscription
from passage.bus.outbox import OutboxRelay
from passage.config import Settings
from passage.logs import configure_logging
from passage.worker import ServiceWorker

from detention import bootstrap, handlers, repository
from detention.bootstrap import Deps
from detention.config import SERVICE, load_settings

CAPACITY_REFRESH_SECONDS = 60.0


def subscriptions(deps: Deps) -> list[Subscription]:
    """Events detention consumes. None yet: ``detention.readmission_outcomes`` and
    ``detention.voluntary_return_departures`` (see ``passage.bus.topology.ROUTES``) come with
    the full detention issue, each handler writing with the consumer's session."""
    return []


def build_worker(settings: Settings, deps: Deps | None = None) -> ServiceWorker:
    deps = deps or bootstrap.build(settings)
    relay = OutboxRelay(deps.mongo, deps.publisher, repository.OUTBOX_COLLECTIONS)
    subs = subscriptions(deps)
    consumer = EventConsumer(settings.broker_url, deps.topology, deps.mongo, deps.publisher, subs) if subs else None
    jobs = {"capacity_refresh": (CAPACITY_REFRESH_SECONDS,
                                 lambda: handlers.refresh_capacities(deps.repository, deps.clock()))}
    return ServiceWorker(deps.mongo, [*repository.indexes(), *INBOX_INDEXES], relay, consumer, jobs, deps=deps)


def main() -> None:
    settings = load_settings()
    configure_logging(f"{SERVICE}-worker", settings.log_level)
    build_worker(settings).run()


if __name__ == "__main__":
    main()
