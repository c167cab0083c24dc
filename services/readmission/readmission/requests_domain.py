"""A readmission request's life (DESIGN §3.2): states, allowed moves, deadlines opened and closed,
evidence sufficiency. Stdlib (+ the pure deadline engine) only; storage and events live elsewhere.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Mapping, Sequence

from readmission import deadlines as dl

DIRECTIONS = ("incoming", "outgoing")
CATEGORIES = ("own_national", "former_national", "third_country_national", "stateless", "family_member")
PROCEDURES = ("normal", "accelerated")
STATES = ("draft", "submitted", "info_requested", "accepted", "deemed_accepted", "rejected", "withdrawn",
          "transfer_scheduled", "transferred", "closed", "transfer_failed", "taken_back")
# Before the person has been moved: what a voluntary departure makes pointless.
PENDING = ("draft", "submitted", "info_requested", "accepted", "deemed_accepted", "transfer_scheduled")
AWAITING_REPLY = ("submitted", "info_requested")
REJECTION_REASONS = ("nationality_not_established", "third_country_conditions_not_met", "insufficient_evidence",
                     "submitted_late", "person_not_identified", "humanitarian", "other")
EVIDENCE_KINDS = ("proof", "prima_facie")
EVIDENCE_OF = ("nationality", "third_country_conditions")
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
    "add_evidence": ("draft", "submitted", "info_requested"),
    "record_travel_document": ("accepted", "deemed_accepted", "transfer_scheduled", "transfer_failed"),
}


class NotAllowed(Exception):
    """The action cannot start from the request's current state (an HTTP 409 naming it)."""

    def __init__(self, action: str, state: str) -> None:
        super().__init__(f"A request in state '{state}' cannot be {action.replace('_', ' ')}ed.")
        self.action, self.state = action, state


class RuleBroken(ValueError):
    """The action is allowed in this state but its content breaks a rule (e.g. an extension too long)."""


@dataclass
class Change:
    """What one action does to a request: new fields, deadlines, history, statistics."""

    action: str
    state: str
    set: dict[str, Any] = field(default_factory=dict)
    opened: list[dl.Deadline] = field(default_factory=list)
    closed: dict[str, str] = field(default_factory=dict)  # deadline kind -> met | late | missed | cancelled
    history: dict[str, Any] = field(default_factory=dict)
    stats: list[tuple[str, date, dict[str, int], int | None]] = field(default_factory=list)  # (ms, day, incs, reply days)


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
    return dl.Deadline(kind=stored["kind"], start_on=date.fromisoformat(stored["start_on"]),
                       due_on=date.fromisoformat(stored["due_on"]), unit=stored["unit"], amount=stored["amount"],
                       calendar=stored["calendar"], rule_version=stored["rule_version"],
                       deemed_acceptance=bool(stored.get("deemed_acceptance")),
                       extension_ceiling_on=date.fromisoformat(ceiling) if ceiling else None)


def deadline_record(deadline: dl.Deadline) -> dict[str, Any]:
    return {"kind": deadline.kind, "start_on": deadline.start_on.isoformat(), "due_on": deadline.due_on.isoformat(),
            "unit": deadline.unit, "amount": deadline.amount, "calendar": deadline.calendar,
            "rule_version": deadline.rule_version, "deemed_acceptance": deadline.deemed_acceptance,
            "extension_ceiling_on": deadline.extension_ceiling_on.isoformat() if deadline.extension_ceiling_on else None,
            "status": "open", "missed_notified": False}


def _compute(rules: Sequence[dl.RuleVersion], doc: Mapping[str, Any], kind: str, start: date) -> dl.Deadline:
    return dl.compute(rules, kind, member_state=doc["member_state"], direction=doc["direction"],
                      procedure=doc["procedure"], start=start, category=doc["category"])


