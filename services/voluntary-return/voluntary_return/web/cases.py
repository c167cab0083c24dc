"""Voluntary return's case endpoints: load → handler → dump, roles checked here and again in the
handlers; the handlers' refusals become problem details through ``web.errors.ERRORS``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request
from marshmallow import Schema

from passage.fields import encode_cursor
from passage.web import Blueprint, current_identity, etag, expected_version, require_role
from voluntary_return import handlers
from voluntary_return.domain.records import CaseFilter
from voluntary_return.domain.vocabulary import CASE_READERS, CASE_WRITERS, STATISTICS_READERS
from voluntary_return.web import schemas
from voluntary_return.web.common import PREFIX, case_id_from, context, deps
from voluntary_return.web.views import case_view

Result = tuple[Any, int, dict[str, str]]

cases = Blueprint(
    "voluntary_return_cases",
    __name__,
    url_prefix=PREFIX,
    description=(
        "AVRR cases from referral to reintegration monitoring (stage machine of DESIGN §3.3)."
    ),
)
statistics = Blueprint(
    "voluntary_return_statistics",
    __name__,
    url_prefix=PREFIX,
    description=(
        "Monthly statistics for partner reports (raw counts; the gateway suppresses small cells)."
    ),
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
        "Record the migrant's consent to share the case with the authorities; only then are they "
        "told of it.",
    ),
    (
        "consent-to-share-withdrawal",
        "withdraw_consent_to_share",
        schemas.ConsentToShareWithdrawalSchema,
        "Record that the migrant withdrew the consent to share; the authorities hear the case is "
        "withdrawn, then nothing.",
    ),
    (
        "travel-document",
        "record_travel_document",
        schemas.TravelDocumentSchema,
        "Record the travel document / laissez-passer status; issued or valid makes the case "
        "travel-ready.",
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
    """Open a case (stage referred); from detention, the centre comes from the location read model."""  # noqa: E501 -- the OpenAPI summary is this one line
    found = deps()
    return _one(handlers.refer(found.repository, found.locations, context(), body), 201)


@cases.get("/cases")
@cases.arguments(schemas.CaseQuerySchema, location="query", as_kwargs=True)
@cases.response(200, schemas.CasePageSchema)
def list_cases(limit: int, cursor: str | None = None, **filters: str) -> dict[str, Any]:
    """Search cases by person_ref, nationality, destination or stage."""
    rows, last = handlers.list_cases(
        deps().repository, context(), CaseFilter(**filters), cursor, limit
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
    counts = handlers.stage_counts(deps().repository, context())
    return {"counts": counts, "total": sum(counts.values())}


@cases.get("/cases/needs-action")
@cases.doc(operationId="list_cases_needing_action")
@cases.arguments(schemas.NeedsActionQuerySchema, location="query", as_kwargs=True)
@cases.response(200, schemas.CasePageSchema)
def needs_action(
    limit: int, within_days: int, overdue: bool, kind: str | None = None, cursor: str | None = None
) -> dict[str, Any]:
    """Counselling due, documents pending, booking pending, monitoring due: earliest first."""
    after = _due_and_id(cursor) if cursor else None
    rows, last = handlers.needing_action(
        deps().repository, context(), kind, within_days, overdue, after, limit
    )
    caller = current_identity()
    return {
        "items": [case_view(r, caller) for r in rows],
        "next_cursor": encode_cursor("|".join(last)) if last else None,
    }


def _due_and_id(cursor: str) -> tuple[str, str]:
    """The (due date, case id) a needs-action cursor carries (its pattern checked by the schema)."""
    due, _, case_id = cursor.partition("|")
    return due, case_id


@cases.get("/cases/<case_id>")
@cases.arguments(schemas.NoQuerySchema, location="query", as_kwargs=True)
@cases.response(200, schemas.CaseSchema)
def get_case(case_id: str) -> Result:
    """One AVRR case with its stage, history and next steps; the ETag is its version for If-Match."""  # noqa: E501 -- the OpenAPI summary is this one line
    return _one(handlers.get_case(deps().repository, context(), case_id_from(case_id)))


def _action_endpoint(
    segment: str, action: str, schema: type[Schema], summary: str
) -> Callable[..., Result]:
    def endpoint(body: dict[str, Any], case_id: str) -> Result:
        if_match = expected_version(None)
        return _one(
            handlers.act(
                deps().repository, context(), case_id_from(case_id), action, body, if_match
            )
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
    return handlers.monthly_statistics(deps().repository, context(), month)


BLUEPRINTS = (cases, statistics)
