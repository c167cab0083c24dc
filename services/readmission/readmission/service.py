"""The one place that builds readmission's concrete adapters (MongoDB, bus, clock, rules) from settings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from passage.bus.publisher import Publisher
from passage.bus.topology import Topology
from passage.clock import utc_now
from passage.config import Settings
from passage.locations import LocationStore
from passage.mongo import Mongo
from readmission.domain import deadlines
from readmission.adapters import repository
from readmission.adapters.protocols import ProtocolStore
from readmission.adapters.repository import MongoRepository
from readmission.adapters.transit_repository import TransitRepository


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


def build(
    settings: Settings,
    clock: Callable[[], datetime] = utc_now,
    rules: Sequence[deadlines.RuleVersion] = deadlines.RULES,
) -> Deps:
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    topology = Topology(settings.bus_prefix)
    return Deps(
        settings=settings,
        mongo=mongo,
        topology=topology,
        publisher=Publisher(settings.broker_url, topology),
        locations=repository.location_store(mongo),
        repository=MongoRepository(mongo),
        protocols=ProtocolStore(mongo),
        transits=TransitRepository(mongo),
        clock=clock,
        rules=tuple(rules),
    )
