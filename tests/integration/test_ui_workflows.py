"""Liaison officers' and caseworkers' pages over the real services: worklist, request transitions,
case board, consent then booking, and the service's refusals shown on the form."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.integration.test_readmission_support import new_request
from tests.integration.test_ui_support import UiStack, token
from tests.integration.test_voluntary_return_support import BODIES, PATHS, SEGMENTS, new_ref

R, V = "/api/v1/readmission", "/api/v1/voluntary-return"


@pytest.fixture(scope="module")
def stack(mongo_url: str) -> Iterator[UiStack]:
    with UiStack(mongo_url) as ui:
        yield ui


def _submitted_request(stack: UiStack) -> dict:
    created = stack.api(
        "POST",
        f"{R}/requests",
        role="liaison_officer",
        body=new_request(person_ref=new_ref()),
        all_scopes=True,
    )
    assert created.status_code == 201, created.text
    submitted = stack.api(
        "POST",
        f"{R}/requests/{created.json()['id']}/submit",
        role="liaison_officer",
        body={},
        all_scopes=True,
    )
    assert submitted.status_code == 200, submitted.text
    return submitted.json()


NO_CONSENT = [
    (a, None)
    for a in ("register", "record_counselling", "decide_eligibility", "record_travel_document")
]


def _case_at(stack: UiStack, stage: str) -> dict:
    """A new case walked to ``stage`` (``travel_ready`` here means: without consent)."""
    case = stack.api(
        "POST",
        f"{V}/cases",
        role="avr_caseworker",
        body={
            "person_ref": new_ref(),
            "source": "ngo",
            "organisation": "Caritas Baku",
            "nationality": "IRN",
        },
    ).json()
    for action, body in NO_CONSENT if stage == "travel_ready" else PATHS[stage]:
        answer = stack.api(
            "POST",
            f"{V}/cases/{case['id']}/{SEGMENTS[action]}",
            role="avr_caseworker",
            body=BODIES[action] if body is None else body,
        )
        assert answer.status_code == 200, answer.text
        case = answer.json()
    return case


def test_a_liaison_officer_accepts_a_request_and_the_worklist_follows(stack: UiStack) -> None:
    request = _submitted_request(stack)
    client = stack.client("liaison")
    worklist = client.get("/ui/worklist", follow_redirects=True).get_data(as_text=True)
    row = re.search(rf'<tr[^>]*data-request="{request["id"]}" data-deadline="([a-z_]+)"', worklist)
    assert row, "the submitted request's reply deadline is on the worklist"
    page = client.get(f"/ui/requests/{request['id']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Rezaei" in html and "submitted" in html
    assert f"/ui/persons/{request['person_ref']}" in html
    answer = client.post(
        f"/ui/requests/{request['id']}/accept",
        data={
            "note": "proof sufficient",
            "replied_on": request["received_on"],
            "csrf_token": token(page),
        },
    )
    assert answer.status_code == 303
    after = client.get(f"/ui/requests/{request['id']}").get_data(as_text=True)
    assert 'data-testid="request-state">accepted<' in after
    worklist = client.get("/ui/worklist").get_data(as_text=True)
    assert f'data-request="{request["id"]}" data-deadline="{row.group(1)}"' not in worklist
    listed = client.get("/ui/requests?state=accepted").get_data(as_text=True)
    assert f"/ui/requests/{request['id']}" in listed
    assert f"/ui/requests/{request['id']}" not in client.get("/ui/requests?state=draft").get_data(
        as_text=True
    )


def test_a_refused_transition_says_why_on_its_form(stack: UiStack) -> None:
    request = _submitted_request(stack)
    client = stack.client("liaison")
    page = client.get(f"/ui/requests/{request['id']}")
    answer = client.post(
        f"/ui/requests/{request['id']}/reject",
        data={
            "reasons.0.code": "insufficient_evidence",
            "replied_on": request["received_on"],
            "csrf_token": token(page),
        },
    )
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    block = re.search(
        r'<details open class="action" data-action="reject">.*?</details>', html, re.S
    ).group(0)
    assert 'class="error"' in block  # the missing explanation, next to its field


def test_a_caseworker_records_consent_then_books(stack: UiStack) -> None:
    case = _case_at(stack, "travel_ready")
    client = stack.client("caseworker")
    board = client.get("/ui/", follow_redirects=True).get_data(as_text=True)
    assert f"/ui/cases/{case['id']}" in board
    page = client.get(f"/ui/cases/{case['id']}")
    booking = {
        "route": "GYD-IKA J2 9012",
        "departure_date": "2026-12-20",
        "escort": "no",
        "csrf_token": token(page),
    }
    refused = client.post(f"/ui/cases/{case['id']}/booking", data=booking)
    assert refused.status_code == 422 and "consent" in refused.get_data(as_text=True).lower()
    consent = client.post(
        f"/ui/cases/{case['id']}/consent",
        data={
            "declaration_signed": "yes",
            "declared_on": "2026-11-24",
            "language": "fa",
            "csrf_token": token(page),
        },
    )
    assert consent.status_code == 303, consent.get_data(as_text=True)[:2000]
    booked = client.post(f"/ui/cases/{case['id']}/booking", data=booking)
    assert booked.status_code == 303
    html = client.get(f"/ui/cases/{case['id']}").get_data(as_text=True)
    assert 'data-testid="case-stage">booked<' in html and "GYD-IKA J2 9012" in html
    assert client.get("/ui/cases/needs-action").status_code == 200


def test_other_roles_do_not_reach_cases_or_requests(stack: UiStack) -> None:
    case = _case_at(stack, "referred")
    staff = stack.client("staff.baku")
    assert staff.get(f"/ui/cases/{case['id']}").status_code == 403
    assert staff.get("/ui/worklist").status_code == 403
    auditor = stack.client("auditor")
    assert auditor.get(f"/ui/cases/{case['id']}").status_code == 200
    page = auditor.get(f"/ui/cases/{case['id']}")
    assert (
        auditor.post(
            f"/ui/cases/{case['id']}/consent", data={"csrf_token": token(page)}
        ).status_code
        == 403
    )


def test_a_service_that_is_down_gives_a_clear_message_not_a_crash(
    stack: UiStack, service_down: str
) -> None:
    client = stack.client("liaison")
    urls = stack.deps.upstreams.urls
    saved = urls["readmission"]
    urls["readmission"] = service_down
    try:
        answer = client.get("/ui/worklist")
    finally:
        urls["readmission"] = saved
    html = answer.get_data(as_text=True)
    assert answer.status_code == 503 and "readmission service is not reachable" in html
    assert "Traceback" not in html
