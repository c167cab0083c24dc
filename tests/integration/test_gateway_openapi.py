"""Merged /openapi.json and /readyz against real stub services over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from marshmallow import Schema, fields
from openapi_spec_validator import validate

from gateway.testing import gateway_for_tests, settings_for_tests
from passage.testing import LiveServer
from passage.web import Blueprint, build_app


class CentreSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class LocationSchema(Schema):
    person_ref = fields.String(required=True)
    held = fields.Boolean(required=True)


def _service(prefix: str, schema: type[Schema], path: str) -> LiveServer:
    """A stub service whose OpenAPI document comes from flask-smorest like the real ones."""
    app, api = build_app(__name__, title=f"{prefix} stub")
    blp = Blueprint(prefix, __name__, url_prefix=f"/api/v1/{prefix}")

    @blp.route(path)
    @blp.response(200, schema)
    def read(**_kwargs):
        return {}

    api.register_blueprint(blp)
    return LiveServer(app)


@pytest.fixture
def services() -> Iterator[dict[str, str]]:
    with (
        _service("detention", CentreSchema, "/centres/<centre_id>") as detention,
        _service("readmission", LocationSchema, "/persons/<person_ref>/location") as readmission,
    ):
        yield {"detention": detention.url, "readmission": readmission.url}


def test_merged_document_is_valid_and_has_every_available_service(
    settings_for, services, service_down
):
    down = service_down
    settings = settings_for_tests(settings_for("gateway"), {**services, "voluntary-return": down})
    app, deps = gateway_for_tests(settings)
    with LiveServer(app) as gateway:
        doc = requests.get(f"{gateway.url}/openapi.json", timeout=30).json()
    validate(doc)
    assert {
        "/api/v1/auth/login",
        "/api/v1/detention/centres/{centre_id}",
        "/api/v1/readmission/persons/{person_ref}/location",
    } <= set(doc["paths"])
    assert not any(p.startswith("/api/v1/voluntary-return") for p in doc["paths"])
    assert doc["info"]["x-unavailable"] == ["voluntary-return"]
    assert {"Centre", "Location", "Login", "AccessToken"} <= set(doc["components"]["schemas"])
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    deps.mongo.close()


def test_readyz_needs_the_database_and_every_service(settings_for, services, service_down):
    down = service_down
    app, deps = gateway_for_tests(
        settings_for_tests(settings_for("gateway"), {**services, "voluntary-return": down})
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {
        "mongo": True,
        "detention": True,
        "readmission": True,
        "voluntary-return": False,
    }
    with _service("voluntary-return", LocationSchema, "/persons/<person_ref>/location") as avr:
        app, deps = gateway_for_tests(
            settings_for_tests(settings_for("gateway"), {**services, "voluntary-return": avr.url})
        )
        assert app.test_client().get("/readyz").status_code == 200
    assert app.test_client().get("/healthz").status_code == 200
    metrics = app.test_client().get("/metrics")
    assert metrics.status_code == 200 and b"passage_http_requests_total" in metrics.data
    deps.mongo.close()
