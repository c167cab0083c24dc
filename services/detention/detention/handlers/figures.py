"""Queries for occupancy figures: who may read which, over which dates (the reads themselves are
the repository's, over the daily read model in ``adapters.occupancy``)."""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from detention.domain import access
from detention.domain import model as domain
from detention.handlers.common import (
    Context,
    Repository,
    RulesFor,
    centres_today,
    visible_centre,
)

STATISTICS_READERS = ("admin", "auditor", "system")


class Figures(Repository, Protocol):
    """The occupancy reads (``adapters.repository.MongoRepository`` or a fake)."""

    def current_occupancy(self, centre_id: str) -> dict[str, Any]: ...
    def occupancy_history(self, centre_id: str, first: date, last: date) -> dict[str, Any]: ...
    def monthly_statistics(self, month: str, today: date) -> dict[str, Any]: ...


def current_occupancy(repo: Figures, ctx: Context, centre_id: str) -> dict[str, Any]:
    """Free places per unit and category, and who is held by sex, age band and nationality."""
    visible_centre(repo, ctx, centre_id, access.UNIT_READERS)
    return repo.current_occupancy(centre_id)


def occupancy_history(
    repo: Figures, ctx: Context, centre_id: str, first: date, last: date
) -> dict[str, Any]:
    """Daily figures of a centre the caller may see; a range the read model refuses is a 422."""
    visible_centre(repo, ctx, centre_id, access.UNIT_READERS)
    try:
        return repo.occupancy_history(centre_id, first, last)
    except ValueError as exc:
        raise domain.DetentionError("date_range", str(exc), field="to") from None


def monthly_statistics(
    repo: Figures, ctx: Context, month: str, rules_for: RulesFor
) -> dict[str, Any]:
    """Raw counts per unit for the month (partners get them through the gateway, suppressed)."""
    access.require(ctx.caller, STATISTICS_READERS)
    return repo.monthly_statistics(month, centres_today(ctx, rules_for))
