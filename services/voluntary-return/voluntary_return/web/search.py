"""Person search in voluntary return: cases found by name (any spelling), birth date, document
number or person reference, for caseworkers and administrators only (auditors and partners
never)."""

from __future__ import annotations

from typing import Any

from passage import person_search
from passage.problems import Forbidden
from passage.web import Blueprint, current_identity
from voluntary_return.domain.vocabulary import SENSITIVE_READERS
from voluntary_return.web.common import PREFIX, deps

persons = Blueprint(
    "voluntary_return_person_search",
    __name__,
    url_prefix=PREFIX,
    description="Person search across spellings (minimal hits: who, which case).",
)


@persons.get("/persons/search")
@persons.arguments(person_search.PersonSearchQuerySchema, location="query")
@persons.response(200, person_search.PersonHitsSchema)
def search(args: dict[str, Any]) -> dict[str, Any]:
    """Cases whose person matches every filter given; best spelling first."""
    if current_identity().role not in SENSITIVE_READERS:
        raise Forbidden("Your role does not allow person search.")
    return {"items": deps().repository.person_hits(args)}
