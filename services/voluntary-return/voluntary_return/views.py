"""How a stored case reads back through the API: JSON-ready (RFC 3339 times), with the allowed
next actions; counselling notes and medical needs only for AVR caseworkers and administrators,
and for auditors the case's metadata only (ids, stages, dates, who acted, centre): never names,
birth dates, household, documents, vulnerabilities, free text or other particulars. Pure: no I/O,
no Flask."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from passage.events.envelope import rfc3339
from passage.identity import Identity

from voluntary_return import stages
from voluntary_return.domain import SENSITIVE_READERS

_INTERNAL = ("_id", "outbox", "outbox_pending")
# What an auditor reads: a name is kept whole (a string) or cut to the listed keys (a dict, or
# each dict of a list). Anything not listed is withheld, so a new field starts out hidden.
_BY = ("at", "by")
AUDITOR_FIELDS: dict[str, tuple[str, ...] | None] = {
    "id": None, "person_ref": None, "stage": None, "version": None, "allowed_actions": None,
    "next_action": None, "next_action_due": None, "forced_route_open": None, "registered_by": None,
    "created_at": None, "updated_at": None, "stage_since": None,
    "history": ("at", "stage", "action", "by"),
    "forced_routes": ("request_id", "member_state", "decided_at"),
    "referral": ("source", "referred_at", "referred_by", "centre_id", "unit_id", "stay_id", "location_prefilled"),
    "counselling_sessions": ("held_on", "recorded_by", "recorded_at"),
    "eligibility": ("decision", "decided_on", "decided_by"),
    "consent": ("declared_on", "recorded_by", "recorded_at"),
    "consent_to_share": ("agreed_on", "recorded_by", "recorded_at", "withdrawn_on", "withdrawn_by", "withdrawn_at"),
    "travel_document": ("kind", "status", "updated_at", "updated_by"),
    "booking": ("departure_date", "booked_at", "booked_by"),
    "departure": ("departed_at", "confirmed_by"), "arrival": ("arrived_at", "confirmed_by"),
    "withdrawal": ("kind", "reason", *_BY), "closure": ("outcome", *_BY),
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
    if caller.role == "auditor":
        view = metadata_only(view)
    elif caller.role not in SENSITIVE_READERS:
        view = _without_sensitive(view)
    return jsonable(view)


def metadata_only(view: Mapping[str, Any]) -> dict[str, Any]:
    """The case cut to ``AUDITOR_FIELDS``; reintegration keeps only its monitoring dates."""
    cut: dict[str, Any] = {}
    for name, keys in AUDITOR_FIELDS.items():
        if name in view:
            cut[name] = _keep(view[name], keys)
    if view.get("reintegration"):
        visits = (view["reintegration"] or {}).get("monitoring") or []
        cut["reintegration"] = {"monitoring": [_keep(v, ("month", "due_on", "visited_on", "visited_by"))
                                               for v in visits]}
    return cut


def _keep(value: Any, keys: tuple[str, ...] | None) -> Any:
    if keys is None or value is None:
        return value
    if isinstance(value, list):
        return [_keep(item, keys) for item in value]
    return {k: v for k, v in value.items() if k in keys}


def _without_sensitive(view: dict[str, Any]) -> dict[str, Any]:
    sessions = [{k: v for k, v in s.items() if k != "notes"} for s in view.get("counselling_sessions", [])]
    view = {**view, "counselling_sessions": sessions}
    if view.get("booking"):
        view["booking"] = {k: v for k, v in view["booking"].items() if k != "medical_needs"}
    return view
