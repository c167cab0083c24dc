"""Detention's clock jobs: legal-clock alerts (``detention.stay.deadline_due``), capacity given
back when blocks expire, the day's occupancy document per unit, and the capacity gauges. The
worker runs each every few seconds (``service.jobs``); each is safe to run on several workers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from detention.domain import clocks
from detention.domain.clocks import ENTRY_EXAMINATION
from detention.domain.model import unit_from_record
from detention.handlers.common import WORKER, RulesFor, capacity_changed, outgoing_event
from passage import metrics
from passage.context import Context
from passage.events.envelope import Envelope


class Deadlines(Protocol):
    """Open stays whose clocks run out, and the once-only record of each alert sent."""

    def stays_due_by(self, day: str) -> list[dict[str, Any]]: ...
    def stays_without_entry_examination(
        self, admitted_before: datetime
    ) -> list[dict[str, Any]]: ...
    def mark_deadline(
        self,
        stay_id: str,
        key: str,
        covered: Sequence[str],
        events: Sequence[Envelope],
        still: Mapping[str, Any] | None = None,
    ) -> bool: ...


class Capacities(Protocol):
    """Units whose stored capacity still counts an expired block, the day's occupancy documents,
    and every unit's figures (``adapters.repository.MongoRepository`` or a fake)."""

    def units_with_capacity_ending_before(
        self, day: date, limit: int = 100
    ) -> list[dict[str, Any]]: ...
    def set_capacity(
        self,
        unit_id: str,
        was_valid_until: str,
        capacity: int,
        valid_until: str | None,
        events: Sequence[Envelope],
    ) -> bool: ...
    def roll_day(self, day: str) -> int: ...
    def unit_figures(self) -> list[dict[str, Any]]: ...


def emit_deadlines(store: Deadlines, now: datetime, rules_for: RulesFor) -> int:
    """Send ``detention.stay.deadline_due`` once per stay, clock, due date and threshold, and once
    per
    stay still without its entry medical examination after the rule table's hours."""
    rules = rules_for(now.date())
    today = clocks.local_day(now, rules.time_zone)
    horizon = today.toordinal() + max(rules.deadline_thresholds_days)
    sent = missing_entry_examinations(store, now, rules)
    for stay in store.stays_due_by(date.fromordinal(horizon).isoformat()):
        for clock_name, due in (
            ("legal_end", stay.get("legal_end")),
            ("review", stay.get("next_review_on")),
        ):
            if due and _alert(store, stay, clock_name, date.fromisoformat(due), today, rules, now):
                sent += 1
    return sent


def _alert(
    store: Deadlines,
    stay: dict[str, Any],
    clock_name: str,
    due: date,
    today: date,
    rules: Any,
    now: datetime,
) -> bool:
    prefix = f"{clock_name}:{due.isoformat()}:"
    emitted = frozenset(
        int(k[len(prefix) :]) for k in stay.get("deadlines_emitted", []) if k.startswith(prefix)
    )
    threshold = clocks.threshold_crossed(due, today, rules.deadline_thresholds_days, emitted)
    if threshold is None:
        return False
    keys = [
        f"{prefix}{t}" for t in clocks.thresholds_covered(threshold, rules.deadline_thresholds_days)
    ]
    event = _deadline_due(stay, clock_name, due, threshold, now)
    return store.mark_deadline(stay["id"], f"{prefix}{threshold}", keys, [event])


def _deadline_due(
    stay: Mapping[str, Any], clock_name: str, due: date, threshold: int, now: datetime
) -> Envelope:
    """``detention.stay.deadline_due``: one of the stay's clocks is ``threshold`` days from
    running out (0: it has run out)."""
    return outgoing_event(
        Context(caller=WORKER, now=now),
        "detention.stay.deadline_due",
        stay["id"],
        {
            "stay_id": stay["id"],
            "person_ref": stay["person_ref"],
            "centre_id": stay["centre_id"],
            "clock": clock_name,
            "due_on": due.isoformat(),
            "threshold_days": threshold,
        },
    )


def missing_entry_examinations(store: Deadlines, now: datetime, rules: Any) -> int:
    """Alert on every stay admitted more than ``entry_examination_alert_hours`` ago without its
    entry examination: clock ``entry_medical``, due the day those hours ran out, once per stay."""
    hours = timedelta(hours=rules.entry_examination_alert_hours)
    sent = 0
    for stay in store.stays_without_entry_examination(now - hours):
        due = clocks.local_day(stay["admitted_at"] + hours, rules.time_zone)
        event = _deadline_due(stay, ENTRY_EXAMINATION, due, 0, now)
        sent += store.mark_deadline(
            stay["id"],
            ENTRY_EXAMINATION,
            [ENTRY_EXAMINATION],
            [event],
            still={"entry_medical": None},
        )
    return sent


def refresh_capacities(repo: Capacities, now: datetime) -> int:
    """Give back the places of blocks that have expired, so admissions count them again."""
    ctx, today, changed = Context(caller=WORKER, now=now), now.date(), 0
    for rec in repo.units_with_capacity_ending_before(today):
        unit = unit_from_record(rec)
        capacity, until = unit.capacity_on(today), unit.capacity_valid_until(today)
        event = capacity_changed(ctx, unit, today, capacity)
        if repo.set_capacity(
            unit.id,
            rec["capacity_valid_until"],
            capacity,
            until.isoformat() if until else None,
            [event],
        ):
            changed += 1
    return changed


def roll_today(repo: Capacities, now: datetime, rules_for: RulesFor) -> int:
    """Today's daily occupancy document for every unit (the day in the centres' time zone)."""
    return repo.roll_day(clocks.local_day(now, rules_for(now.date()).time_zone).isoformat())


def capacity_gauges(repo: Capacities) -> int:
    """Places and people held per unit, for the operators' dashboards (one read of the units)."""
    count = 0
    for unit in repo.unit_figures():
        labels = (str(unit.get("centre_id", "")), str(unit["id"]))
        metrics.unit_capacity.labels(*labels).set(float(unit.get("capacity") or 0))
        metrics.unit_occupancy.labels(*labels).set(float(unit.get("occupancy") or 0))
        count += 1
    return count
