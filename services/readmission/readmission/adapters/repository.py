"""Readmission's MongoDB persistence: requests (with their outbox), the open-deadline index the
worklist and the clock read, the monthly statistics read model, and the location read model.

A transition writes the request (conditional on its version *and* state), its open deadlines and
its statistics in one transaction, so no reader ever sees one without the others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from pymongo import ASCENDING
from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from passage import person_search
from passage.bus.consumer import INBOX_INDEXES
from passage.bus.outbox import committed, outbox_fields, outbox_indexes, with_outbox
from passage.errors import AlreadyExists, VersionConflict
from passage.events.envelope import Envelope
from passage.evidence_files import FileStore
from passage.location_store import location_indexes
from passage.locations import COLLECTION as PERSON_LOCATIONS
from passage.mongo import Index, Mongo, safe_value, session_of, update_one_and_read
from passage.transaction import Transaction
from readmission.adapters.deadline_index import DeadlineIndex, DeadlinePage, index_declarations
from readmission.domain import deadlines as dl
from readmission.domain.requests import Change, deadline_record
from readmission.domain.search import REQUEST_SEARCH, TRANSIT_SEARCH

REQUESTS, STATISTICS, PROTOCOLS, TRANSITS = "requests", "statistics", "protocols", "transits"
EVIDENCE_BUCKET = "evidence_files"  # GridFS bucket of the requests' scanned documents
CALENDARS = "calendar_overrides"  # per country: administrators' per-date working-day overrides
AGREEMENTS = (
    "agreements"  # administrators' agreements and rule versions (built-in ones live in code)
)
OUTBOX_COLLECTIONS: tuple[str, ...] = (REQUESTS,)
T = TypeVar("T")


def scope_filter(
    member_states: Sequence[str] | None, filters: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The given filters (validated scalars), narrowed to ``member_states`` (None: all of them)."""
    query: dict[str, Any] = {k: safe_value(v) for k, v in (filters or {}).items() if v is not None}
    if member_states is not None:
        wanted = [m for m in member_states if query.get("member_state", m) == m]
        query["member_state"] = {"$in": wanted}
    return query


def page_after(
    collection: Any, where: dict[str, Any], after: str | None, limit: int
) -> list[dict[str, Any]]:
    """One page of ``collection`` by id, after the id ``after`` (keyset paging, no outbox)."""
    if after:
        where = {**where, "_id": {"$gt": safe_value(after)}}
    return list(collection.find(where, {"outbox": 0}).sort("_id", ASCENDING).limit(limit))


def evidence_store(mongo: Mongo) -> FileStore:
    """The requests' evidence files (GridFS in the service's own database)."""
    return FileStore(mongo.db, EVIDENCE_BUCKET)


def indexes() -> list[Index]:
    """Every index this service declares; applied by the API and the worker at start-up."""
    return [
        *INBOX_INDEXES,
        *location_indexes(PERSON_LOCATIONS),
        *outbox_indexes(OUTBOX_COLLECTIONS),
        Index(REQUESTS, [("person_ref", 1), ("_id", 1)], name="person_ref"),
        Index(REQUESTS, [("member_state", 1), ("_id", 1)], name="member_state"),
        Index(TRANSITS, [("person_ref", 1), ("_id", 1)], name="transit_person_ref"),
        Index(TRANSITS, [("member_state", 1), ("_id", 1)], name="transit_member_state"),
        *index_declarations(),
        *person_search.indexes(REQUESTS),
        *person_search.indexes(TRANSITS),
        Index(STATISTICS, [("month", 1), ("member_state", 1)], name="month"),
    ]


def month_of(day: date) -> str:
    return day.strftime("%Y-%m")


