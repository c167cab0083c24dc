"""Changes to the estate: a centre renamed or deactivated, a unit's places, area and blocks.
A unit's new figures go out as ``detention.unit.capacity_changed``; capacity never falls below
the people already held (the write checks it, whatever happened since the caller read).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from detention import access, clocks, domain
from detention.handlers import Context, NotFound, RulesFor, _event, _visible_centre, _visible_unit
from detention.repository import MongoRepository, unit_from_record
from detention.views import centre_view, unit_view
from passage.events.envelope import rfc3339


def update_centre(
    repo: MongoRepository,
    ctx: Context,
    centre_id: str,
    version: int | None,
    body: Mapping[str, Any],
) -> dict[str, Any]:
    """Rename a centre, or deactivate it (refused while anybody is held there) or reactivate it."""
    _visible_centre(repo, ctx, centre_id, access.MANAGERS)
    if not body:
        raise domain.DetentionError("change_something", "Send at least one field to change.")
    rec = repo.update_centre(centre_id, version, dict(body))
    if rec is None:
        raise NotFound(f"No centre {centre_id}.")
    return centre_view(rec)


def update_unit(
    repo: MongoRepository,
    ctx: Context,
    unit_id: str,
    version: int | None,
    body: Mapping[str, Any],
    rules_for: RulesFor,
) -> dict[str, Any]:
    """New declared places, floor area or blocks; the capacity that counts is recomputed."""
    rec = _visible_unit(repo, ctx, unit_id, access.MANAGERS)
    if not body:
        raise domain.DetentionError("change_something", "Send at least one field to change.")
    rules = rules_for(ctx.now.date())
    today = clocks.local_day(ctx.now, rules.time_zone)
    current = unit_from_record(rec)
    blocks = body.get("blocked_places")
    unit = domain.Unit(
        id=current.id,
        centre_id=current.centre_id,
        name=body.get("name", current.name),
        category=body.get("category", current.category),
        declared_places=body.get("declared_places", current.declared_places),
        floor_area_m2=float(body.get("floor_area_m2", current.floor_area_m2)),
        single_room=body.get("single_room", current.single_room),
        blocks=current.blocks
        if blocks is None
        else tuple(domain.Block(b["places"], b["reason"], b["until"]) for b in blocks),
    )
    unit.check(today)
    return unit_view(_store(repo, ctx, unit, rec, version, today), today, rules)


def _store(
    repo: MongoRepository,
    ctx: Context,
    unit: domain.Unit,
    rec: Mapping[str, Any],
    version: int | None,
    today: Any,
) -> dict[str, Any]:
    if unit.category != rec["category"] and rec["occupancy"] > 0:
        raise domain.PlacementRefused(
            "category_while_held",
            f"Unit {unit.id} holds people: its category cannot change.",
            field="category",
            unit_id=unit.id,
        )
    valid_until = unit.capacity_valid_until(today)
    changes = {
        "name": unit.name,
        "category": unit.category,
        "declared_places": unit.declared_places,
        "floor_area_m2": unit.floor_area_m2,
        "single_room": unit.single_room,
        "blocked_places": [
            {"places": b.places, "reason": b.reason, "until": b.until.isoformat()}
            for b in unit.blocks
        ],
        "capacity": unit.capacity_on(today),
        "capacity_valid_until": valid_until.isoformat() if valid_until else None,
    }
    event = _event(
        ctx,
        "detention.unit.capacity_changed",
        unit.id,
        {
            "centre_id": unit.centre_id,
            "unit_id": unit.id,
            "declared_places": unit.declared_places,
            "blocked_places": unit.blocked_on(today),
            "capacity": changes["capacity"],
            "changed_at": rfc3339(ctx.now),
        },
    )
    stored = repo.update_unit(unit.id, version, changes, today.isoformat(), [event])
    if stored is None:
        raise NotFound(f"No unit {unit.id}.")
    return stored
