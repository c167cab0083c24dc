"""Voluntary return's MongoDB collections and their indexes (the location read model lives in the
shared library; this module says which collections this service owns)."""
from __future__ import annotations

from passage.bus.consumer import INBOX_INDEXES
from passage.bus.outbox import outbox_indexes
from passage.locations import COLLECTION as PERSON_LOCATIONS
from passage.locations import LocationStore, location_indexes
from passage.mongo import Index, Mongo

# Aggregates that will carry an outbox (AVRR cases, issue 5). None yet: the relay runs
# with this empty list so the worker already has its final shape.
OUTBOX_COLLECTIONS: tuple[str, ...] = ()


def location_store(mongo: Mongo) -> LocationStore:
    return LocationStore(mongo, PERSON_LOCATIONS)


def indexes() -> list[Index]:
    """Every index this service declares; applied by the API and the worker at start-up."""
    return [*INBOX_INDEXES, *location_indexes(PERSON_LOCATIONS), *outbox_indexes(OUTBOX_COLLECTIONS)]
