"""Transit requests' pure rules: every allowed move, every forbidden one naming the current state,
reasons required, the reply limit from the rule table as data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from readmission.domain import deadlines as dl
from readmission.domain import transits as td

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
BODIES: dict[str, dict[str, Any]] = {
    "approve": {"note": "Crossing confirmed"},
    "refuse": {
        "reasons": [{"code": "public_order_or_security", "explanation": "Entry ban on file"}]
    },
    "withdraw": {"reason": "requesting_state_withdrew"},
    "revoke_consent": {"reason": "facts_came_to_light", "explanation": "Onward flight cancelled"},
    "complete": {},
}


def transit(state: str = "submitted") -> dict[str, Any]:
    reply = td.reply_deadline(dl.RULES, "incoming", "DE", date(2026, 11, 2))
    return {
        "_id": "t1",
        "version": 1,
        "state": state,
        "direction": "incoming",
        "member_state": "DE",
        "person_ref": "AZ-1",
        "transit_at": datetime(2026, 11, 20, 6, 0, tzinfo=UTC),
        "deadlines": {reply.kind: td.deadline_record(reply)},
    }


def test_every_target_is_a_state_and_every_state_but_the_first_is_reachable() -> None:
    targets = {target for _, target in td.TRANSITIONS.values()}
    assert targets | {"submitted"} == set(td.STATES)
    assert all(set(sources) <= set(td.STATES) for sources, _ in td.TRANSITIONS.values())


@pytest.mark.parametrize("state", td.STATES)
@pytest.mark.parametrize("action", sorted(td.TRANSITIONS))
def test_every_allowed_move_works_and_every_other_names_the_current_state(
    action: str, state: str
) -> None:
    sources, target = td.TRANSITIONS[action]
    if state in sources:
        change = td.decide(transit(state), action, BODIES[action], NOW)
        assert change.state == target and change.action == action
    else:
        with pytest.raises(td.NotAllowed) as raised:
            td.decide(transit(state), action, BODIES[action], NOW)
        assert raised.value.state == state and f"'{state}'" in str(raised.value)


def test_the_allowed_moves_are_exactly_the_agreed_ones() -> None:
    allowed = {(s, a) for a, (sources, _) in td.TRANSITIONS.items() for s in sources}
    assert allowed == {
        ("submitted", "approve"),
        ("submitted", "refuse"),
        ("submitted", "withdraw"),
        ("approved", "complete"),
        ("approved", "revoke_consent"),
    }


def test_an_unknown_action_is_not_allowed() -> None:
    with pytest.raises(td.NotAllowed):
        td.check_allowed("deem_accept", "submitted")


def test_a_refusal_needs_reasons_and_a_revocation_its_reason() -> None:
    with pytest.raises(td.RuleBroken):
        td.decide(transit(), "refuse", {"reasons": []}, NOW)
    with pytest.raises(td.RuleBroken):
        td.decide(transit("approved"), "revoke_consent", {"reason": "other"}, NOW)


def test_decisions_close_the_reply_deadline_met_or_late_and_withdrawal_cancels_it() -> None:
    assert td.decide(transit(), "approve", {}, NOW).closed == {"transit_reply": "met"}
    late = datetime(2026, 11, 8, 9, 0, tzinfo=UTC)
    refused = td.decide(transit(), "refuse", BODIES["refuse"], late)
    assert refused.closed == {"transit_reply": "late"} and refused.set["decided_on"] == "2026-11-08"
    assert refused.set["refusal"]["reasons"][0]["code"] == "public_order_or_security"
    assert td.decide(transit(), "withdraw", BODIES["withdraw"], NOW).closed == {
        "transit_reply": "cancelled"
    }
    revoked = td.decide(transit("approved"), "revoke_consent", BODIES["revoke_consent"], NOW)
    assert revoked.closed == {} and revoked.set["revocation"]["reason"] == "facts_came_to_light"


def test_the_transit_reply_limit_is_data_five_calendar_days_by_default_per_protocol() -> None:
    reply = td.reply_deadline(dl.RULES, "incoming", "DE", date(2026, 12, 29))
    assert (reply.kind, reply.due_on, reply.unit, reply.amount, reply.calendar) == (
        "transit_reply",
        date(2027, 1, 3),
        dl.CALENDAR_DAYS,
        5,
        "AZ",
    )
    own = dl.RuleVersion(
        version="fr-transit-2027",
        agreement=dl.AGREEMENT,
        protocol="FR",
        procedure="normal",
        effective_from=date(2027, 1, 1),
        submit=dl.Limit(12, dl.MONTHS),
        reply=dl.Limit(15, dl.CALENDAR_DAYS),
        transfer=dl.Limit(3, dl.MONTHS),
        travel_document=dl.Limit(5, dl.WORKING_DAYS),
        take_back_own_nationals=dl.Limit(6, dl.MONTHS),
        take_back_others=dl.Limit(12, dl.MONTHS),
        transit_reply=dl.Limit(4, dl.WORKING_DAYS),
    )
    rules = (*dl.RULES, own)
    before = td.reply_deadline(rules, "outgoing", "FR", date(2026, 12, 30))
    after = td.reply_deadline(rules, "outgoing", "FR", date(2027, 1, 4))
    assert (before.rule_version, before.due_on) == ("eu-az-2014.normal.2", date(2027, 1, 4))
    assert (after.rule_version, after.unit, after.calendar, after.due_on) == (
        "fr-transit-2027",
        dl.WORKING_DAYS,
        "FR",
        date(2027, 1, 8),
    )
