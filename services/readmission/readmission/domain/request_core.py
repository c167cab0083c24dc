"""The vocabulary of a readmission request (DESIGN §3.2): states, allowed moves, what a change is,
and how deadlines are stored and computed for one request. Stdlib (+ the pure deadline engine) only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from passage import errors
from readmission.domain import deadlines as dl
from readmission.domain.agreements import EU_AZ

DIRECTIONS = ("incoming", "outgoing")
CATEGORIES = (
    "own_national",
    "former_national",
    "third_country_national",
    "stateless",
    "family_member",
)
PROCEDURES = ("normal", "accelerated")
STATES = (
    "draft",
    "submitted",
    "info_requested",
    "accepted",
    "deemed_accepted",
    "rejected",
    "withdrawn",
    "transfer_scheduled",
    "transferred",
    "closed",
    "transfer_failed",
    "taken_back",
)
# Before the person has been moved: what a voluntary departure makes pointless.
PENDING = (
    "draft",
    "submitted",
    "info_requested",
    "accepted",
    "deemed_accepted",
    "transfer_scheduled",
)
AWAITING_REPLY = ("submitted", "info_requested")
REJECTION_REASONS = (
    "nationality_not_established",
    "third_country_conditions_not_met",
    "insufficient_evidence",
    "submitted_late",
    "person_not_identified",
    "humanitarian",
    "other",
)
# A reply action and the state a timely reply leads to (also when it reverses a deemed acceptance).
REPLIES = {"accept": "accepted", "reject": "rejected", "request_info": "info_requested"}
# Action -> (states it may start from, state it leads to). "deem_accept" is the clock's alone.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": (("draft", "info_requested"), "submitted"),
    "request_info": (("submitted",), "info_requested"),
    "accept": (AWAITING_REPLY, "accepted"),
    "reject": (AWAITING_REPLY, "rejected"),
    "deem_accept": (AWAITING_REPLY, "deemed_accepted"),
    "withdraw": (PENDING, "withdrawn"),
    "schedule_transfer": (("accepted", "deemed_accepted", "transfer_failed"), "transfer_scheduled"),
    "complete_transfer": (("transfer_scheduled",), "transferred"),
    "fail_transfer": (("transfer_scheduled",), "transfer_failed"),
    "close": (("transferred", "transfer_failed"), "closed"),
    "take_back": (("transferred", "closed"), "taken_back"),
}
# Non-state actions and the states in which they make sense.
NOTES: dict[str, tuple[str, ...]] = {
    "extend": AWAITING_REPLY,
    "extend_submission": ("draft",),
    "extend_transfer": ("accepted", "deemed_accepted", "transfer_scheduled", "transfer_failed"),
    "add_evidence": ("draft", "submitted", "info_requested"),
    "record_travel_document": (
        "accepted",
        "deemed_accepted",
        "transfer_scheduled",
        "transfer_failed",
    ),
}


class NotAllowed(errors.RuleRefused):
    """The action cannot start from the request's current state (a 409 naming the state)."""

    def __init__(self, action: str, state: str, detail: str | None = None) -> None:
        super().__init__(
            detail or f"A request in state '{state}' cannot be {action.replace('_', ' ')}ed.",
            current_state=state,
            action=action,
        )
        self.action, self.state = action, state


class DeemedAcceptanceStands(NotAllowed):
    """A reply dated after the limit, entered once the clock deemed the request accepted (a 409)."""

    def __init__(self, message: str, action: str, state: str) -> None:
        super().__init__(action, state, message)


class RuleBroken(errors.RuleRefused):
    """The action is allowed in this state but its content breaks a rule (e.g. an extension too
    long)."""


@dataclass(frozen=True)
class Law:
    """The rule table and the calendar overrides in force: everything a clock needs, as data."""

    rules: Sequence[dl.RuleVersion]
    overrides: dl.Overrides = field(default_factory=dict)


