"""Readmission's pure rules: transitions, deadlines opened and closed, dated replies and the
reversal of a
deemed acceptance, extensions for obstacles, evidence by document type, statistics rows."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from readmission.domain import deadlines as dl
from readmission.domain import requests as rd
from readmission.domain import statistics
from readmission.domain.evidence import sufficiency


def draft(**overrides: Any) -> dict[str, Any]:
    doc = {
        "_id": "r1",
        "version": 1,
        "state": "draft",
        "direction": "incoming",
        "member_state": "DE",
        "person_ref": "AZ-1",
        "category": "own_national",
        "procedure": "normal",
        "learned_on": "2026-01-31",
    }
    doc.update(overrides)
    doc["deadlines"] = {
        d.kind: rd.deadline_record(d) for d in rd.initial_deadlines(rd.Law(dl.RULES), doc)
    }
    return doc


def test_every_state_is_reachable_and_every_target_is_a_state() -> None:
    targets = {target for _, target in rd.TRANSITIONS.values()} | {"draft"}
    assert targets == set(rd.STATES)
    for sources, _ in rd.TRANSITIONS.values():
        assert set(sources) <= set(rd.STATES)


def test_submission_limit_is_6_months_for_third_country_nationals_and_stateless_persons_only() -> (
    None
):
    # #10 finding 2: the limit was 12 months for every category.
    for category in ("own_national", "former_national", "family_member"):
        assert "submit" not in draft(category=category)["deadlines"]
    for category in ("third_country_national", "stateless"):
        submit = draft(category=category)["deadlines"]["submit"]
        assert (submit["due_on"], submit["unit"], submit["amount"]) == ("2026-07-31", "months", 6)
        assert submit["source"]["article"] == "Art. 11" and submit["source"]["verified"] is False


def test_accelerated_submission_counts_the_requesting_states_working_days() -> None:
    # #10 finding 3: DE asks AZ; apprehended Wed 23 Dec 2026 at the German border. 25–26 Dec are
    # German
    # holidays, so the 2nd working day is Mon 28 Dec (on Azerbaijan's calendar it would be Fri 25
    # Dec).
    doc = draft(
        category="third_country_national", procedure="accelerated", apprehended_on="2026-12-23"
    )
    assert (doc["deadlines"]["submit"]["due_on"], doc["deadlines"]["submit"]["calendar"]) == (
        "2026-12-28",
        "DE",
    )
    outgoing = draft(
        direction="outgoing",
        category="stateless",
        procedure="accelerated",
        apprehended_on="2026-12-23",
    )
    assert (
        outgoing["deadlines"]["submit"]["due_on"],
        outgoing["deadlines"]["submit"]["calendar"],
    ) == ("2026-12-25", "AZ")


def test_an_administrators_calendar_override_moves_a_working_day_deadline() -> None:
    doc = {
        "_id": "r1",
        "state": "draft",
        "direction": "incoming",
        "member_state": "DE",
        "person_ref": "AZ-1",
        "category": "stateless",
        "procedure": "accelerated",
        "apprehended_on": "2026-12-23",
    }
    closed = rd.initial_deadlines(rd.Law(dl.RULES, {"DE": {"2026-12-24": False}}), doc)
    assert closed[0].due_on == date(2026, 12, 29)  # 24 Dec declared an office closure
    opened = rd.initial_deadlines(rd.Law(dl.RULES, {"DE": {"2026-12-26": True}}), doc)
    assert opened[0].due_on == date(2026, 12, 26)  # a moved working day on Saturday 26 Dec


def test_submit_opens_the_reply_clock_in_the_requested_states_calendar() -> None:
    doc = draft(category="stateless", learned_on="2026-07-01")
    change = rd.decide(
        doc, "submit", {"received_on": date(2026, 12, 30)}, date(2026, 12, 31), dl.RULES
    )
    (reply,) = change.opened
    assert (reply.due_on, reply.calendar, reply.deemed_acceptance) == (
        date(2027, 1, 14),
        "AZ",
        True,
    )
    assert change.closed == {"submit": "met"}
    assert change.stats == [
        ("DE", date(2026, 12, 30), {"requests_incoming": 1, "by_category.stateless": 1}, None)
    ]


def test_deemed_acceptance_only_after_the_last_day_and_dated_the_day_after() -> None:
    doc = draft(state="submitted", received_on="2026-11-02")
    doc["deadlines"]["reply"] = rd.deadline_record(
        dl.compute(
            dl.RULES,
            "reply",
            member_state="DE",
            direction="incoming",
            procedure="normal",
            start=date(2026, 11, 2),
        )
    )
    with pytest.raises(rd.RuleBroken):
        rd.decide(doc, "deem_accept", {}, date(2026, 11, 17), dl.RULES)
    change = rd.decide(doc, "deem_accept", {}, date(2026, 11, 30), dl.RULES)
    assert change.state == "deemed_accepted" and change.set["decided_on"] == "2026-11-18"
    assert {d.kind for d in change.opened} == {"transfer", "travel_document"}
    assert change.closed == {"reply": "missed"}


def test_rejection_needs_reasons_and_counts_each_reason_once_on_its_reply_date() -> None:
    doc = draft(state="submitted", received_on="2026-11-02")
    with pytest.raises(rd.RuleBroken):
        rd.decide(
            doc,
            "reject",
            {"reasons": [], "replied_on": date(2026, 11, 5)},
            date(2026, 11, 5),
            dl.RULES,
        )
    reasons = [{"code": "other", "explanation": "a"}, {"code": "other", "explanation": "b"}]
    change = rd.decide(
        doc,
        "reject",
        {"reasons": reasons, "replied_on": date(2026, 11, 5)},
        date(2026, 11, 9),
        dl.RULES,
    )
    assert change.stats[0][2]["rejected_by_reason.other"] == 1 and change.stats[0][3] == 3
    assert change.stats[0][1] == date(2026, 11, 5) and change.set["decided_on"] == "2026-11-05"


def submitted(received: str = "2026-11-02") -> dict[str, Any]:
    doc = draft(state="submitted", received_on=received)
    doc["deadlines"]["reply"] = rd.deadline_record(
        dl.compute(
            dl.RULES,
            "reply",
            member_state="DE",
            direction="incoming",
            procedure="normal",
            start=date.fromisoformat(received),
        )
    )
    return doc


def deemed(doc: dict[str, Any], today: date) -> dict[str, Any]:
    change = rd.decide(doc, "deem_accept", {}, today, dl.RULES)
    after = {**doc, "state": change.state, **change.set, "deadlines": dict(doc["deadlines"])}
    after["deadlines"]["reply"] = {**doc["deadlines"]["reply"], "status": "missed"}
    for deadline in change.opened:
        after["deadlines"][deadline.kind] = rd.deadline_record(deadline)
    return after


@pytest.mark.parametrize(
    "body,problem",
    [
        ({"replied_on": date(2026, 11, 21)}, "future"),
        ({"replied_on": date(2026, 11, 10), "received_on": date(2026, 11, 9)}, "precede"),
        ({"replied_on": date(2026, 11, 1)}, "receipt"),
    ],
)
def test_reply_dates_are_checked(body: dict[str, Any], problem: str) -> None:
    with pytest.raises(rd.RuleBroken, match=problem):
        rd.decide(submitted(), "accept", body, date(2026, 11, 20), dl.RULES)


@pytest.mark.parametrize(
    "action,extra,state",
    [
        ("reject", {"reasons": [{"code": "other", "explanation": "x"}]}, "rejected"),
        ("accept", {}, "accepted"),
        ("request_info", {}, "info_requested"),
    ],
)
def test_a_timely_reply_entered_late_reverses_the_deemed_acceptance(
    action: str, extra: dict[str, Any], state: str
) -> None:
    # #10 finding 4: reply limit ends 17 Nov; the clock deemed it accepted on 18 Nov; a reply dated
    # 16 Nov
    # reaches the officer on 19 Nov. It was refused with 409; now the request follows the reply.
    doc = deemed(submitted(), date(2026, 11, 18))
    body = {
        "replied_on": date(2026, 11, 16),
        "received_on": date(2026, 11, 19),
        "reason": "Reply came by post",
        **extra,
    }
    with pytest.raises(rd.RuleBroken, match="reason"):
        rd.decide(doc, action, {**body, "reason": None}, date(2026, 11, 19), dl.RULES)
    change = rd.decide(doc, action, body, date(2026, 11, 19), dl.RULES)
    assert change.reversal and change.state == state
    assert change.closed == {
        "transfer": "cancelled",
        "travel_document": "cancelled",
    }  # reopened anew if accepted
    assert change.stats[0] == (
        "DE",
        date(2026, 11, 18),
        {"deemed_accepted": -1, "replies_due": -1},
        None,
    )
    if action == "accept":
        transfer = next(d for d in change.opened if d.kind == "transfer")
        assert transfer.start_on == date(2026, 11, 16) and transfer.due_on == date(2027, 2, 16)


def test_a_late_reply_after_deemed_acceptance_leaves_it_standing() -> None:
    doc = deemed(submitted(), date(2026, 11, 18))
    body = {
        "replied_on": date(2026, 11, 18),
        "reasons": [{"code": "other", "explanation": "x"}],
        "reason": "r",
    }
    with pytest.raises(rd.DeemedAcceptanceStands, match="stands") as caught:
        rd.decide(doc, "reject", body, date(2026, 11, 19), dl.RULES)
    assert caught.value.state == "deemed_accepted"


def test_transfer_extended_for_an_obstacle_keeps_the_reason_and_both_dates() -> None:
    # #10 finding 5: the transfer limit could not be extended (a person in hospital): it was marked
    # missed.
    doc = deemed(submitted(), date(2026, 11, 18))
    change = rd.decide(
        doc,
        "extend_transfer",
        {"due_on": date(2027, 4, 30), "reason": "In hospital"},
        date(2027, 2, 10),
        dl.RULES,
    )
    (transfer,) = change.opened
    assert transfer.due_on == date(2027, 4, 30)
    assert transfer.extensions == (
        {"reason": "In hospital", "from": "2027-02-18", "to": "2027-04-30"},
    )
    with pytest.raises(rd.RuleBroken):
        rd.decide(
            doc,
            "extend_transfer",
            {"due_on": date(2027, 1, 1), "reason": "x"},
            date(2026, 12, 1),
            dl.RULES,
        )
    with pytest.raises(rd.NotAllowed):
        rd.decide(
            submitted(),
            "extend_transfer",
            {"due_on": date(2027, 4, 30), "reason": "x"},
            date(2026, 12, 1),
            dl.RULES,
        )


@pytest.mark.parametrize(
    "category,evidence,indicator",
    [
        ("own_national", [{"of": "nationality", "type": "passport"}], "proof_present"),
        ("own_national", [{"of": "nationality", "type": "photocopy"}], "prima_facie_only"),
        ("own_national", [{"of": "third_country_conditions", "type": "visa"}], "none"),
        (
            "stateless",
            [{"of": "third_country_conditions", "type": "travel_ticket"}],
            "prima_facie_only",
        ),
        (
            "stateless",
            [{"of": "third_country_conditions", "type": "residence_permit"}],
            "proof_present",
        ),
        # a stored class is never trusted: a photocopy marked "proof" (as the old API allowed) stays
        # prima facie
        (
            "former_national",
            [{"kind": "proof", "of": "nationality", "type": "photocopy"}],
            "prima_facie_only",
        ),
        ("third_country_national", [], "none"),
    ],
)
def test_evidence_sufficiency_comes_from_the_document_type(
    category: str, evidence: list[dict[str, str]], indicator: str
) -> None:
    assert sufficiency(category, evidence)["indicator"] == indicator


def test_a_photocopy_is_never_proof() -> None:
    # #10 finding 8: the officer chose the class; now the annexes decide it from the type.
    item = rd.new_evidence({"of": "nationality", "type": "photocopy"})
    assert item["kind"] == "prima_facie" and item["source"]["article"] == "Annex 2"
    with pytest.raises(rd.RuleBroken):
        rd.new_evidence({"of": "nationality", "type": "travel_ticket"})


def test_statistics_row_from_the_read_model() -> None:
    row = statistics.row(
        {
            "member_state": "DE",
            "month": "2026-11",
            "accepted": 2,
            "rejected": 1,
            "replies_due": 4,
            "answered_within_limit": 2,
            "reply_days": [9, 3, 20],
            "by_category": {"stateless": 3},
            "rejected_by_reason": {"other": 1},
        }
    )
    assert row["median_days_to_reply"] == 9.0 and row["answered_within_limit_share"] == 0.5
    assert row["requests_incoming"] == 0 and row["by_category"] == {"stateless": 3}
    empty = statistics.row({"member_state": "FR"})
    assert empty["median_days_to_reply"] is None and empty["answered_within_limit_share"] is None
