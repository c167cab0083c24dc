"""Bad JSON is a 400 problem everywhere, before any handler: deep nesting bounded, no traceback.

Issue 12: 100,000 '[' sent unauthenticated to /auth/login or to a service route raised a
RecursionError (500, with a full traceback in the log). Every service and the gateway read bodies
through one loader, ``passage.web.load_json``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from detention import service
from detention.app import create_app
from gateway.testing import gateway_for_tests, settings_for_tests
from passage.testing import identity_headers
from passage.web import MAX_JSON_DEPTH, load_json

LOGIN = "/api/v1/auth/login"
CENTRES = "/api/v1/detention/centres"


@pytest.fixture
def gateway(settings_for) -> Iterator[tuple[Flask, Any]]:
    app, deps = gateway_for_tests(settings_for_tests(settings_for("gateway")))
    yield app, deps
    deps.mongo.close()


@pytest.fixture
def detention(settings_for) -> Iterator[tuple[Flask, Any, dict[str, str]]]:
    settings = settings_for("detention")
    deps = service.build_deps(settings)
    yield (
        create_app(settings, deps),
        deps,
        identity_headers(settings.internal_token_secret, role="admin"),
    )
    deps.mongo.client.drop_database(settings.mongo_db)


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


def _assert_400(response: Any, caplog: pytest.LogCaptureFixture) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 400 and "JSON" in body["detail"]
    assert "Traceback" not in response.get_data(as_text=True)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], (
        "a client error was logged as a failure"
    )


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 100_000,
        nested(100_000),
        nested(MAX_JSON_DEPTH + 1),
        '{"username": ' + nested(5000) + "}",
        "{" * 50_000,
    ],
)
def test_deep_json_at_login_is_400_and_logs_no_traceback(gateway, caplog, raw: str) -> None:
    app, deps = gateway
    with caplog.at_level(logging.INFO):
        response = app.test_client().post(LOGIN, data=raw, content_type="application/json")
    _assert_400(response, caplog)
    assert deps.mongo.collection("login_throttles").count_documents({}) == 0


@pytest.mark.parametrize(
    "raw", ["[" * 100_000, nested(MAX_JSON_DEPTH + 1), '{"id": ' + nested(3000) + "}"]
)
def test_deep_json_on_a_service_route_is_400_and_stores_nothing(
    detention, caplog, raw: str
) -> None:
    app, deps, admin = detention
    with caplog.at_level(logging.INFO):
        response = app.test_client().post(
            CENTRES, data=raw, content_type="application/json", headers=admin
        )
    _assert_400(response, caplog)
    assert deps.mongo.db["centres"].count_documents({}) == 0


def test_ordinary_nesting_still_loads() -> None:
    assert load_json(nested(MAX_JSON_DEPTH - 1)) is not None
    assert load_json('{"a": [{"b": [1, 2]}]}') == {"a": [{"b": [1, 2]}]}
    assert load_json(b'{"x": "\\u00e9"}') == {"x": "\u00e9"}


def test_a_deep_body_through_get_json_is_400_too(gateway) -> None:
    """Flask's request.get_json() goes through the same loader (the app's JSON provider)."""
    app, _ = gateway
    with app.test_request_context(
        "/", method="POST", data="[" * 100_000, content_type="application/json"
    ):
        from flask import request

        from passage.problems import BadRequest

        with pytest.raises(BadRequest):
            request.get_json()
