"""Reintegration arithmetic, pure (stdlib only): monitoring visits at 3/6/12 months after arrival
(month ends clamp: 30 Nov + 3 months = 28/29 Feb), which are overdue, and the sustainability
score over economic, social and psychosocial dimensions with weights held as versioned data."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from voluntary_return.domain.errors import RuleRefused
from voluntary_return.domain.vocabulary import MONITORING_MONTHS

DIMENSIONS = ("economic", "social", "psychosocial")


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the last day of that month when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def monitoring_schedule(
    arrived_on: date, months: Sequence[int] = MONITORING_MONTHS
) -> list[dict[str, object]]:
    """One planned visit per month mark, with its due date and nothing recorded yet."""
    return [
        {
            "month": m,
            "due_on": add_months(arrived_on, m).isoformat(),
            "visited_on": None,
            "scores": None,
            "score": None,
            "weights_version": None,
        }
        for m in months
    ]


def overdue_visits(
    schedule: Iterable[Mapping[str, object]], today: date
) -> list[Mapping[str, object]]:
    """Planned visits whose due date has passed without a visit (due today is not overdue)."""
    return [
        v
        for v in schedule
        if v.get("visited_on") is None and date.fromisoformat(str(v["due_on"])) < today
    ]


def next_visit_due(schedule: Iterable[Mapping[str, object]]) -> date | None:
    """The earliest due date of a visit not yet made."""
    due = [date.fromisoformat(str(v["due_on"])) for v in schedule if v.get("visited_on") is None]
    return min(due) if due else None


@dataclass(frozen=True)
class Weights:
    """One version of the dimension weights, in force from ``effective_from`` (a rule, not a
    constant)."""

    version: int
    effective_from: date
    weights: Mapping[str, float]

    def __post_init__(self) -> None:
        if set(self.weights) != set(DIMENSIONS):
            raise ValueError(f"weights must name exactly {DIMENSIONS}")
        if any(w < 0 for w in self.weights.values()) or sum(self.weights.values()) <= 0:
            raise ValueError("weights must be non-negative and not all zero")


# Defaults after IOM's reintegration sustainability survey (three dimensions, equal weight); a new
# version with a later effective_from changes scores of later visits only.
WEIGHT_TABLE: tuple[Weights, ...] = (
    Weights(1, date(2020, 1, 1), {"economic": 1 / 3, "social": 1 / 3, "psychosocial": 1 / 3}),
)


def weights_on(day: date, table: Sequence[Weights] = WEIGHT_TABLE) -> Weights:
    """The weights in force on ``day``: the latest version effective on or before it."""
    in_force = [w for w in table if w.effective_from <= day]
    if not in_force:
        raise LookupError(f"no sustainability weights in force on {day.isoformat()}")
    return max(in_force, key=lambda w: (w.effective_from, w.version))


def sustainability_score(scores: Mapping[str, float], weights: Weights) -> float:
    """Weighted mean of the dimension scores (each 0 to 1), rounded to 3 decimals."""
    missing = [d for d in DIMENSIONS if d not in scores]
    if missing or set(scores) - set(DIMENSIONS):
        raise RuleRefused(
            "score_dimensions",
            f"Scores are needed for exactly: {', '.join(DIMENSIONS)}.",
            field="scores",
        )
    for dimension in DIMENSIONS:
        value = scores[dimension]
        if isinstance(value, bool) or not 0.0 <= float(value) <= 1.0:
            raise RuleRefused(
                "score_range",
                f"The {dimension} score must lie between 0 and 1.",
                field=f"scores.{dimension}",
            )
    total = sum(weights.weights.values())
    weighted = sum(float(scores[d]) * weights.weights[d] for d in DIMENSIONS)
    return round(weighted / total, 3)
