"""The one place that builds voluntary_return's concrete adapters (MongoDB, bus, clock) from settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from passage.bus.publisher import Publisher
from passage.bus.topology import Topology
from passage.clock import utc_now
from passage.config import Settings
from passage.locations import LocationStore
from passage.mongo import Mongo
from voluntary_return import repository
from voluntary_return.repository import CaseRepository


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


def build(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Deps:
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    topology = Topology(settings.bus_prefix)
    return Deps(
        settings=settings,
        mongo=mongo,
        topology=topology,
        publisher=Publisher(settings.broker_url, topology),
        locations=repository.location_store(mongo),
        repository=CaseRepository(mongo),
        clock=clock,
    )
