"""The law the clocks apply, readable by whoever reads deadlines: the agreements with their rule
sets (each value with its source and whether it was verified), and holiday calendars with
administrators' per-date overrides (office closures, moved working days, estimated religious
holidays)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import current_app
from marshmallow import Schema, fields

from passage.problems import Conflict, Forbidden, NotFound, PreconditionFailed, Unprocessable
from passage.web import Blueprint, etag, expected_version
from readmission.domain import agreements, deadlines
from readmission.handlers import requests as handlers
from readmission.web import api, schemas

law = Blueprint(
    "readmission_law",
    __name__,
    url_prefix=api.PREFIX,
    description="Agreements, their rule sets with sources, "
    "and calendar overrides the deadline clocks use.",
)
LAW_READERS = ("liaison_officer", "auditor", "system")
Result = tuple[Any, int, dict[str, str]]


def _rule_view(rule: deadlines.RuleVersion) -> dict[str, Any]:
    limits = {
        n: {
            "amount": getattr(rule, n).amount,
            "unit": getattr(rule, n).unit,
            "source": (
                rule.sources.get(n) or agreements.Source(rule.agreement, "not recorded")
            ).as_dict(),
        }
        for n in deadlines.LIMIT_NAMES
    }
    return {
        "version": rule.version,
        "protocol": rule.protocol,
        "procedure": rule.procedure,
        "effective_from": rule.effective_from.isoformat(),
        "deemed_acceptance": rule.deemed_acceptance,
        "extension_ceiling_days": rule.extension_ceiling_days,
        "limits": limits,
        "submission_limit_applies_to": list(deadlines.SUBMISSION_LIMITED),
    }


AgreementListSchema = Schema.from_dict({"items": fields.List(fields.Dict())}, name="AgreementList")
AgreementSchema = Schema.from_dict(
    {
        name: fields.Raw()
        for name in (
            "code",
            "title",
            "parties",
            "in_force",
            "source",
            "not_bound",
            "version",
            "rules",
        )
    },
    name="Agreement",
)
CalendarSchema = Schema.from_dict(
    {"country": fields.String(), "version": fields.Integer(), "days": fields.Dict()},
    name="CalendarOverrides",
)


def _reader() -> handlers.Context:
    context = api.ctx()
    if not context.caller.has_role(*LAW_READERS):
        raise Forbidden("Your role does not allow this action.")
    return context


def _repo():
    return current_app.extensions[api.EXTENSION].repository


def _agreement_view(code: str) -> Result:
    known, rules = handlers.law_of(_repo(), current_app.extensions[api.EXTENSION].rules)
    if code not in known:
        raise NotFound("No such agreement.")
    stored = _repo().agreement(code) or {}
    view = {
        **known[code].as_dict(),
        "version": stored.get("version", 0),
        "rules": [_rule_view(r) for r in rules if r.agreement == code],
    }
    return view, 200, {"ETag": etag(view["version"])}


@law.get("/agreements")
@law.arguments(schemas.NoQuerySchema, location="query", as_kwargs=True)
@law.response(200, AgreementListSchema)
def list_agreements() -> dict[str, Any]:
    """Every agreement with the states it binds (and why others are not bound).

    Each comes with its rule versions and their sources."""
    _reader()
    known, _ = handlers.law_of(_repo(), ())
    return {"items": [_agreement_view(code)[0] for code in sorted(known)]}


@law.get("/agreements/<code>")
@law.arguments(schemas.NoQuerySchema, location="query", as_kwargs=True)
@law.response(200, AgreementSchema)
def get_agreement(code: str) -> Result:
    """One agreement with its parties and the states it does not bind, and why.

    It comes with its rule versions and their sources."""
    _reader()
    return _agreement_view(_code(code))


def _admin() -> handlers.Context:
    context = api.ctx()
    if context.caller.role != "admin":
        raise Forbidden("Only administrators record agreements and their rules.")
    return context


def _code(raw: str) -> str:
    if not schemas.AGREEMENT.fullmatch(raw):
        raise NotFound("No such agreement.")
    return raw


@law.post("/agreements")
@law.arguments(schemas.AgreementCreateSchema)
@law.arguments(schemas.NoQuerySchema, location="query", as_kwargs=True)
@law.response(201, AgreementSchema)
def add_agreement(body: dict[str, Any]) -> Result:
    """Record a further bilateral agreement (administrators); its clocks follow as rule versions."""
    context = _admin()
    missing = [p for p in body["parties"] if not deadlines.has_calendar(p)]
    if missing:
        raise Unprocessable(
            "No holiday calendar is known for a party, so working days cannot be counted.",
            errors=[{"pointer": "/parties", "detail": ", ".join(missing)}],
        )
    if body["code"] in agreements.AGREEMENTS:
        raise Conflict("This agreement is built in; add rule versions to it instead.")
    doc = {
        "_id": body.pop("code"),
        **handlers.plain(body),
        "version": 1,
        "rule_versions": [],
        "recorded_by": context.caller.user_id,
        "recorded_at": context.now,
    }
    _repo().add_agreement(doc)  # AlreadyExists (409) when the code is recorded already
    view, _, headers = _agreement_view(doc["_id"])
    return view, 201, headers


@law.post("/agreements/<code>/rule-versions")
@law.arguments(schemas.RuleVersionSchema)
@law.arguments(schemas.NoQuerySchema, location="query", as_kwargs=True)
@law.response(201, AgreementSchema)
def add_rule_version(body: dict[str, Any], code: str) -> Result:
    """Add a version of the agreement's clocks from its effective date (administrators).

    If-Match once the agreement is recorded."""
    context = _admin()
    _agreement_view(_code(code))  # 404 for an unknown agreement
    stored = _repo().agreement(code)
    expected = expected_version(stored["version"] if stored else None, required=stored is not None)
    version = {
        **handlers.plain(body),
        "recorded_by": context.caller.user_id,
        "recorded_at": context.now,
    }
    if _repo().add_rule_version(code, expected, version) is None:
        raise Conflict(
            "The agreement changed meanwhile, or this version name is taken; read it again."
        )
    view, _, headers = _agreement_view(code)
    return view, 201, headers


def _country(raw: str) -> str:
    if not (raw == deadlines.AZERBAIJAN or schemas.is_state(raw)):
        raise NotFound("No calendar for this country.")
    return raw


def _calendar_view(country: str, doc: dict[str, Any] | None) -> Result:
    view = {
        "country": country,
        "version": (doc or {}).get("version", 0),
        "days": (doc or {}).get("days", {}),
    }
    return handlers.plain(view), 200, {"ETag": etag(view["version"])}


@law.get("/calendars/<country>")
@law.arguments(schemas.NoQuerySchema, location="query", as_kwargs=True)
@law.response(200, CalendarSchema)
def get_calendar(country: str) -> Result:
    """A country's per-date overrides of its public-holiday calendar."""
    _reader()
    code = _country(country)
    return _calendar_view(code, current_app.extensions[api.EXTENSION].repository.calendar(code))


