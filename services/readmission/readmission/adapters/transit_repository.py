"""Transit requests in MongoDB: one document each, its reply deadline filed in the same
open-deadline index the worklist and the clock read, written in one transaction with the document.

A transition is conditional on the document's version *and* state, so of two concurrent decisions
(approve vs refuse) exactly one is written; the other sees a ``VersionConflict`` and is decided
again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from passage.errors import AlreadyExists, VersionConflict
from passage.mongo import Mongo, safe_value, update_one_and_read
from readmission.adapters.deadline_index import DeadlineIndex
from readmission.adapters.repository import TRANSITS, page_after, scope_filter
from readmission.domain import deadlines as dl
from readmission.domain.requests import deadline_record
from readmission.domain.transits import TransitChange

RESOURCE = "transit"


class TransitRepository:
    """Transit requests and their open deadlines."""

    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo
        self.deadlines = DeadlineIndex(mongo)

    @property
    def collection(self):
        return self.mongo.collection(TRANSITS)

    def add(self, doc: dict[str, Any], opened: Sequence[dl.Deadline]) -> dict[str, Any]:
        stored = {**doc, "deadlines": {d.kind: deadline_record(d) for d in opened}}

        def work(session: ClientSession) -> None:
            try:
                self.collection.insert_one(stored, session=session)
            except DuplicateKeyError:
                raise AlreadyExists("A transit request with this id exists already.") from None
            self.deadlines.open(stored, opened, session, resource=RESOURCE)

        self.mongo.transaction(work)
        return stored

    def get(self, transit_id: str) -> dict[str, Any] | None:
        return self.collection.find_one({"_id": safe_value(transit_id)})

    def page(
        self,
        member_states: Sequence[str] | None,
        filters: Mapping[str, Any],
        after: str | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        """Transit requests matching ``filters`` in ``member_states`` (None: all), by id."""
        return page_after(self.collection, scope_filter(member_states, filters), after, limit)

    def apply(
        self, doc: Mapping[str, Any], change: TransitChange, history: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        """Write ``change`` if the transit request is still at ``doc``'s version and state; Stale
        otherwise."""
        fields: dict[str, Any] = {"state": change.state, "updated_at": now, **change.set}
        for kind, how in change.closed.items():
            fields[f"deadlines.{kind}.status"] = how
        update = {"$set": fields, "$push": {"history": history}, "$inc": {"version": 1}}

        def work(session: ClientSession) -> dict[str, Any]:
            stored = update_one_and_read(  # not findAndModify: SecantusDB scans for it
                self.collection,
                {"_id": doc["_id"], "version": doc["version"], "state": doc["state"]},
                update,
                session=session,
            )
            if stored is None:
                raise VersionConflict(None, "The transit request changed meanwhile.")
            self.deadlines.close(doc["_id"], list(change.closed), session)
            self.deadlines.follow_state(doc["_id"], stored["state"], session)
            return stored

        return self.mongo.transaction(work)
