"""Admissions: one person, or a family together, into a unit. The rules decide first; then one
atomic write takes the places (all of a family's or none) and opens the stays.

A person may join a family group (new, or existing by id); a minor is accompanied when an adult
parent or guardian of the group is held in the centre or admitted in the same request. The
conflict "already held" names the stay only to a caller who may see it (no cross-centre oracle).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from detention.domain import access, clocks, law
from detention.domain import model as domain
from detention.domain.clocks import utc_ms
from detention.domain.families import Family, Member, has_carer, new_group_id
from detention.domain.model import STAY_SEARCH, Decide, unit_from_record
from detention.domain.rules import Rules, rules_on
from detention.handlers.common import (
    Context,
    Repository,
    RulesFor,
    check_centre_open,
    medical_document,
    outgoing_event,
    seen_unit,
    user_of,
    visible_unit,
)
from detention.handlers.views import stay_view
from passage import names
from passage.events.envelope import Envelope, rfc3339

T = TypeVar("T")


def admit(
    repo: Repository, ctx: Context, body: Mapping[str, Any], rules_for: RulesFor = rules_on
) -> dict[str, Any]:
    """Admit a person to a unit: one atomic write takes the place and opens the stay, with the
    rules deciding on the unit as that write finds it (no read before it)."""
    access.require(ctx.caller, access.ADMITTERS)
    now = utc_ms(ctx.now)
    rules = rules_for(now.date())
    day = clocks.local_day(now, rules.time_zone)
    person = _person(body["person"])

    def decide(rec: Mapping[str, Any]) -> list[tuple[dict[str, Any], list[Envelope]]]:
        _check_seen(ctx, rec)
        family = _family(repo, rec["centre_id"], body.get("family_group"), day, rules)
        stay, event = _prepared(rec, ctx, body, person, family, now, rules)
        return [(stay, [event])]

    stays = _admitting(repo, ctx, body["unit_id"], [person.person_ref], "person", decide)
    return stay_view(stays[0], ctx.caller)


def admit_family(
    repo: Repository, ctx: Context, body: Mapping[str, Any], rules_for: RulesFor = rules_on
) -> dict[str, Any]:
    """Admit a family together into one unit: every member gets a place, or nobody does."""
    access.require(ctx.caller, access.ADMITTERS)
    now = utc_ms(ctx.now)
    rules = rules_for(now.date())
    day = clocks.local_day(now, rules.time_zone)
    members = body["members"]
    people = [_person(m["person"]) for m in members]
    group_id = body.get("family_group_id") or new_group_id()

    def decide(rec: Mapping[str, Any]) -> list[tuple[dict[str, Any], list[Envelope]]]:
        _check_seen(ctx, rec)
        _check_distinct(people)
        held = _group(repo, rec["centre_id"], body.get("family_group_id"))
        together = held + [
            Member(m["relation"], p.birth_date) for m, p in zip(members, people, strict=True)
        ]
        accompanied = has_carer(together, day, rules.adult_age)
        return [
            (stay, [event])
            for stay, event in (
                _member(i, rec, ctx, m, p, Family(group_id, m["relation"], accompanied), now, rules)
                for i, (m, p) in enumerate(zip(members, people, strict=True))
            )
        ]

    try:
        stays = _admitting(
            repo, ctx, body["unit_id"], [p.person_ref for p in people], "members", decide
        )
    except domain.UnitFull as full:
        raise domain.NotEnoughPlaces(
            full.unit_id or body["unit_id"], full.occupancy, full.capacity, len(people)
        ) from None
    return {"family_group_id": group_id, "stays": [stay_view(s, ctx.caller) for s in stays]}


def _check_seen(ctx: Context, rec: Mapping[str, Any]) -> None:
    """The unit is the caller's to admit into (else not found) and its centre is open."""
    check_centre_open(seen_unit(ctx, rec, rec["id"]))


def _admitting(
    repo: Repository,
    ctx: Context,
    unit_id: str,
    refs: Sequence[str],
    pointer: str,
    decide: Decide,
) -> list[dict[str, Any]]:
    """The admitting write; when it cannot take the places, the refusal the caller meets first
    (unknown unit, closed centre, a rule) before "full", as when the unit is read first. The write
    names the caller's centres, so a unit they may not see is never written to."""
    scope = access.centre_scope(ctx.caller)
    try:
        return _opening(
            repo, ctx, refs, pointer, lambda: repo.admit(unit_id, len(refs), scope, decide)
        )
    except domain.UnitFull:
        decide(visible_unit(repo, ctx, unit_id, access.ADMITTERS))
        raise


