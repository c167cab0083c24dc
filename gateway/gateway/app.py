"""The gateway's Flask app factory: ``gunicorn "gateway.app:create_app()"``. No I/O at import or build."""
from __future__ import annotations

import os
from typing import Any

from flask import Flask, Response, json

from passage.config import Settings
from passage.logs import configure_logging
from passage.web import build_app

from gateway.api import auth_blueprint
from gateway.bootstrap import GatewayDeps, build_deps
from gateway.config import GatewaySettings, gateway_settings, load_settings
from gateway.openapi import MergedDocument
from gateway.proxy import proxy_blueprint

DESCRIPTION = ("Passage's single entry point. Sign in at /api/v1/auth/login, then send "
               "'Authorization: Bearer <access_token>' with every call to /api/v1/detention/…, "
               "/api/v1/readmission/… and /api/v1/voluntary-return/….")


def create_app(settings: Settings | None = None, deps: GatewayDeps | None = None) -> Flask:
    """Build the gateway; ``settings``/``deps`` let tests point it at their own servers."""
    settings = _gateway_settings(settings)
    configure_logging("gateway", settings.log_level)
    deps = deps or build_deps(settings)
    # The module name, not "gateway": with the repository root on sys.path, "gateway" can
    # resolve to a namespace package without a file, where Flask finds no root path.
    app, api = build_app(
        __name__, title="Passage API", description=DESCRIPTION, max_body_bytes=settings.max_body_bytes,
        readiness={"mongo": deps.mongo.ping,
                   **{name: _upstream_check(deps, name) for name in deps.upstreams.urls}},
    )
    api.register_blueprint(auth_blueprint(deps.sign_in, deps.keys, settings.access_token_ttl_seconds,
                                          prepare=deps.ensure_indexes))
    app.register_blueprint(proxy_blueprint(deps.upstreams, deps.keys, settings.internal_token_secret,
                                           settings.internal_token_ttl_seconds))
    docs = MergedDocument(api.spec.to_dict, lambda name: deps.upstreams.fetch_json(name, "/openapi.json"),
                          list(deps.upstreams.urls), ttl=settings.openapi_cache_seconds)
    app.view_functions["api-docs.openapi_json"] = lambda: _json(docs.get())
    app.extensions["passage_gateway"] = deps
    return app


def _gateway_settings(settings: Settings | None) -> GatewaySettings:
    """Settings as given; plain shared ``Settings`` get the gateway's own from the environment."""
    if settings is None:
        return load_settings()
    if isinstance(settings, GatewaySettings):
        return settings
    return gateway_settings(settings, os.environ)


def _upstream_check(deps: GatewayDeps, name: str) -> Any:
    return lambda: deps.upstreams.healthy(name)


def _json(document: dict[str, Any]) -> Response:
    return Response(json.dumps(document), mimetype="application/json")
