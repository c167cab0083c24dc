"""Legal clocks of a stay (stdlib only): the local day, due dates, alert thresholds, extensions.

A clock is a date (the legal end, the next review). Thresholds are counted in days in the
centres' civil time, so a stay due "today" in Baku is due today even at 23:00 UTC the day before.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from detention.domain.model import DetentionError
from detention.domain.rules import local_day  # noqa: F401 (the clocks' day, kept in the rules)

WINDOW = re.compile(r"^([1-9][0-9]{0,2})d$", re.ASCII)
CLOCKS = ("legal_end", "review")
# The clock (and its once-only alert key) of a missing entry medical examination.
ENTRY_EXAMINATION = "entry_medical"


def window_days(window: str) -> int:
    """``"7d"`` → 7; anything else is refused."""
    match = WINDOW.fullmatch(window)
    if match is None:
        raise ValueError("a window is written like 7d or 14d")
    return int(match.group(1))


def due_on(legal_end: date | None, next_review: date | None) -> date | None:
    """The first clock of the stay to run out (what 'due within N days' lists)."""
    dates = [d for d in (legal_end, next_review) if d is not None]
    return min(dates) if dates else None


def threshold_crossed(
    due: date, today: date, thresholds: tuple[int, ...], emitted: frozenset[int]
) -> int | None:
    """The smallest threshold ``due`` has come within and that was not alerted yet, else None.

    Only the closest alert is sent: a stay admitted three days before its end gets the 7-day alert
    once (the 14-day one is then pointless and is counted as sent).
    """
    left = (due - today).days
    crossed = [t for t in thresholds if left <= t]
    if not crossed:
        return None
    closest = min(crossed)
    return None if closest in emitted else closest


def thresholds_covered(threshold: int, thresholds: tuple[int, ...]) -> list[int]:
    """The thresholds an alert at ``threshold`` makes pointless (itself and every larger one)."""
    return sorted(t for t in thresholds if t >= threshold)


def check_extension(
    current_end: date | None, decided_on: date, valid_until: date, today: date
) -> None:
    """A new court decision extends the stay: dated by now, and ending after the present end."""
    if decided_on > today:
        raise DetentionError(
            "decision_in_future", "The decision is dated in the future.", field="decided_on"
        )
    if valid_until < decided_on:
        raise DetentionError(
            "order_validity", "valid_until is before decided_on.", field="valid_until"
        )
    if current_end is not None and valid_until <= current_end:
        raise DetentionError(
            "extension_extends",
            f"An extension must end after the present legal end {current_end.isoformat()}.",
            field="valid_until",
        )


def check_review(next_review: date, today: date) -> None:
    if next_review <= today:
        raise DetentionError(
            "review_in_future", "The next review date must be after today.", field="next_review_on"
        )


def utc_ms(moment: datetime) -> datetime:
    """MongoDB keeps milliseconds: cut the rest so what is stored is what was returned."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
