"""MongoDB writes that move held people: transfer, release, extension, review, and the closes and
planned releases other services' events cause. Each is one transaction: the stay, both unit
counters where they change, the day's occupancy figures and the outbox envelopes, or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from pymongo.client_session import ClientSession

from detention.adapters import occupancy
from detention.adapters.repository import STAYS, MongoRepository, NoPlace, record, stay_changed
from detention.domain.clocks import ENTRY_EXAMINATION
from detention.domain.moves import StayChange, StayClosed
from passage.bus.outbox import with_outbox
from passage.errors import NotFoundError
from passage.events.envelope import Envelope
from passage.mongo import Mongo, safe_value, session_of, update_one_and_read
from passage.transaction import Transaction

T = TypeVar("T")
UNMATCHED = "unmatched_events"
_HIDDEN = {"outbox": 0, "outbox_pending": 0}


def _update_of(change: StayChange) -> dict[str, Any]:
    """The MongoDB update a stay change makes (the version moves on with every change)."""
    update: dict[str, Any] = {"$set": dict(change.fields), "$inc": {"version": 1}}
    if change.appended:
        update["$push"] = dict(change.appended)
    return update


class StayStore:
    """The moves of ``MongoRepository``'s stays (kept apart to keep each module focused)."""

    def __init__(self, repo: MongoRepository) -> None:
        self.repo = repo
        self.mongo: Mongo = repo.mongo

    def _run(self, work: Callable[[ClientSession], T]) -> T:
        return occupancy.transaction(self.mongo, work)

    def _update_open(
        self,
        session: ClientSession | None,
        stay_id: str,
        version: int | None,
        change: StayChange,
        events: Sequence[Envelope],
    ) -> dict[str, Any]:
        """Change an open stay (at ``version`` when given); why not, when it is not."""
        query: dict[str, Any] = {"_id": safe_value(stay_id), "status": "open"}
        if version is not None:
            query["version"] = version
        doc = update_one_and_read(
            self.mongo.collection(STAYS),
            query,
            with_outbox(_update_of(change), events, into=STAYS),
            projection=_HIDDEN,
            session=session,
        )
        if doc is not None:
            return doc
        current = self.mongo.collection(STAYS).find_one(
            {"_id": safe_value(stay_id)}, {"status": 1, "version": 1}, session=session
        )
        if current is None:
            raise NotFoundError(f"No stay {stay_id}.")
        if current["status"] != "open":
            raise StayClosed(stay_id)
        raise stay_changed(current["version"])

    def transfer(
        self,
        stay_id: str,
        version: int | None,
        target_unit: str,
        change: StayChange,
        events: Sequence[Envelope],
        day: str,
        source_unit: str | None = None,
    ) -> dict[str, Any]:
        """Move the stay: take a place in the target (only if free), give one back in the source."""

        def work(session: ClientSession) -> dict[str, Any]:
            before = self.mongo.collection(STAYS).find_one(
                {"_id": safe_value(stay_id)}, {"unit_id": 1}, session=session
            )
            doc = self._update_open(session, stay_id, version, change, events)
            target = self.repo.take_place(session, safe_value(target_unit))
            source = self.repo.free_place(session, before["unit_id"])
            occupancy.record_day(self.mongo, session, target, day, "transfers_in")
            occupancy.record_day(self.mongo, session, source, day, "transfers_out")
            return doc

        try:
            with occupancy.one_writer_per_unit(target_unit, source_unit):
                return record(self._run(work))
        except NoPlace as refused:
            raise self.repo.unit_full(safe_value(target_unit), refused) from None

    def close(
        self,
        stay_id: str,
        version: int | None,
        change: StayChange,
        events: Sequence[Envelope],
        day: str,
        unit_id: str | None = None,
    ) -> dict[str, Any]:
        """Release: close the stay and give its place back, in one transaction."""
        with occupancy.one_writer_per_unit(unit_id):
            return record(
                self._run(
                    lambda session: self._close_in(session, stay_id, version, change, events, day)
                )
            )

    def close_in(
        self,
        tx: Transaction,
        stay_id: str,
        version: int | None,
        change: StayChange,
        events: Sequence[Envelope],
        day: str,
    ) -> dict[str, Any]:
        """The release's writes inside a transaction the caller runs (the consumer's, with its
        inbox)."""
        return self._close_in(session_of(tx), stay_id, version, change, events, day)

    def _close_in(
        self,
        session: ClientSession | None,
        stay_id: str,
        version: int | None,
        change: StayChange,
        events: Sequence[Envelope],
        day: str,
    ) -> dict[str, Any]:
        """The release's writes in ``session``: the stay closed, its place given back, the day's
        releases counted."""
        doc = self._update_open(session, stay_id, version, change, events)
        unit = self.repo.free_place(session, doc["unit_id"])
        occupancy.record_day(self.mongo, session, unit, day, "releases")
        return doc

    def change(
        self,
        stay_id: str,
        version: int | None,
        change: StayChange,
        events: Sequence[Envelope] = (),
    ) -> dict[str, Any]:
        """A change that moves no one (extension, review): one conditional single-document write."""
        return record(
            self._run(lambda session: self._update_open(session, stay_id, version, change, events))
        )

    # for the consumer ---------------------------------------------------------------------------
    def open_stay_of(self, tx: Transaction, person_ref: str) -> dict[str, Any] | None:
        return self.mongo.collection(STAYS).find_one(
            {"person_ref": safe_value(person_ref), "status": "open"},
            _HIDDEN,
            session=session_of(tx),
        )

    def plan_release(
        self, tx: Transaction, stay_id: str, on: str, source: Mapping[str, Any] | None = None
    ) -> None:
        """Set the planned release date and where it came from (``{"request_id", "type"}`` of the
        event)."""
        self.mongo.collection(STAYS).update_one(
            {"_id": safe_value(stay_id), "status": "open"},
            {
                "$set": {
                    "planned_release_on": on,
                    "planned_release_source": dict(source) if source else None,
                },
                "$inc": {"version": 1},
            },
            session=session_of(tx),
        )

    def clear_planned_release(self, tx: Transaction, stay_id: str, request_id: str) -> bool:
        """Clear the planned release date only when readmission request ``request_id`` set it."""
        result = self.mongo.collection(STAYS).update_one(
            {
                "_id": safe_value(stay_id),
                "status": "open",
                "planned_release_source.request_id": safe_value(request_id),
            },
            {
                "$set": {"planned_release_on": None, "planned_release_source": None},
                "$inc": {"version": 1},
            },
            session=session_of(tx),
        )
        return result.modified_count == 1

    def record_unmatched(self, tx: Transaction, event: Envelope, at: Any) -> None:
        """Keep the fact that an event named no one held here: ids and type only, no personal
        data."""
        self.mongo.collection(UNMATCHED).update_one(
            {"_id": event.id},
            {
                "$setOnInsert": {
                    "type": event.type,
                    "source": event.source,
                    "subject": event.subject,
                    "correlation_id": event.correlation_id,
                    "received_at": at,
                }
            },
            upsert=True,
            session=session_of(tx),
        )

    # for the deadline job -----------------------------------------------------------------------
    def stays_due_by(self, day: str) -> list[dict[str, Any]]:
        """Open stays with a clock running out by ``day`` (bounded by the places there are, not by
        history)."""
        cursor = self.mongo.collection(STAYS).find(
            {"status": "open", "due_on": {"$ne": None, "$lte": day}},
            {"outbox": 0, "outbox_pending": 0, "person": 0, "history": 0},
        )
        return [record(doc) for doc in cursor.sort("due_on", 1)]

    def stays_without_entry_examination(self, admitted_before: datetime) -> list[dict[str, Any]]:
        """Open stays admitted before the cut-off with no entry examination and no alert sent for it
        yet."""
        cursor = self.mongo.collection(STAYS).find(
            {
                "status": "open",
                "entry_medical": None,
                "admitted_at": {"$lte": admitted_before},
                "deadlines_emitted": {"$ne": ENTRY_EXAMINATION},
            },
            {"person_ref": 1, "centre_id": 1, "admitted_at": 1, "admitted_on": 1},
        )
        return [record(doc) for doc in cursor.sort("admitted_at", 1).limit(500)]

    def mark_deadline(
        self,
        stay_id: str,
        key: str,
        covered: Sequence[str],
        events: Sequence[Envelope],
        still: Mapping[str, Any] | None = None,
    ) -> bool:
        """Record the alert ``key`` (and the larger ones it makes pointless) as sent and queue it,
        in
        one single-document write, while the stay still matches ``still``; False when another worker
        sent it first (or the stay no longer matches)."""
        result = self.mongo.collection(STAYS).update_one(
            {
                "_id": safe_value(stay_id),
                "status": "open",
                "deadlines_emitted": {"$ne": key},
                **(still or {}),
            },
            with_outbox(
                {"$addToSet": {"deadlines_emitted": {"$each": list(covered)}}},
                events,
                into=STAYS,
            ),
        )
        return result.modified_count == 1
