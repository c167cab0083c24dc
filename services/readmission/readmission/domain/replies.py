"""Replies to a readmission request (DESIGN §3.2, dated replies): accept, reject, ask for
information, the clock's deemed acceptance, and a timely reply that reverses a deemed acceptance. A
reply is judged by the date the requested state gave it (``replied_on``), not by the day it was
typed in. Stdlib (+ the pure deadline engine) only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from readmission.domain import deadlines as dl
from readmission.domain.request_core import (
    REPLIES,
    Change,
    DeemedAcceptanceStands,
    Law,
    RuleBroken,
    compute_for,
    open_deadline,
)

Doc = Mapping[str, Any]
Body = Mapping[str, Any]


def reply_dates(doc: Doc, body: Body, today: date) -> tuple[date, date]:
    """(replied_on, received_on), checked: not in the future, received on or after the reply, the
    reply on or after the request's receipt."""
    replied, received = body["replied_on"], body.get("received_on") or today
    if replied > today or received > today:
        raise RuleBroken("replied_on and received_on cannot lie in the future")
    if received < replied:
        raise RuleBroken(
            "received_on cannot precede replied_on: a reply reaches the officer after it is given"
        )
    submitted = doc.get("received_on")
    if submitted and replied < date.fromisoformat(submitted):
        raise RuleBroken(f"replied_on cannot precede the request's receipt on {submitted}")
    return replied, received


def _reply_due(doc: Doc) -> Mapping[str, Any] | None:
    return (doc.get("deadlines") or {}).get("reply")


def _refuse_late(doc: Doc, action: str, replied: date) -> None:
    """A rejection or a request for information dated after the limit comes too late: silence was
    consent."""
    reply = open_deadline(doc, "reply")
    if reply and reply.get("deemed_acceptance") and replied > date.fromisoformat(reply["due_on"]):
        raise DeemedAcceptanceStands(
            f"The reply limit ended on {reply['due_on']}; a reply dated {replied.isoformat()} "
            "comes after it, so the request is deemed accepted (the deadline clock records it).",
            action,
            doc["state"],
        )


def _stats(doc: Doc, day: date, counter: str, within: bool, extra: Mapping[str, int]) -> tuple:
    incs = {counter: 1, "replies_due": 1, "answered_within_limit": int(within), **extra}
    days = (
        None
        if counter == "deemed_accepted"
        else (day - date.fromisoformat(doc["received_on"])).days
    )
    return (doc["member_state"], day, incs, days)


def _timely(doc: Doc, replied: date) -> bool:
    reply = open_deadline(doc, "reply")
    return reply is not None and replied <= date.fromisoformat(reply["due_on"])


def _decision(doc: Doc, day: date, law: Law, change: Change) -> None:
    change.set["decided_on"] = day.isoformat()
    if change.state in ("accepted", "deemed_accepted"):
        change.opened = [
            compute_for(law, doc, "transfer", day),
            compute_for(law, doc, "travel_document", day),
        ]


def _dated(change: Change, replied: date, received: date) -> None:
    change.set["reply"] = {"replied_on": replied.isoformat(), "received_on": received.isoformat()}
    change.history = {
        **change.history,
        "replied_on": replied.isoformat(),
        "received_on": received.isoformat(),
    }


def accept(doc: Doc, body: Body, today: date, law: Law, change: Change) -> None:
    replied, received = reply_dates(doc, body, today)
    within = _timely(doc, replied)
    change.closed = {"reply": "met" if within else "late"} if open_deadline(doc, "reply") else {}
    _decision(doc, replied, law, change)
    _dated(change, replied, received)
    change.stats.append(_stats(doc, replied, "accepted", within, {}))


def _reasons(body: Body) -> list[dict[str, Any]]:
    reasons = [dict(r) for r in body.get("reasons") or []]
    if not reasons:
        raise RuleBroken("a rejection must state its reasons")
    return reasons


