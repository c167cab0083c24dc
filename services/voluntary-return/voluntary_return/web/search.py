"""Person search in voluntary return: cases found by name (any spelling), birth date, document
number or person reference, for caseworkers and administrators only (auditors and partners never)."""

from __future__ import annotations

import sys
from typing import Any

from flask import current_app

from passage import person_search
from passage.problems import Forbidden
from passage.web import Blueprint, current_identity
from voluntary_return.commands import CASE_SEARCH
from voluntary_return.config import load_settings
from voluntary_return.domain import SENSITIVE_READERS
from voluntary_return.repository import CASES

persons = Blueprint(
    "voluntary_return_person_search",
    __name__,
    url_prefix="/api/v1/voluntary-return",
    description="Person search across spellings (minimal hits: who, which case).",
)


@persons.get("/persons/search")
@persons.arguments(person_search.PersonSearchQuerySchema, location="query")
@persons.response(200, person_search.PersonHitsSchema)
def search(args: dict[str, Any]) -> dict[str, Any]:
    """Cases whose person matches every filter given; best spelling first."""
    if current_identity().role not in SENSITIVE_READERS:
        raise Forbidden("Your role does not allow person search.")
    collection = current_app.extensions["passage.voluntary_return"].mongo.collection(CASES)
    return {"items": person_search.find_hits(collection, {}, args, CASE_SEARCH)}


def main() -> int:
    """``python -m voluntary_return.search``: store search keys on cases registered before search existed."""
    return person_search.backfill_main(load_settings, [(CASES, CASE_SEARCH)])


if __name__ == "__main__":
    sys.exit(main())
