"""Readmission's use cases, one function each; repository, caller, clock and rules are passed in,
so the same code runs under Flask, in the worker and in tests."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pymongo.client_session import ClientSession

from passage import names
from passage.events.envelope import Envelope
from passage.identity import Identity
from passage.locations import Locations
from passage.problems import Conflict, Forbidden, NotFound, PreconditionFailed, Unprocessable
from readmission.domain import agreements
from readmission.domain import events
from readmission.domain import views
from readmission.domain import deadlines as dl
from readmission.domain import requests as rd
from readmission.adapters.repository import REQUEST_SEARCH, MongoRepository, Stale

READERS = ("liaison_officer", "auditor")  # admin always passes
WRITERS = ("liaison_officer",)
Rules = Sequence[dl.RuleVersion]
Known = Mapping[str, agreements.Agreement]


@dataclass(frozen=True)
class Context:
    """Who acts, when, and under which correlation id (events carry it on)."""

    caller: Identity
    now: datetime
    correlation_id: str | None = None

    @property
    def today(self) -> date:
        return self.now.date()


def record_detention_event(locations: Locations, event: Envelope, session: ClientSession) -> None:
    """detention.stay.opened|transferred|closed v1: keep where the person is held up to date."""
    locations.record(event, session=session)


def _require(ctx: Context, roles: Sequence[str]) -> None:
    if not ctx.caller.has_role(*roles):
        raise Forbidden("Your role does not allow this action.")


def _visible(ctx: Context, doc: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The request if the caller may know it exists; a 404 otherwise (no hint it exists elsewhere)."""
    if doc is None or not ctx.caller.may_see_member_state(doc["member_state"]):
        raise NotFound("No such readmission request in your scope.")
    return doc


def history_entry(
    ctx: Context, action: str, state: str, by: str | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "at": ctx.now,
        "action": action,
        "state": state,
        "by": by or ctx.caller.user_id,
        "role": ctx.caller.role,
        **extra,
    }


def create_request(
    repo: MongoRepository, ctx: Context, body: Mapping[str, Any], rules: Rules
) -> dict[str, Any]:
    """Open a draft request (incoming or outgoing) with its particulars and evidence."""
    _require(ctx, WRITERS)
    if not ctx.caller.may_see_member_state(body["member_state"]):
        raise Forbidden("This member state is outside your scope.")
    doc = {
        "_id": str(uuid.uuid4()),
        "version": 1,
        "state": "draft",
        "created_at": ctx.now,
        "updated_at": ctx.now,
        "voluntary_return": None,
        **_stored(body),
    }
    doc.setdefault("agreement", agreements.EU_AZ)
    if any(day and day > ctx.today for day in (body.get("learned_on"), body.get("apprehended_on"))):
        raise Unprocessable(
            "Dates cannot lie in the future.",
            errors=[{"pointer": "/learned_on", "detail": "In the future."}],
        )
    if body["procedure"] == "accelerated" and not body.get("apprehended_on"):
        raise Unprocessable(
            "An accelerated request needs the date of apprehension.",
            errors=[
                {"pointer": "/apprehended_on", "detail": "Required for the accelerated procedure."}
            ],
        )
    known, rules = law_of(repo, rules)
    bound_by(doc["agreement"], doc["member_state"], known)
    try:
        opened = rd.initial_deadlines(rd.Law(rules, repo.calendar_overrides()), doc)
    except dl.NoRule as exc:
        raise Unprocessable(str(exc)) from None
    doc["history"] = [history_entry(ctx, "create", "draft")]
    doc.update(names.search_keys(doc, REQUEST_SEARCH))
    return repo.add(doc, opened, [])


def law_of(repo: MongoRepository, rules: Rules) -> tuple[Known, tuple[dl.RuleVersion, ...]]:
    """The agreements (built-in and recorded by administrators) and the full rule table: one read."""
    stored = repo.agreements()
    recorded = (
        dl.rule_from(doc["_id"], v) for doc in stored for v in doc.get("rule_versions") or []
    )
    return agreements.known(stored), (*rules, *recorded)


def bound_by(agreement: str, member_state: str, known: Known = agreements.AGREEMENTS) -> None:
    """A 422 naming the reason when the agreement does not bind the state (e.g. DK, IE under EU–AZ)."""
    try:
        agreements.check_bound(agreement, member_state, known)
    except agreements.NotBound as exc:
        raise Unprocessable(
            str(exc), errors=[{"pointer": "/member_state", "detail": str(exc)}]
        ) from None


