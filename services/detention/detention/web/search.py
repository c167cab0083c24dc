"""Person search in detention: stays found by name (any spelling), birth date or person reference,
only in the centres the caller works for, and only for those who may see particulars."""

from __future__ import annotations

from typing import Any

from detention.handlers import common as handlers
from detention.web.common import PREFIX, context, service_deps
from passage import person_search
from passage.web import Blueprint

persons = Blueprint(
    "detention_person_search",
    __name__,
    url_prefix=PREFIX,
    description="Person search across spellings (minimal hits: who, which stay).",
)


@persons.get("/persons/search")
@persons.arguments(person_search.PersonSearchQuerySchema, location="query")
@persons.response(200, person_search.PersonHitsSchema)
def search(args: dict[str, Any]) -> dict[str, Any]:
    """Stays whose person matches every filter given, within the caller's centres; best spelling
    first."""
    return {"items": handlers.find_persons(service_deps().repository, context(), args)}


BLUEPRINTS = (persons,)
