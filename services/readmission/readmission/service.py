"""Readmission's composition root: the concrete adapters (MongoDB, bus, clock, rules) built from
settings, and the :class:`ServiceSpec` the API app and the worker are made of. Nothing here
connects until first used."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from passage.bus.consumer import Subscription
from passage.bus.publisher import Publisher
from passage.bus.topology import ROUTES, Topology
from passage.clock import utc_now
from passage.config import Settings
from passage.evidence_files import FileStore
from passage.location_store import LocationStore
from passage.mongo import Mongo
from passage.service import Job, ServiceSpec
from readmission import event_handlers, timers
from readmission.adapters import repository
from readmission.adapters.protocols import ProtocolStore
from readmission.adapters.repository import MongoRepository, evidence_store
from readmission.adapters.transit_repository import TransitRepository
from readmission.config import SERVICE, load_settings
from readmission.domain import deadlines
from readmission.web import (
    annexes,
    api,
    api_law,
    api_registry,
    api_transits,
    files,
    search,
    subject_access,
)
from readmission.web.errors import ERRORS

DETENTION_LOCATION = "readmission.detention_location"
VOLUNTARY_RETURN_CASES = "readmission.voluntary_return_cases"
CLOCK_SECONDS = 60.0


@dataclass(frozen=True)
class Deps:
    """Everything the API and the worker use; nothing here connects until first used."""

    settings: Settings
    mongo: Mongo
    topology: Topology
    publisher: Publisher
    locations: LocationStore
    repository: MongoRepository | None = None
    protocols: ProtocolStore | None = None
    transits: TransitRepository | None = None
    clock: Callable[[], datetime] = field(default=utc_now)
    rules: Sequence[deadlines.RuleVersion] = deadlines.RULES

    def evidence_files(self) -> FileStore:
        """Where the requests' evidence files are kept (opened when a request needs them)."""
        return evidence_store(self.mongo)


def build_deps(
    settings: Settings,
    clock: Callable[[], datetime] = utc_now,
    rules: Sequence[deadlines.RuleVersion] = deadlines.RULES,
) -> Deps:
    """The production adapters; tests pass their own clock and rule table."""
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    topology = Topology(settings.bus_prefix)
    return Deps(
        settings=settings,
        mongo=mongo,
        topology=topology,
        publisher=Publisher(settings.broker_url, topology),
        locations=LocationStore(mongo),
        repository=MongoRepository(mongo),
        protocols=ProtocolStore(mongo),
        transits=TransitRepository(mongo),
        clock=clock,
        rules=tuple(rules),
    )


def subscriptions(deps: Deps) -> list[Subscription]:
    """Which events this service consumes, and the handler for each."""
    on_stay_event = partial(event_handlers.record_detention_event, deps.locations)
    cases = {
        "voluntary_return.case.opened.v1": partial(
            event_handlers.on_case_opened, deps.repository, deps.clock
        ),
        "voluntary_return.case.withdrawn.v1": partial(
            event_handlers.on_case_withdrawn, deps.repository, deps.clock
        ),
        "voluntary_return.departure.confirmed.v1": partial(
            event_handlers.on_departure_confirmed, deps.repository, deps.clock, deps.rules
        ),
    }
    return [
        Subscription(
            DETENTION_LOCATION,
            dict.fromkeys(ROUTES[DETENTION_LOCATION], on_stay_event),
            idempotent=True,  # the location keeps the newest fact: a redelivery changes nothing
        ),
        Subscription(VOLUNTARY_RETURN_CASES, cases),
    ]


def jobs(deps: Deps, clock_seconds: float = CLOCK_SECONDS) -> Mapping[str, Job]:
    """The deadline clock, every ``clock_seconds``."""
    assert deps.repository is not None  # built by build_deps; a test's Deps without it has no jobs
    return {
        "deadline_clock": (
            clock_seconds,
            timers.clock_job(deps.repository, deps.clock, deps.rules),
        )
    }


SPEC: ServiceSpec[Deps] = ServiceSpec(
    name=SERVICE,
    import_name="readmission.app",
    title="Passage readmission",
    description="EU readmission requests, deadlines, protocols and statistics.",
    extension=api.EXTENSION,
    load_settings=load_settings,
    build_deps=build_deps,
    blueprints=(
        api.locations,
        api.requests_bp,
        api_transits.transits_bp,
        api_registry.work,
        api_registry.reports,
        api_registry.registry,
        api_law.law,
        subject_access.blueprint,
        search.persons,
        annexes.annexes,
        files.files,
    ),
    indexes=repository.indexes,
    errors=ERRORS,
    outbox_collections=repository.OUTBOX_COLLECTIONS,
    subscriptions=subscriptions,
    jobs=jobs,
)
