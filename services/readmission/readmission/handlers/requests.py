"""Readmission's use cases, one function each; repository, caller, clock and rules are passed in,
so the same code runs under Flask, in the worker and in tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from passage import names
from passage.context import Context
from passage.errors import (
    KeptChanging,
    NotAllowed,
    NotFoundError,
    VersionConflict,
    retry_on_conflict,
)
from passage.identity import Identity
from passage.transaction import Transaction
from readmission.domain import agreements, events, views
from readmission.domain import deadlines as dl
from readmission.domain import requests as rd
from readmission.domain.scope import visible_states
from readmission.domain.search import REQUEST_SEARCH

if TYPE_CHECKING:
    from readmission.adapters.repository import MongoRepository

READERS = ("liaison_officer", "auditor")  # admin always passes
WRITERS = ("liaison_officer",)
Rules = Sequence[dl.RuleVersion]
Known = Mapping[str, agreements.Agreement]


def require(ctx: Context, roles: Sequence[str]) -> None:
    """Refuse a caller whose role is not among ``roles`` (an administrator always passes)."""
    if not ctx.caller.has_role(*roles):
        raise NotAllowed("Your role does not allow this action.")


def _visible(ctx: Context, doc: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The request if the caller may know it exists; a 404 otherwise (no hint it exists
    elsewhere)."""
    if doc is None or not ctx.caller.may_see_member_state(doc["member_state"]):
        raise NotFoundError("No such readmission request in your scope.")
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


def has_record_in_scope(repo: MongoRepository, caller: Identity, person_ref: str) -> bool:
    """Whose whereabouts a caller may look up: only people with a request or a transit request
    in the caller's member states (finding 3 of #11); anyone else reads as unknown."""
    return repo.has_record_of(visible_states(caller), person_ref)


def create_request(
    repo: MongoRepository, ctx: Context, body: Mapping[str, Any], rules: Rules
) -> dict[str, Any]:
    """Open a draft request (incoming or outgoing) with its particulars and evidence."""
    require(ctx, WRITERS)
    if not ctx.caller.may_see_member_state(body["member_state"]):
        raise NotAllowed("This member state is outside your scope.")
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
        raise rd.RuleBroken(
            "Dates cannot lie in the future.", field="learned_on", field_detail="In the future."
        )
    if body["procedure"] == "accelerated" and not body.get("apprehended_on"):
        raise rd.RuleBroken(
            "An accelerated request needs the date of apprehension.",
            field="apprehended_on",
            field_detail="Required for the accelerated procedure.",
        )
    known, rules = law_of(repo, rules)
    bound_by(doc["agreement"], doc["member_state"], known)
    opened = rd.initial_deadlines(rd.Law(rules, repo.calendar_overrides()), doc)
    doc["history"] = [history_entry(ctx, "create", "draft")]
    doc.update(names.search_keys(doc, REQUEST_SEARCH))
    return repo.add(doc, opened, [])


def law_of(repo: MongoRepository, rules: Rules) -> tuple[Known, tuple[dl.RuleVersion, ...]]:
    """The agreements (built-in and recorded by administrators) and the full rule table: one
    read."""
    stored = repo.agreements()
    recorded = (
        dl.rule_from(doc["_id"], v) for doc in stored for v in doc.get("rule_versions") or []
    )
    return agreements.known(stored), (*rules, *recorded)


def bound_by(agreement: str, member_state: str, known: Known = agreements.AGREEMENTS) -> None:
    """Refuse (NotBound, a 422 naming the reason) an agreement that does not bind the state
    (e.g. DK, IE under EU–AZ)."""
    agreements.check_bound(agreement, member_state, known)


def _stored(body: Mapping[str, Any]) -> dict[str, Any]:
    try:
        evidence = [rd.new_evidence(plain(e)) for e in body.get("evidence", [])]
    except rd.RuleBroken as exc:
        raise rd.RuleBroken(exc.detail, field="evidence") from None
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
    require(ctx, READERS)
    return _visible(ctx, repo.get(request_id))


def list_requests(
    repo: MongoRepository, ctx: Context, filters: Mapping[str, Any], after: str | None, limit: int
) -> list[dict[str, Any]]:
    """Requests in the caller's scope, by id; filters are validated scalars only."""
    require(ctx, READERS)
    return repo.page(visible_states(ctx.caller), filters, after, limit)


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
    require(ctx, WRITERS)

    def attempt() -> dict[str, Any]:
        doc = _visible(ctx, repo.get(request_id))
        expect_version(doc, expected, "request")
        return transition(repo, ctx, doc, action, body, rules)

    return retry_as_told(attempt, expected, "request", attempts)


def expect_version(doc: Mapping[str, Any], expected: int | None, what: str) -> None:
    """Refuse (412) a step the caller based on another version than the record's."""
    if expected is not None and doc["version"] != expected:
        raise VersionConflict(
            doc["version"],
            f"The {what} is at version {doc['version']}, not {expected}.",
            current_state=doc["state"],
        )


def retry_as_told(
    attempt: Callable[[], dict[str, Any]], expected: int | None, what: str, attempts: int
) -> dict[str, Any]:
    """Re-read and re-decide after a lost race. With ``If-Match`` one re-read is enough: the
    record is no longer at the caller's version, so the 412 names where it is now."""
    if expected is not None:
        try:
            return attempt()
        except VersionConflict:
            return attempt()
    try:
        return retry_on_conflict(attempt, attempts=attempts)
    except KeptChanging:
        raise KeptChanging(None, f"The {what} kept changing; read it again and retry.") from None


def transition(
    repo: MongoRepository,
    ctx: Context,
    doc: Mapping[str, Any],
    action: str,
    body: Mapping[str, Any],
    rules: Rules,
    by: str | None = None,
    tx: Transaction | None = None,
) -> dict[str, Any]:
    """Decide and write one action on ``doc`` (VersionConflict when it moved meanwhile)."""
    change = rd.decide(
        doc, action, body, ctx.today, law_of(repo, rules)[1], repo.calendar_overrides()
    )
    envelopes = events.for_change(doc, change, ctx.now, ctx.correlation_id)
    extra = {
        k: v
        for k, v in (("reason", body.get("reason")), ("motivation", body.get("motivation")))
        if v
    }
    history = history_entry(ctx, action, change.state, by, **extra, **change.history)
    return repo.apply(doc, change, history, ctx.now, envelopes, tx=tx)


def worklist(
    repo: MongoRepository, ctx: Context, after: tuple[str, str] | None, limit: int
) -> tuple[list[dict[str, Any]], Any]:
    """Every open deadline in the caller's scope, soonest (overdue) first."""
    require(ctx, READERS)
    page = repo.worklist(visible_states(ctx.caller), after, limit)
    # Only working-day limits need the calendars (one small read, only for the calendars on this
    # page).
    calendars = sorted({e["calendar"] for e in page.items if e["unit"] == dl.WORKING_DAYS})
    overrides = repo.calendar_overrides(calendars) if calendars else {}
    return [views.worklist_item(entry, ctx.today, overrides) for entry in page.items], page.last
