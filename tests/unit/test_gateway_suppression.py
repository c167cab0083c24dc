"""Partner reports against an attacker: the cases of finding 1 of issue #11, each as a report a
partner could download, read back by an attacker that knows '<5' means 1 to 4 (tests/attacker.py,
written without the gateway's suppression code)."""

from __future__ import annotations

import copy

import pytest

from gateway.composition.disclosure_rules import RULES
from gateway.composition.report_month import build_month
from gateway.composition.reports import to_csv
from gateway.composition.suppression import (
    PRIMARY,
    SECONDARY,
    Band,
    Disclosure,
    Inconsistent,
    Relation,
    leaks,
    suppress,
)
from tests.attacker import Attacker

PROTECTION, SPECIAL = RULES.protection.value, RULES.special_protection.value


def unit(unit_id: str, occupied: int, admissions: int, releases: int, **extra: object) -> dict:
    sexes = extra.pop("by_sex", {"male": admissions} if admissions else {})
    return {
        "centre_id": "yevlakh",
        "unit_id": unit_id,
        "category": "women",
        "capacity": 40,
        "occupied_end_of_month": occupied,
        "average_occupied": float(occupied),
        "admissions": admissions,
        "releases": releases,
        "transfers_in": 0,
        "transfers_out": 0,
        "by_sex": sexes,
        "by_age_band": extra.pop("by_age_band", {"18-34": admissions} if admissions else {}),
        "by_nationality": extra.pop("by_nationality", {"ERI": admissions} if admissions else {}),
        **extra,
    }


def returns(referrals: int, sources: dict, **extra: object) -> dict:
    return {
        "nationality": "ERI",
        "destination_country": "ERI",
        "referrals": referrals,
        "departures": 0,
        "withdrawals": 0,
        "monitoring_completed": 0,
        "by_referral_source": sources,
        "by_stage": {},
        "vulnerability": extra.pop("vulnerability", {}),
        "median_days_referral_to_departure": None,
        "mean_sustainability_score": None,
        **extra,
    }


def request_row(**extra: object) -> dict:
    row = {
        "member_state": "DE",
        "requests_incoming": 30,
        "requests_outgoing": 0,
        "by_category": {"own_national": 30},
        "accepted": 20,
        "deemed_accepted": 0,
        "rejected": 10,
        "rejected_by_reason": {"evidence": 10},
        "transferred": 20,
        "median_days_to_reply": 9.0,
        "answered_within_limit_share": 0.9,
        "replies_due": 30,
    }
    row.update(extra)
    return row


def month(occupancy: list, returns_rows: list | None = None, requests: list | None = None) -> dict:
    return {
        "monthly-occupancy": occupancy,
        "voluntary-return": returns_rows or [],
        "readmission": requests or [],
    }


def attack(*months: tuple[str, dict]) -> dict:
    attacker = Attacker()
    for i, (tag, reports) in enumerate(months):
        attacker.read(tag, reports)
        if i:
            attacker.link_months(months[i - 1][0], tag, reports)
    return attacker.narrowed(PROTECTION, SPECIAL)


def test_two_hidden_cells_with_a_published_total_of_8_are_not_pinned():
    published = build_month(
        "2026-09", month([unit("y-w1", 20, 10, 0)], [returns(8, {"ngo": 4, "embassy": 4})])
    )
    row = published["voluntary-return"]["rows"][0]
    assert row["by_referral_source.ngo"] == PRIMARY and row["by_referral_source.embassy"] == PRIMARY
    assert (
        row["referrals"] == SECONDARY
        or published["voluntary-return"]["totals"]["referrals"] == SECONDARY
    )
    assert attack(("m", published)) == {}


def test_cells_1_1_and_10_with_a_total_of_12_do_not_pin_the_hidden_ones():
    published = build_month(
        "2026-09",
        month(
            [unit("y-w1", 20, 10, 0)],
            [returns(12, {"ngo": 1, "embassy": 1, "detention_centre": 10})],
        ),
    )
    assert attack(("m", published)) == {}
    row = published["voluntary-return"]["rows"][0]
    assert [row[f"by_referral_source.{s}"] for s in ("embassy", "ngo")] == [PRIMARY, PRIMARY]


def test_the_occupancy_identity_recovers_nothing_across_two_months():
    """7 held at the end of August; September: 0 admitted, 2 released, 5 held — 7 - 5 + 0 = 2."""
    august = build_month("2026-08", month([unit("y-w1", 7, 7, 0), unit("y-w2", 30, 30, 0)]))
    september = build_month(
        "2026-09", month([unit("y-w1", 5, 0, 2), unit("y-w2", 30, 0, 0)]), previous=august
    )
    assert september["monthly-occupancy"]["rows"][0]["releases"] == PRIMARY
    assert september["monthly-occupancy"]["suppression"]["audited_with_previous_month"] is True
    assert attack(("aug", august), ("sep", september)) == {}


