"""Commands on an open stay (transfer, release, extension, review, entry examination) and the
stay reads. Dependencies are passed in (the repository and stay store ports); refusals are domain
errors the web layer's table maps. Changes are :class:`~detention.domain.moves.StayChange`
records: what MongoDB makes of them is the adapters' business.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from detention.domain import access, clocks, law, moves
from detention.domain.clocks import utc_ms
from detention.domain.model import AlreadyExists, DetentionError, unit_from_record
from detention.domain.moves import StayChange
from detention.handlers.common import (
    Context,
    Repository,
    RulesFor,
    centres_today,
    check_centre_open,
    medical_document,
    outgoing_event,
    user_of,
    visible_unit,
)
from detention.handlers.views import stay_view
from passage.errors import NotFoundError
from passage.events.envelope import Envelope, rfc3339


def _held(repo: Repository, ctx: Context, stay_id: str) -> dict[str, Any]:
    access.require(ctx.caller, access.ADMITTERS)
    rec = repo.stay(stay_id)
    if rec is None or not access.in_scope(ctx.caller, rec["centre_id"]):
        raise NotFoundError(f"No stay {stay_id}.")
    return rec


def _open(repo: Repository, ctx: Context, stay_id: str) -> dict[str, Any]:
    """A held stay the caller may act on, refused once closed: extensions, reviews and entry
    examinations only make sense while the person is held."""
    stay = _held(repo, ctx, stay_id)
    if stay["status"] != "open":
        raise moves.StayClosed(stay_id)
    return stay


def _day(stay: Mapping[str, Any], key: str) -> date | None:
    """A date the stay keeps as ISO text, when it has one."""
    return date.fromisoformat(stay[key]) if stay.get(key) else None


def _entry(ctx: Context, state: str, **more: Any) -> dict[str, Any]:
    return {
        "at": utc_ms(ctx.now),
        "state": state,
        "by": user_of(ctx),
        **{k: v for k, v in more.items() if v is not None},
    }


class StayStore(Protocol):
    """The writes that move held people (``adapters.stay_store.StayStore`` or a fake); each is one
    atomic step. A missing stay is :class:`NotFoundError`, a closed one ``StayClosed``, another
    version :class:`~passage.errors.VersionConflict`. The unit the stay was read in (``unit_id``,
    ``source_unit``) lets moves of one unit take turns; it decides nothing."""

    def transfer(
        self,
        stay_id: str,
        version: int | None,
        target_unit: str,
        change: StayChange,
        events: Sequence[Envelope],
        day: str,
        source_unit: str | None = None,
    ) -> dict[str, Any]: ...
    def close(
        self,
        stay_id: str,
        version: int | None,
        change: StayChange,
        events: Sequence[Envelope],
        day: str,
        unit_id: str | None = None,
    ) -> dict[str, Any]: ...
    def change(
        self,
        stay_id: str,
        version: int | None,
        change: StayChange,
        events: Sequence[Envelope] = (),
    ) -> dict[str, Any]: ...


def transfer(
    repo: Repository,
    store: StayStore,
    ctx: Context,
    stay_id: str,
    version: int | None,
    body: Mapping[str, Any],
    rules_for: RulesFor,
) -> dict[str, Any]:
    """Move a held person to another unit (or centre): both counters change together or neither."""
    stay = _held(repo, ctx, stay_id)
    target = visible_unit(repo, ctx, body["unit_id"], access.ADMITTERS)
    check_centre_open(target)
    today = centres_today(ctx, rules_for)
    moves.check_transfer(stay, unit_from_record(target), today, rules_for(today))
    update = StayChange(
        fields={"centre_id": target["centre_id"], "unit_id": target["id"]},
        appended={
            "history": _entry(
                ctx,
                "transferred",
                centre_id=target["centre_id"],
                unit_id=target["id"],
                reason=body.get("reason"),
            )
        },
    )
    event = outgoing_event(
        ctx,
        "detention.stay.transferred",
        stay_id,
        {
            "stay_id": stay_id,
            "person_ref": stay["person_ref"],
            "from_centre_id": stay["centre_id"],
            "from_unit_id": stay["unit_id"],
            "centre_id": target["centre_id"],
            "unit_id": target["id"],
            "transferred_at": rfc3339(ctx.now),
        },
    )
    rec = store.transfer(
        stay_id, version, target["id"], update, [event], today.isoformat(), stay["unit_id"]
    )
    return stay_view(rec, ctx.caller)


def close_change(ctx: Context, reason: str, released_at: datetime, exit_medical: Any) -> StayChange:
    """The stay closed with its reason (a release here, or a departure another service saw)."""
    return StayChange(
        fields={
            "status": "closed",
            "release_reason": reason,
            "released_at": released_at,
            "due_on": None,
            "released_by": user_of(ctx),
            "exit_medical": exit_medical,
        },
        appended={"history": _entry(ctx, "released", reason=reason)},
    )


def closed_event(
    ctx: Context, stay: Mapping[str, Any], reason: str, released_at: datetime
) -> Envelope:
    return outgoing_event(
        ctx,
        "detention.stay.closed",
        stay["id"],
        {
            "stay_id": stay["id"],
            "person_ref": stay["person_ref"],
            "centre_id": stay["centre_id"],
            "unit_id": stay["unit_id"],
            "reason": reason,
            "released_at": rfc3339(released_at),
        },
    )


def release(
    repo: Repository,
    store: StayStore,
    ctx: Context,
    stay_id: str,
    version: int | None,
    body: Mapping[str, Any],
    rules_for: RulesFor,
) -> dict[str, Any]:
    """Release a held person with a reason (and the exit examination); the place is free at once."""
    stay = _held(repo, ctx, stay_id)
    released_at = utc_ms(body.get("released_at") or ctx.now)
    moves.check_release(stay, released_at, ctx.now)
    update = close_change(
        ctx, body["reason"], released_at, medical_document(body.get("exit_medical"))
    )
    event = closed_event(ctx, stay, body["reason"], released_at)
    day = centres_today(ctx, rules_for).isoformat()
    rec = store.close(stay_id, version, update, [event], day, stay["unit_id"])
    return stay_view(rec, ctx.caller)


def extend(
    repo: Repository,
    store: StayStore,
    ctx: Context,
    stay_id: str,
    version: int | None,
    body: Mapping[str, Any],
    rules_for: RulesFor,
) -> dict[str, Any]:
    """A new court decision: the legal end moves to its valid-until date."""
    stay = _open(repo, ctx, stay_id)
    current = _day(stay, "legal_end")
    clocks.check_extension(
        current, body["decided_on"], body["valid_until"], centres_today(ctx, rules_for)
    )
    admitted_on = date.fromisoformat(stay["admitted_on"])
    law.check_within(
        stay["legal_basis"]["kind"],
        admitted_on,
        body["valid_until"],
        rules_for(admitted_on),
        extended=bool(stay.get("asylum_extension")),
    )
    review = _day(stay, "next_review_on")
    due = clocks.due_on(body["valid_until"], review)
    decision = {
        "decision_ref": body["decision_ref"],
        "court": body["court"],
        "decided_on": body["decided_on"].isoformat(),
        "valid_until": body["valid_until"].isoformat(),
        "recorded_at": utc_ms(ctx.now),
        "recorded_by": user_of(ctx),
    }
    update = StayChange(
        fields={
            "legal_end": body["valid_until"].isoformat(),
            "due_on": due.isoformat() if due else None,
        },
        appended={"extensions": decision, "history": _entry(ctx, "extended")},
    )
    return stay_view(store.change(stay_id, version, update), ctx.caller)


def review(
    repo: Repository,
    store: StayStore,
    ctx: Context,
    stay_id: str,
    version: int | None,
    body: Mapping[str, Any],
    rules_for: RulesFor,
) -> dict[str, Any]:
    """Record that the stay was reviewed, and when it is next."""
    stay = _open(repo, ctx, stay_id)
    clocks.check_review(body["next_review_on"], centres_today(ctx, rules_for))
    legal_end = _day(stay, "legal_end")
    due = clocks.due_on(legal_end, body["next_review_on"])
    update = StayChange(
        fields={
            "next_review_on": body["next_review_on"].isoformat(),
            "due_on": due.isoformat() if due else None,
        },
        appended={"history": _entry(ctx, "reviewed", reason=body.get("outcome"))},
    )
    return stay_view(store.change(stay_id, version, update), ctx.caller)


def extend_for_granted_status(
    repo: Repository,
    store: StayStore,
    ctx: Context,
    stay_id: str,
    version: int | None,
    body: Mapping[str, Any],
    rules_for: RulesFor,
) -> dict[str, Any]:
    """An asylum applicant granted status: the legal end moves by the further months the rule table
    holds."""
    stay = _open(repo, ctx, stay_id)
    admitted_on = date.fromisoformat(stay["admitted_on"])
    rules = rules_for(admitted_on)
    _check_asylum_extension(stay, body["granted_on"], centres_today(ctx, rules_for))
    legal_end = law.last_lawful_day("asylum_applicant", admitted_on, rules, extended=True)
    if legal_end is None:
        raise DetentionError(
            "asylum_extension_rule", "The rule table holds no asylum maximum to extend."
        )
    review = _day(stay, "next_review_on")
    due = clocks.due_on(legal_end, review)
    record = {
        "decision_ref": body["decision_ref"],
        "granted_on": body["granted_on"].isoformat(),
        "months": rules.asylum_extension_months,
        "source": rules.sources["asylum_extension_months"].as_dict(),
        "recorded_at": utc_ms(ctx.now),
        "recorded_by": user_of(ctx),
    }
    update = StayChange(
        fields={
            "legal_end": legal_end.isoformat(),
            "due_on": due.isoformat() if due else None,
            "asylum_extension": record,
        },
        appended={"history": _entry(ctx, "extended", reason="asylum status granted")},
    )
    return stay_view(store.change(stay_id, version, update), ctx.caller)


def _check_asylum_extension(stay: Mapping[str, Any], granted_on: date, today: date) -> None:
    if stay["legal_basis"]["kind"] != "asylum_applicant":
        raise DetentionError(
            "asylum_extension_basis",
            "Only a stay of an asylum applicant has this extension.",
            field="decision_ref",
        )
    if stay.get("asylum_extension"):
        raise AlreadyExists("asylum_extension_once", "The further months were granted already.")
    if granted_on > today or granted_on < date.fromisoformat(stay["admitted_on"]):
        raise DetentionError(
            "granted_on_range",
            "The status was granted between the admission and today.",
            field="granted_on",
        )


def record_entry_examination(
    repo: Repository,
    store: StayStore,
    ctx: Context,
    stay_id: str,
    version: int | None,
    body: Mapping[str, Any],
    rules_for: RulesFor,
) -> dict[str, Any]:
    """The medical examination on entry, recorded after the admission; it ends the
    missing-examination alert."""
    stay = _open(repo, ctx, stay_id)
    if stay.get("entry_medical"):
        raise AlreadyExists("entry_examination_once", "The entry examination is recorded already.")
    today = centres_today(ctx, rules_for)
    if not date.fromisoformat(stay["admitted_on"]) <= body["examined_on"] <= today:
        raise DetentionError(
            "examined_on_range",
            "The examination is dated between the admission and today.",
            field="examined_on",
        )
    update = StayChange(
        fields={"entry_medical": medical_document(body)},
        appended={"history": _entry(ctx, "examined", reason="entry medical examination")},
    )
    return stay_view(store.change(stay_id, version, update), ctx.caller)
