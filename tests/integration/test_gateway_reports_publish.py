"""Partner reports are published, not computed: only closed months, frozen at the first request
(the same bytes ever after, whatever the services record later), once even under concurrent first
requests, and corrected only by an administrator as a new, dated version. Stand-in services over
real HTTP; the gateway's own SecantusDB database; concurrent requests over a real socket."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from flask import jsonify, request

from gateway.auth.tokens import issue_access_token
from gateway.composition.report_store import COLLECTION, month_before
from gateway.testing import gateway_for_tests, settings_for_tests
from passage.identity import Identity
from passage.testing import LiveServer
from passage.web import build_app

INTERNAL = "test-internal-identity-secret-0123456789abcdef"
PATHS = {
    "detention": "/api/v1/detention/statistics/occupancy",
    "readmission": "/api/v1/readmission/statistics",
    "voluntary-return": "/api/v1/voluntary-return/statistics",
}
THIS_MONTH = datetime.now(UTC).strftime("%Y-%m")
CLOSED = month_before(THIS_MONTH)
PARTNER, ADMIN = Identity("partner.iom", "partner", organisation="IOM"), Identity("admin", "admin")


def unit(admitted: int, nationalities: dict) -> dict:
    """A women's wing; 'admitted' Eritreans aged 18-34 among others."""
    return {
        "centre_id": "yevlakh",
        "unit_id": "yevlakh-w1",
        "category": "women",
        "capacity": 40,
        "occupied_end_of_month": 20 + admitted,
        "average_occupied": 20.0,
        "admissions": admitted,
        "releases": 0,
        "transfers_in": 0,
        "transfers_out": 0,
        "by_sex": {"female": admitted},
        "by_age_band": {"18-34": admitted},
        "by_nationality": nationalities,
    }


class Figures:
    """What the stand-in services answer; a test records 'new events' by changing them."""

    def __init__(self) -> None:
        self.rows = {
            "detention": [
                unit(20, {"ERI": 12, "IRN": 8}),
                {
                    **unit(30, {"AFG": 30}),
                    "unit_id": "baku-m1",
                    "centre_id": "baku",
                    "category": "men",
                },
            ],
            "readmission": [],
            "voluntary-return": [],
        }
        self.calls = 0
        self.lock = threading.Lock()


def _service(name: str, figures: Figures) -> LiveServer:
    app, _ = build_app(f"stub_reports_{name.replace('-', '_')}", title=name)

    def statistics():
        with figures.lock:
            figures.calls += 1
        return jsonify(month=request.args["month"], rows=figures.rows[name])

    app.add_url_rule(PATHS[name], "stats", statistics)
    return LiveServer(app)


@pytest.fixture
def published(settings_for) -> Iterator[tuple]:
    figures = Figures()
    servers = {name: _service(name, figures) for name in PATHS}
    for server in servers.values():
        server.__enter__()
    try:
        urls = {name: server.url for name, server in servers.items()}
        app, deps = gateway_for_tests(
            settings_for_tests(settings_for("gateway"), urls, internal_token_secret=INTERNAL)
        )

        def bearer(identity: Identity) -> dict:
            token = issue_access_token(identity, deps.keys, ttl_seconds=600)
            return {"Authorization": f"Bearer {token}"}

        yield app, deps, figures, bearer
        deps.mongo.close()
    finally:
        for server in servers.values():
            server.__exit__(None, None, None)


def test_the_current_and_a_future_month_are_refused_and_nothing_is_stored(published):
    app, deps, figures, bearer = published
    client = app.test_client()
    for month in (THIS_MONTH, month_before(THIS_MONTH, 1), "2099-01"):
        for path in (
            f"/api/v1/reports/monthly?month={month}",
            f"/api/v1/reports/monthly-occupancy?month={month}",
        ):
            answer = client.get(path, headers=bearer(PARTNER))
            assert answer.status_code == 409, answer.get_data(as_text=True)
            assert (
                answer.mimetype == "application/problem+json"
                and "not over yet" in answer.json["detail"]
            )
    assert figures.calls == 0 and deps.mongo.collection(COLLECTION).count_documents({}) == 0