@law.put("/calendars/<country>/days/<day>")
@law.arguments(schemas.CalendarOverrideSchema)
@law.arguments(schemas.NoQuerySchema, location="query", as_kwargs=True)
@law.response(200, CalendarSchema)
def set_calendar_day(body: dict[str, Any], country: str, day: str) -> Result:
    """Override one day (administrators; If-Match with the calendar's ETag once it exists)."""
    context = api.ctx()
    if context.caller.role != "admin":
        raise Forbidden("Only administrators change holiday calendars.")
    code, when = _country(country), _day(day)
    repo = current_app.extensions[api.EXTENSION].repository
    current = repo.calendar(code)
    expected = expected_version(
        current["version"] if current else None, required=current is not None
    )
    override = {**body, "by": context.caller.user_id, "at": context.now}
    doc = repo.set_calendar_day(code, when, override, expected)
    if doc is None:
        raise PreconditionFailed("The calendar changed meanwhile; read it again.")
    return _calendar_view(code, doc)


def _day(raw: str) -> str:
    try:
        return (
            date.fromisoformat(raw).isoformat()
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw)
            else _bad_day(raw)
        )
    except ValueError:
        return _bad_day(raw)


def _bad_day(raw: str) -> str:
    raise NotFound("No such day (use YYYY-MM-DD).")
