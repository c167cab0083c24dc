"""Transit requests (the agreement's Annex 6) for liaison officers: the list, the application form,
one request with its deadlines and history, one form per decision, and the Annex 6 PDF.

Forms send what the readmission service's transit schemas name; its refusals land at the fields.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.ui import lists
from gateway.ui.forms import INT, MOMENT, TEXT, WORDS, body_from, refusal
from gateway.ui.pages_request_new import PERSON
from gateway.ui.web import (
    call,
    get,
    no_such,
    post_form,
    render,
    safe_id,
    shown_refusal,
    signed_in,
    unavailable,
)

R = "/api/v1/readmission"
READERS = ("liaison_officer", "auditor")
TRANSIT = {
    "direction": TEXT,
    "member_state": TEXT,
    "person_ref": TEXT,
    "route": WORDS,
    "border_crossing_point": TEXT,
    "transit_at": MOMENT,
    "means": TEXT,
    "received_on": TEXT,
    "note": TEXT,
}
ESCORTS = {
    "escorts.count": INT,
    "escorts.agency": TEXT,
    "escorts.officers.0.name": TEXT,
    "escorts.officers.0.rank": TEXT,
    "escorts.officers.0.document": TEXT,
}
GROUPS = (
    (_l("The transit"), TRANSIT),
    (_l("The person"), PERSON),
    (_l("Escorting officials"), ESCORTS),
)
SPEC = {**TRANSIT, **PERSON, **ESCORTS}
STATES = ("submitted", "approved", "refused", "consent_revoked", "completed", "withdrawn")
# (path segment, button label, fields) for each decision, in the order shown.
ACTIONS: tuple[tuple[str, Any, dict[str, str]], ...] = (
    ("approve", _l("Approve the transit"), {"note": TEXT}),
    ("refuse", _l("Refuse the transit"), {"reasons.0.code": TEXT, "reasons.0.explanation": TEXT}),
    ("withdraw", _l("Withdraw"), {"reason": TEXT, "note": TEXT}),
    ("revoke-consent", _l("Revoke the consent"), {"reason": TEXT, "explanation": TEXT}),
    ("complete", _l("Record the transit as carried out"), {"note": TEXT}),
)
SPECS = {path: spec for path, _label, spec in ACTIONS}
CHOICES = {
    "direction": ("outgoing", "incoming"),
    "means": ("air", "land", "sea"),
    "particulars.sex": ("male", "female", "unknown"),
    "refuse.reasons.0.code": (
        "third_country_conditions_not_met",
        "danger_of_persecution",
        "criminal_prosecution",
        "public_order_or_security",
        "onward_journey_not_assured",
        "admission_by_destination_not_assured",
        "other",
    ),
    "revoke-consent.reason": (
        "facts_came_to_light",
        "danger_of_persecution",
        "criminal_prosecution",
        "public_order_or_security",
        "onward_journey_not_assured",
        "other",
    ),
    "withdraw.reason": (
        "requesting_state_withdrew",
        "voluntary_departure",
        "route_changed",
        "duplicate",
        "other",
    ),
}
TRANSITS = lists.Listing(
    "ui.transits",
    {
        "state": lists.one_of(*STATES),
        "direction": lists.one_of("incoming", "outgoing"),
        "member_state": lists.matches(r"^[A-Z]{2}\Z"),
    },
    {
        "member_state": lambda t: t.get("member_state"),
        "state": lambda t: t.get("state"),
        "transit_at": lambda t: t.get("transit_at"),
    },
    "transit_at",
)


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/transits", "transits", transits_list)
    blp.add_url_rule("/transits/new", "new_transit", new_transit, methods=["GET", "POST"])
    blp.add_url_rule("/transits/<transit_id>", "transit_page", transit_page)
    blp.add_url_rule(
        "/transits/<transit_id>/<action>", "transit_action", transit_action, methods=["POST"]
    )


@signed_in(*READERS)
def transits_list() -> Any:
    """Transit requests filtered, sorted and paged by the URL."""
    view = lists.read(TRANSITS)
    answer = get(f"{R}/transits", **view.query())
    if not answer.ok:
        return unavailable(answer, _("The list of transit requests"))
    return render(
        "ui/transits.html",
        items=lists.arrange(TRANSITS, view, answer.body.get("items", [])),
        states=STATES,
        nav=lists.links(TRANSITS, view, answer.body.get("next_cursor")),
    )


def _form(status: int = 200, errors: Any = None, general: Any = None, values: Any = None) -> Any:
    return render(
        "ui/transit_new.html",
        status=status,
        groups=GROUPS,
        choices=CHOICES,
        **shown_refusal(errors, general, values),
    )


@signed_in("liaison_officer")
def new_transit() -> Any:
    """The transit application (Annex 6 particulars); the request is submitted as it is created."""
    if request.method == "GET":
        return _form()
    answer = call("POST", f"{R}/transits", body=body_from(request.form, SPEC))
    if answer.ok:
        return redirect(url_for("ui.transit_page", transit_id=answer.body["id"]), code=303)
    errors, general = refusal(answer, set(SPEC))
    return _form(answer.status, errors, general, request.form)


def transit_view(
    transit_id: str,
    status: int = 200,
    form: str = "",
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
    values: Any = None,
) -> Response:
    answer = get(f"{R}/transits/{transit_id}")
    if not answer.ok:
        return unavailable(answer, _("This transit request"))
    return render(
        "ui/transit.html",
        status=status,
        t=answer.body,
        actions=ACTIONS,
        choices=CHOICES,
        form=form,
        **shown_refusal(errors, general, values),
    )


@signed_in(*READERS)
def transit_page(transit_id: str) -> Any:
    return transit_view(safe_id(transit_id))


@signed_in("liaison_officer")
def transit_action(transit_id: str, action: str) -> Any:
    transit_id = safe_id(transit_id)
    spec = SPECS.get(action)
    if spec is None:
        return no_such(_("There is no such action."))
    return post_form(
        f"{R}/transits/{transit_id}/{action}",
        body_from(request.form, spec),
        spec,
        form=action,
        done=url_for("ui.transit_page", transit_id=transit_id),
        what=_("This transit request"),
        page=lambda **refused: transit_view(transit_id, **refused),
    )
