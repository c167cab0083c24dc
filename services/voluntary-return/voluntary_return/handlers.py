"""Voluntary return's commands and queries, one function each: they take a ``Context`` (caller,
moment) and ports (the case store as a Protocol, the location read model), and raise
``passage.errors`` refusals; they import no framework or driver, so tests run them on fakes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from passage.context import Context
from passage.errors import (
    KeptChanging,
    NotAllowed,
    NotFoundError,
    VersionConflict,
    retry_on_conflict,
)
from passage.events.envelope import Envelope
from passage.identity import Identity
from passage.locations import Locations
from voluntary_return.domain import commands, events, stages, statistics, worklist
from voluntary_return.domain.errors import RuleRefused
from voluntary_return.domain.records import CaseFilter, CaseUpdate
from voluntary_return.domain.vocabulary import CASE_READERS, CASE_WRITERS, STATISTICS_READERS

FORBIDDEN = "Your role does not allow this action."
ATTEMPTS = 3  # a change without If-Match is re-read and re-applied this often before giving up


class Repository(Protocol):
    """What the handlers need from storage (``CaseRepository`` or a fake)."""

    def insert(
        self,
        case: dict[str, Any],
        events: Sequence[Envelope],
        delta: statistics.Delta,
        moves: Sequence[worklist.Move] = (),
    ) -> None: ...
    def update(
        self,
        case_id: str,
        version: int,
        stage: str,
        change: CaseUpdate,
        events: Sequence[Envelope],
        delta: statistics.Delta,
        moves: Sequence[worklist.Move] = (),
    ) -> dict[str, Any]: ...
    def get(self, case_id: str) -> dict[str, Any] | None: ...
    def find(self, where: CaseFilter, after: str | None, limit: int) -> list[dict[str, Any]]: ...
    def needing_action(
        self, due_by: str, kind: str | None, after: tuple[str, str] | None, limit: int
    ) -> list[dict[str, Any]]: ...
    def stage_counts(self) -> dict[str, int]: ...
    def statistics(self, month: str) -> list[dict[str, Any]]: ...
    def forced_routes_for(self, person_ref: str) -> list[dict[str, Any]]: ...


def require(caller: Identity, roles: Sequence[str]) -> None:
    if not caller.has_role(*roles):
        raise NotAllowed(FORBIDDEN)


def ms(moment: datetime) -> datetime:
    """MongoDB keeps milliseconds: cut the rest so what is stored is what was returned."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


# commands -------------------------------------------------------------------------------------
def refer(
    repo: Repository, locations: Locations, ctx: Context, body: Mapping[str, Any]
) -> dict[str, Any]:
    """Open a case at stage ``referred``; a detention referral takes the centre from the location
    model."""
    require(ctx.caller, CASE_WRITERS)
    now = ms(ctx.now)
    referral = {
        "source": body["source"],
        "organisation": body.get("organisation"),
        "referred_at": now,
        "referred_by": ctx.user,
        **_detention_location(locations, body),
    }
    routes = repo.forced_routes_for(body["person_ref"])
    case: dict[str, Any] = {
        "_id": str(uuid.uuid4()),
        "person_ref": body["person_ref"],
        "stage": "referred",
        "version": 1,
        "referral": referral,
        "nationality": body.get("nationality"),
        "destination_country": body.get("destination_country"),
        "vulnerabilities": [],
        "counselling_sessions": [],
        "forced_route_open": bool(routes),
        "forced_routes": routes,
        "created_at": now,
        "updated_at": now,
        "stage_since": now,
        "history": [{"at": now, "stage": "referred", "action": "refer", "by": ctx.user}],
    }
    case.update(_next_action(case, now))
    repo.insert(
        case,
        events.events_for("refer", case, now, ctx.correlation_id),
        statistics.delta_for(case, "refer", None, now),
        worklist.calendar_moves({}, case),
    )
    return case


def _detention_location(locations: Locations, body: Mapping[str, Any]) -> dict[str, Any]:
    if body["source"] != "detention_centre":
        return {}
    found = locations.get_location(body["person_ref"])
    if found is not None and found.location.held:
        where = found.location
        return {
            "centre_id": where.centre_id,
            "unit_id": where.unit_id,
            "stay_id": where.stay_id,
            "location_prefilled": True,
        }
    if not body.get("centre_id"):
        raise RuleRefused(
            "detention_location_unknown",
            "No open detention stay is known for this person: name the referring centre.",
            field="centre_id",
        )
    return {
        "centre_id": body["centre_id"],
        "unit_id": None,
        "stay_id": None,
        "location_prefilled": False,
    }


