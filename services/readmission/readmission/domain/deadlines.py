"""The deadline engine: legal time limits of DESIGN §3.2 as a versioned rule table, and due dates.

Pure (stdlib + ``holidays``): no I/O, no clock. A rule version applies to deadlines whose clock
starts on or after its ``effective_from``; a computed deadline stores the version it used, so a
later rule never rewrites it. Working days are Monday–Friday minus the public holidays of the
*requested* state for replies, transfers and documents, of the *requesting* state for submission,
and an administrator's per-date overrides (passed in as data) win over the holiday library.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import holidays

from passage import errors
from readmission.domain.agreements import EU_AZ, NO_AZ, Source

AGREEMENT = EU_AZ
AZERBAIJAN = "AZ"
ANY_PROTOCOL = "*"
CALENDAR_DAYS, WORKING_DAYS, MONTHS = "calendar_days", "working_days", "months"
UNITS = (CALENDAR_DAYS, WORKING_DAYS, MONTHS)
# Which deadline runs from which moment of a request.
DEADLINE_KINDS = ("submit", "reply", "transfer", "travel_document", "take_back")
# A transit request's reply: runs from receipt of the transit application, not from a readmission
# request.
TRANSIT_REPLY = "transit_reply"
# The own-nationals article covers former nationals and family members too; the others fall under
# the third-country article, which alone has a submission limit.
OWN_NATIONAL_CATEGORIES = ("own_national", "former_national", "family_member")
SUBMISSION_LIMITED = ("third_country_national", "stateless")
# country -> ISO day -> working (True) or not (False): administrators' per-date calendar overrides.
Overrides = Mapping[str, Mapping[str, bool]]
NO_OVERRIDES: Overrides = {}


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
    extension_ceiling_days: int = (
        60  # reply limit may be extended to this many calendar days in total
    )
    # Reply to a transit application: the EU model agreements' 5 calendar days. Some agreements set
    # a different figure, so it is data like every other limit: a protocol version overrides it
    # here.
    transit_reply: Limit = Limit(5, CALENDAR_DAYS)
    deemed_acceptance: bool = True  # no reply in time = accepted
    # Where each value comes from, by limit name (submit, reply, take_back_own_nationals, …).
    sources: Mapping[str, Source] = field(default_factory=dict)

    def limit_name(self, kind: str, category: str = "") -> str:
        if kind == "take_back":
            return (
                "take_back_own_nationals"
                if category in OWN_NATIONAL_CATEGORIES
                else "take_back_others"
            )
        if kind not in (*DEADLINE_KINDS, TRANSIT_REPLY):
            raise ValueError(f"unknown deadline {kind}")
        return kind

    def limit(self, kind: str, category: str = "") -> Limit:
        return getattr(self, self.limit_name(kind, category))

    def source(self, kind: str, category: str = "") -> Source:
        name = self.limit_name(kind, category)
        return self.sources.get(name) or Source(self.agreement, "not recorded", None, False)


def has_limit(kind: str, category: str) -> bool:
    """Own nationals, former nationals and their family members have no submission limit."""
    return kind != "submit" or category in SUBMISSION_LIMITED


def _src(agreement: str, article: str, paragraph: str | None, note: str | None = None) -> Source:
    # None of the time limits was read in the official text yet (only third-party copies):
    # unverified.
    return Source(agreement, article, paragraph, verified=False, note=note)


def _sources(agreement: str) -> dict[str, Source]:
    return {
        "submit": _src(
            agreement,
            "Art. 11",
            "1",
            "6 months, third-country nationals and stateless persons; "
            "accelerated: Art. 7(3), 2 working days from apprehension",
        ),
        "reply": _src(
            agreement, "Art. 11", "2", "15 calendar days; accelerated 2 working days; up to 60 days"
        ),
        "transfer": _src(
            agreement, "Art. 11", "4", "3 months, extendable for legal or practical obstacles"
        ),
        "travel_document": _src(agreement, "Art. 3", "3", "travel document within 5 working days"),
        "take_back_own_nationals": _src(
            agreement, "Art. 3", None, "own-nationals article; readmission in error"
        ),
        "take_back_others": _src(
            agreement, "Art. 4", None, "third-country article; readmission in error"
        ),
        "transit_reply": _src(agreement, "Art. 13", None, "transit application reply"),
    }


def _rule(
    version: str, agreement: str, procedure: str, effective: date, **limits: Any
) -> RuleVersion:
    return RuleVersion(
        version=version,
        agreement=agreement,
        protocol=ANY_PROTOCOL,
        procedure=procedure,
        effective_from=effective,
        take_back_own_nationals=Limit(6, MONTHS),
        take_back_others=Limit(12, MONTHS),
        travel_document=Limit(5, WORKING_DAYS),
        transfer=Limit(3, MONTHS),
        sources=_sources(agreement),
        **limits,
    )


def _defaults(prefix: str, agreement: str, effective: date) -> tuple[RuleVersion, ...]:
    return (
        _rule(
            f"{prefix}.normal.2",
            agreement,
            "normal",
            effective,
            submit=Limit(6, MONTHS),
            reply=Limit(15, CALENDAR_DAYS),
        ),
        _rule(
            f"{prefix}.accelerated.2",
            agreement,
            "accelerated",
            effective,
            submit=Limit(2, WORKING_DAYS),
            reply=Limit(2, WORKING_DAYS),
        ),
    )


# Each agreement's defaults; protocols add their own versions to this table (Norway's agreement
# mirrors the EU's).
RULES: tuple[RuleVersion, ...] = (
    *_defaults("eu-az-2014", EU_AZ, date(2014, 9, 1)),
    *_defaults("no-az-2015", NO_AZ, date(2015, 6, 1)),
)


LIMIT_NAMES = (
    "submit",
    "reply",
    "transfer",
    "travel_document",
    "take_back_own_nationals",
    "take_back_others",
    "transit_reply",
)


def rule_from(agreement: str, doc: Mapping[str, Any]) -> RuleVersion:
    """A rule version an administrator recorded: each limit with its own source."""
    limits: dict[str, Any] = {
        n: Limit(doc["limits"][n]["amount"], doc["limits"][n]["unit"]) for n in LIMIT_NAMES
    }
    sources = {
        n: Source(
            agreement,
            doc["limits"][n]["article"],
            doc["limits"][n].get("paragraph"),
            bool(doc["limits"][n].get("verified")),
            doc["limits"][n].get("note"),
        )
        for n in LIMIT_NAMES
    }
    return RuleVersion(
        version=doc["version"],
        agreement=agreement,
        protocol=doc["protocol"],
        procedure=doc["procedure"],
        effective_from=date.fromisoformat(doc["effective_from"]),
        extension_ceiling_days=doc["extension_ceiling_days"],
        deemed_acceptance=doc["deemed_acceptance"],
        sources=sources,
        **limits,
    )


@lru_cache(maxsize=512)
def has_calendar(country: str) -> bool:
    """Whether the holiday library knows the country (working days cannot be counted otherwise)."""
    try:
        holidays.country_holidays(country)
        return True
    except NotImplementedError:
        return False


class NoRule(errors.RuleRefused):
    """No rule version is in force for this protocol and procedure on that day."""


def rule_on(
    rules: Sequence[RuleVersion],
    member_state: str,
    procedure: str,
    day: date,
    agreement: str = AGREEMENT,
) -> RuleVersion:
    """The version in force on ``day``: the member state's protocol first, else the defaults."""
    for protocol in (member_state, ANY_PROTOCOL):
        candidates = [
            r
            for r in rules
            if r.agreement == agreement
            and r.protocol == protocol
            and r.procedure == procedure
            and r.effective_from <= day
        ]
        if candidates:
            return max(candidates, key=lambda r: (r.effective_from, r.version))
    raise NoRule(f"no rule for {agreement}/{member_state}/{procedure} on {day.isoformat()}")


