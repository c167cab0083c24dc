"""Liaison officers' pages: the deadline worklist, a request with its evidence, history and the
person's current location, and one form per transition."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.ui import lists
from gateway.ui.forms import INT, TEXT, body_from
from gateway.ui.web import (
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
# (path segment, button label, fields) for each transition form, in the order shown.
TRANSITIONS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("submit", _l("Submit"), {"received_on": TEXT, "note": TEXT}),
    # Replies are dated by the requested state (replied_on) and by their arrival (received_on); a
    # reason is
    # needed when a timely reply reverses a deemed acceptance.
    (
        "request-info",
        _l("Ask for more information"),
        {"replied_on": TEXT, "received_on": TEXT, "reason": TEXT, "note": TEXT},
    ),
    (
        "accept",
        _l("Accept"),
        {"replied_on": TEXT, "received_on": TEXT, "reason": TEXT, "note": TEXT},
    ),
    (
        "reject",
        _l("Reject"),
        {
            "replied_on": TEXT,
            "received_on": TEXT,
            "reasons.0.code": TEXT,
            "reasons.0.explanation": TEXT,
            "reason": TEXT,
        },
    ),
    ("extensions", _l("Extend the reply limit"), {"total_days": INT, "motivation": TEXT}),
    (
        "submission-extensions",
        _l("Extend the submission limit (obstacle)"),
        {"due_on": TEXT, "reason": TEXT},
    ),
    (
        "transfer-extensions",
        _l("Extend the transfer limit (obstacle)"),
        {"due_on": TEXT, "reason": TEXT},
    ),
    (
        "evidence",
        _l("Attach evidence"),
        {"of": TEXT, "type": TEXT, "reference": TEXT, "description": TEXT},
    ),
    (
        "travel-document",
        _l("Record the travel document"),
        {"kind": TEXT, "issued_on": TEXT, "reference": TEXT},
    ),
    (
        "transfer-schedule",
        _l("Schedule the transfer"),
        {
            "scheduled_for": TEXT,
            "border_crossing_point": TEXT,
            "means": TEXT,
            "escorts": INT,
            "note": TEXT,
        },
    ),
    (
        "transfer-completion",
        _l("Record the completed transfer"),
        {"transferred_on": TEXT, "note": TEXT},
    ),
    ("transfer-failure", _l("Record a failed transfer"), {"reason": TEXT}),
    ("withdraw", _l("Withdraw"), {"reason": TEXT, "note": TEXT}),
    ("close", _l("Close"), {"note": TEXT}),
    ("take-back", _l("Record a take-back"), {"reason": TEXT}),
)
SPECS = {path: spec for path, _, spec in TRANSITIONS}
CHOICES = {
    "reasons.0.code": (
        "nationality_not_established",
        "third_country_conditions_not_met",
        "insufficient_evidence",
        "submitted_late",
        "person_not_identified",
        "humanitarian",
        "other",
    ),
    "withdraw.reason": (
        "voluntary_departure",
        "requesting_state_withdrew",
        "person_absconded",
        "duplicate",
        "other",
    ),
    "evidence.of": (
        "nationality",
        "third_country_conditions",
    ),  # the document type decides proof or prima facie
    "evidence.type": (
        "passport",
        "identity_card",
        "citizenship_certificate",
        "birth_certificate",
        "driving_licence",
        "seaman_book",
        "military_id",
        "laissez_passer",
        "residence_permit",
        "visa",
        "photocopy",
        "witness_statement",
        "own_statement",
        "language_test",
        "travel_ticket",
        "entry_exit_stamp",
        "hotel_bill",
        "other",
    ),
    "travel-document.kind": ("passport", "laissez_passer", "eu_travel_document", "other"),
    "transfer-schedule.means": ("air", "land", "sea"),
}


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/worklist", "worklist", worklist)
    blp.add_url_rule("/requests", "requests", requests_list)
    blp.add_url_rule("/requests/<request_id>", "request_page", request_page)
    blp.add_url_rule(
        "/requests/<request_id>/<action>", "request_action", request_action, methods=["POST"]
    )


@signed_in(*READERS)
def worklist() -> Any:
    answer = get(f"{R}/worklist", limit=200)
    if not answer.ok:
        return unavailable(answer, _("The worklist"))
    return render(
        "ui/worklist.html", items=answer.body.get("items", []), today=answer.body.get("today")
    )


STATES = (
    "draft",
    "submitted",
    "info_requested",
    "accepted",
    "deemed_accepted",
    "rejected",
    "withdrawn",
    "transfer_scheduled",
    "transferred",
    "transfer_failed",
    "closed",
    "taken_back",
)


REQUESTS = lists.Listing(
    "ui.requests",
    {
        "state": lists.one_of(*STATES),
        "direction": lists.one_of("incoming", "outgoing"),
        "member_state": lists.matches(r"^[A-Z]{2}\Z"),
    },
    {
        "member_state": lambda r: r.get("member_state"),
        "state": lambda r: r.get("state"),
        "updated": lambda r: r.get("updated_at"),
    },
    "updated",
)


@signed_in(*READERS)
def requests_list() -> Any:
    """Requests filtered, sorted and paged by the URL."""
    view = lists.read(REQUESTS)
    answer = get(f"{R}/requests", **view.query())
    if not answer.ok:
        return unavailable(answer, _("The list of requests"))
    return render(
        "ui/requests.html",
        items=lists.arrange(REQUESTS, view, answer.body.get("items", [])),
        states=STATES,
        nav=lists.links(REQUESTS, view, answer.body.get("next_cursor")),
    )


def request_view(
    request_id: str,
    status: int = 200,
    form: str = "",
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
    values: Any = None,
) -> Response:
    """The request page; ``form`` names the form whose refusal (``errors``, ``general``) shows."""
    answer = get(f"{R}/requests/{request_id}")
    if not answer.ok:
        return unavailable(answer, _("This request"))
    files = None  # auditors may not see evidence files (the service's rule): no list, no call
    if g.ui_user.role in ("liaison_officer", "admin"):
        listed = get(f"{R}/requests/{request_id}/files")
        files = listed.body.get("items", []) if listed.ok else None
    return render(
        "ui/request.html",
        status=status,
        req=answer.body,
        files=files,
        attached=request.args.get("attached", type=int),
        transitions=TRANSITIONS,
        choices=CHOICES,
        form=form,
        **shown_refusal(errors, general, values),
    )


@signed_in(*READERS)
def request_page(request_id: str) -> Any:
    return request_view(safe_id(request_id))


@signed_in("liaison_officer")
def request_action(request_id: str, action: str) -> Any:
    request_id = safe_id(request_id)
    spec = SPECS.get(action)
    if spec is None:
        return no_such(_("There is no such action."))
    return post_form(
        f"{R}/requests/{request_id}/{action}",
        body_from(request.form, spec),  # reasons.0.code → reasons: [{code: …}]
        spec,
        form=action,
        done=url_for("ui.request_page", request_id=request_id),
        what=_("This request"),
        page=lambda **refused: request_view(request_id, **refused),
    )
