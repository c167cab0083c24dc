"""/docs is served from the gateway's own files (vendored Swagger UI), with no external CDN."""

from __future__ import annotations

import re

from gateway.app import create_app
from gateway.testing import settings_for_tests
from passage.config import Settings


def _client():
    settings = settings_for_tests(
        Settings.from_env("gateway", env={}, mongo_url="mongodb://127.0.0.1:1/")
    )
    return create_app(settings).test_client()


def test_docs_page_loads_only_local_assets():
    client = _client()
    page = client.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/static/") for a in assets)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    script = client.get("/static/docs.js").get_data(as_text=True)
    assert 'url: "/openapi.json"' in script


def test_vendored_swagger_ui_keeps_its_licence():
    client = _client()
    assert "Apache License" in client.get("/static/swagger-ui/LICENSE").get_data(as_text=True)