def act(
    repo: Repository,
    ctx: Context,
    case_id: str,
    action: str,
    body: Mapping[str, Any],
    if_match: int | None = None,
) -> dict[str, Any]:
    """Apply one stage-machine action; a concurrent change is retried unless If-Match was sent.

    With If-Match the lost race is the caller's to resolve (412 with the current version); without
    it the step is re-read and re-applied, and after ``ATTEMPTS`` losses refused as KeptChanging.
    """
    require(ctx.caller, CASE_WRITERS)
    if if_match is None:
        try:
            return retry_on_conflict(
                lambda: _apply(repo, ctx, get_case(repo, ctx, case_id), action, body),
                attempts=ATTEMPTS,
            )
        except KeptChanging:
            raise kept_changing(case_id) from None
    case = get_case(repo, ctx, case_id)
    if case["version"] != if_match:
        raise changed_meanwhile(case["version"])
    try:
        return _apply(repo, ctx, case, action, body)
    except VersionConflict:
        raise changed_meanwhile((repo.get(case_id) or case)["version"]) from None


def kept_changing(case_id: str) -> KeptChanging:
    """Other writers won every attempt (no If-Match given): 409, try again."""
    kept = KeptChanging(
        None, f"Case {case_id} kept changing while this change was applied; try again."
    )
    kept.extra.pop("current_version")  # no version to name: the problem has always had none
    return kept


def changed_meanwhile(current_version: int) -> VersionConflict:
    """The case is not at the version the caller read (If-Match): 412 naming the current one."""
    return VersionConflict(
        current_version, f"The case is at version {current_version}; read it again."
    )


def _apply(
    repo: Repository, ctx: Context, case: dict[str, Any], action: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    now, before = ms(ctx.now), case["stage"]
    stages.next_stage(
        action, before, stages.Facts(has_consent=True, has_booking=True)
    )  # the stage first (409)
    change = commands.COMMANDS[action](case, body, now, ctx.user)
    target = stages.next_stage(action, before, change.facts)
    after = _preview(case, change, target, now)
    next_action = _next_action(after, after["stage_since"])
    fields = {**change.set, "stage": target, "updated_at": now, **next_action}
    if target != before:
        fields["stage_since"] = now
    entry = {"at": now, "stage": target, "action": action, "by": ctx.user}
    update = CaseUpdate(
        set=fields,
        push={"history": entry, **change.push},
        unset=tuple(name for name in ("next_action", "next_action_due") if name not in fields),
    )
    emitted = events.events_for(action, after, now, ctx.correlation_id)
    delta = statistics.delta_for(after, action, before, now, score=change.score)
    moves = worklist.calendar_moves(case, next_action)
    return repo.update(case["_id"], case["version"], before, update, emitted, delta, moves)


def _preview(
    case: Mapping[str, Any], change: commands.Change, target: str, now: datetime
) -> dict[str, Any]:
    """The case as it will be after the change (for events, statistics and the next action)."""
    after = {
        **case,
        "stage": target,
        "stage_since": now if target != case["stage"] else case["stage_since"],
    }
    for path, value in change.set.items():
        head, _, rest = path.partition(".")
        if not rest:
            after[head] = value
        elif head == "reintegration":
            section = dict(after.get("reintegration") or {})
            key, _, index = rest.partition(".")
            if index:
                items = list(section.get(key) or [])
                items[int(index)] = value
                section[key] = items
            else:
                section[key] = value
            after[head] = section
    return after


def _next_action(case: Mapping[str, Any], since: datetime) -> dict[str, Any]:
    found = worklist.next_action(case, since.date())
    return {"next_action": found[0], "next_action_due": found[1].isoformat()} if found else {}


# queries --------------------------------------------------------------------------------------
def get_case(repo: Repository, ctx: Context, case_id: str) -> dict[str, Any]:
    require(ctx.caller, CASE_READERS)
    case = repo.get(case_id)
    if case is None:
        raise NotFoundError(f"No case {case_id}.")
    return case


def list_cases(
    repo: Repository, ctx: Context, where: CaseFilter, after: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    require(ctx.caller, CASE_READERS)
    rows = repo.find(where, after, limit + 1)
    return rows[:limit], rows[limit - 1]["_id"] if len(rows) > limit else None


def needing_action(
    repo: Repository,
    ctx: Context,
    kind: str | None,
    within_days: int,
    overdue: bool,
    after: tuple[str, str] | None,
    limit: int,
) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
    """Cases due within ``within_days`` (or only those overdue), earliest due first."""
    require(ctx.caller, CASE_READERS)
    today = ctx.now.date()
    due_by = today - timedelta(days=1) if overdue else today + timedelta(days=within_days)
    rows = repo.needing_action(due_by.isoformat(), kind, after, limit + 1)
    last = rows[limit - 1] if len(rows) > limit else None
    return rows[:limit], (last["next_action_due"], last["_id"]) if last else None


def stage_counts(repo: Repository, ctx: Context) -> dict[str, int]:
    require(ctx.caller, CASE_READERS)
    counts = repo.stage_counts()
    return {stage: counts.get(stage, 0) for stage in stages.STAGES}


def monthly_statistics(repo: Repository, ctx: Context, month: str) -> dict[str, Any]:
    require(ctx.caller, STATISTICS_READERS)
    rows = statistics.merge_shards(repo.statistics(month))
    return {"month": month, "rows": [statistics.row_view(row) for row in rows]}