def _stored(body: Mapping[str, Any]) -> dict[str, Any]:
    try:
        evidence = [rd.new_evidence(plain(e)) for e in body.get("evidence", [])]
    except rd.RuleBroken as exc:
        raise Unprocessable(
            str(exc), errors=[{"pointer": "/evidence", "detail": str(exc)}]
        ) from None
    return {**plain({k: v for k, v in body.items() if k != "evidence"}), "evidence": evidence}


def plain(value: Any) -> Any:
    """Validated input as stored: dates as YYYY-MM-DD text, at any depth."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def get_request(repo: MongoRepository, ctx: Context, request_id: str) -> Mapping[str, Any]:
    _require(ctx, READERS)
    return _visible(ctx, repo.get(request_id))


def scoped_query(ctx: Context, filters: Mapping[str, Any]) -> dict[str, Any]:
    """The given filters (validated scalars), narrowed to the member states the caller may see."""
    query: dict[str, Any] = {k: v for k, v in filters.items() if v is not None}
    if not (ctx.caller.role in ("admin", "auditor") or ctx.caller.all_scopes):
        wanted = [m for m in ctx.caller.member_states if query.get("member_state", m) == m]
        query["member_state"] = {"$in": wanted}
    return query


def list_requests(
    repo: MongoRepository, ctx: Context, filters: Mapping[str, Any], after: str | None, limit: int
) -> list[dict[str, Any]]:
    """Requests in the caller's scope, by id; filters are validated scalars only."""
    _require(ctx, READERS)
    return repo.page(scoped_query(ctx, filters), after, limit)


def act(
    repo: MongoRepository,
    ctx: Context,
    request_id: str,
    action: str,
    body: Mapping[str, Any],
    expected: int | None,
    rules: Rules,
    attempts: int = 5,
) -> dict[str, Any]:
    """Apply ``action``; a concurrent change is re-read and re-decided, so only one of two
    incompatible moves (accept vs reject) can win and the other is a 409 naming the new state."""
    _require(ctx, WRITERS)
    for _ in range(attempts):
        doc = _visible(ctx, repo.get(request_id))
        if expected is not None and doc["version"] != expected:
            raise PreconditionFailed(
                f"The request is at version {doc['version']}, not {expected}.",
                current_version=doc["version"],
                current_state=doc["state"],
            )
        try:
            return transition(repo, ctx, doc, action, body, rules)
        except Stale:
            continue
    raise Conflict("The request kept changing; read it again and retry.")


def transition(
    repo: MongoRepository,
    ctx: Context,
    doc: Mapping[str, Any],
    action: str,
    body: Mapping[str, Any],
    rules: Rules,
    by: str | None = None,
    session: ClientSession | None = None,
) -> dict[str, Any]:
    """Decide and write one action on ``doc`` (raises Stale when it moved meanwhile)."""
    try:
        change = rd.decide(
            doc, action, body, ctx.today, law_of(repo, rules)[1], repo.calendar_overrides()
        )
    except rd.NotAllowed as exc:
        raise Conflict(str(exc), current_state=exc.state, action=action) from None
    except rd.RuleBroken as exc:
        raise Unprocessable(str(exc)) from None
    except dl.NoRule as exc:
        raise Unprocessable(str(exc)) from None
    envelopes = events.for_change(doc, change, ctx.now, ctx.correlation_id)
    extra = {
        k: v
        for k, v in (("reason", body.get("reason")), ("motivation", body.get("motivation")))
        if v
    }
    history = history_entry(ctx, action, change.state, by, **extra, **change.history)
    return repo.apply(doc, change, history, ctx.now, envelopes, session=session)


def worklist(
    repo: MongoRepository, ctx: Context, after: tuple[str, str] | None, limit: int
) -> tuple[list[dict[str, Any]], Any]:
    """Every open deadline in the caller's scope, soonest (overdue) first."""
    _require(ctx, READERS)
    scope = (
        None
        if ctx.caller.role in ("admin", "auditor") or ctx.caller.all_scopes
        else list(ctx.caller.member_states)
    )
    page = repo.worklist(scope, after, limit)
    # Only working-day limits need the calendars (one small read, only for the calendars on this page).
    calendars = sorted({e["calendar"] for e in page.items if e["unit"] == dl.WORKING_DAYS})
    overrides = repo.calendar_overrides(calendars) if calendars else {}
    return [views.worklist_item(entry, ctx.today, overrides) for entry in page.items], page.last
