"""How a stored case reads back through the API: JSON-ready (RFC 3339 times), with the allowed
next actions; counselling notes and medical needs only for AVR caseworkers and administrators,
and for auditors the case's metadata only (ids, stages, dates, who acted, centre): never names,
birth dates, household, documents, vulnerabilities, free text or other particulars. Pure: no I/O,
no Flask."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from passage.disclosure import Spec, disclose, fields
from passage.events.envelope import rfc3339
from passage.identity import Identity
from voluntary_return.domain import stages
from voluntary_return.domain.vocabulary import SENSITIVE_READERS

_INTERNAL = (
    "_id",
    "outbox",
    "outbox_pending",
    "name_keys",
    "document_keys",
)  # keys: person search only
# What an auditor reads (DESIGN §1: who did what, when): anything not listed is withheld.
AUDITOR_FIELDS: Spec = {
    **fields(
        "id",
        "person_ref",
        "stage",
        "version",
        "allowed_actions",
        "next_action",
        "next_action_due",
        "forced_route_open",
        "registered_by",
        "created_at",
        "updated_at",
        "stage_since",
    ),
    "history": fields("at", "stage", "action", "by"),
    "forced_routes": fields("request_id", "member_state", "decided_at"),
    "referral": fields(
        "source",
        "referred_at",
        "referred_by",
        "centre_id",
        "unit_id",
        "stay_id",
        "location_prefilled",
    ),
    "counselling_sessions": fields("held_on", "recorded_by", "recorded_at"),
    "eligibility": fields("decision", "decided_on", "decided_by"),
    "consent": fields("declared_on", "recorded_by", "recorded_at"),
    "consent_to_share": fields(
        "agreed_on", "recorded_by", "recorded_at", "withdrawn_on", "withdrawn_by", "withdrawn_at"
    ),
    "travel_document": fields("kind", "status", "updated_at", "updated_by"),
    "booking": fields("departure_date", "booked_at", "booked_by"),
    "departure": fields("departed_at", "confirmed_by"),
    "arrival": fields("arrived_at", "confirmed_by"),
    "withdrawal": fields("kind", "reason", "at", "by"),
    "closure": fields("outcome", "at", "by"),
    "reintegration": {"monitoring": fields("month", "due_on", "visited_on", "visited_by")},
}


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def case_view(case: Mapping[str, Any], caller: Identity) -> dict[str, Any]:
    """The case as ``caller`` may see it."""
    view = {"id": case["_id"], **{k: v for k, v in case.items() if k not in _INTERNAL}}
    view.setdefault("next_action", None)
    view.setdefault("next_action_due", None)
    view.setdefault("forced_route_open", False)
    view["allowed_actions"] = list(stages.allowed_actions(case["stage"]))
    if caller.role not in SENSITIVE_READERS:  # auditors, and any reader added later: metadata only
        view = disclose(view, AUDITOR_FIELDS)
    return jsonable(view)
