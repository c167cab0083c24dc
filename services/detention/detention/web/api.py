"""Detention's HTTP endpoints for centres, units and stays: load → handler → dump. Roles, scopes
and rules live in the handlers and the domain; ``web.errors`` maps their refusals.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from detention.domain import clocks
from detention.domain import model as domain
from detention.domain.model import StayFilter
from detention.handlers import admissions, views
from detention.handlers import common as handlers
from detention.web.common import (
    PREFIX,
    Result,
    context,
    created,
    page,
    path_id,
    service_deps,
)
from detention.web.schemas import (
    AdmissionSchema,
    CentreCreateSchema,
    CentrePageSchema,
    CentreSchema,
    FamilyAdmissionSchema,
    FamilyAdmittedSchema,
    NoQuerySchema,
    PageQuerySchema,
    StayPageSchema,
    StayQuerySchema,
    StaySchema,
    UnitCreateSchema,
    UnitPageSchema,
    UnitSchema,
)
from passage.subject_access import subject_access_blueprint
from passage.web import Blueprint, current_identity, etag

centres = Blueprint(
    "detention_centres", __name__, url_prefix=PREFIX, description="Detention centres."
)
units = Blueprint(
    "detention_units",
    __name__,
    url_prefix=PREFIX,
    description="Units (wings, rooms) of a centre: capacity, occupancy, CPT standard.",
)
stays = Blueprint(
    "detention_stays",
    __name__,
    url_prefix=PREFIX,
    description="Stays: admissions of people to units, under the capacity invariant.",
)


def _held_about(person_ref: str) -> dict[str, Any]:
    """A subject access export: every stay of the person, with all particulars."""
    caller = current_identity()
    records = service_deps().repository.stays(StayFilter(person_ref=person_ref), None, None, 1000)
    return {"stays": [views.stay_view(rec, caller) for rec in records]}


subject_access = subject_access_blueprint(
    "detention_subject_access", PREFIX, "detention", _held_about
)
BLUEPRINTS = (centres, units, stays, subject_access)

ADMISSION_EXAMPLE: dict[str, Any] = {
    "unit_id": "baku-m1",
    "person": {
        "person_ref": "AZ-2026-000001",
        "given_name": "Ali",
        "family_name": "Rezaei",
        "birth_date": "1990-04-02",
        "sex": "male",
        "nationality": "IRN",
    },
    "legal_basis": {
        "kind": "court_order",
        "decision_ref": "2-1234/2026",
        "court": "Baku Administrative Court",
        "decided_on": "2026-11-20",
        "valid_until": "2027-02-20",
    },
}
_FAMILY_ORDER = {**ADMISSION_EXAMPLE["legal_basis"], "decision_ref": "2-1240/2026"}
FAMILY_EXAMPLE = {
    "unit_id": "baku-f1",
    "members": [
        {
            "relation": "parent",
            "legal_basis": _FAMILY_ORDER,
            "person": {
                "person_ref": "AZ-2026-000010",
                "given_name": "Reza",
                "family_name": "Ahmadi",
                "birth_date": "1985-01-10",
                "sex": "male",
                "nationality": "IRN",
            },
        },
        {
            "relation": "parent",
            "legal_basis": _FAMILY_ORDER,
            "person": {
                "person_ref": "AZ-2026-000011",
                "given_name": "Leila",
                "family_name": "Ahmadi",
                "birth_date": "1988-06-02",
                "sex": "female",
                "nationality": "IRN",
            },
        },
        {
            "relation": "child",
            "legal_basis": _FAMILY_ORDER,
            "person": {
                "person_ref": "AZ-2026-000012",
                "given_name": "Sara",
                "family_name": "Ahmadi",
                "birth_date": "2015-03-15",
                "sex": "female",
                "nationality": "IRN",
            },
        },
    ],
}
UNIT_EXAMPLE = {
    "id": "baku-m1",
    "name": "Men's wing 1",
    "category": "men",
    "declared_places": 40,
    "floor_area_m2": 180.0,
    "single_room": False,
}
CENTRE_EXAMPLE = {
    "id": "baku",
    "name": "Baku Detention Centre for Illegal Migrants",
    "city": "Baku",
}


# centres -------------------------------------------------------------------------------------
@centres.post("/centres")
@centres.doc(operationId="open_centre")
@centres.arguments(CentreCreateSchema, example=CENTRE_EXAMPLE)
@centres.arguments(NoQuerySchema, location="query", as_kwargs=True)
@centres.response(201, CentreSchema)
@centres.alt_response(409, description="A centre with this id exists already.")
def create_centre(body: dict[str, Any]) -> Result:
    """Open a centre (administrators)."""
    view = handlers.create_centre(service_deps().repository, context(), body)
    return created(view, f"/centres/{view['id']}")


@centres.get("/centres")
@centres.arguments(PageQuerySchema, location="query", as_kwargs=True)
@centres.response(200, CentrePageSchema)
def list_centres(limit: int, cursor: str | None = None) -> dict[str, Any]:
    """Centres the caller may see, by id."""
    return page(handlers.list_centres(service_deps().repository, context(), cursor, limit))


@centres.get("/centres/<centre_id>")
@centres.arguments(NoQuerySchema, location="query", as_kwargs=True)
@centres.response(200, CentreSchema)
def get_centre(centre_id: str) -> Result:
    """One centre, if the caller may see it; the ETag is its version."""
    view = handlers.get_centre(
        service_deps().repository, context(), path_id("centre_id", centre_id, domain.SLUG)
    )
    return view, 200, {"ETag": etag(view["version"])}


# units ---------------------------------------------------------------------------------------
@units.post("/centres/<centre_id>/units")
@units.doc(operationId="add_unit")
@units.arguments(UnitCreateSchema, example=UNIT_EXAMPLE)
@units.arguments(NoQuerySchema, location="query", as_kwargs=True)
@units.response(201, UnitSchema)
@units.alt_response(409, description="A unit with this id exists already.")
def create_unit(body: dict[str, Any], centre_id: str) -> Result:
    """Add a unit to a centre (administrators)."""
    deps = service_deps()
    view = handlers.create_unit(
        deps.repository,
        context(),
        path_id("centre_id", centre_id, domain.SLUG),
        body,
        deps.rules_for,
    )
    return created(view, f"/units/{view['id']}")


@units.get("/centres/<centre_id>/units")
@units.arguments(PageQuerySchema, location="query", as_kwargs=True)
@units.response(200, UnitPageSchema)
def list_units(centre_id: str, limit: int, cursor: str | None = None) -> dict[str, Any]:
    """A centre's units with their free places, by id."""
    deps = service_deps()
    return page(
        handlers.list_units(
            deps.repository,
            context(),
            path_id("centre_id", centre_id, domain.SLUG),
            cursor,
            limit,
            deps.rules_for,
        )
    )


