"""Refresh tokens, logout and revocation, and the admin account API, against a real SecantusDB."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import jsonify

from gateway.auth.sessions import Revocations
from gateway.testing import add_user, gateway_for_tests, settings_for_tests
from passage.testing import LiveServer
from passage.web import build_app

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[list, str]]:
    """A stand-in detention service that records what reached it."""
    seen: list = []
    app, _ = build_app(__name__, title="stub")

    @app.route("/api/v1/detention/<path:rest>", methods=["GET", "POST"])
    def answer(rest: str):
        seen.append(rest)
        return jsonify(items=[], next_cursor=None)

    with LiveServer(app) as server:
        yield seen, server.url


@pytest.fixture
def gateway(settings_for, upstream):
    settings = settings_for_tests(
        settings_for("gateway"), {"detention": upstream[1]}, revocation_cache_seconds=30.0
    )
    app, deps = gateway_for_tests(settings)
    add_user(deps, "staff.baku", "centre_staff", PASSWORD, centres=["baku"])
    add_user(deps, "admin", "admin", PASSWORD)
    yield app, deps
    deps.mongo.close()


def _login(client, username="staff.baku", password=PASSWORD) -> dict:
    r = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.json
    return r.json


def _get(client, token: str):
    return client.get("/api/v1/detention/stays", headers={"Authorization": f"Bearer {token}"})


def _assert_401(r) -> None:
    assert r.status_code == 401 and r.mimetype == "application/problem+json"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_refresh_rotates_and_a_reused_token_revokes_the_family(gateway):
    app, _ = gateway
    client = app.test_client()
    first = _login(client)
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200 and second.json["refresh_token"] != first["refresh_token"]
    assert _get(client, second.json["access_token"]).status_code == 200
    replay = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    _assert_401(replay)
    # the thief's replay also killed the legitimate newer token of the same family
    _assert_401(
        client.post("/api/v1/auth/refresh", json={"refresh_token": second.json["refresh_token"]})
    )
    _assert_401(client.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 43}))


def test_one_refresh_token_sent_eight_times_at_once_is_honoured_once(gateway):
    """Real concurrent requests: the conditional claim lets one through, every other is a reuse."""
    app, _ = gateway
    token = _login(app.test_client())["refresh_token"]
    barrier = threading.Barrier(8)

    def refresh(_: int) -> int:
        client = app.test_client()
        barrier.wait(timeout=30)
        return client.post("/api/v1/auth/refresh", json={"refresh_token": token}).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(refresh, range(8)))
    assert statuses == [200] + [401] * 7, statuses


def test_logout_revokes_the_access_token_and_the_refresh_token_in_every_worker(
    gateway, settings_for, upstream
):
    app, deps = gateway
    other, other_deps = gateway_for_tests(
        settings_for_tests(settings_for("gateway"), {"detention": upstream[1]})
    )
    client, other_client = app.test_client(), other.test_client()
    tokens = _login(client)
    assert (
        _get(other_client, tokens["access_token"]).status_code == 200
    )  # other worker caches "not revoked"
    seen, _ = upstream
    before = len(seen)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (
        client.post(
            "/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}, headers=bearer
        ).status_code
        == 204
    )
    _assert_401(_get(client, tokens["access_token"]))  # at once in this worker
    other_deps.guard.revocations._cache.clear()  # the other's cache lives at most a few seconds
    _assert_401(_get(other_client, tokens["access_token"]))
    assert len(seen) == before + 0  # revoked requests never reach the service
    _assert_401(
        client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    )
    other_deps.mongo.close()


def test_logout_without_the_refresh_token_ends_the_whole_session(gateway):
    """Issue 12: logout with an empty body left the refresh token working for 12 hours."""
    app, _ = gateway
    client = app.test_client()
    tokens = _login(client)
    renewed = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    ).json
    other_session = _login(client)
    bearer = {"Authorization": f"Bearer {renewed['access_token']}"}
    assert client.post("/api/v1/auth/logout", json={}, headers=bearer).status_code == 204
    _assert_401(
        client.post("/api/v1/auth/refresh", json={"refresh_token": renewed["refresh_token"]})
    )
    _assert_401(_get(client, renewed["access_token"]))
    _assert_401(_get(client, tokens["access_token"]))  # the session's earlier access token too
    assert _get(client, other_session["access_token"]).status_code == 200  # another session goes on
    assert (
        client.post(
            "/api/v1/auth/refresh", json={"refresh_token": other_session["refresh_token"]}
        ).status_code
        == 200
    )


def test_revocation_cache_lasts_only_a_few_seconds(gateway):
    _, deps = gateway
    revocations = Revocations(deps.mongo, 900, cache_seconds=0.0)
    assert revocations.is_revoked("j-1", "staff.baku", 0) is False


def test_admin_creates_disables_and_resets_users(gateway):
    app, _ = gateway
    client = app.test_client()
    admin = {"Authorization": f"Bearer {_login(client, 'admin')['access_token']}"}
    staff = _login(client)
    created = client.post(
        "/api/v1/admin/users",
        headers=admin,
        json={
            "username": "liaison.de",
            "role": "liaison_officer",
            "password": PASSWORD,
            "member_states": ["DE"],
        },
    )
    assert created.status_code == 201, created.json
    assert created.json["member_states"] == ["DE"] and "password" not in created.json
    assert (
        client.post(
            "/api/v1/admin/users",
            headers=admin,
            json={
                "username": "liaison.de",
                "role": "liaison_officer",
                "password": PASSWORD,
                "member_states": ["DE"],
            },
        ).status_code
        == 409
    )
    assert (
        client.post(
            "/api/v1/admin/users",
            headers=admin,
            json={"username": "bad.scope", "role": "centre_staff", "password": PASSWORD},
        ).status_code
        == 422
    )
    assert _login(client, "liaison.de")["access_token"]
    # disabling revokes what the account holds at once
    r = client.post("/api/v1/admin/users/staff.baku/disable", headers=admin)
    assert r.status_code == 200 and r.json["disabled"] is True
    _assert_401(_get(client, staff["access_token"]))
    _assert_401(client.post("/api/v1/auth/refresh", json={"refresh_token": staff["refresh_token"]}))
    _assert_401(
        client.post("/api/v1/auth/login", json={"username": "staff.baku", "password": PASSWORD})
    )
    # a reset password revokes the old tokens and the old password
    liaison = _login(client, "liaison.de")
    new_password = "a brand new passphrase"
    assert (
        client.put(
            "/api/v1/admin/users/liaison.de/password",
            headers=admin,
            json={"password": new_password},
        ).status_code
        == 204
    )
    _assert_401(
        client.post("/api/v1/auth/refresh", json={"refresh_token": liaison["refresh_token"]})
    )
    _assert_401(
        client.post("/api/v1/auth/login", json={"username": "liaison.de", "password": PASSWORD})
    )
    assert _login(client, "liaison.de", new_password)
    assert client.get("/api/v1/admin/users/nobody.here", headers=admin).status_code == 404


def test_only_admins_use_the_admin_api(gateway):
    app, _ = gateway
    client = app.test_client()
    staff = {"Authorization": f"Bearer {_login(client)['access_token']}"}
    r = client.post(
        "/api/v1/admin/users",
        headers=staff,
        json={"username": "sneaky", "role": "admin", "password": PASSWORD},
    )
    assert r.status_code == 403 and r.mimetype == "application/problem+json"
    _assert_401(client.get("/api/v1/admin/users/admin"))


def test_the_admin_sees_why_a_password_is_refused(gateway):
    app, deps = gateway
    client = app.test_client()
    admin = {"Authorization": f"Bearer {_login(client, 'admin')['access_token']}"}
    before = deps.mongo.collection("users").count_documents({})
    for password in ("aaaaaaaaaaaa", "mailcreated5240", "liaison.az2026"):
        refused = client.post(
            "/api/v1/admin/users",
            headers=admin,
            json={
                "username": "liaison.az",
                "role": "liaison_officer",
                "password": password,
                "all_member_states": True,
            },
        )
        assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
        assert refused.json["errors"][0]["pointer"] == "/password"
        assert (
            "guess" in refused.json["errors"][0]["detail"]
            or "breached" in refused.json["errors"][0]["detail"]
        )
        reset = client.put(
            "/api/v1/admin/users/staff.baku/password",
            headers=admin,
            json={"password": password.replace("liaison.az", "staff.baku")},
        )
        assert reset.status_code == 422 and reset.json["errors"][0]["pointer"] == "/password"
    assert deps.mongo.collection("users").count_documents({}) == before
    assert _login(client)  # the old password still works


def test_the_admin_sees_and_clears_sign_in_throttles(gateway):
    app, _ = gateway
    client = app.test_client()
    admin = {"Authorization": f"Bearer {_login(client, 'admin')['access_token']}"}
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for _ in range(3):  # the third failure starts a delay for this address
        attacker.post(
            "/api/v1/auth/login", json={"username": "staff.baku", "password": "wrong password"}
        )
    assert (
        attacker.post(
            "/api/v1/auth/login", json={"username": "staff.baku", "password": PASSWORD}
        ).status_code
        == 429
    )
    seen = client.get("/api/v1/admin/login-throttles?account=staff.baku", headers=admin)
    assert seen.status_code == 200
    (item,) = seen.json["items"]
    assert (item["account"], item["client"], item["failures"]) == ("staff.baku", "203.0.113.9", 3)
    assert item["wait_until"] is not None
    assert (
        client.delete(
            "/api/v1/admin/login-throttles?account=staff.baku%0A", headers=admin
        ).status_code
        == 422
    )
    cleared = client.delete(
        "/api/v1/admin/login-throttles?account=staff.baku&client=203.0.113.9", headers=admin
    )
    assert cleared.status_code == 200 and cleared.json == {"cleared": 1}
    assert client.get("/api/v1/admin/login-throttles", headers=admin).json["items"] == []
    assert (
        attacker.post(
            "/api/v1/auth/login", json={"username": "staff.baku", "password": PASSWORD}
        ).status_code
        == 200
    )
    staff = {"Authorization": f"Bearer {_login(client)['access_token']}"}
    assert client.get("/api/v1/admin/login-throttles", headers=staff).status_code == 403
