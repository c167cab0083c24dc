"""Voluntary return's HTTP endpoints: load → handler → dump, roles checked here and again in the
handlers; the stage machine's refusals become problem details naming the rule and the stage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from flask import Flask, Response, current_app, request
from marshmallow import Schema

from passage import logs
from passage.fields import encode_cursor
from passage.identity import Identity
from passage.locations import Locations
from passage.locations_api import location_blueprint, parse_person_ref
from passage.problems import NotFound, Unprocessable, problem_response
from passage.subject_access import subject_access_blueprint
from passage.web import Blueprint, current_identity, etag, expected_version, require_role
from voluntary_return import handlers, schemas
from voluntary_return.bootstrap import Deps
from voluntary_return.domain import (
    CASE_ID,
    CASE_READERS,
    CASE_WRITERS,
    LOCATION_READERS,
    STATISTICS_READERS,
    CaseError,
    WrongStage,
)
from voluntary_return.repository import CaseFilter
from voluntary_return.views import case_view

EXTENSION = "passage.voluntary_return"
PREFIX = "/api/v1/voluntary-return"
Result = tuple[Any, int, dict[str, str]]

cases = Blueprint(
    "voluntary_return_cases",
    __name__,
    url_prefix=PREFIX,
    description="AVRR cases from referral to reintegration monitoring (stage machine of DESIGN §3.3).",
)
statistics = Blueprint(
    "voluntary_return_statistics",
    __name__,
    url_prefix=PREFIX,
    description="Monthly statistics for partner reports (raw counts; the gateway suppresses small cells).",
)

REFERRAL_EXAMPLE = {
    "person_ref": "AZ-2026-000001",
    "source": "detention_centre",
    "nationality": "IRN",
}

# (path segment, stage-machine action, request schema, summary)
ACTIONS: tuple[tuple[str, str, type[Schema], str], ...] = (
    (
        "registration",
        "register",
        schemas.RegistrationSchema,
        "Register particulars, documents, household, classification.",
    ),
    (
        "counselling-sessions",
        "record_counselling",
        schemas.CounsellingSchema,
        "Record a counselling session.",
    ),
    (
        "eligibility",
        "decide_eligibility",
        schemas.EligibilitySchema,
        "Decide eligibility, with reasons.",
    ),
    (
        "consent",
        "record_consent",
        schemas.ConsentSchema,
        "Record the signed AVRR declaration (informed consent).",
    ),
    (
        "consent-to-share",
        "record_consent_to_share",
        schemas.ConsentToShareSchema,
        "Record the migrant's consent to share the case with the authorities; only then are they told of it.",
    ),
    (
        "consent-to-share-withdrawal",
        "withdraw_consent_to_share",
        schemas.ConsentToShareWithdrawalSchema,
        "Record that the migrant withdrew the consent to share; the authorities hear the case is withdrawn, then nothing.",
    ),
    (
        "travel-document",
        "record_travel_document",
        schemas.TravelDocumentSchema,
        "Record the travel document / laissez-passer status; issued or valid makes the case travel-ready.",
    ),
    (
        "booking",
        "book_travel",
        schemas.BookingSchema,
        "Book travel; refused (422 consent_required) without consent.",
    ),
    (
        "departure",
        "confirm_departure",
        schemas.DepartureSchema,
        "Confirm departure (once; a repeat is a 409).",
    ),
    (
        "arrival",
        "confirm_arrival",
        schemas.ArrivalSchema,
        "Confirm arrival; plans monitoring at 3, 6 and 12 months.",
    ),
    ("reintegration-plan", "plan_reintegration", schemas.PlanSchema, "Set the reintegration plan."),
    (
        "monitoring-visits",
        "record_monitoring_visit",
        schemas.VisitSchema,
        "Record a monitoring visit with its sustainability scores.",
    ),
    ("closure", "close", schemas.ClosingSchema, "Close the case."),
    (
        "withdrawal",
        "withdraw",
        schemas.WithdrawalSchema,
        "Record the migrant's withdrawal (any stage before departure).",
    ),
    (
        "no-show",
        "record_no_show",
        schemas.NoShowSchema,
        "Record a no-show (any stage before departure).",
    ),
)


def _deps() -> Deps:
    return current_app.extensions[EXTENSION]


def _locations() -> Locations:
    return _deps().locations


def _ctx() -> handlers.Context:
    return handlers.Context(
        caller=current_identity(),
        now=_deps().clock(),
        correlation_id=logs.correlation_id.get() or logs.request_id.get(),
    )


def _case_id(value: str) -> str:
    if not CASE_ID.fullmatch(value):
        raise Unprocessable(
            "The case_id in the path is not valid.",
            errors=[{"pointer": "/path/case_id", "detail": "Not a case id."}],
        )
    return value


def _one(case: dict[str, Any], status: int = 200) -> Result:
    headers = {"ETag": etag(case["version"])}
    if status == 201:
        headers["Location"] = f"{PREFIX}/cases/{case['_id']}"
    return case_view(case, current_identity()), status, headers


@cases.before_request
def _gate() -> None:
    """Role first, before any body or id is looked at: a wrong role learns nothing."""
    require_role(*(CASE_READERS if request.method in ("GET", "HEAD") else CASE_WRITERS))


@statistics.before_request
def _gate_statistics() -> None:
    require_role(*STATISTICS_READERS)


@cases.post("/cases")
@cases.arguments(schemas.ReferralSchema, example=REFERRAL_EXAMPLE)
@cases.arguments(schemas.NoQuerySchema, location="query", as_kwargs=True)
@cases.response(201, schemas.CaseSchema)
@cases.alt_response(422, description="Invalid input, or a detention referral with no known centre.")
def refer_case(body: dict[str, Any]) -> Result:
    """Open a case (stage referred); from detention, the centre comes from the location read model."""
    deps = _deps()
    return _one(handlers.refer(deps.repository, deps.locations, _ctx(), body), 201)


@cases.get("/cases")
@cases.arguments(schemas.CaseQuerySchema, location="query", as_kwargs=True)
@cases.response(200, schemas.CasePageSchema)
def list_cases(limit: int, cursor: str | None = None, **filters: str) -> dict[str, Any]:
    """Search cases by person_ref, nationality, destination or stage."""
    rows, last = handlers.list_cases(
        _deps().repository, _ctx(), CaseFilter(**filters), cursor, limit
    )
    caller = current_identity()
    return {
        "items": [case_view(r, caller) for r in rows],
        "next_cursor": encode_cursor(last) if last else None,
    }


@cases.get("/cases/stages")
@cases.doc(operationId="count_cases_by_stage")
@cases.arguments(schemas.NoQuerySchema, location="query", as_kwargs=True)
@cases.response(200, schemas.StageCountsSchema)
def count_by_stage() -> dict[str, Any]:
    """How many cases are at each stage now."""
    counts = handlers.stage_counts(_deps().repository, _ctx())
    return {"counts": counts, "total": sum(counts.values())}


@cases.get("/cases/needs-action")
@cases.doc(operationId="list_cases_needing_action")
@cases.arguments(schemas.NeedsActionQuerySchema, location="query", as_kwargs=True)
@cases.response(200, schemas.CasePageSchema)
def needs_action(
    limit: int, within_days: int, overdue: bool, kind: str | None = None, cursor: str | None = None
) -> dict[str, Any]:
    """Counselling due, documents pending, booking pending, monitoring due: earliest first."""
    after = tuple(cursor.split("|")) if cursor else None
    rows, last = handlers.needing_action(
        _deps().repository, _ctx(), kind, within_days, overdue, after, limit
    )
    caller = current_identity()
    return {
        "items": [case_view(r, caller) for r in rows],
        "next_cursor": encode_cursor("|".join(last)) if last else None,
    }


@cases.get("/cases/<case_id>")
@cases.arguments(schemas.NoQuerySchema, location="query", as_kwargs=True)
@cases.response(200, schemas.CaseSchema)
def get_case(case_id: str) -> Result:
    """One AVRR case with its stage, history and next steps; the ETag is its version for If-Match."""
    return _one(handlers.get_case(_deps().repository, _ctx(), _case_id(case_id)))


def _action_endpoint(
    segment: str, action: str, schema: type[Schema], summary: str
) -> Callable[..., Result]:
    def endpoint(body: dict[str, Any], case_id: str) -> Result:
        if_match = expected_version(None)
        return _one(
            handlers.act(_deps().repository, _ctx(), _case_id(case_id), action, body, if_match)
        )

    endpoint.__name__ = action
    endpoint.__doc__ = summary
    endpoint = cases.alt_response(
        409, description="Not allowed at the case's current stage (named in the problem)."
    )(endpoint)
    endpoint = cases.alt_response(412, description="If-Match names an older version.")(endpoint)
    endpoint = cases.response(200, schemas.CaseSchema)(endpoint)
    endpoint = cases.arguments(schemas.NoQuerySchema, location="query", as_kwargs=True)(endpoint)
    endpoint = cases.arguments(schema)(endpoint)
    endpoint = cases.doc(operationId=OPERATION_IDS.get(action, action))(endpoint)
    return cases.post(f"/cases/<case_id>/{segment}")(endpoint)


# operationIds where the action's short name would be ambiguous in the whole API's document
OPERATION_IDS = {
    "register": "register_case",
    "close": "close_case",
    "withdraw": "record_withdrawal",
}
for _segment, _action, _schema, _summary in ACTIONS:
    _action_endpoint(_segment, _action, _schema, _summary)


@statistics.get("/statistics")
@statistics.doc(operationId="get_voluntary_return_statistics")
@statistics.arguments(schemas.MonthQuerySchema, location="query", as_kwargs=True)
@statistics.response(200, schemas.StatisticsSchema)
def monthly_statistics(month: str) -> dict[str, Any]:
    """Per month, nationality and destination: referrals, departures, withdrawals and more."""
    return handlers.monthly_statistics(_deps().repository, _ctx(), month)


def _has_case(_caller: Identity, person_ref: str) -> bool:
    """Caseworkers are not scoped further: any case about the person is a reason to know where they are."""
    return _deps().repository.has_case_for(person_ref)


locations = location_blueprint(
    "voluntary_return_locations",
    PREFIX,
    "Where people in assisted voluntary return are held (fed by detention events).",
    LOCATION_READERS,
    _locations,
    _has_case,
)
prefill = Blueprint(
    "voluntary_return_prefill",
    __name__,
    url_prefix=PREFIX,
    description="Opening a case for a detainee: where the person is held, asked for once (audited).",
)


@prefill.get("/referral-prefill/<person_ref>")
@prefill.arguments(schemas.NoQuerySchema, location="query", as_kwargs=True)
@prefill.response(200, schemas.ReferralPrefillSchema)
@prefill.alt_response(404, description="No open detention stay is known for this person.")
def referral_prefill(person_ref: str) -> dict[str, Any]:
    """The centre, unit and stay of a detainee a caseworker is about to refer (its own audited call)."""
    require_role(*CASE_WRITERS)
    found = _locations().get_location(parse_person_ref(person_ref))
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


def _held_about(person_ref: str) -> dict[str, Any]:
    """A subject access export: the person's cases, forced-route flags and where they are held."""
    deps, caller = _deps(), current_identity()
    found = deps.locations.get_location(person_ref)
    return {
        "cases": [
            case_view(c, caller)
            for c in deps.repository.find(CaseFilter(person_ref=person_ref), None, 1000)
        ],
        "forced_routes": deps.repository.forced_routes_for(person_ref),
        "location": asdict(found.location) if found else None,
    }


