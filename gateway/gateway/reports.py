"""Partner reports: the services' raw monthly statistics made safe to publish (pure, no I/O).

Only whitelisted fields pass (dimensions, counts, breakdowns, a few measures); every count goes
through small-cell suppression with the totals the report publishes (a total row per column, and
each breakdown summing to its parent count), and a measure computed over fewer than five people
is withheld. Nothing else from the services' rows reaches a partner.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from gateway.suppression import SECONDARY, THRESHOLD, Total, suppress

TOTAL = "total"
SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}\Z")  # no formula can start a CSV cell


@dataclass(frozen=True)
class ReportSpec:
    """How one service's statistics rows become a publishable table."""

    name: str
    service: str
    path: str
    dims: tuple[str, ...]
    counts: tuple[str, ...]
    breakdowns: Mapping[str, str | None]  # breakdown field -> the count it sums to (None: no parent)
    measures: Mapping[str, tuple[str, ...]]  # measure -> counts whose sum must reach 5 to publish it
    derived: Mapping[str, tuple[str, ...]] = None  # type: ignore[assignment]  # new count = sum of counts


SPECS = {
    "monthly-occupancy": ReportSpec(
        "monthly-occupancy", "detention", "/api/v1/detention/statistics/occupancy",
        dims=("centre_id", "unit_id", "category"), counts=("occupied_end_of_month", "admissions", "releases"),
        breakdowns={"by_sex": "admissions", "by_age_band": "admissions", "by_nationality": "admissions"},
        measures={"capacity": (), "average_occupied": ("occupied_end_of_month",)}, derived={}),
    "readmission": ReportSpec(
        "readmission", "readmission", "/api/v1/readmission/statistics", dims=("member_state",),
        counts=("requests_incoming", "requests_outgoing", "accepted", "deemed_accepted", "rejected", "transferred"),
        breakdowns={"by_category": "requests", "rejected_by_reason": "rejected"},
        measures={"median_days_to_reply": ("accepted", "deemed_accepted", "rejected"),
                  "answered_within_limit_share": ("accepted", "deemed_accepted", "rejected")},
        derived={"requests": ("requests_incoming", "requests_outgoing")}),
    "voluntary-return": ReportSpec(
        "voluntary-return", "voluntary-return", "/api/v1/voluntary-return/statistics",
        dims=("nationality", "destination_country"),
        counts=("referrals", "departures", "withdrawals", "monitoring_completed"),
        breakdowns={"by_referral_source": "referrals", "by_stage": None, "vulnerability": None},
        measures={"median_days_referral_to_departure": ("departures",),
                  "mean_sustainability_score": ("monitoring_completed",)}, derived={}),
}


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _dim(value: Any) -> str:
    return value if isinstance(value, str) and SAFE_KEY.match(value) else "unknown"


def flatten(spec: ReportSpec, raw_rows: Sequence[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Whitelisted, flat rows (``by_sex.male``…) and the count columns they share."""
    keys = {b: sorted({k for r in raw_rows if isinstance(r, dict) and isinstance(r.get(b), dict)
                       for k in r[b] if isinstance(k, str) and SAFE_KEY.match(k)}) for b in spec.breakdowns}
    columns = [*spec.counts, *spec.derived, *(f"{b}.{k}" for b in spec.breakdowns for k in keys[b])]
    rows = []
    for raw in (r for r in raw_rows if isinstance(r, dict)):
        row: dict[str, Any] = {d: _dim(raw.get(d)) for d in spec.dims}
        row.update({c: _count(raw.get(c)) for c in spec.counts})
        row.update({d: sum(row[c] for c in parts) for d, parts in spec.derived.items()})
        for b in spec.breakdowns:
            given = raw.get(b) if isinstance(raw.get(b), dict) else {}
            row.update({f"{b}.{k}": _count(given.get(k)) for k in keys[b]})
        row.update({m: raw.get(m) for m in spec.measures})
        rows.append(row)
    return rows, columns


def build_report(spec: ReportSpec, month: str, raw_rows: Sequence[Any]) -> dict[str, Any]:
    """The publishable report: suppressed cells replaced, measures over fewer than 5 withheld."""
    rows, columns = flatten(spec, raw_rows)
    totals_row = {c: sum(r[c] for r in rows) for c in columns}
    values = {(i, c): r[c] for i, r in enumerate(rows) for c in columns}
    values.update({(TOTAL, c): v for c, v in totals_row.items()})
    hidden = suppress(values, _equations(spec, len(rows), columns))
    published = []
    for i, row in enumerate(rows):
        out = {d: row[d] for d in spec.dims}
        out.update({c: hidden.get((i, c), row[c]) for c in columns})
        out.update({m: _measure(row, m, bases) for m, bases in spec.measures.items()})
        published.append(out)
    total = {c: hidden.get((TOTAL, c), v) for c, v in totals_row.items()}
    return {"report": spec.name, "month": month, "columns": [*spec.dims, *columns, *spec.measures],
            "rows": published, "totals": total,
            "suppression": {"rule": f"counts 1-{THRESHOLD - 1} are shown as '<{THRESHOLD}'; further cells are "
                                    f"shown as '{SECONDARY}' so that no hidden count follows from the totals"}}


def _equations(spec: ReportSpec, n_rows: int, columns: list[str]) -> list[Total]:
    keys = [*range(n_rows), TOTAL]
    equations = [Total((TOTAL, c), tuple((i, c) for i in range(n_rows))) for c in columns]
    for key in keys:
        for derived, parts in spec.derived.items():
            equations.append(Total((key, derived), tuple((key, p) for p in parts)))
        for breakdown, parent in spec.breakdowns.items():
            members = tuple((key, c) for c in columns if c.startswith(f"{breakdown}."))
            if parent is not None and members:
                equations.append(Total((key, parent), members))
    return equations


def _measure(row: Mapping[str, Any], name: str, bases: tuple[str, ...]) -> Any:
    value = row.get(name)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    if bases and sum(row[b] for b in bases) < THRESHOLD:
        return SECONDARY
    if name == "average_occupied" and 0 < value < THRESHOLD:
        return f"<{THRESHOLD}"
    return round(value, 2)


def to_csv(report: Mapping[str, Any]) -> str:
    """One header row, one line per row, and the totals line last."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = report["columns"]
    writer.writerow(columns)
    for row in report["rows"]:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    totals = report["totals"]
    writer.writerow([TOTAL if i == 0 else totals.get(c, "") for i, c in enumerate(columns)])
    return out.getvalue()
