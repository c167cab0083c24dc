"""The events a request's transitions cause (person_ref and non-identifying facts only, never
particulars): built here, written to the request's outbox by the repository in the same write."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from passage.events import validate_event
from passage.events.envelope import Envelope, new_event
from readmission.domain.requests import Change

SOURCE = "readmission"


def _at(day: date) -> str:
    return datetime.combine(day, time(0, 0), UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _checked(event: Envelope) -> Envelope:
    """Refuse to write an event its own schema would refuse (a producer bug, caught before the
    outbox)."""
    return validate_event(event.to_dict())


def _event(
    type_: str, doc: Mapping[str, Any], data: dict[str, Any], correlation_id: str | None
) -> Envelope:
    return _checked(
        new_event(
            type_,
            source=SOURCE,
            subject=doc["_id"],
            data={"request_id": doc["_id"], **data},
            correlation_id=correlation_id,
        )
    )


def for_change(
    doc: Mapping[str, Any], change: Change, now: datetime, correlation_id: str | None
) -> list[Envelope]:
    """The events of one transition of ``doc`` (the request as it was before it)."""
    who = {"person_ref": doc["person_ref"], "member_state": doc["member_state"]}
    transfer_due = next((d.due_on.isoformat() for d in change.opened if d.kind == "transfer"), None)
    decided = {
        **who,
        "direction": doc["direction"],
        "decided_at": _decided_at(change, now),
        "transfer_due_on": transfer_due,
    }
    if change.reversal:
        return [
            _event(
                "readmission.request.deemed_acceptance_reversed",
                doc,
                {
                    **who,
                    "direction": doc["direction"],
                    "reversed_at": _stamp(now),
                    "outcome": change.state,
                    "replied_on": change.set["reply"]["replied_on"],
                    "transfer_due_on": transfer_due,
                },
                correlation_id,
            )
        ]
    if change.action == "submit" and doc["state"] == "draft":
        reply = change.opened[0]
        return [
            _event(
                "readmission.request.submitted",
                doc,
                {
                    **who,
                    "direction": doc["direction"],
                    "category": doc["category"],
                    "procedure": doc["procedure"],
                    "received_on": reply.start_on.isoformat(),
                    "reply_due_on": reply.due_on.isoformat(),
                },
                correlation_id,
            )
        ]
    if change.action == "accept":
        return [_event("readmission.request.accepted", doc, decided, correlation_id)]
    if change.action == "deem_accept":
        return [
            _event("readmission.request.deemed_accepted", doc, decided, correlation_id),
            missed(
                doc["_id"],
                doc["member_state"],
                "reply",
                doc["deadlines"]["reply"]["due_on"],
                correlation_id,
            ),
        ]
    if change.action == "reject":
        codes = sorted({r["code"] for r in change.set["rejection"]["reasons"]})
        data = {k: v for k, v in decided.items() if k != "transfer_due_on"}
        return [
            _event("readmission.request.rejected", doc, {**data, "reasons": codes}, correlation_id)
        ]
    if change.action == "withdraw":
        return [
            _event(
                "readmission.request.withdrawn",
                doc,
                {
                    **who,
                    "direction": doc["direction"],
                    "withdrawn_at": _stamp(now),
                    "reason": change.set["withdrawal"]["reason"],
                },
                correlation_id,
            )
        ]
    if change.action == "schedule_transfer":
        return [
            _event(
                "readmission.transfer.scheduled",
                doc,
                {**who, "scheduled_for": change.set["transfer"]["scheduled_for"]},
                correlation_id,
            )
        ]
    if change.action == "complete_transfer":
        return [
            _event(
                "readmission.transfer.completed",
                doc,
                {
                    **who,
                    "transferred_at": _at(
                        date.fromisoformat(change.set["transfer.transferred_on"])
                    ),
                },
                correlation_id,
            )
        ]
    return []


def _decided_at(change: Change, now: datetime) -> str:
    decided_on = change.set.get("decided_on")
    if change.action == "deem_accept" and decided_on:
        return _at(date.fromisoformat(decided_on))
    return _stamp(now)


def missed(
    request_id: str, member_state: str, kind: str, due_on: str, correlation_id: str | None = None
) -> Envelope:
    """``readmission.request.deadline_missed``: due at the end of ``due_on`` (UTC)."""
    due_at = datetime.combine(date.fromisoformat(due_on), time(23, 59, 59), UTC)
    data = {
        "request_id": request_id,
        "member_state": member_state,
        "deadline": kind,
        "due_at": due_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }
    return _checked(
        new_event(
            "readmission.request.deadline_missed",
            source=SOURCE,
            subject=request_id,
            data=data,
            correlation_id=correlation_id,
        )
    )
