"""Statutory maxima of the legal bases (stdlib only): the last lawful day of a stay, and the refusal
of a decision that would go past it, naming the rule and its source from the rule table.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from detention.domain.model import DetentionError, add_months
from detention.domain.rules import Rules, Source

# legal basis → the rule-table figure holding its maximum in months
MAXIMUM_RULE = {
    "court_order": "court_order_max_months",
    "voluntary_placement": "voluntary_placement_max_months",
    "asylum_applicant": "asylum_max_months",
}
EXTENSION_RULE = {"asylum_applicant": "asylum_extension_months"}


class BeyondStatutoryMaximum(DetentionError):
    """A decision would hold a person beyond the legal basis's statutory maximum (422, with the
    source)."""

    def __init__(self, basis: str, rule: str, last_day: date, source: Source, field: str) -> None:
        state = "verified" if source.verified else "unverified"
        super().__init__(
            "statutory_maximum",
            f"A {basis} allows holding a person until {last_day.isoformat()} at "
            f"the most ({rule}: {source.law}, {state}); the decision goes beyond it.",
            field=field,
        )
        self.source = {"rule": rule, **source.as_dict()}
        self.last_day = last_day
        self.extra.update(source=self.source, last_lawful_day=last_day.isoformat())


def last_lawful_day(
    basis: str, admitted_on: date, rules: Rules, extended: bool = False
) -> date | None:
    """The last day ``basis`` allows from admission (with its further months when ``extended``)."""
    months = getattr(rules, MAXIMUM_RULE[basis])
    if months is None:
        return None
    if extended and basis in EXTENSION_RULE:
        months += getattr(rules, EXTENSION_RULE[basis])
    return add_months(admitted_on, months)


def check_within(
    basis: str,
    admitted_on: date,
    until: date,
    rules: Rules,
    *,
    extended: bool = False,
    field: str = "valid_until",
) -> None:
    """Refuse an end date past the statutory maximum of ``basis``."""
    last_day = last_lawful_day(basis, admitted_on, rules, extended)
    if last_day is None or until <= last_day:
        return
    rule = EXTENSION_RULE[basis] if extended and basis in EXTENSION_RULE else MAXIMUM_RULE[basis]
    raise BeyondStatutoryMaximum(basis, rule, last_day, rules.sources[rule], field)


def figures(rules: Rules) -> list[dict[str, Any]]:
    """Every figure of detention law in force, with its source (unverified ones flagged)."""
    return [
        {"rule": name, "value": getattr(rules, name), "source": source.as_dict()}
        for name, source in rules.sources.items()
    ]
