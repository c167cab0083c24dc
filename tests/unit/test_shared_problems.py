"""Every error path of a Passage app answers with RFC 9457 problem+json and never leaks
internals."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient
from marshmallow import Schema, fields, validate

from passage.problems import Conflict, PreconditionFailed, marshmallow_pointers
from passage.testing import identity_headers
from passage.web import Blueprint, build_app, current_identity, etag, expected_version, require_role

SECRET = "unit-test-internal-secret-0123456789abcdef"
LEAK = "secret detail with a name"
PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance", "correlation_id"}


class PlaceSchema(Schema):
    count = fields.Integer(required=True, validate=validate.Range(min=1))
    label = fields.String(required=True, validate=validate.Length(max=10))
    tags = fields.List(fields.String(validate=validate.Length(max=3)))


class ListArgs(Schema):
    limit = fields.Integer(load_default=10)


def make_app(readiness: dict[str, Any] | None = None) -> Flask:
    app, api = build_app(
        "unit-test",
        title="Unit test",
        max_body_bytes=1024,
        internal_secret=SECRET,
        readiness=readiness or {"mongo": lambda: True},
    )
    blp = Blueprint("places", __name__, url_prefix="/api/v1/places")

    @blp.route("", methods=["POST"])
    @blp.arguments(PlaceSchema)
    def create(body: dict[str, Any]) -> Any:
        return jsonify(body), 201

    @blp.route("", methods=["GET"])
    @blp.arguments(ListArgs, location="query")
    def list_places(args: dict[str, Any]) -> Any:
        return jsonify(args)

    @blp.route("/full", methods=["POST"])
    def full() -> Any:
        raise Conflict("Unit is full", occupancy=10, capacity=10)

    @blp.route("/versioned", methods=["PUT"])
    def versioned() -> Any:
        version = expected_version(3, required=True)
        response = jsonify(version=version)
        response.headers["ETag"] = etag(4)
        return response

    @blp.route("/stale", methods=["PUT"])
    def stale() -> Any:
        raise PreconditionFailed("The stay changed since you read it.", current_version=7)

    @blp.route("/boom", methods=["GET"])
    def boom() -> Any:
        raise RuntimeError(LEAK)

    @blp.route("/whoami", methods=["GET"])
    def whoami() -> Any:
        identity = current_identity()
        return jsonify(user=identity.user_id, role=identity.role)

    @blp.route("/admin-only", methods=["GET"])
    def admin_only() -> Any:
        require_role("auditor")
        return jsonify(ok=True)

    api.register_blueprint(blp)
    return app


@pytest.fixture
def client() -> FlaskClient:
    return make_app().test_client()


@pytest.fixture
def auth() -> dict[str, str]:
    return identity_headers(SECRET, role="admin")


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.headers.get("X-Request-ID")
    body = json.loads(response.get_data(as_text=True))
    assert PROBLEM_MEMBERS <= set(body), body
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"] and body["detail"]
    assert body["correlation_id"]
    return body


def test_malformed_json_is_400(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/places", data=b'{"count": 1,', headers=auth, content_type="application/json"
    )
    body = assert_problem(response, 400)
    assert body["instance"] == "/api/v1/places"


def test_validation_errors_are_422_with_pointers(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/places", json={"count": "many", "tags": ["ok", "toolong"]}, headers=auth
    )
    body = assert_problem(response, 422)
    pointers = {e["pointer"] for e in body["errors"]}
    assert pointers == {"/count", "/label", "/tags/1"}
    assert all(e["detail"] for e in body["errors"])


def test_unknown_field_is_422_with_its_pointer(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/places", json={"count": 1, "label": "a", "$where": "1"}, headers=auth
    )
    body = assert_problem(response, 422)
    assert {e["pointer"] for e in body["errors"]} == {"/$where"}


def test_unknown_query_parameter_is_422(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.get("/api/v1/places?limit=5&status[$ne]=x", headers=auth)
    body = assert_problem(response, 422)
    assert {e["pointer"] for e in body["errors"]} == {"/query/status[$ne]"}


def test_valid_request_passes(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.post("/api/v1/places", json={"count": 2, "label": "a"}, headers=auth)
    assert response.status_code == 201 and response.get_json() == {"count": 2, "label": "a"}
    assert response.headers["X-Request-ID"]


def test_unknown_path_is_404(client: FlaskClient, auth: dict[str, str]) -> None:
    body = assert_problem(client.get("/api/v1/nowhere", headers=auth), 404)
    assert body["instance"] == "/api/v1/nowhere"


def test_wrong_method_is_405_with_allow(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.delete("/api/v1/places", headers=auth)
    assert_problem(response, 405)
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed


def test_raised_conflict_is_409_with_extra_members(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    body = assert_problem(client.post("/api/v1/places/full", headers=auth), 409)
    assert body["detail"] == "Unit is full"
    assert body["occupancy"] == 10 and body["capacity"] == 10


def test_raised_precondition_failed_is_412(client: FlaskClient, auth: dict[str, str]) -> None:
    body = assert_problem(client.put("/api/v1/places/stale", headers=auth), 412)
    assert body["current_version"] == 7


def test_if_match_mismatch_is_412_and_missing_is_428(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    assert_problem(
        client.put("/api/v1/places/versioned", headers={**auth, "If-Match": '"v2"'}), 412
    )
    assert_problem(client.put("/api/v1/places/versioned", headers=auth), 428)
    response = client.put("/api/v1/places/versioned", headers={**auth, "If-Match": '"v3"'})
    assert response.status_code == 200 and response.get_json() == {"version": 3}
    assert response.headers["ETag"] == '"v4"'


def test_oversize_body_is_413(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/places",
        data=json.dumps({"label": "x" * 5000}),
        headers=auth,
        content_type="application/json",
    )
    assert_problem(response, 413)


def test_unexpected_error_is_a_generic_500(
    client: FlaskClient, auth: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = client.get(
            "/api/v1/places/boom", headers={**auth, "X-Request-ID": "req-12345678"}
        )
    body = assert_problem(response, 500)
    text = response.get_data(as_text=True)
    assert LEAK not in text and "RuntimeError" not in text and "Traceback" not in text
    assert body["correlation_id"] == "req-12345678"
    assert response.headers["X-Request-ID"] == "req-12345678"
    assert any(r.exc_info for r in caplog.records), "the failure must be logged for operators"


def test_missing_identity_is_401(client: FlaskClient) -> None:
    assert_problem(client.get("/api/v1/places/whoami"), 401)


def test_forged_identity_is_401(client: FlaskClient) -> None:
    headers = identity_headers("another-secret-of-enough-length-0123456789", role="admin")
    assert_problem(client.get("/api/v1/places/whoami", headers=headers), 401)


def test_identity_reaches_the_route(client: FlaskClient) -> None:
    response = client.get(
        "/api/v1/places/whoami", headers=identity_headers(SECRET, role="auditor", user_id="u1")
    )
    assert response.get_json() == {"user": "u1", "role": "auditor"}


def test_wrong_role_is_403(client: FlaskClient) -> None:
    headers = identity_headers(SECRET, role="partner", organisation="IOM")
    assert_problem(client.get("/api/v1/places/admin-only", headers=headers), 403)


def test_request_id_is_echoed_only_when_well_formed(client: FlaskClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-12345"}).headers["X-Request-ID"]
        == "abc-12345"
    )
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"}).headers[
        "X-Request-ID"
    ]
    assert generated != "bad id <script>" and len(generated) == 36


def test_correlation_id_header_is_carried_into_problems(client: FlaskClient) -> None:
    response = client.get("/api/v1/nowhere", headers={"X-Correlation-ID": "corr-12345678"})
    assert json.loads(response.get_data())["correlation_id"] == "corr-12345678"


def test_probes_metrics_and_openapi_are_open() -> None:
    client = make_app(readiness={"mongo": lambda: True, "broker": lambda: 1 / 0}).test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["checks"] == {
        "mongo": True,
        "broker": False,
    }
    assert b"passage_http_requests_total" in client.get("/metrics").data
    spec = client.get("/openapi.json").get_json()
    assert "/api/v1/places" in spec["paths"]
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert client.get(path).headers["X-Request-ID"]


def test_pointers_flatten_nested_marshmallow_messages() -> None:
    messages = {
        "count": ["Not a valid integer."],
        "legal_basis": {
            "court": ["Missing data for required field."],
            "_schema": ["Dates are inverted."],
        },
        "tags": {0: ["Too long."], 2: ["Too long."]},
        "_schema": ["Whole body is wrong."],
    }
    assert marshmallow_pointers(messages) == [
        {"pointer": "/count", "detail": "Not a valid integer."},
        {"pointer": "/legal_basis/court", "detail": "Missing data for required field."},
        {"pointer": "/legal_basis", "detail": "Dates are inverted."},
        {"pointer": "/tags/0", "detail": "Too long."},
        {"pointer": "/tags/2", "detail": "Too long."},
        {"pointer": "/", "detail": "Whole body is wrong."},
    ]


def test_pointers_escape_slash_and_tilde_as_rfc6901_requires() -> None:
    pointers = marshmallow_pointers({"a/b": ["Unknown field."], "c~d": {"e": ["Bad."]}})
    assert [p["pointer"] for p in pointers] == ["/a~1b", "/c~0d/e"]


def test_pointers_of_list_of_dicts_and_scalars() -> None:
    assert marshmallow_pointers([{"x": ["bad"]}, "whole"], "/items") == [
        {"pointer": "/items/x", "detail": "bad"},
        {"pointer": "/items", "detail": "whole"},
    ]
    assert marshmallow_pointers(42) == [{"pointer": "/", "detail": "42"}]
