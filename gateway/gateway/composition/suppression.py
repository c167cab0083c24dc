"""Small-cell suppression for partner reports, audited as an attacker would (pure: no I/O).

*Rules* (``gateway.composition.disclosure_rules``): a count of 1-4 is published as ``"<5"`` — the
attacker then knows it is 1 to 4 — a special-category count of 1-9 as ``"<10"``, and any other
hidden count as ``"suppressed"`` (the attacker knows only that it is 0 or more). Every published
figure is an equation the attacker can use: totals, breakdowns, figures published earlier (the
previous month, an earlier version) and identities between them (the occupancy identity). For each
hidden cell the audit asks a linear-programming solver (SciPy's HiGHS) for the least and the
greatest value it can take under all of them; while some hidden cell is confined to an interval
narrower than its protection, a further cell is hidden (the smallest visible one beside it) and the
audit repeats.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

Cell = Hashable
PRIMARY = "<5"
SPECIAL = "<10"
SECONDARY = "suppressed"
SLACK = 1e-6
DENSE = 400
LARGE = 1_000_000  # stands for "no upper bound" (keeps every programme bounded)


@dataclass(frozen=True)
class Relation:
    """A published identity: the sum of coefficient x cell over ``terms`` is 0."""

    terms: tuple[tuple[Cell, int], ...]

    @staticmethod
    def total(cell: Cell, parts: Sequence[Cell]) -> Relation:
        """``cell`` holds the sum of ``parts``."""
        return Relation(((cell, 1), *((part, -1) for part in parts)))

    def cells(self) -> list[Cell]:
        return [cell for cell, _ in self.terms]


@dataclass(frozen=True)
class Band:
    """What a hidden cell's marker tells the attacker (``low``..``high``; None: no upper bound)."""

    marker: str
    low: int
    high: int | None
    protection: int


@dataclass
class Disclosure:
    """One publication: its true figures, the identities over them and what was published before."""

    values: Mapping[Cell, int]
    relations: Sequence[Relation]
    sensitive: Mapping[Cell, Band]  # cells that may not be published, with their marker
    secondary_protection: int
    known: Mapping[Cell, int] = field(default_factory=dict)  # figures published earlier
    earlier_hidden: Mapping[Cell, Band] = field(
        default_factory=dict
    )  # hidden earlier, by their marker


class Unprotectable(Exception):
    """No suppression pattern protects the cells named (the publication must not go out)."""


class Inconsistent(Unprotectable):
    """The figures break an identity they were said to satisfy
    (e.g. data changed since last month)."""


def suppress(problem: Disclosure, max_rounds: int = 500) -> dict[Cell, str]:
    """The cells to hide and their markers; every other cell is published as it is.

    Hiding a cell or loosening a marker only widens what the attacker must allow, so a cell once
    shown wide enough stays so: each round audits only the cells not yet shown wide."""
    hidden = dict(problem.sensitive)
    _cover(problem, hidden)
    safe: set[Cell] = set()
    for _ in range(max_rounds):
        found = leaks(problem, hidden, safe)
        if not found:
            return {cell: band.marker for cell, band in hidden.items()}
        if not _widen(problem, hidden, found):
            raise Unprotectable(f"{len(found)} hidden figures stay pinned whatever else is hidden")
    raise Unprotectable("suppression did not settle")


def _cover(problem: Disclosure, hidden: dict[Cell, Band]) -> None:
    """A quick first pattern before the audit: every identity that hides a cell hides another one
    with no upper bound too (else '<5' cells and a total pin each other), the smallest visible
    first."""
    relations = [r for r in problem.relations if any(c in problem.values for c in r.cells())]
    changed = True
    while changed:
        changed = False
        for relation in relations:
            mine = [c for c in relation.cells() if c in hidden or c in problem.earlier_hidden]
            bands = [hidden.get(c) or problem.earlier_hidden[c] for c in mine]
            if not mine or (len(mine) >= 2 and any(b.high is None for b in bands)):
                continue
            visible = [c for c in relation.cells() if c in problem.values and c not in hidden]
            if visible:
                extra = min(
                    visible, key=lambda c: (problem.values[c] == 0, problem.values[c], repr(c))
                )
                hidden[extra] = Band(SECONDARY, 0, None, problem.secondary_protection)
                changed = True


