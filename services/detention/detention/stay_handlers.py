"""Commands on an open stay (transfer, release, extension, review) and the effects of other
services' events on it. Dependencies are passed in; refusals are domain errors the API maps.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Callable, Mapping

from passage.events.envelope import Envelope, rfc3339

from detention import access, clocks, moves
from detention.handlers import (Context, NotFound, RulesFor, _event, _user, _visible_unit, check_centre_open,
                                medical_document)
from detention.repository import MongoRepository, unit_from_record, utc_ms
from detention.stay_store import StayMissing, StayStore
from detention.views import stay_view


def _held(repo: MongoRepository, ctx: Context, stay_id: str) -> dict[str, Any]:
    access.require(ctx.caller, access.ADMITTERS)
    rec = repo.stay(stay_id)
    if rec is None or not access.in_scope(ctx.caller, rec["centre_id"]):
        raise NotFound(f"No stay {stay_id}.")
    return rec


def _entry(ctx: Context, state: str, **more: Any) -> dict[str, Any]:
    return {"at": utc_ms(ctx.now), "state": state, "by": _user(ctx), **{k: v for k, v in more.items() if v is not None}}


def _today(ctx: Context, rules_for: RulesFor) -> date:
    return clocks.local_day(ctx.now, rules_for(ctx.now.date()).time_zone)


def _missing_as_not_found(fn: Callable[[], dict[str, Any]], stay_id: str) -> dict[str, Any]:
    try:
        return fn()
    except StayMissing:
        raise NotFound(f"No stay {stay_id}.") from None


def transfer(repo: MongoRepository, store: StayStore, ctx: Context, stay_id: str, version: int | None,
             body: Mapping[str, Any], rules_for: RulesFor) -> dict[str, Any]:
    """Move a held person to another unit (or centre): both counters change together or neither."""
    stay = _held(repo, ctx, stay_id)
    target = _visible_unit(repo, ctx, body["unit_id"], access.ADMITTERS)
    check_centre_open(target)
    today = _today(ctx, rules_for)
    moves.check_transfer(stay, unit_from_record(target), today, rules_for(today))
    update = {"$set": {"centre_id": target["centre_id"], "unit_id": target["id"]},
              "$push": {"history": _entry(ctx, "transferred", centre_id=target["centre_id"], unit_id=target["id"],
                                          reason=body.get("reason"))}}
    event = _event(ctx, "detention.stay.transferred", stay_id, {
        "stay_id": stay_id, "person_ref": stay["person_ref"], "from_centre_id": stay["centre_id"],
        "from_unit_id": stay["unit_id"], "centre_id": target["centre_id"], "unit_id": target["id"],
        "transferred_at": rfc3339(ctx.now)})
    rec = _missing_as_not_found(lambda: store.transfer(stay_id, version, target["id"], update, [event],
                                                       today.isoformat()), stay_id)
    return stay_view(rec, ctx.caller)


def _close_update(ctx: Context, reason: str, released_at: datetime, exit_medical: Any) -> dict[str, Any]:
    return {"$set": {"status": "closed", "release_reason": reason, "released_at": released_at, "due_on": None,
                     "released_by": _user(ctx), "exit_medical": exit_medical},
            "$push": {"history": _entry(ctx, "released", reason=reason)}}


def _closed_event(ctx: Context, stay: Mapping[str, Any], reason: str, released_at: datetime) -> Envelope:
    return _event(ctx, "detention.stay.closed", stay["id"], {
        "stay_id": stay["id"], "person_ref": stay["person_ref"], "centre_id": stay["centre_id"],
        "unit_id": stay["unit_id"], "reason": reason, "released_at": rfc3339(released_at)})


def release(repo: MongoRepository, store: StayStore, ctx: Context, stay_id: str, version: int | None,
            body: Mapping[str, Any], rules_for: RulesFor) -> dict[str, Any]:
    """Release a held person with a reason (and the exit examination); the place is free at once."""
    stay = _held(repo, ctx, stay_id)
    released_at = utc_ms(body.get("released_at") or ctx.now)
    moves.check_release(stay, released_at, ctx.now)
    update = _close_update(ctx, body["reason"], released_at, medical_document(body.get("exit_medical")))
    event = _closed_event(ctx, stay, body["reason"], released_at)
    rec = _missing_as_not_found(lambda: store.close(stay_id, version, update, [event],
                                                    _today(ctx, rules_for).isoformat()), stay_id)
    return stay_view(rec, ctx.caller)


def extend(repo: MongoRepository, store: StayStore, ctx: Context, stay_id: str, version: int | None,
           body: Mapping[str, Any], rules_for: RulesFor) -> dict[str, Any]:
    """A new court decision: the legal end moves to its valid-until date."""
    stay = _held(repo, ctx, stay_id)
    if stay["status"] != "open":
        raise moves.StayClosed(stay_id)
    current = date.fromisoformat(stay["legal_end"]) if stay.get("legal_end") else None
    clocks.check_extension(current, body["decided_on"], body["valid_until"], _today(ctx, rules_for))
    review = date.fromisoformat(stay["next_review_on"]) if stay.get("next_review_on") else None
    due = clocks.due_on(body["valid_until"], review)
    decision = {"decision_ref": body["decision_ref"], "court": body["court"],
                "decided_on": body["decided_on"].isoformat(), "valid_until": body["valid_until"].isoformat(),
                "recorded_at": utc_ms(ctx.now), "recorded_by": _user(ctx)}
    update = {"$set": {"legal_end": body["valid_until"].isoformat(), "due_on": due.isoformat() if due else None},
              "$push": {"extensions": decision, "history": _entry(ctx, "extended")}}
    return stay_view(_missing_as_not_found(lambda: store.change(stay_id, version, update), stay_id), ctx.caller)


def review(repo: MongoRepository, store: StayStore, ctx: Context, stay_id: str, version: int | None,
           body: Mapping[str, Any], rules_for: RulesFor) -> dict[str, Any]:
    """Record that the stay was reviewed, and when it is next."""
    stay = _held(repo, ctx, stay_id)
    if stay["status"] != "open":
        raise moves.StayClosed(stay_id)
    clocks.check_review(body["next_review_on"], _today(ctx, rules_for))
    legal_end = date.fromisoformat(stay["legal_end"]) if stay.get("legal_end") else None
    due = clocks.due_on(legal_end, body["next_review_on"])
    update = {"$set": {"next_review_on": body["next_review_on"].isoformat(), "due_on": due.isoformat() if due else None},
              "$push": {"history": _entry(ctx, "reviewed", reason=body.get("outcome"))}}
    return stay_view(_missing_as_not_found(lambda: store.change(stay_id, version, update), stay_id), ctx.caller)
