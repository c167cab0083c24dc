"""Voluntary return's handlers with in-memory fakes (no sockets): referral prefill, the stage
machine end to end, consent, If-Match, a concurrent change retried, roles, and what each role
sees."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from passage.context import Context
from passage.errors import KeptChanging, NotAllowed, VersionConflict
from passage.events import new_event, registry, validate_event
from passage.identity import Identity
from passage.location_store import InMemoryLocations
from tests.fakes.voluntary_return import InMemoryCases
from voluntary_return import handlers
from voluntary_return.domain.errors import AlreadyRecorded, RuleRefused, WrongStage
from voluntary_return.web.views import case_view

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
CASEWORKER = Identity("cw-1", "avr_caseworker")


def ctx(caller: Identity = CASEWORKER) -> Context:
    return Context(caller=caller, now=NOW, correlation_id="corr-1")


BODIES: dict[str, dict[str, Any]] = {
    "register": {
        "particulars": {
            "given_name": "Ali",
            "family_name": "Rezaei",
            "birth_date": date(1990, 4, 2),
            "sex": "male",
            "nationality": "IRN",
        },
        "languages": ["fa"],
        "classification": "AVR",
        "destination_country": "IRN",
    },
    "record_counselling": {
        "held_on": date(2026, 11, 24),
        "counsellor": "Leyla",
        "notes": "private",
    },
    "decide_eligibility": {
        "decision": "eligible",
        "reasons": ["ok"],
        "decided_on": date(2026, 11, 24),
    },
    "record_consent": {
        "declaration_signed": True,
        "declared_on": date(2026, 11, 24),
        "language": "fa",
    },
    "record_travel_document": {"kind": "laissez_passer", "status": "issued"},
    "book_travel": {
        "route": "GYD-IKA",
        "departure_date": date(2026, 11, 30),
        "escort": False,
        "medical_needs": "insulin",
    },
    "confirm_departure": {"departed_at": datetime(2026, 11, 24, 8, tzinfo=UTC)},
}


def _held(locations: InMemoryLocations, ref: str) -> None:
    data = {**registry().get("detention.stay.opened", 1).examples[0], "person_ref": ref}
    locations.record(
        validate_event(
            new_event(
                "detention.stay.opened", source="detention", subject=data["stay_id"], data=data
            ).to_dict()
        )
    )


def _refer(repo: InMemoryCases, source: str = "detention_centre") -> dict[str, Any]:
    locations = InMemoryLocations()
    _held(locations, "AZ-1")
    return handlers.refer(
        repo, locations, ctx(), {"person_ref": "AZ-1", "source": source, "nationality": "IRN"}
    )


SHARE = {"agreed_on": date(2026, 11, 24), "language": "fa"}


def test_referral_from_detention_is_prefilled_and_tells_no_one_until_consent_to_share() -> None:
    # Expectation changed by #11 finding 7: the authorities learn of a case only after consent to
    # share.
    repo = InMemoryCases()
    case = _refer(repo)
    assert (
        case["referral"]["centre_id"] == "baku" and case["referral"]["location_prefilled"] is True
    )
    assert repo.outbox == []
    case = handlers.act(repo, ctx(), case["_id"], "record_consent_to_share", SHARE)
    assert [e.type for e in repo.outbox] == ["voluntary_return.case.opened"]
    assert repo.outbox[0].correlation_id == "corr-1" and repo.outbox[0].data["stage"] == "referred"
    assert case["consent_to_share"]["recorded_by"] == "cw-1" and case["stage"] == "referred"
    assert repo.deltas[0].inc["referrals"] == 1
    with pytest.raises(RuleRefused):
        handlers.refer(
            repo, InMemoryLocations(), ctx(), {"person_ref": "AZ-2", "source": "detention_centre"}
        )


def test_the_path_to_departure_with_exactly_one_departure_event() -> None:
    repo = InMemoryCases()
    case = _refer(repo, "ngo")
    case = handlers.act(repo, ctx(), case["_id"], "record_consent_to_share", SHARE)
    for action, body in BODIES.items():
        case = handlers.act(repo, ctx(), case["_id"], action, body)
    assert case["stage"] == "departed" and case["version"] == 9
    assert [h["stage"] for h in case["history"]] == [
        "referred",
        "referred",
        "registered",
        "counselled",
        "eligible",
        "eligible",
        "travel_ready",
        "booked",
        "departed",
    ]
    types = [e.type for e in repo.outbox]
    assert (
        types.count("voluntary_return.departure.confirmed") == 1
        and "voluntary_return.travel.booked" in types
    )
    with pytest.raises(WrongStage):
        handlers.act(repo, ctx(), case["_id"], "confirm_departure", BODIES["confirm_departure"])
    with pytest.raises(WrongStage):
        handlers.act(repo, ctx(), case["_id"], "withdraw", {"reason": "migrant_withdrew"})
    assert repo.get(case["_id"])["version"] == 9 and len(repo.outbox) == len(types)


def test_unshared_nothing_leaves_and_consent_withdrawal_tells_withdrawn_then_nothing() -> None:
    repo = InMemoryCases()
    case = _refer(repo, "ngo")
    for action, body in BODIES.items():
        case = handlers.act(repo, ctx(), case["_id"], action, body)
    assert case["stage"] == "departed" and repo.outbox == []
    with pytest.raises(RuleRefused):
        handlers.act(
            repo,
            ctx(),
            case["_id"],
            "withdraw_consent_to_share",
            {"withdrawn_on": date(2026, 11, 24)},
        )
    case = handlers.act(repo, ctx(), case["_id"], "record_consent_to_share", SHARE)
    assert [(e.type, e.data["stage"]) for e in repo.outbox] == [
        ("voluntary_return.case.opened", "departed")
    ]
    with pytest.raises(AlreadyRecorded):
        handlers.act(repo, ctx(), case["_id"], "record_consent_to_share", SHARE)
    case = handlers.act(
        repo, ctx(), case["_id"], "withdraw_consent_to_share", {"withdrawn_on": date(2026, 11, 24)}
    )
    assert repo.outbox[-1].type == "voluntary_return.case.withdrawn"
    assert repo.outbox[-1].data["reason"] == "consent_to_share_withdrawn" and len(repo.outbox) == 2
    handlers.act(repo, ctx(), case["_id"], "confirm_arrival", {"arrived_at": NOW})
    assert len(repo.outbox) == 2
    for event in repo.outbox:
        validate_event(event.to_dict())


def test_booking_needs_consent_and_nothing_changes() -> None:
    repo = InMemoryCases()
    case = _refer(repo, "ngo")
    for action in (
        "register",
        "record_counselling",
        "decide_eligibility",
        "record_travel_document",
    ):
        case = handlers.act(repo, ctx(), case["_id"], action, BODIES[action])
    before = repo.get(case["_id"])
    with pytest.raises(RuleRefused) as refused:
        handlers.act(repo, ctx(), case["_id"], "book_travel", BODIES["book_travel"])
    assert refused.value.rule == "consent_required" and repo.get(case["_id"]) == before


def test_if_match_and_a_concurrent_change() -> None:
    repo = InMemoryCases()
    case = _refer(repo, "ngo")
    with pytest.raises(VersionConflict) as lost:  # the 412, not KeptChanging's 409
        handlers.act(repo, ctx(), case["_id"], "register", BODIES["register"], if_match=7)
    assert type(lost.value) is VersionConflict and lost.value.current_version == 1
    repo.races = 1  # someone else writes between our read and our update: retried, then applied
    assert (
        handlers.act(repo, ctx(), case["_id"], "register", BODIES["register"])["stage"]
        == "registered"
    )
    repo.races = 1  # with If-Match, the lost race is the caller's to resolve
    with pytest.raises(VersionConflict) as lost:
        handlers.act(
            repo,
            ctx(),
            case["_id"],
            "withdraw",
            {"reason": "other"},
            if_match=repo.get(case["_id"])["version"],
        )
    assert type(lost.value) is VersionConflict
    repo.races = 5
    with pytest.raises(KeptChanging):
        handlers.act(repo, ctx(), case["_id"], "withdraw", {"reason": "other"})


@pytest.mark.parametrize(
    "role", ["partner", "centre_staff", "liaison_officer", "system", "auditor"]
)
def test_only_caseworkers_and_admins_write(role: str) -> None:
    repo = InMemoryCases()
    case = _refer(repo, "ngo")
    with pytest.raises(NotAllowed):
        handlers.act(repo, ctx(Identity("x", role)), case["_id"], "register", BODIES["register"])


def test_each_role_sees_what_it_may() -> None:
    repo = InMemoryCases()
    case = _refer(repo, "ngo")
    for action, body in list(BODIES.items())[:6]:
        case = handlers.act(repo, ctx(), case["_id"], action, body)
    mine = case_view(case, CASEWORKER)
    assert (
        mine["counselling_sessions"][0]["notes"] == "private"
        and mine["booking"]["medical_needs"] == "insulin"
    )
    assert mine["history"][0]["at"] == "2026-11-24T10:00:00.000Z" and mine["id"] == case["_id"]
    assert case_view(case, Identity("a", "admin"))["booking"]["medical_needs"] == "insulin"
    audited = case_view(case, Identity("au", "auditor"))
    assert (
        "notes" not in audited["counselling_sessions"][0]
        and "medical_needs" not in audited["booking"]
    )
    assert {
        "particulars",
        "languages",
        "nationality",
        "destination_country",
        "classification",
    }.isdisjoint(audited)
    assert set(audited["booking"]) == {"departure_date", "booked_at", "booked_by"}
    with pytest.raises(NotAllowed):
        handlers.get_case(repo, ctx(Identity("p", "partner")), case["_id"])
