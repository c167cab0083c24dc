"""Detention's rule table: numbers set by law or standards, held as dated data (stdlib only).

A change takes effect from a date without rewriting history: every computation asks for the
rules in force on the day it concerns (the admission day, the day a unit is assessed).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Rules:
    """The values in force from ``effective_from`` until the next entry of the table."""

    effective_from: date
    # CPT standard: living space per detainee, sanitary area excluded.
    cpt_m2_per_person_shared: float = 4.0
    cpt_m2_single_room: float = 6.0
    # Asylum applicants: up to 3 months from admission (3 more when status is granted: issue 3).
    asylum_max_months: int = 3
    asylum_extension_months: int = 3
    # No statutory maximum is recorded for voluntary placement yet; None = no computed legal end.
    voluntary_placement_max_months: int | None = None
    adult_age: int = 18
    elderly_age: int = 65
    # Legal clocks: days before a legal end or review at which staff are alerted (0 = the day itself).
    deadline_thresholds_days: tuple[int, ...] = (14, 7, 1, 0)
    # A stay is reviewed this many days after admission unless a review sets another date.
    review_interval_days: int = 30
    # The centres' civil time: "today" for clocks and daily occupancy is the day there.
    time_zone: str = "Asia/Baku"


# The baseline entry; a new law or standard is a new entry with its own effective date.
RULE_TABLE: tuple[Rules, ...] = (Rules(effective_from=date(2000, 1, 1)),)


class NoRulesInForce(LookupError):
    """The rule table has no entry for the day asked about."""


def rules_on(day: date, table: tuple[Rules, ...] = RULE_TABLE) -> Rules:
    """The entry in force on ``day``: the latest one whose ``effective_from`` is not after it."""
    in_force = [rules for rules in table if rules.effective_from <= day]
    if not in_force:
        raise NoRulesInForce(f"no detention rules in force on {day.isoformat()}")
    return max(in_force, key=lambda rules: rules.effective_from)