def requested_state(direction: str, member_state: str) -> str:
    """Azerbaijan answers incoming requests, the member state outgoing ones."""
    return AZERBAIJAN if direction == "incoming" else member_state


def requesting_state(direction: str, member_state: str) -> str:
    return member_state if direction == "incoming" else AZERBAIJAN


def calendar_of(kind: str, direction: str, member_state: str) -> str:
    """Whose working days count: the requesting state's for submission, the requested state's
    otherwise."""
    if kind == "submit":
        return requesting_state(direction, member_state)
    return requested_state(direction, member_state)


@lru_cache(maxsize=2048)
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year).keys())


def is_working_day(day: date, country: str, overrides: Overrides = NO_OVERRIDES) -> bool:
    """Monday–Friday minus public holidays, unless an administrator's override for that day says
    otherwise."""
    forced = (overrides.get(country) or {}).get(day.isoformat())
    if forced is not None:
        return forced
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def add_working_days(
    start: date, amount: int, country: str, overrides: Overrides = NO_OVERRIDES
) -> date:
    """The ``amount``-th working day after ``start`` (``start`` itself not counted)."""
    day, left = start, amount
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, country, overrides):
            left -= 1
    return day


def add_months(start: date, months: int) -> date:
    """Same day ``months`` later; the month's last day when it is shorter (31 Jan + 1 = 28/29
    Feb)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


def due_date(start: date, limit: Limit, country: str, overrides: Overrides = NO_OVERRIDES) -> date:
    if limit.unit == CALENDAR_DAYS:
        return start + timedelta(days=limit.amount)
    if limit.unit == MONTHS:
        return add_months(start, limit.amount)
    return add_working_days(start, limit.amount, country, overrides)


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
    source: Mapping[str, Any] | None = None  # agreement, article, paragraph, verified
    extensions: tuple[Mapping[str, Any], ...] = ()  # obstacles: reason, previous and new due day


def compute(
    rules: Sequence[RuleVersion],
    kind: str,
    *,
    member_state: str,
    direction: str,
    procedure: str,
    start: date,
    category: str = "",
    agreement: str = AGREEMENT,
    overrides: Overrides = NO_OVERRIDES,
) -> Deadline:
    """The deadline ``kind`` whose clock starts on ``start``, under the agreement's rule in force
    that day."""
    rule = rule_on(rules, member_state, procedure, start, agreement)
    limit = rule.limit(kind, category)
    country = calendar_of(kind, direction, member_state)
    ceiling = start + timedelta(days=rule.extension_ceiling_days) if kind == "reply" else None
    return Deadline(
        kind=kind,
        start_on=start,
        due_on=due_date(start, limit, country, overrides),
        unit=limit.unit,
        amount=limit.amount,
        calendar=country,
        rule_version=rule.version,
        deemed_acceptance=kind == "reply" and rule.deemed_acceptance,
        extension_ceiling_on=ceiling,
        source=rule.source(kind, category).as_dict(),
    )


# Limits the agreement lets the requesting state extend for as long as legal or practical obstacles
# last.
EXTENDABLE_FOR_OBSTACLES = ("submit", "transfer")


def extend_for_obstacles(deadline: Deadline, new_due: date, reason: str) -> Deadline:
    """``deadline`` moved to ``new_due`` while an obstacle lasts (reason and previous day kept)."""
    if deadline.kind not in EXTENDABLE_FOR_OBSTACLES:
        raise ExtensionRefused(f"the {deadline.kind} limit cannot be extended for obstacles")
    if new_due <= deadline.due_on:
        raise ExtensionRefused(f"the new date must lie after {deadline.due_on.isoformat()}")
    record = {"reason": reason, "from": deadline.due_on.isoformat(), "to": new_due.isoformat()}
    return replace(deadline, due_on=new_due, extensions=(*deadline.extensions, record))


class ExtensionRefused(errors.RuleRefused):
    """An extension beyond the rule's ceiling, or one that would shorten the limit."""


