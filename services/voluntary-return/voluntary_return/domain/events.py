"""The events a case action causes, built for the outbox (stdlib + the shared envelope only).
They carry the case id, person_ref and non-identifying attributes: never names, birth dates,
document numbers, counselling notes or medical needs.

Nothing leaves before the migrant's consent to share the case with the authorities (DESIGN §3.3):
a referral emits nothing; recording that consent emits ``case.opened`` (with the case's current
stage); later actions emit only while it is in force. Withdrawing it tells the authorities the
case is ``withdrawn`` for them (reason ``consent_to_share_withdrawn``), so readmission clears its
"voluntary return in progress" mark, and nothing more follows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from passage.events.envelope import Envelope, new_event, rfc3339
from voluntary_return.domain.vocabulary import is_shared

SOURCE = "voluntary_return"
Case = Mapping[str, Any]


def _event(type_: str, case: Case, data: dict[str, Any], correlation_id: str | None) -> Envelope:
    return new_event(
        type_,
        source=SOURCE,
        subject=case["_id"],
        correlation_id=correlation_id,
        data={"case_id": case["_id"], "person_ref": case["person_ref"], **data},
    )


def events_for(
    action: str, case: Case, now: datetime, correlation_id: str | None = None
) -> list[Envelope]:
    """The envelopes ``action`` emits; ``case`` is the case after the action."""
    if action == "record_consent_to_share":
        return [
            _event(
                "voluntary_return.case.opened",
                case,
                {
                    "referral_source": case["referral"]["source"],
                    "nationality": case.get("nationality"),
                    "opened_at": rfc3339(case["referral"]["referred_at"]),
                    "stage": case["stage"],
                    "shared_at": rfc3339(case["consent_to_share"]["recorded_at"]),
                },
                correlation_id,
            )
        ]
    if action == "withdraw_consent_to_share":
        return [
            _event(
                "voluntary_return.case.withdrawn",
                case,
                {
                    "withdrawn_at": rfc3339(case["consent_to_share"]["withdrawn_at"]),
                    "reason": "consent_to_share_withdrawn",
                },
                correlation_id,
            )
        ]
    if not is_shared(case):
        return []
    return _shared_events(action, case, correlation_id)


def _shared_events(action: str, case: Case, correlation_id: str | None) -> list[Envelope]:
    """What the authorities are told of ``action`` on a case shared with them."""
    if action in ("withdraw", "record_no_show"):
        withdrawal = case["withdrawal"]
        return [
            _event(
                "voluntary_return.case.withdrawn",
                case,
                {"withdrawn_at": rfc3339(withdrawal["at"]), "reason": withdrawal["reason"]},
                correlation_id,
            )
        ]
    if action == "book_travel":
        booking = case["booking"]
        return [
            _event(
                "voluntary_return.travel.booked",
                case,
                {
                    "booked_at": rfc3339(booking["booked_at"]),
                    "departure_date": booking["departure_date"],
                    "destination_country": case["destination_country"],
                    "escort": booking["escort"],
                },
                correlation_id,
            )
        ]
    if action == "confirm_departure":
        return [
            _event(
                "voluntary_return.departure.confirmed",
                case,
                {
                    "departed_at": rfc3339(case["departure"]["departed_at"]),
                    "destination_country": case["destination_country"],
                },
                correlation_id,
            )
        ]
    if action == "close":
        return _closing_events(case, correlation_id)
    return []


def _closing_events(case: Case, correlation_id: str | None) -> list[Envelope]:
    closure = case["closure"]
    closed = _event(
        "voluntary_return.case.closed",
        case,
        {"closed_at": rfc3339(closure["at"]), "outcome": closure["outcome"]},
        correlation_id,
    )
    if closure["outcome"] != "ineligible":
        return [closed]
    # Readmission marks "voluntary return in progress" on case.opened and clears it on
    # case.withdrawn (DESIGN §4); an ineligible case ends that too, before any departure.
    withdrawn = _event(
        "voluntary_return.case.withdrawn",
        case,
        {"withdrawn_at": rfc3339(closure["at"]), "reason": "ineligible"},
        correlation_id,
    )
    return [withdrawn, closed]
