"""Person search in readmission: requests and transits found by name (any spelling, other names
included), birth date, document number or person reference, only in the caller's member states
and only for those who may see particulars (liaison officers, administrators)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from passage import person_search
from passage.errors import NotAllowed
from passage.web import Blueprint, current_identity
from readmission.domain.scope import visible_states
from readmission.domain.views import PARTICULAR_READERS

persons = Blueprint(
    "readmission_person_search",
    __name__,
    url_prefix="/api/v1/readmission",
    description="Person search across spellings (minimal hits: who, which request).",
)


@persons.get("/persons/search")
@persons.arguments(person_search.PersonSearchQuerySchema, location="query")
@persons.response(200, person_search.PersonHitsSchema)
def search(args: dict[str, Any]) -> dict[str, Any]:
    """Requests and transits whose person matches every filter given, within the caller's
    member states."""
    deps = current_app.extensions["passage.readmission"]
    caller = current_identity()
    if caller.role not in PARTICULAR_READERS:
        raise NotAllowed("Your role does not allow person search.")
    hits = deps.repository.person_hits(visible_states(caller), args)
    return {"items": sorted(hits, key=lambda h: (-h["score"], h["record_id"]))[: args["limit"]]}