@dataclass
class Change:
    """What one action does to a request: new fields, deadlines, history, statistics."""

    action: str
    state: str
    set: dict[str, Any] = field(default_factory=dict)
    opened: list[dl.Deadline] = field(default_factory=list)
    closed: dict[str, str] = field(
        default_factory=dict
    )  # deadline kind -> met | late | missed | cancelled
    history: dict[str, Any] = field(default_factory=dict)
    reversal: bool = False  # a timely dated reply voided a deemed acceptance
    stats: list[tuple[str, date, dict[str, int], int | None]] = field(
        default_factory=list
    )  # (ms, day, incs, reply days)


def check_allowed(action: str, state: str) -> str:
    """The state ``action`` leads to from ``state``; NotAllowed otherwise."""
    if action in NOTES:
        if state not in NOTES[action]:
            raise NotAllowed(action, state)
        return state
    sources, target = TRANSITIONS[action]
    if state not in sources:
        raise NotAllowed(action, state)
    return target


def open_deadline(doc: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    found = (doc.get("deadlines") or {}).get(kind)
    return found if found and found.get("status") == "open" else None


def deadline_from(stored: Mapping[str, Any]) -> dl.Deadline:
    ceiling = stored.get("extension_ceiling_on")
    return dl.Deadline(
        kind=stored["kind"],
        start_on=date.fromisoformat(stored["start_on"]),
        due_on=date.fromisoformat(stored["due_on"]),
        unit=stored["unit"],
        amount=stored["amount"],
        calendar=stored["calendar"],
        rule_version=stored["rule_version"],
        deemed_acceptance=bool(stored.get("deemed_acceptance")),
        extension_ceiling_on=date.fromisoformat(ceiling) if ceiling else None,
        source=stored.get("source"),
        extensions=tuple(stored.get("extensions") or ()),
    )


def deadline_record(deadline: dl.Deadline) -> dict[str, Any]:
    return {
        "kind": deadline.kind,
        "start_on": deadline.start_on.isoformat(),
        "due_on": deadline.due_on.isoformat(),
        "unit": deadline.unit,
        "amount": deadline.amount,
        "calendar": deadline.calendar,
        "rule_version": deadline.rule_version,
        "deemed_acceptance": deadline.deemed_acceptance,
        "extension_ceiling_on": deadline.extension_ceiling_on.isoformat()
        if deadline.extension_ceiling_on
        else None,
        "source": dict(deadline.source) if deadline.source else None,
        "extensions": [dict(e) for e in deadline.extensions],
        "status": "open",
        "missed_notified": False,
    }


def compute_for(law: Law, doc: Mapping[str, Any], kind: str, start: date) -> dl.Deadline:
    return dl.compute(
        law.rules,
        kind,
        member_state=doc["member_state"],
        direction=doc["direction"],
        procedure=doc["procedure"],
        start=start,
        category=doc["category"],
        agreement=doc.get("agreement") or EU_AZ,
        overrides=law.overrides,
    )


def initial_deadlines(law: Law, doc: Mapping[str, Any]) -> list[dl.Deadline]:
    """A draft's submission deadline (third-country nationals and stateless persons only): 6 months
    from learning of the stay, or 2 working days of the requesting state from apprehension
    (accelerated)."""
    start = (
        doc.get("apprehended_on") if doc["procedure"] == "accelerated" else doc.get("learned_on")
    )
    if not start or not dl.has_limit("submit", doc["category"]):
        return []
    return [compute_for(law, doc, "submit", date.fromisoformat(start))]


def closing(
    doc: Mapping[str, Any], kinds: Sequence[str], day: date, how: str | None = None
) -> dict[str, str]:
    closed = {}
    for kind in kinds:
        found = open_deadline(doc, kind)
        if found:
            closed[kind] = how or ("met" if day <= date.fromisoformat(found["due_on"]) else "late")
    return closed
