"""The person timeline and the partner reports, composed from stand-in services over real HTTP."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from flask import jsonify, request

from gateway.auth.tokens import issue_access_token
from gateway.testing import gateway_for_tests, settings_for_tests
from passage.identity import Identity, verify_identity
from passage.testing import LiveServer
from passage.web import build_app

INTERNAL = "test-internal-identity-secret-0123456789abcdef"
PERSON = "AZ-2026-000001"


def _service(name: str, seen: list) -> LiveServer:
    """A stand-in service answering its list and statistics endpoints, recording who asked."""
    app, _ = build_app(f"stub_{name}", title=name)
    lists = {"detention": "stays", "readmission": "requests", "voluntary-return": "cases"}
    items = {
        "detention": [
            {
                "id": "s1",
                "person_ref": PERSON,
                "status": "closed",
                "history": [
                    {"at": "2026-01-05T10:00:00+00:00", "state": "admitted", "by": "staff.baku"},
                    {"at": "2026-03-01T09:00:00Z", "state": "released", "by": "staff.baku"},
                ],
            }
        ],
        "readmission": [
            {
                "id": "r1",
                "person_ref": PERSON,
                "status": "accepted",
                "history": [{"at": "2026-02-01T08:00:00Z", "state": "submitted", "by": "liaison"}],
            }
        ],
        "voluntary-return": [
            {
                "id": "c1",
                "person_ref": PERSON,
                "stage": "referred",
                "history": [
                    {"at": "2026-02-15T12:00:00Z", "stage": "referred", "by": "caseworker"}
                ],
            }
        ],
    }
    stats = {
        "detention": [
            {
                "centre_id": "baku",
                "unit_id": "baku-m1",
                "category": "men",
                "capacity": 40,
                "occupied_end_of_month": 31,
                "average_occupied": 29.4,
                "admissions": 12,
                "releases": 3,
                "by_sex": {"male": 12},
                "by_age_band": {"18-34": 9, "35-64": 3},
                "by_nationality": {"IRN": 10, "AFG": 2},
                "person_ref": PERSON,
            }
        ],
        "readmission": [
            {
                "member_state": "DE",
                "requests_incoming": 7,
                "requests_outgoing": 0,
                "by_category": {"own_national": 7},
                "accepted": 4,
                "deemed_accepted": 1,
                "rejected": 2,
                "rejected_by_reason": {"evidence": 2},
                "transferred": 3,
                "median_days_to_reply": 11,
                "answered_within_limit_share": 0.71,
            }
        ],
        "voluntary-return": [
            {
                "nationality": "IRN",
                "destination_country": "IRN",
                "referrals": 9,
                "departures": 6,
                "withdrawals": 1,
                "by_referral_source": {"detention_centre": 8, "ngo": 1},
                "by_stage": {"departed": 6},
                "vulnerability": {},
                "median_days_referral_to_departure": 40,
                "monitoring_completed": 0,
                "mean_sustainability_score": None,
            }
        ],
    }
    prefix = f"/api/v1/{name}"

    def listing():
        seen.append(
            (
                name,
                verify_identity(request.headers.get("X-Passage-Identity"), INTERNAL),
                dict(request.args),
            )
        )
        return jsonify(items=items[name], next_cursor=None)

    def statistics():
        seen.append(
            (
                name,
                verify_identity(request.headers.get("X-Passage-Identity"), INTERNAL),
                dict(request.args),
            )
        )
        return jsonify(month=request.args["month"], rows=stats[name])

    app.add_url_rule(f"{prefix}/{lists[name]}", "list", listing)
    app.add_url_rule(
        f"{prefix}/statistics/occupancy" if name == "detention" else f"{prefix}/statistics",
        "stats",
        statistics,
    )
    return LiveServer(app)


@pytest.fixture
def gateway(settings_for) -> Iterator[tuple]:
    seen: list = []
    servers = {
        name: _service(name, seen) for name in ("detention", "readmission", "voluntary-return")
    }
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

        yield app.test_client(), bearer, seen, deps, settings_for
        deps.mongo.close()
    finally:
        for server in servers.values():
            server.__exit__(None, None, None)


ADMIN = Identity("admin", "admin")


def test_timeline_merges_the_three_services_chronologically_with_the_callers_identity(gateway):
    client, bearer, seen, deps, _ = gateway
    r = client.get(f"/api/v1/persons/{PERSON}/timeline", headers=bearer(ADMIN))
    assert r.status_code == 200, r.json
    body = r.json
    assert body["partial"] is False and body["failed_services"] == []
    assert [(i["service"], i["what"]) for i in body["items"]] == [
        ("detention", "admitted"),
        ("readmission", "submitted"),
        ("voluntary-return", "referred"),
        ("detention", "released"),
    ]
    assert {s for s, _, _ in seen} == {"detention", "readmission", "voluntary-return"}
    assert all(
        identity.user_id == "admin" and args["person_ref"] == PERSON for _, identity, args in seen
    )
    records = deps.guard.trail.search(resource="/api/v1/persons/{person_ref}/timeline")
    assert records and records[0]["ids"] == {"person_ref": PERSON} and records[0]["outcome"] == 200


def test_timeline_asks_only_the_services_the_role_may_read(gateway):
    client, bearer, seen, _, _ = gateway
    staff = Identity("staff.baku", "centre_staff", centres=("baku",))
    body = client.get(f"/api/v1/persons/{PERSON}/timeline", headers=bearer(staff)).json
    assert {i["service"] for i in body["items"]} == {"detention"}
    assert body["not_included"] == ["readmission", "voluntary-return"] and body["partial"] is False
    assert {s for s, _, _ in seen} == {"detention"}
    partner = client.get(
        f"/api/v1/persons/{PERSON}/timeline",
        headers=bearer(Identity("p", "partner", organisation="IOM")),
    )
    assert partner.status_code == 403 and PERSON not in partner.get_data(as_text=True).replace(
        f"/persons/{PERSON}/", ""
    )


def test_timeline_with_one_service_down_is_partial_not_failed(settings_for, service_down):
    seen: list = []
    with _service("detention", seen) as detention, _service("readmission", seen) as readmission:
        urls = {
            "detention": detention.url,
            "readmission": readmission.url,
            "voluntary-return": service_down,
        }
        app, deps = gateway_for_tests(
            settings_for_tests(settings_for("gateway"), urls, internal_token_secret=INTERNAL)
        )
        token = issue_access_token(ADMIN, deps.keys, ttl_seconds=600)
        r = app.test_client().get(
            f"/api/v1/persons/{PERSON}/timeline", headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 200
        assert r.json["partial"] is True and r.json["failed_services"] == ["voluntary-return"]
        assert {i["service"] for i in r.json["items"]} == {"detention", "readmission"}
        deps.mongo.close()


def test_reports_use_the_system_identity_and_suppress_small_cells(gateway):
    client, bearer, seen, _, _ = gateway
    partner = bearer(Identity("partner.iom", "partner", organisation="IOM"))
    r = client.get("/api/v1/reports/readmission?month=2026-10", headers=partner)
    assert r.status_code == 200, r.json
    row = r.json["rows"][0]
    assert row["requests_incoming"] == 7 and row["accepted"] == "<5" and row["rejected"] == "<5"
    assert row["median_days_to_reply"] == "suppressed"  # over 7 replies: fewer than the rule's 10
    assert (
        row["answered_within_limit_share"] == "suppressed"
    )  # 0.71 of 7 would publish a count of 5 and 2
    assert seen[-1][1].role == "system" and seen[-1][2] == {"month": "2026-10"}
    occupancy = client.get("/api/v1/reports/monthly-occupancy?month=2026-10", headers=partner).json
    assert PERSON not in str(occupancy) and "person_ref" not in str(occupancy)
    assert occupancy["rows"][0]["by_nationality.AFG"] == "<5"
    assert (
        occupancy["rows"][0]["by_nationality.IRN"] == "suppressed"
    )  # else 12 - 10 gives the 2 away


def test_reports_as_csv_and_combined(gateway):
    client, bearer, _, _, _ = gateway
    auditor = bearer(Identity("auditor", "auditor"))
    r = client.get("/api/v1/reports/voluntary-return?month=2026-10&format=csv", headers=auditor)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert rows[0][:3] == ["nationality", "destination_country", "referrals"]
    assert rows[-1][0] == "total" and all(
        not (c.isdigit() and 1 <= int(c) <= 4) for row in rows for c in row
    )
    combined = client.get("/api/v1/reports/monthly?month=2026-10", headers=auditor).json
    assert set(combined["reports"]) == {"monthly-occupancy", "readmission", "voluntary-return"}
    assert combined["partial"] is False
    assert client.get("/api/v1/reports/monthly?month=2026-13", headers=auditor).status_code == 422
    assert client.get("/api/v1/reports/other?month=2026-10", headers=auditor).status_code == 404
    staff = bearer(Identity("staff.baku", "centre_staff", centres=("baku",)))
    assert client.get("/api/v1/reports/readmission?month=2026-10", headers=staff).status_code == 403
