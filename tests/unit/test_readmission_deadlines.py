"""The deadline engine against an independent, deliberately naive reference (Hypothesis).

The reference walks the calendar one day at a time, does month arithmetic by hand with its own
leap-year rule, and picks rules by a plain scan; the engine must agree on every generated case:
month ends, leap days, holidays, weekends, extensions and rule changes.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import holidays
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from readmission import deadlines as dl
from readmission.protocols import MEMBER_STATES

COUNTRIES = sorted(MEMBER_STATES)
KINDS = ("submit", "reply", "transfer", "travel_document", "take_back")
CATEGORIES = ("own_national", "former_national", "third_country_national", "stateless", "family_member")


# ---- the reference ------------------------------------------------------------------------------
def ref_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def ref_month_length(year: int, month: int) -> int:
    return [31, 29 if ref_leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]


def ref_add_months(start: date, months: int) -> date:
    year, month = start.year, start.month
    for _ in range(months):
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return date(year, month, min(start.day, ref_month_length(year, month)))


def ref_working(day: date, country: str) -> bool:
    return day.isoweekday() not in (6, 7) and day not in holidays.country_holidays(country, years=[day.year])


def ref_due(start: date, amount: int, unit: str, country: str) -> date:
    if unit == "calendar_days":
        return date.fromordinal(start.toordinal() + amount)
    if unit == "months":
        return ref_add_months(start, amount)
    day, counted = start, 0
    while counted < amount:
        day = day + timedelta(days=1)
        counted += ref_working(day, country)
    return day


def ref_rule(table: list[dl.RuleVersion], member_state: str, procedure: str, day: date) -> dl.RuleVersion:
    best = None
    for protocol in (member_state, "*"):
        for rule in table:
            if rule.protocol == protocol and rule.procedure == procedure and rule.effective_from <= day:
                if best is None or (rule.effective_from, rule.version) > (best.effective_from, best.version):
                    best = rule
        if best is not None:
            return best
    raise LookupError


def ref_limit(rule: dl.RuleVersion, kind: str, category: str) -> dl.Limit:
    if kind == "take_back":
        return rule.take_back_own_nationals if category == "own_national" else rule.take_back_others
    return {"submit": rule.submit, "reply": rule.reply, "transfer": rule.transfer,
            "travel_document": rule.travel_document}[kind]


# ---- generators ---------------------------------------------------------------------------------
@st.composite
def days(draw: Any) -> date:
    """Any day, or one of the awkward ones: a month's end, a leap day, a public holiday, a Friday."""
    year = draw(st.integers(2014, 2032))
    month = draw(st.integers(1, 12))
    kind = draw(st.sampled_from(["any", "month_end", "leap", "holiday", "friday"]))
    if kind == "month_end":
        return date(year, month, ref_month_length(year, month))
    if kind == "leap":
        leap_year = draw(st.sampled_from([2016, 2020, 2024, 2028, 2032]))
        return date(leap_year, 2, draw(st.sampled_from([28, 29])))
    if kind == "holiday":
        country = draw(st.sampled_from(["AZ", *COUNTRIES]))
        return draw(st.sampled_from(sorted(holidays.country_holidays(country, years=year))))
    day = date(year, month, draw(st.integers(1, ref_month_length(year, month))))
    return day + timedelta(days=(4 - day.weekday()) % 7) if kind == "friday" else day


limits = st.one_of(st.builds(dl.Limit, st.integers(0, 70), st.just("calendar_days")),
                   st.builds(dl.Limit, st.integers(0, 15), st.just("working_days")),
                   st.builds(dl.Limit, st.integers(0, 24), st.just("months")))


@st.composite
def rule_tables(draw: Any) -> list[dl.RuleVersion]:
    """The default table plus 0–3 changes (some for one protocol only), each from its own date."""
    table = list(dl.RULES)
    for n in range(draw(st.integers(0, 3))):
        table.append(dl.RuleVersion(
            version=f"change-{n}", agreement=dl.AGREEMENT, protocol=draw(st.sampled_from(["*", *COUNTRIES[:5]])),
            procedure=draw(st.sampled_from(["normal", "accelerated"])), effective_from=draw(days()),
            submit=draw(limits), reply=draw(limits), transfer=draw(limits), travel_document=draw(limits),
            take_back_own_nationals=draw(limits), take_back_others=draw(limits),
            extension_ceiling_days=draw(st.integers(15, 90)), deemed_acceptance=draw(st.booleans())))
    return table


cases = st.fixed_dictionaries({
    "table": rule_tables(), "kind": st.sampled_from(KINDS), "member_state": st.sampled_from(COUNTRIES),
    "direction": st.sampled_from(["incoming", "outgoing"]), "procedure": st.sampled_from(["normal", "accelerated"]),
    "start": days(), "category": st.sampled_from(CATEGORIES), "extension": st.integers(1, 120),
})


def not_in_force(case: dict[str, Any]) -> bool:
    """Before any rule is in force the engine must refuse, as the reference does."""
    try:
        ref_rule(case["table"], case["member_state"], case["procedure"], case["start"])
        return False
    except LookupError:
        with pytest.raises(dl.NoRule):
            dl.compute(case["table"], "reply", member_state=case["member_state"], direction=case["direction"],
                       procedure=case["procedure"], start=case["start"])
        return True


