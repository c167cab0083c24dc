"""Person search in readmission: requests and transits found by name (any spelling, other names
included), birth date, document number or person reference, only in the caller's member states
and only for those who may see particulars (liaison officers, administrators)."""

from __future__ import annotations

import sys
from typing import Any

from flask import current_app

from passage import person_search
from passage.problems import Forbidden
from passage.web import Blueprint, current_identity
from readmission.config import load_settings
from readmission.handlers.requests import Context, scoped_query
from readmission.adapters.repository import REQUEST_SEARCH, REQUESTS, TRANSIT_SEARCH, TRANSITS
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
    """Requests and transits whose person matches every filter given, within the caller's member states."""
    deps = current_app.extensions["passage.readmission"]
    caller = current_identity()
    if caller.role not in PARTICULAR_READERS:
        raise Forbidden("Your role does not allow person search.")
    scope = scoped_query(Context(caller=caller, now=deps.clock()), {})
    hits = [
        *person_search.find_hits(deps.mongo.collection(REQUESTS), scope, args, REQUEST_SEARCH),
        *person_search.find_hits(deps.mongo.collection(TRANSITS), scope, args, TRANSIT_SEARCH),
    ]
    return {"items": sorted(hits, key=lambda h: (-h["score"], h["record_id"]))[: args["limit"]]}


def main() -> int:
    """``python -m readmission.web.search``: store search keys on requests and transits made before search existed."""
    return person_search.backfill_main(
        load_settings, [(REQUESTS, REQUEST_SEARCH), (TRANSITS, TRANSIT_SEARCH)]
    )


if __name__ == "__main__":
    sys.exit(main())
