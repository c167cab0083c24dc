"""What a case needs next and by when, pure (stdlib only). Every write stores the answer on the
case (``next_action``/``next_action_due``) and moves the case in a small due-date calendar
(cases per day and kind), so the "needs action" list reads a few calendar rows, then one indexed
range just wide enough for the page, instead of everything due. The due periods are data,
versioned like every rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from voluntary_return.domain import reintegration


@dataclass(frozen=True)
class DuePeriods:
    """Days a caseworker has for each step (defaults; a later version takes effect from its
    date)."""

    version: int
    effective_from: date
    counselling_days: int = 7  # first counselling after referral or registration
    documents_days: int = 30  # travel document after eligibility
    booking_days: int = 14  # booking once ready to travel


DUE_TABLE: tuple[DuePeriods, ...] = (DuePeriods(1, date(2020, 1, 1)),)


def periods_on(day: date) -> DuePeriods:
    return max((p for p in DUE_TABLE if p.effective_from <= day), key=lambda p: p.effective_from)


def next_action(case: Mapping[str, Any], stage_since: date) -> tuple[str, date] | None:
    """(kind, due date) of what the case waits for, or None when nothing is due from the
    caseworker."""
    stage = case["stage"]
    periods = periods_on(stage_since)
    if stage in ("referred", "registered"):
        return "counselling_due", stage_since + timedelta(days=periods.counselling_days)
    if stage in ("eligible", "documents"):
        return "documents_pending", stage_since + timedelta(days=periods.documents_days)
    if stage == "travel_ready":
        return "booking_pending", stage_since + timedelta(days=periods.booking_days)
    if stage in ("arrived", "reintegration", "monitoring"):
        due = reintegration.next_visit_due((case.get("reintegration") or {}).get("monitoring", []))
        return ("monitoring_due", due) if due else None
    return None


Move = tuple[str, str, int]  # (kind, due date ISO, +1 | -1)


def calendar_moves(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Move]:
    """How the calendar changes when a case's next action goes from ``before`` to ``after``."""
    old: tuple[Any, Any] = (before.get("next_action"), before.get("next_action_due"))
    new: tuple[Any, Any] = (after.get("next_action"), after.get("next_action_due"))
    if old == new:
        return []
    moves = [(old[0], old[1], -1)] if old[1] else []
    return moves + ([(new[0], new[1], 1)] if new[1] else [])


def page_end(days: Sequence[tuple[str, int]], wanted: int) -> int:
    """How many of the (day, cases) rows, earliest first, cover ``wanted`` cases (all when
    fewer)."""
    total = 0
    for index, (_day, count) in enumerate(days):
        total += count
        if total >= wanted:
            return index + 1
    return len(days)
