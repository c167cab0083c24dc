"""Small-cell suppression for partner reports (pure: stdlib only, no I/O).

*Rule*: a count of 1–4 is published as ``"<5"`` (primary suppression). Each published total is an
equation over its cells; a suppressed cell that those equations pin down exactly (alone in a total,
or recoverable by combining totals) makes the table leak it, so more cells are suppressed
(secondary suppression, published as ``"suppressed"``) — the smallest cell of an offending total
first — until no suppressed cell can be solved for from the published figures.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Hashable, Mapping, Sequence

Cell = Hashable
PRIMARY = "<5"
SECONDARY = "suppressed"
THRESHOLD = 5


@dataclass(frozen=True)
class Total:
    """A published total: ``cell`` holds the sum of ``parts``."""

    cell: Cell
    parts: tuple[Cell, ...]


def primary(values: Mapping[Cell, int], threshold: int = THRESHOLD) -> set[Cell]:
    return {cell for cell, value in values.items() if 0 < value < threshold}


def suppress(values: Mapping[Cell, int], totals: Sequence[Total], threshold: int = THRESHOLD) -> dict[Cell, str]:
    """Cells to hide: ``{cell: "<5" | "suppressed"}``; every other cell is published as it is."""
    hidden = primary(values, threshold)
    first = set(hidden)
    while True:
        found = leaks(hidden, totals)
        if not found:
            return {cell: PRIMARY if cell in first else SECONDARY for cell in hidden}
        extra = _next_to_hide(found[0], hidden, values, totals)
        for other in sorted(hidden, key=repr):  # nothing visible beside it: widen to its hidden neighbours
            if extra is not None:
                break
            extra = _next_to_hide(other, hidden, values, totals)
        if extra is None:  # every figure is hidden already, so nothing can be solved for
            return {cell: PRIMARY if cell in first else SECONDARY for cell in hidden}
        hidden.add(extra)


def _next_to_hide(leak: Cell, hidden: set[Cell], values: Mapping[Cell, int],
                  totals: Sequence[Total]) -> Cell | None:
    """The smallest visible cell sharing a total with ``leak`` (non-zero first: hiding a 0 says little)."""
    near = {c for t in totals if leak in (t.cell, *t.parts) for c in (*t.parts, t.cell)} - hidden
    if not near:
        return None
    return min(near, key=lambda c: (values.get(c, 0) == 0, values.get(c, 0), repr(c)))


def leaks(hidden: set[Cell], totals: Sequence[Total]) -> list[Cell]:
    """Hidden cells whose value the published totals fix exactly (exact linear algebra).

    Each total is an equation over the hidden cells (visible ones are known numbers). A hidden
    cell is fixed iff its unit vector lies in the equations' row space: in reduced row-echelon
    form, iff it is a pivot whose row has no other non-zero entry.
    """
    unknowns = sorted(hidden, key=repr)
    index = {c: i for i, c in enumerate(unknowns)}
    rows = []
    for total in totals:
        row: dict[int, Fraction] = {}
        for part in total.parts:
            if part in index:
                row[index[part]] = row.get(index[part], Fraction(0)) + 1
        if total.cell in index:
            row[index[total.cell]] = row.get(index[total.cell], Fraction(0)) - 1
        row = {k: v for k, v in row.items() if v != 0}
        if row:
            rows.append(row)
    return [unknowns[col] for col, row in _reduced(rows) if len(row) == 1]


def _reduced(rows: list[dict[int, Fraction]]) -> list[tuple[int, dict[int, Fraction]]]:
    """Reduced row-echelon form of sparse rows: (pivot column, row) pairs."""
    pivots: list[tuple[int, dict[int, Fraction]]] = []
    for row in rows:
        for col, prow in pivots:  # eliminate known pivots from the new row
            if col in row:
                factor = row[col]
                row = _axpy(row, prow, -factor)
        if not row:
            continue
        col = min(row)
        row = {k: v / row[col] for k, v in row.items()}
        pivots = [(c, _axpy(p, row, -p[col]) if col in p else p) for c, p in pivots]
        pivots.append((col, row))
    return pivots


def _axpy(target: dict[int, Fraction], source: dict[int, Fraction], factor: Fraction) -> dict[int, Fraction]:
    out = dict(target)
    for k, v in source.items():
        out[k] = out.get(k, Fraction(0)) + factor * v
        if out[k] == 0:
            del out[k]
    return out


def published(values: Mapping[Cell, int], hidden: Mapping[Cell, str]) -> dict[Cell, int | str]:
    """Every cell as a partner sees it."""
    return {cell: hidden.get(cell, value) for cell, value in values.items()}
