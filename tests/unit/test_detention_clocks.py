"""Detention's legal clocks and move rules without I/O: local days across time zones, due dates,
alert thresholds (once each), extensions, reviews, transfers and releases, and the deadline job
driven by an injected clock over an in-memory store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from detention import timers
from detention.domain import clocks, moves
from detention.domain import model as domain
from detention.domain.model import DetentionError, PlacementRefused, Unit
from detention.domain.rules import Rules, rules_on
from passage.events import validate_event
from tests.fakes.detention import FakeStore

RULES = Rules(effective_from=date(2000, 1, 1))
ADMITTED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


# local day and windows -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "moment, day",
    [
        (datetime(2026, 11, 20, 19, 59, tzinfo=UTC), date(2026, 11, 20)),
        (
            datetime(2026, 11, 20, 20, 0, tzinfo=UTC),
            date(2026, 11, 21),
        ),  # midnight in Baku (UTC+4)
        (datetime(2026, 12, 31, 21, 0, tzinfo=UTC), date(2027, 1, 1)),
        (datetime(2028, 2, 28, 22, 0, tzinfo=UTC), date(2028, 2, 29)),
        (datetime(2026, 11, 21, 1, 0, tzinfo=timezone(timedelta(hours=5))), date(2026, 11, 21)),
        (datetime(2026, 11, 20, 23, 0), date(2026, 11, 21)),  # naive = UTC
    ],
)
def test_the_day_is_the_day_in_baku(moment: datetime, day: date) -> None:
    assert clocks.local_day(moment, "Asia/Baku") == day


def test_the_day_follows_the_rule_tables_time_zone() -> None:
    late = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
    assert clocks.local_day(late, "UTC") == date(2026, 11, 20)
    assert clocks.local_day(late, "Europe/Berlin") == date(2026, 11, 20)
    assert clocks.local_day(late, rules_on(late.date()).time_zone) == date(2026, 11, 21)


@pytest.mark.parametrize("window, days", [("7d", 7), ("14d", 14), ("1d", 1), ("365d", 365)])
def test_windows(window: str, days: int) -> None:
    assert clocks.window_days(window) == days


@pytest.mark.parametrize("bad", ["0d", "7", "d", "7w", "-7d", "07d", "1000d", " 7d", "7d;"])
def test_bad_windows_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        clocks.window_days(bad)


# due dates and thresholds --------------------------------------------------------------------
def test_the_first_clock_to_run_out_is_due() -> None:
    assert clocks.due_on(date(2027, 2, 20), date(2026, 12, 20)) == date(2026, 12, 20)
    assert clocks.due_on(None, date(2026, 12, 20)) == date(2026, 12, 20)
    assert clocks.due_on(date(2027, 2, 20), None) == date(2027, 2, 20)
    assert clocks.due_on(None, None) is None


@pytest.mark.parametrize(
    "today, emitted, expected",
    [
        (date(2027, 2, 5), frozenset(), None),  # 15 days left
        (date(2027, 2, 6), frozenset(), 14),  # 14 days left
        (date(2027, 2, 6), frozenset({14}), None),  # sent already
        (date(2027, 2, 13), frozenset({14}), 7),
        (date(2027, 2, 17), frozenset(), 7),  # 3 days left, nothing sent: the closest only
        (date(2027, 2, 19), frozenset({14, 7}), 1),
        (date(2027, 2, 20), frozenset({14, 7, 1}), 0),  # the day itself
        (date(2027, 3, 1), frozenset({14, 7, 1}), 0),  # overdue still alerts once
        (date(2027, 3, 1), frozenset({14, 7, 1, 0}), None),
    ],
)
def test_each_threshold_is_crossed_once(
    today: date, emitted: frozenset[int], expected: int | None
) -> None:
    assert clocks.threshold_crossed(date(2027, 2, 20), today, (14, 7, 1, 0), emitted) == expected


def test_an_alert_covers_the_larger_thresholds() -> None:
    assert clocks.thresholds_covered(7, (14, 7, 1, 0)) == [7, 14]
    assert clocks.thresholds_covered(0, (14, 7, 1, 0)) == [0, 1, 7, 14]


@pytest.mark.parametrize(
    "admitted, end",
    [
        (date(2026, 11, 30), date(2027, 2, 28)),  # month end into a short February
        (date(2027, 11, 30), date(2028, 2, 29)),  # leap year
        (date(2026, 8, 31), date(2026, 11, 30)),
        (date(2026, 12, 15), date(2027, 3, 15)),  # across the year end
    ],
)
def test_asylum_legal_end_across_month_ends_and_leap_years(admitted: date, end: date) -> None:
    assert domain.legal_end(domain.LegalBasis("asylum_applicant"), admitted, RULES) == end


# extensions and reviews ----------------------------------------------------------------------
def test_an_extension_must_end_later_and_be_decided_already() -> None:
    today = date(2027, 2, 15)
    clocks.check_extension(date(2027, 2, 20), date(2027, 2, 15), date(2027, 5, 20), today)
    clocks.check_extension(None, date(2027, 2, 15), date(2027, 2, 15), today)
    for current, decided, until, rule in [
        (date(2027, 2, 20), date(2027, 2, 15), date(2027, 2, 20), "extension_extends"),
        (date(2027, 2, 20), date(2027, 2, 16), date(2027, 5, 20), "decision_in_future"),
        (None, date(2027, 2, 15), date(2027, 2, 14), "order_validity"),
    ]:
        with pytest.raises(DetentionError) as refused:
            clocks.check_extension(current, decided, until, today)
        assert refused.value.rule == rule


def test_the_next_review_is_after_today() -> None:
    clocks.check_review(date(2026, 11, 21), date(2026, 11, 20))
    with pytest.raises(DetentionError, match="after today"):
        clocks.check_review(date(2026, 11, 20), date(2026, 11, 20))


# transfers and releases ----------------------------------------------------------------------
def stay(**changes: Any) -> dict[str, Any]:
    return {
        "id": "s1",
        "person_ref": "P1",
        "status": "open",
        "centre_id": "baku",
        "unit_id": "baku-m1",
        "admitted_at": ADMITTED,
        "minor_override": None,
        "person": {
            "given_name": "A",
            "family_name": "B",
            "birth_date": "1990-04-02",
            "sex": "male",
            "nationality": "IRN",
        },
        **changes,
    }


def target(category: str = "men", unit_id: str = "yev-m1") -> Unit:
    return Unit(
        id=unit_id,
        centre_id="yevlakh",
        name="M1",
        category=category,
        declared_places=10,
        floor_area_m2=50.0,
    )


def test_a_transfer_meets_the_placement_rules_of_the_target() -> None:
    moves.check_transfer(stay(), target(), date(2026, 11, 21), RULES)
    moves.check_transfer(stay(), target("vulnerable"), date(2026, 11, 21), RULES)
    for unit, rule in [
        (target("women"), "sex_matches_unit"),
        (target("family"), "family_unit_for_families"),
        (target(unit_id="baku-m1"), "transfer_elsewhere"),
    ]:
        with pytest.raises(DetentionError) as refused:
            moves.check_transfer(stay(), unit, date(2026, 11, 21), RULES)
        assert (refused.value.rule, refused.value.unit_id) == (rule, unit.id)
    with pytest.raises(moves.StayClosed):
        moves.check_transfer(stay(status="closed"), target(), date(2026, 11, 21), RULES)


def test_a_minor_moves_only_with_the_override_recorded_at_admission() -> None:
    minor = {"birth_date": "2011-01-01", "sex": "male", "given_name": "A", "family_name": "B"}
    with pytest.raises(PlacementRefused, match="override"):
        moves.check_transfer(stay(person=minor), target("vulnerable"), date(2026, 11, 21), RULES)
    override = {"reason": "age disputed", "approved_by": "Lt. R. Mammadov"}
    moves.check_transfer(
        stay(person=minor, minor_override=override), target("vulnerable"), date(2026, 11, 21), RULES
    )


def test_a_release_is_after_the_admission_and_not_in_the_future() -> None:
    now = ADMITTED + timedelta(days=2)
    moves.check_release(stay(), ADMITTED, now)
    moves.check_release(stay(), now, now)
    for when, rule in [
        (ADMITTED - timedelta(seconds=1), "release_after_admission"),
        (now + timedelta(minutes=1), "release_not_future"),
    ]:
        with pytest.raises(DetentionError) as refused:
            moves.check_release(stay(), when, now)
        assert (refused.value.rule, refused.value.field) == (rule, "released_at")
    with pytest.raises(moves.StayClosed):
        moves.check_release(stay(status="closed"), now, now)


# the deadline job ----------------------------------------------------------------------------
def due_stay(stay_id: str, legal_end: str, review: str) -> dict[str, Any]:
    return {
        "id": stay_id,
        "person_ref": f"P-{stay_id}",
        "centre_id": "baku",
        "status": "open",
        "legal_end": legal_end,
        "next_review_on": review,
        "due_on": min(legal_end, review),
        "deadlines_emitted": [],
    }


def test_deadline_alerts_go_out_once_per_stay_clock_and_threshold() -> None:
    store = FakeStore(
        due_stay("s1", "2027-02-20", "2027-01-10"), due_stay("s2", "2027-06-01", "2027-06-01")
    )
    expected = [
        ((2026, 12, 20), []),
        ((2026, 12, 27), [("review", 14)]),
        ((2026, 12, 27), []),
        ((2027, 1, 5), [("review", 7)]),
        ((2027, 1, 9), [("review", 1)]),
        ((2027, 1, 10), [("review", 0)]),
        ((2027, 1, 11), []),
        ((2027, 2, 19), [("legal_end", 1)]),
        ((2027, 2, 20), [("legal_end", 0)]),
        ((2027, 2, 21), []),
    ]
    for (year, month, day), alerts in expected:
        before = len(store.outbox)
        # 21:00 UTC is already the next day in Baku: the job counts days there
        now = datetime(year, month, day, 21, 0, tzinfo=UTC) - timedelta(days=1)
        assert timers.emit_deadlines(store, now, rules_on) == len(alerts), (year, month, day)
        sent = [validate_event(e.to_dict()) for e in store.outbox[before:]]
        assert [(e.data["clock"], e.data["threshold_days"]) for e in sent] == alerts, (
            year,
            month,
            day,
        )
        assert all(
            e.type == "detention.stay.deadline_due" and e.data["stay_id"] == "s1" for e in sent
        )
    assert store.stays["s2"]["deadlines_emitted"] == []


def test_an_extension_restarts_the_legal_end_alerts() -> None:
    store = FakeStore(due_stay("s1", "2027-02-20", "2027-06-01"))
    assert timers.emit_deadlines(store, datetime(2027, 2, 13, 6, tzinfo=UTC), rules_on) == 1
    store.stays["s1"].update(
        legal_end="2027-02-27", due_on="2027-02-27"
    )  # extended by a new decision
    assert timers.emit_deadlines(store, datetime(2027, 2, 14, 6, tzinfo=UTC), rules_on) == 1
    assert [e.data["due_on"] for e in store.outbox] == ["2027-02-20", "2027-02-27"]


def test_a_stay_without_its_entry_examination_after_24_hours_alerts_once() -> None:
    admitted = datetime(2026, 11, 20, 19, 30, tzinfo=UTC)  # 23:30 in Baku
    unexamined = {
        **due_stay("s1", "2027-02-20", "2027-06-01"),
        "admitted_at": admitted,
        "entry_medical": None,
    }
    examined = {
        **due_stay("s2", "2027-02-20", "2027-06-01"),
        "admitted_at": admitted,
        "entry_medical": {"examined_on": "2026-11-21"},
    }
    store = FakeStore(unexamined, examined)
    assert timers.emit_deadlines(store, admitted + timedelta(hours=23, minutes=59), rules_on) == 0
    assert timers.emit_deadlines(store, admitted + timedelta(hours=24), rules_on) == 1
    assert timers.emit_deadlines(store, admitted + timedelta(hours=30), rules_on) == 0
    sent = [validate_event(e.to_dict()) for e in store.outbox]
    assert [
        (e.data["stay_id"], e.data["clock"], e.data["due_on"], e.data["threshold_days"])
        for e in sent
    ] == [("s1", "entry_medical", "2026-11-21", 0)]
    late = {**due_stay("s3", "2027-02-20", "2027-06-01"), "admitted_at": admitted}
    store = FakeStore(late)
    store.stays["s3"]["entry_medical"] = {
        "examined_on": "2026-11-21"
    }  # recorded between the scan and the alert
    assert (
        store.mark_deadline(
            "s3", "entry_medical", ["entry_medical"], [], still={"entry_medical": None}
        )
        is False
    )


def test_a_new_rule_table_entry_changes_the_thresholds_from_its_date() -> None:
    from detention.domain.rules import RULE_TABLE

    table = (*RULE_TABLE, Rules(effective_from=date(2027, 1, 1), deadline_thresholds_days=(30, 0)))
    rules_for = lambda day: rules_on(day, table)  # noqa: E731
    assert rules_for(date(2026, 12, 31)).deadline_thresholds_days == (14, 7, 1, 0)
    store = FakeStore(due_stay("s1", "2027-02-20", "2027-06-01"))
    assert timers.emit_deadlines(store, datetime(2027, 1, 25, 6, tzinfo=UTC), rules_for) == 1
    assert [e.data["threshold_days"] for e in store.outbox] == [30]


def test_a_race_to_create_a_days_figures_is_tried_again_and_other_duplicates_are_not() -> None:
    from pymongo.errors import DuplicateKeyError

    from detention.adapters import occupancy

    class RacingMongo:
        def __init__(self, failures: list[str]) -> None:
            self.failures, self.calls = failures, 0

        def transaction(self, work: Any) -> Any:
            self.calls += 1
            if self.failures:
                raise DuplicateKeyError(self.failures.pop(0))
            return work(None)

    racing = RacingMongo(["E11000 duplicate key error collection: t.occupancy_daily index: _id_"])
    assert occupancy.transaction(racing, lambda session: "done") == "done" and racing.calls == 2  # type: ignore[arg-type]
    held = RacingMongo(
        ["E11000 duplicate key error collection: t.stays index: one_open_stay_per_person"]
    )
    with pytest.raises(DuplicateKeyError):
        occupancy.transaction(held, lambda session: "done")  # type: ignore[arg-type]
    assert held.calls == 1