def reject(doc: Doc, body: Body, today: date, law: Law, change: Change) -> None:
    replied, received = reply_dates(doc, body, today)
    reasons = _reasons(body)
    _refuse_late(doc, "reject", replied)
    change.closed = {"reply": "met"} if open_deadline(doc, "reply") else {}
    _decision(doc, replied, law, change)
    _dated(change, replied, received)
    change.set["rejection"] = {"reasons": reasons}
    codes = sorted({r["code"] for r in reasons})
    change.stats.append(
        _stats(doc, replied, "rejected", True, {f"rejected_by_reason.{c}": 1 for c in codes})
    )


def request_info(doc: Doc, body: Body, today: date, law: Law, change: Change) -> None:
    replied, received = reply_dates(doc, body, today)
    _refuse_late(doc, "request_info", replied)
    _dated(change, replied, received)
    change.set["info_requested_on"] = replied.isoformat()


def deem_accept(doc: Doc, body: Body, today: date, law: Law, change: Change) -> None:
    reply = open_deadline(doc, "reply")
    if (
        not reply
        or not reply.get("deemed_acceptance")
        or not dl.is_passed(date.fromisoformat(reply["due_on"]), today)
    ):
        raise RuleBroken("the reply limit has not passed or the rule has no deemed acceptance")
    legal_day = date.fromisoformat(reply["due_on"]) + timedelta(
        days=1
    )  # the day after the last day to reply
    _decision(doc, legal_day, law, change)
    change.closed = {"reply": "missed"}
    change.stats.append(_stats(doc, legal_day, "deemed_accepted", False, {}))


def reverse(doc: Doc, action: str, body: Body, today: date, law: Law) -> Change:
    """A reply dated within the limit, entered after the clock deemed the request accepted: the
    request follows the reply (the state follows the law, not the typing delay). A late one leaves
    it standing."""
    replied, received = reply_dates(doc, body, today)
    reply = _reply_due(doc) or {}
    due = reply.get("due_on")
    if not due or replied > date.fromisoformat(due):
        raise DeemedAcceptanceStands(
            f"The request was deemed accepted on {doc.get('decided_on')}: "
            f"the reply dated {replied.isoformat()} came after the reply limit ({due}), "
            "so the deemed acceptance stands.",
            action,
            doc["state"],
        )
    if not body.get("reason"):
        raise RuleBroken("reversing a deemed acceptance needs a reason (field 'reason')")
    change = Change(action=action, state=REPLIES[action], reversal=True)
    change.closed = {
        k: "cancelled" for k in ("transfer", "travel_document") if open_deadline(doc, k)
    }
    change.set["deadlines.reply.status"] = "met"
    change.set["deemed_acceptance_reversed"] = {
        "replied_on": replied.isoformat(),
        "reason": body["reason"],
        "deemed_on": doc.get("decided_on"),
    }
    _dated(change, replied, received)
    change.history = {**change.history, "reversed": "deemed_accepted"}
    _reversed_stats(doc, body, replied, change)
    if action == "request_info":
        change.set["decided_on"] = None
        change.set["info_requested_on"] = replied.isoformat()
        return change
    _decision(doc, replied, law, change)
    if action == "reject":
        change.set["rejection"] = {"reasons": _reasons(body)}
    return change


def _reversed_stats(doc: Doc, body: Body, replied: date, change: Change) -> None:
    """Undo the deemed acceptance's count (in its month) and count the timely reply (in the
    reply's)."""
    deemed_on = date.fromisoformat(doc["decided_on"])
    change.stats.append(
        (doc["member_state"], deemed_on, {"deemed_accepted": -1, "replies_due": -1}, None)
    )
    if change.action == "accept":
        change.stats.append(_stats(doc, replied, "accepted", True, {}))
    elif change.action == "reject":
        codes = sorted({r["code"] for r in _reasons(body)})
        change.stats.append(
            _stats(doc, replied, "rejected", True, {f"rejected_by_reason.{c}": 1 for c in codes})
        )
