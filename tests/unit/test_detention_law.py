"""Detention law as data without I/O: every figure has its source, nothing unread is presented as
verified, and the statutory maximum refuses an end date past it with the rule and its source."""

from __future__ import annotations

from dataclasses import fields
from datetime import date

import pytest

from detention.domain import law
from detention.domain.rules import RULE_TABLE, Rules, rules_on

TODAY = date(2026, 11, 20)


def test_every_figure_of_detention_law_carries_a_source_and_none_is_claimed_verified() -> None:
    rules = rules_on(TODAY)
    named = {f.name for f in fields(Rules)}
    for row in law.figures(rules):
        assert row["rule"] in named and row["source"]["law"]
        assert (
            row["source"]["verified"] is False and row["source"]["note"]
        )  # nothing was read in an official text
    assert {*law.MAXIMUM_RULE.values(), *law.EXTENSION_RULE.values()} <= set(rules.sources)


def test_the_shipped_table_sets_no_court_order_maximum_so_nothing_lawful_is_refused() -> None:
    rules = rules_on(TODAY)
    assert law.last_lawful_day("court_order", TODAY, rules) is None
    law.check_within("court_order", TODAY, date(2030, 1, 1), rules)


@pytest.mark.parametrize("extended, last", [(False, date(2027, 2, 20)), (True, date(2027, 5, 20))])
def test_asylum_applicants_are_held_three_months_and_three_more_once_status_is_granted(
    extended: bool, last: date
) -> None:
    rules = rules_on(TODAY)
    assert law.last_lawful_day("asylum_applicant", TODAY, rules, extended) == last
    law.check_within("asylum_applicant", TODAY, last, rules, extended=extended)
    with pytest.raises(law.BeyondStatutoryMaximum) as refused:
        law.check_within(
            "asylum_applicant",
            TODAY,
            date.fromordinal(last.toordinal() + 1),
            rules,
            extended=extended,
        )
    expected_rule = "asylum_extension_months" if extended else "asylum_max_months"
    assert (refused.value.rule, refused.value.source["rule"], refused.value.last_day) == (
        "statutory_maximum",
        expected_rule,
        last,
    )


def test_a_maximum_entered_from_a_date_applies_from_that_date() -> None:
    table = (*RULE_TABLE, Rules(effective_from=date(2027, 1, 1), court_order_max_months=6))
    assert law.last_lawful_day("court_order", TODAY, rules_on(TODAY, table)) is None
    later = date(2027, 1, 10)
    assert law.last_lawful_day("court_order", later, rules_on(later, table)) == date(2027, 7, 10)
