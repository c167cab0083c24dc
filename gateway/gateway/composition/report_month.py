"""One month's publication: the three partner reports suppressed together, against everything
published before them (pure, no I/O).

Every figure the month publishes, the previous month's published figures (linked by the occupancy
identity: occupied at the end of a month = the month before's + admissions - releases + transfers
in - transfers out) and, for a correction, the version it replaces, are given to the audit in
``gateway.composition.suppression`` as one system of identities. A cell is named
``(report, row, column)``; the neighbouring months' cells carry ``"previous"`` or ``"following"`` in
front (a month published late is audited against the month after it as well).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gateway.composition.disclosure_rules import RULES, DisclosureRules
from gateway.composition.reports import (
    SPECS,
    TOTAL,
    ReportSpec,
    flatten,
    is_special,
    measure,
    row_key,
)
from gateway.composition.suppression import (
    SECONDARY,
    Band,
    Cell,
    Disclosure,
    Inconsistent,
    Relation,
    suppress,
)

PREVIOUS = "previous"
FOLLOWING = "following"
Tables = dict[
    str, tuple[dict[str, dict[str, Any]], list[str]]
]  # report -> (rows by key, count columns)


def build_month(
    month: str,
    raw: Mapping[str, Sequence[Any]],
    previous: Mapping[str, Any] | None = None,
    replaced: Mapping[str, Any] | None = None,
    rules: DisclosureRules = RULES,
    following: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The month's three reports as published (``raw``: each report's rows from its service;
    ``previous``/``following``: the neighbouring months' publications, when they exist)."""
    tables: Tables = {}
    for name, spec in SPECS.items():
        rows, columns = flatten(spec, raw.get(name, []))
        tables[name] = ({row_key(spec, r): r for r in rows}, columns)
    values = _values(tables)
    relations = [
        r
        for name, (rows, columns) in tables.items()
        for r in relations_of(SPECS[name], name, list(rows), columns)
    ]
    sensitive = _sensitive(values, rules)
    sensitive.update(_changed(values, replaced or {}, sensitive, rules))
    known: dict[Cell, int] = {}
    earlier: dict[Cell, Band] = {}
    links: list[Relation] = []
    for tag, reports in ((PREVIOUS, previous), (FOLLOWING, following)):
        if reports is not None:
            their_known, their_hidden, theirs = published_cells(reports, rules, tag)
            known.update(their_known)
            earlier.update(their_hidden)
            later, earlier_tag = ((tag,), ()) if tag == FOLLOWING else ((), (tag,))
            links += [*theirs, *_stock_links(tables, later, earlier_tag)]
    linked = bool(links)
    try:
        hidden = suppress(
            Disclosure(
                values, [*relations, *links], sensitive, rules.protection.value, known, earlier
            )
        )
    except Inconsistent:  # a neighbouring publication no longer adds up with this month's figures
        linked = False
        hidden = suppress(Disclosure(values, relations, sensitive, rules.protection.value))
    return {
        name: _report(SPECS[name], month, tables[name], hidden, rules, linked) for name in SPECS
    }


def _values(tables: Tables) -> dict[Cell, int]:
    values: dict[Cell, int] = {}
    for name, (rows, columns) in tables.items():
        for key, row in rows.items():
            values.update({(name, key, c): row[c] for c in columns})
        values.update({(name, TOTAL, c): sum(row[c] for row in rows.values()) for c in columns})
    return values


def relations_of(
    spec: ReportSpec, name: str, keys: list[str], columns: list[str], tag: tuple[str, ...] = ()
) -> list[Relation]:
    """The identities a reader of one table knows: column totals, derived counts,
    additive breakdowns."""

    def cell(key: str, column: str) -> Cell:
        return (*tag, name, key, column)

    relations = [Relation.total(cell(TOTAL, c), [cell(k, c) for k in keys]) for c in columns]
    for key in [*keys, TOTAL]:
        for derived, parts in spec.derived.items():
            relations.append(Relation.total(cell(key, derived), [cell(key, p) for p in parts]))
        for breakdown, parent in spec.breakdowns.items():
            members = [cell(key, c) for c in columns if c.startswith(f"{breakdown}.")]
            if parent is not None and members:
                relations.append(Relation.total(cell(key, parent), members))
    return relations


