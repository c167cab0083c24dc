"""A person's subject access request, the same way in every service: ``GET
…/persons/{person_ref}/export``
answers, for administrators only, everything the service holds about the person as one JSON
document. The gateway's route table marks it personal, so every export is in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from marshmallow import Schema, fields

from passage.clock import utc_now
from passage.events.envelope import rfc3339
from passage.locations_api import NoQuerySchema, parse_person_ref
from passage.problems import NotFound
from passage.web import Blueprint, require_role

EXPORTERS = ("admin",)
# person_ref → the service's records about the person, by kind (JSON-ready)
Collect = Callable[[str], Mapping[str, Any]]


class SubjectAccessSchema(Schema):
    """One service's export: who, when, and its records about the person by kind."""

    service = fields.String(required=True)
    person_ref = fields.String(required=True)
    exported_at = fields.String(required=True)
    records = fields.Dict(keys=fields.String(), required=True)


def jsonable(value: Any) -> Any:
    """Times as RFC 3339 UTC text, at any depth (stored records hold datetimes)."""
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def subject_access_blueprint(
    name: str, url_prefix: str, service: str, collect: Collect
) -> Blueprint:
    """A blueprint exporting what ``service`` holds about a person (records gathered by
    ``collect``)."""
    blueprint = Blueprint(
        name,
        __name__,
        url_prefix=url_prefix,
        description="Subject access request: everything held about a person (administrators).",
    )

    @blueprint.get("/persons/<person_ref>/export")
    @blueprint.arguments(NoQuerySchema, location="query", as_kwargs=True)
    @blueprint.response(200, SubjectAccessSchema)
    @blueprint.alt_response(403, description="Administrators only.")
    @blueprint.alt_response(404, description="Nothing is held about this person here.")
    def export_person(person_ref: str) -> tuple[dict[str, Any], int]:
        """Everything this service holds about the person, as JSON."""
        require_role(*EXPORTERS)  # before the lookup: a wrong role learns nothing
        ref = parse_person_ref(person_ref)
        records = jsonable(collect(ref))
        if not any(records.values()):
            raise NotFound("Nothing is held about this person here.")
        return {
            "service": service,
            "person_ref": ref,
            "exported_at": rfc3339(utc_now()),
            "records": records,
        }, 200

    return blueprint
