"""Evidence files through the gateway over the real services: PDF/JPEG/PNG judged by content, a size
limit, downloads with safe headers, audited, and only for the roles whose job needs them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gateway.auth.tokens import issue_access_token
from passage.evidence_files import MAX_BYTES
from passage.identity import Identity
from tests.integration.test_readmission_support import new_request
from tests.integration.test_ui_support import UiStack

R, V = "/api/v1/readmission", "/api/v1/voluntary-return"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LIAISON = Identity("liaison.de", "liaison_officer", member_states=("DE",))
CASEWORKER = Identity("caseworker", "avr_caseworker")


@pytest.fixture(scope="module")
def stack(mongo_url: str) -> Iterator[UiStack]:
    with UiStack(mongo_url) as ui:
        yield ui


def _call(stack: UiStack, who: Identity, method: str, path: str, **kwargs: Any) -> Any:
    token = issue_access_token(who, stack.deps.keys, ttl_seconds=600)
    return stack.app.test_client().open(
        path, method=method, headers={"Authorization": f"Bearer {token}"}, **kwargs
    )


def _upload(
    stack: UiStack,
    who: Identity,
    path: str,
    data: bytes,
    name: str = "scan.pdf",
    declared: str = "application/pdf",
) -> Any:
    import io

    return _call(
        stack,
        who,
        "POST",
        path,
        data={"file": (io.BytesIO(data), name, declared)},
        content_type="multipart/form-data",
    )


def _request_id(stack: UiStack) -> str:
    created = stack.api(
        "POST",
        f"{R}/requests",
        role="liaison_officer",
        body=new_request(person_ref="AZ-2026-800001"),
        all_scopes=True,
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


def test_a_liaison_officer_attaches_two_files_and_downloads_one_safely(stack: UiStack) -> None:
    files = f"{R}/requests/{_request_id(stack)}/files"
    first = _upload(stack, LIAISON, files, PDF)
    second = _upload(stack, LIAISON, files, PNG, name="photo.pdf", declared="application/pdf")
    assert first.status_code == 201 and second.status_code == 201, (first.json, second.json)
    assert (first.json["media_type"], second.json["media_type"]) == ("application/pdf", "image/png")
    listed = _call(stack, LIAISON, "GET", files).json["items"]
    assert [f["id"] for f in listed] == [first.json["id"], second.json["id"]]
    got = _call(stack, LIAISON, "GET", f"{files}/{second.json['id']}")
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert (
        got.headers["X-Content-Type-Options"] == "nosniff"
        and got.headers["Cache-Control"] == "no-store"
    )
    audited = stack.deps.guard.trail.search(
        resource=f"{R}/requests/{{request_id}}/files/{{file_id}}"
    )
    assert (
        audited
        and audited[0]["ids"]["file_id"] == second.json["id"]
        and audited[0]["outcome"] == 200
    )


def test_only_pdf_jpeg_png_by_content_and_at_most_the_limit(stack: UiStack) -> None:
    files = f"{R}/requests/{_request_id(stack)}/files"
    html = _upload(stack, LIAISON, files, b"<html><script>alert(1)</script>", name="scan.pdf")
    assert html.status_code == 415 and html.mimetype == "application/problem+json"
    big = _upload(stack, LIAISON, files, PDF + b"0" * MAX_BYTES)
    assert big.status_code == 413 and big.mimetype == "application/problem+json"
    assert _call(stack, LIAISON, "POST", files, json={}).status_code == 422
    assert _call(stack, LIAISON, "GET", files).json["items"] == []


def test_files_are_hidden_from_other_scopes_auditors_and_partners(stack: UiStack) -> None:
    files = f"{R}/requests/{_request_id(stack)}/files"
    file_id = _upload(stack, LIAISON, files, PDF).json["id"]
    for who in (
        Identity("liaison.fr", "liaison_officer", member_states=("FR",)),
        Identity("auditor", "auditor"),
        Identity("p", "partner", organisation="IOM"),
    ):
        r = _call(stack, who, "GET", f"{files}/{file_id}")
        assert r.status_code in (403, 404) and r.data != PDF, who
    assert stack.api("GET", f"{files}/{file_id}", role="auditor").status_code == 403
    assert _call(stack, LIAISON, "GET", f"{files}/ffffffffffffffffffffffff").status_code == 404


def test_a_caseworker_attaches_a_file_to_a_case_and_auditors_cannot_read_it(stack: UiStack) -> None:
    case = stack.api(
        "POST",
        f"{V}/cases",
        role="avr_caseworker",
        body={"person_ref": "AZ-2026-800002", "source": "ngo", "organisation": "Caritas Baku"},
    ).json()
    files = f"{V}/cases/{case['id']}/files"
    uploaded = _upload(stack, CASEWORKER, files, b"\xff\xd8\xff\xe0" + b"\x00" * 32, name="id.png")
    assert uploaded.status_code == 201 and uploaded.json["media_type"] == "image/jpeg", (
        uploaded.json
    )
    got = _call(stack, CASEWORKER, "GET", f"{files}/{uploaded.json['id']}")
    assert got.status_code == 200 and got.mimetype == "image/jpeg"
    assert (
        _call(
            stack, Identity("auditor", "auditor"), "GET", f"{files}/{uploaded.json['id']}"
        ).status_code
        == 403
    )
