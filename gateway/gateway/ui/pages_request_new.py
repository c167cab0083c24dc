"""A liaison officer opens a readmission request: the common application form (Annex 5 particulars).

The form sends what the readmission service's create schema names; the service checks every field
and its refusals are shown at the fields. Personal data stay in the request (never logged here).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from gateway.ui.forms import BOOL, TEXT, WORDS, body_from, refusal
from gateway.ui.web import call, render, shown_refusal, signed_in

R = "/api/v1/readmission"
REQUEST = {
    "direction": TEXT,
    "member_state": TEXT,
    "person_ref": TEXT,
    "category": TEXT,
    "procedure": TEXT,
    "learned_on": TEXT,
    "apprehended_on": TEXT,
    "voluntary_return_offered": BOOL,
}
PERSON = {
    "particulars.family_name": TEXT,
    "particulars.given_names": TEXT,
    "particulars.birth_date": TEXT,
    "particulars.birth_place": TEXT,
    "particulars.sex": TEXT,
    "particulars.nationality": TEXT,
    "particulars.languages": WORDS,
    "particulars.last_address_in_requested_state": TEXT,
}
# The rest of the common application form (Annex 5 of the EU model readmission agreements).
ANNEX_5 = {
    "particulars.maiden_name": TEXT,
    "particulars.father_name": TEXT,
    "particulars.mother_name": TEXT,
    "particulars.civil_status": TEXT,
    "particulars.spouse.family_name": TEXT,
    "particulars.spouse.given_names": TEXT,
    "particulars.special_care_needs": TEXT,
    "particulars.health_statement": TEXT,
    "particulars.dangerousness_statement": TEXT,
    "particulars.interview_wanted": BOOL,
    "particulars.photo_reference": TEXT,
    "particulars.escorts.0.name": TEXT,
    "particulars.escorts.0.rank": TEXT,
    "particulars.escorts.0.document": TEXT,
}
GROUPS = (
    (_l("The request"), REQUEST),
    (_l("The person"), PERSON),
    (_l("Common application form (Annex 5)"), ANNEX_5),
)
SPEC = {**REQUEST, **PERSON, **ANNEX_5}
CHOICES = {
    "direction": ("outgoing", "incoming"),
    "procedure": ("normal", "accelerated"),
    "category": (
        "own_national",
        "former_national",
        "third_country_national",
        "stateless",
        "family_member",
    ),
    "voluntary_return_offered": ("yes", "no"),
    "particulars.interview_wanted": ("yes", "no"),
    "particulars.sex": ("male", "female", "unknown"),
    "particulars.civil_status": (
        "single",
        "married",
        "divorced",
        "widowed",
        "separated",
        "unknown",
    ),
}
LONG = (
    "particulars.special_care_needs",
    "particulars.health_statement",
    "particulars.dangerousness_statement",
)


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/requests/new", "new_request", new_request_form, methods=["GET"])
    blp.add_url_rule("/requests/new", "new_request_post", new_request, methods=["POST"])


def _form(
    status: int = 200,
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
    values: Any = None,
) -> Response:
    return render(
        "ui/request_new.html",
        status=status,
        groups=GROUPS,
        choices=CHOICES,
        long=LONG,
        **shown_refusal(errors, general, values),
    )


@signed_in("liaison_officer")
def new_request_form() -> Any:
    return _form()


@signed_in("liaison_officer")
def new_request() -> Any:
    answer = call("POST", f"{R}/requests", body=body_from(request.form, SPEC))
    if answer.ok:
        return redirect(url_for("ui.request_page", request_id=answer.body["id"]), code=303)
    errors, general = refusal(answer, set(SPEC))
    return _form(answer.status, errors, general, request.form)
