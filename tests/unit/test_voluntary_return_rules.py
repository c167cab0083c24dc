"""Voluntary return's pure rules: the stage machine table, monitoring due dates (month ends, leap
years), the sustainability score and its versioned weights, the next action, statistics deltas."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from passage.errors import status_and_slug
from voluntary_return.domain import reintegration, stages, statistics, worklist
from voluntary_return.domain.errors import RuleRefused, WrongStage
from voluntary_return.domain.reintegration import (
    Weights,
    add_months,
    sustainability_score,
    weights_on,
)
from voluntary_return.domain.stages import Facts, next_stage
from voluntary_return.web.errors import ERRORS

CONSENTED = Facts(has_consent=True, has_booking=True)


# stage machine ----------------------------------------------------------------------------------
def test_the_stages_are_those_of_the_design() -> None:
    assert stages.STAGES[:12] == (
        "referred",
        "registered",
        "counselled",
        "eligible",
        "ineligible",
        "documents",
        "travel_ready",
        "booked",
        "departed",
        "arrived",
        "reintegration",
        "monitoring",
    )
    assert set(stages.FINAL) == {"closed", "withdrawn", "no_show"}
    for stage in stages.FINAL:
        assert stages.allowed_actions(stage) == ()


@pytest.mark.parametrize("stage", stages.BEFORE_DEPARTURE)
def test_withdrawal_and_no_show_from_every_stage_before_departure(stage: str) -> None:
    assert next_stage("withdraw", stage) == "withdrawn"
    assert next_stage("record_no_show", stage) == "no_show"


@pytest.mark.parametrize("stage", [s for s in stages.STAGES if s not in stages.BEFORE_DEPARTURE])
def test_no_withdrawal_after_departure(stage: str) -> None:
    for action in ("withdraw", "record_no_show"):
        with pytest.raises(WrongStage) as refused:
            next_stage(action, stage)
        assert refused.value.stage == stage and status_and_slug(refused.value, ERRORS)[0] == 409


@pytest.mark.parametrize("stage", stages.STAGES)
def test_every_pair_is_either_allowed_or_a_wrong_stage(stage: str) -> None:
    for action, move in stages.MOVES.items():
        if stage in move.allowed_from:
            assert next_stage(action, stage, CONSENTED) in stages.STAGES
        else:
            with pytest.raises(WrongStage):
                next_stage(action, stage, CONSENTED)


def test_no_booking_or_departure_without_consent() -> None:
    for action, stage in (
        ("book_travel", "travel_ready"),
        ("book_travel", "booked"),
        ("confirm_departure", "booked"),
    ):
        with pytest.raises(RuleRefused) as refused:
            next_stage(action, stage, Facts(has_booking=True))
        assert refused.value.rule == "consent_required"
        assert status_and_slug(refused.value, ERRORS)[0] == 422
    with pytest.raises(RuleRefused) as refused:
        next_stage("confirm_departure", "booked", Facts(has_consent=True))
    assert refused.value.rule == "booking_required"


def test_the_stage_is_checked_before_the_consent() -> None:
    with pytest.raises(WrongStage):
        next_stage("book_travel", "registered", Facts())


def test_targets_that_depend_on_the_input() -> None:
    assert (
        next_stage("decide_eligibility", "counselled", Facts(decision="ineligible")) == "ineligible"
    )
    assert next_stage("decide_eligibility", "ineligible", Facts(decision="eligible")) == "eligible"
    assert (
        next_stage("record_travel_document", "eligible", Facts(document_status="requested"))
        == "documents"
    )
    assert (
        next_stage("record_travel_document", "documents", Facts(document_status="issued"))
        == "travel_ready"
    )
    assert (
        next_stage("record_travel_document", "travel_ready", Facts(document_status="expired"))
        == "documents"
    )
    assert next_stage("record_counselling", "registered") == "counselled"
    assert next_stage("record_counselling", "booked") == "booked"
    assert next_stage("plan_reintegration", "arrived") == "reintegration"
    assert next_stage("plan_reintegration", "monitoring") == "monitoring"


# monitoring due dates -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "start,months,expected",
    [
        (date(2026, 1, 15), 3, date(2026, 4, 15)),
        (date(2026, 1, 31), 3, date(2026, 4, 30)),  # April has 30 days
        (date(2023, 11, 30), 3, date(2024, 2, 29)),  # leap year
        (date(2026, 11, 30), 3, date(2027, 2, 28)),  # not a leap year
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # from a leap day
        (date(2024, 2, 29), 6, date(2024, 8, 29)),
        (date(2026, 10, 31), 3, date(2027, 1, 31)),  # across the year end
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2099, 12, 31), 12, date(2100, 12, 31)),
        (date(2099, 11, 30), 3, date(2100, 2, 28)),  # 2100 is not a leap year
    ],
)
def test_add_months_clamps_to_the_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_the_schedule_has_visits_at_3_6_12_months() -> None:
    schedule = reintegration.monitoring_schedule(date(2027, 11, 30))
    assert [(v["month"], v["due_on"]) for v in schedule] == [
        (3, "2028-02-29"),
        (6, "2028-05-30"),
        (12, "2028-11-30"),
    ]
    assert all(v["visited_on"] is None for v in schedule)


def test_overdue_is_strictly_after_the_due_date_and_only_unvisited() -> None:
    schedule = reintegration.monitoring_schedule(
        date(2026, 1, 31)
    )  # due 2026-04-30, 07-31, 2027-01-31
    assert reintegration.overdue_visits(schedule, date(2026, 4, 30)) == []
    assert [v["month"] for v in reintegration.overdue_visits(schedule, date(2026, 5, 1))] == [3]
    schedule[0]["visited_on"] = "2026-04-29"
    assert reintegration.overdue_visits(schedule, date(2026, 8, 1))[0]["month"] == 6
    assert reintegration.next_visit_due(schedule) == date(2026, 7, 31)
    for visit in schedule:
        visit["visited_on"] = "2027-02-01"
    assert reintegration.next_visit_due(schedule) is None


# sustainability score --------------------------------------------------------------------------
EQUAL = weights_on(date(2026, 1, 1))


@pytest.mark.parametrize(
    "scores,expected",
    [
        ({"economic": 0, "social": 0, "psychosocial": 0}, 0.0),
        ({"economic": 1, "social": 1, "psychosocial": 1}, 1.0),
        ({"economic": 0.5, "social": 0.75, "psychosocial": 1}, 0.75),
        ({"economic": 1, "social": 0, "psychosocial": 0}, 0.333),
        ({"economic": 0.2, "social": 0.2, "psychosocial": 0.2}, 0.2),
    ],
)
def test_score_with_equal_weights(scores: dict[str, float], expected: float) -> None:
    assert sustainability_score(scores, EQUAL) == expected


def test_score_uses_the_weights_given_and_normalises_them() -> None:
    weights = Weights(2, date(2027, 1, 1), {"economic": 2, "social": 1, "psychosocial": 1})
    assert sustainability_score({"economic": 1, "social": 0, "psychosocial": 0}, weights) == 0.5
    only_economic = Weights(3, date(2027, 1, 1), {"economic": 1, "social": 0, "psychosocial": 0})
    assert (
        sustainability_score({"economic": 0.4, "social": 1, "psychosocial": 1}, only_economic)
        == 0.4
    )


@pytest.mark.parametrize(
    "scores,rule",
    [
        ({"economic": 1, "social": 1}, "score_dimensions"),
        ({"economic": 1, "social": 1, "psychosocial": 1, "health": 1}, "score_dimensions"),
        ({"economic": 1.01, "social": 1, "psychosocial": 1}, "score_range"),
        ({"economic": -0.01, "social": 1, "psychosocial": 1}, "score_range"),
        ({"economic": True, "social": 1, "psychosocial": 1}, "score_range"),
    ],
)
def test_score_refuses_bad_scores(scores: dict[str, float], rule: str) -> None:
    with pytest.raises(RuleRefused) as refused:
        sustainability_score(scores, EQUAL)
    assert refused.value.rule == rule


def test_weights_are_versioned_data_taking_effect_from_a_date() -> None:
    table = (
        EQUAL,
        Weights(2, date(2027, 7, 1), {"economic": 0.5, "social": 0.25, "psychosocial": 0.25}),
    )
    assert weights_on(date(2027, 6, 30), table).version == 1
    assert weights_on(date(2027, 7, 1), table).version == 2
    with pytest.raises(LookupError):
        weights_on(date(2019, 12, 31), table)


@pytest.mark.parametrize(
    "weights",
    [
        {"economic": 1, "social": 1},
        {"economic": 0, "social": 0, "psychosocial": 0},
        {"economic": -1, "social": 1, "psychosocial": 1},
    ],
)
def test_a_weight_table_entry_must_be_sound(weights: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Weights(9, date(2030, 1, 1), weights)


# next action -------------------------------------------------------------------------------------
def test_the_next_action_follows_the_stage() -> None:
    since = date(2026, 11, 24)
    assert worklist.next_action({"stage": "referred"}, since) == (
        "counselling_due",
        date(2026, 12, 1),
    )
    assert worklist.next_action({"stage": "documents"}, since) == (
        "documents_pending",
        date(2026, 12, 24),
    )
    assert worklist.next_action({"stage": "travel_ready"}, since) == (
        "booking_pending",
        date(2026, 12, 8),
    )
    schedule = reintegration.monitoring_schedule(date(2026, 11, 30))
    assert worklist.next_action(
        {"stage": "arrived", "reintegration": {"monitoring": schedule}}, since
    ) == ("monitoring_due", date(2027, 2, 28))
    for stage in ("counselled", "booked", "departed", "closed", "withdrawn", "no_show"):
        assert worklist.next_action({"stage": stage}, since) is None


# statistics --------------------------------------------------------------------------------------
def _case(**extra: object) -> dict[str, object]:
    referred = datetime(2026, 10, 30, 12, tzinfo=UTC)
    return {
        "stage": "referred",
        "nationality": "IRN",
        "destination_country": None,
        "referral": {"source": "ngo", "referred_at": referred},
        **extra,
    }


def test_a_referral_counts_in_its_month_by_source() -> None:
    delta = statistics.delta_for(_case(), "refer", None, datetime(2026, 10, 31, 23, 59, tzinfo=UTC))
    assert delta.row_id == "2026-10|IRN|-|0"
    assert delta.inc == {"by_stage.referred": 1, "referrals": 1, "by_referral_source.ngo": 1}


def test_a_departure_counts_days_since_referral_and_a_staying_action_no_stage() -> None:
    case = _case(stage="departed", destination_country="IRN")
    delta = statistics.delta_for(
        case, "confirm_departure", "booked", datetime(2026, 12, 2, tzinfo=UTC)
    )
    assert delta.days_to_departure == 33 and delta.inc == {"by_stage.departed": 1, "departures": 1}
    same = statistics.delta_for(
        _case(stage="booked"), "record_counselling", "booked", datetime.now(UTC)
    )
    assert same.inc == {} and same.days_to_departure is None


def test_a_row_reads_back_with_median_and_mean() -> None:
    row = statistics.row_view(
        {
            "nationality": "IRN",
            "destination_country": "IRN",
            "referrals": 4,
            "departures": 3,
            "days_to_departure": [10, 2, 7, 30],
            "score_sum": 1.5,
            "score_count": 2,
            "by_stage": {"departed": 3},
            "monitoring_completed": 2,
        }
    )
    assert (
        row["median_days_referral_to_departure"] == 8.5 and row["mean_sustainability_score"] == 0.75
    )
    assert (
        row["withdrawals"] == 0
        and row["vulnerability"] == {}
        and row["by_stage"] == {"departed": 3}
    )
    empty = statistics.row_view({"nationality": None, "destination_country": None})
    assert (
        empty["median_days_referral_to_departure"] is None
        and empty["mean_sustainability_score"] is None
    )


def test_shards_spread_cases_and_sum_back_into_one_row() -> None:
    at = datetime(2026, 11, 2, tzinfo=UTC)
    ids = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(16)]
    deltas = [
        statistics.delta_for(
            _case(_id=i, stage="departed", destination_country="IRN"),
            "confirm_departure",
            "booked",
            at,
        )
        for i in ids
    ]
    assert len({d.row_id for d in deltas}) == statistics.SHARDS
    docs = [
        {
            "_id": "2026-11|IRN|IRN|1",
            "month": "2026-11",
            "nationality": "IRN",
            "destination_country": "IRN",
            "departures": 2,
            "by_stage": {"departed": 2},
            "days_to_departure": [3, 5],
        },
        {
            "_id": "2026-11|IRN|IRN|5",
            "month": "2026-11",
            "nationality": "IRN",
            "destination_country": "IRN",
            "departures": 1,
            "by_stage": {"departed": 1, "booked": 4},
            "days_to_departure": [40],
            "score_sum": 0.5,
            "score_count": 1,
        },
        {
            "_id": "2026-11|AFG|-|0",
            "month": "2026-11",
            "nationality": "AFG",
            "destination_country": None,
            "referrals": 1,
        },
    ]
    afg, irn = statistics.merge_shards(docs)
    assert afg["referrals"] == 1 and afg["destination_country"] is None
    view = statistics.row_view(irn)
    assert view["departures"] == 3 and view["by_stage"] == {"booked": 4, "departed": 3}
    assert (
        view["median_days_referral_to_departure"] == 5 and view["mean_sustainability_score"] == 0.5
    )


def test_calendar_moves_follow_the_next_action() -> None:
    before = {"next_action": "counselling_due", "next_action_due": "2026-12-01"}
    assert worklist.calendar_moves({}, before) == [("counselling_due", "2026-12-01", 1)]
    assert worklist.calendar_moves(before, dict(before)) == []
    assert worklist.calendar_moves(before, {}) == [("counselling_due", "2026-12-01", -1)]
    after = {"next_action": "documents_pending", "next_action_due": "2026-12-24"}
    assert worklist.calendar_moves(before, after) == [
        ("counselling_due", "2026-12-01", -1),
        ("documents_pending", "2026-12-24", 1),
    ]


@pytest.mark.parametrize(
    "wanted,covered", [(1, 1), (3, 1), (4, 2), (5, 2), (6, 3), (99, 3), (0, 1)]
)
def test_the_page_covers_just_enough_days(wanted: int, covered: int) -> None:
    assert (
        worklist.page_end([("2026-12-01", 3), ("2026-12-02", 2), ("2026-12-05", 1)], wanted)
        == covered
    )
    assert worklist.page_end([], wanted) == 0
