"""The official forms of the EU-Azerbaijan readmission agreement filled from a request, as PDF:
the readmission application (Annex 5, common form) and the transit application (Annex 6), ready to
send to the requested state. Only for liaison officers in scope and administrators; downloads only.

The sections follow the forms' headings (particulars, family, special circumstances, means of
evidence, escort, transit operation); the layout is Passage's own, not a facsimile of the annex.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, current_app

from passage.pdf import MEDIA_TYPE, Document, Section, render
from passage.problems import Forbidden
from passage.web import Blueprint
from readmission.domain.views import PARTICULAR_READERS
from readmission.handlers import requests as handlers
from readmission.handlers import transits as transit_handlers
from readmission.web.api import ctx, request_id_from
from readmission.web.api_transits import transit_id_from
from readmission.web.schemas import NoQuerySchema

annexes = Blueprint(
    "readmission_annexes",
    __name__,
    url_prefix="/api/v1/readmission",
    description="The agreement's application forms filled from a request (PDF downloads).",
)
NOTE = "Personal data: for the competent authorities of the requested state only."


def person(p: Mapping[str, Any]) -> Section:
    return Section(
        "A. Personal particulars",
        [
            ("Family name", p.get("family_name")),
            ("Given names", p.get("given_names")),
            ("Maiden name", p.get("maiden_name")),
            ("Other names used", p.get("other_names")),
            ("Date of birth", p.get("birth_date")),
            ("Place of birth", p.get("birth_place")),
            ("Sex", p.get("sex")),
            ("Nationality", p.get("nationality")),
            ("Languages", p.get("languages")),
            ("Civil status", p.get("civil_status")),
            ("Father's name", p.get("father_name")),
            ("Mother's name", p.get("mother_name")),
            ("Last address in the requested state", p.get("last_address_in_requested_state")),
            ("Identity and travel documents", p.get("documents")),
            ("Photograph reference", p.get("photo_reference")),
        ],
    )


def annex5(doc: Mapping[str, Any], printed_on: str) -> Document:
    """The readmission application (Annex 5) of ``doc`` (pure)."""
    p = doc.get("particulars") or {}
    return Document(
        title="Readmission application (Annex 5)",
        subtitle=(
            f"Agreement {doc.get('agreement', 'EU-AZ')} · requested state {doc['member_state']} · "
            f"request {doc['_id']} · person {doc['person_ref']} · printed {printed_on}"
        ),
        sections=[
            Section(
                "Request",
                [
                    ("Direction", doc.get("direction")),
                    ("Category", doc.get("category")),
                    ("Procedure", doc.get("procedure")),
                    ("Apprehended on", doc.get("apprehended_on")),
                    ("Irregular stay known since", doc.get("learned_on")),
                    ("State", doc.get("state")),
                ],
            ),
            person(p),
            Section("B. Family", [("Spouse", p.get("spouse")), ("Children", p.get("children"))]),
            Section(
                "C. Special circumstances",
                [
                    ("Care needed on transfer", p.get("special_care_needs")),
                    ("Health", p.get("health_statement")),
                    ("Dangerousness", p.get("dangerousness_statement")),
                    ("Interview requested", p.get("interview_wanted")),
                ],
            ),
            Section(
                "D. Means of evidence",
                [
                    (
                        str(e.get("type", "")).replace("_", " "),
                        {
                            "of": e.get("of"),
                            "class": e.get("kind"),
                            "reference": e.get("reference"),
                            "description": e.get("description"),
                        },
                    )
                    for e in doc.get("evidence") or []
                ],
            ),
            Section(
                "E. Escort",
                [
                    (e.get("name", ""), {"rank": e.get("rank"), "document": e.get("document")})
                    for e in p.get("escorts") or []
                ],
            ),
        ],
        footer=NOTE,
    )


def annex6(doc: Mapping[str, Any], printed_on: str) -> Document:
    """The transit application (Annex 6) of ``doc`` (pure)."""
    p, escorts = doc.get("particulars") or {}, doc.get("escorts") or {}
    return Document(
        title="Transit application (Annex 6)",
        subtitle=(
            f"Agreement {doc.get('agreement', 'EU-AZ')} · state {doc['member_state']} · "
            f"transit {doc['_id']} · person {doc['person_ref']} · printed {printed_on}"
        ),
        sections=[
            person(p),
            Section(
                "B. Transit operation",
                [
                    ("Direction", doc.get("direction")),
                    ("Route (countries)", doc.get("route")),
                    ("Border crossing point", doc.get("border_crossing_point")),
                    ("Date and time", doc.get("transit_at")),
                    ("Means", doc.get("means")),
                    ("State", doc.get("state")),
                ],
            ),
            Section(
                "C. Escort",
                [
                    ("Escorting officers", escorts.get("count")),
                    ("Agency", escorts.get("agency")),
                    *[
                        (o.get("name", ""), {"rank": o.get("rank"), "document": o.get("document")})
                        for o in escorts.get("officers") or []
                    ],
                ],
            ),
            Section(
                "D. Special circumstances",
                [
                    ("Care needed on transfer", p.get("special_care_needs")),
                    ("Health", p.get("health_statement")),
                    ("Dangerousness", p.get("dangerousness_statement")),
                ],
            ),
        ],
        footer=NOTE,
    )


def _download(document: Document, filename: str) -> Response:
    return Response(
        render(document),
        mimetype=MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _reader() -> handlers.Context:
    context = ctx()
    if context.caller.role not in PARTICULAR_READERS:
        raise Forbidden("Your role does not allow printing the application forms.")
    return context


@annexes.get("/requests/<request_id>/annex5.pdf")
@annexes.arguments(NoQuerySchema, location="query", as_kwargs=True)
@annexes.response(200, description="The readmission application (application/pdf, a download).")
def annex5_pdf(request_id: str) -> Response:
    """The readmission application (Annex 5) filled from the request.

    For liaison officers in scope and administrators."""
    context = _reader()
    doc = handlers.get_request(
        current_app.extensions["passage.readmission"].repository,
        context,
        request_id_from(request_id),
    )
    return _download(annex5(doc, context.now.date().isoformat()), f"annex5-{request_id}.pdf")


@annexes.get("/transits/<transit_id>/annex6.pdf")
@annexes.arguments(NoQuerySchema, location="query", as_kwargs=True)
@annexes.response(200, description="The transit application (application/pdf, a download).")
def annex6_pdf(transit_id: str) -> Response:
    """The transit application (Annex 6) filled from the transit request.

    For liaison officers in scope and administrators."""
    context = _reader()
    doc = transit_handlers.get_transit(
        current_app.extensions["passage.readmission"].transits, context, transit_id_from(transit_id)
    )
    return _download(annex6(doc, context.now.date().isoformat()), f"annex6-{transit_id}.pdf")