# ---- the properties -----------------------------------------------------------------------------
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases)
def test_due_dates_match_the_reference(case: dict[str, Any]) -> None:
    if not_in_force(case):
        return
    rule = ref_rule(case["table"], case["member_state"], case["procedure"], case["start"])
    limit = ref_limit(rule, case["kind"], case["category"])
    country = "AZ" if case["direction"] == "incoming" else case["member_state"]
    got = dl.compute(case["table"], case["kind"], member_state=case["member_state"], direction=case["direction"],
                     procedure=case["procedure"], start=case["start"], category=case["category"])
    assert (got.due_on, got.rule_version, got.unit, got.amount, got.calendar) == (
        ref_due(case["start"], limit.amount, limit.unit, country), rule.version, limit.unit, limit.amount, country)
    assert got.deemed_acceptance == (case["kind"] == "reply" and rule.deemed_acceptance)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases)
def test_extensions_match_the_reference(case: dict[str, Any]) -> None:
    if not_in_force(case):
        return
    reply = dl.compute(case["table"], "reply", member_state=case["member_state"], direction=case["direction"],
                       procedure=case["procedure"], start=case["start"])
    ceiling_days = ref_rule(case["table"], case["member_state"], case["procedure"], case["start"]).extension_ceiling_days
    wanted = date.fromordinal(case["start"].toordinal() + case["extension"])
    if case["extension"] > ceiling_days or wanted <= reply.due_on:
        with pytest.raises(dl.ExtensionRefused):
            dl.extend_reply(reply, case["extension"])
        return
    extended = dl.extend_reply(reply, case["extension"])
    assert (extended.due_on, extended.rule_version, extended.unit) == (wanted, reply.rule_version, "calendar_days")


@settings(max_examples=500, deadline=None)
@given(days(), days(), st.sampled_from(["AZ", *COUNTRIES]))
# Edges the generator rarely reaches, tried on every run: overdue across a weekend only (Fri → Sat,
# Sun, Mon), due on a Monday seen at the weekend, a run of holidays (Baku 8–10 Nov 2026, German Christmas).
@example(today=date(2026, 11, 7), due=date(2026, 11, 6), country="DE")
@example(today=date(2026, 11, 8), due=date(2026, 11, 6), country="DE")
@example(today=date(2026, 11, 9), due=date(2026, 11, 6), country="DE")
@example(today=date(2026, 11, 7), due=date(2026, 11, 9), country="DE")
@example(today=date(2026, 11, 11), due=date(2026, 11, 6), country="AZ")
@example(today=date(2026, 11, 6), due=date(2026, 11, 11), country="AZ")
@example(today=date(2026, 12, 28), due=date(2026, 12, 24), country="DE")
@example(today=date(2026, 11, 6), due=date(2026, 11, 6), country="AZ")
def test_working_days_left_match_a_day_by_day_count(today: date, due: date, country: str) -> None:
    if abs((due - today).days) > 400:
        due = today + timedelta(days=(due - today).days % 400)
    step = 1 if due >= today else -1
    count, day = 0, today
    while day != due:
        day += timedelta(days=step)
        count += ref_working(day if step > 0 else day + timedelta(days=1), country)
    expected = count if due >= today else -max(1, count)
    assert dl.time_left(due, "working_days", country, today) == expected
    assert dl.time_left(due, "calendar_days", country, today) == due.toordinal() - today.toordinal()


def test_a_rule_change_applies_from_its_date_and_never_rewrites_earlier_deadlines() -> None:
    change = dl.RuleVersion(version="de-2027", agreement=dl.AGREEMENT, protocol="DE", procedure="normal",
                            effective_from=date(2027, 1, 1), submit=dl.Limit(12, "months"),
                            reply=dl.Limit(10, "working_days"), transfer=dl.Limit(3, "months"),
                            travel_document=dl.Limit(5, "working_days"), take_back_own_nationals=dl.Limit(6, "months"),
                            take_back_others=dl.Limit(12, "months"), deemed_acceptance=False)
    table = [*dl.RULES, change]
    before = dl.compute(table, "reply", member_state="DE", direction="outgoing", procedure="normal", start=date(2026, 12, 31))
    after = dl.compute(table, "reply", member_state="DE", direction="outgoing", procedure="normal", start=date(2027, 1, 1))
    assert (before.rule_version, before.due_on, before.deemed_acceptance) == ("eu-az-2014.normal.1", date(2027, 1, 15), True)
    assert (after.rule_version, after.unit, after.deemed_acceptance) == ("de-2027", "working_days", False)
    assert after.due_on == date(2027, 1, 15)  # 1 Jan holiday; 2 Jan a Saturday: 10 working days from 4 Jan
    other = dl.compute(table, "reply", member_state="FR", direction="outgoing", procedure="normal", start=date(2027, 1, 1))
    assert other.rule_version == "eu-az-2014.normal.1"  # another protocol keeps the defaults


def test_the_agreements_defaults_and_whose_holidays_count() -> None:
    # Incoming accelerated request received on Friday 19 Dec 2025: AZ holidays (31 Dec, 1–2 Jan) do not fall
    # inside; the 2 working days are Mon 22 and Tue 23 Dec.
    got = dl.compute(dl.RULES, "reply", member_state="DE", direction="incoming", procedure="accelerated",
                     start=date(2025, 12, 19))
    assert (got.due_on, got.calendar) == (date(2025, 12, 23), "AZ")
    # Outgoing to Germany on Tue 23 Dec 2025: 24 Dec is a working day, 25–26 Dec holidays → Mon 29 Dec.
    got = dl.compute(dl.RULES, "reply", member_state="DE", direction="outgoing", procedure="accelerated",
                     start=date(2025, 12, 23))
    assert (got.due_on, got.calendar) == (date(2025, 12, 29), "DE")
    assert dl.add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert dl.compute(dl.RULES, "take_back", member_state="DE", direction="outgoing", procedure="normal",
                      start=date(2026, 8, 31), category="own_national").due_on == date(2027, 2, 28)
    with pytest.raises(dl.NoRule):
        dl.rule_on(dl.RULES, "DE", "normal", date(2014, 8, 31))
