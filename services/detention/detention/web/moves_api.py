"""HTTP endpoints that change things after creation: stay moves, centre and unit updates, and the
occupancy figures. load → handler → dump; ``If-Match`` is honoured on every change (412)."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import Schema

from detention.domain import model as domain
from detention.handlers import estate as estate_commands
from detention.handlers import figures
from detention.handlers import stays as stay_handlers
from detention.web.common import PREFIX, Result, context, path_id, service_deps
from detention.web.move_schemas import (
    CentreUpdateSchema,
    ExtensionSchema,
    HistoryQuerySchema,
    HistorySchema,
    MonthQuerySchema,
    OccupancySchema,
    ReleaseSchema,
    ReviewSchema,
    StatisticsSchema,
    StatusGrantedSchema,
    TransferSchema,
    UnitUpdateSchema,
)
from detention.web.schemas import CentreSchema, MedicalSchema, NoQuerySchema, StaySchema, UnitSchema
from passage.web import Blueprint, etag, expected_version

moves = Blueprint(
    "detention_moves",
    __name__,
    url_prefix=PREFIX,
    description="Moves of held people: transfer, release, extension, review (If-Match honoured).",
)
estate_bp = Blueprint(
    "detention_estate", __name__, url_prefix=PREFIX, description="Changes to centres and units."
)
occupancy_bp = Blueprint(
    "detention_occupancy",
    __name__,
    url_prefix=PREFIX,
    description="Occupancy now, daily history and monthly statistics.",
)
BLUEPRINTS = (moves, estate_bp, occupancy_bp)

_STAY_CHANGE = {
    409: "The stay is closed already, or the target unit is full or deactivated.",
    412: "If-Match names another version.",
    422: "Invalid input, or a rule refuses the change.",
}


def _answer(view: dict[str, Any]) -> Result:
    return view, 200, {"ETag": etag(view["version"])}


def _stay_command(name: str, stay_id: str, body: dict[str, Any]) -> Result:
    deps = service_deps()
    stay_id = path_id("stay_id", stay_id, domain.STAY_ID)
    command = getattr(stay_handlers, name)
    return _answer(
        command(
            deps.repository,
            deps.stay_store,
            context(),
            stay_id,
            expected_version(),
            body,
            deps.rules_for,
        )
    )


def _documented(bp: Blueprint, responses: dict[int, str]) -> Any:
    def wrap(fn: Any) -> Any:
        for status, text in responses.items():
            fn = bp.alt_response(status, description=text)(fn)
        return fn

    return wrap


def _stay_move(
    path: str,
    operation_id: str,
    schema: type[Schema],
    *,
    example: dict[str, Any],
    responses: dict[int, str] = _STAY_CHANGE,
) -> Any:
    """The documentation every move of a stay shares: POST on ``/stays/<stay_id>/<path>`` with a
    body, no query, the stay in answer, and the refusals in ``responses``."""

    def wrap(fn: Any) -> Any:
        fn = _documented(moves, responses)(fn)
        fn = moves.response(200, StaySchema)(fn)
        fn = moves.arguments(NoQuerySchema, location="query", as_kwargs=True)(fn)
        fn = moves.arguments(schema, example=example)(fn)
        fn = moves.doc(operationId=operation_id)(fn)
        return moves.post(f"/stays/<stay_id>/{path}")(fn)

    return wrap


@_stay_move(
    "transfer",
    "transfer_person",
    TransferSchema,
    example={"unit_id": "yevlakh-m1", "reason": "family reunification"},
)
def transfer(body: dict[str, Any], stay_id: str) -> Result:
    """Move a held person to another unit or centre: both counters change together or neither."""
    return _stay_command("transfer", stay_id, body)


@_stay_move(
    "release",
    "release_person",
    ReleaseSchema,
    example={
        "reason": "released_by_court",
        "released_at": "2026-12-01T06:00:00Z",
        "exit_medical": {
            "examined_on": "2026-12-01",
            "examined_by": "Dr. N. Aliyeva",
            "fit_for_detention": True,
        },
    },
)
def release(body: dict[str, Any], stay_id: str) -> Result:
    """Release a held person with a reason and the exit examination; the place is free at once."""
    return _stay_command("release", stay_id, body)


@_stay_move(
    "extensions",
    "extend_detention",
    ExtensionSchema,
    example={
        "decision_ref": "2-2345/2027",
        "court": "Baku Administrative Court",
        "decided_on": "2027-02-15",
        "valid_until": "2027-05-15",
    },
)
def extend(body: dict[str, Any], stay_id: str) -> Result:
    """Record a new court decision: the legal end moves to its valid-until date."""
    return _stay_command("extend", stay_id, body)


@_stay_move(
    "status-granted",
    "record_status_granted",
    StatusGrantedSchema,
    example={"decision_ref": "SMS-2027-0042", "granted_on": "2027-01-10"},
    responses={
        **_STAY_CHANGE,
        409: "The stay is closed, or the further months were granted already.",
    },
)
def status_granted(body: dict[str, Any], stay_id: str) -> Result:
    """An asylum applicant was granted status: the legal end moves by the rule table's extra months.

    The stay keeps the rule's source, flagged when unverified."""
    return _stay_command("extend_for_granted_status", stay_id, body)


