"""The staff web UI in headless Chromium over the launcher's stack: each role's main job, end to
end."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from devstack.stack import Stack
from tests.browser.ui_support import TABLET, Api, check_page, shoot

pytestmark = pytest.mark.slow

STAY_BODY = {
    "legal_basis": {
        "kind": "court_order",
        "decision_ref": "2-9/2026",
        "court": "Baku Administrative Court",
        "decided_on": "2026-11-20",
        "valid_until": "2027-02-20",
    }
}


def person(family_name: str, sex: str = "male") -> dict[str, Any]:
    return {
        "given_name": "Ali",
        "family_name": family_name,
        "birth_date": "1990-04-02",
        "sex": sex,
        "nationality": "IRN",
    }


def occupied(page: Any, unit: str) -> int:
    return int(page.locator(f'tr[data-unit="{unit}"] .occupied-count').inner_text())


def fill_admission(page: Any, unit: str, family_name: str, sex: str) -> None:
    form = page.locator("#admit form")
    form.get_by_label("Unit", exact=True).select_option(unit)
    form.get_by_label("Given name").fill("Leyla")
    form.get_by_label("Family name").fill(family_name)
    form.get_by_label("Date of birth").fill("1991-03-05")
    form.get_by_label("Sex", exact=True).select_option(sex)
    form.get_by_label("Nationality (ISO alpha-3, e.g. IRN)").fill("AFG")
    form.locator("#legal_basis-kind").select_option("court_order")
    form.get_by_label("Decision reference").fill("2-55/2026")
    form.get_by_label("Court").fill("Baku Administrative Court")
    form.get_by_label("Decided on").fill("2026-11-20")
    form.get_by_label("Valid until").fill("2027-02-20")
    form.get_by_role("button", name="Admit").click()


def test_staff_admit_a_person_and_see_the_bar_change(stack: Stack, page_for: Any) -> None:
    page = page_for("staff.baku")
    assert page.url.endswith("/ui/centres/baku")
    before = occupied(page, "baku-w1")
    check_page(page, "centre-dashboard")
    fill_admission(page, "baku-w1", "Browsertest", "female")
    page.wait_for_url("**/ui/stays/**")
    expect(page.get_by_text("Admitted.")).to_be_visible()
    check_page(page, "stay")
    page.get_by_role("link", name="← baku dashboard").click()
    expect(page.locator('tr[data-unit="baku-w1"] .occupied-count')).to_have_text(str(before + 1))
    tablet = page_for("staff.baku", viewport=TABLET)
    shoot(tablet, "centre-dashboard-tablet")


def test_a_full_unit_refuses_with_the_message_on_the_form(stack: Stack, page_for: Any) -> None:
    admin = Api(stack, "admin")
    admin("PATCH", "/api/v1/detention/units/baku-m2", {"declared_places": 1})
    admin(
        "POST",
        "/api/v1/detention/stays",
        {**STAY_BODY, "unit_id": "baku-m2", "person": person("Fullunit")},
    )
    page = page_for("staff.baku")
    before = occupied(page, "baku-m2")
    fill_admission(page, "baku-m2", "Refused", "male")
    page.wait_for_url("**/ui/centres/baku/admit")
    alert = page.locator("#admit .alert[role=alert]")
    expect(alert).to_contain_text("full")
    assert "full" in page.locator("#admit .field.has-error:has(#unit_id) .error").inner_text()
    assert page.locator("#admit form").get_by_label("Family name").input_value() == "Refused"
    check_page(page, "admission-refused")
    page.goto(f"{stack.gateway_url}/ui/centres/baku")
    assert occupied(page, "baku-m2") == before


def test_staff_of_one_centre_cannot_open_another_centres_stay(stack: Stack, page_for: Any) -> None:
    stay = Api(stack, "staff.baku")(
        "POST",
        "/api/v1/detention/stays",
        {**STAY_BODY, "unit_id": "baku-m1", "person": person("Otherscentre")},
    )
    page = page_for("staff.yevlakh")
    answer = page.goto(f"{stack.gateway_url}/ui/stays/{stay['id']}")
    assert answer.status == 404
    assert "Otherscentre" not in page.content()
    check_page(page, "stay-of-another-centre")


def test_a_liaison_officer_accepts_a_request_and_sees_the_worklist_update(
    stack: Stack, page_for: Any
) -> None:
    api = Api(stack, "liaison")
    ref = f"AZ-UI-{uuid.uuid4().hex[:8]}"
    created = api(
        "POST",
        "/api/v1/readmission/requests",
        {
            "direction": "outgoing",
            "member_state": "DE",
            "person_ref": ref,
            "category": "third_country_national",
            "procedure": "normal",
            "learned_on": "2026-10-01",
            "voluntary_return_offered": True,
            "particulars": {
                "family_name": "Worklisttest",
                "given_names": "Ali",
                "birth_date": "1990-04-02",
                "sex": "male",
                "nationality": "IRN",
            },
            "evidence": [{"of": "third_country_conditions", "type": "travel_ticket"}],
        },
    )
    created_submitted = api("POST", f"/api/v1/readmission/requests/{created['id']}/submit", {})
    page = page_for("liaison")
    rows = page.locator(f'tr[data-request="{created["id"]}"]')
    reply = rows.filter(has_text="submitted")
    assert reply.count() >= 1
    check_page(page, "worklist")
    reply.first.get_by_role("link", name="open request").click()
    expect(page.get_by_test_id("request-state")).to_have_text("submitted")
    check_page(page, "request")
    page.locator('details[data-action="accept"] summary').click()
    accept = page.locator('details[data-action="accept"] form')
    accept.get_by_label("Note").fill("Proof is sufficient.")
    accept.locator('[name="replied_on"]').fill(created_submitted["received_on"])
    accept.get_by_role("button", name="Accept").click()
    expect(page.get_by_test_id("request-state")).to_have_text("accepted")
    page.get_by_role("link", name="Worklist", exact=True).click()
    assert (
        page.locator(f'tr[data-request="{created["id"]}"]').filter(has_text="submitted").count()
        == 0
    )
    page.get_by_role("link", name="Requests", exact=True).click()
    check_page(page, "requests")


def test_a_caseworker_records_consent_then_books(stack: Stack, page_for: Any) -> None:
    api = Api(stack, "caseworker")
    case = api(
        "POST",
        "/api/v1/voluntary-return/cases",
        {"person_ref": f"AZ-UI-{uuid.uuid4().hex[:8]}", "source": "ngo", "nationality": "IRN"},
    )
    steps = [
        (
            "registration",
            {
                "particulars": {
                    "given_name": "Ali",
                    "family_name": "Casetest",
                    "birth_date": "1990-04-02",
                    "sex": "male",
                    "nationality": "IRN",
                },
                "languages": ["fa"],
                "classification": "AVR",
                "destination_country": "IRN",
            },
        ),
        ("counselling-sessions", {"held_on": "2026-11-20", "counsellor": "L. Mammadova"}),
        (
            "eligibility",
            {
                "decision": "eligible",
                "reasons": ["Meets the criteria."],
                "decided_on": "2026-11-21",
            },
        ),
        ("travel-document", {"kind": "laissez_passer", "status": "issued"}),
    ]
    for segment, body in steps:
        api("POST", f"/api/v1/voluntary-return/cases/{case['id']}/{segment}", body)
    page = page_for("caseworker")
    check_page(page, "case-board")
    page.goto(f"{stack.gateway_url}/ui/cases/{case['id']}")
    assert page.get_by_test_id("case-stage").inner_text() == "travel ready"
    page.locator('details[data-action="consent"] summary').click()
    consent = page.locator('details[data-action="consent"] form')
    consent.get_by_label("Declaration signed").select_option("yes")
    consent.get_by_label("Declared on").fill("2026-11-22")
    consent.get_by_label("Language", exact=True).fill("fa")
    consent.get_by_role("button", name="Record consent").click()
    expect(page.get_by_test_id("consent")).to_contain_text("Declaration signed on Nov 22, 2026")
    page.locator('details[data-action="booking"] summary').click()
    booking = page.locator('details[data-action="booking"] form')
    booking.get_by_label("Route").fill("GYD-IKA J2 9012")
    booking.get_by_label("Departure date").fill("2026-12-20")
    booking.get_by_label("Escort", exact=True).select_option("no")
    booking.get_by_role("button", name="Book travel").click()
    expect(page.get_by_test_id("case-stage")).to_have_text("booked")
    assert "GYD-IKA J2 9012" in page.get_by_test_id("booking").inner_text()
    check_page(page, "case")
    page.goto(f"{stack.gateway_url}/ui/cases/needs-action")
    check_page(page, "needs-action")


def test_a_partner_downloads_a_csv_with_no_names(stack: Stack, page_for: Any) -> None:
    page = page_for("partner.iom")
    assert "/ui/reports" in page.url
    month = page.get_by_label("Month").input_value()
    check_page(page, "reports")
    with page.expect_download() as download:
        page.locator("section#r-monthly-occupancy, section:has(#r-monthly-occupancy)").get_by_role(
            "link", name="Download CSV"
        ).click()
    text = open(download.value.path(), encoding="utf-8").read()
    assert text.startswith("centre_id,unit_id,category")
    assert f"-{month}.csv" in download.value.suggested_filename
    for name in (
        "Browsertest",
        "Fullunit",
        "Otherscentre",
        "Worklisttest",
        "Casetest",
        "Refused",
        "Leyla",
    ):
        assert name not in text and name not in page.content()


def test_the_auditor_sees_the_trail_and_a_person_timeline(stack: Stack, page_for: Any) -> None:
    stay = Api(stack, "staff.baku")(
        "POST",
        "/api/v1/detention/stays",
        {**STAY_BODY, "unit_id": "baku-m1", "person": person("Audittest")},
    )
    page = page_for("auditor")
    assert "/ui/audit" in page.url
    page.get_by_label("User").fill("staff.baku")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/ui/audit?user=staff.baku*")
    assert page.locator("table.audit tbody tr").count() > 0
    check_page(page, "audit-trail")
    page.goto(f"{stack.gateway_url}/ui/persons/{stay['person_ref']}")
    assert page.locator("ol.timeline li").count() >= 1
    assert "Audittest" not in page.content()  # auditors read without personal particulars
    check_page(page, "person-timeline")


def test_the_sign_in_page_is_accessible(stack: Stack, chromium: Any) -> None:
    context = chromium.new_context(bypass_csp=True)  # axe is injected into the page
    page = context.new_page()
    page.goto(f"{stack.gateway_url}/ui/")
    assert "/ui/sign-in" in page.url
    check_page(page, "sign-in")
    # Keyboard only: the username field has focus, Tab reaches the password, Enter signs in.
    assert page.evaluate("document.activeElement.id") == "username"
    page.keyboard.type("auditor")
    page.keyboard.press("Tab")
    page.keyboard.type(stack.logins["auditor"])
    page.keyboard.press("Enter")
    page.wait_for_url("**/ui/audit")
    context.close()


def test_the_administrators_home_links_every_area(stack: Stack, page_for: Any) -> None:
    page = page_for("admin")
    assert page.url.endswith("/ui/")
    for area in (
        "Detention centres and occupancy",
        "Readmission deadline worklist",
        "Voluntary return cases",
        "Monthly partner reports",
        "Audit trail",
    ):
        assert page.locator("#main").get_by_role("link", name=area).is_visible()
    check_page(page, "home-admin")
