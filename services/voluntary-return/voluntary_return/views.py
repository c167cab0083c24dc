"""How a stored case reads back through the API: JSON-ready (RFC 3339 times), with the allowed
next actions, and with counselling notes and medical needs withheld from everyone but AVR
caseworkers (and administrators). Pure: no I/O, no Flask."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from passage.events.envelope import rfc3339
from passage.identity import Identity

from voluntary_return import stages
from voluntary_return.domain import SENSITIVE_READERS

_INTERNAL = ("_id", "outbox", "outbox_pending")


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
    if caller.role not in SENSITIVE_READERS:
        view = _without_sensitive(view)
    return jsonable(view)


def _without_sensitive(view: dict[str, Any]) -> dict[str, Any]:
    sessions = [{k: v for k, v in s.items() if k != "notes"} for s in view.get("counselling_sessions", [])]
    view = {**view, "counselling_sessions": sessions}
    if view.get("booking"):
        view["booking"] = {k: v for k, v in view["booking"].items() if k != "medical_needs"}
    return view