def initial_deadlines(rules: Sequence[dl.RuleVersion], doc: Mapping[str, Any]) -> list[dl.Deadline]:
    """A draft's submission deadline: 1 year from learning of the stay, or 2 working days from apprehension."""
    start = doc.get("apprehended_on") if doc["procedure"] == "accelerated" else doc.get("learned_on")
    return [_compute(rules, doc, "submit", date.fromisoformat(start))] if start else []


def _closing(doc: Mapping[str, Any], kinds: Sequence[str], day: date, how: str | None = None) -> dict[str, str]:
    closed = {}
    for kind in kinds:
        found = open_deadline(doc, kind)
        if found:
            closed[kind] = how or ("met" if day <= date.fromisoformat(found["due_on"]) else "late")
    return closed


def decide(doc: Mapping[str, Any], action: str, body: Mapping[str, Any], today: date,
           rules: Sequence[dl.RuleVersion]) -> Change:
    """The change ``action`` (with its validated ``body``) makes to the request ``doc`` today."""
    state = check_allowed(action, doc["state"])
    change = Change(action=action, state=state)
    handler = _ACTIONS.get(action)
    if handler is not None:
        handler(doc, body, today, rules, change)
    return change


def _submit(doc: Mapping[str, Any], body: Mapping[str, Any], today: date, rules: Sequence[dl.RuleVersion],
            change: Change) -> None:
    if doc["state"] == "info_requested":
        return  # the information asked for is supplied; the reply clock keeps running
    received = body.get("received_on") or today
    if received > today:
        raise RuleBroken("received_on cannot be in the future")
    change.closed = _closing(doc, ["submit"], received)
    change.opened = [_compute(rules, doc, "reply", received)]
    change.set["received_on"] = received.isoformat()
    change.stats.append((doc["member_state"], received, {f"requests_{doc['direction']}": 1,
                                                         f"by_category.{doc['category']}": 1}, None))


def _reply_stats(doc: Mapping[str, Any], day: date, counter: str, extra: Mapping[str, int]) -> tuple:
    reply = open_deadline(doc, "reply")
    received = date.fromisoformat(doc["received_on"])
    within = bool(reply) and day <= date.fromisoformat(reply["due_on"]) and counter != "deemed_accepted"
    incs = {counter: 1, "replies_due": 1, "answered_within_limit": int(within), **extra}
    days = None if counter == "deemed_accepted" else (day - received).days
    return (doc["member_state"], day, incs, days)


def _decision(doc: Mapping[str, Any], day: date, rules: Sequence[dl.RuleVersion], change: Change) -> None:
    change.closed = _closing(doc, ["reply"], day)
    change.set["decided_on"] = day.isoformat()
    if change.state in ("accepted", "deemed_accepted"):
        change.opened = [_compute(rules, doc, "transfer", day), _compute(rules, doc, "travel_document", day)]


def _accept(doc, body, today, rules, change) -> None:  # type: ignore[no-untyped-def]
    _decision(doc, today, rules, change)
    change.stats.append(_reply_stats(doc, today, "accepted", {}))


def _reject(doc, body, today, rules, change) -> None:  # type: ignore[no-untyped-def]
    reasons = list(body.get("reasons") or [])
    if not reasons:
        raise RuleBroken("a rejection must state its reasons")
    _decision(doc, today, rules, change)
    change.set["rejection"] = {"reasons": reasons}
    codes = sorted({r["code"] for r in reasons})
    change.stats.append(_reply_stats(doc, today, "rejected", {f"rejected_by_reason.{c}": 1 for c in codes}))


def _deem_accept(doc, body, today, rules, change) -> None:  # type: ignore[no-untyped-def]
    reply = open_deadline(doc, "reply")
    if not reply or not reply.get("deemed_acceptance") or not dl.is_passed(date.fromisoformat(reply["due_on"]), today):
        raise RuleBroken("the reply limit has not passed or the rule has no deemed acceptance")
    legal_day = date.fromisoformat(reply["due_on"]) + timedelta(days=1)  # the day after the last day to reply
    _decision(doc, legal_day, rules, change)
    change.closed = {"reply": "missed"}
    change.stats.append(_reply_stats(doc, legal_day, "deemed_accepted", {}))


