"""The person-location read model in MongoDB: the storage half of :mod:`passage.locations`.

The decision half (facts, ordering, the current location) is pure and lives in
``passage.locations``; services' handlers depend on its ``Locations`` port, and only their
composition roots and adapters build this store.
"""

from __future__ import annotations

import logging

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from passage.bus.consumer import Unprocessable
from passage.events.envelope import Envelope
from passage.locations import (
    COLLECTION,
    LocationConflict,
    PersonLocation,
    StayFact,
    StoredLocation,
    apply_fact,
    current_location,
    fact_from_event,
    from_document,
    to_document,
)
from passage.mongo import Index, Mongo, safe_value, session_of, update_if_version
from passage.transaction import Transaction

log = logging.getLogger(__name__)


def location_indexes(collection: str = COLLECTION) -> list[Index]:
    """_id is the person_ref; stays are found by id when later issues reconcile with detention."""
    return [Index(collection, [("stays.stay_id", 1)], name="stays_stay_id")]


def fact_of(event: Envelope) -> StayFact:
    """The stay fact an event states; an event that states none is unprocessable (dead-lettered)."""
    try:
        return fact_from_event(event.type, event.id, event.time, event.data)
    except ValueError as exc:
        raise Unprocessable(str(exc)) from None


class LocationStore:
    """The read model in MongoDB: one document per person_ref, versioned."""

    def __init__(self, mongo: Mongo, collection: str = COLLECTION) -> None:
        self.mongo = mongo
        self.collection_name = collection

    def indexes(self) -> list[Index]:
        return location_indexes(self.collection_name)

    def record(self, event: Envelope, session: Transaction | None = None) -> bool:
        """Apply one stay event; False when it changes nothing (a duplicate or an older fact)."""
        db_session = session_of(session)
        fact = fact_of(event)
        collection = self.mongo.collection(self.collection_name)
        if fact.kind == "opened" and db_session is None and self._first_seen(collection, fact):
            return True
        doc = collection.find_one({"_id": fact.person_ref}, session=db_session)
        old = from_document(doc) if doc else None
        new = apply_fact(old, fact)
        if new == old:
            return False
        # Not the inbox's duplicate (which the consumer base skips): the consumer retries the
        # event with a fresh read. The new state is already known, so nothing is read back.
        if doc is None:
            try:
                collection.insert_one(
                    {"_id": fact.person_ref, "version": 1, **to_document(new)}, session=db_session
                )
            except DuplicateKeyError:
                raise LocationConflict("person changed concurrently: first seen twice") from None
        elif not update_if_version(
            collection,
            fact.person_ref,
            doc["version"],
            {"$set": to_document(new)},
            session=db_session,
        ):
            raise LocationConflict("person changed concurrently: version moved on")
        log.debug(
            "location recorded",
            extra={"event_id": fact.event_id, "stay_id": fact.stay_id, "kind": fact.kind},
        )
        return True

    @staticmethod
    def _first_seen(collection: Collection, fact: StayFact) -> bool:
        """Most people's first fact is their admission: insert it without looking first (one
        round trip, not two); False when the person is already known (then read and merge).

        Only outside a transaction: inside one, the duplicate key would abort it.
        """
        document = {"_id": fact.person_ref, "version": 1, **to_document(apply_fact(None, fact))}
        try:
            collection.insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    def get_location(self, person_ref: str) -> StoredLocation | None:
        """The person's location, or None when no detention event was ever seen for them."""
        doc = self.mongo.collection(self.collection_name).find_one({"_id": safe_value(person_ref)})
        if doc is None:
            return None
        return StoredLocation(current_location(from_document(doc)), int(doc["version"]))


class InMemoryLocations:
    """The same protocol without a database, for unit tests of services built on it."""

    def __init__(self) -> None:
        self._people: dict[str, tuple[PersonLocation, int]] = {}

    def record(self, event: Envelope, session: Transaction | None = None) -> bool:
        fact = fact_of(event)
        old, version = self._people.get(fact.person_ref, (None, 0))
        new = apply_fact(old, fact)
        if new == old:
            return False
        self._people[fact.person_ref] = (new, version + 1)
        return True

    def get_location(self, person_ref: str) -> StoredLocation | None:
        if person_ref not in self._people:
            return None
        state, version = self._people[person_ref]
        return StoredLocation(current_location(state), version)
