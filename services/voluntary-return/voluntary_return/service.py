"""Voluntary return's composition root: the one place that builds its concrete adapters (MongoDB,
bus, clock) from settings, says which events it consumes, and declares the service
(``SPEC``) that ``app.py`` and ``worker.py`` start."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from passage.bus.consumer import Subscription
from passage.bus.publisher import Publisher
from passage.bus.topology import Topology
from passage.clock import utc_now
from passage.config import Settings
from passage.evidence_files import FileStore
from passage.location_store import LocationStore
from passage.mongo import Mongo
from passage.service import ServiceSpec
from voluntary_return import event_handlers
from voluntary_return.adapters import storage
from voluntary_return.adapters.cases import CaseRepository
from voluntary_return.config import SERVICE, load_settings
from voluntary_return.routes import DETENTION_LOCATION, READMISSION_OUTCOMES, ROUTES
from voluntary_return.web import cases, files, people, search, summary
from voluntary_return.web.common import EXTENSION
from voluntary_return.web.errors import ERRORS


@dataclass(frozen=True)
class Deps:
    """Everything the API and the worker use; nothing here connects until first used."""

    settings: Settings
    mongo: Mongo
    topology: Topology
    publisher: Publisher
    locations: LocationStore
    repository: CaseRepository
    clock: Callable[[], datetime] = field(default=utc_now)

    def evidence_files(self) -> FileStore:
        """Where the cases' evidence files are kept (opened when a request needs them)."""
        return storage.evidence_store(self.mongo)


def build_deps(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Deps:
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    topology = Topology(settings.bus_prefix)
    return Deps(
        settings=settings,
        mongo=mongo,
        topology=topology,
        publisher=Publisher(settings.broker_url, topology),
        locations=LocationStore(mongo),
        repository=CaseRepository(mongo),
        clock=clock,
    )


def subscriptions(deps: Deps) -> list[Subscription]:
    """Which events this service consumes (``routes.ROUTES``), and the handler for each."""
    on_stay_event = partial(event_handlers.record_detention_event, deps.locations)
    on_accepted = partial(event_handlers.record_readmission_accepted, deps.repository, deps.clock)
    return [
        Subscription(
            DETENTION_LOCATION,
            dict.fromkeys(ROUTES[DETENTION_LOCATION], on_stay_event),
            idempotent=True,  # the location keeps the newest fact: a redelivery changes nothing
        ),
        Subscription(READMISSION_OUTCOMES, {"readmission.request.accepted.v1": on_accepted}),
    ]


SPEC: ServiceSpec[Deps] = ServiceSpec(
    name=SERVICE,
    import_name="voluntary_return.app",
    title="Passage voluntary return",
    description=(
        "IOM assisted voluntary return (AVRR): cases from referral to reintegration monitoring."
    ),
    extension=EXTENSION,
    load_settings=load_settings,
    build_deps=build_deps,
    blueprints=(
        *cases.BLUEPRINTS,
        *people.BLUEPRINTS,
        search.persons,
        summary.summaries,
        files.files,
    ),
    indexes=storage.indexes,
    errors=ERRORS,
    outbox_collections=storage.OUTBOX_COLLECTIONS,
    subscriptions=subscriptions,
)
