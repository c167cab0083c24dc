"""Voluntary return's worker process: the event consumer and the outbox relay, in one process.

    python -m voluntary_return.consumer

Consumes detention stay events (where the person is held) and accepted readmission requests
(flag "forced route open" on the person's open cases); relays the cases' outbox to the bus.
SIGTERM/SIGINT stop it cleanly (unacked work goes back to the broker).
"""

from __future__ import annotations

from functools import partial

from passage.bus.consumer import EventConsumer, Subscription
from passage.bus.outbox import OutboxRelay
from passage.bus.topology import ROUTES
from passage.config import Settings
from passage.logs import configure_logging
from passage.worker import ServiceWorker
from voluntary_return import bootstrap, handlers, repository
from voluntary_return.bootstrap import Deps
from voluntary_return.config import SERVICE, load_settings

DETENTION_LOCATION = "voluntary_return.detention_location"
READMISSION_OUTCOMES = "voluntary_return.readmission_outcomes"


def subscriptions(deps: Deps) -> list[Subscription]:
    """Which events this service consumes, and the handler for each."""
    on_stay_event = partial(handlers.record_detention_event, deps.locations)
    on_accepted = partial(handlers.record_readmission_accepted, deps.repository, deps.clock)
    return [
        Subscription(
            DETENTION_LOCATION, dict.fromkeys(ROUTES[DETENTION_LOCATION], on_stay_event)
        ),
        Subscription(READMISSION_OUTCOMES, {"readmission.request.accepted.v1": on_accepted}),
    ]


def build_worker(settings: Settings, deps: Deps | None = None) -> ServiceWorker:
    deps = deps or bootstrap.build(settings)
    consumer = EventConsumer(
        settings.broker_url, deps.topology, deps.mongo, deps.publisher, subscriptions(deps)
    )
    relay = OutboxRelay(deps.mongo, deps.publisher, repository.OUTBOX_COLLECTIONS)
    return ServiceWorker(deps.mongo, repository.indexes(), relay, consumer, deps=deps)


def main() -> None:
    settings = load_settings()
    configure_logging(f"{SERVICE}-worker", settings.log_level)
    build_worker(settings).run()


if __name__ == "__main__":
    main()
