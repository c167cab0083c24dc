"""Signing in at the gateway against a real SecantusDB: tokens, refusals, throttles across
workers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from gateway.app import create_app
from gateway.auth.accounts import MongoUsers
from gateway.auth.api import checked_sign_in
from gateway.auth.passwords import Passwords
from gateway.auth.ratelimit import Limit
from gateway.auth.throttle import Backoff, MongoLoginThrottle
from gateway.auth.tokens import verify_access_token
from gateway.bootstrap import build_deps
from gateway.testing import add_user, cheap_passwords, gateway_for_tests, settings_for_tests
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
    assert (identity.user_id, identity.role, identity.centres) == (
        "staff.baku",
        "centre_staff",
        ("baku",),
    )


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


def _from(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_an_attack_from_elsewhere_never_locks_the_usual_client_out(gateway, settings):
    """Issue 12: five wrong passwords locked any account for 15 minutes, without signing in."""
    app, _ = gateway
    other_worker, other_deps = gateway_for_tests(
        settings
    )  # its own MongoClient, as another gunicorn worker has
    for _ in range(6):
        assert _login(_from(app, "203.0.113.9"), "staff.baku", "not the password").status_code in (
            401,
            429,
        )
    slowed = _login(_from(other_worker, "203.0.113.9"), "staff.baku", PASSWORD)
    assert slowed.status_code == 429 and slowed.mimetype == "application/problem+json"
    assert 1 <= int(slowed.headers["Retry-After"]) <= 900
    assert "access_token" not in slowed.json
    assert _login(_from(other_worker, "10.0.0.7"), "staff.baku", PASSWORD).status_code == 200
    other_deps.mongo.close()


def test_a_success_resets_the_count(gateway):
    app, _ = gateway
    client = app.test_client()
    for _ in range(2):
        assert _login(client, "staff.baku", "not the password").status_code == 401
    assert _login(client, "staff.baku", PASSWORD).status_code == 200
    for _ in range(2):
        assert _login(client, "staff.baku", "not the password").status_code == 401
    assert _login(client, "staff.baku", PASSWORD).status_code == 200


def test_throttles_grow_per_pair_and_are_forgotten(settings):
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    throttle = MongoLoginThrottle(
        mongo, Backoff(free=3, base_seconds=2, max_seconds=900, forget_seconds=3600)
    )
    t0 = datetime.now(UTC).replace(microsecond=0)
    for _ in range(5):
        throttle.record_failure("someone", "198.51.100.1", t0)
    assert throttle.wait_until("someone", "198.51.100.1", t0) == t0 + timedelta(seconds=8)
    assert throttle.wait_until("someone", "198.51.100.2", t0) is None
    assert throttle.wait_until("someone", "198.51.100.1", t0 + timedelta(seconds=9)) is None
    later = t0 + timedelta(hours=2)
    throttle.record_failure("someone", "198.51.100.1", later)
    assert [t.failures for t in throttle.list(later, "someone")] == [1]
    mongo.close()


def test_concurrent_failures_are_all_counted(settings):
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    throttle = MongoLoginThrottle(mongo)
    t0 = datetime.now(UTC).replace(microsecond=0)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: throttle.record_failure("racing", "192.0.2.1", t0), range(8)))
    assert [t.failures for t in throttle.list(t0, "racing")] == [8]
    mongo.close()


def test_an_invalid_username_is_never_recorded_verbatim(gateway):
    """Issue 12: a password typed into the username field reached the audit trail and the
    lockout."""
    app, deps = gateway
    secret = "Winter2026!secret"
    _login(app.test_client(), "staff.baku", "wrong password")  # a valid name is recorded as itself
    for body in (
        {"username": secret, "password": "x"},
        {"username": secret.lower(), "password": "x"},
    ):
        assert app.test_client().post(LOGIN, json=body).status_code == 422
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "192.0.2.5"}):
        with pytest.raises(Exception):  # noqa: B017  (any refusal; what matters is what is recorded)
            checked_sign_in(
                deps.sign_in,
                deps.guard,
                (Limit(10, 60), Limit(10, 60)),
                secret,
                "x",
                "/api/v1/auth/login",
                datetime.now(UTC),
            )
    stored = [
        str(doc)
        for name in ("audit", "login_throttles", "rate_limits")
        for doc in deps.mongo.collection(name).find()
    ]
    assert any("staff.baku" in doc for doc in stored) and any("invalid:" in doc for doc in stored)
    assert not any(secret in doc or secret.lower() in doc for doc in stored)


@pytest.mark.parametrize(
    "body, status",
    [
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
        ({"username": "staff.baku\ud800", "password": PASSWORD}, 422),
    ],
)
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
    assert deps.mongo.collection("login_throttles").count_documents({}) == 0


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


def test_a_password_with_an_unpaired_surrogate_is_a_401_not_a_500(gateway):
    """JSON "\\ud800" decodes to a lone surrogate, which no UTF-8 encoder (argon2's included)
    accepts."""
    app, _ = gateway
    response = app.test_client().post(
        LOGIN,
        data='{"username": "staff.baku", "password": "abc\\ud800def"}',
        content_type="application/json",
    )
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
