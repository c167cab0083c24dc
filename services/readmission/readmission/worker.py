"""Readmission's worker process: event consumer, outbox relay and the deadline clock, in one process.

    python -m readmission.worker

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
from readmission import service as bootstrap
from readmission import timers as clock
from readmission.handlers import requests as handlers
from readmission.adapters import repository
from readmission.service import Deps
from readmission.config import SERVICE, load_settings

DETENTION_LOCATION = "readmission.detention_location"
VOLUNTARY_RETURN_CASES = "readmission.voluntary_return_cases"
CLOCK_SECONDS = 60.0


def subscriptions(deps: Deps) -> list[Subscription]:
    """Which events this service consumes, and the handler for each."""
    on_stay_event = partial(handlers.record_detention_event, deps.locations)
    cases = {
        "voluntary_return.case.opened.v1": partial(
            clock.on_case_opened, deps.repository, deps.clock
        ),
        "voluntary_return.case.withdrawn.v1": partial(
            clock.on_case_withdrawn, deps.repository, deps.clock
        ),
        "voluntary_return.departure.confirmed.v1": partial(
            clock.on_departure_confirmed, deps.repository, deps.clock, deps.rules
        ),
    }
    return [
        Subscription(
            DETENTION_LOCATION, dict.fromkeys(ROUTES[DETENTION_LOCATION], on_stay_event)
        ),
        Subscription(VOLUNTARY_RETURN_CASES, cases),
    ]


def build_worker(
    settings: Settings, deps: Deps | None = None, clock_seconds: float = CLOCK_SECONDS
) -> ServiceWorker:
    deps = deps or bootstrap.build(settings)
    consumer = EventConsumer(
        settings.broker_url, deps.topology, deps.mongo, deps.publisher, subscriptions(deps)
    )
    relay = OutboxRelay(deps.mongo, deps.publisher, repository.OUTBOX_COLLECTIONS)
    jobs = {
        "deadline_clock": (clock_seconds, clock.clock_job(deps.repository, deps.clock, deps.rules))
    }
    return ServiceWorker(deps.mongo, repository.indexes(), relay, consumer, jobs=jobs, deps=deps)


def main() -> None:
    settings = load_settings()
    configure_logging(f"{SERVICE}-worker", settings.log_level)
    build_worker(settings).run()


if __name__ == "__main__":
    main()