def test_a_month_published_late_is_audited_against_the_month_after_it():
    september = build_month("2026-09", month([unit("y-w1", 5, 0, 2), unit("y-w2", 30, 0, 0)]))
    august = build_month(
        "2026-08", month([unit("y-w1", 7, 7, 0), unit("y-w2", 30, 30, 0)]), following=september
    )
    assert attack(("aug", august), ("sep", september)) == {}


def test_a_share_over_a_base_of_5_is_withheld():
    published = build_month(
        "2026-09", month([], requests=[request_row(answered_within_limit_share=0.8, replies_due=5)])
    )
    assert published["readmission"]["rows"][0]["answered_within_limit_share"] == SECONDARY
    big = build_month("2026-09", month([], requests=[request_row(answered_within_limit_share=0.8)]))
    assert (
        big["readmission"]["rows"][0]["answered_within_limit_share"] == 0.8
    )  # 24 of 30 in time, 6 not
    few_late = build_month(
        "2026-09", month([], requests=[request_row(answered_within_limit_share=0.9)])
    )
    assert (
        few_late["readmission"]["rows"][0]["answered_within_limit_share"] == SECONDARY
    )  # 3 of 30 late


def test_rejection_reasons_are_not_assumed_to_add_up_to_rejections():
    published = build_month(
        "2026-09",
        month(
            [],
            requests=[
                request_row(rejected=10, rejected_by_reason={"evidence": 8, "not_competent": 3})
            ],
        ),
    )
    row = published["readmission"]["rows"][0]
    assert row["rejected_by_reason.not_competent"] == PRIMARY
    assert (
        row["rejected_by_reason.evidence"] == 8 and row["rejected"] == 10
    )  # no identity joins them


def test_special_categories_are_never_published_below_10():
    published = build_month(
        "2026-09",
        month([], [returns(30, {"ngo": 30}, vulnerability={"sogi": 7, "trafficking_victim": 12})]),
    )
    row = published["voluntary-return"]["rows"][0]
    assert row["vulnerability.sogi"] == "<10" and row["vulnerability.trafficking_victim"] == 12
    assert published["voluntary-return"]["totals"]["vulnerability.sogi"] == "<10"


def test_the_65_plus_age_band_is_published_and_the_bands_add_up():
    published = build_month(
        "2026-09", month([unit("y-w1", 40, 30, 0, by_age_band={"18-34": 15, "65+": 15})])
    )
    row = published["monthly-occupancy"]["rows"][0]
    assert (
        row["by_age_band.65+"] == 15 and row["by_age_band.18-34"] == 15 and row["admissions"] == 30
    )
    assert "by_age_band.65+" in to_csv(published["monthly-occupancy"]).splitlines()[0]


def test_a_correction_hides_figures_that_moved_by_a_few():
    raw = month([unit("y-w1", 40, 30, 0), unit("y-w2", 50, 30, 0)])
    first = build_month("2026-09", raw)
    corrected = copy.deepcopy(raw)
    corrected["monthly-occupancy"][0].update(
        occupied_end_of_month=41,
        admissions=31,
        by_sex={"male": 31},
        by_age_band={"18-34": 31},
        by_nationality={"ERI": 31},
    )
    second = build_month("2026-09", corrected, replaced=first)
    row = second["monthly-occupancy"]["rows"][0]
    assert first["monthly-occupancy"]["rows"][0]["admissions"] == 30
    assert row["admissions"] == SECONDARY and row["occupied_end_of_month"] == SECONDARY


def test_the_widening_stops_when_nothing_is_pinned():
    band = Band(PRIMARY, 1, 4, PROTECTION)
    values = {"a": 4, "b": 4, "c": 9, "T": 17}
    hidden = suppress(
        Disclosure(
            values, [Relation.total("T", ["a", "b", "c"])], {"a": band, "b": band}, PROTECTION
        )
    )
    assert set(hidden) >= {"a", "b"} and len(hidden) >= 3


def test_a_previous_month_that_no_longer_adds_up_does_not_stop_publication():
    """Late corrections can make last month's published figures disagree with this month's."""
    august = build_month("2026-08", month([unit("y-w1", 3, 3, 0), unit("y-w2", 30, 30, 0)]))
    september = build_month(
        "2026-09", month([unit("y-w1", 50, 0, 0), unit("y-w2", 30, 0, 0)]), previous=august
    )
    assert september["monthly-occupancy"]["rows"][0]["occupied_end_of_month"] == 50
    assert august["monthly-occupancy"]["rows"][0]["occupied_end_of_month"] == PRIMARY


def test_contradicting_figures_are_reported_as_such():
    band = Band(PRIMARY, 1, 4, PROTECTION)
    problem = Disclosure(
        {"T": 9}, [Relation.total("T", ["a"])], {}, PROTECTION, earlier_hidden={"a": band}
    )
    with pytest.raises(Inconsistent):
        leaks(problem, {})
