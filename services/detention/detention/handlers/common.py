"""Detention's commands and queries on centres, units and stays, and what every handler shares
(the repository port, pages, visibility, events). The repository, caller, clock and rules are
passed in, so the same code runs under Flask, in the worker and in tests with fakes. Refusals are
``passage.errors`` / domain errors; nothing here imports a framework or a driver.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, TypeVar

from detention.domain import access, moves
from detention.domain import model as domain
from detention.domain.clocks import utc_ms
from detention.domain.model import Decide, StayFilter
from detention.domain.rules import Rules, local_day, rules_on
from detention.handlers.views import centre_view, stay_view, unit_view
from passage.context import Context, system_caller
from passage.errors import NotFoundError
from passage.events.envelope import Envelope, new_event, rfc3339

SOURCE = "detention"
RulesFor = Callable[[date], Rules]


def centres_today(ctx: Context, rules_for: RulesFor) -> date:
    """Today in the centres' time zone: the day clocks, windows and figures count by."""
    return local_day(ctx.now, rules_for(ctx.now.date()).time_zone)


M = TypeVar("M", bound=Mapping[str, Any])


class Repository(Protocol):
    """What the handlers need from storage (``MongoRepository`` or an in-memory fake)."""

    def add_centre(self, doc: dict[str, Any]) -> dict[str, Any]: ...
    def centre(self, centre_id: str) -> dict[str, Any] | None: ...
    def centres(
        self, scope: Sequence[str] | None, after: str | None, limit: int
    ) -> list[dict[str, Any]]: ...
    def add_unit(self, doc: dict[str, Any], events: Sequence[Envelope]) -> dict[str, Any]: ...
    def unit(self, unit_id: str) -> dict[str, Any] | None: ...
    def units(self, centre_id: str, after: str | None, limit: int) -> list[dict[str, Any]]: ...
    def admit(
        self, unit_id: str, places: int, scope: Sequence[str] | None, decide: Decide
    ) -> list[dict[str, Any]]: ...
    def held_family_members(self, group_id: str, centre_id: str) -> list[dict[str, Any]]: ...
    def open_stay_of_person(self, person_ref: str) -> dict[str, Any] | None: ...
    def stay(self, stay_id: str) -> dict[str, Any] | None: ...
    def stays(
        self, where: StayFilter, scope: Sequence[str] | None, after: str | None, limit: int
    ) -> list[dict[str, Any]]: ...


class PersonIndex(Protocol):
    """Person search over stays (``adapters.repository.MongoRepository``)."""

    def person_hits(
        self, centres: Sequence[str] | None, query: Mapping[str, Any]
    ) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    last_id: str | None  # the cursor of the next page, or None on the last page


def _page(
    records: list[dict[str, Any]], limit: int, view: Callable[[dict[str, Any]], dict[str, Any]]
) -> Page:
    """``records`` holds up to ``limit + 1`` rows: one more than shown tells that a next page
    exists."""
    shown = records[:limit]
    return Page([view(r) for r in shown], shown[-1]["id"] if len(records) > limit else None)


#: Who the worker's steps are recorded as (``released_by``, ``by`` in a stay's history).
WORKER = system_caller("detention-worker")


