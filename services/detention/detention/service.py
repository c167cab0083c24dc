"""Detention's composition root: the one place that builds its concrete adapters (MongoDB, bus,
clock, rule table) from settings, and the :class:`~passage.service.ServiceSpec` both processes are
built from (blueprints, indexes, error table, outbox collections, subscriptions, clock jobs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from detention import event_handlers, timers
from detention.adapters import repository
from detention.adapters.repository import MongoRepository
from detention.adapters.stay_store import StayStore
from detention.config import SERVICE, load_settings
from detention.domain.rules import Rules, rules_on
from detention.web import api, moves_api, search
from detention.web.common import EXTENSION
from detention.web.errors import ERRORS
from passage.bus.consumer import Subscription
from passage.bus.publisher import Publisher
from passage.bus.topology import Topology
from passage.clock import utc_now
from passage.config import Settings
from passage.mongo import Mongo
from passage.service import Job, ServiceSpec

CAPACITY_REFRESH_SECONDS = 60.0
DEADLINE_SCAN_SECONDS = 300.0


@dataclass(frozen=True)
class Deps:
    """Everything the API and the worker use; nothing here connects until first used."""

    settings: Settings
    mongo: Mongo
    topology: Topology
    publisher: Publisher
    repository: MongoRepository
    stay_store: StayStore
    clock: Callable[[], datetime] = field(default=utc_now)
    rules_for: Callable[[date], Rules] = field(default=rules_on)


def build_deps(settings: Settings) -> Deps:
    """The production adapters for ``settings``."""
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    topology = Topology(settings.bus_prefix)
    repo = MongoRepository(mongo)
    return Deps(
        settings=settings,
        mongo=mongo,
        topology=topology,
        publisher=Publisher(settings.broker_url, topology),
        repository=repo,
        stay_store=StayStore(repo),
    )


def subscriptions(deps: Deps) -> list[Subscription]:
    """Readmission outcomes set a planned release or close the stay; a confirmed voluntary departure
    closes it. Each handler writes in the consumer's transaction (one commit with the inbox)."""
    store, clock = deps.stay_store, deps.clock
    return [
        Subscription(
            "detention.readmission_outcomes",
            {
                "readmission.request.accepted.v1": event_handlers.plan_release(
                    store, clock, "transfer_due_on"
                ),
                "readmission.request.deemed_accepted.v1": event_handlers.plan_release(
                    store, clock, "transfer_due_on"
                ),
                "readmission.request.deemed_acceptance_reversed.v1": (
                    event_handlers.reverse_deemed_acceptance(store, clock)
                ),
                "readmission.transfer.scheduled.v1": event_handlers.plan_release(
                    store, clock, "scheduled_for"
                ),
                "readmission.transfer.completed.v1": event_handlers.close_stay(
                    store, clock, deps.rules_for, "readmitted", "transferred_at"
                ),
            },
        ),
        Subscription(
            "detention.voluntary_return_departures",
            {
                "voluntary_return.departure.confirmed.v1": event_handlers.close_stay(
                    store, clock, deps.rules_for, "voluntary_return", "departed_at"
                )
            },
        ),
    ]


def jobs(deps: Deps) -> Mapping[str, Job]:
    """The worker's clock jobs and how often each runs (seconds)."""
    repo = deps.repository
    return {
        "capacity_refresh": (
            CAPACITY_REFRESH_SECONDS,
            lambda: timers.refresh_capacities(repo, deps.clock()),
        ),
        "occupancy_roll": (
            CAPACITY_REFRESH_SECONDS,
            lambda: timers.roll_today(repo, deps.clock(), deps.rules_for),
        ),
        "deadline_alerts": (
            DEADLINE_SCAN_SECONDS,
            lambda: timers.emit_deadlines(deps.stay_store, deps.clock(), deps.rules_for),
        ),
        "capacity_gauges": (CAPACITY_REFRESH_SECONDS, lambda: timers.capacity_gauges(repo)),
    }


SPEC: ServiceSpec[Deps] = ServiceSpec(
    name=SERVICE,
    # The import name of a module, not the package: the editable install makes ``detention`` a
    # namespace package, for which Flask cannot find a root path.
    import_name="detention.app",
    title="Passage detention",
    description=(
        "Detention centres, units and stays: who is held where, and free places per unit."
    ),
    extension=EXTENSION,
    load_settings=load_settings,
    build_deps=build_deps,
    blueprints=(*api.BLUEPRINTS, *moves_api.BLUEPRINTS, *search.BLUEPRINTS),
    indexes=repository.indexes,
    errors=ERRORS,
    outbox_collections=repository.OUTBOX_COLLECTIONS,
    subscriptions=subscriptions,
    jobs=jobs,
)
