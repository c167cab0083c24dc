"""Liaison officers' evidence files and official forms, the administrator's law pages (agreements,
rule versions with sources, holiday overrides) and transit requests, through the UI's forms over the
real services; and the case board and needs-action list paging, sorting and filtering in the URL."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from gateway.admin.audit import AuditUnavailable
from tests.integration.test_ui_request_form import request_form
from tests.integration.test_ui_support import UiStack, token
from tests.integration.test_voluntary_return_support import new_ref

R = "/api/v1/readmission"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


@pytest.fixture(scope="module")
def stack(mongo_url: str) -> Iterator[UiStack]:
    with UiStack(mongo_url) as running:
        yield running


def opened(stack: UiStack, client: object) -> str:
    page = client.get("/ui/requests/new")  # type: ignore[attr-defined]
    answer = client.post(  # type: ignore[attr-defined]
        "/ui/requests/new", data={**request_form(new_ref()), "csrf_token": token(page)}
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    return answer.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


def test_files_are_attached_through_the_form_listed_and_downloaded_as_sent(
    stack: UiStack,
) -> None:
    client = stack.client("liaison")
    request_id = opened(stack, client)
    page = client.get(f"/ui/requests/{request_id}")
    assert "No file attached." in page.get_data(as_text=True)
    answer = client.post(
        f"/ui/requests/{request_id}/files",
        data={
            "csrf_token": token(page),
            "file": [(io.BytesIO(PDF), "passport.pdf"), (io.BytesIO(PNG), "ticket.png")],
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 303 and "attached=2" in answer.headers["Location"]
    html = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Files attached: 2." in html
    ids = re.findall(r'data-file="([0-9a-f]{24})"', html)
    assert len(ids) == 2
    first = client.get(f"/ui/requests/{request_id}/files/{ids[0]}")
    assert first.status_code == 200 and first.data == PDF
    assert first.headers["Content-Type"] == "application/pdf"
    assert first.headers["Content-Disposition"].startswith("attachment")
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert first.headers["Cache-Control"] == "no-store"
    stored = stack.api(
        "GET", f"{R}/requests/{request_id}/files", role="liaison_officer", all_scopes=True
    )
    assert [f["media_type"] for f in stored.json()["items"]] == ["application/pdf", "image/png"]


def test_a_file_that_is_not_pdf_jpeg_or_png_is_refused_at_the_form(stack: UiStack) -> None:
    client = stack.client("liaison", lang="az")
    request_id = opened(stack, client)
    page = client.get(f"/ui/requests/{request_id}")
    answer = client.post(
        f"/ui/requests/{request_id}/files",
        data={"csrf_token": token(page), "file": [(io.BytesIO(b"MZ\x90\x00"), "scan.pdf")]},
        content_type="multipart/form-data",
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 415
    assert "scan.pdf əlavə edilmədi." in html  # the refusal at the form, in the reader's language
    assert 'data-file="' not in html  # nothing stored
    none = client.post(
        f"/ui/requests/{request_id}/files",
        data={"csrf_token": token(page)},
        content_type="multipart/form-data",
    )
    assert none.status_code == 422


def test_evidence_files_are_not_for_auditors_and_uploads_need_the_form_token(
    stack: UiStack,
) -> None:
    liaison = stack.client("liaison")
    request_id = opened(stack, liaison)
    auditor = stack.client("auditor")
    page = auditor.get(f"/ui/requests/{request_id}")
    assert page.status_code == 200 and 'data-testid="evidence-files"' not in page.get_data(
        as_text=True
    )
    assert auditor.get(f"/ui/requests/{request_id}/annex5.pdf").status_code == 403
    forged = liaison.post(
        f"/ui/requests/{request_id}/files",
        data={"file": [(io.BytesIO(PDF), "a.pdf")]},
        content_type="multipart/form-data",
    )
    assert forged.status_code == 400


def test_the_annex_5_pdf_is_downloaded_with_the_particulars(stack: UiStack) -> None:
    client = stack.client("liaison")
    request_id = opened(stack, client)
    pdf = client.get(f"/ui/requests/{request_id}/annex5.pdf")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert f"annex5-{request_id}.pdf" in pdf.headers["Content-Disposition"]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    for particular in ("Karimov", "Elvin", "Rasul Karimov"):
        assert particular in text


def test_an_administrator_sees_the_sources_and_adds_an_agreement_and_a_rule_version(
    stack: UiStack,
) -> None:
    client = stack.client("admin")
    page = client.get("/ui/admin/agreements")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-agreement="EU-AZ"' in html
    assert 'data-testid="unverified"' in html or 'data-testid="verified"' in html
    added = client.post(
        "/ui/admin/agreements",
        data={
            "csrf_token": token(page),
            "code": "CH-AZ",
            "title": "Switzerland-Azerbaijan readmission agreement",
            "parties": "CH, AZ",
            "in_force": "2026-01-01",
            "source.article": "Art. 1",
            "source.verified": "no",
        },
    )
    assert added.status_code == 303, added.get_data(as_text=True)[:800]
    limits = {
        f"limits.{name}.{part}": value
        for name in (
            "submit",
            "reply",
            "transfer",
            "travel_document",
            "take_back_own_nationals",
            "take_back_others",
            "transit_reply",
        )
        for part, value in (
            ("amount", "30"),
            ("unit", "calendar_days"),
            ("article", "Art. 10"),
            ("verified", "yes"),
        )
    }
    page = client.get("/ui/admin/agreements")
    form = {
        "csrf_token": token(page),
        "agreement_version": "1",
        "version": "no-2026",
        "procedure": "normal",
        "effective_from": "2026-01-01",
        "deemed_acceptance": "yes",
        **limits,
    }
    version = client.post("/ui/admin/agreements/CH-AZ/rule-versions", data=form)
    assert version.status_code == 303, version.get_data(as_text=True)[:800]
    html = client.get("/ui/admin/agreements").get_data(as_text=True)
    assert 'data-version="no-2026"' in html and "Art. 10" in html
    stale = client.post("/ui/admin/agreements/CH-AZ/rule-versions", data={**form, "version": "x"})
    assert stale.status_code >= 400 and "This was not accepted" in stale.get_data(as_text=True)
    missing = client.post(
        "/ui/admin/agreements",
        data={"csrf_token": token(page), "code": "SE-AZ", "title": "x"},
    )
    assert missing.status_code == 422 and 'aria-invalid="true"' in missing.get_data(as_text=True)


def test_an_administrator_overrides_a_holiday_twice_with_the_version_read(stack: UiStack) -> None:
    client = stack.client("admin")
    page = client.get("/ui/admin/calendars?country=AZ")
    assert page.status_code == 200 and "No override recorded." in page.get_data(as_text=True)
    day = (date.today() + timedelta(days=40)).isoformat()
    form = {"day": day, "working": "no", "kind": "office_closure", "reason": "Office move"}
    first = client.post(
        "/ui/admin/calendars?country=AZ",
        data={**form, "csrf_token": token(page), "calendar_version": "0"},
    )
    assert first.status_code == 303, first.get_data(as_text=True)[:800]
    page = client.get(first.headers["Location"])
    html = page.get_data(as_text=True)
    assert f'data-day="{day}"' in html and "Office move" in html
    again = client.post(
        "/ui/admin/calendars?country=AZ",
        data={**form, "reason": "Moved again", "csrf_token": token(page), "calendar_version": "1"},
    )
    assert again.status_code == 303
    stale = client.post(
        "/ui/admin/calendars?country=AZ",
        data={**form, "csrf_token": token(page), "calendar_version": "1"},
    )
    assert stale.status_code == 412  # someone changed it meanwhile: told, not overwritten
    calendar = stack.api("GET", f"{R}/calendars/AZ").json()
    assert calendar["days"][day]["reason"] == "Moved again"
    assert client.get("/ui/admin/calendars?country=AZ").status_code == 200
    assert stack.client("liaison").get("/ui/admin/calendars").status_code == 403


def test_a_transit_request_is_recorded_downloaded_as_annex_6_and_approved(stack: UiStack) -> None:
    client = stack.client("liaison")
    page = client.get("/ui/transits/new")
    assert page.status_code == 200
    at = (date.today() + timedelta(days=20)).isoformat() + "T10:30"
    answer = client.post(
        "/ui/transits/new",
        data={
            "csrf_token": token(page),
            "direction": "incoming",
            "member_state": "DE",
            "person_ref": new_ref(),
            "route": "DE, AZ, IRN",
            "border_crossing_point": "Heydar Aliyev International Airport",
            "transit_at": at,
            "means": "air",
            "particulars.family_name": "Transitov",
            "particulars.given_names": "Murad",
            "particulars.birth_date": "1988-01-02",
            "particulars.sex": "male",
            "particulars.nationality": "IRN",
            "escorts.count": "1",
            "escorts.agency": "Bundespolizei",
        },
    )
    assert answer.status_code == 303, re.findall(
        r'class="error"[^<]*<|<li>.*?</li>', answer.get_data(as_text=True)
    )
    transit_id = answer.headers["Location"].rsplit("/", 1)[-1]
    page = client.get(f"/ui/transits/{transit_id}")
    html = page.get_data(as_text=True)
    assert 'data-testid="transit-state">submitted' in html and "DE → AZ → IRN" in html
    pdf = client.get(f"/ui/transits/{transit_id}/annex6.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert pdf.status_code == 200 and "Transitov" in text
    refused = client.post(
        f"/ui/transits/{transit_id}/refuse",
        data={"csrf_token": token(page), "reasons.0.code": "other"},
    )
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.get_data(as_text=True)
    approved = client.post(
        f"/ui/transits/{transit_id}/approve", data={"csrf_token": token(page), "note": "ok"}
    )
    assert approved.status_code == 303
    listed = client.get("/ui/transits?state=approved&direction=incoming")
    assert f'data-transit="{transit_id}"' in listed.get_data(as_text=True)
    other = client.get("/ui/transits?state=refused")
    assert f'data-transit="{transit_id}"' not in other.get_data(as_text=True)


def test_the_case_board_and_needs_action_list_page_sort_and_filter_in_the_url(
    stack: UiStack,
) -> None:
    ids = []
    for i in range(3):
        case = stack.api(
            "POST",
            "/api/v1/voluntary-return/cases",
            role="avr_caseworker",
            body={"person_ref": new_ref(), "source": "ngo", "organisation": f"NGO {i}"},
        )
        assert case.status_code == 201, case.text
        ids.append(case.json()["id"])
    client = stack.client("caseworker")
    board = client.get("/ui/cases?stage=referred&sort=due&dir=desc")
    html = board.get_data(as_text=True)
    assert board.status_code == 200 and all(i in html for i in ids)
    assert 'id="col-registered"' not in html  # one stage asked for, one column shown
    assert client.get("/ui/cases?stage=registered").get_data(as_text=True).count(ids[0]) == 0
    bogus = client.get("/ui/cases?stage=%24ne&nationality=x&sort=__class__&cursor=%7B%7D")
    assert bogus.status_code == 200  # unknown values are dropped, never passed on
    needs = client.get("/ui/cases/needs-action?within_days=30&sort=stage")
    assert needs.status_code == 200 and "next 30 days" in needs.get_data(as_text=True)
    assert client.get("/ui/cases/needs-action?overdue=true&kind=counselling_due").status_code == 200


def test_a_caseworker_attaches_files_to_a_case_and_downloads_its_summary(stack: UiStack) -> None:
    case = stack.api(
        "POST",
        "/api/v1/voluntary-return/cases",
        role="avr_caseworker",
        body={"person_ref": new_ref(), "source": "ngo", "organisation": "Caritas Baku"},
    ).json()
    client = stack.client("caseworker")
    page = client.get(f"/ui/cases/{case['id']}")
    assert "No file attached." in page.get_data(as_text=True)
    answer = client.post(
        f"/ui/cases/{case['id']}/files",
        data={"csrf_token": token(page), "file": [(io.BytesIO(PNG), "consent.png")]},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 303 and "attached=1" in answer.headers["Location"]
    html = client.get(answer.headers["Location"]).get_data(as_text=True)
    (file_id,) = re.findall(r'data-file="([0-9a-f]{24})"', html)
    assert client.get(f"/ui/cases/{case['id']}/files/{file_id}").data == PNG
    summary = client.get(f"/ui/cases/{case['id']}/summary.pdf")
    assert summary.status_code == 200 and summary.headers["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(summary.data)).pages)
    assert case["id"] in text or case["person_ref"] in text
    assert stack.client("auditor").get(f"/ui/cases/{case['id']}/summary.pdf").status_code == 403


def test_a_scan_larger_than_a_form_is_accepted_up_to_the_services_limit(stack: UiStack) -> None:
    client = stack.client("liaison")
    request_id = opened(stack, client)
    page = client.get(f"/ui/requests/{request_id}")
    scan = PDF + bytes(2 * 1024 * 1024)  # far above the 256 KiB other forms may send
    answer = client.post(
        f"/ui/requests/{request_id}/files",
        data={"csrf_token": token(page), "file": [(io.BytesIO(scan), "scan.pdf")]},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
    too_big = PDF + bytes(10 * 1024 * 1024)
    refused = client.post(
        f"/ui/requests/{request_id}/files",
        data={"csrf_token": token(page), "file": [(io.BytesIO(too_big), "big.pdf")]},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 413 and "big.pdf was not attached." in refused.get_data(
        as_text=True
    )
    files = stack.api(
        "GET", f"{R}/requests/{request_id}/files", role="liaison_officer", all_scopes=True
    ).json()["items"]
    assert [f["size"] for f in files] == [len(scan)]


def test_a_page_whose_read_cannot_be_audited_says_so_instead_of_failing(
    stack: UiStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = stack.client("liaison")
    assert client.get("/ui/worklist").status_code == 200

    def unavailable(*_args: object, **_kwargs: object) -> None:
        raise AuditUnavailable("down")

    monkeypatch.setattr(stack.deps.guard.trail, "append", unavailable)
    page = client.get("/ui/worklist")  # the header's due count is read (and audited) too
    assert page.status_code == 503
    assert "could not be recorded in the audit trail" in page.get_data(as_text=True)