# centres -------------------------------------------------------------------------------------
def create_centre(repo: Repository, ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    access.require(ctx.caller, access.MANAGERS)
    centre = domain.Centre(id=body["id"], name=body["name"], city=body["city"])
    doc = {
        "_id": centre.id,
        "name": centre.name,
        "city": centre.city,
        "version": 1,
        "created_at": utc_ms(ctx.now),
        "created_by": user_of(ctx),
    }
    return centre_view(repo.add_centre(doc))


def get_centre(repo: Repository, ctx: Context, centre_id: str) -> dict[str, Any]:
    return centre_view(visible_centre(repo, ctx, centre_id, access.CENTRE_READERS))


def list_centres(repo: Repository, ctx: Context, after: str | None, limit: int) -> Page:
    access.require(ctx.caller, access.CENTRE_READERS)
    return _page(
        repo.centres(access.centre_scope(ctx.caller), after, limit + 1), limit, centre_view
    )


def visible_centre(
    repo: Repository, ctx: Context, centre_id: str, roles: tuple[str, ...]
) -> dict[str, Any]:
    """The centre if the caller's role and scope may see it; else not found (never forbidden)."""
    access.require(ctx.caller, roles)
    centre = repo.centre(centre_id) if access.in_scope(ctx.caller, centre_id) else None
    if centre is None:  # another centre's reads the same as none at all
        raise NotFoundError(f"No centre {centre_id}.")
    return centre


# units ---------------------------------------------------------------------------------------
def create_unit(
    repo: Repository,
    ctx: Context,
    centre_id: str,
    body: Mapping[str, Any],
    rules_for: RulesFor = rules_on,
) -> dict[str, Any]:
    """Add a unit to a centre; its stored capacity (declared less blocks in force) is what
    admissions count."""
    visible_centre(repo, ctx, centre_id, access.MANAGERS)
    today = ctx.now.date()
    unit = domain.Unit(
        id=body["id"],
        centre_id=centre_id,
        name=body["name"],
        category=body["category"],
        declared_places=body["declared_places"],
        floor_area_m2=float(body["floor_area_m2"]),
        single_room=body.get("single_room", False),
        blocks=tuple(
            domain.Block(b["places"], b["reason"], b["until"])
            for b in body.get("blocked_places", [])
        ),
    )
    unit.check(today)
    doc = _unit_document(unit, ctx)
    event = outgoing_event(
        ctx,
        "detention.unit.capacity_changed",
        unit.id,
        {
            "centre_id": centre_id,
            "unit_id": unit.id,
            "declared_places": unit.declared_places,
            "blocked_places": unit.blocked_on(today),
            "capacity": doc["capacity"],
            "changed_at": rfc3339(ctx.now),
        },
    )
    return unit_view(repo.add_unit(doc, [event]), today, rules_for(today))


def _unit_document(unit: domain.Unit, ctx: Context) -> dict[str, Any]:
    return {
        "_id": unit.id,
        "centre_id": unit.centre_id,
        **unit_fields(unit, ctx.now.date()),
        "occupancy": 0,
        "version": 1,
        "created_at": utc_ms(ctx.now),
        "created_by": user_of(ctx),
    }


def get_unit(
    repo: Repository, ctx: Context, unit_id: str, rules_for: RulesFor = rules_on
) -> dict[str, Any]:
    rec = visible_unit(repo, ctx, unit_id, access.UNIT_READERS)
    return unit_view(rec, ctx.now.date(), rules_for(ctx.now.date()))


def list_units(
    repo: Repository,
    ctx: Context,
    centre_id: str,
    after: str | None,
    limit: int,
    rules_for: RulesFor = rules_on,
) -> Page:
    visible_centre(repo, ctx, centre_id, access.UNIT_READERS)
    today = ctx.now.date()
    rules = rules_for(today)
    return _page(
        repo.units(centre_id, after, limit + 1), limit, lambda rec: unit_view(rec, today, rules)
    )


def check_centre_open(unit: Mapping[str, Any]) -> None:
    if unit.get("centre_active") is False:
        raise moves.CentreClosed(
            "centre_active", f"Centre {unit['centre_id']} is deactivated.", unit_id=unit["id"]
        )


def visible_unit(
    repo: Repository, ctx: Context, unit_id: str, roles: tuple[str, ...]
) -> dict[str, Any]:
    """The unit if the caller's role and scope may see it; else not found (never forbidden)."""
    access.require(ctx.caller, roles)
    return seen_unit(ctx, repo.unit(unit_id), unit_id)


def seen_unit(ctx: Context, rec: M | None, unit_id: str) -> M:
    """``rec`` if it is a unit in the caller's scope; else not found (never forbidden)."""
    if rec is None or not access.in_scope(ctx.caller, rec["centre_id"]):
        raise NotFoundError(f"No unit {unit_id}.")
    return rec


# stays (admissions are in ``admissions``) ---------------------------------------------------
def medical_document(raw: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A medical examination as stored (dates as YYYY-MM-DD); None when none was recorded."""
    if not raw:
        return None
    return {
        "examined_on": raw["examined_on"].isoformat(),
        "examined_by": raw["examined_by"],
        "fit_for_detention": raw.get("fit_for_detention"),
        "notes": raw.get("notes"),
    }


def get_stay(repo: Repository, ctx: Context, stay_id: str) -> dict[str, Any]:
    access.require(ctx.caller, access.STAY_READERS)
    rec = repo.stay(stay_id)
    if rec is None or not access.in_scope(ctx.caller, rec["centre_id"]):
        raise NotFoundError(f"No stay {stay_id}.")
    return stay_view(rec, ctx.caller)


def list_stays(
    repo: Repository, ctx: Context, where: StayFilter, after: str | None, limit: int
) -> Page:
    access.require(ctx.caller, access.STAY_READERS)
    records = repo.stays(where, access.centre_scope(ctx.caller), after, limit + 1)
    return _page(records, limit, lambda rec: stay_view(rec, ctx.caller))


def unit_fields(unit: domain.Unit, today: date) -> dict[str, Any]:
    """What a unit keeps of its declaration and of today's capacity: written whole when the unit
    is added and again on every change, so both write the same fields."""
    valid_until = unit.capacity_valid_until(today)
    return {
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


def capacity_changed(ctx: Context, unit: domain.Unit, today: date, capacity: int) -> Envelope:
    """``detention.unit.capacity_changed``: an administrator changed the unit or a block ran out."""
    return outgoing_event(
        ctx,
        "detention.unit.capacity_changed",
        unit.id,
        {
            "centre_id": unit.centre_id,
            "unit_id": unit.id,
            "declared_places": unit.declared_places,
            "blocked_places": unit.blocked_on(today),
            "capacity": capacity,
            "changed_at": rfc3339(ctx.now),
        },
    )


def outgoing_event(ctx: Context, type_: str, subject: str, data: Mapping[str, Any]) -> Envelope:
    """An event of this service, correlated with what caused it and timed at the act."""
    return new_event(
        type_,
        source=SOURCE,
        subject=subject,
        data=data,
        correlation_id=ctx.correlation_id,
        time=ctx.now,
    )


def user_of(ctx: Context) -> str:
    """Who acted, as records keep it."""
    return getattr(ctx.caller, "user_id", "unknown")


def find_persons(repo: PersonIndex, ctx: Context, query: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Stays whose person matches, within the caller's centres; only for particulars readers."""
    access.require(ctx.caller, access.PARTICULARS_READERS)
    return repo.person_hits(access.centre_scope(ctx.caller), query)