@_stay_move(
    "entry-examination",
    "record_entry_examination",
    MedicalSchema,
    example={
        "examined_on": "2026-11-21",
        "examined_by": "Dr. N. Aliyeva",
        "fit_for_detention": True,
    },
    responses={
        **_STAY_CHANGE,
        409: "The stay is closed, or its entry examination is recorded already.",
    },
)
def entry_examination(body: dict[str, Any], stay_id: str) -> Result:
    """Record the medical examination on entry after the admission (staff of the stay's centre)."""
    return _stay_command("record_entry_examination", stay_id, body)


@_stay_move(
    "reviews",
    "record_review",
    ReviewSchema,
    example={"next_review_on": "2026-12-20", "outcome": "detention still necessary"},
)
def review(body: dict[str, Any], stay_id: str) -> Result:
    """Record a review of the stay and the date of the next one."""
    return _stay_command("review", stay_id, body)


@estate_bp.patch("/centres/<centre_id>")
@estate_bp.arguments(
    CentreUpdateSchema, example={"name": "Yevlakh Detention Centre", "active": False}
)
@estate_bp.arguments(NoQuerySchema, location="query", as_kwargs=True)
@estate_bp.response(200, CentreSchema)
@_documented(
    estate_bp, {409: "Deactivation while people are held.", 412: "If-Match names another version."}
)
def update_centre(body: dict[str, Any], centre_id: str) -> Result:
    """Rename, deactivate or reactivate a centre (administrators)."""
    centre_id = path_id("centre_id", centre_id, domain.SLUG)
    return _answer(
        estate_commands.update_centre(
            service_deps().repository, context(), centre_id, expected_version(), body
        )
    )


@estate_bp.patch("/units/<unit_id>")
@estate_bp.arguments(
    UnitUpdateSchema,
    example={
        "declared_places": 36,
        "blocked_places": [{"places": 4, "reason": "water damage, repairs", "until": "2026-12-31"}],
    },
)
@estate_bp.arguments(NoQuerySchema, location="query", as_kwargs=True)
@estate_bp.response(200, UnitSchema)
@_documented(
    estate_bp,
    {409: "The capacity would fall below the people held.", 412: "If-Match names another version."},
)
def update_unit(body: dict[str, Any], unit_id: str) -> Result:
    """New declared places, floor area or blocks (administrators).

    Emits detention.unit.capacity_changed."""
    deps = service_deps()
    unit_id = path_id("unit_id", unit_id, domain.SLUG)
    return _answer(
        estate_commands.update_unit(
            deps.repository, context(), unit_id, expected_version(), body, deps.rules_for
        )
    )


@occupancy_bp.get("/centres/<centre_id>/occupancy")
@occupancy_bp.doc(operationId="get_occupancy")
@occupancy_bp.arguments(NoQuerySchema, location="query", as_kwargs=True)
@occupancy_bp.response(200, OccupancySchema)
def current_occupancy(centre_id: str) -> dict[str, Any]:
    """Occupied and free places now: per unit, per category, by sex, age band and nationality."""
    centre_id = path_id("centre_id", centre_id, domain.SLUG)
    return figures.current_occupancy(service_deps().repository, context(), centre_id)


@occupancy_bp.get("/centres/<centre_id>/occupancy/history")
@occupancy_bp.doc(operationId="get_occupancy_history")
@occupancy_bp.arguments(HistoryQuerySchema, location="query", as_kwargs=True)
@occupancy_bp.response(200, HistorySchema)
def occupancy_history(centre_id: str, first: date, last: date) -> dict[str, Any]:
    """Daily figures (up to 366 days) from the read model; never scans stays."""
    centre_id = path_id("centre_id", centre_id, domain.SLUG)
    return figures.occupancy_history(service_deps().repository, context(), centre_id, first, last)


@occupancy_bp.get("/statistics/occupancy")
@occupancy_bp.doc(operationId="get_occupancy_statistics")
@occupancy_bp.arguments(MonthQuerySchema, location="query", as_kwargs=True)
@occupancy_bp.response(200, StatisticsSchema)
def statistics(month: str) -> dict[str, Any]:
    """Raw monthly counts per unit for partner reports (admin, auditor, system).

    Suppression is the gateway's."""
    deps = service_deps()
    return figures.monthly_statistics(deps.repository, context(), month, deps.rules_for)
