"""The whole API's OpenAPI document, as an integrator meets it: named operations, a linter clean.

The document is built from the real apps (no server: building an app does no I/O) and merged
the way the gateway merges it. Spectral (``spectral:oas``) is run when it is installed; .ci/run
installs it and sets PASSAGE_REQUIRE_SPECTRAL=1, so in CI a missing linter fails, never skips.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gateway.edge.openapi import merge

ROOT = Path(__file__).resolve().parents[2]
OPERATION_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
METHODS = ("get", "put", "post", "patch", "delete")
ENV = {"MONGO_URL": "mongodb://127.0.0.1:9/", "PASSAGE_DB_PREFIX": "openapi_lint_"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    from detention.app import create_app as detention
    from detention.config import load_settings as detention_settings
    from gateway.app import create_app as gateway
    from gateway.config import load_settings as gateway_settings
    from readmission.app import create_app as readmission
    from readmission.config import load_settings as readmission_settings
    from voluntary_return.app import create_app as voluntary_return
    from voluntary_return.config import load_settings as voluntary_return_settings

    services = {
        "detention": detention(detention_settings(ENV)),
        "readmission": readmission(readmission_settings(ENV)),
        "voluntary-return": voluntary_return(voluntary_return_settings(ENV)),
    }
    docs = {
        name: app.test_client().get("/openapi.json").get_json() for name, app in services.items()
    }
    own = (
        gateway(gateway_settings(ENV))
        .extensions["flask-smorest"]["apis"][""]["ext_obj"]
        .spec.to_dict()
    )
    return merge(own, docs)


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def test_every_operation_has_a_unique_operation_id_in_words_and_a_description(
    document: dict[str, Any],
) -> None:
    operations = _operations(document)
    assert len(operations) > 70  # every service is in the document
    missing = [
        f"{m.upper()} {p}"
        for m, p, op in operations
        if not OPERATION_ID.match(op.get("operationId", ""))
    ]
    undescribed = [
        f"{m.upper()} {p}" for m, p, op in operations if not op.get("description", "").strip()
    ]
    assert missing == [] and undescribed == []
    ids = [op["operationId"] for _, _, op in operations]
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []
    by_route = {f"{m.upper()} {p}": op["operationId"] for m, p, op in operations}
    assert by_route["POST /api/v1/detention/stays"] == "admit_person"
    assert by_route["GET /api/v1/detention/stays"] == "list_stays"
    assert by_route["POST /api/v1/readmission/requests/{request_id}/submit"] == "submit_request"
    assert by_route["POST /api/v1/auth/login"] == "sign_in"


def test_servers_are_set_and_no_schema_is_left_unused(document: dict[str, Any]) -> None:
    assert document["servers"] and document["servers"][0]["url"] == "/"
    schemas = document["components"]["schemas"]
    text = json.dumps(
        {**document, "components": {**document["components"], "schemas": list(schemas.values())}}
    )
    unused = [name for name in schemas if f'"#/components/schemas/{name}"' not in text]
    assert unused == []


def _spectral() -> str | None:
    local = ROOT / ".ci" / "tools" / "node_modules" / ".bin" / "spectral"
    return os.environ.get("SPECTRAL") or (
        str(local) if local.exists() else shutil.which("spectral")
    )


def test_spectral_oas_ruleset_reports_nothing(document: dict[str, Any], tmp_path: Path) -> None:
    spectral = _spectral()
    if spectral is None:
        if os.environ.get("PASSAGE_REQUIRE_SPECTRAL") == "1":
            pytest.fail(
                "Spectral is required here but not installed (.ci/run installs it into .ci/tools)"
            )
        pytest.skip(
            "Spectral not installed (npm install --prefix .ci/tools @stoplight/spectral-cli)"
        )
    (tmp_path / "openapi.json").write_text(json.dumps(document))
    (tmp_path / ".spectral.yaml").write_text('extends: ["spectral:oas"]\n')
    result = subprocess.run(
        [
            spectral,
            "lint",
            "--fail-severity=hint",
            "-r",
            str(tmp_path / ".spectral.yaml"),
            str(tmp_path / "openapi.json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_post_of_a_service_documents_the_idempotency_key_header(
    document: dict[str, Any],
) -> None:
    """Safe retries are part of the contract: each service POST (as the gateway shows it) says so.

    The gateway's own POSTs (sign-in, tokens, accounts) keep no answers, so they do not offer it.
    """
    service_posts = [
        (path, op)
        for method, path, op in _operations(document)
        if method == "post" and path.startswith(SERVICE_PATHS)
    ]
    assert len(service_posts) > 20
    undocumented = [
        path
        for path, op in service_posts
        if not any(
            p.get("name") == "Idempotency-Key" and p.get("in") == "header"
            for p in op.get("parameters", [])
        )
    ]
    assert undocumented == []
    own = [path for method, path, op in _operations(document) if path.startswith("/api/v1/auth")]
    assert own and not any(
        p.get("name") == "Idempotency-Key"
        for _, path, op in _operations(document)
        if path.startswith("/api/v1/auth")
        for p in op.get("parameters", [])
    )


SERVICE_PATHS = ("/api/v1/detention/", "/api/v1/readmission/", "/api/v1/voluntary-return/")
