"""Voluntary return's endpoints about a person rather than a case: where a person is held (the
location read model fed by detention), the referral prefill, and the subject access export."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from passage.identity import Identity
from passage.locations_api import location_blueprint, parse_person_ref
from passage.problems import NotFound
from passage.subject_access import subject_access_blueprint
from passage.web import Blueprint, current_identity, require_role
from voluntary_return.domain.records import CaseFilter
from voluntary_return.domain.vocabulary import CASE_WRITERS, LOCATION_READERS
from voluntary_return.web import schemas
from voluntary_return.web.common import PREFIX, deps
from voluntary_return.web.views import case_view


def has_case(_caller: Identity, person_ref: str) -> bool:
    """Caseworkers are not scoped further: any case about the person is a reason to know where they
    are."""
    return deps().repository.has_case_for(person_ref)


locations = location_blueprint(
    "voluntary_return_locations",
    PREFIX,
    "Where people in assisted voluntary return are held (fed by detention events).",
    LOCATION_READERS,
    lambda: deps().locations,
    has_case,
)
prefill = Blueprint(
    "voluntary_return_prefill",
    __name__,
    url_prefix=PREFIX,
    description=(
        "Opening a case for a detainee: where the person is held, asked for once (audited)."
    ),
)


@prefill.get("/referral-prefill/<person_ref>")
@prefill.arguments(schemas.NoQuerySchema, location="query", as_kwargs=True)
@prefill.response(200, schemas.ReferralPrefillSchema)
@prefill.alt_response(404, description="No open detention stay is known for this person.")
def referral_prefill(person_ref: str) -> dict[str, Any]:
    """The centre, unit and stay of a detainee a caseworker is about to refer (its own audited call)."""  # noqa: E501 -- the OpenAPI summary is this one line
    require_role(*CASE_WRITERS)
    found = deps().locations.get_location(parse_person_ref(person_ref))
    if found is None or not found.location.held:
        raise NotFound("No open detention stay is known for this person.")
    where = found.location
    return {
        "person_ref": where.person_ref,
        "centre_id": where.centre_id,
        "unit_id": where.unit_id,
        "stay_id": where.stay_id,
        "since": where.since,
    }


def held_about(person_ref: str) -> dict[str, Any]:
    """A subject access export: the person's cases, forced-route flags and where they are held."""
    found_deps, caller = deps(), current_identity()
    found = found_deps.locations.get_location(person_ref)
    cases = found_deps.repository.find(CaseFilter(person_ref=person_ref), None, 1000)
    return {
        "cases": [case_view(c, caller) for c in cases],
        "forced_routes": found_deps.repository.forced_routes_for(person_ref),
        "location": asdict(found.location) if found else None,
    }


subject_access = subject_access_blueprint(
    "voluntary_return_subject_access", PREFIX, "voluntary_return", held_about
)


BLUEPRINTS = (locations, prefill, subject_access)
