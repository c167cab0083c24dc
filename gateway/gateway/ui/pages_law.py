"""The administrator's pages for the law the deadline clocks apply: agreements with their rule
versions (every limit with its source and whether the official text was read) and each country's
holiday-calendar overrides. Everything goes through the readmission service's API as the
administrator; its version checks (If-Match) come from the version the page showed.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from flask_babel import gettext as _

from gateway.ui.forms import BOOL, INT, TEXT, WORDS, body_from, refusal
from gateway.ui.web import call, get, render, safe_id, signed_in, unavailable
from passage.web import etag

R = "/api/v1/readmission"
AGREEMENT = {
    "code": TEXT,
    "title": TEXT,
    "parties": WORDS,
    "in_force": TEXT,
    "source.article": TEXT,
    "source.paragraph": TEXT,
    "source.verified": BOOL,
    "source.note": TEXT,
}
LIMITS = (
    "submit",
    "reply",
    "transfer",
    "travel_document",
    "take_back_own_nationals",
    "take_back_others",
    "transit_reply",
)
LIMIT = {"amount": INT, "unit": TEXT, "article": TEXT, "paragraph": TEXT, "verified": BOOL}
RULE_VERSION = {
    "version": TEXT,
    "protocol": TEXT,
    "procedure": TEXT,
    "effective_from": TEXT,
    "deemed_acceptance": BOOL,
    "extension_ceiling_days": INT,
    **{f"limits.{name}.{part}": kind for name in LIMITS for part, kind in LIMIT.items()},
}
OVERRIDE = {"working": BOOL, "kind": TEXT, "reason": TEXT}
CHOICES = {
    "unit": ("calendar_days", "working_days", "months"),
    "procedure": ("normal", "accelerated"),
    "kind": ("office_closure", "moved_working_day", "estimated_religious_holiday", "other"),
}
COUNTRY = re.compile(r"^[A-Z]{2}\Z")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/admin/agreements", "admin_agreements", agreements, methods=["GET", "POST"])
    blp.add_url_rule(
        "/admin/agreements/<code>/rule-versions",
        "admin_rule_version",
        add_rule_version,
        methods=["POST"],
    )
    blp.add_url_rule("/admin/calendars", "admin_calendars", calendars, methods=["GET", "POST"])


def _agreements_page(status: int = 200, **form: Any) -> Response:
    answer = get(f"{R}/agreements")
    if not answer.ok:
        return unavailable(answer, _("The agreements"))
    return render(
        "ui/admin_agreements.html",
        status=status,
        agreements=answer.body.get("items", []),
        limits=LIMITS,
        choices=CHOICES,
        added=request.args.get("added", ""),
        **{"form": "", "values": {}, "errors": {}, "general": [], **form},
    )


@signed_in("admin")
def agreements() -> Any:
    """The agreements and their rule versions; POST records a further bilateral agreement."""
    if request.method == "GET":
        return _agreements_page()
    answer = call("POST", f"{R}/agreements", body=body_from(request.form, AGREEMENT))
    if answer.ok:
        return redirect(url_for("ui.admin_agreements", added=answer.body["code"]), code=303)
    errors, general = refusal(answer, set(AGREEMENT))
    return _agreements_page(
        answer.status, form="agreement", values=request.form, errors=errors, general=general
    )


@signed_in("admin")
def add_rule_version(code: str) -> Any:
    """A new version of an agreement's clocks, checked against the version the page showed."""
    code = safe_id(code)
    version = request.form.get("agreement_version", "")
    answer = call(
        "POST",
        f"{R}/agreements/{code}/rule-versions",
        body=body_from(request.form, RULE_VERSION),
        if_match=etag(int(version)) if version.isdigit() and version != "0" else None,
    )
    if answer.ok:
        return redirect(url_for("ui.admin_agreements", added=f"{code}"), code=303)
    errors, general = refusal(answer, set(RULE_VERSION))
    return _agreements_page(
        answer.status, form=f"rules-{code}", values=request.form, errors=errors, general=general
    )


def _country() -> str:
    raw = (request.values.get("country") or "AZ").strip().upper()
    return raw if COUNTRY.match(raw) else "AZ"


def _calendar_page(country: str, status: int = 200, **form: Any) -> Response:
    answer = get(f"{R}/calendars/{country}")
    if not answer.ok:
        return unavailable(answer, _("This calendar"))
    days = sorted((answer.body.get("days") or {}).items())
    return render(
        "ui/admin_calendars.html",
        status=status,
        calendar=answer.body,
        days=days,
        choices=CHOICES,
        saved=request.args.get("saved", ""),
        **{"values": {}, "errors": {}, "general": [], **form},
    )


@signed_in("admin")
def calendars() -> Any:
    """One country's holiday overrides (``?country=AZ``); POST overrides one day."""
    country = _country()
    if request.method == "GET":
        return _calendar_page(country)
    day = (request.form.get("day") or "").strip()
    if not DAY.match(day):
        return _calendar_page(
            country,
            422,
            values=request.form,
            errors={"day": _("Enter a date.")},
            general=[_("Some fields are missing or not valid.")],
        )
    version = request.form.get("calendar_version", "")
    answer = call(
        "PUT",
        f"{R}/calendars/{country}/days/{day}",
        body=body_from(request.form, OVERRIDE),
        if_match=etag(int(version)) if version.isdigit() and version != "0" else None,
    )
    if answer.ok:
        return redirect(url_for("ui.admin_calendars", country=country, saved=day), code=303)
    errors, general = refusal(answer, {*OVERRIDE, "day"})
    return _calendar_page(
        country, answer.status, values=request.form, errors=errors, general=general
    )
