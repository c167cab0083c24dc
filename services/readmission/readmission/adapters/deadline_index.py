"""The open-deadline index the worklist and the clock read: one entry per open deadline, filed in
a small bucket (due day, member state, slot), plus per member state a count of entries by bucket.

Reads use only equality lookups on buckets chosen from the counts, never a range scan or a sort
over the whole collection, so a worklist page reads about ``limit`` entries whether 1k or 100k
requests are open, on any MongoDB-wire server. Every write happens inside the caller's transaction.
Order: due day (overdue first), then member state, slot and id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pymongo.client_session import ClientSession

from passage.mongo import Index, Mongo, safe_value
from readmission.domain import deadlines as dl

# deadline_days: per member state, open entries by due day (small: one key per day).
# deadline_buckets: per due day, open entries by "member state|slot" (read only for the days on a
# page).
DEADLINES, DAYS, BUCKETS = "deadlines", "deadline_days", "deadline_buckets"
SLOTS = (
    16  # buckets per (day, member state): keeps one bucket small when many deadlines share a day
)


def index_declarations() -> list[Index]:
    return [
        Index(DEADLINES, [("bucket", 1)], name="bucket"),
        Index(DEADLINES, [("due_on", 1)], name="due_on_day"),
        Index(DEADLINES, [("request_id", 1)], name="request_id"),
    ]


def bucket_of(request_id: str, member_state: str, due_on: str) -> str:
    """``YYYY-MM-DD|MS|NN``: text order is (due day, member state, slot)."""
    slot = int(hashlib.sha1(request_id.encode()).hexdigest()[:8], 16) % SLOTS
    return f"{due_on}|{member_state}|{slot:02d}"


@dataclass(frozen=True)
class DeadlinePage:
    items: list[dict[str, Any]]
    last: tuple[str, str] | None  # (bucket, entry id) of the last item when more may follow


class DeadlineIndex:
    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo

    def _c(self, name: str):
        return self.mongo.collection(name)

    def _count(self, bucket: str, by: int, session: ClientSession) -> None:
        day, member_state, slot = bucket.split("|")
        self._c(DAYS).update_one(
            {"_id": member_state}, {"$inc": {f"days.{day}": by}}, upsert=True, session=session
        )
        self._c(BUCKETS).update_one(
            {"_id": day},
            {"$inc": {f"slots.{member_state}|{slot}": by}},
            upsert=True,
            session=session,
        )

    def open(
        self,
        request: Mapping[str, Any],
        opened: Iterable[dl.Deadline],
        session: ClientSession,
        resource: str = "request",
    ) -> None:
        """File ``request``'s new deadlines; ``resource`` says whether it is a request or a transit
        request."""
        for deadline in opened:
            entry_id = f"{request['_id']}:{deadline.kind}"
            old = self._c(DEADLINES).find_one({"_id": entry_id}, {"bucket": 1}, session=session)
            if old is not None:  # an extension moves the deadline to another day
                self._count(old["bucket"], -1, session)
            due_on = deadline.due_on.isoformat()
            entry = {
                "request_id": request["_id"],
                "kind": deadline.kind,
                "member_state": request["member_state"],
                "direction": request["direction"],
                "person_ref": request["person_ref"],
                "state": request["state"],
                "due_on": due_on,
                "unit": deadline.unit,
                "amount": deadline.amount,
                "calendar": deadline.calendar,
                "rule_version": deadline.rule_version,
                "missed_notified": False,
                "resource": resource,
                "source": dict(deadline.source) if deadline.source else None,
                "bucket": bucket_of(request["_id"], request["member_state"], due_on),
            }
            self._c(DEADLINES).replace_one({"_id": entry_id}, entry, upsert=True, session=session)
            self._count(entry["bucket"], 1, session)

    def close(self, request_id: str, kinds: Sequence[str], session: ClientSession) -> None:
        ids = [f"{request_id}:{kind}" for kind in kinds]
        if not ids:
            return
        for old in self._c(DEADLINES).find({"_id": {"$in": ids}}, {"bucket": 1}, session=session):
            self._count(old["bucket"], -1, session)
        self._c(DEADLINES).delete_many({"_id": {"$in": ids}}, session=session)

    def follow_state(self, request_id: str, state: str, session: ClientSession) -> None:
        self._c(DEADLINES).update_many(
            {"request_id": request_id}, {"$set": {"state": state}}, session=session
        )

    def _days(self, member_states: Sequence[str] | None) -> list[tuple[str, int]]:
        """Due days with open entries in scope, ascending, with how many."""
        query = (
            {}
            if member_states is None
            else {"_id": {"$in": [safe_value(m) for m in member_states]}}
        )
        totals: dict[str, int] = {}
        for doc in self._c(DAYS).find(query):
            for day, count in (doc.get("days") or {}).items():
                totals[day] = totals.get(day, 0) + int(count)
        return sorted((day, n) for day, n in totals.items() if n > 0)

    def _buckets(
        self, member_states: Sequence[str] | None, after: str | None, limit: int
    ) -> list[tuple[str, int]]:
        """Enough non-empty buckets in scope, in worklist order from ``after``'s, to fill a page."""
        days = [(d, n) for d, n in self._days(member_states) if after is None or d >= after[:10]]
        wanted, total = [], 0
        for day, count in days:
            wanted.append(day)
            total += count
            if total >= limit + (days[0][1] if after else 0):
                break
        scope = None if member_states is None else set(member_states)
        found = []
        for doc in self._c(BUCKETS).find({"_id": {"$in": wanted}}) if wanted else []:
            found += [
                (f"{doc['_id']}|{key}", int(n))
                for key, n in (doc.get("slots") or {}).items()
                if int(n) > 0 and (scope is None or key[:2] in scope)
            ]
        return sorted(b for b in found if after is None or b[0] >= after)

    def page(
        self, member_states: Sequence[str] | None, after: tuple[str, str] | None, limit: int
    ) -> DeadlinePage:
        """Open deadlines in worklist order, ``limit`` at most, after ``after`` (bucket, id)."""
        buckets = self._buckets(member_states, after[0] if after else None, limit)
        chosen, total = [], 0
        for bucket, count in buckets:
            chosen.append(bucket)
            total += count
            if total >= limit + (buckets[0][1] if after else 0):
                break
        items: list[dict[str, Any]] = []
        if chosen:
            found = self._c(DEADLINES).find({"bucket": {"$in": chosen}})
            items = sorted(
                (e for e in found if after is None or (e["bucket"], e["_id"]) > after),
                key=lambda e: (e["bucket"], e["_id"]),
            )[:limit]
        last = (items[-1]["bucket"], items[-1]["_id"]) if len(items) == limit else None
        return DeadlinePage(items, last)

    def passed_unnotified(self, today: date, limit: int) -> list[dict[str, Any]]:
        """Entries whose last day is over and that the clock has not acted on, oldest first."""
        days = [d for d, _ in self._days(None) if d < today.isoformat()]
        if not days:
            return []
        found = self._c(DEADLINES).find({"due_on": {"$in": days}, "missed_notified": False})
        return sorted(found, key=lambda e: (e["bucket"], e["_id"]))[:limit]

    def notified(self, entry: Mapping[str, Any], expire: bool, session: ClientSession) -> None:
        if expire:
            self.close(entry["request_id"], [entry["kind"]], session)
        else:
            self._c(DEADLINES).update_one(
                {"_id": entry["_id"], "due_on": entry["due_on"]},
                {"$set": {"missed_notified": True}},
                session=session,
            )
