"""The monthly statistics read model for partner reports: what each case write adds to its
month's row (pure), and how a stored row reads back (median, mean). Rows are keyed by month,
nationality and destination and carry raw counts only; the gateway suppresses small cells.
The case store applies a delta in the same transaction as the case change it counts; each row
is split into a few shards (by case id) so concurrent transitions rarely write the same document,
and the shards are summed when read."""

from __future__ import annotations

import statistics as stats
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

COLLECTION = "monthly_statistics"
UNKNOWN = "-"
SHARDS = 8


@dataclass(frozen=True)
class Delta:
    """Counts to add to one row and day counts to append (for the median)."""

    month: str
    nationality: str | None
    destination_country: str | None
    inc: dict[str, float] = field(default_factory=dict)
    days_to_departure: int | None = None
    shard: int = 0

    @property
    def row_id(self) -> str:
        where = f"{self.nationality or UNKNOWN}|{self.destination_country or UNKNOWN}"
        return f"{self.month}|{where}|{self.shard}"


def month_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


def delta_for(
    case: Mapping[str, Any],
    action: str,
    stage_before: str | None,
    at: datetime,
    *,
    score: float | None = None,
) -> Delta:
    """What ``action`` (which moved ``case`` — as it is after the action — on at ``at``) adds."""
    inc: dict[str, float] = {}
    if stage_before != case["stage"]:
        inc[f"by_stage.{case['stage']}"] = 1
    if action == "refer":
        inc.update({"referrals": 1, f"by_referral_source.{case['referral']['source']}": 1})
    if action == "register":
        for category in case.get("vulnerabilities", []):
            inc[f"vulnerability.{category}"] = 1
    if action == "withdraw":
        inc["withdrawals"] = 1
    if action == "record_monitoring_visit":
        inc["monitoring_completed"] = 1
        if score is not None:
            inc.update({"score_sum": score, "score_count": 1})
    days = None
    if action == "confirm_departure":
        inc["departures"] = 1
        days = (at.date() - case["referral"]["referred_at"].date()).days
    shard = int(str(case.get("_id", "0"))[:8] or "0", 16) % SHARDS if case.get("_id") else 0
    return Delta(
        month_of(at), case.get("nationality"), case.get("destination_country"), inc, days, shard
    )


def merge_shards(docs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per (nationality, destination): the shards' counts summed, day lists joined."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for doc in docs:
        key = (doc.get("nationality") or "", doc.get("destination_country") or "")
        row = rows.setdefault(
            key,
            {
                "nationality": doc.get("nationality"),
                "destination_country": doc.get("destination_country"),
            },
        )
        for name, value in doc.items():
            if name in ("_id", "month", "nationality", "destination_country"):
                continue
            if name == "days_to_departure":
                row[name] = [*row.get(name, []), *value]
            elif isinstance(value, Mapping):
                section = row.setdefault(name, {})
                for sub, count in value.items():
                    section[sub] = section.get(sub, 0) + count
            else:
                row[name] = row.get(name, 0) + value
    return [rows[key] for key in sorted(rows)]


def row_view(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row in the shape partner reports use (phase-2 contract)."""
    days = doc.get("days_to_departure") or []
    count = doc.get("score_count", 0)
    return {
        "nationality": doc.get("nationality"),
        "destination_country": doc.get("destination_country"),
        "referrals": int(doc.get("referrals", 0)),
        "departures": int(doc.get("departures", 0)),
        "withdrawals": int(doc.get("withdrawals", 0)),
        "by_referral_source": _counts(doc.get("by_referral_source")),
        "by_stage": _counts(doc.get("by_stage")),
        "vulnerability": _counts(doc.get("vulnerability")),
        "median_days_referral_to_departure": stats.median(days) if days else None,
        "monitoring_completed": int(doc.get("monitoring_completed", 0)),
        "mean_sustainability_score": round(doc["score_sum"] / count, 3) if count else None,
    }


def _counts(raw: Mapping[str, Any] | None) -> dict[str, int]:
    return {k: int(v) for k, v in sorted((raw or {}).items())}
