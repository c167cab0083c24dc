"""IOM caseworkers' pages: the case board by stage, the "needs action" list, and a case with its
consent, booking and monitoring visits, with a form for each step the stage machine allows."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.ui.forms import BOOL, FLOAT, INT, MOMENT, TEXT, body_from, refusal
from gateway.ui.web import call, get, render, safe_id, signed_in, unavailable

V = "/api/v1/voluntary-return"
READERS = ("avr_caseworker", "auditor")
BOARD = ("referred", "registered", "counselled", "eligible", "documents", "travel_ready", "booked", "departed",
         "arrived", "reintegration", "monitoring")
# stage-machine action → (path segment, button label, fields)
STEPS: dict[str, tuple[str, str, dict[str, str]]] = {
    "record_counselling": ("counselling-sessions", _l("Record a counselling session"),
                           {"held_on": TEXT, "counsellor": TEXT, "interpreter_language": TEXT, "notes": TEXT}),
    "decide_eligibility": ("eligibility", _l("Decide eligibility"),
                           {"decision": TEXT, "reasons": TEXT, "decided_on": TEXT}),
    "record_consent": ("consent", _l("Record consent"), {"declaration_signed": BOOL, "declared_on": TEXT,
                                                     "language": TEXT, "interpreter_language": TEXT}),
    "record_travel_document": ("travel-document", _l("Record the travel document"),
                               {"kind": TEXT, "status": TEXT, "reference": TEXT}),
    "book_travel": ("booking", _l("Book travel"), {"route": TEXT, "departure_date": TEXT, "destination_country": TEXT,
                                               "escort": BOOL, "escort_details": TEXT, "medical_needs": TEXT}),
    "confirm_departure": ("departure", _l("Confirm departure"), {"departed_at": MOMENT}),
    "confirm_arrival": ("arrival", _l("Confirm arrival"), {"arrived_at": MOMENT}),
    "record_monitoring_visit": ("monitoring-visits", _l("Record a monitoring visit"),
                                {"month": INT, "visited_on": TEXT, "scores.economic": FLOAT, "scores.social": FLOAT,
                                 "scores.psychosocial": FLOAT, "observations": TEXT}),
    "withdraw": ("withdrawal", _l("Record withdrawal"), {"reason": TEXT, "detail": TEXT}),
}
BY_SEGMENT = {segment: (action, spec) for action, (segment, _, spec) in STEPS.items()}
CHOICES = {"decision": ("eligible", "ineligible"), "status": ("not_started", "requested", "issued", "valid",
                                                              "refused", "expired"),
           "kind": ("passport", "laissez_passer", "travel_document"), "month": ("3", "6", "12"),
           "reason": ("migrant_withdrew", "other")}


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/cases", "case_board", case_board)
    blp.add_url_rule("/cases/needs-action", "needs_action", needs_action)
    blp.add_url_rule("/cases/<case_id>", "case_page", case_page)
    blp.add_url_rule("/cases/<case_id>/<step>", "case_step", case_step, methods=["POST"])


@signed_in(*READERS)
def case_board() -> Any:
    answer = get(f"{V}/cases", limit=200)
    if not answer.ok:
        return unavailable(answer, _("The case board"))
    columns: dict[str, list[dict[str, Any]]] = {stage: [] for stage in BOARD}
    for case in answer.body.get("items", []):
        columns.setdefault(case.get("stage", "?"), []).append(case)
    counts = get(f"{V}/cases/stages")
    return render("ui/board.html", columns=columns, counts=counts.body.get("counts", {}) if counts.ok else {})


@signed_in(*READERS)
def needs_action() -> Any:
    answer = get(f"{V}/cases/needs-action", within_days=7, limit=200)
    if not answer.ok:
        return unavailable(answer, _("The needs-action list"))
    return render("ui/needs_action.html", items=answer.body.get("items", []))


def _page(case_id: str, status: int = 200, form: str = "", errors: dict[str, str] | None = None,
          general: list[str] | None = None, values: Any = None) -> Response:
    answer = get(f"{V}/cases/{case_id}")
    if not answer.ok:
        return unavailable(answer, _("This case"))
    allowed = [a for a in answer.body.get("allowed_actions", []) if a in STEPS]
    return render("ui/case.html", status=status, case=answer.body, steps=[(a, *STEPS[a]) for a in allowed],
                  choices=CHOICES, form=form, errors=errors or {}, general=general or [], values=values or {})


@signed_in(*READERS)
def case_page(case_id: str) -> Any:
    return _page(safe_id(case_id))


@signed_in("avr_caseworker")
def case_step(case_id: str, step: str) -> Any:
    case_id = safe_id(case_id)
    if step not in BY_SEGMENT:
        return render("ui/error.html", status=404, title=_("Not found"), message=_("There is no such step."))
    _, spec = BY_SEGMENT[step]
    body = body_from(request.form, spec)
    if isinstance(body.get("reasons"), str):
        body["reasons"] = [body["reasons"]]
    answer = call("POST", f"{V}/cases/{case_id}/{step}", body=body)
    if answer.ok:
        return redirect(url_for("ui.case_page", case_id=case_id), code=303)
    if answer.status in (403, 404):
        return unavailable(answer, _("This case"))
    errors, general = refusal(answer, set(spec))
    return _page(case_id, status=answer.status, form=step, errors=errors, general=general, values=request.form)