def extend_reply(deadline: Deadline, total_days: int) -> Deadline:
    """The reply deadline extended to ``total_days`` calendar days from receipt (≤ the ceiling)."""
    if deadline.kind != "reply" or deadline.extension_ceiling_on is None:
        raise ExtensionRefused("only the reply deadline can be extended")
    new_due = deadline.start_on + timedelta(days=total_days)
    if new_due > deadline.extension_ceiling_on:
        raise ExtensionRefused(
            f"the rule allows at most {(deadline.extension_ceiling_on - deadline.start_on).days} "
            "calendar days in total"
        )
    if new_due <= deadline.due_on:
        raise ExtensionRefused(f"the reply is already due on {deadline.due_on.isoformat()}")
    return replace(deadline, due_on=new_due, unit=CALENDAR_DAYS, amount=total_days)


def time_left(
    due_on: date, unit: str, country: str, today: date, overrides: Overrides = NO_OVERRIDES
) -> int:
    """Days left until the end of ``due_on``, in working days for working-day limits.

    0 = due today; negative = overdue (at least -1, even when only a weekend has passed).
    """
    if unit != WORKING_DAYS:
        return (due_on - today).days
    low, high = sorted((today, due_on))
    count = sum(
        1
        for n in range(1, (high - low).days + 1)
        if is_working_day(low + timedelta(days=n), country, overrides)
    )
    return count if due_on >= today else -max(1, count)


def is_passed(due_on: date, today: date) -> bool:
    """A deadline passes when its last day is over."""
    return today > due_on
