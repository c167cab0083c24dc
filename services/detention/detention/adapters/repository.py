"""Detention's MongoDB persistence: documents in and out, the capacity counter, the outbox.
Only the adapters speak MongoDB (operators, sessions, indexes); handlers see records.

Admission is one transaction: a versioned increment of the unit's occupancy (only while it is
below the stored capacity) and the insert of the stay carrying its ``detention.stay.opened``
envelope. A full unit or a person already held aborts both, so occupancy always equals the
number of open stays, under any concurrency and on any number of replicas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, overload

from pymongo import ASCENDING
from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError, OperationFailure

from detention.adapters import occupancy, stay_list
from detention.domain.model import (
    STAY_SEARCH,
    AlreadyExists,
    Decide,
    PersonAlreadyHeld,
    StayFilter,
    UnitFull,
)
from detention.domain.moves import StillHeld
from passage import person_search
from passage.bus.outbox import committed, outbox_fields, outbox_indexes, with_outbox
from passage.errors import VersionConflict
from passage.events.envelope import Envelope
from passage.mongo import Index, Mongo, safe_value, update_one_and_read

CENTRES, UNITS, STAYS = "centres", "units", "stays"
OUTBOX_COLLECTIONS = (STAYS, UNITS)
ONE_OPEN_STAY = "one_open_stay_per_person"
_HIDDEN = {"outbox": 0, "outbox_pending": 0}
TRANSIENT = "TransientTransactionError"  # the label that has a transaction run again


def indexes() -> list[Index]:
    """Every index detention relies on (ids are unique as ``_id``); applied at start-up."""
    return [
        Index(UNITS, [("centre_id", 1), ("_id", 1)], name="units_by_centre"),
        Index(UNITS, [("capacity_valid_until", 1)], name="units_by_capacity_end"),
        Index(
            STAYS, [("person_ref", 1)], name=ONE_OPEN_STAY, unique=True, partial={"status": "open"}
        ),
        Index(STAYS, [("person_ref", 1), ("_id", 1)], name="stays_by_person"),
        Index(STAYS, [("centre_id", 1), ("status", 1), ("_id", 1)], name="stays_by_centre"),
        # A centre's stays in id order, a slice of admission time at a time (``stay_list``): the
        # list of stays with no filter. MongoDB walks it in order and stops at the limit.
        Index(STAYS, [("centre_id", 1), ("_id", 1)], name="stays_by_centre_in_id_order"),
        Index(STAYS, [("unit_id", 1), ("status", 1), ("_id", 1)], name="stays_by_unit"),
        Index(STAYS, [("status", 1), ("_id", 1)], name="stays_by_status"),
        # Every centre's stays in id order, a slice of admission time at a time (``stay_list``):
        # an unscoped caller's list with no filter. SecantusDB plans an ``_id`` range only on a
        # declared index that starts with ``_id`` (else it reads every stay per page); MongoDB has
        # its own ``_id`` index for that, and this one costs it little: ``_id`` never changes and
        # ``status`` once (a stay's release), so an entry is rewritten at most once.
        Index(STAYS, [("_id", 1), ("status", 1)], name="stays_in_id_order"),
        Index(STAYS, [("status", 1), ("due_on", 1)], name="stays_by_due_date"),
        # A centre's open stays falling due by a day (the dashboard, the header's count): equality
        # on centre and status, the range on the date, so the read never walks the centre's closed
        # history.
        Index(STAYS, [("centre_id", 1), ("status", 1), ("due_on", 1)], name="stays_due_by_centre"),
        Index(STAYS, [("family_group.id", 1), ("status", 1)], name="stays_by_family_group"),
        Index(
            STAYS,
            [("status", 1), ("entry_medical", 1), ("admitted_at", 1)],
            name="stays_without_entry_examination",
        ),
        *person_search.indexes(STAYS),
        *occupancy.indexes(),
        *outbox_indexes(OUTBOX_COLLECTIONS),
    ]


@overload
def record(doc: Mapping[str, Any]) -> dict[str, Any]: ...
@overload
def record(doc: None) -> None: ...
@overload
def record(doc: Mapping[str, Any] | None) -> dict[str, Any] | None: ...


def record(doc: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A stored document as the rest of the service sees it: ``id`` instead of ``_id``."""
    if doc is None:
        return None
    out = {k: v for k, v in doc.items() if k not in ("_id", "outbox", "outbox_pending")}
    return {"id": doc["_id"], **out}


