"""IOM caseworkers' pages: the case board by stage, the "needs action" list, the referral form
(from detention: the service finds the centre) and a case with a form for each step its stage
allows — departure and withdrawal confirmed first, because they cannot be undone."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.ui import lists
from gateway.ui.forms import BOOL, FLOAT, INT, MOMENT, TEXT, WORDS, body_from, refusal
from gateway.ui.web import (
    call,
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

V = "/api/v1/voluntary-return"
READERS = ("avr_caseworker", "auditor")
BOARD = (
    "referred",
    "registered",
    "counselled",
    "eligible",
    "documents",
    "travel_ready",
    "booked",
    "departed",
    "arrived",
    "reintegration",
    "monitoring",
)
REGISTRATION = {
    "particulars.given_name": TEXT,
    "particulars.family_name": TEXT,
    "particulars.birth_date": TEXT,
    "particulars.sex": TEXT,
    "particulars.nationality": TEXT,
    "languages": WORDS,
    "classification": TEXT,
    "destination_country": TEXT,
    "documents.0.kind": TEXT,
    "documents.0.number": TEXT,
    "documents.0.issued_by": TEXT,
    "documents.0.expires_on": TEXT,
}
# stage-machine action → (path segment, button label, fields)
STEPS: dict[str, tuple[str, Any, dict[str, str]]] = {
    "register": ("registration", _l("Register the migrant"), REGISTRATION),
    "record_counselling": (
        "counselling-sessions",
        _l("Record a counselling session"),
        {"held_on": TEXT, "counsellor": TEXT, "interpreter_language": TEXT, "notes": TEXT},
    ),
    "decide_eligibility": (
        "eligibility",
        _l("Decide eligibility"),
        {"decision": TEXT, "reasons": TEXT, "decided_on": TEXT},
    ),
    "record_consent": (
        "consent",
        _l("Record consent"),
        {
            "declaration_signed": BOOL,
            "declared_on": TEXT,
            "language": TEXT,
            "interpreter_language": TEXT,
        },
    ),
    "record_consent_to_share": (
        "consent-to-share",
        _l("Record consent to share with the authorities"),
        {"agreed_on": TEXT, "language": TEXT, "interpreter_language": TEXT},
    ),
    "withdraw_consent_to_share": (
        "consent-to-share-withdrawal",
        _l("Record withdrawal of consent to share"),
        {"withdrawn_on": TEXT},
    ),
    "record_travel_document": (
        "travel-document",
        _l("Record the travel document"),
        {"kind": TEXT, "status": TEXT, "reference": TEXT},
    ),
    "book_travel": (
        "booking",
        _l("Book travel"),
        {
            "route": TEXT,
            "departure_date": TEXT,
            "destination_country": TEXT,
            "escort": BOOL,
            "escort_details": TEXT,
            "medical_needs": TEXT,
        },
    ),
    "confirm_departure": ("departure", _l("Confirm departure"), {"departed_at": MOMENT}),
    "confirm_arrival": ("arrival", _l("Confirm arrival"), {"arrived_at": MOMENT}),
    "plan_reintegration": (
        "reintegration-plan",
        _l("Set the reintegration plan"),
        {
            "cash_grant.amount": FLOAT,
            "cash_grant.currency": TEXT,
            "in_kind.0.type": TEXT,
            "in_kind.0.description": TEXT,
        },
    ),
    "record_monitoring_visit": (
        "monitoring-visits",
        _l("Record a monitoring visit"),
        {
            "month": INT,
            "visited_on": TEXT,
            "scores.economic": FLOAT,
            "scores.social": FLOAT,
            "scores.psychosocial": FLOAT,
            "observations": TEXT,
        },
    ),
    "close": ("closure", _l("Close the case"), {"outcome": TEXT, "note": TEXT}),
    "withdraw": ("withdrawal", _l("Record withdrawal"), {"reason": TEXT, "detail": TEXT}),
    "record_no_show": ("no-show", _l("Record a no-show"), {"detail": TEXT}),
}
BY_SEGMENT = {segment: (action, spec) for action, (segment, _, spec) in STEPS.items()}
IRREVERSIBLE = {
    "departure": _l("Departure cannot be undone: the case moves on to arrival."),
    "withdrawal": _l("Withdrawal ends the case and cannot be undone."),
    "no-show": _l("A no-show ends the case and cannot be undone."),
    "closure": _l("Closing ends the case and cannot be undone."),
}
CHOICES = {
    "decision": ("eligible", "ineligible"),
    "status": ("not_started", "requested", "issued", "valid", "refused", "expired"),
    "kind": ("passport", "laissez_passer", "travel_document"),
    "month": ("3", "6", "12"),
    "reason": ("migrant_withdrew", "other"),
    "particulars.sex": ("male", "female", "other", "unknown"),
    "classification": ("AVR", "AVM"),
    "documents.0.kind": (
        "passport",
        "national_id",
        "birth_certificate",
        "laissez_passer",
        "travel_document",
        "other",
    ),
    "in_kind.0.type": ("business", "training", "housing", "medical", "schooling"),
    "outcome": ("completed", "lost_contact", "ineligible", "withdrawn_from_reintegration", "other"),
    "source": ("detention_centre", "ngo", "embassy", "hotline", "self"),
}
REFERRAL = {
    "person_ref": TEXT,
    "source": TEXT,
    "organisation": TEXT,
    "centre_id": TEXT,
    "nationality": TEXT,
    "destination_country": TEXT,
}


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/cases", "case_board", case_board)
    blp.add_url_rule("/cases/needs-action", "needs_action", needs_action)
    blp.add_url_rule("/cases/new", "referral", referral, methods=["GET", "POST"])
    blp.add_url_rule("/cases/<case_id>", "case_page", case_page)
    blp.add_url_rule("/cases/<case_id>/<step>", "case_step", case_step, methods=["POST"])


ALL_STAGES = (*BOARD, "closed", "withdrawn", "no_show")
NEXT_ACTIONS = ("counselling_due", "documents_pending", "booking_pending", "monitoring_due")
COUNTRY = r"^[A-Z]{3}\Z"


def _name(case: dict[str, Any]) -> Any:
    p = case.get("particulars") or {}
    return f"{p.get('family_name', '')} {p.get('given_name', '')}".strip() or case.get("person_ref")


CASES = lists.Listing(
    "ui.case_board",
    {
        "stage": lists.one_of(*ALL_STAGES),
        "nationality": lists.matches(COUNTRY),
        "destination_country": lists.matches(COUNTRY),
    },
    {
        "due": lambda c: c.get("next_action_due"),
        "name": _name,
        "nationality": lambda c: c.get("nationality"),
    },
    "due",
)
NEEDS_ACTION = lists.Listing(
    "ui.needs_action",
    {
        "kind": lists.one_of(*NEXT_ACTIONS),
        "overdue": lists.one_of("true"),
        "within_days": lists.matches(r"^(36[0-5]|3[0-5][0-9]|[12]?[0-9]{1,2})\Z"),
    },
    {
        "due": lambda c: c.get("next_action_due"),
        "kind": lambda c: c.get("next_action"),
        "stage": lambda c: c.get("stage"),
    },
    "due",
)


@signed_in(*READERS)
def case_board() -> Any:
    """The cases by stage, a page at a time; stage, nationality, destination filter in the URL."""
    view = lists.read(CASES)
    answer = get(f"{V}/cases", **view.query())
    if not answer.ok:
        return unavailable(answer, _("The case board"))
    stage = view.filters.get("stage")
    columns: dict[str, list[dict[str, Any]]] = {s: [] for s in ((stage,) if stage else BOARD)}
    for case in lists.arrange(CASES, view, answer.body.get("items", [])):
        columns.setdefault(case.get("stage", "?"), []).append(case)
    counts = get(f"{V}/cases/stages")
    return render(
        "ui/board.html",
        columns=columns,
        counts=counts.body.get("counts", {}) if counts.ok else {},
        stages=ALL_STAGES,
        nav=lists.links(CASES, view, answer.body.get("next_cursor")),
    )


@signed_in(*READERS)
def needs_action() -> Any:
    """What is due within ``within_days`` (7 unless the URL says) or overdue, paged and sorted."""
    view = lists.read(NEEDS_ACTION)
    query = {"within_days": 7, **view.query()}
    answer = get(f"{V}/cases/needs-action", **query)
    if not answer.ok:
        return unavailable(answer, _("The needs-action list"))
    return render(
        "ui/needs_action.html",
        items=lists.arrange(NEEDS_ACTION, view, answer.body.get("items", [])),
        kinds=NEXT_ACTIONS,
        within_days=query["within_days"],
        nav=lists.links(NEEDS_ACTION, view, answer.body.get("next_cursor")),
    )


@signed_in("avr_caseworker")
def referral() -> Any:
    """A new case; ``?person_ref=…&source=detention_centre`` prefills it from a detention stay."""
    if request.method == "GET":
        prefill = {k: request.args.get(k, "") for k in REFERRAL}
        return render("ui/referral.html", values=prefill, errors={}, general=[], choices=CHOICES)
    answer = call("POST", f"{V}/cases", body=body_from(request.form, REFERRAL))
    if answer.ok:
        return redirect(url_for("ui.case_page", case_id=answer.body["id"]), code=303)
    errors, general = refusal(answer, set(REFERRAL))
    return render(
        "ui/referral.html",
        status=answer.status,
        values=request.form,
        errors=errors,
        general=general,
        choices=CHOICES,
    )


def case_view(
    case_id: str,
    status: int = 200,
    form: str = "",
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
    values: Any = None,
) -> Response:
    """The case page; ``form`` names the form whose refusal (``errors``, ``general``) shows."""
    answer = get(f"{V}/cases/{case_id}")
    if not answer.ok:
        return unavailable(answer, _("This case"))
    allowed = [a for a in answer.body.get("allowed_actions", []) if a in STEPS]
    files = None  # auditors may not see evidence files (the service's rule): no list, no call
    if g.ui_user.role in ("avr_caseworker", "admin"):
        listed = get(f"{V}/cases/{case_id}/files")
        files = listed.body.get("items", []) if listed.ok else None
    return render(
        "ui/case.html",
        status=status,
        case=answer.body,
        files=files,
        attached=request.args.get("attached", type=int),
        steps=[(a, *STEPS[a]) for a in allowed],
        choices=CHOICES,
        irreversible=IRREVERSIBLE,
        form=form,
        **shown_refusal(errors, general, values),
    )


@signed_in(*READERS)
def case_page(case_id: str) -> Any:
    return case_view(safe_id(case_id))


@signed_in("avr_caseworker")
def case_step(case_id: str, step: str) -> Any:
    case_id = safe_id(case_id)
    if step not in BY_SEGMENT:
        return no_such(_("There is no such step."))
    action, spec = BY_SEGMENT[step]
    if step in IRREVERSIBLE and request.form.get("confirmed") != "yes":
        return confirm_page(
            STEPS[action][1],
            url_for("ui.case_step", case_id=case_id, step=step),
            url_for("ui.case_page", case_id=case_id),
            str(IRREVERSIBLE[step]),
        )
    body = body_from(request.form, spec)
    if isinstance(body.get("reasons"), str):
        body["reasons"] = [body["reasons"]]
    return post_form(
        f"{V}/cases/{case_id}/{step}",
        body,
        spec,
        form=step,
        done=url_for("ui.case_page", case_id=case_id),
        what=_("This case"),
        page=lambda **refused: case_view(case_id, **refused),
    )