subject_access = subject_access_blueprint(
    "voluntary_return_subject_access", PREFIX, "voluntary_return", _held_about
)
BLUEPRINTS = (cases, statistics, locations, prefill, subject_access)


# refusals → problem details -------------------------------------------------------------------
def _refused(exc: CaseError) -> Response:
    errors = (
        [{"pointer": "/" + exc.field.replace(".", "/"), "detail": exc.detail}] if exc.field else []
    )
    if isinstance(exc, WrongStage):
        return problem_response(
            409,
            exc.detail,
            slug="wrong-stage",
            title="Not allowed at this stage",
            rule=exc.rule,
            stage=exc.stage,
            action=exc.action,
            allowed_from=list(exc.allowed_from),
        )
    if exc.status == 409:
        return problem_response(409, exc.detail, rule=exc.rule, errors=errors)
    return problem_response(
        422,
        exc.detail,
        slug="rule-refused",
        title="Refused by a rule",
        rule=exc.rule,
        errors=errors,
    )


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CaseError, _refused)
    app.register_error_handler(
        handlers.NotAllowed,
        lambda _e: problem_response(403, "Your role does not allow this action."),
    )
    app.register_error_handler(handlers.CaseNotFound, lambda e: problem_response(404, str(e)))
    app.register_error_handler(handlers.KeptChanging, lambda e: problem_response(409, str(e)))
    app.register_error_handler(
        handlers.ChangedMeanwhile,
        lambda e: problem_response(
            412,
            f"The case is at version {e.current_version}; read it again.",
            current_version=e.current_version,
        ),
    )
