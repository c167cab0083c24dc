"""Signing in at the gateway against a real SecantusDB: tokens, refusals, lockout across workers."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher

from gateway.accounts import MongoUsers
from gateway.app import create_app
from gateway.bootstrap import build_deps
from gateway.lockout import MongoLoginAttempts
from gateway.passwords import Passwords
from gateway.testing import add_user, cheap_passwords, gateway_for_tests, settings_for_tests
from gateway.tokens import verify_access_token
from passage.mongo import Mongo
from passage.testing import free_port

PASSWORD = "correct horse battery"
LOGIN = "/api/v1/auth/login"


@pytest.fixture
def settings(settings_for):
    return settings_for_tests(settings_for("gateway"))


@pytest.fixture
def gateway(settings):
    app, deps = gateway_for_tests(settings)
    add_user(deps, "staff.baku", "centre_staff", PASSWORD, centres=["baku"])
    yield app, deps
    deps.mongo.close()


def _login(client, username, password):
    return client.post(LOGIN, json={"username": username, "password": password})


def _without_ids(problem: dict) -> dict:
    return {k: v for k, v in problem.items() if k != "correlation_id"}


def test_login_returns_a_bearer_token_for_the_user(gateway):
    app, deps = gateway
    response = _login(app.test_client(), "staff.baku", PASSWORD)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert response.headers["Cache-Control"] == "no-store"
    identity = verify_access_token(body["access_token"], deps.keys)
    assert (identity.user_id, identity.role, identity.centres) == ("staff.baku", "centre_staff", ("baku",))


def test_wrong_password_and_unknown_user_get_the_same_401(gateway):
    app, _ = gateway
    client = app.test_client()
    wrong = _login(client, "staff.baku", "not the password")
    unknown = _login(client, "nobody.here", PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert _without_ids(wrong.json) == _without_ids(unknown.json)
    assert "access_token" not in wrong.json


def test_disabled_user_gets_the_same_401(gateway):
    app, deps = gateway
    client = app.test_client()
    reference = _login(client, "nobody.here", PASSWORD).json
    assert MongoUsers(deps.mongo).disable("staff.baku")
    response = _login(client, "staff.baku", PASSWORD)
    assert response.status_code == 401 and _without_ids(response.json) == _without_ids(reference)


def test_five_failures_lock_the_username_for_every_worker(gateway, settings):
    app, _ = gateway
    other_worker, other_deps = gateway_for_tests(settings)  # its own MongoClient, as another gunicorn worker has
    for _ in range(5):
        assert _login(app.test_client(), "staff.baku", "not the password").status_code == 401
    locked = _login(other_worker.test_client(), "staff.baku", PASSWORD)
    assert locked.status_code == 429 and locked.mimetype == "application/problem+json"
    assert 850 <= int(locked.headers["Retry-After"]) <= 900
    assert "access_token" not in locked.json
    add_user(other_deps, "staff.yevlakh", "centre_staff", PASSWORD, centres=["yevlakh"])
    assert _login(other_worker.test_client(), "staff.yevlakh", PASSWORD).status_code == 200
    other_deps.mongo.close()


def test_a_success_resets_the_count(gateway):
    app, _ = gateway
    client = app.test_client()
    for _ in range(4):
        assert _login(client, "staff.baku", "not the password").status_code == 401
    assert _login(client, "staff.baku", PASSWORD).status_code == 200
    for _ in range(4):
        assert _login(client, "staff.baku", "not the password").status_code == 401
    assert _login(client, "staff.baku", PASSWORD).status_code == 200


def test_lock_ends_after_fifteen_minutes_and_counting_restarts(settings):
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    attempts = MongoLoginAttempts(mongo, threshold=5, lock_seconds=900)
    t0 = datetime.now(timezone.utc).replace(microsecond=0)
    for i in range(5):
        assert attempts.locked_until("someone", t0 + timedelta(seconds=i)) is None
        attempts.record_failure("someone", t0 + timedelta(seconds=i))
    assert attempts.locked_until("someone", t0 + timedelta(minutes=5)) == t0 + timedelta(seconds=904)
    after = t0 + timedelta(minutes=16)
    assert attempts.locked_until("someone", after) is None
    attempts.record_failure("someone", after)
    assert mongo.collection("login_attempts").find_one({"_id": "someone"})["failures"] == 1
    mongo.close()


def test_failures_spread_wider_than_the_window_never_lock(settings):
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    attempts = MongoLoginAttempts(mongo, threshold=5, lock_seconds=900)
    t0 = datetime.now(timezone.utc).replace(microsecond=0)
    for i in range(8):
        attempts.record_failure("patient", t0 + timedelta(minutes=16 * i))
        assert attempts.locked_until("patient", t0 + timedelta(minutes=16 * i)) is None
    mongo.close()


@pytest.mark.parametrize("body, status", [
    ({"username": {"$ne": None}, "password": "anything"}, 422),
    ({"username": "staff.baku", "password": {"$gt": ""}}, 422),
    ({"username": "staff.baku", "password": PASSWORD, "role": "admin"}, 422),
    ({"username": "staff.baku"}, 422),
    ({"username": "$where", "password": PASSWORD}, 422),
    ({"username": ["staff.baku"], "password": PASSWORD}, 422),
    ({"username": "staff.baku\n", "password": PASSWORD}, 422),
    ({"username": "staff.baku", "password": "x" * 2000}, 422),
    (["staff.baku", PASSWORD], 422),
    ("{not json", 400),
    ({"username": "staff.baku", "password": "x" * 300_000}, 413),
])
def test_bad_bodies_are_refused_and_nothing_is_stored(gateway, body, status):
    app, deps = gateway
    users_before = list(deps.mongo.collection("users").find())
    if isinstance(body, str):
        response = app.test_client().post(LOGIN, data=body, content_type="application/json")
    else:
        response = app.test_client().post(LOGIN, json=body)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert "access_token" not in (response.json or {})
    assert list(deps.mongo.collection("users").find()) == users_before
    assert deps.mongo.collection("login_attempts").count_documents({}) == 0


def test_hash_with_old_parameters_is_upgraded_on_login(gateway):
    app, deps = gateway
    old = Passwords(PasswordHasher(time_cost=1, memory_cost=4096, parallelism=1))
    users = MongoUsers(deps.mongo)
    users.set_password_hash("staff.baku", old.hash(PASSWORD))
    assert _login(app.test_client(), "staff.baku", PASSWORD).status_code == 200
    stored = users.get("staff.baku").password_hash
    assert "m=8192" in stored and deps.sign_in.passwords.check(stored, PASSWORD)
    assert _login(app.test_client(), "staff.baku", PASSWORD).status_code == 200


def test_login_while_the_database_is_down_is_a_503_problem(settings):
    down = settings.with_(mongo_url=f"mongodb://127.0.0.1:{free_port()}/")
    deps = build_deps(down, passwords=cheap_passwords())
    deps.mongo.timeout_ms = 300
    response = _login(create_app(down, deps).test_client(), "staff.baku", PASSWORD)
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert "Timeout" not in response.get_data(as_text=True)
