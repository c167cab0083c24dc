"""Small-cell suppression: no count 1-4 is published, and no hidden count can be recovered from totals.

The attacker here is written independently of the module: (1) repeated subtraction — any total
with exactly one hidden figure gives it away, and a recovered figure helps with the next total;
(2) exact linear algebra with numpy over every published total at once.
"""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.reports import SPECS, build_report, to_csv
from gateway.suppression import PRIMARY, SECONDARY, Total, suppress

small_counts = st.integers(0, 12)


def table_problem(cells: list[list[int]]) -> tuple[dict, list[Total]]:
    """A rows x columns table with row totals, column totals and a grand total (all published)."""
    values = {(r, c): v for r, row in enumerate(cells) for c, v in enumerate(row)}
    n_rows, n_cols = len(cells), len(cells[0])
    for r in range(n_rows):
        values[(r, "T")] = sum(cells[r])
    for c in range(n_cols):
        values[("T", c)] = sum(cells[r][c] for r in range(n_rows))
    values[("T", "T")] = sum(map(sum, cells))
    totals = [Total((r, "T"), tuple((r, c) for c in range(n_cols))) for r in range(n_rows)]
    totals += [Total(("T", c), tuple((r, c) for r in range(n_rows))) for c in range(n_cols)]
    totals += [Total(("T", "T"), tuple(("T", c) for c in range(n_cols))),
               Total(("T", "T"), tuple((r, "T") for r in range(n_rows)))]
    return values, totals


def recovered_by_subtraction(values: dict, totals: list[Total], hidden: set) -> set:
    known = {c: v for c, v in values.items() if c not in hidden}
    recovered: set = set()
    changed = True
    while changed:
        changed = False
        for total in totals:
            figures = [total.cell, *total.parts]
            unknown = [c for c in figures if c not in known]
            if len(unknown) == 1:
                cell = unknown[0]
                known[cell] = (known[total.cell] - sum(known[p] for p in total.parts if p != cell)
                               if cell != total.cell else sum(known[p] for p in total.parts))
                recovered.add(cell)
                changed = True
    return recovered


def recovered_by_algebra(totals: list[Total], hidden: set) -> set:
    unknowns = sorted(hidden, key=repr)
    if not unknowns:
        return set()
    index = {c: i for i, c in enumerate(unknowns)}
    rows = []
    for total in totals:
        row = np.zeros(len(unknowns))
        for part in total.parts:
            if part in index:
                row[index[part]] += 1
        if total.cell in index:
            row[index[total.cell]] -= 1
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    matrix = np.array(rows)
    rank = np.linalg.matrix_rank(matrix)
    found = set()
    for cell, i in index.items():
        unit = np.zeros(len(unknowns))
        unit[i] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.add(cell)
    return found


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 6).flatmap(lambda cols: st.lists(st.lists(small_counts, min_size=cols, max_size=cols),
                                                       min_size=1, max_size=6)))
def test_no_small_count_is_published_and_none_can_be_recovered(cells):
    values, totals = table_problem(cells)
    hidden = suppress(values, totals)
    shown = {c: hidden.get(c, v) for c, v in values.items()}
    assert not [c for c, v in shown.items() if isinstance(v, int) and 1 <= v <= 4]
    assert all(hidden[c] == PRIMARY for c, v in values.items() if 1 <= v <= 4)
    assert set(hidden.values()) <= {PRIMARY, SECONDARY}
    assert recovered_by_subtraction(values, totals, set(hidden)) == set()
    assert recovered_by_algebra(totals, set(hidden)) == set()


def test_a_lone_small_cell_in_a_row_takes_the_next_smallest_with_it():
    values, totals = table_problem([[3, 10, 20], [8, 9, 30]])
    hidden = suppress(values, totals)
    assert hidden[(0, 0)] == PRIMARY
    assert len(hidden) >= 4  # a rectangle at least: the 3, one more in its row, two in another row


def _stats_row(**overrides):
    row = {"member_state": "DE", "requests_incoming": 12, "requests_outgoing": 3, "by_category": {"own_national": 13, "third_country_national": 2},
           "accepted": 6, "deemed_accepted": 0, "rejected": 2, "rejected_by_reason": {"insufficient_evidence": 2},
           "transferred": 5, "median_days_to_reply": 9.5, "answered_within_limit_share": 0.8,
           "given_name": "Must Not Appear"}
    row.update(overrides)
    return row


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["DE", "FR", "NL", "PL", "AT", "SE"]), small_counts, small_counts,
                          small_counts, small_counts), min_size=1, max_size=6, unique_by=lambda t: t[0]))
def test_readmission_report_publishes_no_small_cell(rows):
    raw = [_stats_row(member_state=ms, requests_incoming=a, requests_outgoing=b, accepted=c, rejected=d,
                      by_category={"own_national": a, "third_country_national": b},
                      rejected_by_reason={"insufficient_evidence": d}) for ms, a, b, c, d in rows]
    report = build_report(SPECS["readmission"], "2026-10", raw)
    figures = [v for row in report["rows"] for v in row.values()] + list(report["totals"].values())
    assert not [v for v in figures if isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 4]
    text = to_csv(report)
    assert "Must Not Appear" not in text and "given_name" not in text
    assert text.splitlines()[0].startswith("member_state,")


def test_measures_over_fewer_than_five_people_are_withheld():
    report = build_report(SPECS["readmission"], "2026-10", [_stats_row(accepted=1, rejected=1, deemed_accepted=0)])
    assert report["rows"][0]["median_days_to_reply"] == SECONDARY