def _member(
    index: int,
    rec: Mapping[str, Any],
    ctx: Context,
    body: Mapping[str, Any],
    person: domain.Person,
    family: Family,
    now: datetime,
    rules: Rules,
) -> tuple[dict[str, Any], Envelope]:
    """One member's decision; a refusal points at ``/members/<index>/…``."""
    try:
        return _prepared(rec, ctx, body, person, family, now, rules)
    except domain.DetentionError as exc:
        exc.field = f"members.{index}" + (f".{exc.field}" if exc.field else "")
        raise


def _check_distinct(people: Sequence[domain.Person]) -> None:
    seen: set[str] = set()
    for index, person in enumerate(people):
        if person.person_ref in seen:
            raise domain.DetentionError(
                "family_members_distinct",
                "The same person is listed twice.",
                field=f"members.{index}.person.person_ref",
            )
        seen.add(person.person_ref)


def _group(repo: Repository, centre_id: str, group_id: str | None) -> list[Member]:
    """The members an existing group holds in this centre (a new group: none)."""
    if group_id is None:
        return []
    return _held_members(repo, group_id, centre_id, "family_group_id")


def _held_members(repo: Repository, group_id: str, centre_id: str, field: str) -> list[Member]:
    held = repo.held_family_members(group_id, centre_id)
    if not held:
        raise domain.DetentionError(
            "family_group_unknown",
            f"Nobody of family group {group_id} is held in centre "
            f"{centre_id}: start a new group instead.",
            field=field,
        )
    return [
        Member(s["family_group"]["relation"], date.fromisoformat(s["person"]["birth_date"]))
        for s in held
    ]


def _family(
    repo: Repository, centre_id: str, raw: Mapping[str, Any] | None, day: date, rules: Rules
) -> Family | None:
    """The family group a single admission names: ``{"new": true}`` or ``{"id": …}``, with the
    relation."""
    if raw is None:
        return None
    if bool(raw.get("new")) == ("id" in raw):
        raise domain.DetentionError(
            "family_group_choice",
            'Give either the id of an existing family group or "new": true.',
            field="family_group",
        )
    if raw.get("new"):
        return Family(new_group_id(), raw["relation"])
    held = _held_members(repo, raw["id"], centre_id, "family_group.id")
    return Family(raw["id"], raw["relation"], has_carer(held, day, rules.adult_age))


def _opening(
    repo: Repository, ctx: Context, refs: Sequence[str], pointer: str, write: Callable[[], T]
) -> T:
    try:
        return write()
    except domain.PersonAlreadyHeld as exc:
        raise _held_where(repo, ctx, refs, pointer) or exc from None


def _held_where(
    repo: Repository, ctx: Context, refs: Sequence[str], pointer: str
) -> domain.PersonAlreadyHeld | None:
    """The conflict as the caller may see it: where the person is held only if that stay is theirs
    to see."""
    for index, ref in enumerate(refs):
        stay = repo.open_stay_of_person(ref)
        if stay is None:
            continue
        field = "person.person_ref" if pointer == "person" else f"members.{index}.person.person_ref"
        if ctx.caller.role in access.STAY_READERS and access.in_scope(
            ctx.caller, stay["centre_id"]
        ):
            held = domain.PersonAlreadyHeld(
                "one_open_stay",
                f"Person {ref} already has an open stay ({stay['id']}, "
                f"centre {stay['centre_id']}, unit {stay['unit_id']}).",
                field=field,
            )
            held.show(
                {"stay_id": stay["id"], "centre_id": stay["centre_id"], "unit_id": stay["unit_id"]}
            )
            return held
        return domain.PersonAlreadyHeld(
            "one_open_stay", "This person already has an open stay.", field=field
        )
    return None


def _prepared(
    rec: Mapping[str, Any],
    ctx: Context,
    body: Mapping[str, Any],
    person: domain.Person,
    family: Family | None,
    now: datetime,
    rules: Rules,
) -> tuple[dict[str, Any], Envelope]:
    """The stay document and its ``detention.stay.opened`` envelope, once every rule has agreed."""
    basis = _basis(body["legal_basis"])
    admission = domain.decide_admission(
        unit_from_record(rec),
        person,
        basis,
        _override(body.get("minor_override")),
        now,
        rules,
        family,
    )
    if basis.valid_until is not None:
        law.check_within(
            basis.kind,
            admission.admitted_on,
            basis.valid_until,
            rules,
            field="legal_basis.valid_until",
        )
    stay = {
        **_stay_document(admission, ctx),
        **_clocks_and_history(admission, ctx, rules, body.get("medical_examination")),
    }
    declared = sorted(set(body.get("vulnerabilities") or ()))
    # The categories themselves are sensitive (shown with the particulars); every reader sees the
    # alert.
    stay.update(
        vulnerabilities=declared,
        alerts=[*stay["alerts"], *(["vulnerability_declared"] if declared else [])],
    )
    return stay, _stay_opened(admission, ctx)


