"""Readmission's pure rules: transitions, deadlines opened and closed, evidence hints, statistics rows."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from readmission import deadlines as dl
from readmission import requests_domain as rd
from readmission import statistics


def draft(**overrides: Any) -> dict[str, Any]:
    doc = {"_id": "r1", "version": 1, "state": "draft", "direction": "incoming", "member_state": "DE",
           "person_ref": "AZ-1", "category": "own_national", "procedure": "normal", "learned_on": "2026-01-31"}
    doc.update(overrides)
    doc["deadlines"] = {d.kind: rd.deadline_record(d) for d in rd.initial_deadlines(dl.RULES, doc)}
    return doc


def test_every_state_is_reachable_and_every_target_is_a_state() -> None:
    targets = {target for _, target in rd.TRANSITIONS.values()} | {"draft"}
    assert targets == set(rd.STATES)
    for sources, _ in rd.TRANSITIONS.values():
        assert set(sources) <= set(rd.STATES)


def test_submit_opens_the_reply_clock_in_the_requested_states_calendar() -> None:
    doc = draft()
    assert doc["deadlines"]["submit"]["due_on"] == "2027-01-31"
    change = rd.decide(doc, "submit", {"received_on": date(2026, 12, 30)}, date(2026, 12, 31), dl.RULES)
    (reply,) = change.opened
    assert (reply.due_on, reply.calendar, reply.deemed_acceptance) == (date(2027, 1, 14), "AZ", True)
    assert change.closed == {"submit": "met"}
    assert change.stats == [("DE", date(2026, 12, 30), {"requests_incoming": 1, "by_category.own_national": 1}, None)]


def test_deemed_acceptance_only_after_the_last_day_and_dated_the_day_after() -> None:
    doc = draft(state="submitted", received_on="2026-11-02")
    doc["deadlines"]["reply"] = rd.deadline_record(dl.compute(dl.RULES, "reply", member_state="DE",
                                                              direction="incoming", procedure="normal",
                                                              start=date(2026, 11, 2)))
    with pytest.raises(rd.RuleBroken):
        rd.decide(doc, "deem_accept", {}, date(2026, 11, 17), dl.RULES)
    change = rd.decide(doc, "deem_accept", {}, date(2026, 11, 30), dl.RULES)
    assert change.state == "deemed_accepted" and change.set["decided_on"] == "2026-11-18"
    assert {d.kind for d in change.opened} == {"transfer", "travel_document"}
    assert change.closed == {"reply": "missed"}


def test_rejection_needs_reasons_and_counts_each_reason_once() -> None:
    doc = draft(state="submitted", received_on="2026-11-02")
    with pytest.raises(rd.RuleBroken):
        rd.decide(doc, "reject", {"reasons": []}, date(2026, 11, 5), dl.RULES)
    reasons = [{"code": "other", "explanation": "a"}, {"code": "other", "explanation": "b"}]
    change = rd.decide(doc, "reject", {"reasons": reasons}, date(2026, 11, 5), dl.RULES)
    assert change.stats[0][2]["rejected_by_reason.other"] == 1 and change.stats[0][3] == 3


@pytest.mark.parametrize("category,evidence,hint", [
    ("own_national", [{"kind": "proof", "of": "nationality"}], "established"),
    ("own_national", [{"kind": "prima_facie", "of": "nationality"}], "presumed"),
    ("own_national", [{"kind": "proof", "of": "third_country_conditions"}], "insufficient"),
    ("stateless", [{"kind": "prima_facie", "of": "third_country_conditions"}], "presumed"),
    ("family_member", [{"kind": "proof", "of": "third_country_conditions"}], "established"),
    ("third_country_national", [], "insufficient"),
])
def test_evidence_sufficiency_hint(category: str, evidence: list[dict[str, str]], hint: str) -> None:
    assert rd.evidence_hint(category, evidence)["hint"] == hint


def test_statistics_row_from_the_read_model() -> None:
    row = statistics.row({"member_state": "DE", "month": "2026-11", "accepted": 2, "rejected": 1,
                          "replies_due": 4, "answered_within_limit": 2, "reply_days": [9, 3, 20],
                          "by_category": {"stateless": 3}, "rejected_by_reason": {"other": 1}})
    assert row["median_days_to_reply"] == 9.0 and row["answered_within_limit_share"] == 0.5
    assert row["requests_incoming"] == 0 and row["by_category"] == {"stateless": 3}
    empty = statistics.row({"member_state": "FR"})
    assert empty["median_days_to_reply"] is None and empty["answered_within_limit_share"] is None
