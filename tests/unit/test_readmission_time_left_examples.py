"""Fixed, hand-counted examples for the worklist's time left and the working-day due dates around
weekends and public holidays — the edges a random generator reaches only sometimes, checked on
every run. Calendars (from the ``holidays`` library, as the service uses it):

November 2026: Mon 2 … Fri 6, Sat 7, Sun 8, Mon 9 … Fri 13. Azerbaijan: Sun 8 Victory Day,
Mon 9 National Flag Day, Tue 10 Victory Day (observed). December 2026 in Germany: Thu 24 is a
working day, Fri 25 and Sat 26 Christmas.
"""

from __future__ import annotations

from datetime import date

import pytest

from readmission.domain import deadlines as dl

WD, CD = "working_days", "calendar_days"


def d(text: str) -> date:
    return date.fromisoformat(text)


# (due on, today, country, unit, expected time left) — counted by hand on the calendar above.
TIME_LEFT = [
    ("2026-11-06", "2026-11-06", "DE", WD, 0),  # Friday, due today
    (
        "2026-11-06",
        "2026-11-07",
        "DE",
        WD,
        -1,
    ),  # Saturday after a Friday deadline: overdue, no working day gone
    ("2026-11-06", "2026-11-08", "DE", WD, -1),  # Sunday: still one day overdue, not 0 and not -2
    ("2026-11-06", "2026-11-09", "DE", WD, -1),  # Monday: one working day (Monday) has passed
    ("2026-11-06", "2026-11-10", "DE", WD, -2),  # Tuesday
    ("2026-11-06", "2026-11-13", "DE", WD, -5),  # a whole week later
    ("2026-11-09", "2026-11-06", "DE", WD, 1),  # due Monday, seen on Friday: only Monday is left
    ("2026-11-09", "2026-11-07", "DE", WD, 1),  # ... on Saturday
    ("2026-11-09", "2026-11-08", "DE", WD, 1),  # ... on Sunday
    ("2026-11-09", "2026-11-05", "DE", WD, 2),  # ... on Thursday: Friday and Monday
    ("2026-11-09", "2026-11-09", "DE", WD, 0),
    ("2026-11-06", "2026-11-09", "DE", CD, -3),  # calendar days count the weekend
    ("2026-11-09", "2026-11-06", "DE", CD, 3),
    (
        "2026-12-24",
        "2026-12-28",
        "DE",
        WD,
        -1,
    ),  # Christmas Friday and the weekend are not working days
    ("2026-12-24", "2026-12-29", "DE", WD, -2),
    ("2026-12-28", "2026-12-24", "DE", WD, 1),
    ("2026-12-28", "2026-12-23", "DE", WD, 2),
    (
        "2026-11-06",
        "2026-11-11",
        "AZ",
        WD,
        -1,
    ),  # Baku: Mon 9, Tue 10 holidays; Wednesday the first working day
    ("2026-11-06", "2026-11-12", "AZ", WD, -2),
    ("2026-11-11", "2026-11-06", "AZ", WD, 1),
    (
        "2026-11-11",
        "2026-11-06",
        "DE",
        WD,
        3,
    ),  # the same dates on Germany's calendar: Mon, Tue, Wed
]


@pytest.mark.parametrize(
    "due,today,country,unit,expected",
    TIME_LEFT,
    ids=[f"{c}-{u[:1]}-due{due}-on{t}" for due, t, c, u, _ in TIME_LEFT],
)
def test_time_left_around_weekends_and_holidays(
    due: str, today: str, country: str, unit: str, expected: int
) -> None:
    assert dl.time_left(d(due), unit, country, d(today)) == expected


@pytest.mark.parametrize(
    "due,today,passed",
    [
        ("2026-11-06", "2026-11-06", False),
        ("2026-11-06", "2026-11-07", True),
        ("2026-12-31", "2027-01-01", True),
        ("2027-01-01", "2026-12-31", False),
    ],
)
def test_a_deadline_is_overdue_only_once_its_last_day_is_over(
    due: str, today: str, passed: bool
) -> None:
    assert dl.is_passed(d(due), d(today)) is passed


# (clock starts, working days, country, due on) — counted by hand.
DUE = [
    ("2026-11-06", 5, "DE", "2026-11-13"),  # from a Friday: Mon 9 … Fri 13
    ("2026-11-07", 5, "DE", "2026-11-13"),  # from a Saturday: the same
    ("2026-11-08", 1, "DE", "2026-11-09"),  # from a Sunday: Monday
    ("2026-11-06", 5, "AZ", "2026-11-17"),  # Baku: Wed 11, Thu 12, Fri 13, Mon 16, Tue 17
    ("2026-11-06", 1, "AZ", "2026-11-11"),
    ("2026-12-24", 2, "DE", "2026-12-29"),  # accelerated procedure over Christmas: Mon 28, Tue 29
    ("2026-12-23", 1, "DE", "2026-12-24"),
]


@pytest.mark.parametrize(
    "start,amount,country,due", DUE, ids=[f"{c}-{s}+{a}" for s, a, c, _ in DUE]
)
def test_working_day_due_dates_skip_weekends_and_holidays(
    start: str, amount: int, country: str, due: str
) -> None:
    assert dl.add_working_days(d(start), amount, country) == d(due)
    assert dl.due_date(d(start), dl.Limit(amount, WD), country) == d(due)
