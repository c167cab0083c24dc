"""Voluntary return's case store in MongoDB: cases with their outbox, the monthly statistics read
model and the due-date calendar (changed in the same transaction as the case they count), and
forced-route flags from readmission. The only module that writes MongoDB's update language for
cases; handlers hand it typed records (``CaseUpdate``, ``CaseFilter``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.client_session import ClientSession
from pymongo.collection import Collection

from passage import person_search
from passage.bus.outbox import committed, outbox_fields, with_outbox
from passage.errors import VersionConflict
from passage.events.envelope import Envelope
from passage.mongo import Mongo, safe_value, session_of
from passage.transaction import Transaction
from voluntary_return.adapters.storage import CALENDAR, CASES, FORCED_ROUTES, STAGE_COUNTS
from voluntary_return.domain import statistics, worklist
from voluntary_return.domain.commands import CASE_SEARCH
from voluntary_return.domain.records import CaseFilter, CaseUpdate
from voluntary_return.domain.stages import OPEN

_HIDDEN = {"outbox": 0, "outbox_pending": 0}
EARLIEST = "0001-01-01"  # sorts before every ISO date
ID_SPACE = 1 << 32  # case ids are uuid4: their first 8 hex digits spread evenly over this
ID_WINDOW = 1 << 26  # the first slice a filtered read takes: 1/64 of the cases
# With no filter every case in a slice is a row (and one the database reads): 1/1024 of the cases
# is about two pages at 100k, and a smaller collection takes a few more, doubling, slices.
ID_WINDOW_UNFILTERED = 1 << 22


def _record(doc: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if doc is None else _found(doc)


def _found(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in _HIDDEN}


def _update_document(change: CaseUpdate) -> dict[str, Any]:
    """MongoDB's update operators for one action's write."""
    update: dict[str, Any] = {"$set": dict(change.set), "$push": dict(change.push)}
    if change.unset:
        update["$unset"] = dict.fromkeys(change.unset, "")
    return update


def _statistics_update(delta: statistics.Delta) -> dict[str, Any]:
    """The upsert of one month's statistics row (shard) for ``delta``."""
    update: dict[str, Any] = {
        "$setOnInsert": {
            "month": delta.month,
            "nationality": delta.nationality,
            "destination_country": delta.destination_country,
        },
        "$inc": dict(delta.inc),
    }
    if delta.days_to_departure is not None:
        update["$push"] = {"days_to_departure": delta.days_to_departure}
    return update


