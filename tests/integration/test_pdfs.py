"""The printable documents through the gateway over the real services: each PDF opens, carries the
record's particulars (Azerbaijani and Cyrillic letters intact), is a no-store download, is audited,
and is refused to roles whose job does not need it."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import pytest
from pypdf import PdfReader

from gateway.tokens import issue_access_token
from passage.identity import Identity
from tests.integration.test_ui_support import UiStack
from tests.integration.test_voluntary_return_support import BODIES, PATHS, SEGMENTS

V = "/api/v1/voluntary-return"
CASEWORKER = Identity("caseworker", "avr_caseworker")


@pytest.fixture(scope="module")
def stack(mongo_url: str) -> Iterator[UiStack]:
    with UiStack(mongo_url) as ui:
        yield ui


def _get(stack: UiStack, who: Identity, path: str) -> Any:
    token = issue_access_token(who, stack.deps.keys, ttl_seconds=600)
    return stack.app.test_client().get(path, headers={"Authorization": f"Bearer {token}"})


def _text(pdf: bytes) -> str:
    """The PDF's text, whitespace runs made one space (extraction spaces words out unevenly)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def _booked_case(stack: UiStack) -> dict:
    case = stack.api("POST", f"{V}/cases", role="avr_caseworker",
                     body={"person_ref": "AZ-2026-700001", "source": "ngo", "organisation": "Caritas Baku"}).json()
    register = {**BODIES["register"], "particulars": {**BODIES["register"]["particulars"],
                                                      "given_name": "Рашад", "family_name": "Məmmədov"}}
    soon = (datetime.now(timezone.utc).date() + timedelta(days=7)).isoformat()  # the services run on the real clock
    bodies = {**BODIES, "register": register, "book_travel": {**BODIES["book_travel"], "departure_date": soon}}
    for action, body in PATHS["booked"]:
        body = body or bodies[action]
        answer = stack.api("POST", f"{V}/cases/{case['id']}/{SEGMENTS[action]}", role="avr_caseworker", body=body)
        assert answer.status_code == 200, answer.text
    return case


def test_the_avrr_case_summary_is_a_pdf_download_with_the_cases_particulars(stack: UiStack) -> None:
    case = _booked_case(stack)
    r = _get(stack, CASEWORKER, f"{V}/cases/{case['id']}/summary.pdf")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.mimetype == "application/pdf" and r.data.startswith(b"%PDF-")
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["Cache-Control"] == "no-store"
    text = _text(r.data)
    for particular in ("Məmmədov", "Рашад", "1990-04-02", "AZ-2026-700001", "GYD-IKA J2 9012", "LP-2026-77", "booked"):
        assert particular in text, (particular, text[:500])
    audited = stack.deps.guard.trail.search(resource=f"{V}/cases/{{case_id}}/summary.pdf")
    assert audited and audited[0]["ids"] == {"case_id": case["id"]} and audited[0]["outcome"] == 200


def test_the_summary_is_refused_to_auditors_and_partners_and_unknown_cases_are_404(stack: UiStack) -> None:
    case = stack.api("POST", f"{V}/cases", role="avr_caseworker",
                     body={"person_ref": "AZ-2026-700002", "source": "ngo", "organisation": "Caritas Baku"}).json()
    for who in (Identity("auditor", "auditor"), Identity("p", "partner", organisation="IOM")):
        r = _get(stack, who, f"{V}/cases/{case['id']}/summary.pdf")
        assert r.status_code == 403 and not r.data.startswith(b"%PDF")
    assert stack.api("GET", f"{V}/cases/{case['id']}/summary.pdf", role="auditor").status_code == 403
    missing = _get(stack, CASEWORKER, f"{V}/cases/00000000-0000-4000-8000-000000000000/summary.pdf")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert _get(stack, CASEWORKER, f"{V}/cases/{case['id']}/summary.pdf?x[$ne]=1").status_code == 422
