"""Centre staff's pages: the occupancy dashboard, admission, a stay with its history, moves."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, g, redirect, request, url_for

from gateway.ui import charts
from gateway.ui.forms import BOOL, LIST, TEXT, body_from, general_errors
from gateway.ui.web import call, get, render, safe_id, signed_in, unavailable

D = "/api/v1/detention"
STAFF = ("centre_staff", "auditor")
ADMIT = {"unit_id": TEXT, "person.person_ref": TEXT, "person.given_name": TEXT, "person.family_name": TEXT,
         "person.birth_date": TEXT, "person.sex": TEXT, "person.nationality": TEXT, "legal_basis.kind": TEXT,
         "legal_basis.decision_ref": TEXT, "legal_basis.court": TEXT, "legal_basis.decided_on": TEXT,
         "legal_basis.valid_until": TEXT, "medical_examination.examined_on": TEXT,
         "medical_examination.examined_by": TEXT, "medical_examination.fit_for_detention": BOOL,
         "vulnerabilities": LIST, "minor_override.reason": TEXT, "minor_override.approved_by": TEXT}
TRANSFER = {"unit_id": TEXT, "reason": TEXT}
RELEASE = {"reason": TEXT, "exit_medical.examined_on": TEXT, "exit_medical.examined_by": TEXT}
SEXES = ("male", "female", "other", "unknown")
BASES = ("court_order", "voluntary_placement", "asylum_applicant")
VULNERABILITIES = ("separated_child", "trafficking_victim", "pregnant", "disability", "serious_illness", "elderly",
                   "torture_survivor", "sogi")
RELEASE_REASONS = ("removed", "readmitted", "voluntary_return", "released_by_court", "status_granted",
                   "order_expired", "other")


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/centres", "centres", centres)
    blp.add_url_rule("/centres/<centre_id>", "centre", centre)
    blp.add_url_rule("/centres/<centre_id>/admit", "admit", admit, methods=["GET", "POST"])
    blp.add_url_rule("/stays/<stay_id>", "stay", stay)
    blp.add_url_rule("/stays/<stay_id>/transfer", "transfer", transfer, methods=["POST"])
    blp.add_url_rule("/stays/<stay_id>/release", "release", release, methods=["POST"])


def _mine(centre_id: str) -> bool:
    me = g.ui_user
    return me.role != "centre_staff" or me.all_scopes or centre_id in me.centres


@signed_in(*STAFF)
def centres() -> Any:
    answer = get(f"{D}/centres", limit=200)
    if not answer.ok:
        return unavailable(answer, "The list of centres")
    items = [c for c in answer.body.get("items", []) if _mine(c["id"])]
    if len(items) == 1 and g.ui_user.role == "centre_staff":
        return redirect(url_for("ui.centre", centre_id=items[0]["id"]))
    return render("ui/centres.html", centres=items)


def _dashboard(centre_id: str, status: int = 200, **form: Any) -> Response:
    found = get(f"{D}/centres/{centre_id}")
    if not found.ok:
        return unavailable(found, "This centre")
    units = get(f"{D}/centres/{centre_id}/units", limit=200)
    occupancy = get(f"{D}/centres/{centre_id}/occupancy")
    today = date.today()
    history = get(f"{D}/centres/{centre_id}/occupancy/history", **{"from": (today - timedelta(days=89)).isoformat(),
                                                                   "to": today.isoformat()})
    due = get(f"{D}/stays", centre_id=centre_id, due_within="7d", limit=200)
    held = get(f"{D}/stays", centre_id=centre_id, status="open", limit=200)
    unit_items = units.body.get("items", []) if units.ok else []
    return render("ui/centre.html", status=status, centre=found.body, units=unit_items, units_answer=units,
                  bars={u["id"]: charts.unit_bar(u) for u in unit_items},
                  occupancy=occupancy.body if occupancy.ok else None,
                  chart=charts.history_chart(history.body.get("days", [])) if history.ok else None,
                  due=due, held=held, sexes=SEXES, bases=BASES, vulnerabilities=VULNERABILITIES, **form)


@signed_in(*STAFF)
def centre(centre_id: str) -> Any:
    centre_id = safe_id(centre_id)
    if not _mine(centre_id):
        return render("ui/error.html", status=403, title="Not allowed", message="This centre is not one of yours.")
    return _dashboard(centre_id, values={}, errors={}, general=[])


@signed_in("centre_staff")
def admit(centre_id: str) -> Any:
    centre_id = safe_id(centre_id)
    if not _mine(centre_id):
        return render("ui/error.html", status=403, title="Not allowed", message="This centre is not one of yours.")
    if request.method == "GET":
        return redirect(url_for("ui.centre", centre_id=centre_id) + "#admit")
    answer = call("POST", f"{D}/stays", body=body_from(request.form, ADMIT))
    if answer.ok:
        return redirect(url_for("ui.stay", stay_id=answer.body["id"], admitted=1), code=303)
    errors = answer.field_errors()
    if not errors and isinstance(answer.body, dict) and answer.body.get("unit_id"):
        errors = {"unit_id": answer.detail}  # a full unit: the message goes next to the unit chosen
    general = [answer.detail, *[m for m in general_errors(errors, set(ADMIT)) if m != answer.detail]]
    return _dashboard(centre_id, status=answer.status if answer.status >= 400 else 422,
                      values=request.form, errors=errors, general=general)


def _stay_page(stay_id: str, status: int = 200, **form: Any) -> Response:
    answer = get(f"{D}/stays/{stay_id}")
    if not answer.ok:
        return unavailable(answer, "This stay")
    record = answer.body
    units = get(f"{D}/centres/{record['centre_id']}/units", limit=200)
    return render("ui/stay.html", status=status, stay=record, units=units.body.get("items", []) if units.ok else [],
                  reasons=RELEASE_REASONS, admitted=request.args.get("admitted"),
                  form=form.get("form", ""), errors=form.get("errors", {}), general=form.get("general", []),
                  values=form.get("values", {}))


@signed_in(*STAFF)
def stay(stay_id: str) -> Any:
    return _stay_page(safe_id(stay_id))


def _move(stay_id: str, action: str, spec: dict[str, str]) -> Any:
    stay_id = safe_id(stay_id)
    answer = call("POST", f"{D}/stays/{stay_id}/{action}", body=body_from(request.form, spec))
    if answer.ok:
        return redirect(url_for("ui.stay", stay_id=stay_id), code=303)
    if answer.status in (403, 404):
        return unavailable(answer, "This stay")
    errors = answer.field_errors()
    general = [answer.detail, *[m for m in general_errors(errors, set(spec)) if m != answer.detail]]
    return _stay_page(stay_id, status=answer.status, form=action, errors=errors, general=general,
                      values=request.form)


@signed_in("centre_staff")
def transfer(stay_id: str) -> Any:
    return _move(stay_id, "transfer", TRANSFER)


@signed_in("centre_staff")
def release(stay_id: str) -> Any:
    return _move(stay_id, "release", RELEASE)
