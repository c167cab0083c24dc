"""The HTTP face of the shared location read model: ``GET …/persons/{person_ref}/location``.

Readmission and voluntary return answer "where is this person held?" the same way; each
mounts this blueprint under its own prefix with the roles whose job needs the answer and a test
of whether the caller has a record about the person in scope (a request or transit in their
member states; a case). Without one the answer is the same 404 as for an unknown person, so
person_refs cannot be tried one after another to find who is held where.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from marshmallow import Schema, ValidationError, fields

from passage.fields import pattern
from passage.formats import PERSON_REF
from passage.identity import Identity
from passage.locations import RELEASE_REASONS, Locations
from passage.problems import NotFound, Unprocessable, marshmallow_pointers
from passage.web import Blueprint, current_identity, etag, require_role

_TIME = {"format": "date-time", "description": "RFC 3339, UTC"}
# Whether ``caller`` has a record about ``person_ref`` within their scope.
InScope = Callable[[Identity, str], bool]


class NoQuerySchema(Schema):
    """This endpoint takes no query parameters: any given (e.g. ``?person_ref[$ne]=``) is a 422."""


class PersonRefSchema(Schema):
    person_ref = pattern(PERSON_REF, "a person_ref", required=True)


class LocationSchema(Schema):
    """Where a person is held; when not held, the location is cleared and the release kept."""

    person_ref = fields.String(required=True)
    held = fields.Boolean(required=True)
    centre_id = fields.String(allow_none=True)
    unit_id = fields.String(allow_none=True)
    stay_id = fields.String(allow_none=True)
    since = fields.String(
        allow_none=True, metadata={**_TIME, "description": "held at this centre and unit since"}
    )
    released_at = fields.String(allow_none=True, metadata=_TIME)
    release_reason = fields.String(
        allow_none=True,
        metadata={"enum": list(RELEASE_REASONS)},
    )


def parse_person_ref(raw: str) -> str:
    """The person_ref from a path, or a 422 problem pointing at it."""
    try:
        return PersonRefSchema().load({"person_ref": raw})["person_ref"]
    except ValidationError as exc:
        raise Unprocessable(
            "The person_ref in the path is not valid.",
            errors=marshmallow_pointers(exc.messages, "/path"),
        ) from None


def location_blueprint(
    name: str,
    url_prefix: str,
    description: str,
    readers: Sequence[str],
    store: Callable[[], Locations],
    in_scope: InScope,
) -> Blueprint:
    """A blueprint answering where a person is held, for callers with one of ``readers`` who
    have a record about the person (``in_scope``)."""
    blueprint = Blueprint(name, __name__, url_prefix=url_prefix, description=description)

    @blueprint.get("/persons/<person_ref>/location")
    @blueprint.doc(operationId=f"{name.removesuffix('_locations')}_person_location")
    @blueprint.arguments(NoQuerySchema, location="query", as_kwargs=True)
    @blueprint.response(200, LocationSchema)
    @blueprint.alt_response(
        404,
        description="No detention event was ever seen for this person, or the caller "
        "has no record about the person in scope (the same answer).",
    )
    def get_person_location(person_ref: str) -> tuple[Any, int, dict[str, str]]:
        """Where the person is held now, or how their last stay ended (only for people you have a
        record of)."""
        require_role(*readers)  # before the lookup: a wrong role learns nothing about the person
        ref = parse_person_ref(person_ref)
        found = store().get_location(ref) if in_scope(current_identity(), ref) else None
        if found is None:
            raise NotFound("No detention record is known for this person.")
        return found.location, 200, {"ETag": etag(found.version)}

    return blueprint
