"""Charts as inline SVG built on the server (pure: numbers in, markup out; no script, no library).

Every chart carries a text alternative (``role="img"`` with ``<title>``) and the pages show the
same figures as text beside it, so nobody depends on seeing the picture.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

WIDTH = 640


def unit_bar(unit: Mapping[str, Any]) -> Markup:
    """One unit: occupied, free and blocked places along declared places;
    a tick at the CPT standard."""
    declared = max(int(unit.get("declared_places") or 0), 0)
    occupied = max(int(unit.get("occupancy") or 0), 0)
    capacity = max(int(unit.get("capacity") or 0), 0)
    cpt = max(int(unit.get("cpt_capacity") or 0), 0)
    blocked = max(declared - capacity, 0)
    free = max(capacity - occupied, 0)
    scale = max(declared, occupied, cpt, 1) * 1.04  # room for the CPT tick at the far end
    w = 400

    def x(n: int) -> float:
        return round(n * w / scale, 1)

    parts = [
        f'<rect x="0" y="4" width="{x(occupied)}" height="22" class="bar-occupied"/>',
        f'<rect x="{x(occupied)}" y="4" width="{x(free)}" height="22" class="bar-free"/>',
        f'<rect x="{x(occupied + free)}" y="4" width="{x(blocked)}" height="22" '
        'class="bar-blocked"/>',
    ]
    if cpt:
        parts.append(f'<line x1="{x(cpt)}" x2="{x(cpt)}" y1="0" y2="30" class="bar-cpt"/>')
    label = (
        f"{unit.get('name', unit.get('id', 'unit'))}: {occupied} occupied, {free} free, "
        f"{blocked} blocked of {declared} declared places; CPT standard {cpt}"
    )
    return Markup(
        f'<svg class="unit-bar" viewBox="0 0 {w} 30" role="img" preserveAspectRatio="none" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>{"".join(parts)}</svg>'
    )


def history_chart(days: Sequence[Mapping[str, Any]]) -> Markup:
    """Occupied (area) and capacity (line) per day over the period given."""
    if not days:
        return Markup('<p class="muted">No daily figures recorded yet.</p>')
    h, pad = 180, 30
    top = max(max(int(d.get("capacity") or 0), int(d.get("occupied") or 0)) for d in days) or 1
    step = (WIDTH - 2 * pad) / max(len(days) - 1, 1)

    def pt(i: int, value: int) -> str:
        return f"{pad + i * step:.1f},{h - pad - value * (h - 2 * pad) / top:.1f}"

    occupied = " ".join(pt(i, int(d.get("occupied") or 0)) for i, d in enumerate(days))
    capacity = " ".join(pt(i, int(d.get("capacity") or 0)) for i, d in enumerate(days))
    base = f"{pad + (len(days) - 1) * step:.1f},{h - pad} {pad},{h - pad}"
    first, last = escape(days[0].get("day", "")), escape(days[-1].get("day", ""))
    label = (
        f"Occupancy from {first} to {last}: now {days[-1].get('occupied', 0)} occupied of "
        f"{days[-1].get('capacity', 0)} places; "
        f"highest {max(int(d.get('occupied') or 0) for d in days)}"
    )
    return Markup(
        f'<svg class="history-chart" viewBox="0 0 {WIDTH} {h}" role="img" '
        f'aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
        f'<line x1="{pad}" x2="{WIDTH - pad}" y1="{h - pad}" y2="{h - pad}" class="axis"/>'
        f'<polygon points="{occupied} {base}" class="area-occupied"/>'
        f'<polyline points="{capacity}" class="line-capacity"/>'
        f'<text x="{pad}" y="{h - 8}" class="tick">{first}</text>'
        f'<text x="{WIDTH - pad}" y="{h - 8}" class="tick" text-anchor="end">{last}</text>'
        f'<text x="{pad}" y="{pad - 10}" class="tick">max {top}</text></svg>'
    )


def column_chart(pairs: Sequence[tuple[str, Any]], title: str) -> Markup:
    """Vertical bars of labelled counts;
    suppressed values (``<5``, ``*``) are drawn as hatched stubs."""
    if not pairs or all(v == 0 for _, v in pairs):
        return Markup(f'<p class="muted">{escape(title)}: nothing to chart this month.</p>')
    h, pad = 200, 30
    numbers = [v for _, v in pairs if isinstance(v, (int, float)) and not isinstance(v, bool)]
    top = max(numbers or [1]) or 1
    width = (WIDTH - 2 * pad) / len(pairs)
    bars = []
    for i, (name, value) in enumerate(pairs):
        x = pad + i * width + 4
        exact = isinstance(value, (int, float)) and not isinstance(value, bool)
        height = (value / top) * (h - 2 * pad) if exact else 6
        cls = "col" if exact else "col-suppressed"
        bars.append(
            f'<rect x="{x:.1f}" y="{h - pad - height:.1f}" width="{max(width - 8, 2):.1f}" '
            f'height="{height:.1f}" class="{cls}"/>'
            f'<text x="{x + (width - 8) / 2:.1f}" y="{h - 10}" class="tick" text-anchor="middle">'
            f"{escape(str(name)[:12])}</text>"
            f'<text x="{x + (width - 8) / 2:.1f}" y="{h - pad - height - 4:.1f}" class="tick" '
            f'text-anchor="middle">{escape(str(value))}</text>'
        )
    label = f"{title}: " + ", ".join(f"{n} {v}" for n, v in pairs)
    return Markup(
        f'<svg class="column-chart" viewBox="0 0 {WIDTH} {h}" role="img" '
        f'aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>{''.join(bars)}</svg>"
    )
