"""Transit requests' use cases, one function each; repository, protocol registry, caller, clock and
rules are passed in, so the same code runs under Flask and in tests."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from passage import names
from passage.context import Context
from passage.errors import NotAllowed, NotFoundError
from readmission.domain import agreements, protocols
from readmission.domain import transits as td
from readmission.domain.scope import visible_states
from readmission.domain.search import TRANSIT_SEARCH
from readmission.handlers.requests import (
    READERS,
    WRITERS,
    Known,
    Rules,
    bound_by,
    expect_version,
    history_entry,
    plain,
    require,
    retry_as_told,
)

if TYPE_CHECKING:
    from readmission.adapters.transit_repository import TransitRepository

FURTHEST_AHEAD = timedelta(days=366)  # a transit is planned for the coming weeks, not years ahead
# ISO 3166-1 alpha-3 of the member states (the route may name countries either way).
ALPHA3 = {
    "AT": "AUT",
    "BE": "BEL",
    "BG": "BGR",
    "HR": "HRV",
    "CY": "CYP",
    "CZ": "CZE",
    "DK": "DNK",
    "EE": "EST",
    "FI": "FIN",
    "FR": "FRA",
    "DE": "DEU",
    "GR": "GRC",
    "HU": "HUN",
    "IE": "IRL",
    "IT": "ITA",
    "LV": "LVA",
    "LT": "LTU",
    "LU": "LUX",
    "MT": "MLT",
    "NL": "NLD",
    "PL": "POL",
    "PT": "PRT",
    "RO": "ROU",
    "SK": "SVK",
    "SI": "SVN",
    "ES": "ESP",
    "SE": "SWE",
    "AZ": "AZE",
    "NO": "NOR",
}


class ProtocolRegistry(Protocol):
    """What a transit needs of the protocol registry: a state's protocol document."""

    def get(self, code: str) -> Mapping[str, Any] | None: ...


def _invalid(field: str, detail: str) -> td.RuleBroken:
    return td.RuleBroken(f"{field}: {detail}", field=field, field_detail=detail)


def _visible(ctx: Context, doc: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if doc is None or not ctx.caller.may_see_member_state(doc["member_state"]):
        raise NotFoundError("No such transit request in your scope.")
    return doc


def _check(ctx: Context, body: Mapping[str, Any], store: ProtocolRegistry | None) -> date:
    """Refuse a transit in the past, a route not through the transit state, an unknown crossing
    point."""
    transit_at, received = body["transit_at"], body.get("received_on") or ctx.today
    if transit_at <= ctx.now:
        raise _invalid("transit_at", "The transit must lie in the future.")
    if transit_at > ctx.now + FURTHEST_AHEAD:
        raise _invalid("transit_at", "The transit lies more than a year ahead.")
    if received > ctx.today:
        raise _invalid("received_on", "In the future.")
    through = "AZ" if body["direction"] == "incoming" else body["member_state"]
    if not {through, ALPHA3.get(through, through)} & set(body["route"]):
        raise _invalid(
            "route",
            f"The route must pass through {through}, the state asked to allow the transit.",
        )
    known = _crossing_points(store, body["member_state"], ctx.today)
    if known and body["border_crossing_point"] not in known:
        raise _invalid(
            "border_crossing_point", "Not a crossing point of this member state's protocol."
        )
    return received


def _crossing_points(store: ProtocolRegistry | None, member_state: str, today: date) -> list[str]:
    doc = store.get(member_state) if store is not None else None
    version = protocols.current_version(doc, today) if doc else None
    return list((version or {}).get("border_crossing_points") or [])


def create_transit(
    repo: TransitRepository,
    store: ProtocolRegistry | None,
    ctx: Context,
    body: Mapping[str, Any],
    rules: Rules,
    known: Known = agreements.AGREEMENTS,
) -> dict[str, Any]:
    """Record a transit application (received, awaiting the decision) and start its reply clock."""
    require(ctx, WRITERS)
    if not ctx.caller.may_see_member_state(body["member_state"]):
        raise NotAllowed("This member state is outside your scope.")
    bound_by(body["agreement"], body["member_state"], known)
    received = _check(ctx, body, store)
    reply = td.reply_deadline(
        rules, body["direction"], body["member_state"], received, body["agreement"]
    )
    fields = plain({k: v for k, v in body.items() if k not in ("transit_at", "received_on")})
    doc = {
        "_id": str(uuid.uuid4()),
        "version": 1,
        "state": "submitted",
        "created_at": ctx.now,
        "updated_at": ctx.now,
        **fields,
        "transit_at": body["transit_at"].astimezone(UTC),
        "received_on": received.isoformat(),
        "history": [history_entry(ctx, "submit", "submitted")],
    }
    doc.update(names.search_keys(doc, TRANSIT_SEARCH))
    return repo.add(doc, [reply])


def get_transit(repo: TransitRepository, ctx: Context, transit_id: str) -> Mapping[str, Any]:
    require(ctx, READERS)
    return _visible(ctx, repo.get(transit_id))


def list_transits(
    repo: TransitRepository, ctx: Context, filters: Mapping[str, Any], after: str | None, limit: int
) -> list[dict[str, Any]]:
    """Transit requests in the caller's scope, by id; filters are validated scalars only."""
    require(ctx, READERS)
    return repo.page(visible_states(ctx.caller), filters, after, limit)


def act(
    repo: TransitRepository,
    ctx: Context,
    transit_id: str,
    action: str,
    body: Mapping[str, Any],
    expected: int | None,
    attempts: int = 5,
) -> dict[str, Any]:
    """Apply ``action``; a concurrent change is re-read and re-decided, so of approve and refuse
    only one can win and the other is a 409 naming the state the winner left."""
    require(ctx, WRITERS)

    def attempt() -> dict[str, Any]:
        doc = _visible(ctx, repo.get(transit_id))
        expect_version(doc, expected, "transit request")
        change = td.decide(doc, action, body, ctx.now)
        extra = {k: v for k, v in (("reason", body.get("reason")),) if v}
        return repo.apply(doc, change, history_entry(ctx, action, change.state, **extra), ctx.now)

    return retry_as_told(attempt, expected, "transit request", attempts)
