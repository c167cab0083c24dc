"""Whose whereabouts a readmission caller may look up: only people with a request or a transit
request in the caller's member-state scope (finding 3 of #11); anyone else reads as unknown."""

from __future__ import annotations

from datetime import datetime

from passage.identity import Identity
from passage.mongo import Mongo, safe_value
from readmission.handlers.requests import Context, scoped_query
from readmission.adapters.repository import REQUESTS, TRANSITS


def has_record_in_scope(mongo: Mongo, caller: Identity, person_ref: str, now: datetime) -> bool:
    """True when a request or transit about ``person_ref`` lies in ``caller``'s member states."""
    query = scoped_query(Context(caller=caller, now=now), {"person_ref": safe_value(person_ref)})
    return any(
        mongo.collection(name).find_one(query, {"_id": 1}) is not None
        for name in (REQUESTS, TRANSITS)
    )
