"""Changes to the estate: a centre renamed or deactivated, a unit's places, area and blocks.
A unit's new figures go out as ``detention.unit.capacity_changed``; capacity never falls below
the people already held (the write checks it, whatever happened since the caller read).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from detention.domain import access, clocks
from detention.domain import model as domain
from detention.domain.model import unit_from_record
from detention.handlers.common import (
    Context,
    Repository,
    RulesFor,
    capacity_changed,
    unit_fields,
    visible_centre,
    visible_unit,
)
from detention.handlers.views import centre_view, unit_view
from passage.errors import NotFoundError
from passage.events.envelope import Envelope


class Estate(Repository, Protocol):
    """Versioned changes to centres and units (``adapters.repository.MongoRepository`` or a
    fake)."""

    def update_centre(
        self, centre_id: str, version: int | None, changes: dict[str, Any]
    ) -> dict[str, Any] | None: ...
    def update_unit(
        self,
        unit_id: str,
        version: int | None,
        changes: dict[str, Any],
        day: str,
        events: Sequence[Envelope],
    ) -> dict[str, Any] | None: ...


def update_centre(
    repo: Estate,
    ctx: Context,
    centre_id: str,
    version: int | None,
    body: Mapping[str, Any],
) -> dict[str, Any]:
    """Rename a centre, or deactivate it (refused while anybody is held there) or reactivate it."""
    visible_centre(repo, ctx, centre_id, access.MANAGERS)
    if not body:
        raise domain.DetentionError("change_something", "Send at least one field to change.")
    rec = repo.update_centre(centre_id, version, dict(body))
    if rec is None:
        raise NotFoundError(f"No centre {centre_id}.")
    return centre_view(rec)


def update_unit(
    repo: Estate,
    ctx: Context,
    unit_id: str,
    version: int | None,
    body: Mapping[str, Any],
    rules_for: RulesFor,
) -> dict[str, Any]:
    """New declared places, floor area or blocks; the capacity that counts is recomputed."""
    rec = visible_unit(repo, ctx, unit_id, access.MANAGERS)
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
    repo: Estate,
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
    changes = unit_fields(unit, today)
    event = capacity_changed(ctx, unit, today, changes["capacity"])
    stored = repo.update_unit(unit.id, version, changes, today.isoformat(), [event])
    if stored is None:
        raise NotFoundError(f"No unit {unit.id}.")
    return stored