def _stock_links(
    tables: Tables, later: tuple[str, ...], earlier: tuple[str, ...]
) -> list[Relation]:
    """stock(later) - stock(earlier) - inflows(later) + outflows(later) = 0 for each row and the
    total."""
    links = []
    for name, (rows, _) in tables.items():
        spec = SPECS[name]
        if not spec.stock:
            continue
        stock, *flows = spec.stock
        split = flows.index("-")
        for key in [*rows, TOTAL]:
            terms = [((*later, name, key, stock), 1), ((*earlier, name, key, stock), -1)]
            terms += [((*later, name, key, f), -1) for f in flows[:split]]
            terms += [((*later, name, key, f), 1) for f in flows[split + 1 :]]
            links.append(Relation(tuple(terms)))
    return links


def band_of(marker: str, rules: DisclosureRules) -> Band:
    """What a published marker tells a reader about the hidden count behind it."""
    if marker.startswith("<") and marker[1:].isdigit():
        special = int(marker[1:]) >= rules.special_threshold.value
        protection = rules.special_protection if special else rules.protection
        return Band(marker, 1, int(marker[1:]) - 1, protection.value)
    return Band(marker, 0, None, rules.protection.value)


def published_cells(
    reports: Mapping[str, Any], rules: DisclosureRules, tag: str
) -> tuple[dict[Cell, int], dict[Cell, Band], list[Relation]]:
    """An earlier publication as a reader holds it: its figures, its hidden cells' bands,
    its identities."""
    known: dict[Cell, int] = {}
    hidden: dict[Cell, Band] = {}
    relations: list[Relation] = []
    for name, report in reports.items():
        spec = SPECS.get(name)
        if spec is None:
            continue
        columns = [c for c in report["columns"] if c not in spec.dims and c not in spec.measures]
        rows = {row_key(spec, r): r for r in report["rows"]}
        for key, row in [*rows.items(), (TOTAL, report["totals"])]:
            for c in columns:
                value = row.get(c)
                if isinstance(value, int) and not isinstance(value, bool):
                    known[(tag, name, key, c)] = value
                elif isinstance(value, str):
                    hidden[(tag, name, key, c)] = band_of(value, rules)
        relations += relations_of(spec, name, list(rows), columns, (tag,))
    return known, hidden, relations


def _sensitive(values: Mapping[Cell, int], rules: DisclosureRules) -> dict[Cell, Band]:
    out = {}
    for cell, value in values.items():
        special = is_special(SPECS[cell[0]], cell[2])
        threshold = (rules.special_threshold if special else rules.threshold).value
        if 0 < value < threshold:
            out[cell] = band_of(f"<{threshold}", rules)  # "<5" (PRIMARY) or "<10" (SPECIAL)
    return out


def _changed(
    values: Mapping[Cell, int],
    replaced: Mapping[str, Any],
    sensitive: Mapping[Cell, Band],
    rules: DisclosureRules,
) -> dict[Cell, Band]:
    """A correction: a figure shown in the replaced version that moved by 1-4 would reveal the
    moved people by subtraction, so it is hidden (and protected) too."""
    old, _, _ = published_cells(replaced, rules, "old")
    out = {}
    for cell, value in values.items():
        before = old.get(("old", *cell))
        if (
            cell not in sensitive
            and before is not None
            and 0 < abs(value - before) < rules.threshold.value
        ):
            out[cell] = Band(SECONDARY, 0, None, rules.protection.value)
    return out


def _report(
    spec: ReportSpec,
    month: str,
    table: tuple[dict[str, dict[str, Any]], list[str]],
    hidden: Mapping[Cell, str],
    rules: DisclosureRules,
    linked: bool,
) -> dict[str, Any]:
    rows, columns = table
    name = spec.name
    published = []
    for key, row in rows.items():
        out = {d: row[d] for d in spec.dims}
        out.update({c: hidden.get((name, key, c), row[c]) for c in columns})
        out.update({m: measure(spec, row, m, rules) for m in spec.measures})
        published.append(out)
    totals = {c: hidden.get((name, TOTAL, c), sum(r[c] for r in rows.values())) for c in columns}
    t, s = rules.threshold.value, rules.special_threshold.value
    return {
        "report": name,
        "month": month,
        "columns": [*spec.dims, *columns, *spec.measures],
        "rows": published,
        "totals": totals,
        "suppression": {
            "rule": f"counts 1-{t - 1} are shown as '<{t}' (special categories 1-{s - 1} as "
            f"'<{s}'); further cells are shown as '{SECONDARY}' so that nothing published "
            f"(totals, the other reports, the previous month) narrows a hidden count",
            "audited_with_previous_month": linked,
            "rules": [r.to_dict() for r in rules.all()],
        },
    }
