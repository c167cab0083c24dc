"""One journey per role, from sign-in to done, through the forms only (headless Chromium over the
launcher's stack with its workers): a family admitted, moved and released; a referral from
detention taken to departure and a first monitoring visit while the stay closes; an administrator's
unit and account; and every page, in every language, free of serious accessibility violations."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from devstack.stack import Stack
from passage.testing import wait_for
from tests.browser.ui_support import check_page, shoot

pytestmark = pytest.mark.slow
TODAY = date.today()


def fill_basis(form: Any) -> None:
    form.locator("#legal_basis-kind").select_option("court_order")
    form.get_by_label("Decision reference").fill("2-120/2026")
    form.get_by_label("Court", exact=True).fill("Baku Administrative Court")
    form.get_by_label("Decided on").fill(TODAY.isoformat())
    form.get_by_label("Valid until").fill((TODAY + timedelta(days=60)).isoformat())


def fill_member(form: Any, i: int, given: str, born: str, sex: str, relation: str) -> None:
    pre = f"#members-{i}-"
    form.locator(f"{pre}person-given_name").fill(given)
    form.locator(f"{pre}person-family_name").fill("Hasanov")
    form.locator(f"{pre}person-birth_date").fill(born)
    form.locator(f"{pre}person-sex").select_option(sex)
    form.locator(f"{pre}person-nationality").fill("IRN")
    form.locator(f"{pre}relation").select_option(relation)


def open_step(page: Any, step: str) -> Any:
    page.locator(f'details[data-action="{step}"] summary').click()
    return page.locator(f'details[data-action="{step}"] form')


def test_centre_staff_admit_a_family_of_three_transfer_one_and_release_one(
    stack: Stack, page_for: Any
) -> None:
    page = page_for("staff.baku")
    page.get_by_role("link", name="Admit a family arriving together").click()
    check_page(page, "journey-staff-1-family-form")
    form = page.locator("#family-form")
    form.get_by_label("Family unit").select_option("baku-f1")
    fill_basis(form)
    fill_member(form, 0, "Rauf", "1984-02-01", "male", "parent")
    fill_member(form, 1, "Nigar", "1986-06-11", "female", "parent")
    fill_member(form, 2, "Aydan", "2014-09-30", "female", "child")
    form.get_by_role("button", name="Admit the family").click()
    expect(page.get_by_role("status")).to_contain_text("Admitted: 3.")
    check_page(page, "journey-staff-2-dashboard-after")
    page.get_by_role("link", name="All stays: filter, sort and page").click()
    page.get_by_label("Unit", exact=True).select_option("baku-f1")
    page.get_by_role("button", name="Filter").click()
    check_page(page, "journey-staff-3-stays-list")
    page.get_by_role("link", name="Hasanov, Nigar").click()
    form = open_step(page, "transfer")
    form.get_by_label("Unit").select_option("baku-w1")
    form.get_by_label("Reason").fill("medical observation")
    form.get_by_role("button", name="Transfer").click()
    expect(page.get_by_test_id("stay-unit")).to_contain_text("baku-w1")
    check_page(page, "journey-staff-4-transferred")
    page.go_back()
    page.go_back()
    page.reload()
    page.get_by_role("link", name="Hasanov, Rauf").click()
    form = open_step(page, "release")
    form.get_by_label("Reason").select_option("released_by_court")
    form.get_by_role("button", name="Release").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "are you sure?"
    )  # asked first, no script needed
    check_page(page, "journey-staff-5-confirm-release")
    page.get_by_role("button", name="Yes, go ahead").click()
    expect(page.get_by_test_id("stay-status")).to_have_text("closed")
    check_page(page, "journey-staff-6-released")


def test_a_caseworker_takes_a_referral_from_detention_to_a_first_monitoring_visit(
    stack: Stack, page_for: Any
) -> None:
    staff = page_for("staff.baku")
    form = staff.locator("#admit form")
    form.get_by_label("Unit", exact=True).select_option("baku-m1")
    form.get_by_label("Given name").fill("Kamran")
    form.get_by_label("Family name").fill("Returnee")
    form.get_by_label("Date of birth").fill("1989-05-05")
    form.get_by_label("Sex", exact=True).select_option("male")
    fill_basis(form)
    form.get_by_role("button", name="Admit").click()
    staff.wait_for_url("**/ui/stays/**")
    stay_url = staff.url
    person_ref = staff.locator("dl.facts a[href*='/ui/persons/']").first.inner_text()

    page = page_for("caseworker")
    page.goto(f"{stack.gateway_url}/ui/persons/{person_ref}")
    page.get_by_role("link", name="Refer for voluntary return").click()
    expect(page.get_by_label("Referred by")).to_have_value(
        "detention_centre"
    )  # prefilled from detention
    check_page(page, "journey-case-01-referral")
    page.get_by_label("Nationality (ISO alpha-3, e.g. IRN)").fill("IRN")
    wait_for(
        lambda: _referred(page),
        timeout=60,
        interval=1.0,
        message="voluntary return to learn where the person is held",
    )
    now = datetime.now(UTC)
    steps = [
        (
            "registration",
            {
                "Given name": "Kamran",
                "Family name": "Returnee",
                "Date of birth": "1989-05-05",
                "Sex": ("male",),
                "Languages spoken": "fa, az",
                "Classification (AVR, or AVM for vulnerable migrants)": ("AVR",),
                "Destination country": "IRN",
            },
            "Register the migrant",
        ),
        (
            "counselling-sessions",
            {"Held on": TODAY.isoformat(), "Counsellor": "Leyla Mammadova"},
            "Record a counselling session",
        ),
        (
            "eligibility",
            {
                "Decision": ("eligible",),
                "Reasons": "Meets the AVRR criteria.",
                "Decided on": TODAY.isoformat(),
            },
            "Decide eligibility",
        ),
        (
            "consent",
            {"Declaration signed": ("yes",), "Declared on": TODAY.isoformat(), "Language": "fa"},
            "Record consent",
        ),
        # Without consent to share, detention would hear nothing of the departure (main's
        # consent-to-share rule).
        (
            "consent-to-share",
            {"Agreed on": TODAY.isoformat(), "Language": "fa"},
            "Record consent to share with the authorities",
        ),
        (
            "travel-document",
            {"Kind": ("laissez_passer",), "Status": ("issued",)},
            "Record the travel document",
        ),
        (
            "booking",
            {"Route": "GYD-IKA J2 9012", "Departure date": TODAY.isoformat(), "Escort": ("no",)},
            "Book travel",
        ),
        (
            "departure",
            {"Departed at (UTC)": (now - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")},
            "Confirm departure",
        ),
        (
            "arrival",
            {"Arrived at (UTC)": (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")},
            "Confirm arrival",
        ),
        (
            "reintegration-plan",
            {"Cash grant: amount": "1500", "Cash grant: currency (e.g. EUR)": "EUR"},
            "Set the reintegration plan",
        ),
        (
            "monitoring-visits",
            {
                "Month": ("3",),
                "Visited on": TODAY.isoformat(),
                "Score: economic": "0.6",
                "Score: social": "0.7",
                "Score: psychosocial": "0.8",
            },
            "Record a monitoring visit",
        ),
    ]
    for number, (step, fields, button) in enumerate(steps, start=2):
        form = open_step(page, step)
        for label, value in fields.items():
            field = form.get_by_label(label, exact=True)
            field.select_option(value[0]) if isinstance(value, tuple) else field.fill(value)
        form.get_by_role("button", name=button).click()
        if step == "departure":
            check_page(page, "journey-case-08-confirm-departure")
            page.get_by_role("button", name="Yes, go ahead").click()
        page.wait_for_load_state()
        assert not page.locator(".alert[role=alert]").count(), (
            step,
            page.locator(".alert").inner_text(),
        )
        shoot(page, f"journey-case-{number:02d}-{step}")
    expect(page.get_by_test_id("case-stage")).to_have_text("monitoring")
    check_page(page, "journey-case-12-monitoring")
    staff.goto(stay_url)
    wait_for(
        lambda: staff.reload() and staff.get_by_test_id("stay-status").inner_text() == "closed",
        timeout=60,
        interval=1.0,
        message="detention to close the stay on the departure event",
    )
    assert "voluntary return" in staff.locator("dl.facts").inner_text()
    check_page(staff, "journey-case-13-stay-closed")


def _referred(page: Any) -> bool:
    """Submit the referral; True once the case opened (the location may take a moment to arrive)."""
    page.get_by_role("button", name="Open the case").click()
    page.wait_for_load_state()
    return "/ui/cases/new" not in page.url


PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(64)


def test_a_liaison_officer_files_a_request_with_evidence_and_enters_a_dated_rejection(
    stack: Stack, page_for: Any, tmp_path: Path
) -> None:
    passport = tmp_path / "passport-scan.pdf"
    passport.write_bytes(PDF_BYTES)
    ticket = tmp_path / "ticket.png"
    ticket.write_bytes(PNG_BYTES)
    ref = f"AZ-J-{uuid.uuid4().hex[:8]}"
    page = page_for("liaison")
    page.goto(f"{stack.gateway_url}/ui/requests/new")
    form = page.get_by_test_id("new-request")
    form.get_by_label("Direction", exact=True).select_option("outgoing")
    form.get_by_label("Member state (e.g. DE)", exact=True).fill("DE")
    form.get_by_label("Person reference", exact=True).fill(ref)
    form.get_by_label("Category", exact=True).select_option("third_country_national")
    form.get_by_label("Procedure", exact=True).select_option("normal")
    form.get_by_label("Irregular stay known since", exact=True).fill(
        (TODAY - timedelta(days=20)).isoformat()
    )
    form.get_by_label("Voluntary return offered", exact=True).select_option("yes")
    form.get_by_label("Family name", exact=True).fill("Journeyova")
    form.get_by_label("Given names", exact=True).fill("Sabina")
    form.get_by_label("Date of birth", exact=True).fill("1993-07-14")
    form.get_by_label("Sex", exact=True).select_option("female")
    form.get_by_label("Nationality (ISO alpha-3, e.g. IRN)", exact=True).fill("IRN")
    form.get_by_label("Father's name", exact=True).fill("Rauf Journeyov")
    check_page(page, "journey-liaison-1-new-request")
    form.get_by_role("button", name="Open the request").click()
    expect(page.get_by_test_id("request-state")).to_have_text("draft")
    request_id = page.url.rstrip("/").rsplit("/", 1)[-1]

    upload = page.get_by_test_id("upload-files")
    upload.get_by_label("Scanned documents (PDF, JPEG or PNG, up to 10 MiB each)").set_input_files(
        [str(passport), str(ticket)]
    )
    upload.get_by_role("button", name="Attach the files").click()
    expect(page.get_by_role("status")).to_contain_text("Files attached: 2.")
    expect(page.get_by_test_id("evidence-files").locator("tr[data-file]")).to_have_count(2)
    with page.expect_download() as download:
        page.get_by_test_id("evidence-files").get_by_role("link", name="Download file 1").click()
    assert Path(download.value.path()).read_bytes() == PDF_BYTES  # the file as it was uploaded
    form = open_step(page, "evidence")
    form.get_by_label("Evidence of").select_option("nationality")
    form.get_by_label("Type", exact=True).select_option("passport")
    form.get_by_label("Reference").fill("scan 1: passport")
    form.get_by_role("button", name="Attach evidence").click()
    expect(page.locator("section:has(#ev-title) table")).to_contain_text("scan 1: passport")
    check_page(page, "journey-liaison-2-evidence")

    with page.expect_download() as download:
        page.get_by_test_id("annex5").click()
    assert download.value.suggested_filename == f"annex5-{request_id}.pdf"
    text = " ".join(
        p.extract_text() for p in PdfReader(download.value.path()).pages
    )  # the form is filled from the request
    for particular in ("Journeyova", "Sabina", "1993-07-14", "Rauf Journeyov", ref):
        assert particular in text, particular

    form = open_step(page, "submit")
    form.get_by_label("Received on").fill(TODAY.isoformat())
    form.get_by_role("button", name="Submit").click()
    expect(page.get_by_test_id("request-state")).to_have_text("submitted")
    page.locator("header").get_by_role("link", name="Worklist", exact=True).click()
    row = page.locator(f'tr[data-request="{request_id}"]')
    expect(row.filter(has_text="submitted")).not_to_have_count(0)
    check_page(page, "journey-liaison-3-worklist-submitted")

    page.goto(f"{stack.gateway_url}/ui/requests/{request_id}")
    form = open_step(page, "reject")
    form.locator('[name="replied_on"]').fill(TODAY.isoformat())
    form.get_by_label("Received on").fill(TODAY.isoformat())
    form.locator('[name="reasons.0.code"]').select_option("insufficient_evidence")
    form.get_by_label("Explanation").fill("The passport scan is not legible.")
    form.get_by_role("button", name="Reject").click()
    expect(page.get_by_test_id("request-state")).to_have_text("rejected")
    check_page(page, "journey-liaison-4-rejected")
    page.locator("header").get_by_role("link", name="Worklist", exact=True).click()
    expect(
        page.locator(f'tr[data-request="{request_id}"]').filter(has_text="submitted")
    ).to_have_count(0)
    check_page(page, "journey-liaison-5-worklist-after")


def test_an_administrator_adds_a_unit_a_user_and_a_holiday_override(
    stack: Stack, page_for: Any
) -> None:
    page = page_for("admin")
    page.locator("header").get_by_role("link", name="Administration").click()
    page.get_by_role("link", name="Yevlakh", exact=False).first.click()
    check_page(page, "journey-admin-1-centre")
    form = page.locator("section:has(#new-unit-title) form")
    form.get_by_label("Identifier (lower-case, e.g. baku-f2)").fill("yevlakh-f2")
    form.get_by_label("Name").fill("Family rooms 2")
    form.get_by_label("Category").select_option("family")
    form.get_by_label("Declared places").fill("6")
    form.get_by_label("Living area (m², sanitary area excluded)").fill("48")
    form.get_by_role("button", name="Add the unit").click()
    expect(page.get_by_role("status")).to_contain_text("Unit yevlakh-f2 added.")
    expect(page.locator('tr[data-unit="yevlakh-f2"]')).to_be_visible()
    check_page(page, "journey-admin-2-unit-added")
    page.goto(f"{stack.gateway_url}/ui/admin/users")
    form = page.locator("section:has(#new-user-title) form")
    form.get_by_label("Username").fill("staff.yevlakh2")
    form.get_by_label("Role").select_option("centre_staff")
    form.get_by_label("Password (at least 12 characters)").fill("a long enough pass phrase 42")
    form.get_by_label("Centres (centre staff)").fill("yevlakh")
    form.get_by_role("button", name="Create the account").click()
    expect(page.get_by_role("status")).to_contain_text("The account staff.yevlakh2 is created.")
    check_page(page, "journey-admin-3-user-created")
    page.goto(f"{stack.gateway_url}/ui/")
    page.locator("#main").get_by_role("link", name="Holiday calendars").click()
    day = (TODAY + timedelta(days=45)).isoformat()
    form = page.locator("section:has(#new-override-title) form")
    form.get_by_label("Day", exact=True).fill(day)
    form.get_by_label("Working day").select_option("no")
    form.get_by_label("Kind").select_option("office_closure")
    form.get_by_label("Reason").fill("Office move")
    form.get_by_role("button", name="Save the override").click()
    expect(page.get_by_role("status")).to_contain_text("is overridden.")
    expect(page.locator(f'tr[data-day="{day}"]')).to_contain_text("Office move")
    check_page(page, "journey-admin-4-holiday-override")
    page.goto(f"{stack.gateway_url}/ui/admin/agreements")
    expect(page.locator('section[data-agreement="EU-AZ"] table.rules').first).to_be_visible()
    check_page(page, "journey-admin-5-agreements")


PAGES = {
    "staff.baku": [
        "/ui/centres/baku",
        "/ui/centres/baku/family-admission",
        "/ui/centres/baku/stays",
    ],
    "liaison": [
        "/ui/worklist",
        "/ui/requests",
        "/ui/requests/new",
        "/ui/transits",
        "/ui/transits/new",
    ],
    "caseworker": ["/ui/cases", "/ui/cases/needs-action", "/ui/cases/new"],
    "partner.iom": ["/ui/reports"],
    "auditor": ["/ui/audit"],
    "admin": [
        "/ui/",
        "/ui/admin/centres",
        "/ui/admin/centres/baku",
        "/ui/admin/users",
        "/ui/admin/agreements",
        "/ui/admin/calendars",
    ],
}


@pytest.mark.parametrize("lang", ["az", "en", "ru"])
def test_every_page_in_every_language_has_no_serious_accessibility_violation(
    stack: Stack, page_for: Any, lang: str
) -> None:
    for username, paths in PAGES.items():
        page = page_for(username, lang=lang)
        for path in paths:
            answer = page.goto(f"{stack.gateway_url}{path}")
            assert answer.status == 200, (path, answer.status)
            assert page.locator("html").get_attribute("lang") == lang
            assert (
                "script-src 'self'" in answer.headers["content-security-policy"]
            )  # the app's CSP stays on
            check_page(
                page, f"a11y-{lang}-{username}-{path.strip('/').replace('/', '-') or 'home'}"
            )


def test_an_auditor_verifies_the_chain(stack: Stack, page_for: Any) -> None:
    page = page_for("auditor")
    page.get_by_role("link", name="Verify the audit chain").click()
    page.get_by_role("button", name="Verify now").click()
    expect(page.get_by_test_id("chain-result")).to_contain_text("The audit trail is intact:")
    check_page(page, "journey-auditor-chain-verified")
