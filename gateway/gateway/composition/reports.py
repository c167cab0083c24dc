"""Partner reports: which of the services' monthly figures may be published, and how (pure, no I/O).

Only whitelisted fields pass (dimensions, counts, breakdowns, a few measures). Each spec says which
breakdowns add up to which count (an additive identity a reader can use) and which do not (one
rejection may cite several reasons); which breakdowns are special categories (higher threshold);
and which figures a measure describes. ``gateway.composition.report_month`` turns them into one
month's publication; nothing else from the services' rows reaches a partner.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.composition.disclosure_rules import RULES, DisclosureRules
from gateway.composition.suppression import SECONDARY

TOTAL = "total"
UNKNOWN = "unknown"
# Letters, digits, "_", "-" and "+" after the first character ("65+"); no CSV formula can start a
# cell.
SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_+-]{0,39}\Z")


@dataclass(frozen=True)
class ReportSpec:
    """How one service's statistics rows become a publishable table."""

    name: str
    service: str
    path: str
    dims: tuple[str, ...]
    counts: tuple[str, ...]
    breakdowns: Mapping[
        str, str | None
    ]  # breakdown field -> the count it sums to (None: not additive)
    measures: Mapping[
        str, tuple[str, ...]
    ]  # measure -> counts whose sum is the people it describes
    derived: Mapping[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # new count = sum of counts
    special: tuple[
        str, ...
    ] = ()  # breakdowns of special categories (GDPR Art. 9): higher threshold
    shares: Mapping[str, str] = field(
        default_factory=dict
    )  # share -> the raw field holding its base
    stock: tuple[
        str, ...
    ] = ()  # (stock, inflows..., "-", outflows...): stock(m) = stock(m-1) + in - out


SPECS = {
    "monthly-occupancy": ReportSpec(
        "monthly-occupancy",
        "detention",
        "/api/v1/detention/statistics/occupancy",
        dims=("centre_id", "unit_id", "category"),
        counts=("occupied_end_of_month", "admissions", "releases", "transfers_in", "transfers_out"),
        breakdowns={
            "by_sex": "admissions",
            "by_age_band": "admissions",
            "by_nationality": "admissions",
        },
        measures={"capacity": (), "average_occupied": ("occupied_end_of_month",)},
        stock=(
            "occupied_end_of_month",
            "admissions",
            "transfers_in",
            "-",
            "releases",
            "transfers_out",
        ),
    ),
    "readmission": ReportSpec(
        "readmission",
        "readmission",
        "/api/v1/readmission/statistics",
        dims=("member_state",),
        counts=(
            "requests_incoming",
            "requests_outgoing",
            "accepted",
            "deemed_accepted",
            "rejected",
            "transferred",
        ),
        breakdowns={
            "by_category": "requests",
            "rejected_by_reason": None,
        },  # one rejection may cite several
        measures={
            "median_days_to_reply": ("accepted", "deemed_accepted", "rejected"),
            "answered_within_limit_share": ("accepted", "deemed_accepted", "rejected"),
        },
        derived={"requests": ("requests_incoming", "requests_outgoing")},
        shares={"answered_within_limit_share": "replies_due"},
    ),
    "voluntary-return": ReportSpec(
        "voluntary-return",
        "voluntary-return",
        "/api/v1/voluntary-return/statistics",
        dims=("nationality", "destination_country"),
        counts=("referrals", "departures", "withdrawals", "monitoring_completed"),
        breakdowns={"by_referral_source": "referrals", "by_stage": None, "vulnerability": None},
        measures={
            "median_days_referral_to_departure": ("departures",),
            "mean_sustainability_score": ("monitoring_completed",),
        },
        special=("vulnerability",),
    ),
}


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _dim(value: Any) -> str:
    return value if isinstance(value, str) and SAFE_KEY.match(value) else UNKNOWN


def _breakdown(given: Any) -> dict[str, int]:
    """A breakdown's counts; a key that cannot be published is counted under "unknown", not dropped,
    so the breakdown still adds up to its count."""
    out: dict[str, int] = {}
    for key, value in given.items() if isinstance(given, dict) else ():
        name = key if isinstance(key, str) and SAFE_KEY.match(key) else UNKNOWN
        out[name] = out.get(name, 0) + _count(value)
    return out


def flatten(spec: ReportSpec, raw_rows: Sequence[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Whitelisted, flat rows (``by_sex.male``…) and the count columns they share."""
    raws = [r for r in raw_rows if isinstance(r, dict)]
    parts = [{b: _breakdown(r.get(b)) for b in spec.breakdowns} for r in raws]
    keys = {b: sorted({k for p in parts for k in p[b]}) for b in spec.breakdowns}
    columns = [*spec.counts, *spec.derived, *(f"{b}.{k}" for b in spec.breakdowns for k in keys[b])]
    rows = []
    for raw, given in zip(raws, parts, strict=True):
        row: dict[str, Any] = {d: _dim(raw.get(d)) for d in spec.dims}
        row.update({c: _count(raw.get(c)) for c in spec.counts})
        row.update({d: sum(row[c] for c in members) for d, members in spec.derived.items()})
        for b in spec.breakdowns:
            row.update({f"{b}.{k}": given[b].get(k, 0) for k in keys[b]})
        row.update({m: raw.get(m) for m in spec.measures})
        row.update({f"base:{s}": _count(raw.get(base)) for s, base in spec.shares.items()})
        rows.append(row)
    return _merge_same_key(spec, rows), columns


def _merge_same_key(spec: ReportSpec, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows whose dimensions read the same (e.g. two unknown nationalities) cannot be told apart."""
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = row_key(spec, row)
        if key not in seen:
            seen[key] = row
            continue
        kept = seen[key]
        for name, value in row.items():
            if name not in spec.dims and name not in spec.measures and isinstance(value, int):
                kept[name] = kept.get(name, 0) + value
        kept.update(
            {m: None for m in spec.measures if spec.measures[m]}
        )  # a merged measure is unknown
    return sorted(seen.values(), key=lambda r: row_key(spec, r))


def row_key(spec: ReportSpec, row: Mapping[str, Any]) -> str:
    return "|".join(str(row.get(d, "")) for d in spec.dims)


def is_special(spec: ReportSpec, column: str) -> bool:
    return column.split(".", 1)[0] in spec.special


def measure(
    spec: ReportSpec, row: Mapping[str, Any], name: str, rules: DisclosureRules = RULES
) -> Any:
    """A measure as published: withheld (``"suppressed"``) when it describes too few people."""
    value = row.get(name)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    threshold = rules.threshold.value
    if name in spec.shares:
        return _share(value, row.get(f"base:{name}", 0), rules)
    bases = spec.measures[name]
    if bases and sum(row[b] for b in bases) < rules.measure_min_base.value:
        return SECONDARY
    if name == "average_occupied" and 0 < value < threshold:
        return f"<{threshold}"
    return round(value, 2)


def _share(value: float, base: int, rules: DisclosureRules) -> Any:
    """A share over ``base`` publishes the count share x base and its complement:
    both must be safe."""
    threshold = rules.threshold.value
    count = round(value * base)
    if base < rules.share_min_base.value or 0 < count < threshold or 0 < base - count < threshold:
        return SECONDARY
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
