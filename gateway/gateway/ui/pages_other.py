"""Partner reports (charts and CSV, as published for closed months), the auditors' trail and a
person's timeline.

Reports and the timeline reuse the gateway's own composition (``gateway.composition.reports``,
``gateway.composition.timeline``, ``gateway.composition.views_api.Views``), so the UI shows exactly
what the API publishes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, g, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.composition import timeline
from gateway.composition.report_store import month_before
from gateway.composition.reports import SPECS, to_csv
from gateway.composition.views_api import MONTH_PATTERN, PERSON_REF, TIMELINE, Views
from gateway.edge.routes import REPORT_ROLES, ROUTES, TIMELINE_ROLES
from gateway.ui import charts
from gateway.ui.client import claims_for
from gateway.ui.web import no_such, render, signed_in, ui
from passage.problems import Problem

MONTH = re.compile(MONTH_PATTERN, re.ASCII)
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}\Z", re.ASCII)
USER = re.compile(r"^[a-z][a-z0-9._-]{0,63}\Z")
CHART = {
    "monthly-occupancy": ("admissions", _l("Admissions by unit"), ("unit_id",)),
    "readmission": ("requests", _l("Requests by member state"), ("member_state",)),
    "voluntary-return": ("departures", _l("Departures by nationality"), ("nationality",)),
}
TITLES = {
    "monthly-occupancy": _l("Occupancy of detention centres"),
    "readmission": _l("Readmission requests"),
    "voluntary-return": _l("Assisted voluntary return"),
}


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/reports", "reports", reports)
    blp.add_url_rule("/reports/<name>.csv", "report_csv", report_csv)
    blp.add_url_rule("/audit", "audit_trail", audit_trail)
    blp.add_url_rule("/persons/<person_ref>", "person", person)


def _views() -> Views:
    current = ui()
    backend = current.backend
    return Views(
        current.deps.guard,
        backend.upstreams,
        backend.internal_secret,
        current.deps.mongo,
        backend.identity_ttl_seconds,
    )


def _month() -> str:
    wanted = request.args.get("month", "")
    if MONTH.fullmatch(wanted):
        return wanted
    return month_before(datetime.now(UTC).strftime("%Y-%m"))  # months close in UTC (is_closed)


@signed_in(*REPORT_ROLES)
def reports() -> Any:
    """The month's published reports (the last closed month unless another is asked for)."""
    month = _month()
    shown, failed, refused = [], [], None
    try:
        doc = _views().publisher.month(month)
    except Problem as problem:
        doc = None
        if problem.status == 409:
            refused = problem.detail
        else:
            failed = list(TITLES.values())
    for name in SPECS if doc is not None else ():
        report = json.loads(doc["reports"][name])
        count, title, dims = CHART[name]
        pairs = [
            (" ".join(str(row.get(d, "")) for d in dims), row.get(count)) for row in report["rows"]
        ]
        shown.append(
            {
                "name": name,
                "title": TITLES[name],
                "report": report,
                "chart": charts.column_chart(pairs, title),
                "chart_title": title,
            }
        )
    return render(
        "ui/reports.html",
        month=month,
        shown=shown,
        failed=failed,
        refused=refused,
        publication=doc,
        bad_month=bool(request.args.get("month"))
        and not MONTH.fullmatch(request.args.get("month", "")),
    )


@signed_in(*REPORT_ROLES)
def report_csv(name: str) -> Any:
    if name not in SPECS or not MONTH.fullmatch(request.args.get("month", "")):
        return no_such(_("There is no such report."))
    month = request.args["month"]
    report = _views().report(SPECS[name], month)
    return Response(
        to_csv(report),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}-{month}.csv"'},
    )


def _filters() -> tuple[dict[str, Any], list[str]]:
    """The audit filters given, as validated scalars, and the names of those that were not valid."""
    args, found, wrong = request.args, {}, []
    checks: dict[str, tuple[Callable[[str], bool], Callable[[str], Any]]] = {
        "user": (lambda v: bool(USER.fullmatch(v)), lambda v: v),
        "resource": (lambda v: v.startswith("/") and len(v) <= 200, lambda v: v),
        "outcome": (lambda v: v.isdigit() and 100 <= int(v) <= 599, int),
        "from": (lambda v: bool(DAY.fullmatch(v)), lambda v: f"{v}T00:00:00.000000Z"),
        "to": (lambda v: bool(DAY.fullmatch(v)), lambda v: f"{v}T00:00:00.000000Z"),
    }
    keys = {"from": "start", "to": "end"}
    for name, (valid, convert) in checks.items():
        value = args.get(name, "")
        if value and valid(value):
            found[keys.get(name, name)] = convert(value)
        elif value:
            wrong.append(name)
    if args.get("cursor", "").isdigit():
        found["before_seq"] = int(args["cursor"])
    return found, wrong


@signed_in("auditor")
def audit_trail() -> Any:
    filters, wrong = _filters()
    guard = ui().deps.guard
    items = [] if wrong else guard.trail.search(limit=100, **filters)
    guard.record("read", "/api/v1/audit", None, 200, claims_for(g.ui_user.identity()))
    more = len(items) == 100 and items[-1]["seq"] > 1
    kept: dict[str, Any] = {k: v for k, v in request.args.items() if k != "cursor"}
    older = (
        url_for(
            "ui.audit_trail",
            **kept,
            cursor=items[-1]["seq"],
        )
        if more
        else None
    )
    return render("ui/audit.html", items=items, wrong=wrong, args=request.args, older_url=older)


@signed_in(*TIMELINE_ROLES)
def person(person_ref: str) -> Any:
    if not PERSON_REF.fullmatch(person_ref):
        return no_such(_("There is no such person."))
    who = g.ui_user.identity()
    views = _views()
    built = timeline.build(
        person_ref, who.role, lambda s, p, q: views.fetch_as(who, s, p, q), ROUTES
    )
    ui().deps.guard.record("read", TIMELINE, {"person_ref": person_ref}, 200, claims_for(who))
    return render(
        "ui/timeline.html",
        person_ref=person_ref,
        tl=built,
        now=datetime.now(UTC).isoformat(timespec="minutes"),
    )
