"""Voluntary return's HTTP schemas (marshmallow): the single source of validation and OpenAPI."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from voluntary_return.domain import PERSON_REF

_TIME = {"format": "date-time", "description": "RFC 3339, UTC"}


class NoQuerySchema(Schema):
    """This endpoint takes no query parameters: any given (e.g. ``?person_ref[$ne]=``) is a 422."""


class PersonRefSchema(Schema):
    person_ref = fields.String(required=True, validate=validate.Regexp(PERSON_REF, error="Not a person_ref."))


class LocationSchema(Schema):
    """Where a person is held; when not held, the location is cleared and the release kept."""

    person_ref = fields.String(required=True)
    held = fields.Boolean(required=True)
    centre_id = fields.String(allow_none=True)
    unit_id = fields.String(allow_none=True)
    stay_id = fields.String(allow_none=True)
    since = fields.String(allow_none=True, metadata={**_TIME, "description": "held at this centre and unit since"})
    released_at = fields.String(allow_none=True, metadata=_TIME)
    release_reason = fields.String(allow_none=True, metadata={"enum": [
        "removed", "readmitted", "voluntary_return", "released_by_court", "status_granted", "order_expired", "other"]})
