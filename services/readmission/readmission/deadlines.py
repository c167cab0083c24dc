"""The deadline engine: legal time limits of DESIGN §3.2 as a versioned rule table, and due dates.

Pure (stdlib + ``holidays``): no I/O, no clock. A rule version applies to deadlines whose clock
starts on or after its ``effective_from``; a computed deadline stores the version it used, so a
later rule never rewrites it. Working days are Monday–Friday minus the public holidays of the
*requested* state (Azerbaijan for incoming requests, the member state for outgoing ones).
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Mapping, Sequence

import holidays

AGREEMENT = "EU-AZ"
AZERBAIJAN = "AZ"
ANY_PROTOCOL = "*"
CALENDAR_DAYS, WORKING_DAYS, MONTHS = "calendar_days", "working_days", "months"
UNITS = (CALENDAR_DAYS, WORKING_DAYS, MONTHS)
# Which deadline runs from which moment of a request.
DEADLINE_KINDS = ("submit", "reply", "transfer", "travel_document", "take_back")
# A transit request's reply: runs from receipt of the transit application, not from a readmission request.
TRANSIT_REPLY = "transit_reply"
OWN_NATIONAL_CATEGORIES = ("own_national",)


@dataclass(frozen=True)
class Limit:
    """``amount`` of ``unit`` counted from the day the clock starts (that day excluded)."""

    amount: int
    unit: str

    def __post_init__(self) -> None:
        if self.unit not in UNITS or self.amount < 0:
            raise ValueError(f"bad limit {self.amount} {self.unit}")


@dataclass(frozen=True)
class RuleVersion:
    """Every limit for one (agreement, protocol, procedure), in force from ``effective_from``."""

    version: str
    agreement: str
    protocol: str  # member state code, or "*" for the agreement's defaults
    procedure: str  # normal | accelerated
    effective_from: date
    submit: Limit
    reply: Limit
    transfer: Limit
    travel_document: Limit
    take_back_own_nationals: Limit
    take_back_others: Limit
    extension_ceiling_days: int = 60  # reply limit may be extended to this many calendar days in total
    # Reply to a transit application: the EU model agreements' 5 calendar days. Some agreements set a
    # different figure, so it is data like every other limit: a protocol version overrides it here.
    transit_reply: Limit = Limit(5, CALENDAR_DAYS)
    deemed_acceptance: bool = True  # no reply in time = accepted

    def limit(self, kind: str, category: str = "") -> Limit:
        if kind == "take_back":
            return self.take_back_own_nationals if category in OWN_NATIONAL_CATEGORIES else self.take_back_others
        if kind not in (*DEADLINE_KINDS, TRANSIT_REPLY):
            raise ValueError(f"unknown deadline {kind}")
        return getattr(self, kind)


def _rule(version: str, procedure: str, effective: date, **limits: Limit) -> RuleVersion:
    return RuleVersion(version=version, agreement=AGREEMENT, protocol=ANY_PROTOCOL, procedure=procedure,
                       effective_from=effective, take_back_own_nationals=Limit(6, MONTHS),
                       take_back_others=Limit(12, MONTHS), travel_document=Limit(5, WORKING_DAYS), **limits)


# The agreement's defaults (in force 1 Sep 2014); protocols add their own versions to this table.
RULES: tuple[RuleVersion, ...] = (
    _rule("eu-az-2014.normal.1", "normal", date(2014, 9, 1), submit=Limit(12, MONTHS),
          reply=Limit(15, CALENDAR_DAYS), transfer=Limit(3, MONTHS)),
    _rule("eu-az-2014.accelerated.1", "accelerated", date(2014, 9, 1), submit=Limit(2, WORKING_DAYS),
          reply=Limit(2, WORKING_DAYS), transfer=Limit(2, WORKING_DAYS)),
)


class NoRule(LookupError):
    """No rule version is in force for this protocol and procedure on that day."""


def rule_on(rules: Sequence[RuleVersion], member_state: str, procedure: str, day: date,
            agreement: str = AGREEMENT) -> RuleVersion:
    """The version in force on ``day``: the member state's protocol first, else the defaults."""
    for protocol in (member_state, ANY_PROTOCOL):
        candidates = [r for r in rules if r.agreement == agreement and r.protocol == protocol
                      and r.procedure == procedure and r.effective_from <= day]
        if candidates:
            return max(candidates, key=lambda r: (r.effective_from, r.version))
    raise NoRule(f"no rule for {agreement}/{member_state}/{procedure} on {day.isoformat()}")