@units.get("/units/<unit_id>")
@units.arguments(NoQuerySchema, location="query", as_kwargs=True)
@units.response(200, UnitSchema)
def get_unit(unit_id: str) -> Result:
    """One unit with its declared places, blocks, capacity and occupancy.

    The ETag is its version."""
    deps = service_deps()
    view = handlers.get_unit(
        deps.repository, context(), path_id("unit_id", unit_id, domain.SLUG), deps.rules_for
    )
    return view, 200, {"ETag": etag(view["version"])}


# stays ---------------------------------------------------------------------------------------
@stays.post("/stays")
@stays.arguments(AdmissionSchema, example=ADMISSION_EXAMPLE)
@stays.arguments(NoQuerySchema, location="query", as_kwargs=True)
@stays.response(201, StaySchema)
@stays.alt_response(
    409, description="The unit is full (members occupancy, capacity) or the person is held already."
)
@stays.alt_response(
    422, description="Invalid input, or a placement or legal-basis rule refuses the admission."
)
def admit_person(body: dict[str, Any]) -> Result:
    """Admit a person to a unit; a full unit answers 409 with its occupancy and capacity."""
    deps = service_deps()
    view = admissions.admit(deps.repository, context(), body, deps.rules_for)
    return created(view, f"/stays/{view['id']}")


@stays.post("/family-admissions")
@stays.arguments(FamilyAdmissionSchema, example=FAMILY_EXAMPLE)
@stays.arguments(NoQuerySchema, location="query", as_kwargs=True)
@stays.response(201, FamilyAdmittedSchema)
@stays.alt_response(
    409,
    description="Not enough free places for the whole family (nobody is admitted), "
    "or a member is held already.",
)
@stays.alt_response(
    422, description="Invalid input, or a placement or legal-basis rule refuses a member."
)
def admit_family(body: dict[str, Any]) -> tuple[Any, int]:
    """Admit a family arriving together into one unit: all members get places, or none.

    The places are taken in one transaction. A minor with an adult parent or guardian among the
    members (or held here in the same group) is accompanied."""
    deps = service_deps()
    return admissions.admit_family(deps.repository, context(), body, deps.rules_for), 201


@stays.get("/stays")
@stays.arguments(StayQuerySchema, location="query", as_kwargs=True)
@stays.response(200, StayPageSchema)
def list_stays(
    limit: int, cursor: str | None = None, due_within: str | None = None, **filters: Any
) -> dict[str, Any]:
    """Stays the caller may see, in admission order, or the open stays falling due by a date.

    ``due_within=7d`` / ``due_before=`` list open stays whose legal end or next review falls by
    then. With ``due_within`` the page says which day is today in the centres' time zone, the day
    the window counts from, so a client (the staff UI) need not guess it from its own clock."""
    ctx = context()
    today = None
    if due_within is not None:
        today = handlers.centres_today(ctx, service_deps().rules_for)
        until = today + timedelta(days=clocks.window_days(due_within))
        filters["due_before"] = min(until, filters.get("due_before") or until)
    found = page(
        handlers.list_stays(service_deps().repository, ctx, StayFilter(**filters), cursor, limit)
    )
    return found if today is None else {**found, "today": today.isoformat()}


@stays.get("/stays/<stay_id>")
@stays.arguments(NoQuerySchema, location="query", as_kwargs=True)
@stays.response(200, StaySchema)
def get_stay(stay_id: str) -> Result:
    """One stay: who is held where, on what legal basis, until when.

    The ETag is its version, for If-Match."""
    view = handlers.get_stay(
        service_deps().repository, context(), path_id("stay_id", stay_id, domain.STAY_ID)
    )
    return view, 200, {"ETag": etag(view["version"])}
