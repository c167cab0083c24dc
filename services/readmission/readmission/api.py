"""Readmission's HTTP endpoints: load → handler → dump, roles checked here; no business logic."""
from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import ValidationError

from passage.problems import NotFound, Unprocessable, marshmallow_pointers
from passage.web import Blueprint, etag, require_role

from readmission import handlers
from readmission.bootstrap import Deps
from readmission.domain import LOCATION_READERS, PersonUnknown
from readmission.schemas import LocationSchema, NoQuerySchema, PersonRefSchema

EXTENSION = "passage.readmission"

locations = Blueprint("readmission_locations", __name__, url_prefix="/api/v1/readmission",
                      description="Where people subject to readmission are held (fed by detention events).")


def _deps() -> Deps:
    deps: Deps = current_app.extensions[EXTENSION]
    return deps


def _person_ref(raw: str) -> str:
    try:
        return PersonRefSchema().load({"person_ref": raw})["person_ref"]
    except ValidationError as exc:
        raise Unprocessable("The person_ref in the path is not valid.",
                            errors=marshmallow_pointers(exc.messages, "/path")) from None


@locations.get("/persons/<person_ref>/location")
@locations.arguments(NoQuerySchema, location="query", as_kwargs=True)
@locations.response(200, LocationSchema)
@locations.alt_response(404, description="No detention event was ever seen for this person.")
def get_person_location(person_ref: str) -> tuple[Any, int, dict[str, str]]:
    """Where the person is held now, or how their last stay ended."""
    require_role(*LOCATION_READERS)
    ref = _person_ref(person_ref)
    try:
        found = handlers.person_location(_deps().locations, ref)
    except PersonUnknown:
        raise NotFound("No detention record is known for this person.") from None
    return found.location, 200, {"ETag": etag(found.version)}
