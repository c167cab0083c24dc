"""Queries for occupancy figures: who may read which, over which dates (the reads are in ``occupancy``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from detention import access, clocks, domain, occupancy
from detention.handlers import Context, RulesFor, _visible_centre
from detention.repository import MongoRepository
from passage.mongo import Mongo

STATISTICS_READERS = ("admin", "auditor", "system")


def current_occupancy(repo: MongoRepository, ctx: Context, centre_id: str) -> dict[str, Any]:
    """Free places per unit and category, and who is held by sex, age band and nationality."""
    _visible_centre(repo, ctx, centre_id, access.UNIT_READERS)
    return occupancy.current(repo.mongo, centre_id)


def occupancy_history(
    repo: MongoRepository, ctx: Context, centre_id: str, first: date, last: date
) -> dict[str, Any]:
    _visible_centre(repo, ctx, centre_id, access.UNIT_READERS)
    try:
        return occupancy.history(repo.mongo, centre_id, first, last)
    except ValueError as exc:
        raise domain.DetentionError("date_range", str(exc), field="to") from None


def monthly_statistics(
    mongo: Mongo, ctx: Context, month: str, rules_for: RulesFor
) -> dict[str, Any]:
    """Raw counts per unit for the month (partners get them through the gateway, suppressed)."""
    access.require(ctx.caller, STATISTICS_READERS)
    today = clocks.local_day(ctx.now, rules_for(ctx.now.date()).time_zone)
    return occupancy.statistics(mongo, month, today)
