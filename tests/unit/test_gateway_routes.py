"""The route table (most specific template wins; every own route declared) and the timeline
merge."""

from __future__ import annotations

from gateway.app import create_app
from gateway.composition.timeline import entries, readable_sources
from gateway.edge.routes import OWN_ROUTES, ROUTES, match
from gateway.testing import settings_for_tests
from passage.config import Settings


def test_most_specific_template_wins_and_ids_are_named():
    found = match("/api/v1/detention/stays/abc/release", "POST")
    assert found.resource == "/api/v1/detention/stays/{stay_id}/{action}"
    assert found.ids == {"stay_id": "abc", "action": "release"}
    assert match("/api/v1/detention/stays", "HEAD").resource == "/api/v1/detention/stays"
    assert (
        match("/api/v1/detention/brand-new/thing", "GET").resource == "/api/v1/detention"
    )  # catch-all
    assert match("/api/v1/unknown/x", "GET") is None


def test_partners_reach_no_personal_data_and_auditors_change_nothing():
    for route in ROUTES + OWN_ROUTES:
        if route.personal:
            assert "partner" not in route.roles, route.template
        if any(m != "GET" for m in route.methods):
            assert "auditor" not in route.roles, route.template


def test_every_gateway_route_of_its_own_is_in_the_table():
    """A new endpoint of the gateway cannot skip the authorisation matrix."""
    settings = settings_for_tests(
        Settings.from_env("gateway", env={}, mongo_url="mongodb://127.0.0.1:1/")
    )
    app = create_app(settings)
    skipped = []
    for rule in app.url_map.iter_rules():
        path = rule.rule.replace("<", "{").replace(">", "}")
        if (
            not path.startswith("/api/v1/")
            or path.startswith("/api/v1/auth/")
            or rule.endpoint.startswith("proxy.")
        ):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found = match(path, method, OWN_ROUTES)
            if found is None:
                skipped.append(f"{method} {path}")
    assert not skipped


def test_timeline_entries_use_one_time_format_and_carry_no_particulars():
    record = {
        "id": "s1",
        "person_ref": "P1",
        "given_name": "Ali",
        "status": "open",
        "history": [
            {"at": "2026-01-05T14:00:00+04:00", "state": "admitted", "by": "staff.baku"},
            {"at": "not a time", "state": "bogus"},
        ],
    }
    assert entries("detention", "stay", record) == [
        {
            "service": "detention",
            "record_type": "stay",
            "record_id": "s1",
            "at": "2026-01-05T10:00:00.000000Z",
            "what": "admitted",
            "by": "staff.baku",
        }
    ]
    assert (
        entries(
            "readmission",
            "readmission_request",
            {"id": "r1", "created_at": "2026-02-01T00:00:00Z", "status": "draft"},
        )[0]["what"]
        == "draft"
    )


def test_timeline_sources_follow_the_route_table():
    assert [s for s, _, _ in readable_sources("centre_staff", ROUTES)] == ["detention"]
    assert [s for s, _, _ in readable_sources("auditor", ROUTES)] == [
        "detention",
        "readmission",
        "voluntary-return",
    ]
    assert readable_sources("partner", ROUTES) == []
