"""Rate limits that hold across gateway workers (two apps, two MongoClients, one database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import jsonify

from gateway.auth.ratelimit import Limit, RateLimited, RateLimiter
from gateway.auth.tokens import issue_access_token
from gateway.testing import add_user, gateway_for_tests, settings_for_tests
from passage.identity import Identity
from passage.mongo import Mongo
from passage.testing import LiveServer
from passage.web import build_app

PASSWORD = "correct horse battery"


def _two_workers(settings):
    first, deps = gateway_for_tests(settings)
    second, second_deps = gateway_for_tests(settings)
    return first.test_client(), second.test_client(), deps, second_deps


def _assert_429(r) -> None:
    assert r.status_code == 429 and r.mimetype == "application/problem+json"
    assert int(r.headers["Retry-After"]) >= 1


def test_login_brute_force_from_one_address_is_limited_across_workers(settings_for):
    settings = settings_for_tests(settings_for("gateway"), login_ip_limit=6, login_user_limit=100)
    a, b, deps, other = _two_workers(settings)
    add_user(deps, "staff.baku", "centre_staff", PASSWORD, centres=["baku"])
    answers = [
        (a if i % 2 else b).post(
            "/api/v1/auth/login", json={"username": f"user{i:03d}", "password": "guess"}
        )
        for i in range(8)
    ]
    assert [r.status_code for r in answers[:6]] == [401] * 6
    _assert_429(answers[6])
    _assert_429(a.post("/api/v1/auth/login", json={"username": "staff.baku", "password": PASSWORD}))
    deps.mongo.close(), other.mongo.close()


def test_login_attempts_per_username_and_client_are_limited_across_workers(settings_for):
    settings = settings_for_tests(
        settings_for("gateway"), login_user_limit=3, throttle_free_failures=100
    )
    a, b, deps, other = _two_workers(settings)
    for i in range(3):
        assert (a if i % 2 else b).post(
            "/api/v1/auth/login", json={"username": "staff.baku", "password": "x"}
        ).status_code == 401
    _assert_429(b.post("/api/v1/auth/login", json={"username": "staff.baku", "password": "x"}))
    elsewhere = b.post(
        "/api/v1/auth/login",
        json={"username": "staff.baku", "password": "x"},
        environ_base={"REMOTE_ADDR": "10.0.0.7"},
    )
    assert (
        elsewhere.status_code == 401
    )  # another client of the same account is not limited by this one
    deps.mongo.close(), other.mongo.close()


def test_api_calls_per_user_are_limited_across_workers(settings_for):
    app, _ = build_app(__name__, title="stub")
    app.add_url_rule("/api/v1/detention/centres", "c", lambda: jsonify(items=[], next_cursor=None))
    with LiveServer(app) as upstream:
        settings = settings_for_tests(
            settings_for("gateway"), {"detention": upstream.url}, api_user_limit=4
        )
        a, b, deps, other = _two_workers(settings)
        token = issue_access_token(
            Identity("staff.baku", "centre_staff", centres=("baku",)), deps.keys, ttl_seconds=60
        )
        bearer = {"Authorization": f"Bearer {token}"}
        codes = [
            (a if i % 2 else b).get("/api/v1/detention/centres", headers=bearer).status_code
            for i in range(4)
        ]
        assert codes == [200] * 4
        _assert_429(a.get("/api/v1/detention/centres", headers=bearer))
        deps.mongo.close(), other.mongo.close()


def test_fixed_window_counter_starts_again_in_the_next_window(mongo_url, unique):
    mongo = Mongo(mongo_url, f"t_{unique}_rl")
    limiter, limit = RateLimiter(mongo), Limit(2, 60)
    start = datetime(2026, 1, 1, 12, 0, 1, tzinfo=UTC)
    limiter.hit("k", limit, start)
    limiter.hit("k", limit, start)
    with pytest.raises(RateLimited) as limited:
        limiter.hit("k", limit, start)
    assert limited.value.retry_after == 59
    limiter.hit("k", limit, datetime(2026, 1, 1, 12, 1, 0, tzinfo=UTC))
    mongo.close()


@pytest.mark.parametrize("hops, counted", [(0, "127.0.0.1"), (1, "198.51.100.7")])
def test_the_client_address_is_taken_from_exactly_the_trusted_hops(settings_for, hops, counted):
    """Behind the edge (1 hop) the per-client limits count the client, not nginx; with no proxy
    (the embedded default) a client cannot pick its own address with X-Forwarded-For."""
    settings = settings_for_tests(settings_for("gateway"), trusted_proxies=hops)
    app, deps = gateway_for_tests(settings)
    forwarded = {
        "X-Forwarded-For": "203.0.113.66, 198.51.100.7"
    }  # a spoofed entry, then the edge's
    app.test_client().post(
        "/api/v1/auth/login", json={"username": "staff.baku", "password": "x"}, headers=forwarded
    )
    keys = [d["_id"] for d in deps.mongo.collection("rate_limits").find()]
    assert any(k.startswith(f"login-ip:{counted}|") for k in keys), keys
    assert not any("203.0.113.66" in k for k in keys)
    deps.mongo.close()
