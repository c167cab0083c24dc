"""A transit request's life (EU readmission agreements, transit procedure): states, allowed moves,
the reply deadline and what each decision records. Stdlib (+ the pure deadline engine) only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from readmission.domain import deadlines as dl
from readmission.domain.requests import NotAllowed, RuleBroken, deadline_record, open_deadline

__all__ = [
    "NotAllowed",
    "RuleBroken",
    "STATES",
    "TRANSITIONS",
    "TransitChange",
    "check_allowed",
    "decide",
    "reply_deadline",
    "deadline_record",
]

STATES = ("submitted", "approved", "refused", "consent_revoked", "completed", "withdrawn")
REFUSAL_REASONS = (
    "third_country_conditions_not_met",
    "danger_of_persecution",
    "criminal_prosecution",
    "public_order_or_security",
    "onward_journey_not_assured",
    "admission_by_destination_not_assured",
    "other",
)
REVOCATION_REASONS = (
    "facts_came_to_light",
    "danger_of_persecution",
    "criminal_prosecution",
    "public_order_or_security",
    "onward_journey_not_assured",
    "other",
)
WITHDRAWAL_REASONS = (
    "requesting_state_withdrew",
    "voluntary_departure",
    "route_changed",
    "duplicate",
    "other",
)
# Action -> (states it may start from, state it leads to).
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "approve": (("submitted",), "approved"),
    "refuse": (("submitted",), "refused"),
    "withdraw": (("submitted",), "withdrawn"),
    # The agreements let the requested state revoke consent if facts justifying refusal come to
    # light later.
    "revoke_consent": (("approved",), "consent_revoked"),
    "complete": (("approved",), "completed"),
}
VERBS = {
    "approve": "approved",
    "refuse": "refused",
    "withdraw": "withdrawn",
    "revoke_consent": "have its consent revoked",
    "complete": "completed",
}


class TransitNotAllowed(NotAllowed):
    """The action cannot start from the transit request's current state (an HTTP 409 naming it)."""

    def __init__(self, action: str, state: str) -> None:
        super().__init__(
            action,
            state,
            f"A transit request in state '{state}' cannot be {VERBS.get(action, action)}.",
        )


@dataclass
class TransitChange:
    """What one action does to a transit request: new state, fields, closed deadlines."""

    action: str
    state: str
    set: dict[str, Any] = field(default_factory=dict)
    closed: dict[str, str] = field(default_factory=dict)  # deadline kind -> met | late | cancelled


def check_allowed(action: str, state: str) -> str:
    """The state ``action`` leads to from ``state``; TransitNotAllowed otherwise."""
    if action not in TRANSITIONS or state not in TRANSITIONS[action][0]:
        raise TransitNotAllowed(action, state)
    return TRANSITIONS[action][1]


def reply_deadline(
    rules: Sequence[dl.RuleVersion],
    direction: str,
    member_state: str,
    received: date,
    agreement: str = dl.AGREEMENT,
) -> dl.Deadline:
    """The reply limit for a transit application received on ``received`` (the agreement's rule in
    force that day)."""
    return dl.compute(
        rules,
        dl.TRANSIT_REPLY,
        member_state=member_state,
        direction=direction,
        procedure="normal",
        start=received,
        agreement=agreement,
    )


def decide(
    doc: Mapping[str, Any], action: str, body: Mapping[str, Any], now: datetime
) -> TransitChange:
    """The change ``action`` (with its validated ``body``) makes to the transit request ``doc`` at
    ``now``."""
    change = TransitChange(action=action, state=check_allowed(action, doc["state"]))
    today = now.date()
    if action in ("approve", "refuse", "withdraw"):
        change.closed = _closing(doc, today, "cancelled" if action == "withdraw" else None)
    if action in ("approve", "refuse"):
        change.set["decided_on"] = today.isoformat()
    if action == "approve":
        change.set["approval"] = _plain(body)
    elif action == "refuse":
        if not body.get("reasons"):
            raise RuleBroken("a refusal must state its reasons")
        change.set["refusal"] = {"reasons": [dict(r) for r in body["reasons"]]}
    elif action == "revoke_consent":
        _revoke(doc, body, now, change)
    elif action == "withdraw":
        change.set["withdrawal"] = _plain(body)
    elif action == "complete":
        change.set["completion"] = _plain(body)
    return change


def _revoke(
    doc: Mapping[str, Any], body: Mapping[str, Any], now: datetime, change: TransitChange
) -> None:
    if not body.get("reason") or not body.get("explanation"):
        raise RuleBroken("a revocation must state its reason")
    change.set["revocation"] = _plain(body)


def _closing(doc: Mapping[str, Any], day: date, how: str | None) -> dict[str, str]:
    found = open_deadline(doc, dl.TRANSIT_REPLY)
    if not found:
        return {}
    return {
        dl.TRANSIT_REPLY: how or ("met" if day <= date.fromisoformat(found["due_on"]) else "late")
    }


def _plain(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in body.items()}
