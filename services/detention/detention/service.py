"""The one place that builds detention's concrete adapters (MongoDB, bus, clock) from settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from detention.repository import MongoRepository
from detention.rules import Rules, rules_on
from detention.stay_store import StayStore
from passage.bus.publisher import Publisher
from passage.bus.topology import Topology
from passage.clock import utc_now
from passage.config import Settings
from passage.mongo import Mongo


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


def build(settings: Settings) -> Deps:
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    topology = Topology(settings.bus_prefix)
    repository = MongoRepository(mongo)
    return Deps(
        settings=settings,
        mongo=mongo,
        topology=topology,
        publisher=Publisher(settings.broker_url, topology),
        repository=repository,
        stay_store=StayStore(repository),
    )
