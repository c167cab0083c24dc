"""One stay and every step on it as a form: transfer, release (confirmed first), extension, review,
entry examination, status granted — each refusal shown at the field it concerns, what was typed
kept."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.ui.forms import BOOL, TEXT, body_from
from gateway.ui.web import (
    confirm_page,
    get,
    no_such,
    post_form,
    render,
    safe_id,
    shown_refusal,
    signed_in,
    unavailable,
)

D = "/api/v1/detention"
STAFF = ("centre_staff", "auditor")
RELEASE_REASONS = (
    "removed",
    "readmitted",
    "voluntary_return",
    "released_by_court",
    "status_granted",
    "order_expired",
    "other",
)
MEDICAL = {"examined_on": TEXT, "examined_by": TEXT, "fit_for_detention": BOOL, "notes": TEXT}
# path segment → (title, fields, irreversible?)
MOVES: dict[str, tuple[Any, dict[str, str], bool]] = {
    "transfer": (_l("Transfer"), {"unit_id": TEXT, "reason": TEXT}, False),
    "extensions": (
        _l("Extend the detention order"),
        {"decision_ref": TEXT, "court": TEXT, "decided_on": TEXT, "valid_until": TEXT},
        False,
    ),
    "reviews": (_l("Record a review"), {"next_review_on": TEXT, "outcome": TEXT}, False),
    "entry-examination": (_l("Record the entry examination"), MEDICAL, False),
    "status-granted": (
        _l("Record that status was granted"),
        {"decision_ref": TEXT, "granted_on": TEXT},
        False,
    ),
    "release": (
        _l("Release"),
        {"reason": TEXT, "exit_medical.examined_on": TEXT, "exit_medical.examined_by": TEXT},
        True,
    ),
}


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/stays/<stay_id>", "stay", stay)
    blp.add_url_rule("/stays/<stay_id>/<step>", "stay_step", stay_step, methods=["POST"])


def stay_page(
    stay_id: str,
    status: int = 200,
    form: str = "",
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
    values: Any = None,
) -> Response:
    answer = get(f"{D}/stays/{stay_id}")
    if not answer.ok:
        return unavailable(answer, _("This stay"))
    record = answer.body
    units = get(f"{D}/centres/{record['centre_id']}/units", limit=200)
    others = [
        u["id"]
        for u in (units.body.get("items", []) if units.ok else [])
        if u["id"] != record["unit_id"]
    ]
    return render(
        "ui/stay.html",
        status=status,
        stay=record,
        moves=MOVES,
        unit_options=others,
        reasons=RELEASE_REASONS,
        admitted=request.args.get("admitted"),
        form=form,
        **shown_refusal(errors, general, values),
    )


@signed_in(*STAFF)
def stay(stay_id: str) -> Any:
    return stay_page(safe_id(stay_id))


@signed_in("centre_staff")
def stay_step(stay_id: str, step: str) -> Any:
    stay_id = safe_id(stay_id)
    if step not in MOVES:
        return no_such(_("There is no such step."))
    title, spec, irreversible = MOVES[step]
    if irreversible and request.form.get("confirmed") != "yes":
        return confirm_page(
            title,
            url_for("ui.stay_step", stay_id=stay_id, step=step),
            url_for("ui.stay", stay_id=stay_id),
            _("This closes the stay and cannot be undone."),
        )
    return post_form(
        f"{D}/stays/{stay_id}/{step}",
        body_from(request.form, spec),
        spec,
        form=step,
        done=url_for("ui.stay", stay_id=stay_id),
        what=_("This stay"),
        page=lambda **refused: stay_page(stay_id, **refused),
    )
