"""An attacker of published partner reports, written without the gateway's suppression code.

It reads only what partners receive (the reports' JSON) and what any reader knows about them:
'<5' means 1 to 4, '<10' means 1 to 9, 'suppressed' means 0 or more; each column's total is the
sum of its rows; some breakdowns add up to a count; requests = incoming + outgoing; and a unit's
occupancy at the end of a month is last month's plus admissions and transfers in, less releases
and transfers out. Then, with its own linear programme (SciPy's HiGHS), it asks for the least and
the greatest value of every hidden cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.optimize import linprog

ADDS_UP = {
    "by_sex": "admissions",
    "by_age_band": "admissions",
    "by_nationality": "admissions",
    "by_category": "requests",
    "by_referral_source": "referrals",
}
SUMS = {"requests": ("requests_incoming", "requests_outgoing")}
DIMS = {
    "monthly-occupancy": ("centre_id", "unit_id", "category"),
    "readmission": ("member_state",),
    "voluntary-return": ("nationality", "destination_country"),
}
NOT_COUNTS = {
    "capacity",
    "average_occupied",
    "median_days_to_reply",
    "answered_within_limit_share",
    "median_days_referral_to_departure",
    "mean_sustainability_score",
}
BIG = 10**6


def bounds_of(marker: str) -> tuple[int, int | None]:
    if marker.startswith("<"):
        return 1, int(marker[1:]) - 1
    return 0, None


class Attacker:
    """Collects published figures as unknowns or constants, and identities between them."""

    def __init__(self) -> None:
        self.unknown: dict[tuple, tuple[int, int | None]] = {}
        self.known: dict[tuple, int] = {}
        self.equations: list[dict[tuple, int]] = []

    def read(self, tag: str, reports: Mapping[str, Any]) -> None:
        for name, report in reports.items():
            counts = [c for c in report["columns"] if c not in DIMS[name] and c not in NOT_COUNTS]
            keys = []
            for row in report["rows"]:
                key = "|".join(str(row[d]) for d in DIMS[name])
                keys.append(key)
                self._row(tag, name, key, row, counts)
            self._row(tag, name, "T", report["totals"], counts)
            for c in counts:
                self.equations.append(
                    {(tag, name, "T", c): 1, **{(tag, name, k, c): -1 for k in keys}}
                )

    def _row(
        self, tag: str, name: str, key: str, row: Mapping[str, Any], counts: list[str]
    ) -> None:
        for c in counts:
            value = row.get(c)
            cell = (tag, name, key, c)
            if isinstance(value, str):
                self.unknown[cell] = bounds_of(value)
            elif isinstance(value, int):
                self.known[cell] = value
        for prefix, parent in ADDS_UP.items():
            parts = [c for c in counts if c.startswith(prefix + ".")]
            if parts and parent in counts:
                self.equations.append(
                    {(tag, name, key, parent): 1, **{(tag, name, key, p): -1 for p in parts}}
                )
        for whole, parts in SUMS.items():
            if whole in counts:
                self.equations.append(
                    {(tag, name, key, whole): 1, **{(tag, name, key, p): -1 for p in parts}}
                )

    def link_months(self, before: str, after: str, reports_after: Mapping[str, Any]) -> None:
        """occupied(after) = occupied(before) + admissions + transfers in - releases - transfers
        out."""
        report = reports_after["monthly-occupancy"]
        keys = ["|".join(str(r[d]) for d in DIMS["monthly-occupancy"]) for r in report["rows"]] + [
            "T"
        ]
        for key in keys:
            cell = lambda tag, c, key=key: (tag, "monthly-occupancy", key, c)  # noqa: E731
            self.equations.append(
                {
                    cell(after, "occupied_end_of_month"): 1,
                    cell(before, "occupied_end_of_month"): -1,
                    cell(after, "admissions"): -1,
                    cell(after, "transfers_in"): -1,
                    cell(after, "releases"): 1,
                    cell(after, "transfers_out"): 1,
                }
            )

    def intervals(
        self, enough: Mapping[tuple, float] | None = None
    ) -> dict[tuple, tuple[float, float]]:
        """Least and greatest value of each hidden cell (``inf`` when not bounded); a cell already
        seen at two values ``enough[cell]`` apart is not narrowed further."""
        cells = sorted(self.unknown, key=repr)
        if not cells:
            return {}
        index = {c: i for i, c in enumerate(cells)}
        rows, rhs = [], []
        for equation in self.equations:
            if any(c not in index and c not in self.known for c in equation):
                continue
            row = np.zeros(len(cells))
            constant = 0
            for c, k in equation.items():
                if c in index:
                    row[index[c]] += k
                else:
                    constant -= k * self.known[c]
            if row.any():
                rows.append(row)
                rhs.append(constant)
            else:
                assert constant == 0, f"the published figures contradict each other: {equation}"
        bounds = [(lo, BIG if hi is None else hi) for lo, hi in (self.unknown[c] for c in cells)]
        lowest, highest = np.full(len(cells), np.inf), np.full(len(cells), -np.inf)

        def solve(
            objective: np.ndarray,
        ) -> None:  # every solution is a value set the attacker cannot rule out
            result = linprog(
                objective,
                A_eq=np.array(rows) if rows else None,
                b_eq=rhs or None,
                bounds=bounds,
                method="highs",
            )
            assert result.status == 0, result.message
            np.minimum(lowest, result.x, out=lowest)
            np.maximum(highest, result.x, out=highest)

        solve(np.ones(len(cells)))
        solve(-np.ones(len(cells)))
        for i in range(len(cells)):
            if highest[i] - lowest[i] < (enough or {}).get(
                cells[i], BIG
            ):  # find its own least and greatest value
                for sign in (1, -1):
                    objective = np.zeros(len(cells))
                    objective[i] = sign
                    solve(objective)
        return {
            c: (lowest[i], float("inf") if highest[i] >= BIG / 2 else highest[i])
            for c, i in index.items()
        }

    def narrowed(
        self, protection: int, special_protection: int
    ) -> dict[tuple, tuple[float, float]]:
        """Hidden cells pinned, or confined to an interval narrower than their protection."""
        need = {
            cell: special_protection if hi is not None and hi >= 9 else protection
            for cell, (_, hi) in self.unknown.items()
        }
        found = {}
        for cell, (low, high) in self.intervals(need).items():
            if high - low < need[cell] - 1e-6:
                found[cell] = (low, high)
        return found
