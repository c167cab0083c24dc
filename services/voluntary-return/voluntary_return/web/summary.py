"""The AVRR case summary for IOM as a PDF: who, which case, where it stands, what was decided and
booked. Only for caseworkers and administrators (never auditors or partners); served as a
download."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response

from passage.context import Context
from passage.errors import NotAllowed, NotFoundError
from passage.pdf import MEDIA_TYPE, Document, Section, render
from passage.web import Blueprint, current_identity
from voluntary_return import handlers
from voluntary_return.domain.vocabulary import CASE_ID, SENSITIVE_READERS
from voluntary_return.web.common import PREFIX, deps
from voluntary_return.web.schemas import NoQuerySchema

summaries = Blueprint(
    "voluntary_return_summaries",
    __name__,
    url_prefix=PREFIX,
    description="Printable case summaries (PDF downloads).",
)


def document(case: Mapping[str, Any], printed_at: str) -> Document:
    """The summary's content (pure): the case's particulars, stage and steps, by section."""
    who = case.get("particulars") or {}
    get = lambda name: case.get(name) or {}  # noqa: E731 -- a section that may be missing
    return Document(
        title="AVRR case summary",
        subtitle=f"Case {case['_id']} · person {case['person_ref']} · printed {printed_at}",
        sections=[
            Section(
                "Person",
                [
                    ("Family name", who.get("family_name")),
                    ("Given name", who.get("given_name")),
                    ("Birth date", who.get("birth_date")),
                    ("Sex", who.get("sex")),
                    ("Nationality", who.get("nationality") or case.get("nationality")),
                    ("Documents", case.get("documents")),
                    ("Languages", case.get("languages")),
                    ("Household", case.get("household")),
                ],
            ),
            Section(
                "Case",
                [
                    ("Stage", case.get("stage")),
                    ("Classification", case.get("classification")),
                    ("Vulnerabilities", case.get("vulnerabilities")),
                    ("Referral", {k: v for k, v in get("referral").items() if k != "referred_by"}),
                    ("Destination country", case.get("destination_country")),
                    ("Next action", case.get("next_action")),
                    ("Due", case.get("next_action_due")),
                ],
            ),
            Section(
                "Decisions and travel",
                [
                    ("Eligibility", get("eligibility")),
                    ("Consent", get("consent")),
                    ("Travel document", get("travel_document")),
                    ("Booking", get("booking")),
                    ("Departure", get("departure")),
                    ("Arrival", get("arrival")),
                ],
            ),
            Section("Reintegration", [("Plan", get("reintegration")), ("Closure", get("closure"))]),
        ],
        footer="Personal data: for the IOM caseworkers handling this case only. Do not forward.",
    )


@summaries.get("/cases/<case_id>/summary.pdf")
@summaries.arguments(NoQuerySchema, location="query", as_kwargs=True)
@summaries.response(200, description="The case summary (application/pdf, a download).")
def case_summary(case_id: str) -> Response:
    """The case summary as a PDF download (caseworkers and administrators)."""
    caller = current_identity()
    if caller.role not in SENSITIVE_READERS:
        raise NotAllowed(handlers.FORBIDDEN)
    if not CASE_ID.fullmatch(case_id):
        raise NotFoundError("There is no such case.")
    found = deps()
    now = found.clock()
    case = handlers.get_case(found.repository, Context(caller=caller, now=now), case_id)
    body = render(document(case, now.date().isoformat()))
    return Response(
        body,
        mimetype=MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="avrr-case-{case_id}.pdf"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