def requested_state(direction: str, member_state: str) -> str:
    """Whose holidays count: Azerbaijan answers incoming requests, the member state outgoing ones."""
    return AZERBAIJAN if direction == "incoming" else member_state


@lru_cache(maxsize=2048)
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year).keys())


def is_working_day(day: date, country: str) -> bool:
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def add_working_days(start: date, amount: int, country: str) -> date:
    """The ``amount``-th working day after ``start`` (``start`` itself not counted)."""
    day, left = start, amount
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, country):
            left -= 1
    return day


def add_months(start: date, months: int) -> date:
    """Same day ``months`` later; the month's last day when it is shorter (31 Jan + 1 = 28/29 Feb)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


def due_date(start: date, limit: Limit, country: str) -> date:
    if limit.unit == CALENDAR_DAYS:
        return start + timedelta(days=limit.amount)
    if limit.unit == MONTHS:
        return add_months(start, limit.amount)
    return add_working_days(start, limit.amount, country)


@dataclass(frozen=True)
class Deadline:
    """One computed deadline: due at the end of ``due_on`` (UTC), under ``rule_version``."""

    kind: str
    start_on: date
    due_on: date
    unit: str
    amount: int
    calendar: str  # country whose working days count
    rule_version: str
    deemed_acceptance: bool = False
    extension_ceiling_on: date | None = None
    extra: Mapping[str, object] = field(default_factory=dict)


def compute(rules: Sequence[RuleVersion], kind: str, *, member_state: str, direction: str, procedure: str,
            start: date, category: str = "") -> Deadline:
    """The deadline ``kind`` whose clock starts on ``start``, under the rule in force that day."""
    rule = rule_on(rules, member_state, procedure, start)
    limit = rule.limit(kind, category)
    country = requested_state(direction, member_state)
    ceiling = start + timedelta(days=rule.extension_ceiling_days) if kind == "reply" else None
    return Deadline(kind=kind, start_on=start, due_on=due_date(start, limit, country), unit=limit.unit,
                    amount=limit.amount, calendar=country, rule_version=rule.version,
                    deemed_acceptance=kind == "reply" and rule.deemed_acceptance, extension_ceiling_on=ceiling)


class ExtensionRefused(ValueError):
    """An extension beyond the rule's ceiling, or one that would shorten the limit."""


def extend_reply(deadline: Deadline, total_days: int) -> Deadline:
    """The reply deadline extended to ``total_days`` calendar days from receipt (≤ the ceiling)."""
    if deadline.kind != "reply" or deadline.extension_ceiling_on is None:
        raise ExtensionRefused("only the reply deadline can be extended")
    new_due = deadline.start_on + timedelta(days=total_days)
    if new_due > deadline.extension_ceiling_on:
        raise ExtensionRefused(f"the rule allows at most {(deadline.extension_ceiling_on - deadline.start_on).days} "
                               "calendar days in total")
    if new_due <= deadline.due_on:
        raise ExtensionRefused(f"the reply is already due on {deadline.due_on.isoformat()}")
    return Deadline(kind="reply", start_on=deadline.start_on, due_on=new_due, unit=CALENDAR_DAYS, amount=total_days,
                    calendar=deadline.calendar, rule_version=deadline.rule_version,
                    deemed_acceptance=deadline.deemed_acceptance, extension_ceiling_on=deadline.extension_ceiling_on)


def time_left(due_on: date, unit: str, country: str, today: date) -> int:
    """Days left until the end of ``due_on``, in working days for working-day limits.

    0 = due today; negative = overdue (at least -1, even when only a weekend has passed).
    """
    if unit != WORKING_DAYS:
        return (due_on - today).days
    low, high = sorted((today, due_on))
    count = sum(1 for n in range(1, (high - low).days + 1) if is_working_day(low + timedelta(days=n), country))
    return count if due_on >= today else -max(1, count)


def is_passed(due_on: date, today: date) -> bool:
    """A deadline passes when its last day is over."""
    return today > due_on