class CaseRepository:
    """AVRR cases in the service's own database."""

    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo

    @property
    def _cases(self) -> Collection:
        return self.mongo.collection(CASES)

    def insert(
        self,
        case: dict[str, Any],
        events: Sequence[Envelope],
        delta: statistics.Delta,
        moves: Sequence[worklist.Move] = (),
    ) -> None:
        """The new case, its events, its statistics and its calendar entry, in one transaction."""

        stored = {**case, **outbox_fields(events, into=CASES)}

        def work(session: ClientSession) -> None:
            self._cases.insert_one(stored, session=session)
            self._count(delta, session)
            self._move(case["_id"], moves, session)
            self._recount(case["_id"], None, case["stage"], session)

        self.mongo.transaction(work)
        committed(CASES, [stored])  # the relay sends its envelopes without reading it back

    def update(
        self,
        case_id: str,
        version: int,
        stage: str,
        change: CaseUpdate,
        events: Sequence[Envelope],
        delta: statistics.Delta,
        moves: Sequence[worklist.Move] = (),
    ) -> dict[str, Any]:
        """Apply ``change`` only if the case is still at ``version`` and ``stage``.

        Otherwise :class:`VersionConflict` (without the current version: the handler re-reads the
        case only when it needs it, so a lost race costs no extra round trip).
        """
        update = with_outbox(
            {**_update_document(change), "$inc": {"version": 1}}, events, into=CASES
        )

        def work(session: ClientSession) -> dict[str, Any] | None:
            # update_one + read-back in the transaction, not find_one_and_update: SecantusDB (the
            # embedded default) scans the whole collection for a findAndModify, even by _id.
            changed = self._cases.update_one(
                {
                    "_id": safe_value(case_id),
                    "version": safe_value(version),
                    "stage": safe_value(stage),
                },
                update,
                session=session,
            )
            if changed.matched_count != 1:
                return None
            doc = self._cases.find_one({"_id": safe_value(case_id)}, _HIDDEN, session=session)
            assert doc is not None  # matched in this very transaction
            self._count(delta, session)
            self._move(case_id, moves, session)
            self._recount(case_id, stage, doc["stage"], session)
            return doc

        doc = self.mongo.transaction(work)
        if doc is None:
            raise VersionConflict(None, f"Case {case_id} changed meanwhile.")
        return doc

    def _count(self, delta: statistics.Delta, session: ClientSession) -> None:
        if delta.inc or delta.days_to_departure is not None:
            self.mongo.collection(statistics.COLLECTION).update_one(
                {"_id": delta.row_id}, _statistics_update(delta), upsert=True, session=session
            )

    def _move(self, case_id: str, moves: Sequence[worklist.Move], session: ClientSession) -> None:
        """Keep the due-date calendar (sharded like the statistics, summed when read) with the
        case."""
        shard = int(case_id[:8], 16) % statistics.SHARDS
        for kind, due, n in moves:
            self.mongo.collection(CALENDAR).update_one(
                {"_id": f"{due}|{kind}|{shard}"},
                {"$setOnInsert": {"due": due, "kind": kind}, "$inc": {"n": n}},
                upsert=True,
                session=session,
            )

    def _recount(
        self, case_id: str, before: str | None, after: str, session: ClientSession
    ) -> None:
        """Cases per stage, kept with every stage change (sharded, summed when read)."""
        if before == after:
            return
        shard = int(case_id[:8], 16) % statistics.SHARDS
        for stage, n in ((before, -1), (after, 1)):
            if stage is not None:
                self.mongo.collection(STAGE_COUNTS).update_one(
                    {"_id": f"{stage}|{shard}"},
                    {"$setOnInsert": {"stage": stage}, "$inc": {"n": n}},
                    upsert=True,
                    session=session,
                )

    def get(self, case_id: str) -> dict[str, Any] | None:
        return _record(self._cases.find_one({"_id": safe_value(case_id)}, _HIDDEN))

    def has_case_for(self, person_ref: str) -> bool:
        """Whether any case (open or finished) concerns ``person_ref``."""
        return self._cases.find_one({"person_ref": safe_value(person_ref)}, {"_id": 1}) is not None

    def find(self, where: CaseFilter, after: str | None, limit: int) -> list[dict[str, Any]]:
        """Cases matching ``where`` in id order, after the id ``after``."""
        query: dict[str, Any] = {name: safe_value(value) for name, value in where.given().items()}
        if where.person_ref is not None:  # a handful of cases per person: one plain read
            return self._id_range(query, {"$gt": safe_value(after)} if after else {}, limit)
        return self._in_id_windows(query, after, limit)

    def _id_range(
        self, query: dict[str, Any], ids: dict[str, Any], limit: int
    ) -> list[dict[str, Any]]:
        found = self._cases.find({**query, "_id": ids} if ids else query, _HIDDEN).sort(
            "_id", ASCENDING
        )
        return [_found(d) for d in found.limit(limit)]

    def _in_id_windows(
        self, query: dict[str, Any], after: str | None, limit: int
    ) -> list[dict[str, Any]]:
        """Read growing slices of the (uniform, uuid4) id space until the page is full.

        A broad filter (a nationality, a stage) matches thousands of cases; bounding the id range
        keeps each read to about a page even where the database sorts after fetching (SecantusDB).
        """
        rows: list[dict[str, Any]] = []
        low, start = after, int(after[:8], 16) if after else 0
        width = ID_WINDOW if query else ID_WINDOW_UNFILTERED
        while len(rows) < limit:
            end = start + width
            ids: dict[str, Any] = {"$gt": safe_value(low)} if low else {}
            if end < ID_SPACE:
                ids["$lt"] = f"{end:08x}"
            rows += self._id_range(query, ids, limit - len(rows))
            if end >= ID_SPACE:
                break
            low, start, width = f"{end:08x}", end, width * 2
        return rows

    def needing_action(
        self, due_by: str, kind: str | None, after: tuple[str, str] | None, limit: int
    ) -> list[dict[str, Any]]:
        """Cases whose next action falls due on or before ``due_by`` (ISO date), earliest first.

        The calendar says which days hold the first ``limit`` cases, so the indexed range read is
        only as wide as the page; should the calendar be off, the range widens until it is full.
        """
        days = self._due_days(due_by, kind, after[0] if after else None)
        covered = worklist.page_end(days, limit)
        while True:
            last = days[covered - 1][0] if 0 < covered < len(days) else due_by
            rows = self._due_cases(last, kind, after, limit)
            if len(rows) >= limit or last == due_by:
                return rows
            covered += max(1, worklist.page_end(days[covered:], limit - len(rows)))

    def _due_days(self, due_by: str, kind: str | None, since: str | None) -> list[tuple[str, int]]:
        query: dict[str, Any] = {"due": {"$lte": safe_value(due_by)}}
        if since is not None:
            query["due"]["$gte"] = safe_value(since)
        if kind is not None:
            query["kind"] = safe_value(kind)
        counts: dict[str, int] = {}
        for row in self.mongo.collection(CALENDAR).find(query, {"due": 1, "n": 1}):
            counts[row["due"]] = counts.get(row["due"], 0) + int(row["n"])
        return [(day, n) for day, n in sorted(counts.items()) if n > 0]

    def _due_cases(
        self, last: str, kind: str | None, after: tuple[str, str] | None, limit: int
    ) -> list[dict[str, Any]]:
        """The first ``limit`` cases due by ``last`` after the page's (due date, id), in order.

        A page after the first is two indexed reads, not one ``$or``: the rest of the cursor's day
        (equal date, later id), then the later days. SecantusDB (the embedded default) plans no
        index for a top-level ``$or`` and scanned every case for each such page.
        """
        rows: list[dict[str, Any]] = []
        # The explicit lower bound keeps the index scan off the cases with no next action (null
        # keys).
        days: dict[str, Any] = {"$gte": EARLIEST, "$lte": safe_value(last)}
        if after is not None:
            due, last_id = safe_value(after[0]), safe_value(after[1])
            same_day = {"next_action_due": due, "_id": {"$gt": last_id}}
            rows = self._due_read(same_day, kind, limit) if due <= last else []
            days = {"$gt": due, "$lte": safe_value(last)}
        if len(rows) < limit:
            rows += self._due_read({"next_action_due": days}, kind, limit - len(rows))
        return rows

    def _due_read(
        self, query: dict[str, Any], kind: str | None, limit: int
    ) -> list[dict[str, Any]]:
        if kind is not None:
            query = {"next_action": safe_value(kind), **query}
        cursor = self._cases.find(query, _HIDDEN).sort(
            [("next_action_due", ASCENDING), ("_id", ASCENDING)]
        )
        return [_found(d) for d in cursor.limit(limit)]

    def stage_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.mongo.collection(STAGE_COUNTS).find({}, {"stage": 1, "n": 1}):
            counts[row["stage"]] = counts.get(row["stage"], 0) + int(row["n"])
        return counts

    def recount_stages(self) -> dict[str, int]:
        """Rebuild the stage counters from the cases (a repair after manual edits); returns them."""
        counts = {
            row["_id"]: int(row["n"])
            for row in self._cases.aggregate([{"$group": {"_id": "$stage", "n": {"$sum": 1}}}])
        }
        counters = self.mongo.collection(STAGE_COUNTS)
        counters.delete_many({})
        if counts:
            counters.insert_many(
                [{"_id": f"{stage}|0", "stage": stage, "n": n} for stage, n in counts.items()]
            )
        return counts

    def statistics(self, month: str) -> list[dict[str, Any]]:
        """Every stored row (shard) of ``month``."""
        return list(self.mongo.collection(statistics.COLLECTION).find({"month": safe_value(month)}))

    def person_hits(self, args: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Person search over every case (callers are not scoped further), best spelling first."""
        return person_search.find_hits(self._cases, {}, args, CASE_SEARCH)

    # readmission outcomes ----------------------------------------------------------------------
    def forced_routes_for(self, person_ref: str) -> list[dict[str, Any]]:
        cursor = self.mongo.collection(FORCED_ROUTES).find({"person_ref": safe_value(person_ref)})
        return [_route(doc) for doc in cursor]

    def flag_forced_route(
        self, route: Mapping[str, Any], event_id: str, now: datetime, tx: Transaction | None
    ) -> int:
        """Record an accepted readmission request and flag the person's open cases; returns how
        many."""
        session = session_of(tx)
        request_id = safe_value(route["request_id"])
        flagged = self._cases.update_many(
            {
                "person_ref": safe_value(route["person_ref"]),
                "stage": {"$in": list(OPEN)},
                "forced_routes.request_id": {"$ne": request_id},
            },
            {
                "$set": {"forced_route_open": True, "updated_at": now},
                "$push": {"forced_routes": dict(route)},
                "$inc": {"version": 1},
            },
            session=session,
        ).modified_count
        self.mongo.collection(FORCED_ROUTES).update_one(
            {"_id": request_id},
            {
                "$set": {**route, "event_id": event_id, "recorded_at": now},
                "$inc": {"cases_flagged": flagged},
            },
            upsert=True,
            session=session,
        )
        return flagged


def _route(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "request_id": doc["_id"],
        "person_ref": doc["person_ref"],
        "member_state": doc["member_state"],
        "decided_at": doc["decided_at"],
    }
