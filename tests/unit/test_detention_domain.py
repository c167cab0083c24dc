"""Detention's rules without I/O: capacity and blocks, the CPT standard, legal ends, age bands,
placement, and the dated rule table."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from detention.domain import ids
from detention.domain import model as domain
from detention.domain.model import (
    Block,
    InvalidLegalBasis,
    InvalidParticulars,
    InvalidUnit,
    LegalBasis,
    MinorOverride,
    Person,
    PlacementRefused,
    Unit,
)
from detention.domain.rules import NoRulesInForce, Rules, rules_on

RULES = Rules(effective_from=date(2000, 1, 1))
DAY = date(2026, 11, 20)
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ORDER = LegalBasis(
    "court_order",
    decision_ref="2-1234/2026",
    court="Baku Administrative Court",
    decided_on=date(2026, 11, 20),
    valid_until=date(2027, 2, 20),
)


def unit(category: str = "men", **changes) -> Unit:
    base = Unit(
        id="baku-m1",
        centre_id="baku",
        name="Men's wing 1",
        category=category,
        declared_places=40,
        floor_area_m2=180.0,
    )
    return replace(base, **changes)


def person(sex: str = "male", birth: date = date(1990, 4, 2)) -> Person:
    return Person("AZ-2026-000001", "Ali", "Rezaei", birth, sex, "IRN")


# capacity ------------------------------------------------------------------------------------
def test_capacity_is_declared_places_without_blocks() -> None:
    assert unit().capacity_on(DAY) == 40
    assert unit().capacity_valid_until(DAY) is None


def test_blocks_in_force_reduce_capacity_and_expired_ones_stop_counting() -> None:
    blocks = (
        Block(3, "water damage", date(2026, 11, 30)),
        Block(2, "quarantine", date(2026, 11, 19)),
    )
    u = unit(blocks=blocks)
    assert u.blocked_on(DAY) == 3
    assert u.capacity_on(DAY) == 37
    assert u.capacity_on(date(2026, 11, 30)) == 37, "a block holds through its until-date"
    assert u.capacity_on(date(2026, 12, 1)) == 40, "the day after, the places count again"
    assert u.capacity_on(date(2026, 11, 19)) == 35
    assert u.capacity_valid_until(DAY) == date(2026, 11, 30)


def test_capacity_valid_until_is_the_earliest_block_end() -> None:
    u = unit(blocks=(Block(1, "a", date(2026, 12, 31)), Block(1, "b", date(2026, 12, 5))))
    assert u.capacity_valid_until(DAY) == date(2026, 12, 5)
    assert u.capacity_valid_until(date(2026, 12, 6)) == date(2026, 12, 31)


def test_more_places_blocked_than_declared_is_refused() -> None:
    with pytest.raises(InvalidUnit) as refused:
        unit(declared_places=2, blocks=(Block(3, "fire", date(2027, 1, 1)),)).check(DAY)
    assert refused.value.rule == "blocked_places" and refused.value.unit_id == "baku-m1"
    unit(declared_places=2, blocks=(Block(3, "old fire", date(2026, 1, 1)),)).check(
        DAY
    )  # expired: fine


@pytest.mark.parametrize(
    "changes, rule",
    [
        ({"id": "Baku_M1"}, "unit_id_format"),
        ({"category": "children"}, "unit_category"),
        ({"floor_area_m2": 0.0}, "unit_figures"),
        ({"declared_places": -1}, "unit_figures"),
        ({"floor_area_m2": float("nan")}, "unit_figures"),
        ({"blocks": (Block(0, "none", date(2027, 1, 1)),)}, "blocked_places"),
    ],
)
def test_contradictory_units_are_refused(changes: dict, rule: str) -> None:
    with pytest.raises(InvalidUnit) as refused:
        unit(**changes).check(DAY)
    assert refused.value.rule == rule


# CPT standard --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "area, single, expected",
    [
        (180.0, False, 45),
        (179.9, False, 44),
        (4.0, False, 1),
        (3.99, False, 0),
        (12.0, False, 3),
        (6.0, True, 1),
        (5.9, True, 0),
        (12.0, True, 2),
        (0.3 * 3 * 40, False, 9),
    ],
)
def test_cpt_capacity_is_floor_area_over_the_standard(
    area: float, single: bool, expected: int
) -> None:
    assert unit(floor_area_m2=area, single_room=single).cpt_capacity(RULES) == expected


def test_over_standard_flags_declared_places_beyond_the_cpt_capacity() -> None:
    assert not unit(declared_places=45, floor_area_m2=180.0).over_standard(RULES)
    assert unit(declared_places=46, floor_area_m2=180.0).over_standard(RULES)
    assert unit(declared_places=2, floor_area_m2=8.0, single_room=True).over_standard(RULES)


def test_cpt_values_come_from_the_rule_table() -> None:
    stricter = Rules(effective_from=date(2030, 1, 1), cpt_m2_per_person_shared=5.0)
    assert unit(floor_area_m2=180.0).cpt_capacity(stricter) == 36


# rule table ----------------------------------------------------------------------------------
def test_rules_on_picks_the_entry_in_force_on_the_day() -> None:
    table = (Rules(date(2014, 1, 1)), Rules(date(2027, 1, 1), asylum_max_months=4))
    assert rules_on(date(2026, 12, 31), table).asylum_max_months == 3
    assert rules_on(date(2027, 1, 1), table).asylum_max_months == 4
    with pytest.raises(NoRulesInForce):
        rules_on(date(2013, 12, 31), table)
    assert rules_on(DAY).cpt_m2_per_person_shared == 4.0


# legal basis and legal end -------------------------------------------------------------------
def test_court_order_ends_on_its_valid_until() -> None:
    ORDER.check(DAY)
    assert domain.legal_end(ORDER, DAY, RULES) == date(2027, 2, 20)


@pytest.mark.parametrize(
    "changes, rule, field",
    [
        ({"decision_ref": None}, "legal_basis_complete", "legal_basis.decision_ref"),
        ({"court": None}, "legal_basis_complete", "legal_basis.court"),
        ({"decided_on": None}, "legal_basis_complete", "legal_basis.decided_on"),
        ({"valid_until": None}, "legal_basis_complete", "legal_basis.valid_until"),
        (
            {"decided_on": date(2026, 11, 10), "valid_until": date(2026, 11, 9)},
            "order_validity",
            "legal_basis.valid_until",
        ),
        (
            {"decided_on": date(2026, 11, 21), "valid_until": date(2027, 1, 1)},
            "decision_in_future",
            "legal_basis.decided_on",
        ),
        (
            {"decided_on": date(2026, 8, 1), "valid_until": date(2026, 11, 19)},
            "order_expired",
            "legal_basis.valid_until",
        ),
        ({"kind": "hearsay"}, "legal_basis_kind", "legal_basis.kind"),
    ],
)
def test_a_court_order_must_be_complete_consistent_and_in_force(
    changes: dict, rule: str, field: str
) -> None:
    with pytest.raises(InvalidLegalBasis) as refused:
        replace(ORDER, **changes).check(DAY)
    assert (refused.value.rule, refused.value.field) == (rule, field)


def test_an_order_valid_until_the_day_it_was_decided_is_accepted() -> None:
    replace(ORDER, valid_until=DAY).check(DAY)


def test_fields_of_another_kind_are_refused() -> None:
    with pytest.raises(InvalidLegalBasis) as refused:
        LegalBasis("asylum_applicant", court="Baku Administrative Court").check(DAY)
    assert (refused.value.rule, refused.value.field) == ("legal_basis_fields", "legal_basis.court")
    with pytest.raises(InvalidLegalBasis):
        LegalBasis("voluntary_placement").check(DAY)  # needs the expulsion decision
    LegalBasis("voluntary_placement", decision_ref="EXP-77/2026").check(DAY)


@pytest.mark.parametrize(
    "admitted, end",
    [
        (date(2026, 11, 20), date(2027, 2, 20)),
        (date(2026, 11, 30), date(2027, 2, 28)),  # February of a common year
        (date(2027, 11, 30), date(2028, 2, 29)),  # February of a leap year
        (date(2027, 11, 29), date(2028, 2, 29)),
        (date(2028, 2, 29), date(2028, 5, 29)),  # admitted on a leap day
        (date(2026, 10, 31), date(2027, 1, 31)),  # across the year end
        (date(2026, 12, 31), date(2027, 3, 31)),
        (date(2027, 3, 31), date(2027, 6, 30)),  # 30-day month
    ],
)
def test_asylum_applicants_may_be_held_three_months_from_admission(
    admitted: date, end: date
) -> None:
    basis = LegalBasis("asylum_applicant")
    basis.check(admitted)
    assert domain.legal_end(basis, admitted, RULES) == end


def test_asylum_maximum_comes_from_the_rule_table() -> None:
    longer = Rules(date(2030, 1, 1), asylum_max_months=6)
    assert domain.legal_end(LegalBasis("asylum_applicant"), date(2030, 8, 31), longer) == date(
        2031, 2, 28
    )


def test_voluntary_placement_has_no_computed_end_unless_a_rule_sets_one() -> None:
    basis = LegalBasis("voluntary_placement", decision_ref="EXP-77/2026")
    assert domain.legal_end(basis, DAY, RULES) is None
    assert domain.legal_end(
        basis, DAY, Rules(date(2000, 1, 1), voluntary_placement_max_months=1)
    ) == date(2026, 12, 20)


# age -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "age, band",
    [
        (0, "0-13"),
        (13, "0-13"),
        (14, "14-17"),
        (17, "14-17"),
        (18, "18-34"),
        (34, "18-34"),
        (35, "35-64"),
        (64, "35-64"),
        (65, "65+"),
        (101, "65+"),
    ],
)
def test_age_bands(age: int, band: str) -> None:
    assert domain.age_band(age) == band


def test_age_counts_completed_years_and_leap_day_birthdays() -> None:
    assert domain.age_on(date(2008, 11, 21), DAY) == 17
    assert domain.age_on(date(2008, 11, 20), DAY) == 18
    assert domain.age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert domain.age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18
    with pytest.raises(ValueError):
        domain.age_band(-1)


def test_a_birth_date_after_the_admission_is_refused() -> None:
    with pytest.raises(InvalidParticulars) as refused:
        person(birth=DAY + timedelta(days=1)).age_on(DAY)
    assert refused.value.field == "person.birth_date"


# placement -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "category, sex",
    [
        ("men", "male"),
        ("women", "female"),
        ("vulnerable", "male"),
        ("vulnerable", "female"),
        ("vulnerable", "other"),
        ("vulnerable", "unknown"),
    ],
)
def test_adults_alone_go_to_units_of_their_sex_or_to_vulnerable_units(
    category: str, sex: str
) -> None:
    domain.check_placement(unit(category), person(sex), 30, None, RULES)


@pytest.mark.parametrize(
    "category, sex",
    [
        ("women", "male"),
        ("men", "female"),
        ("men", "other"),
        ("women", "unknown"),
    ],
)
def test_a_person_is_not_placed_in_a_unit_of_the_other_sex(category: str, sex: str) -> None:
    with pytest.raises(PlacementRefused) as refused:
        domain.check_placement(unit(category), person(sex), 30, None, RULES)
    assert refused.value.rule == "sex_matches_unit" and refused.value.unit_id == "baku-m1"
    assert "baku-m1" in refused.value.detail


@pytest.mark.parametrize("sex", ["male", "female"])
def test_family_units_are_for_families_only(sex: str) -> None:
    with pytest.raises(PlacementRefused) as refused:
        domain.check_placement(unit("family"), person(sex), 30, None, RULES)
    assert refused.value.rule == "family_unit_for_families" and refused.value.unit_id == "baku-m1"


def test_a_minor_needs_an_override_with_reason_and_approving_officer() -> None:
    with pytest.raises(PlacementRefused) as refused:
        domain.check_placement(unit(), person(), 17, None, RULES)
    assert (refused.value.rule, refused.value.field) == ("unaccompanied_minor", "minor_override")
    domain.check_placement(
        unit(),
        person(),
        17,
        MinorOverride("age disputed, assessment pending", "Lt. Mammadov"),
        RULES,
    )
    domain.check_placement(unit(), person(), 18, None, RULES)


def test_the_override_does_not_lift_the_other_placement_rules() -> None:
    with pytest.raises(PlacementRefused):
        domain.check_placement(unit("women"), person("male"), 16, MinorOverride("r", "o"), RULES)


def test_vulnerability_alerts_for_children_and_the_elderly() -> None:
    assert domain.vulnerability_alerts(17, RULES) == ("unaccompanied_child",)
    assert domain.vulnerability_alerts(40, RULES) == ()
    assert domain.vulnerability_alerts(65, RULES) == ("elderly",)


# the admission decision ----------------------------------------------------------------------
def test_an_admission_counts_from_its_day_in_baku_not_in_utc() -> None:
    """01:30 on 1 December in Baku is 21:30 UTC on 30 November. The stay's admission day is
    1 December, so a court order decided that day admits, a person born on 1 December 2008 is 18,
    and an asylum applicant's maximum runs from 1 December (the UTC day refused the order, made
    the adult a minor and ended the maximum a day early)."""
    night = datetime(2026, 11, 30, 21, 30, tzinfo=UTC)
    decided_today = replace(ORDER, decided_on=date(2026, 12, 1))
    adult = person(birth=date(2008, 12, 1))
    admission = domain.decide_admission(unit(), adult, decided_today, None, night, RULES)
    assert admission.age_band == "18-34" and admission.minor_override is None
    asylum = LegalBasis("asylum_applicant", decision_ref="AS-1/2026")
    applicant = domain.decide_admission(unit(), person(), asylum, None, night, RULES)
    assert applicant.legal_end == date(2027, 3, 1)  # three months from 1 December
    with pytest.raises(InvalidLegalBasis) as refused:  # a decision dated tomorrow in Baku
        domain.decide_admission(
            unit(), person(), replace(ORDER, decided_on=date(2026, 12, 2)), None, night, RULES
        )
    assert refused.value.rule == "decision_in_future"


def test_decide_admission_gathers_the_rules_outcome() -> None:
    admission = domain.decide_admission(unit(), person(), ORDER, None, NOON, RULES)
    assert admission.legal_end == date(2027, 2, 20)
    assert (
        admission.age_band == "35-64"
        and admission.alerts == ()
        and admission.minor_override is None
    )
    assert domain.STAY_ID.fullmatch(admission.stay_id)


def test_decide_admission_keeps_the_override_of_a_minor_only() -> None:
    override = MinorOverride("no family unit free tonight", "Lt. Mammadov")
    minor = domain.decide_admission(
        unit(), person(birth=date(2010, 1, 1)), ORDER, override, NOON, RULES
    )
    assert (
        minor.minor_override == override
        and minor.alerts == ("unaccompanied_child",)
        and minor.age_band == "14-17"
    )
    adult = domain.decide_admission(unit(), person(), ORDER, override, NOON, RULES)
    assert adult.minor_override is None


def test_decide_admission_refuses_on_any_broken_rule() -> None:
    with pytest.raises(InvalidLegalBasis):
        domain.decide_admission(
            unit(),
            person(),
            replace(ORDER, valid_until=date(2026, 11, 1), decided_on=date(2026, 10, 1)),
            None,
            NOON,
            RULES,
        )
    with pytest.raises(PlacementRefused):
        domain.decide_admission(unit("women"), person(), ORDER, None, NOON, RULES)


def test_stay_ids_are_uuids_that_sort_by_admission_time() -> None:
    ids = [domain.new_stay_id(NOON + timedelta(milliseconds=i)) for i in range(0, 50, 5)]
    assert ids == sorted(ids)
    assert all(
        re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", i)
        for i in ids
    )
    assert len({domain.new_stay_id(NOON) for _ in range(100)}) == 100


def test_a_stay_id_tells_its_admission_millisecond_and_sorts_around_its_first_id() -> None:
    """The stay list slices ids by admission time: each id sorts at or after the first id of its
    own millisecond and before the first id of the next one; other ids carry no time."""
    at = int(NOON.timestamp() * 1000)
    for millis in (at - 1, at, at + 1):
        stay_id = domain.new_stay_id(NOON + timedelta(milliseconds=millis - at))
        assert ids.admitted_ms(stay_id) == millis
        assert ids.first_id_at(millis) <= stay_id < ids.first_id_at(millis + 1)
    assert ids.admitted_ms(str(uuid.uuid4())) is None
    assert ids.admitted_ms("stay-00000001") is None
    assert ids.first_id_at(-5) == "00000000-0000"
    assert ids.first_id_at(1 << 60) == "ffffffff-ffff"


def test_centre_ids_are_slugs() -> None:
    domain.Centre("baku", "Baku Detention Centre", "Baku")
    with pytest.raises(domain.DetentionError):
        domain.Centre("$where", "x", "y")
