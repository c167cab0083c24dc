"""Detention's rule table: numbers set by law or standards, held as dated data (stdlib only).

A change takes effect from a date without rewriting history: every computation asks for the
rules in force on the day it concerns (the admission day, the day a unit is assessed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MIGRATION_CODE = "Migration Code of the Republic of Azerbaijan (Law No. 713-IVQ of 2 July 2013)"
VOLUNTARY_PLACEMENT_RULES = (
    "Rules on voluntary placement in the State Migration Service's detention centres "
    "(Cabinet of Ministers Decision No. 267 of 3 December 2008, amended by No. 130 of 5 May 2014)"
)


@dataclass(frozen=True)
class Source:
    """Where a figure comes from; ``verified`` only when the official text was actually read."""

    law: str
    article: str | None
    paragraph: str | None
    verified: bool
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "law": self.law,
            "article": self.article,
            "paragraph": self.paragraph,
            "verified": self.verified,
            "note": self.note,
        }


# Searched for issue #10: only unofficial translations of the Migration Code and the titles of the
# acts were readable; no article fixing these figures was read in an official text.
_UNREAD = (
    "The article fixing this figure was not read in an official text; "
    "confirm it before relying on it."
)
SOURCES: Mapping[str, Source] = {
    "court_order_max_months": Source(
        MIGRATION_CODE,
        None,
        None,
        False,
        "No statutory maximum could be confirmed; "
        "the court order's valid-until date is the legal end. " + _UNREAD,
    ),
    "voluntary_placement_max_months": Source(
        VOLUNTARY_PLACEMENT_RULES,
        None,
        None,
        False,
        "No maximum found for a voluntary placement. " + _UNREAD,
    ),
    "asylum_max_months": Source(
        MIGRATION_CODE, None, None, False, "3 months: DESIGN §3.1. " + _UNREAD
    ),
    "asylum_extension_months": Source(
        MIGRATION_CODE,
        None,
        None,
        False,
        "A further 3 months once status is granted: DESIGN §3.1, issue #10. " + _UNREAD,
    ),
    "entry_examination_alert_hours": Source(
        MIGRATION_CODE,
        None,
        None,
        False,
        "The law requires an examination on "
        "entry (DESIGN §3.1); 24 hours is the service's alert threshold, "
        "not a statutory limit. " + _UNREAD,
    ),
}


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
    # None: no maximum beyond the order's own valid-until date (see SOURCES).
    court_order_max_months: int | None = None
    # A stay without its entry medical examination this long after admission raises an alert.
    entry_examination_alert_hours: int = 24
    # Each figure above by name → its source (law, article, paragraph, verified).
    sources: Mapping[str, Source] = field(default_factory=lambda: SOURCES)
    adult_age: int = 18
    elderly_age: int = 65
    # Legal clocks: days before a legal end or review at which staff are alerted (0 = the day
    # itself).
    deadline_thresholds_days: tuple[int, ...] = (14, 7, 1, 0)
    # A stay is reviewed this many days after admission unless a review sets another date.
    review_interval_days: int = 30
    # The centres' civil time: "today" for clocks and daily occupancy is the day there.
    time_zone: str = "Asia/Baku"


# The baseline entry; a new law or standard is a new entry with its own effective date.
RULE_TABLE: tuple[Rules, ...] = (Rules(effective_from=date(2000, 1, 1)),)


def local_day(moment: datetime, time_zone: str) -> date:
    """The calendar day ``moment`` falls on in ``time_zone`` (a naive moment is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        zone: timezone | ZoneInfo = ZoneInfo(time_zone)
    except ZoneInfoNotFoundError:  # no tz database on the host: Baku has kept UTC+4 since 2016
        zone = timezone(timedelta(hours=4))
    return moment.astimezone(zone).date()


class NoRulesInForce(LookupError):
    """The rule table has no entry for the day asked about."""


def rules_on(day: date, table: tuple[Rules, ...] = RULE_TABLE) -> Rules:
    """The entry in force on ``day``: the latest one whose ``effective_from`` is not after it."""
    in_force = [rules for rules in table if rules.effective_from <= day]
    if not in_force:
        raise NoRulesInForce(f"no detention rules in force on {day.isoformat()}")
    return max(in_force, key=lambda rules: rules.effective_from)
