"""The one place that builds readmission's concrete adapters (MongoDB, bus) from settings."""
from __future__ import annotations

from dataclasses import dataclass

from passage.bus.publisher import Publisher
from passage.bus.topology import Topology
from passage.config import Settings
from passage.locations import LocationStore
from passage.mongo import Mongo

from readmission import repository


@dataclass(frozen=True)
class Deps:
    """Everything the API and the worker use; nothing here connects until first used."""

    settings: Settings
    mongo: Mongo
    topology: Topology
    publisher: Publisher
    locations: LocationStore


def build(settings: Settings) -> Deps:
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    topology = Topology(settings.bus_prefix)
    return Deps(settings=settings, mongo=mongo, topology=topology,
                publisher=Publisher(settings.broker_url, topology),
                locations=repository.location_store(mongo))
