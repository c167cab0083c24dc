"""The staff web UI over the real services: sign-in and out, sessions, CSRF, scopes, messages,
reports."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC

import pytest

from tests.integration.test_ui_support import PASSWORD, UiStack, admission_form, token

D = "/api/v1/detention"


@pytest.fixture(scope="module")
def stack(mongo_url: str) -> Iterator[UiStack]:
    with UiStack(mongo_url) as ui:
        ui.centres()
        yield ui


def _occupancy(stack: UiStack, unit: str) -> int:
    return stack.api("GET", f"{D}/units/{unit}").json()["occupancy"]


def test_sign_in_sets_a_strict_session_cookie_and_sign_out_ends_it(stack: UiStack) -> None:
    client = stack.client()
    assert client.get("/ui/centres").status_code == 302  # not signed in: to the sign-in page
    page = client.get("/ui/sign-in")
    assert 'for="username"' in page.get_data(as_text=True) and 'for="password"' in page.get_data(
        as_text=True
    )
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    wrong = client.post(
        "/ui/sign-in",
        data={"username": "staff.baku", "password": "nope", "csrf_token": token(page)},
    )
    assert wrong.status_code == 401 and "not correct" in wrong.get_data(as_text=True)
    page = client.get("/ui/sign-in")
    signed = client.post(
        "/ui/sign-in",
        data={"username": "staff.baku", "password": PASSWORD, "csrf_token": token(page)},
    )
    assert signed.status_code == 303
    cookie = next(
        h for h in signed.headers.getlist("Set-Cookie") if h.startswith("passage_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert len(cookie.split(";")[0].split("=", 1)[1]) >= 40  # an opaque random id, nothing else
    dashboard = client.get("/ui/centres", follow_redirects=True)
    assert dashboard.status_code == 200 and "Baku centre" in dashboard.get_data(as_text=True)
    out = client.post("/ui/sign-out", data={"csrf_token": token(dashboard)})
    assert out.status_code == 303
    assert (
        client.get("/ui/centres/baku").status_code == 302
    )  # the session is gone on the server as well
    stored = stack.deps.mongo.collection("ui_sessions").count_documents({"username": "staff.baku"})
    assert stored == 0


@pytest.mark.parametrize(
    "mode",
    [{"production": True}, {"development": False}],
    ids=["production", "not-explicitly-development"],
)
def test_the_session_cookie_is_secure_in_production(mongo_url: str, mode: dict) -> None:
    """Issue 12: Secure depended on one variable; now it is on unless development is asked for."""
    with UiStack(mongo_url, **mode) as prod:
        client = prod.client()
        page = client.get("/ui/sign-in")
        assert "Secure" in page.headers["Set-Cookie"]
        signed = client.post(
            "/ui/sign-in",
            data={"username": "auditor", "password": PASSWORD, "csrf_token": token(page)},
        )
        cookie = next(
            h for h in signed.headers.getlist("Set-Cookie") if h.startswith("passage_session=")
        )
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_password_typed_as_username_is_refused_and_recorded_nowhere(stack: UiStack) -> None:
    """Issue 12: the UI did not check the username format, so a password landed in the audit
    trail."""
    client = stack.client()
    secret = "Hunter2-Winter!2026"
    page = client.get("/ui/sign-in")
    answer = client.post(
        "/ui/sign-in", data={"username": secret, "password": PASSWORD, "csrf_token": token(page)}
    )
    assert answer.status_code == 422 and "lower-case letter" in answer.get_data(as_text=True)
    assert secret not in answer.get_data(as_text=True)  # not echoed back into the form either
    assert 'pattern="[a-z][a-z0-9._\\-]{2,63}"' in page.get_data(as_text=True)
    db = stack.deps.mongo
    stored = [
        str(d)
        for name in ("audit", "login_throttles", "rate_limits")
        for d in db.collection(name).find()
    ]
    assert not any(secret in d or secret.lower() in d for d in stored)


def test_sign_in_without_the_form_token_is_refused(stack: UiStack) -> None:
    client = stack.client()
    answer = client.post("/ui/sign-in", data={"username": "staff.baku", "password": PASSWORD})
    assert answer.status_code == 400
    assert not any(h.startswith("passage_session=") for h in answer.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("sent", [None, "forged-token-value"])
def test_a_post_without_the_right_csrf_token_changes_nothing(
    stack: UiStack, sent: str | None
) -> None:
    client = stack.client("staff.baku")
    before = _occupancy(stack, "baku-w1")
    form = admission_form("baku-w1", **{"person.sex": "female"})
    if sent:
        form["csrf_token"] = sent
    answer = client.post("/ui/centres/baku/admit", data=form)
    assert answer.status_code == 400 and "security token" in answer.get_data(as_text=True)
    assert _occupancy(stack, "baku-w1") == before


def test_an_admission_through_the_form_changes_the_bar(stack: UiStack) -> None:
    client = stack.client("staff.baku")
    page = client.get("/ui/centres/baku")
    before = _occupancy(stack, "baku-w1")
    form = admission_form("baku-w1", **{"person.sex": "female", "person.family_name": "Hosseini"})
    answer = client.post("/ui/centres/baku/admit", data={**form, "csrf_token": token(page)})
    assert answer.status_code == 303 and "/ui/stays/" in answer.headers["Location"]
    assert _occupancy(stack, "baku-w1") == before + 1
    stay = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Hosseini" in stay and "admitted" in stay
    html = client.get("/ui/centres/baku").get_data(as_text=True)
    row = re.search(r'<tr data-unit="baku-w1">.*?</tr>', html, re.S).group(0)
    assert f'<span class="occupied-count">{before + 1}</span>' in row


def test_problems_are_shown_next_to_their_fields(stack: UiStack) -> None:
    client = stack.client("staff.baku")
    page = client.get("/ui/centres/baku")
    form = admission_form(
        "baku-w1",
        **{"person.family_name": "", "person.sex": "female", "person.birth_date": "02/04/1990"},
    )
    answer = client.post("/ui/centres/baku/admit", data={**form, "csrf_token": token(page)})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    family = re.search(
        r'<div class="field has-error">\s*<label for="person-family_name"[^>]*>.*?</div>',
        html,
        re.S,
    )
    assert family and 'class="error"' in family.group(0)
    birth = re.search(
        r'<div class="field has-error">\s*<label for="person-birth_date"[^>]*>.*?</div>', html, re.S
    )
    assert birth and 'aria-invalid="true"' in birth.group(0)
    assert 'value="Ali"' in html  # what was typed is kept


def test_a_full_unit_refuses_with_the_message_on_the_form(stack: UiStack) -> None:
    while _occupancy(stack, "baku-m1") < 2:
        stack.admit("baku-m1", "baku")
    client = stack.client("staff.baku")
    page = client.get("/ui/centres/baku")
    answer = client.post(
        "/ui/centres/baku/admit", data={**admission_form("baku-m1"), "csrf_token": token(page)}
    )
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    alert = re.search(r'<div class="alert" role="alert">.*?</div>', html, re.S).group(0)
    assert "full" in alert.lower()
    assert _occupancy(stack, "baku-m1") == 2


def test_staff_of_one_centre_cannot_open_another_centres_stay(stack: UiStack) -> None:
    baku_stay = stack.api("GET", f"{D}/stays?centre_id=baku&status=open").json()["items"][0]
    client = stack.client("staff.yevlakh")
    answer = client.get(f"/ui/stays/{baku_stay['id']}")
    assert answer.status_code == 404
    assert baku_stay["person"]["family_name"] not in answer.get_data(as_text=True)
    assert client.get("/ui/centres/baku").status_code == 403
    transfer = client.post(
        f"/ui/stays/{baku_stay['id']}/transfer",
        data={"unit_id": "yevlakh-m1", "csrf_token": token(client.get("/ui/centres/yevlakh"))},
    )
    assert transfer.status_code == 404
    assert (
        stack.api("GET", f"{D}/stays/{baku_stay['id']}").json()["unit_id"] == baku_stay["unit_id"]
    )


def test_partner_pages_show_no_names(stack: UiStack) -> None:
    stack.admit("yevlakh-m1", "yevlakh", family_name="Zzyzxname")
    client = stack.client("partner.iom")
    home = client.get("/ui/", follow_redirects=True)
    html = home.get_data(as_text=True)
    assert home.status_code == 200 and "Monthly reports" in html
    for name in ("Zzyzxname", "Hosseini", "Rezaei", "Ali"):
        assert name not in html
    month = re.search(r'name="month" type="month" value="([^"]+)"', html).group(1)
    csv = client.get(f"/ui/reports/monthly-occupancy.csv?month={month}")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert "Zzyzxname" not in csv.get_data(as_text=True) and "person_ref" not in csv.get_data(
        as_text=True
    )
    assert client.get("/ui/centres/baku").status_code == 403
    assert client.get("/ui/audit").status_code == 403


def test_reports_page_shows_a_published_month_and_refuses_the_current_one(stack: UiStack) -> None:
    from datetime import datetime

    client = stack.client("partner.iom")
    this_month = datetime.now(UTC).strftime("%Y-%m")
    refused = client.get(f"/ui/reports?month={this_month}").get_data(as_text=True)
    assert "not over yet" in refused and "Download CSV" not in refused
    page = client.get("/ui/reports")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "(version 1)" in html and "Download CSV" in html
    assert client.get("/ui/reports").get_data(as_text=True) == html  # frozen: the same publication


def test_a_disabled_account_loses_its_session_at_once(stack: UiStack) -> None:
    from gateway.testing import add_user

    add_user(stack.deps, "staff.leaving", "centre_staff", PASSWORD, centres=["baku"])
    client = stack.client("staff.leaving")
    assert client.get("/ui/centres/baku").status_code == 200
    stack.deps.users.disable("staff.leaving")
    assert client.get("/ui/centres/baku").status_code == 302
    assert client.post("/ui/sign-out").status_code == 303  # signing out again is harmless


def _held_in_baku_w1(stack: UiStack, family_name: str) -> dict:
    """A woman admitted to baku-w1 for the calling test (no test relies on another's admissions)."""
    body = {
        "unit_id": "baku-w1",
        "legal_basis": {
            "kind": "court_order",
            "decision_ref": "2-6/2026",
            "court": "Baku court",
            "decided_on": "2026-11-20",
            "valid_until": "2027-02-20",
        },
        "person": {
            "given_name": "Leyla",
            "family_name": family_name,
            "birth_date": "1990-03-03",
            "sex": "female",
        },
    }
    answer = stack.api("POST", f"{D}/stays", role="centre_staff", centres=("baku",), body=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_the_auditor_filters_the_trail_and_the_timeline_links_records(stack: UiStack) -> None:
    stay = _held_in_baku_w1(stack, "Audittrail")
    staff = stack.client("staff.baku")
    while _occupancy(stack, "baku-m1") < 2:  # a refused admission of its own, not another test's
        stack.admit("baku-m1", "baku")
    form = {**admission_form("baku-m1"), "csrf_token": token(staff.get("/ui/centres/baku"))}
    assert staff.post("/ui/centres/baku/admit", data=form).status_code == 409
    timeline = staff.get(f"/ui/persons/{stay['person_ref']}")
    assert timeline.status_code == 200 and f"/ui/stays/{stay['id']}" in timeline.get_data(
        as_text=True
    )
    auditor = stack.client("auditor")
    trail = auditor.get("/ui/audit?user=staff.baku")
    html = trail.get_data(as_text=True)
    assert trail.status_code == 200 and "/api/v1/persons/{person_ref}/timeline" in html
    assert "staff.yevlakh" not in html
    records = stack.deps.guard.trail.search(user="staff.baku", limit=500)
    assert any(
        r["action"] == "change" and r["outcome"] == 409 for r in records
    )  # the refused admission
    assert all(r["method"] == "GET" for r in records if r["action"] == "read")
    refused = auditor.get("/ui/audit?outcome=abc").get_data(as_text=True)
    assert 'id="f-outcome-error"' in refused


def test_sessions_end_after_idle_time_and_at_their_absolute_end(stack: UiStack) -> None:
    from datetime import datetime, timedelta

    from gateway.ui.store import UiSessions

    sessions = UiSessions(stack.deps.mongo, idle_seconds=60, max_seconds=150)
    start = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    token, _ = sessions.create("staff.baku", start)
    assert sessions.get(token, start + timedelta(seconds=50)) is not None  # renews the idle expiry
    assert sessions.get(token, start + timedelta(seconds=100)) is not None
    assert (
        sessions.get(token, start + timedelta(seconds=155)) is None
    )  # absolute end, however active
    idle, _ = sessions.create("staff.baku", start)
    assert sessions.get(idle, start + timedelta(seconds=61)) is None
    assert sessions.get("", start) is None and sessions.get("x" * 500, start) is None


def test_transfer_and_release_forms_act_on_the_stay_or_say_why_not(stack: UiStack) -> None:
    held = stack.api(
        "POST",
        f"{D}/stays",
        role="centre_staff",
        centres=("baku",),
        body={
            "unit_id": "baku-w1",
            "legal_basis": {
                "kind": "court_order",
                "decision_ref": "2-5/2026",
                "court": "Baku court",
                "decided_on": "2026-11-20",
                "valid_until": "2027-02-20",
            },
            "person": {
                "given_name": "Sara",
                "family_name": "Movingtest",
                "birth_date": "1992-01-01",
                "sex": "female",
            },
        },
    )
    assert held.status_code == 201, held.text
    stay = held.json()
    client = stack.client("staff.baku")
    page = client.get(f"/ui/stays/{stay['id']}")
    assert page.status_code == 200 and "Movingtest" in page.get_data(as_text=True)
    refused = client.post(
        f"/ui/stays/{stay['id']}/transfer", data={"unit_id": "baku-m1", "csrf_token": token(page)}
    )
    assert refused.status_code in (409, 422)
    html = refused.get_data(as_text=True)
    assert (
        re.search(r'<div class="alert" role="alert">', html)
        and stack.api("GET", f"{D}/stays/{stay['id']}").json()["unit_id"] == "baku-w1"
    )
    before = _occupancy(stack, "baku-w1")
    asked = client.post(
        f"/ui/stays/{stay['id']}/release",
        data={"reason": "released_by_court", "csrf_token": token(page)},
    )
    assert asked.status_code == 200 and "are you sure?" in asked.get_data(
        as_text=True
    )  # release asks first
    assert 'name="reason" value="released_by_court"' in asked.get_data(as_text=True)
    assert stack.api("GET", f"{D}/stays/{stay['id']}").json()["status"] == "open"
    released = client.post(
        f"/ui/stays/{stay['id']}/release",
        data={"reason": "released_by_court", "confirmed": "yes", "csrf_token": token(page)},
    )
    assert released.status_code == 303
    assert stack.api("GET", f"{D}/stays/{stay['id']}").json()["status"] == "closed"
    assert _occupancy(stack, "baku-w1") == before - 1
    after = client.get(f"/ui/stays/{stay['id']}").get_data(as_text=True)
    assert (
        "released" in after and 'action="/ui/stays/' not in after
    )  # no move forms on a closed stay