def test_a_closed_month_is_served_identically_after_new_events(published):
    app, deps, figures, bearer = published
    client = app.test_client()
    first = client.get(f"/api/v1/reports/monthly-occupancy?month={CLOSED}", headers=bearer(PARTNER))
    assert first.status_code == 200, first.json
    figures.rows["detention"][0] = unit(
        21, {"ERI": 13, "IRN": 8}
    )  # "one Eritrean woman aged 18-34 admitted"
    again = client.get(f"/api/v1/reports/monthly-occupancy?month={CLOSED}", headers=bearer(PARTNER))
    assert again.get_data() == first.get_data()
    assert first.json["version"] == 1 and first.json["rows"][1]["admissions"] == 20
    csv_one = client.get(
        f"/api/v1/reports/monthly-occupancy?month={CLOSED}&format=csv", headers=bearer(PARTNER)
    )
    csv_two = client.get(
        f"/api/v1/reports/monthly-occupancy?month={CLOSED}&format=csv", headers=bearer(PARTNER)
    )
    assert csv_one.get_data() == csv_two.get_data() and b"yevlakh-w1" in csv_one.get_data()
    combined = client.get(f"/api/v1/reports/monthly?month={CLOSED}", headers=bearer(PARTNER))
    assert (
        combined.get_data()
        == client.get(f"/api/v1/reports/monthly?month={CLOSED}", headers=bearer(PARTNER)).get_data()
    )
    assert combined.json["reports"]["monthly-occupancy"] == first.json
    assert figures.calls == 3  # each service asked once, at the first publication


def test_concurrent_first_requests_publish_once(published):
    app, deps, figures, bearer = published
    # One partner each: the rate limiter's first-hit upsert races on SecantusDB under one user
    # (find_one_and_update returns None; reported), which is not what this test is about.
    headers = [bearer(Identity(f"partner.{i}", "partner", organisation="IOM")) for i in range(6)]
    with LiveServer(app) as gateway:
        barrier = threading.Barrier(6)
        answers: list = [None] * 6

        def ask(i: int) -> None:
            barrier.wait()
            answers[i] = requests.get(
                f"{gateway.url}/api/v1/reports/monthly?month={CLOSED}",
                headers=headers[i],
                timeout=60,
            )

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
    assert len({a.content for a in answers}) == 1
    assert deps.mongo.collection(COLLECTION).count_documents({"month": CLOSED}) == 1


def test_a_correction_is_a_new_dated_version_made_by_an_administrator(published):
    app, deps, figures, bearer = published
    client = app.test_client()
    original = client.get(
        f"/api/v1/reports/monthly-occupancy?month={CLOSED}", headers=bearer(PARTNER)
    )
    body = {"month": CLOSED, "reason": "late entry of an admission"}
    assert (
        client.post("/api/v1/reports/corrections", json=body, headers=bearer(PARTNER)).status_code
        == 403
    )
    figures.rows["detention"][0] = unit(21, {"ERI": 13, "IRN": 8})
    corrected = client.post("/api/v1/reports/corrections", json=body, headers=bearer(ADMIN))
    assert corrected.status_code == 201, corrected.json
    occupancy = corrected.json["reports"]["monthly-occupancy"]
    assert (
        occupancy["version"] == 2
        and occupancy["corrects_version"] == 1
        and occupancy["published_at"]
    )
    moved = occupancy["rows"][1]
    assert (
        moved["admissions"] == "suppressed" and moved["by_nationality.ERI"] == "suppressed"
    )  # 20 -> 21 not shown
    latest = client.get(
        f"/api/v1/reports/monthly-occupancy?month={CLOSED}", headers=bearer(PARTNER)
    )
    assert latest.json == occupancy
    old = client.get(
        f"/api/v1/reports/monthly-occupancy?month={CLOSED}&version=1", headers=bearer(PARTNER)
    )
    assert old.get_data() == original.get_data()
    assert (
        client.post(
            "/api/v1/reports/corrections",
            json={"month": THIS_MONTH, "reason": "too early"},
            headers=bearer(ADMIN),
        ).status_code
        == 409
    )
    assert (
        client.post(
            "/api/v1/reports/corrections",
            json={"month": CLOSED, "reason": "x", "$where": 1},
            headers=bearer(ADMIN),
        ).status_code
        == 422
    )
    assert deps.mongo.collection(COLLECTION).count_documents({"month": CLOSED}) == 2