def _widen(problem: Disclosure, hidden: dict[Cell, Band], found: list[Cell]) -> bool:
    """For each leaking cell: hide the smallest non-zero visible cell beside it; failing that, let
    the '<5' markers beside it (then its own) say "suppressed" instead (a '<5' total over several
    '<5' cells confines them whatever else is hidden); failing that, hide a zero beside it."""
    grown = False
    for cell in found:
        extra = _next_to_hide(problem, hidden, cell, nonzero=True)
        if extra is not None:
            hidden[extra] = Band(SECONDARY, 0, None, problem.secondary_protection)
        elif not _loosen(problem, hidden, cell):
            extra = _next_to_hide(problem, hidden, cell, nonzero=False)
            if extra is None:
                continue
            hidden[extra] = Band(SECONDARY, 0, None, problem.secondary_protection)
        grown = True
    return grown


def _loosen(problem: Disclosure, hidden: dict[Cell, Band], cell: Cell) -> bool:
    beside = [c for r in problem.relations if cell in r.cells() for c in r.cells() if c != cell]
    for target in [*sorted(set(beside), key=repr), cell]:
        band = hidden.get(target)
        if band is not None and band.high is not None:
            hidden[target] = replace(band, marker=SECONDARY, low=0, high=None)
            return True
    return False


def _next_to_hide(
    problem: Disclosure, hidden: Mapping[Cell, Band], cell: Cell, nonzero: bool
) -> Cell | None:
    """The smallest visible cell sharing an identity with ``cell``,
    else with its hidden neighbours."""
    seen, frontier = {cell}, [cell]
    for _ in range(len(problem.values) + 1):
        near = {
            c for r in problem.relations if set(frontier) & set(r.cells()) for c in r.cells()
        } - seen
        visible = [
            c
            for c in near
            if c in problem.values and c not in hidden and (problem.values[c] or not nonzero)
        ]
        if visible:
            return min(visible, key=lambda c: (problem.values[c], repr(c)))
        frontier = [c for c in near if c in hidden or c in problem.earlier_hidden]
        if not frontier:
            return None
        seen |= near
    return None


def leaks(
    problem: Disclosure, hidden: Mapping[Cell, Band], safe: set[Cell] | None = None
) -> list[Cell]:
    """Hidden cells (now or earlier) that everything published confines to too narrow an interval;
    cells shown wide enough are added to ``safe`` and not audited again."""
    bands = {**problem.earlier_hidden, **hidden}
    safe = set() if safe is None else safe
    found = []
    for cell, (low, high) in intervals(problem, hidden, safe).items():
        if high is not None and high - low < bands[cell].protection - SLACK:
            found.append(cell)
        else:
            safe.add(cell)
    return found


def intervals(
    problem: Disclosure, hidden: Mapping[Cell, Band], skip: set[Cell] | None = None
) -> dict[Cell, tuple[float, float | None]]:
    """The least and greatest value of each hidden cell under every published identity (cells in
    ``skip`` are only known to be wide enough: they are left out of the answer)."""
    bands = {**problem.earlier_hidden, **hidden}
    skip = skip or set()
    known = {**problem.known, **{c: v for c, v in problem.values.items() if c not in hidden}}
    rows = _rows(problem.relations, bands, known)
    out: dict[Cell, tuple[float, float | None]] = {}
    for group in _components(list(bands), rows):
        if all(c in skip for c in group):
            continue
        found = _solve(group, [r for r in rows if set(r[0]) & set(group)], bands, skip)
        out.update({c: v for c, v in found.items() if c not in skip})
    return out


Row = tuple[dict[Cell, int], int]  # coefficients over unknown cells, right-hand side


def _rows(
    relations: Sequence[Relation], bands: Mapping[Cell, Band], known: Mapping[Cell, int]
) -> list[Row]:
    rows = []
    for relation in relations:
        if any(c not in bands and c not in known for c in relation.cells()):
            continue  # names a figure nobody published: not an identity the attacker has
        coefficients: dict[Cell, int] = {}
        constant = 0
        for cell, k in relation.terms:
            if cell in bands:
                coefficients[cell] = coefficients.get(cell, 0) + k
            else:
                constant -= k * known[cell]
        coefficients = {c: k for c, k in coefficients.items() if k}
        if coefficients:
            rows.append((coefficients, constant))
    return rows


