"""A readmission request's life (DESIGN §3.2): what each action does to a request — deadlines
opened, extended and closed, evidence, transfer. Stdlib (+ the pure deadline engine) only; storage
and events live elsewhere. Replies (dated, and reversing a deemed acceptance) are in ``replies``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from readmission.domain import deadlines as dl
from readmission.domain import replies
from readmission.domain.evidence import NotEvidence, classify
from readmission.domain.request_core import (
    AWAITING_REPLY,
    CATEGORIES,
    DIRECTIONS,
    NOTES,
    PENDING,
    PROCEDURES,
    REJECTION_REASONS,
    REPLIES,
    STATES,
    TRANSITIONS,
    Change,
    DeemedAcceptanceStands,
    Law,
    NotAllowed,
    RuleBroken,
    check_allowed,
    closing,
    compute_for,
    deadline_from,
    deadline_record,
    initial_deadlines,
    open_deadline,
)

__all__ = [
    "AWAITING_REPLY",
    "CATEGORIES",
    "DIRECTIONS",
    "NOTES",
    "PENDING",
    "PROCEDURES",
    "REJECTION_REASONS",
    "REPLIES",
    "STATES",
    "TRANSITIONS",
    "Change",
    "DeemedAcceptanceStands",
    "Law",
    "NotAllowed",
    "RuleBroken",
    "check_allowed",
    "deadline_from",
    "deadline_record",
    "decide",
    "initial_deadlines",
    "new_evidence",
    "open_deadline",
]


def decide(
    doc: Mapping[str, Any],
    action: str,
    body: Mapping[str, Any],
    today: date,
    rules: Sequence[dl.RuleVersion],
    overrides: dl.Overrides | None = None,
) -> Change:
    """The change ``action`` (with its validated ``body``) makes to the request ``doc`` today."""
    law = Law(rules, overrides or {})
    if action in REPLIES and doc["state"] == "deemed_accepted":
        return replies.reverse(doc, action, body, today, law)
    state = check_allowed(action, doc["state"])
    change = Change(action=action, state=state)
    handler = _ACTIONS.get(action)
    if handler is not None:
        handler(doc, body, today, law, change)
    return change


def _submit(
    doc: Mapping[str, Any], body: Mapping[str, Any], today: date, rules: Law, change: Change
) -> None:
    if doc["state"] == "info_requested" and open_deadline(doc, "reply"):
        return  # the information asked for is supplied; the reply clock keeps running
    received = body.get("received_on") or today
    if received > today:
        raise RuleBroken("received_on cannot be in the future")
    change.opened = [compute_for(rules, doc, "reply", received)]
    if (
        doc["state"] == "info_requested"
    ):  # information asked for by a reply that reversed a deemed acceptance:
        change.set["info_supplied_on"] = (
            received.isoformat()
        )  # a new reply clock; the request counts once
        return
    change.closed = closing(doc, ["submit"], received)
    change.set["received_on"] = received.isoformat()
    change.stats.append(
        (
            doc["member_state"],
            received,
            {f"requests_{doc['direction']}": 1, f"by_category.{doc['category']}": 1},
            None,
        )
    )


def _extend(doc, body, today, rules, change) -> None:
    reply = open_deadline(doc, "reply")
    if reply is None:
        raise RuleBroken("there is no open reply deadline to extend")
    try:
        change.opened = [dl.extend_reply(deadline_from(reply), body["total_days"])]
    except dl.ExtensionRefused as exc:
        raise RuleBroken(str(exc)) from None


def _extend_for_obstacles(kind: str):
    def extend(doc, body, today, rules, change) -> None:
        found = open_deadline(doc, kind)
        if found is None:
            raise RuleBroken(f"there is no open {kind} deadline to extend")
        try:
            change.opened = [
                dl.extend_for_obstacles(deadline_from(found), body["due_on"], body["reason"])
            ]
        except dl.ExtensionRefused as exc:
            raise RuleBroken(str(exc)) from None
        change.history = {"due_on": body["due_on"].isoformat(), "deadline": kind}

    return extend


def _schedule(doc, body, today, rules, change) -> None:
    change.set["transfer"] = {
        **(doc.get("transfer") or {}),
        **{k: _text(v) for k, v in body.items()},
    }


def _complete(doc, body, today, rules, change) -> None:
    day = body.get("transferred_on") or today
    change.closed = closing(doc, ["transfer", "travel_document"], day)
    change.set["transfer.transferred_on"] = day.isoformat()
    change.opened = [compute_for(rules, doc, "take_back", day)]
    change.stats.append((doc["member_state"], day, {"transferred": 1}, None))


def _take_back(doc, body, today, rules, change) -> None:
    window = open_deadline(doc, "take_back")
    if window is None or dl.is_passed(date.fromisoformat(window["due_on"]), today):
        raise RuleBroken("the take-back window is closed")
    _end_all(doc, body, today, rules, change)


def _travel_document(doc, body, today, rules, change) -> None:
    day = body.get("issued_on") or today
    change.closed = closing(doc, ["travel_document"], day)
    change.set["travel_document"] = {k: _text(v) for k, v in body.items()}


def _close(doc, body, today, rules, change) -> None:
    """Closing keeps the take-back window: a wrongful readmission can still be corrected."""
    _end_all(doc, body, today, rules, change, keep=("take_back",))


def _end_all(doc, body, today, rules, change, keep: Sequence[str] = ()) -> None:
    open_kinds = [
        k for k in (doc.get("deadlines") or {}) if open_deadline(doc, k) and k not in keep
    ]
    change.closed = closing(doc, open_kinds, today, "cancelled")


def _fail(doc, body, today, rules, change) -> None:
    change.set["transfer.failure_reason"] = body["reason"]


def _add_evidence(doc, body, today, rules, change) -> None:
    change.set["evidence"] = [
        *doc.get("evidence", []),
        new_evidence({k: _text(v) for k, v in body.items()}),
    ]


def new_evidence(item: Mapping[str, Any]) -> dict[str, Any]:
    """An evidence item whose class (proof or prima facie) the annexes decide from its document
    type."""
    try:
        return {"id": str(uuid.uuid4()), **item, **classify(item["of"], item["type"])}
    except NotEvidence as exc:
        raise RuleBroken(str(exc)) from None


def _withdraw(doc, body, today, rules, change) -> None:
    change.set["withdrawal"] = {k: _text(v) for k, v in body.items()}
    _end_all(doc, body, today, rules, change)


def _text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


_ACTIONS = {
    "submit": _submit,
    "extend": _extend,
    "accept": replies.accept,
    "reject": replies.reject,
    "request_info": replies.request_info,
    "deem_accept": replies.deem_accept,
    "extend_submission": _extend_for_obstacles("submit"),
    "extend_transfer": _extend_for_obstacles("transfer"),
    "schedule_transfer": _schedule,
    "complete_transfer": _complete,
    "take_back": _take_back,
    "record_travel_document": _travel_document,
    "close": _close,
    "withdraw": _withdraw,
    "fail_transfer": _fail,
    "add_evidence": _add_evidence,
}
