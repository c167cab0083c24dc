"""The header's "due today / overdue" count for the two roles that work against legal clocks:
centre staff (stays whose legal end or review is due) and liaison officers (reply deadlines)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import g, url_for

from gateway.ui.web import get
from passage.problems import Problem


def due_counts() -> dict[str, Any] | None:
    """``{"today": n, "overdue": m, "url": …}`` for the signed-in user, once per page;
    None for other roles."""
    if "ui_due" not in g:
        g.ui_due = None  # also when counting fails: the header is drawn on error pages too
        try:
            g.ui_due = _count(g.ui_user) if g.get("ui_user") is not None else None
        except Problem:  # the read could not be audited: no count rather than no page
            g.ui_due = None
    return g.ui_due


def _count(user: Any) -> dict[str, Any] | None:
    if user.role == "centre_staff" and user.centres:
        return _stays(user.centres)
    if user.role == "liaison_officer":
        return _deadlines()
    return None


def _stays(centres: Any) -> dict[str, Any] | None:
    days: list[str] = []
    for centre_id in sorted(centres)[:5]:
        answer = get(
            "/api/v1/detention/stays",
            centre_id=centre_id,
            status="open",
            due_within="1d",
            limit=200,
        )
        if not answer.ok:
            return None
        days += [s.get("due_on") or "" for s in answer.body.get("items", [])]
    first, today = sorted(centres)[0], centres_today(answer).isoformat()
    return {
        "today": days.count(today),
        "overdue": sum(1 for d in days if d and d < today),
        "url": url_for("ui.stays", centre_id=first, status="open", due_within="1d", sort="due"),
    }


def centres_today(due: Any) -> date:
    """Today in the centres' time zone, as the detention service counted it for a due-window page
    (``due``): the gateway's own clock is on yesterday's date from 20:00 UTC in Baku. The gateway's
    UTC day where the service did not answer."""
    counted = due.body.get("today") if due.ok else None
    return date.fromisoformat(counted) if counted else datetime.now(UTC).date()


def _deadlines() -> dict[str, Any] | None:
    answer = get("/api/v1/readmission/worklist", limit=200)
    if not answer.ok:
        return None
    today = answer.body.get("today") or date.today().isoformat()
    items = answer.body.get("items", [])
    return {
        "today": sum(1 for i in items if i.get("due_on") == today and not i.get("overdue")),
        "overdue": sum(1 for i in items if i.get("overdue")),
        "url": url_for("ui.worklist"),
    }