def _person(raw: Mapping[str, Any]) -> domain.Person:
    return domain.Person(
        person_ref=raw.get("person_ref") or str(uuid.uuid4()),
        given_name=raw["given_name"],
        family_name=raw["family_name"],
        birth_date=raw["birth_date"],
        sex=raw["sex"],
        nationality=raw.get("nationality"),
    )


def _basis(raw: Mapping[str, Any]) -> domain.LegalBasis:
    return domain.LegalBasis(
        kind=raw["kind"],
        decision_ref=raw.get("decision_ref"),
        court=raw.get("court"),
        decided_on=raw.get("decided_on"),
        valid_until=raw.get("valid_until"),
    )


def _override(raw: Mapping[str, Any] | None) -> domain.MinorOverride | None:
    return (
        domain.MinorOverride(reason=raw["reason"], approved_by=raw["approved_by"]) if raw else None
    )


def _stay_document(admission: domain.Admission, ctx: Context) -> dict[str, Any]:
    person, basis, family = admission.person, admission.legal_basis, admission.family
    legal_basis = {
        "kind": basis.kind,
        **{
            k: (v.isoformat() if isinstance(v, date) else v)
            for k, v in (
                ("decision_ref", basis.decision_ref),
                ("court", basis.court),
                ("decided_on", basis.decided_on),
                ("valid_until", basis.valid_until),
            )
            if v is not None
        },
    }
    override = admission.minor_override
    return {
        "_id": admission.stay_id,
        "person_ref": person.person_ref,
        "centre_id": admission.unit.centre_id,
        "unit_id": admission.unit.id,
        "status": "open",
        "admitted_at": admission.admitted_at,
        "admitted_by": user_of(ctx),
        "legal_basis": legal_basis,
        "legal_end": admission.legal_end.isoformat() if admission.legal_end else None,
        "person": {
            "given_name": person.given_name,
            "family_name": person.family_name,
            "birth_date": person.birth_date.isoformat(),
            "sex": person.sex,
            "nationality": person.nationality,
        },
        "sex": person.sex,
        "nationality": person.nationality,
        "age_band": admission.age_band,
        "alerts": list(admission.alerts),
        "version": 1,
        "minor_override": {"reason": override.reason, "approved_by": override.approved_by}
        if override
        else None,
        "family_group": {"id": family.group_id, "relation": family.relation} if family else None,
        **names.search_keys(
            {"person": {"given_name": person.given_name, "family_name": person.family_name}},
            STAY_SEARCH,
        ),
    }


def _clocks_and_history(
    admission: domain.Admission, ctx: Context, rules: Rules, medical: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The admission's local day, its clocks, its first history entry and the entry examination."""
    day = admission.admitted_on
    review = day + timedelta(days=rules.review_interval_days)
    due = clocks.due_on(admission.legal_end, review)
    entry = {
        "at": admission.admitted_at,
        "state": "admitted",
        "by": user_of(ctx),
        "centre_id": admission.unit.centre_id,
        "unit_id": admission.unit.id,
    }
    return {
        "admitted_on": day.isoformat(),
        "next_review_on": review.isoformat(),
        "due_on": due.isoformat() if due else None,
        "history": [entry],
        "deadlines_emitted": [],
        "entry_medical": medical_document(medical),
        "planned_release_on": None,
    }


def _stay_opened(admission: domain.Admission, ctx: Context) -> Envelope:
    """The fact other services learn: identifiers and non-identifying attributes only."""
    person = admission.person
    return outgoing_event(
        ctx,
        "detention.stay.opened",
        admission.stay_id,
        {
            "stay_id": admission.stay_id,
            "person_ref": person.person_ref,
            "centre_id": admission.unit.centre_id,
            "unit_id": admission.unit.id,
            "legal_basis": admission.legal_basis.kind,
            "admitted_at": rfc3339(admission.admitted_at),
            "legal_end": admission.legal_end.isoformat() if admission.legal_end else None,
            "nationality": person.nationality,
            "sex": person.sex,
            "age_band": admission.age_band,
        },
    )