def _components(cells: list[Cell], rows: list[Row]) -> list[list[Cell]]:
    """Unknowns that share no identity are solved apart (smaller programmes, same answers)."""
    parent = {c: c for c in cells}

    def root(c: Cell) -> Cell:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for coefficients, _ in rows:
        first, *rest = list(coefficients)
        for other in rest:
            parent[root(other)] = root(first)
    groups: dict[Cell, list[Cell]] = {}
    for c in cells:
        groups.setdefault(root(c), []).append(c)
    return list(groups.values())


Program = tuple[Any, list[int], list[tuple[int, int]]]  # equality matrix, right-hand sides, bounds


def _bounds(band: Band) -> tuple[int, int]:
    """A band as programme bounds: no upper bound becomes :data:`LARGE`."""
    return band.low, LARGE if band.high is None else band.high


def _solve(
    group: list[Cell], rows: list[Row], bands: Mapping[Cell, Band], skip: set[Cell]
) -> dict[Cell, tuple[float, float | None]]:
    """Each cell's least and greatest value (cells in ``skip`` are not asked about)."""
    bounds = [_bounds(bands[c]) for c in group]
    if not rows:
        return {
            c: (float(lo), None if hi >= LARGE else float(hi))
            for c, (lo, hi) in zip(group, bounds, strict=True)
        }
    if len(group) == 1:  # k x cell = constant: the cell is known exactly
        cell, (least, most) = group[0], bounds[0]
        found = {constant / coefficients[cell] for coefficients, constant in rows}
        if len(found) > 1 or not least - SLACK <= min(found) <= most + SLACK:
            raise Inconsistent("the published identities do not hold together")
        return {cell: (min(found),) * 2}
    need = np.array([bands[c].protection - SLACK for c in group])
    low, high = _explore(
        _program(group, rows, bounds), need, {i for i, c in enumerate(group) if c not in skip}
    )
    return {
        c: (float(low[i]), None if high[i] >= LARGE / 2 else float(high[i]))
        for i, c in enumerate(group)
    }


def _program(group: list[Cell], rows: list[Row], bounds: list[tuple[int, int]]) -> Program:
    index = {c: i for i, c in enumerate(group)}
    data, cols, ptr, rhs = [], [], [0], []
    for coefficients, constant in rows:
        for c, k in coefficients.items():
            data.append(k)
            cols.append(index[c])
        ptr.append(len(data))
        rhs.append(constant)
    matrix = csr_matrix((data, cols, ptr), shape=(len(rows), len(group)))
    return (
        matrix.toarray() if len(group) <= DENSE else matrix,
        rhs,
        bounds,
    )  # small: dense is quicker


def _explore(program: Program, need: np.ndarray, open_: set[int]) -> tuple[np.ndarray, np.ndarray]:
    """The lowest and highest value seen for each cell. Every solution is a point the attacker
    cannot exclude, so a cell seen at two values far enough apart needs no programme of its own;
    the others get their own least and greatest value."""
    size = len(need)
    low, high = np.full(size, np.inf), np.full(size, -np.inf)
    upper = np.array([b[1] for b in program[2]], dtype=float)
    progress = True
    while open_ and progress:  # push each undecided cell towards the end not yet seen, all at once
        before = len(open_)
        for flip in (1.0, -1.0):
            objective = np.zeros(size)
            for i in open_:
                objective[i] = flip * (-1.0 if high[i] < upper[i] - SLACK else 1.0)
            _see(program, objective, low, high)
            open_ = {i for i in open_ if high[i] - low[i] < need[i]}
        progress = len(open_) < before
    for i in sorted(open_):
        for sign in (-1.0, 1.0):
            if high[i] - low[i] < need[i]:
                objective = np.zeros(size)
                objective[i] = sign
                _see(program, objective, low, high)
    return low, high


def _see(
    program: Program, objective: np.ndarray, seen_low: np.ndarray, seen_high: np.ndarray
) -> None:
    """Minimise ``objective`` and widen every cell's seen range by the solution."""
    matrix, rhs, bounds = program
    result = linprog(objective, A_eq=matrix, b_eq=rhs, bounds=bounds, method="highs")
    if result.status != 0:
        raise Inconsistent(f"the published identities do not hold together ({result.message})")
    np.minimum(seen_low, result.x, out=seen_low)
    np.maximum(seen_high, result.x, out=seen_high)