def stay_changed(current_version: int) -> VersionConflict:
    """The record is at another version than the caller's ``If-Match``: the 412 detention has
    always answered (rule ``if_match``, this sentence, ``current_version``)."""
    conflict = VersionConflict(
        current_version, f"The record is at version {current_version}; read it again."
    )
    conflict.rule = "if_match"
    return conflict


class NoPlace(Exception):
    """Raised inside a transaction to abort it when the places cannot be taken; carries the unit's
    figures as the transaction read them (none when the unit was not found or not in scope)."""

    def __init__(self, unit: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.unit = unit


class MongoRepository:
    """Centres, units and stays in the service's own database."""

    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo
        # The daily occupancy documents this process already made sure of: the roll runs every
        # minute, and an idle stack should not write once per unit each time.
        self.rolled: set[str] = set()

    def _find_page(
        self, name: str, query: dict[str, Any], after: str | None, limit: int
    ) -> list[dict[str, Any]]:
        if after is not None:
            query = {**query, "_id": {**query.get("_id", {}), "$gt": safe_value(after)}}
        cursor = (
            self.mongo.collection(name).find(query, _HIDDEN).sort("_id", ASCENDING).limit(limit)
        )
        return [record(doc) for doc in cursor]

    def _insert_new(self, name: str, doc: dict[str, Any], what: str) -> dict[str, Any]:
        try:
            self.mongo.collection(name).insert_one(doc)
        except DuplicateKeyError:
            raise AlreadyExists(
                f"{what}_exists", f"A {what} with id {doc['_id']} exists already.", field="id"
            ) from None
        return record(doc)

    # centres ---------------------------------------------------------------------------------
    def add_centre(self, doc: dict[str, Any]) -> dict[str, Any]:
        return self._insert_new(CENTRES, doc, "centre")

    def centre(self, centre_id: str) -> dict[str, Any] | None:
        return record(self.mongo.collection(CENTRES).find_one({"_id": safe_value(centre_id)}))

    def centres(
        self, scope: Sequence[str] | None, after: str | None, limit: int
    ) -> list[dict[str, Any]]:
        query = {} if scope is None else {"_id": {"$in": [safe_value(c) for c in scope]}}
        return self._find_page(CENTRES, query, after, limit)

    # units -----------------------------------------------------------------------------------
    def add_unit(self, doc: dict[str, Any], events: Sequence[Envelope]) -> dict[str, Any]:
        return self._insert_new(UNITS, {**doc, **outbox_fields(events, into=UNITS)}, "unit")

    def unit(self, unit_id: str) -> dict[str, Any] | None:
        return record(self.mongo.collection(UNITS).find_one({"_id": safe_value(unit_id)}, _HIDDEN))

    def units(self, centre_id: str, after: str | None, limit: int) -> list[dict[str, Any]]:
        return self._find_page(UNITS, {"centre_id": safe_value(centre_id)}, after, limit)

    def units_with_capacity_ending_before(
        self, day: date, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Units whose stored capacity still counts a block that has expired."""
        cursor = self.mongo.collection(UNITS).find(
            {"capacity_valid_until": {"$lt": day.isoformat()}}, _HIDDEN
        )
        return [record(doc) for doc in cursor.limit(limit)]

    # occupancy figures ---------------------------------------------------------------------
    def current_occupancy(self, centre_id: str) -> dict[str, Any]:
        return occupancy.current(self.mongo, centre_id)

    def occupancy_history(self, centre_id: str, first: date, last: date) -> dict[str, Any]:
        return occupancy.history(self.mongo, centre_id, first, last)

    def monthly_statistics(self, month: str, today: date) -> dict[str, Any]:
        return occupancy.statistics(self.mongo, month, today)

    def person_hits(
        self, centres: Sequence[str] | None, query: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        """Stays whose person matches every filter, within ``centres`` (None: everywhere)."""
        scope = {} if centres is None else {"centre_id": {"$in": list(centres)}}
        return person_search.find_hits(self.mongo.collection(STAYS), scope, query, STAY_SEARCH)

    def roll_day(self, day: str) -> int:
        """Write ``day``'s occupancy document for every unit (see ``occupancy.roll_day``)."""
        return occupancy.roll_day(self.mongo, day, self.rolled)

    def unit_figures(self) -> list[dict[str, Any]]:
        """Every unit's centre, capacity and occupancy (for the gauges)."""
        units = self.mongo.collection(UNITS).find(
            {}, {"centre_id": 1, "capacity": 1, "occupancy": 1}
        )
        return [{"id": u["_id"], **{k: v for k, v in u.items() if k != "_id"}} for u in units]

    def set_capacity(
        self,
        unit_id: str,
        was_valid_until: str,
        capacity: int,
        valid_until: str | None,
        events: Sequence[Envelope],
    ) -> bool:
        """Store a recomputed capacity unless someone else already did (filter on the old end
        date)."""
        update = with_outbox(
            {
                "$set": {"capacity": capacity, "capacity_valid_until": valid_until},
                "$inc": {"version": 1},
            },
            events,
            into=UNITS,
        )
        result = self.mongo.collection(UNITS).update_one(
            {"_id": safe_value(unit_id), "capacity_valid_until": safe_value(was_valid_until)},
            update,
        )
        return result.modified_count == 1

    def update_centre(
        self, centre_id: str, version: int | None, changes: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Rename or (de)activate a centre; its units follow, so admissions see it in their
        filter."""

        def work(session: ClientSession) -> dict[str, Any] | None:
            if "active" in changes:
                self.mongo.collection(UNITS).update_many(
                    {"centre_id": centre_id},
                    {"$set": {"centre_active": changes["active"]}},
                    session=session,
                )
                if not changes["active"] and self.mongo.collection(STAYS).find_one(
                    {"centre_id": centre_id, "status": "open"}, {"_id": 1}, session=session
                ):
                    raise StillHeld(
                        "centre_empty",
                        f"Centre {centre_id} still holds people; transfer or release them first.",
                    )
            return self._versioned(session, CENTRES, centre_id, version, {"$set": changes}, {})

        return record(self.mongo.transaction(work))

    def update_unit(
        self,
        unit_id: str,
        version: int | None,
        changes: dict[str, Any],
        day: str,
        events: Sequence[Envelope],
    ) -> dict[str, Any] | None:
        """New figures for a unit, refused when the capacity that counts would fall below
        occupancy."""

        def work(session: ClientSession) -> dict[str, Any] | None:
            doc = self._versioned(
                session,
                UNITS,
                unit_id,
                version,
                with_outbox({"$set": changes}, events, into=UNITS),
                {"occupancy": {"$lte": changes["capacity"]}},
            )
            if doc is not None:
                occupancy.record_day(self.mongo, session, doc, day, None)
            return doc

        return record(occupancy.transaction(self.mongo, work))

    def _versioned(
        self,
        session: ClientSession,
        name: str,
        doc_id: str,
        version: int | None,
        update: dict[str, Any],
        condition: dict[str, Any],
    ) -> dict[str, Any] | None:
        query = {
            "_id": safe_value(doc_id),
            **condition,
            **({"version": version} if version is not None else {}),
        }
        doc = update_one_and_read(  # not findAndModify: SecantusDB scans the collection for it
            self.mongo.collection(name),
            query,
            {**update, "$inc": {"version": 1}},
            projection=_HIDDEN,
            session=session,
        )
        if doc is not None:
            return doc
        current = self.mongo.collection(name).find_one({"_id": safe_value(doc_id)}, session=session)
        if current is None:
            return None
        if version is not None and current["version"] != version:
            raise stay_changed(current["version"])
        raise StillHeld(
            "capacity_above_occupancy",
            f"Unit {doc_id} holds {current.get('occupancy')} people: "
            "its capacity cannot fall below that.",
            field="declared_places",
            unit_id=doc_id,
        )

    # stays -----------------------------------------------------------------------------------
    def admit(
        self, unit_id: str, places: int, scope: Sequence[str] | None, decide: Decide
    ) -> list[dict[str, Any]]:
        """Take ``places`` places in the unit and open the stays ``decide(unit)`` gives, in one
        transaction; raise when refused.

        ``decide`` sees the unit as the transaction found it (before the places were taken), so
        the rules judge the unit the write changes, and no read comes first. A refusal it raises
        aborts the transaction: nothing is stored. :class:`UnitFull` when the places cannot be
        taken: no room, an unknown unit, a closed centre, or a unit outside ``scope`` (the
        caller's centres; None: all), which is never written to (the caller reads the unit to say
        which).
        """
        unit_id = safe_value(unit_id)

        def work(session: ClientSession) -> list[dict[str, Any]]:
            unit = self.take_place(session, unit_id, places, scope)
            before = record(
                {**unit, "occupancy": unit["occupancy"] - places, "version": unit["version"] - 1}
            )
            decided = decide(before)
            if len(decided) != places:  # occupancy must stay equal to the open stays
                raise ValueError(f"{places} places taken for {len(decided)} stays")
            docs = [{**stay, **outbox_fields(evs, into=STAYS)} for stay, evs in decided]
            for doc in docs:  # one by one: a duplicate key names its index alike on every server
                self.mongo.collection(STAYS).insert_one(doc, session=session)
                occupancy.record_day(
                    self.mongo, session, unit, doc["admitted_on"], "admissions", doc
                )
            return docs

        try:
            with occupancy.one_writer_per_unit(unit_id):
                docs = occupancy.transaction(self.mongo, work)
        except NoPlace as refused:
            raise self.unit_full(unit_id, refused) from None
        except DuplicateKeyError as exc:
            if ONE_OPEN_STAY not in str(exc):
                raise
            raise PersonAlreadyHeld(
                "one_open_stay", "This person already has an open stay.", field="person.person_ref"
            ) from None
        committed(STAYS, docs)  # the relay sends their envelopes without reading them back
        return [record(doc) for doc in docs]

    def take_place(
        self,
        session: ClientSession,
        unit_id: str,
        places: int = 1,
        scope: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Take ``places`` places only while that many are free (in a centre of ``scope``, when
        given); the unit as it is after, or abort with :class:`NoPlace`.

        The unit is read in the transaction's snapshot and written on condition of the version
        read: a move another process committed since makes the write conflict (a transient
        transaction error on MongoDB and SecantusDB alike), and the whole transaction runs again
        on the unit as it is then (tests: a stale read under a concurrent writer; two replicas).
        Not one conditional findAndModify with ``$expr``: SecantusDB answers both with a scan of
        every unit (37 admissions a second at 410 units against 54, ``bench/admission_estate``).
        """
        units = self.mongo.collection(UNITS)
        unit = units.find_one({"_id": unit_id}, _HIDDEN, session=session)
        if unit is None or (scope is not None and unit.get("centre_id") not in scope):
            raise NoPlace()
        if unit.get("centre_active") is False or unit["occupancy"] + places > unit["capacity"]:
            raise NoPlace(unit)
        taken = units.update_one(
            {"_id": unit_id, "version": unit["version"]},
            {"$inc": {"occupancy": places, "version": 1}},
            session=session,
        )
        if not taken.matched_count:  # a conflict the server did not report: start again
            raise OperationFailure(
                "the unit changed during the move", 112, {"errorLabels": [TRANSIENT]}
            )
        return {**unit, "occupancy": unit["occupancy"] + places, "version": unit["version"] + 1}

    def held_family_members(self, group_id: str, centre_id: str) -> list[dict[str, Any]]:
        """Open stays of a family group in one centre: each member's relation and birth date."""
        cursor = self.mongo.collection(STAYS).find(
            {
                "family_group.id": safe_value(group_id),
                "status": "open",
                "centre_id": safe_value(centre_id),
            },
            {"family_group": 1, "person.birth_date": 1, "centre_id": 1},
        )
        return [record(doc) for doc in cursor.limit(50)]

    def open_stay_of_person(self, person_ref: str) -> dict[str, Any] | None:
        """Where a person is held now (ids only), for the caller-aware admission conflict."""
        return record(
            self.mongo.collection(STAYS).find_one(
                {"person_ref": safe_value(person_ref), "status": "open"},
                {"centre_id": 1, "unit_id": 1},
            )
        )

    def free_place(self, session: ClientSession, unit_id: str) -> dict[str, Any]:
        unit = update_one_and_read(  # not findAndModify: SecantusDB scans every unit for it
            self.mongo.collection(UNITS),
            {"_id": safe_value(unit_id)},
            {"$inc": {"occupancy": -1, "version": 1}},
            projection=_HIDDEN,
            session=session,
        )
        if unit is None:
            raise KeyError(unit_id)  # a stay's unit is never removed
        return unit

    def unit_full(self, unit_id: str, refused: NoPlace | None = None) -> UnitFull:
        """The refusal of a full unit with its figures: as the refused transaction read them, or
        read now when it did not find the unit."""
        seen = refused.unit if refused is not None else None
        current = seen or (
            self.mongo.collection(UNITS).find_one({"_id": unit_id}, {"occupancy": 1, "capacity": 1})
            or {}
        )
        return UnitFull(unit_id, current.get("occupancy", 0), current.get("capacity", 0))

    def stay(self, stay_id: str) -> dict[str, Any] | None:
        return record(self.mongo.collection(STAYS).find_one({"_id": safe_value(stay_id)}, _HIDDEN))

    def stays(
        self, where: StayFilter, scope: Sequence[str] | None, after: str | None, limit: int
    ) -> list[dict[str, Any]]:
        query = _due_first(where.due_before)
        for name in ("unit_id", "status", "person_ref", "centre_id", "nationality"):
            value = getattr(where, name)
            if value is not None and name not in query:
                query[name] = safe_value(value)
        if where.legal_basis is not None:
            query["legal_basis.kind"] = safe_value(where.legal_basis)
        if scope is not None:
            if "centre_id" in query and query["centre_id"] not in scope:
                return []
            query.setdefault("centre_id", {"$in": [safe_value(c) for c in scope]})
        # Open stays are few (no more than the places): one read of them is quicker than walking
        # slices of time from the first centre's creation to the present. Closed ones, and all
        # stays, are the whole history: those are read a slice of admission time at a time.
        if set(query) <= {"centre_id", "status"} and query.get("status") != "open":
            stays, centres = self.mongo.collection(STAYS), self.mongo.collection(CENTRES)
            cursor = None if after is None else safe_value(after)
            return [record(d) for d in stay_list.in_id_order(stays, centres, query, cursor, limit)]
        return self._find_page(STAYS, query, after, limit)


def _due_first(due_before: date | None) -> dict[str, Any]:
    """The open stays due by ``due_before`` (nothing when None), as the first clauses of a query.

    A string bound never matches a stay without a due date (a missing or null ``due_on``): range
    operators compare within one type, on MongoDB and SecantusDB alike, so no ``$ne: null`` is
    needed, and without it the range rides ``stays_due_by_centre``. First, because when another
    operator comes too (the page's ``_id`` range, a caller's centres), SecantusDB (the embedded
    default) serves one clause alone from an index, the first it can: ``status`` reads the open
    stays, never a centre's closed history.
    """
    if due_before is None:
        return {}
    return {"status": "open", "due_on": {"$lte": due_before.isoformat()}}
