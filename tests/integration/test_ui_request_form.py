"""A liaison officer opens a readmission request through the common application form (Annex 5
particulars) and moves a limit with the obstacle extension forms, over the real services."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from tests.integration.test_ui_support import UiStack, token
from tests.integration.test_voluntary_return_support import new_ref

R = "/api/v1/readmission"


@pytest.fixture(scope="module")
def stack(mongo_url: str) -> Iterator[UiStack]:
    with UiStack(mongo_url) as running:
        yield running


def request_form(person_ref: str, **overrides: str) -> dict[str, str]:
    form = {
        "direction": "outgoing",
        "member_state": "DE",
        "person_ref": person_ref,
        "category": "third_country_national",
        "procedure": "normal",
        "learned_on": "2026-10-01",
        "voluntary_return_offered": "yes",
        "particulars.family_name": "Karimov",
        "particulars.given_names": "Elvin",
        "particulars.birth_date": "1990-04-02",
        "particulars.sex": "male",
        "particulars.nationality": "IRN",
        "particulars.languages": "fa, az",
        "particulars.father_name": "Rasul Karimov",
        "particulars.mother_name": "Leyla Karimova",
        "particulars.civil_status": "married",
        "particulars.spouse.family_name": "Karimova",
        "particulars.spouse.given_names": "Sevda",
        "particulars.special_care_needs": "needs insulin on the journey",
        "particulars.interview_wanted": "no",
        "particulars.escorts.0.name": "Lt. A. Mammadov",
        "particulars.escorts.0.rank": "lieutenant",
    }
    return {**form, **overrides}


def test_a_request_is_opened_with_the_annex_5_particulars_and_read_back(stack: UiStack) -> None:
    client = stack.client("liaison")
    page = client.get("/ui/requests/new")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Common application form (Annex 5)" in html
    assert (
        'name="particulars.escorts.0.name"' in html
        and 'name="particulars.dangerousness_statement"' in html
    )
    ref = new_ref()
    answer = client.post("/ui/requests/new", data={**request_form(ref), "csrf_token": token(page)})
    assert answer.status_code == 303, re.findall(
        r'class="error"[^<]*<|<li>.*?</li>', answer.get_data(as_text=True)
    )
    request_id = answer.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    stored = stack.api(
        "GET", f"{R}/requests/{request_id}", role="liaison_officer", all_scopes=True
    ).json()
    particulars = stored["particulars"]
    assert (
        stored["person_ref"] == ref
        and stored["state"] == "draft"
        and stored["voluntary_return_offered"] is True
    )
    assert (
        particulars["father_name"] == "Rasul Karimov" and particulars["civil_status"] == "married"
    )
    assert particulars["spouse"] == {"family_name": "Karimova", "given_names": "Sevda"}
    assert particulars["escorts"] == [{"name": "Lt. A. Mammadov", "rank": "lieutenant"}]
    assert particulars["interview_wanted"] is False and particulars["languages"] == ["fa", "az"]
    shown = client.get(f"/ui/requests/{request_id}").get_data(as_text=True)
    assert (
        'data-action="submission-extensions"' in shown
        and 'data-action="transfer-extensions"' in shown
    )


def test_a_refused_request_keeps_what_was_typed_and_names_the_field(stack: UiStack) -> None:
    client = stack.client("liaison")
    page = client.get("/ui/requests/new")
    ref = new_ref()
    answer = client.post(
        "/ui/requests/new",
        data={**request_form(ref, **{"particulars.family_name": ""}), "csrf_token": token(page)},
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'value="Rasul Karimov"' in html
    assert re.search(r'has-error">\s*<label for="particulars-family_name"', html)
    listed = stack.api("GET", f"{R}/requests", role="liaison_officer", all_scopes=True).json()[
        "items"
    ]
    assert not [r for r in listed if r.get("person_ref") == ref]  # nothing stored


def test_the_form_reads_in_azerbaijani_and_russian_and_only_liaison_officers_open_it(
    stack: UiStack,
) -> None:
    az = stack.client("liaison", lang="az").get("/ui/requests/new").get_data(as_text=True)
    ru = stack.client("liaison", lang="ru").get("/ui/requests/new").get_data(as_text=True)
    assert "Ümumi müraciət forması (Əlavə 5)" in az and "Общая форма запроса (Приложение 5)" in ru
    assert stack.client("auditor").get("/ui/requests/new").status_code == 403


def test_an_obstacle_moves_the_submission_limit_through_its_form(stack: UiStack) -> None:
    client = stack.client("liaison")
    page = client.get("/ui/requests/new")
    opened = client.post(
        "/ui/requests/new", data={**request_form(new_ref()), "csrf_token": token(page)}
    )
    request_id = opened.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    before = stack.api(
        "GET", f"{R}/requests/{request_id}", role="liaison_officer", all_scopes=True
    ).json()
    submit = next(d for d in before["deadlines"] if d["kind"] == "submit" and d["status"] == "open")
    later = (date.fromisoformat(submit["due_on"]) + timedelta(days=30)).isoformat()
    answer = client.post(
        f"/ui/requests/{request_id}/submission-extensions",
        data={
            "due_on": later,
            "reason": "in hospital until further notice",
            "csrf_token": token(page),
        },
    )
    assert answer.status_code == 303, re.findall(
        r'class="error"[^<]*<|<li>.*?</li>', answer.get_data(as_text=True)
    )
    after = stack.api(
        "GET", f"{R}/requests/{request_id}", role="liaison_officer", all_scopes=True
    ).json()
    assert [
        d["due_on"] for d in after["deadlines"] if d["kind"] == "submit" and d["status"] == "open"
    ] == [later]
    refused = client.post(
        f"/ui/requests/{request_id}/transfer-extensions",
        data={"due_on": later, "reason": "no transfer yet", "csrf_token": token(page)},
    )
    assert refused.status_code in (
        409,
        422,
    )  # no transfer limit is open on a draft: said at its own form
    assert '<details open class="action" data-action="transfer-extensions">' in refused.get_data(
        as_text=True
    )
