"""Every detention and AVRR step as a form over the real services: a family of three admitted
together, joining a family held here, the stay's extension, review, entry examination and status,
a referral taken through registration, and the irreversible steps asked about first."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from tests.dates import centres_today
from tests.integration.test_ui_support import UiStack, admission_form, token
from tests.integration.test_voluntary_return_support import new_ref

D, V = "/api/v1/detention", "/api/v1/voluntary-return"
BASIS = {
    "legal_basis.kind": "court_order",
    "legal_basis.decision_ref": "2-88/2026",
    "legal_basis.court": "Baku Administrative Court",
    "legal_basis.decided_on": "2026-11-20",
    "legal_basis.valid_until": "2027-02-20",
}
FAMILY = (
    ("Rauf", "1985-02-01", "male", "parent"),
    ("Nigar", "1987-06-11", "female", "spouse"),
    ("Aydan", "2015-09-30", "female", "child"),
)


@pytest.fixture(scope="module")
def stack(mongo_url: str) -> Iterator[UiStack]:
    with UiStack(mongo_url) as running:
        running.centres()
        r = running.api(
            "POST",
            f"{D}/centres/baku/units",
            body={
                "id": "baku-f1",
                "name": "Family wing",
                "category": "family",
                "declared_places": 8,
                "floor_area_m2": 120.0,
            },
        )
        assert r.status_code == 201, r.text
        yield running


def family_form(family_name: str) -> dict[str, str]:
    form = {"unit_id": "baku-f1", **BASIS}
    for i, (given, born, sex, relation) in enumerate(FAMILY):
        form.update(
            {
                f"members.{i}.person.given_name": given,
                f"members.{i}.person.family_name": family_name,
                f"members.{i}.person.birth_date": born,
                f"members.{i}.person.sex": sex,
                f"members.{i}.person.nationality": "IRN",
                f"members.{i}.relation": relation,
            }
        )
    return form


def held_in(stack: UiStack, unit: str) -> list[dict[str, Any]]:
    return stack.api("GET", f"{D}/stays?unit_id={unit}&status=open", role="admin").json()["items"]


def test_a_family_of_three_is_admitted_together_by_one_form(stack: UiStack) -> None:
    client = stack.client("staff.baku")
    page = client.get("/ui/centres/baku/family-admission")
    assert page.status_code == 200 and 'name="members.2.person.given_name"' in page.get_data(
        as_text=True
    )
    answer = client.post(
        "/ui/centres/baku/family-admission",
        data={**family_form("Quliyev"), "csrf_token": token(page)},
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
    family = [s for s in held_in(stack, "baku-f1") if s["person"]["family_name"] == "Quliyev"]
    assert len(family) == 3 and len({s["family_group"]["id"] for s in family}) == 1
    assert sorted(s["family_group"]["relation"] for s in family) == ["child", "parent", "spouse"]


def test_a_refused_family_keeps_what_was_typed_and_places_nobody(stack: UiStack) -> None:
    client = stack.client("staff.baku")
    page = client.get("/ui/centres/baku/family-admission")
    form = {**family_form("Refusedfamily"), "members.1.person.birth_date": "not a date"}
    answer = client.post(
        "/ui/centres/baku/family-admission", data={**form, "csrf_token": token(page)}
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(
        r'has-error">\s*<label for="members-1-person-birth_date"', html
    )  # at the member's field
    assert 'value="Refusedfamily"' in html and 'value="not a date"' in html
    assert not [
        s for s in held_in(stack, "baku-f1") if s["person"]["family_name"] == "Refusedfamily"
    ]


def test_a_person_joins_a_family_held_here_through_the_admission_form(stack: UiStack) -> None:
    client = stack.client("staff.baku")
    page = client.get("/ui/centres/baku")
    group = next(
        s["family_group"]["id"]
        for s in held_in(stack, "baku-f1")
        if s["person"]["family_name"] == "Quliyev"
    )
    assert f'<option value="{group}"' in page.get_data(
        as_text=True
    )  # the group is offered by its id
    form = admission_form(
        "baku-f1",
        **{
            "person.given_name": "Elvin",
            "person.family_name": "Quliyev",
            "person.birth_date": "2010-01-05",
            "family_group.choice": group,
            "family_group.relation": "child",
        },
    )
    answer = client.post("/ui/centres/baku/admit", data={**form, "csrf_token": token(page)})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
    assert (
        len([s for s in held_in(stack, "baku-f1") if s["person"]["family_name"] == "Quliyev"]) == 4
    )


def test_each_step_of_a_stay_is_a_form_and_a_refusal_lands_at_its_field(stack: UiStack) -> None:
    stay = stack.admit("baku-m1", "baku", family_name="Stepstest")
    client = stack.client("staff.baku")
    page = client.get(f"/ui/stays/{stay['id']}")
    # The centre's civil date, as the service judges "between the admission and today": in Baku
    # (UTC+4) it is already tomorrow from 20:00 UTC, when date.today() here is still today.
    today = centres_today()
    until, review = (
        (today + timedelta(days=100)).isoformat(),
        (today + timedelta(days=20)).isoformat(),
    )
    steps = {
        "extensions": {
            "decision_ref": "2-99/2027",
            "court": "Baku Administrative Court",
            "decided_on": today.isoformat(),
            "valid_until": until,
        },
        "reviews": {"next_review_on": review, "outcome": "detention still necessary"},
        "entry-examination": {
            "examined_on": today.isoformat(),
            "examined_by": "Dr. N. Aliyeva",
            "fit_for_detention": "yes",
        },
    }
    for step, data in steps.items():
        assert f'action="/ui/stays/{stay["id"]}/{step}"' in page.get_data(as_text=True)
        answer = client.post(
            f"/ui/stays/{stay['id']}/{step}", data={**data, "csrf_token": token(page)}
        )
        assert answer.status_code == 303, (
            step,
            re.findall(r"<li>.*?</li>|class=\"error\"[^<]*<", answer.get_data(as_text=True)),
        )
    record = stack.api("GET", f"{D}/stays/{stay['id']}", role="admin").json()
    assert record["legal_end"] == until and record["next_review_on"] == review
    assert record["entry_medical"]["examined_by"] == "Dr. N. Aliyeva"
    refused = client.post(
        f"/ui/stays/{stay['id']}/reviews", data={"outcome": "kept typed", "csrf_token": token(page)}
    )
    html = refused.get_data(as_text=True)
    assert (
        refused.status_code == 422
        and "Fill in this field." in html
        and 'value="kept typed"' in html
    )
    assert re.search(r'has-error">\s*<label for="reviews-next_review_on"', html)
    granted = client.post(
        f"/ui/stays/{stay['id']}/status-granted",
        data={
            "decision_ref": "SMS-2027-0042",
            "granted_on": today.isoformat(),
            "csrf_token": token(page),
        },
    )
    html = granted.get_data(
        as_text=True
    )  # a court-ordered stay has no asylum extension: said at the decision field
    assert granted.status_code == 422 and re.search(
        r'has-error">\s*<label for="status-granted-decision_ref"', html
    )


def test_a_caseworker_refers_from_detention_and_registers_by_forms(stack: UiStack) -> None:
    stay = stack.admit("yevlakh-m1", "yevlakh", family_name="Referred")
    client = stack.client("caseworker")
    page = client.get(f"/ui/cases/new?person_ref={stay['person_ref']}&source=detention_centre")
    html = page.get_data(as_text=True)
    assert (
        f'value="{stay["person_ref"]}"' in html
        and '<option value="detention_centre" selected' in html
    )
    created = client.post(
        "/ui/cases/new",
        data={
            "person_ref": stay["person_ref"],
            "source": "ngo",
            "organisation": "Caritas Baku",
            "nationality": "IRN",
            "csrf_token": token(page),
        },
    )
    assert created.status_code == 303, created.get_data(as_text=True)[:1500]
    case_url = created.headers["Location"]
    page = client.get(case_url)
    registration = {
        "particulars.given_name": "Ali",
        "particulars.family_name": "Referred",
        "particulars.birth_date": "1990-04-02",
        "particulars.sex": "male",
        "particulars.nationality": "IRN",
        "languages": "fa, az",
        "classification": "AVR",
        "documents.0.kind": "passport",
        "documents.0.number": "P1234567",
    }
    answer = client.post(
        f"{case_url}/registration", data={**registration, "csrf_token": token(page)}
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)[:1500]
    case = stack.api("GET", f"{V}/cases/{case_url.rsplit('/', 1)[1]}", role="avr_caseworker").json()
    assert case["stage"] == "registered"


def test_a_no_show_is_asked_about_first_and_then_ends_the_case(stack: UiStack) -> None:
    case = stack.api(
        "POST",
        f"{V}/cases",
        role="avr_caseworker",
        body={"person_ref": new_ref(), "source": "ngo", "organisation": "Caritas Baku"},
    ).json()
    client = stack.client("caseworker")
    page = client.get(f"/ui/cases/{case['id']}")
    asked = client.post(
        f"/ui/cases/{case['id']}/no-show",
        data={"detail": "did not come", "csrf_token": token(page)},
    )
    html = asked.get_data(as_text=True)
    assert (
        asked.status_code == 200
        and 'name="confirmed" value="yes"' in html
        and 'value="did not come"' in html
    )
    assert (
        stack.api("GET", f"{V}/cases/{case['id']}", role="avr_caseworker").json()["stage"]
        == "referred"
    )
    done = client.post(
        f"/ui/cases/{case['id']}/no-show",
        data={"detail": "did not come", "confirmed": "yes", "csrf_token": token(page)},
    )
    assert done.status_code == 303
    assert (
        stack.api("GET", f"{V}/cases/{case['id']}", role="avr_caseworker").json()["stage"]
        == "no_show"
    )


def test_an_administrator_adds_a_unit_blocks_places_and_a_refusal_keeps_the_form(
    stack: UiStack,
) -> None:
    client = stack.client("admin")
    page = client.get("/ui/admin/centres/baku")
    assert page.status_code == 200 and 'data-unit="baku-m1"' in page.get_data(as_text=True)
    unit = {
        "id": "baku-v1",
        "name": "Vulnerable wing",
        "category": "vulnerable",
        "declared_places": "6",
        "floor_area_m2": "40",
    }
    added = client.post("/ui/admin/centres/baku", data={**unit, "csrf_token": token(page)})
    assert (
        added.status_code == 303
        and stack.api("GET", f"{D}/units/baku-v1").json()["declared_places"] == 6
    )
    again = client.post(
        "/ui/admin/centres/baku", data={**unit, "name": "Typed again", "csrf_token": token(page)}
    )
    assert again.status_code == 409 and 'value="Typed again"' in again.get_data(as_text=True)
    until = (date.today() + timedelta(days=30)).isoformat()
    blocked = client.post(
        "/ui/admin/units/baku-v1/blocks",
        data={"places": "2", "reason": "repairs", "until": until, "csrf_token": token(page)},
    )
    assert blocked.status_code == 303
    assert stack.api("GET", f"{D}/units/baku-v1").json()["capacity"] == 4
    wrong = client.post(
        "/ui/admin/units/baku-v1/blocks",
        data={"places": "1", "reason": "x", "until": "soon", "csrf_token": token(page)},
    )
    assert wrong.status_code == 422 and re.search(
        r'has-error">\s*<label for="block-baku-v1-until"', wrong.get_data(as_text=True)
    )


def test_an_administrator_creates_an_account_that_can_sign_in_and_disables_it_after_confirming(
    stack: UiStack,
) -> None:
    client = stack.client("admin")
    page = client.get("/ui/admin/users")
    weak = client.post(
        "/ui/admin/users",
        data={
            "username": "staff.ganja",
            "role": "centre_staff",
            "password": "short",
            "centres": "baku",
            "csrf_token": token(page),
        },
    )
    html = weak.get_data(as_text=True)
    assert (
        weak.status_code == 422
        and 'value="staff.ganja"' in html
        and "short" not in html.split("<main")[1]
    )
    guessable = client.post(
        "/ui/admin/users",
        data={
            "username": "staff.ganja",
            "role": "centre_staff",
            "password": "staff.ganja2026",
            "centres": "baku",
            "csrf_token": token(page),
        },
    )
    html = guessable.get_data(
        as_text=True
    )  # main's password rule: the reason is said at the password field
    assert guessable.status_code == 422 and re.search(
        r'has-error">\s*<label for="new-password"[^>]*>[^<]*</label>\s*'
        r'<p class="error" id="new-password-error">[^<]*guess',
        html,
    )
    created = client.post(
        "/ui/admin/users",
        data={
            "username": "staff.ganja",
            "role": "centre_staff",
            "password": "correct horse battery staple",
            "centres": "baku",
            "csrf_token": token(page),
        },
    )
    assert created.status_code == 303
    assert stack.client("staff.ganja").get("/ui/centres", follow_redirects=True).status_code == 200
    asked = client.post(
        "/ui/admin/users/disable", data={"username": "staff.ganja", "csrf_token": token(page)}
    )
    assert asked.status_code == 200 and 'name="confirmed" value="yes"' in asked.get_data(
        as_text=True
    )
    assert stack.app.extensions["passage_gateway"].users.get("staff.ganja").disabled is False
    done = client.post(
        "/ui/admin/users/disable",
        data={"username": "staff.ganja", "confirmed": "yes", "csrf_token": token(page)},
    )
    assert (
        done.status_code == 200
        and stack.app.extensions["passage_gateway"].users.get("staff.ganja").disabled
    )
    assert stack.client("caseworker").get("/ui/admin/users").status_code == 403


def test_the_stays_list_filters_sorts_and_pages_in_the_url(stack: UiStack) -> None:
    for name in ("Zeynalov", "Abbasov"):
        stack.admit("yevlakh-m1", "yevlakh", family_name=name)
    client = stack.client("staff.yevlakh")
    page = client.get("/ui/centres/yevlakh/stays?status=open&sort=name")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.index("Abbasov") < html.index("Zeynalov")
    assert 'aria-sort="ascending"' in html and "sort=name&amp;dir=desc" in html
    down = client.get("/ui/centres/yevlakh/stays?status=open&sort=name&dir=desc").get_data(
        as_text=True
    )
    assert down.index("Zeynalov") < down.index("Abbasov")
    closed = client.get("/ui/centres/yevlakh/stays?status=closed").get_data(as_text=True)
    assert "Abbasov" not in closed and "No stays match." in closed
    odd = client.get(
        "/ui/centres/yevlakh/stays?status[$ne]=x&unit_id=%7B%22$gt%22:1%7D&sort=__class__"
    )
    assert odd.status_code == 200 and "Abbasov" in odd.get_data(
        as_text=True
    )  # unknown values dropped, not passed on


def test_centre_staff_and_liaison_officers_see_what_is_due_in_the_header(stack: UiStack) -> None:
    def due_today() -> int:
        html = stack.client("staff.baku").get("/ui/centres/baku").get_data(as_text=True)
        found = re.search(r'data-testid="due-count">Due today: (\d+) · Overdue: (\d+)<', html)
        assert found, "the header shows the count to centre staff"
        return int(found.group(1))

    before = due_today()
    # Baku's day, as the service counts it: from 20:00 UTC it is already tomorrow there, and the
    # header counted by the gateway's own (UTC) date until it took the service's word for it
    today = centres_today().isoformat()
    ends_today = stack.api(
        "POST",
        f"{D}/stays",
        role="centre_staff",
        centres=("baku",),
        body={
            "unit_id": "baku-w1",
            "legal_basis": {
                "kind": "court_order",
                "decision_ref": "2-7/2026",
                "court": "Baku court",
                "decided_on": today,
                "valid_until": today,
            },
            "person": {
                "given_name": "Gunel",
                "family_name": "Duetoday",
                "birth_date": "1990-01-01",
                "sex": "female",
            },
        },
    )
    assert ends_today.status_code == 201, ends_today.text
    assert ends_today.json()["due_on"] == today and due_today() == before + 1
    liaison = stack.client("liaison").get("/ui/worklist").get_data(as_text=True)
    assert 'data-testid="due-count"' in liaison
    assert 'data-testid="due-count"' not in stack.client("caseworker").get("/ui/cases").get_data(
        as_text=True
    )


def test_the_auditor_verifies_the_chain_and_a_tampered_record_is_named(stack: UiStack) -> None:
    client = stack.client("auditor")
    page = client.get("/ui/audit/verify")
    intact = client.post("/ui/audit/verify", data={"csrf_token": token(page)})
    assert intact.status_code == 200 and "The audit trail is intact:" in intact.get_data(
        as_text=True
    )
    audit = stack.app.extensions["passage_gateway"].mongo.collection("audit")
    first = audit.find_one({}, sort=[("_id", 1)])
    audit.update_one({"_id": first["_id"]}, {"$set": {"user": "someone-else"}})
    try:
        broken = client.post("/ui/audit/verify", data={"csrf_token": token(page)})
        assert broken.status_code == 409 and "The audit trail is broken:" in broken.get_data(
            as_text=True
        )
    finally:
        audit.update_one({"_id": first["_id"]}, {"$set": {"user": first["user"]}})
    assert stack.client("staff.baku").get("/ui/audit/verify").status_code == 403