class MongoRepository:
    """Requests, deadlines and statistics in MongoDB."""

    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo
        self.deadlines = DeadlineIndex(mongo)

    def _c(self, name: str):
        return self.mongo.collection(name)

    def in_transaction(
        self, work: Callable[[ClientSession], T], tx: Transaction | None = None
    ) -> T:
        """Run ``work(session)`` inside the given unit of work, or a new transaction."""
        session = session_of(tx)
        return work(session) if session is not None else self.mongo.transaction(work)

    # people ------------------------------------------------------------------------------------
    def has_record_of(self, member_states: Sequence[str] | None, person_ref: str) -> bool:
        """True when a request or transit about ``person_ref`` lies in ``member_states``."""
        query = scope_filter(member_states, {"person_ref": person_ref})
        return any(
            self._c(name).find_one(query, {"_id": 1}) is not None for name in (REQUESTS, TRANSITS)
        )

    def person_hits(
        self, member_states: Sequence[str] | None, args: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        """Requests and transits in ``member_states`` whose person matches every filter in
        ``args``."""
        scope = scope_filter(member_states)
        return [
            *person_search.find_hits(self._c(REQUESTS), scope, args, REQUEST_SEARCH),
            *person_search.find_hits(self._c(TRANSITS), scope, args, TRANSIT_SEARCH),
        ]

    # requests ----------------------------------------------------------------------------------
    def add(
        self, doc: dict[str, Any], opened: Sequence[dl.Deadline], events: Sequence[Envelope]
    ) -> dict[str, Any]:
        stored = {
            **doc,
            "deadlines": {d.kind: deadline_record(d) for d in opened},
            **outbox_fields(events, into=REQUESTS),
        }

        def work(session: ClientSession) -> None:
            try:
                self._c(REQUESTS).insert_one(stored, session=session)
            except DuplicateKeyError:
                raise AlreadyExists("A request with this id exists already.") from None
            self.deadlines.open(stored, opened, session)

        self.in_transaction(work)
        committed(REQUESTS, [stored])  # the relay sends its envelopes without reading it back
        return stored

    def get(self, request_id: str, tx: Transaction | None = None) -> dict[str, Any] | None:
        return self._c(REQUESTS).find_one(
            {"_id": safe_value(request_id)}, {"outbox": 0}, session=session_of(tx)
        )

    def page(
        self,
        member_states: Sequence[str] | None,
        filters: Mapping[str, Any],
        after: str | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        """Requests matching ``filters`` in ``member_states`` (None: all), by id."""
        return page_after(self._c(REQUESTS), scope_filter(member_states, filters), after, limit)

    def open_requests_of(
        self, person_ref: str, states: Sequence[str], tx: Transaction
    ) -> list[dict[str, Any]]:
        query = {"person_ref": safe_value(person_ref), "state": {"$in": list(states)}}
        return list(
            self._c(REQUESTS)
            .find(query, {"outbox": 0}, session=session_of(tx))
            .sort("_id", ASCENDING)
        )

    def set_voluntary_return(
        self,
        person_ref: str,
        states: Sequence[str],
        mark: dict[str, Any] | None,
        only_case: str | None,
        tx: Transaction,
    ) -> int:
        query: dict[str, Any] = {
            "person_ref": safe_value(person_ref),
            "state": {"$in": list(states)},
        }
        if only_case:
            query["voluntary_return.case_id"] = safe_value(only_case)
        result = self._c(REQUESTS).update_many(
            query,
            {"$set": {"voluntary_return": mark}, "$inc": {"version": 1}},
            session=session_of(tx),
        )
        return result.modified_count

    def apply(
        self,
        doc: Mapping[str, Any],
        change: Change,
        history: dict[str, Any],
        now: datetime,
        events: Sequence[Envelope],
        tx: Transaction | None = None,
    ) -> dict[str, Any]:
        """Write ``change`` if the request is still at ``doc``'s version and state;
        VersionConflict otherwise."""

        def work(s: ClientSession) -> dict[str, Any]:
            stored = update_one_and_read(  # not findAndModify: SecantusDB scans for it
                self._c(REQUESTS),
                {"_id": doc["_id"], "version": doc["version"], "state": doc["state"]},
                with_outbox(self._update(change, history, now), events, into=REQUESTS),
                projection={"outbox": 0},
                session=s,
            )
            if stored is None:
                raise VersionConflict(None, "The request changed meanwhile.")
            self.deadlines.close(
                doc["_id"],
                [k for k in change.closed if k not in {d.kind for d in change.opened}],
                s,
            )
            self.deadlines.open(stored, change.opened, s)
            self.deadlines.follow_state(doc["_id"], stored["state"], s)
            for member_state, day, incs, reply_days in change.stats:
                self._count(member_state, day, incs, reply_days, s)
            return stored

        return self.in_transaction(work, tx)

    @staticmethod
    def _update(change: Change, history: dict[str, Any], now: datetime) -> dict[str, Any]:
        fields: dict[str, Any] = {"state": change.state, "updated_at": now, **change.set}
        for deadline in change.opened:
            fields[f"deadlines.{deadline.kind}"] = deadline_record(deadline)
        opened = {d.kind for d in change.opened}
        for kind, how in change.closed.items():
            if kind not in opened:
                fields[f"deadlines.{kind}.status"] = how
        return {"$set": fields, "$push": {"history": history}, "$inc": {"version": 1}}

    # deadlines ---------------------------------------------------------------------------------
    def worklist(
        self, member_states: Sequence[str] | None, after: tuple[str, str] | None, limit: int
    ) -> DeadlinePage:
        """Open deadlines by due date (overdue first), optionally for some member states only."""
        return self.deadlines.page(member_states, after, limit)

    def passed_unnotified(self, today: date, limit: int) -> list[dict[str, Any]]:
        return self.deadlines.passed_unnotified(today, limit)

    def mark_missed(
        self,
        entry: Mapping[str, Any],
        now: datetime,
        events: Sequence[Envelope],
        expire: bool = False,
    ) -> bool:
        """Flag one passed deadline (once: conditional on not flagged yet); False if someone did
        first."""
        kind, request_id = entry["kind"], entry["request_id"]
        collection = TRANSITS if entry.get("resource") == "transit" else REQUESTS
        fields: dict[str, Any] = {f"deadlines.{kind}.missed_notified": True, "updated_at": now}
        if expire:
            fields[f"deadlines.{kind}.status"] = "expired"

        def work(s: ClientSession) -> bool:
            done = self._c(collection).update_one(
                {
                    "_id": request_id,
                    f"deadlines.{kind}.missed_notified": False,
                    f"deadlines.{kind}.due_on": entry["due_on"],
                    f"deadlines.{kind}.status": "open",
                },
                with_outbox({"$set": fields, "$inc": {"version": 1}}, events, into=REQUESTS),
                session=s,
            )
            self.deadlines.notified(entry, expire and done.modified_count == 1, s)
            return done.modified_count == 1

        return self.mongo.transaction(work)

    # statistics --------------------------------------------------------------------------------
    def _count(
        self,
        member_state: str,
        day: date,
        incs: Mapping[str, int],
        reply_days: int | None,
        session: ClientSession,
    ) -> None:
        month = month_of(day)
        update: dict[str, Any] = {
            "$inc": dict(incs),
            "$setOnInsert": {"member_state": member_state, "month": month},
        }
        if reply_days is not None:
            update["$push"] = {"reply_days": reply_days}
        self._c(STATISTICS).update_one(
            {"_id": f"{member_state}:{month}"}, update, upsert=True, session=session
        )

    # agreements --------------------------------------------------------------------------------
    def agreements(self) -> list[dict[str, Any]]:
        return list(self._c(AGREEMENTS).find({}).sort("_id", ASCENDING))

    def agreement(self, code: str) -> dict[str, Any] | None:
        return self._c(AGREEMENTS).find_one({"_id": safe_value(code)})

    def add_agreement(self, doc: dict[str, Any]) -> dict[str, Any]:
        try:
            self._c(AGREEMENTS).insert_one(doc)
        except DuplicateKeyError:
            raise AlreadyExists("An agreement with this code is recorded already.") from None
        return doc

    def add_rule_version(
        self, code: str, expected: int | None, version: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Add a rule version (ordered by effective date) if the record is at ``expected``; None
        otherwise."""
        where: dict[str, Any] = {
            "_id": safe_value(code),
            "rule_versions.version": {"$ne": safe_value(version["version"])},
        }
        if expected is not None:
            where["version"] = expected
        update = {
            "$push": {"rule_versions": {"$each": [version], "$sort": {"effective_from": 1}}},
            "$inc": {"version": 1},
        }
        try:
            return self._c(AGREEMENTS).find_one_and_update(
                where, update, upsert=expected is None, return_document=True
            )
        except DuplicateKeyError:
            return None

    # calendars ---------------------------------------------------------------------------------
    def calendar_overrides(
        self, countries: Sequence[str] | None = None
    ) -> dict[str, dict[str, bool]]:
        """Overrides as the engine takes them (country -> ISO day -> working or not), for some
        countries or all."""
        query = {} if countries is None else {"_id": {"$in": [safe_value(c) for c in countries]}}
        return {
            doc["_id"]: {day: bool(o["working"]) for day, o in (doc.get("days") or {}).items()}
            for doc in self._c(CALENDARS).find(query)
        }

    def calendar(self, country: str) -> dict[str, Any] | None:
        return self._c(CALENDARS).find_one({"_id": safe_value(country)})

    def set_calendar_day(
        self, country: str, day: str, override: dict[str, Any], expected: int | None
    ) -> dict[str, Any] | None:
        """Record one day's override (conditional on the calendar's version when given); None if it
        moved."""
        where: dict[str, Any] = {"_id": safe_value(country)}
        if expected is not None:
            where["version"] = expected
        update = {"$set": {f"days.{day}": override}, "$inc": {"version": 1}}
        try:
            return self._c(CALENDARS).find_one_and_update(
                where, update, upsert=expected is None, return_document=True
            )
        except DuplicateKeyError:
            return None

    def statistics(self, month: str) -> list[dict[str, Any]]:
        return list(
            self._c(STATISTICS).find({"month": safe_value(month)}).sort("member_state", ASCENDING)
        )
