"""The printable documents through the gateway over the real services: each PDF opens, carries the
record's particulars (Azerbaijani and Cyrillic letters intact), is a no-store download, is audited,
and is refused to roles whose job does not need it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader

from gateway.auth.tokens import issue_access_token
from passage.identity import Identity
from tests.integration.test_readmission_support import new_request
from tests.integration.test_readmission_transit_support import new_transit
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
    return " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split()
    )


def _booked_case(stack: UiStack) -> dict:
    case = stack.api(
        "POST",
        f"{V}/cases",
        role="avr_caseworker",
        body={"person_ref": "AZ-2026-700001", "source": "ngo", "organisation": "Caritas Baku"},
    ).json()
    register = {
        **BODIES["register"],
        "particulars": {
            **BODIES["register"]["particulars"],
            "given_name": "Рашад",
            "family_name": "Məmmədov",
        },
    }
    soon = (
        datetime.now(UTC).date() + timedelta(days=7)
    ).isoformat()  # the services run on the real clock
    bodies = {
        **BODIES,
        "register": register,
        "book_travel": {**BODIES["book_travel"], "departure_date": soon},
    }
    for action, body in PATHS["booked"]:
        body = body or bodies[action]
        answer = stack.api(
            "POST", f"{V}/cases/{case['id']}/{SEGMENTS[action]}", role="avr_caseworker", body=body
        )
        assert answer.status_code == 200, answer.text
    return case


def test_the_avrr_case_summary_is_a_pdf_download_with_the_cases_particulars(stack: UiStack) -> None:
    case = _booked_case(stack)
    r = _get(stack, CASEWORKER, f"{V}/cases/{case['id']}/summary.pdf")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.mimetype == "application/pdf" and r.data.startswith(b"%PDF-")
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert (
        r.headers["X-Content-Type-Options"] == "nosniff"
        and r.headers["Cache-Control"] == "no-store"
    )
    text = _text(r.data)
    for particular in (
        "Məmmədov",
        "Рашад",
        "1990-04-02",
        "AZ-2026-700001",
        "GYD-IKA J2 9012",
        "LP-2026-77",
        "booked",
    ):
        assert particular in text, (particular, text[:500])
    audited = stack.deps.guard.trail.search(resource=f"{V}/cases/{{case_id}}/summary.pdf")
    assert audited and audited[0]["ids"] == {"case_id": case["id"]} and audited[0]["outcome"] == 200


def test_the_summary_is_refused_to_auditors_and_partners_and_unknown_cases_are_404(
    stack: UiStack,
) -> None:
    case = stack.api(
        "POST",
        f"{V}/cases",
        role="avr_caseworker",
        body={"person_ref": "AZ-2026-700002", "source": "ngo", "organisation": "Caritas Baku"},
    ).json()
    for who in (Identity("auditor", "auditor"), Identity("p", "partner", organisation="IOM")):
        r = _get(stack, who, f"{V}/cases/{case['id']}/summary.pdf")
        assert r.status_code == 403 and not r.data.startswith(b"%PDF")
    assert (
        stack.api("GET", f"{V}/cases/{case['id']}/summary.pdf", role="auditor").status_code == 403
    )
    missing = _get(stack, CASEWORKER, f"{V}/cases/00000000-0000-4000-8000-000000000000/summary.pdf")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert (
        _get(stack, CASEWORKER, f"{V}/cases/{case['id']}/summary.pdf?x[$ne]=1").status_code == 422
    )


R = "/api/v1/readmission"
LIAISON = Identity("liaison.de", "liaison_officer", member_states=("DE",))
ANNEX_PARTICULARS = {
    "family_name": "Гусейнов",
    "given_names": "Rəşad",
    "birth_date": "1988-07-14",
    "birth_place": "Gəncə",
    "sex": "male",
    "nationality": "AZE",
    "father_name": "Əli Hüseynov",
    "civil_status": "married",
    "spouse": {"family_name": "Hüseynova", "given_names": "Leyla"},
    "documents": [{"type": "passport", "number": "C09876543", "issued_by": "AZE"}],
    "special_care_needs": "Insulin on the journey",
}


def test_the_annex5_readmission_application_carries_the_requests_particulars(
    stack: UiStack,
) -> None:
    body = new_request(person_ref="AZ-2026-700010", particulars=ANNEX_PARTICULARS)
    created = stack.api("POST", f"{R}/requests", role="liaison_officer", body=body, all_scopes=True)
    assert created.status_code == 201, created.text
    path = f"{R}/requests/{created.json()['id']}/annex5.pdf"
    r = _get(stack, LIAISON, path)
    assert r.status_code == 200 and r.mimetype == "application/pdf", r.get_data(as_text=True)[:300]
    assert (
        r.headers["Content-Disposition"].startswith("attachment;")
        and r.headers["Cache-Control"] == "no-store"
    )
    text = _text(r.data)
    for particular in (
        "Annex 5",
        "Гусейнов",
        "Rəşad",
        "1988-07-14",
        "Gəncə",
        "Əli Hüseynov",
        "Hüseynova",
        "C09876543",
        "Insulin on the journey",
        "TK-0099",
        "DE",
    ):
        assert particular in text, (particular, text[:600])
    assert stack.deps.guard.trail.search(resource=f"{R}/requests/{{request_id}}/annex5.pdf")
    other_state = Identity("liaison.fr", "liaison_officer", member_states=("FR",))
    for who in (
        other_state,
        Identity("auditor", "auditor"),
        Identity("p", "partner", organisation="IOM"),
    ):
        refused = _get(stack, who, path)
        assert refused.status_code in (403, 404) and not refused.data.startswith(b"%PDF"), who


def test_the_annex6_transit_application_carries_the_transits_particulars(stack: UiStack) -> None:
    when = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0).isoformat()
    body = new_transit(
        person_ref="AZ-2026-700011",
        particulars=ANNEX_PARTICULARS,
        transit_at=when,
        escorts={
            "count": 2,
            "agency": "Bundespolizei",
            "officers": [{"name": "Jürgen Weiß", "rank": "Polizeihauptmeister"}],
        },
    )
    created = stack.api("POST", f"{R}/transits", role="liaison_officer", body=body, all_scopes=True)
    assert created.status_code == 201, created.text
    r = _get(stack, LIAISON, f"{R}/transits/{created.json()['id']}/annex6.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf", r.get_data(as_text=True)[:300]
    text = _text(r.data)
    for particular in (
        "Annex 6",
        "Гусейнов",
        "Rəşad",
        "Heydar Aliyev International Airport",
        "Bundespolizei",
        "Jürgen Weiß",
        "C09876543",
    ):
        assert particular in text, (particular, text[:600])
    auditor = _get(
        stack, Identity("auditor", "auditor"), f"{R}/transits/{created.json()['id']}/annex6.pdf"
    )
    assert auditor.status_code == 403
