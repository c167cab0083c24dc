"""What each caseworker action writes onto a case, pure (stdlib only): validated request data in,
the fields to set and the facts the stage machine checks out. Cross-field rules of the
procedure live here (AVM needs a vulnerability, arrival after departure, one visit per mark)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from passage import names
from voluntary_return.domain import reintegration
from voluntary_return.domain.errors import AlreadyRecorded, RuleRefused
from voluntary_return.domain.stages import Facts
from voluntary_return.domain.vocabulary import MONITORING_MONTHS, is_shared

Case = Mapping[str, Any]
Body = Mapping[str, Any]


@dataclass(frozen=True)
class Change:
    """Fields to ``$set`` (dotted paths allowed), ``$push`` lists, facts for the stage machine."""

    set: dict[str, Any] = field(default_factory=dict)
    push: dict[str, Any] = field(default_factory=dict)
    facts: Facts = Facts()
    score: float | None = None


# Where a case keeps what person search matches (keys stored at registration, with the particulars).
CASE_SEARCH = names.Paths(
    record_type="voluntary_return_case",
    names=("particulars.given_name", "particulars.family_name"),
    birth_date="particulars.birth_date",
    documents="documents",
)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _not_after(day: date, now: datetime, name: str) -> None:
    if day > now.date():
        raise RuleRefused(
            "not_in_future", f"The {name.replace('_', ' ')} cannot lie in the future.", field=name
        )


def register(case: Case, body: Body, now: datetime, user: str) -> Change:
    if body["classification"] == "AVM" and not body.get("vulnerabilities"):
        raise RuleRefused(
            "avm_needs_vulnerability",
            "AVM (assistance to vulnerable migrants) needs at least one vulnerability category.",
            field="vulnerabilities",
        )
    particulars = {**body["particulars"], "birth_date": _iso(body["particulars"]["birth_date"])}
    documents = [{**d, "expires_on": _iso(d.get("expires_on"))} for d in body.get("documents", [])]
    household = [{**m, "birth_date": _iso(m.get("birth_date"))} for m in body.get("household", [])]
    return Change(
        set={
            "particulars": particulars,
            "nationality": particulars.get("nationality") or case.get("nationality"),
            "destination_country": body.get("destination_country")
            or case.get("destination_country"),
            "documents": documents,
            "languages": list(body["languages"]),
            "household": household,
            "classification": body["classification"],
            "vulnerabilities": sorted(set(body.get("vulnerabilities", []))),
            "registered_by": user,
            **names.search_keys({"particulars": particulars, "documents": documents}, CASE_SEARCH),
        }
    )


def record_counselling(case: Case, body: Body, now: datetime, user: str) -> Change:
    _not_after(body["held_on"], now, "held_on")
    session = {
        "held_on": body["held_on"].isoformat(),
        "counsellor": body["counsellor"],
        "interpreter_language": body.get("interpreter_language"),
        "notes": body.get("notes"),
        "recorded_by": user,
        "recorded_at": now,
    }
    return Change(push={"counselling_sessions": session})


def decide_eligibility(case: Case, body: Body, now: datetime, user: str) -> Change:
    _not_after(body["decided_on"], now, "decided_on")
    return Change(
        set={
            "eligibility": {
                "decision": body["decision"],
                "reasons": list(body["reasons"]),
                "decided_on": body["decided_on"].isoformat(),
                "decided_by": user,
            }
        },
        facts=Facts(decision=body["decision"]),
    )


def record_consent(case: Case, body: Body, now: datetime, user: str) -> Change:
    if body["declaration_signed"] is not True:
        raise RuleRefused(
            "consent_declaration",
            "Consent is the signed AVRR declaration.",
            field="declaration_signed",
        )
    _not_after(body["declared_on"], now, "declared_on")
    return Change(
        set={
            "consent": {
                "declared_on": body["declared_on"].isoformat(),
                "language": body["language"],
                "interpreter_language": body.get("interpreter_language"),
                "recorded_by": user,
                "recorded_at": now,
            }
        }
    )


def record_consent_to_share(case: Case, body: Body, now: datetime, user: str) -> Change:
    """The migrant agrees that the case may be shared with the authorities (readmission,
    detention)."""
    if is_shared(case):
        raise AlreadyRecorded(
            "consent_to_share_recorded", "Consent to share is recorded already.", field="agreed_on"
        )
    _not_after(body["agreed_on"], now, "agreed_on")
    return Change(
        set={
            "consent_to_share": {
                "agreed_on": body["agreed_on"].isoformat(),
                "language": body["language"],
                "interpreter_language": body.get("interpreter_language"),
                "recorded_by": user,
                "recorded_at": now,
            }
        }
    )


def withdraw_consent_to_share(case: Case, body: Body, now: datetime, user: str) -> Change:
    """The migrant takes back the consent to share: nothing more about the case leaves the
    service."""
    if not is_shared(case):
        raise RuleRefused(
            "consent_to_share_missing", "No consent to share is in force.", field="withdrawn_on"
        )
    _not_after(body["withdrawn_on"], now, "withdrawn_on")
    return Change(
        set={
            "consent_to_share": {
                **case["consent_to_share"],
                "withdrawn_on": body["withdrawn_on"].isoformat(),
                "withdrawn_by": user,
                "withdrawn_at": now,
            }
        }
    )


def record_travel_document(case: Case, body: Body, now: datetime, user: str) -> Change:
    document = {
        "kind": body["kind"],
        "status": body["status"],
        "reference": body.get("reference"),
        "updated_at": now,
        "updated_by": user,
    }
    return Change(set={"travel_document": document}, facts=Facts(document_status=body["status"]))


def book_travel(case: Case, body: Body, now: datetime, user: str) -> Change:
    destination = body.get("destination_country") or case.get("destination_country")
    if not destination:
        raise RuleRefused(
            "destination_required",
            "Name the destination country (none was registered).",
            field="destination_country",
        )
    if body["departure_date"] < now.date():
        raise RuleRefused(
            "departure_in_past", "The departure date has passed.", field="departure_date"
        )
    booking = {
        "route": body["route"],
        "departure_date": body["departure_date"].isoformat(),
        "escort": body["escort"],
        "escort_details": body.get("escort_details"),
        "medical_needs": body.get("medical_needs"),
        "booked_at": now,
        "booked_by": user,
    }
    return Change(
        set={"booking": booking, "destination_country": destination},
        facts=Facts(has_consent=bool(case.get("consent"))),
    )


def confirm_departure(case: Case, body: Body, now: datetime, user: str) -> Change:
    if body["departed_at"] > now:
        raise RuleRefused(
            "not_in_future", "The departure time cannot lie in the future.", field="departed_at"
        )
    return Change(
        set={"departure": {"departed_at": body["departed_at"], "confirmed_by": user}},
        facts=Facts(has_consent=bool(case.get("consent")), has_booking=bool(case.get("booking"))),
    )


def confirm_arrival(case: Case, body: Body, now: datetime, user: str) -> Change:
    arrived_at: datetime = body["arrived_at"]
    departed_at = (case.get("departure") or {}).get("departed_at")
    if departed_at is not None and arrived_at < departed_at:
        raise RuleRefused(
            "arrival_before_departure", "Arrival cannot precede departure.", field="arrived_at"
        )
    if arrived_at > now:
        raise RuleRefused(
            "not_in_future", "The arrival time cannot lie in the future.", field="arrived_at"
        )
    return Change(
        set={
            "arrival": {"arrived_at": arrived_at, "confirmed_by": user},
            "reintegration.monitoring": reintegration.monitoring_schedule(arrived_at.date()),
        }
    )


def plan_reintegration(case: Case, body: Body, now: datetime, user: str) -> Change:
    grant = body.get("cash_grant")
    plan = {
        "cash_grant": {"amount": str(grant["amount"]), "currency": grant["currency"]}
        if grant
        else None,
        "in_kind": [
            {**item, "value": _money(item.get("value"))} for item in body.get("in_kind", [])
        ],
        "planned_by": user,
        "planned_at": now,
    }
    if plan["cash_grant"] is None and not plan["in_kind"]:
        raise RuleRefused(
            "empty_plan", "A plan needs a cash grant or at least one in-kind item.", field="in_kind"
        )
    return Change(set={"reintegration.plan": plan})


def _money(value: Mapping[str, Any] | None) -> dict[str, str] | None:
    return {"amount": str(value["amount"]), "currency": value["currency"]} if value else None


def record_monitoring_visit(case: Case, body: Body, now: datetime, user: str) -> Change:
    schedule = (case.get("reintegration") or {}).get("monitoring") or []
    index = next((i for i, v in enumerate(schedule) if v["month"] == body["month"]), None)
    if index is None:
        raise RuleRefused(
            "visit_unknown", f"Visits are planned at months {MONITORING_MONTHS}.", field="month"
        )
    if schedule[index].get("visited_on"):
        raise AlreadyRecorded(
            "visit_recorded", f"The {body['month']}-month visit is recorded already.", field="month"
        )
    visited_on: date = body["visited_on"]
    _not_after(visited_on, now, "visited_on")
    if visited_on < case["arrival"]["arrived_at"].date():
        raise RuleRefused(
            "visit_before_arrival", "A visit cannot precede the arrival.", field="visited_on"
        )
    weights = reintegration.weights_on(visited_on)
    score = reintegration.sustainability_score(body["scores"], weights)
    visit = {
        **schedule[index],
        "visited_on": visited_on.isoformat(),
        "scores": dict(body["scores"]),
        "score": score,
        "weights_version": weights.version,
        "observations": body.get("observations"),
        "visited_by": user,
    }
    return Change(set={f"reintegration.monitoring.{index}": visit}, score=score)


def close(case: Case, body: Body, now: datetime, user: str) -> Change:
    if (case["stage"] == "ineligible") != (body["outcome"] == "ineligible"):
        raise RuleRefused(
            "closing_outcome",
            "An ineligible case closes with outcome 'ineligible', and only it does.",
            field="outcome",
        )
    return Change(
        set={
            "closure": {"outcome": body["outcome"], "note": body.get("note"), "at": now, "by": user}
        }
    )


def withdraw(case: Case, body: Body, now: datetime, user: str) -> Change:
    return Change(
        set={
            "withdrawal": {
                "kind": "withdrawn",
                "reason": body["reason"],
                "detail": body.get("detail"),
                "at": now,
                "by": user,
            }
        }
    )


def record_no_show(case: Case, body: Body, now: datetime, user: str) -> Change:
    return Change(
        set={
            "withdrawal": {
                "kind": "no_show",
                "reason": "no_show",
                "detail": body.get("detail"),
                "at": now,
                "by": user,
            }
        }
    )


COMMANDS: dict[str, Callable[[Case, Body, datetime, str], Change]] = {
    "register": register,
    "record_counselling": record_counselling,
    "decide_eligibility": decide_eligibility,
    "record_consent": record_consent,
    "record_travel_document": record_travel_document,
    "book_travel": book_travel,
    "confirm_departure": confirm_departure,
    "confirm_arrival": confirm_arrival,
    "plan_reintegration": plan_reintegration,
    "record_monitoring_visit": record_monitoring_visit,
    "close": close,
    "withdraw": withdraw,
    "record_no_show": record_no_show,
    "record_consent_to_share": record_consent_to_share,
    "withdraw_consent_to_share": withdraw_consent_to_share,
}
