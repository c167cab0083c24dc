"""Person search in detention: stays found by name (any spelling), birth date or person reference,
only in the centres the caller works for, and only for those who may see particulars."""

from __future__ import annotations

import sys
from typing import Any

from flask import current_app

from detention import access
from detention.config import load_settings
from detention.repository import STAY_SEARCH, STAYS
from passage import person_search
from passage.web import Blueprint, current_identity

PATHS = STAY_SEARCH
SEARCHERS = access.PARTICULARS_READERS

persons = Blueprint(
    "detention_person_search",
    __name__,
    url_prefix="/api/v1/detention",
    description="Person search across spellings (minimal hits: who, which stay).",
)


@persons.get("/persons/search")
@persons.arguments(person_search.PersonSearchQuerySchema, location="query")
@persons.response(200, person_search.PersonHitsSchema)
def search(args: dict[str, Any]) -> dict[str, Any]:
    """Stays whose person matches every filter given, within the caller's centres; best spelling first."""
    caller = current_identity()
    access.require(caller, SEARCHERS)
    centres = access.centre_scope(caller)
    scope = {} if centres is None else {"centre_id": {"$in": list(centres)}}
    collection = current_app.extensions["passage.detention"].mongo.collection(STAYS)
    return {"items": person_search.find_hits(collection, scope, args, PATHS)}


BLUEPRINTS = (persons,)


def main() -> int:
    """``python -m detention.search``: store search keys on stays admitted before search existed."""
    return person_search.backfill_main(load_settings, [(STAYS, PATHS)])


if __name__ == "__main__":
    sys.exit(main())