def _extend(doc, body, today, rules, change) -> None:  # type: ignore[no-untyped-def]
    reply = open_deadline(doc, "reply")
    if reply is None:
        raise RuleBroken("there is no open reply deadline to extend")
    try:
        change.opened = [dl.extend_reply(deadline_from(reply), body["total_days"])]
    except dl.ExtensionRefused as exc:
        raise RuleBroken(str(exc)) from None


def _schedule(doc, body, today, rules, change) -> None:  # type: ignore[no-untyped-def]
    change.set["transfer"] = {**(doc.get("transfer") or {}), **{k: _text(v) for k, v in body.items()}}


def _complete(doc, body, today, rules, change) -> None:  # type: ignore[no-untyped-def]
    day = body.get("transferred_on") or today
    change.closed = _closing(doc, ["transfer", "travel_document"], day)
    change.set["transfer.transferred_on"] = day.isoformat()
    change.opened = [_compute(rules, doc, "take_back", day)]
    change.stats.append((doc["member_state"], day, {"transferred": 1}, None))


def _take_back(doc, body, today, rules, change) -> None:  # type: ignore[no-untyped-def]
    window = open_deadline(doc, "take_back")
    if window is None or dl.is_passed(date.fromisoformat(window["due_on"]), today):
        raise RuleBroken("the take-back window is closed")
    _end_all(doc, body, today, rules, change)


def _travel_document(doc, body, today, rules, change) -> None:  # type: ignore[no-untyped-def]
    day = body.get("issued_on") or today
    change.closed = _closing(doc, ["travel_document"], day)
    change.set["travel_document"] = {k: _text(v) for k, v in body.items()}


def _close(doc, body, today, rules, change) -> None:  # type: ignore[no-untyped-def]
    """Closing keeps the take-back window: a wrongful readmission can still be corrected."""
    _end_all(doc, body, today, rules, change, keep=("take_back",))


def _end_all(doc, body, today, rules, change, keep: Sequence[str] = ()) -> None:  # type: ignore[no-untyped-def]
    open_kinds = [k for k in (doc.get("deadlines") or {}) if open_deadline(doc, k) and k not in keep]
    change.closed = _closing(doc, open_kinds, today, "cancelled")


def _fail(doc, body, today, rules, change) -> None:  # type: ignore[no-untyped-def]
    change.set["transfer.failure_reason"] = body["reason"]


def _add_evidence(doc, body, today, rules, change) -> None:  # type: ignore[no-untyped-def]
    change.set["evidence"] = [*doc.get("evidence", []), new_evidence({k: _text(v) for k, v in body.items()})]


def new_evidence(item: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), **item}


def _withdraw(doc, body, today, rules, change) -> None:  # type: ignore[no-untyped-def]
    change.set["withdrawal"] = {k: _text(v) for k, v in body.items()}
    _end_all(doc, body, today, rules, change)


def _text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


_ACTIONS = {"submit": _submit, "accept": _accept, "reject": _reject, "deem_accept": _deem_accept,
            "extend": _extend, "schedule_transfer": _schedule, "complete_transfer": _complete,
            "take_back": _take_back, "record_travel_document": _travel_document,
            "close": _close, "withdraw": _withdraw, "fail_transfer": _fail, "add_evidence": _add_evidence}


def evidence_hint(category: str, evidence: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """How far the evidence goes: a proof establishes, prima facie evidence only presumes (Annexes)."""
    wanted = {"own_national": ("nationality",), "former_national": ("nationality",),
              "family_member": EVIDENCE_OF}.get(category, ("third_country_conditions",))
    kinds = {item["kind"] for item in evidence if item["of"] in wanted}
    hint = "established" if "proof" in kinds else "presumed" if "prima_facie" in kinds else "insufficient"
    return {"of": " or ".join(wanted), "hint": hint}
