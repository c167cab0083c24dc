"""The gateway's Flask app factory: ``gunicorn "gateway.app:create_app()"``. No I/O at import or
build."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, Response, json, request
from pymongo.errors import PyMongoError
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway.admin.admin_api import Admin, admin_blueprint, audit_blueprint
from gateway.auth.api import Auth, auth_blueprint
from gateway.auth.ratelimit import Limit
from gateway.auth.throttle_api import throttle_blueprint
from gateway.bootstrap import GatewayDeps, build_deps
from gateway.composition.views_api import Views, views_blueprint
from gateway.config import GatewaySettings, gateway_settings, load_settings
from gateway.edge.docs import docs_blueprint
from gateway.edge.openapi import MergedDocument
from gateway.edge.proxy import proxy_blueprint
from gateway.ui import register_ui
from passage.config import Settings
from passage.logs import configure_logging
from passage.problems import Unavailable
from passage.web import build_app

DESCRIPTION = (
    "Passage's single entry point. Sign in at /api/v1/auth/login, then send "
    "'Authorization: Bearer <access_token>' with every call to /api/v1/detention/…, "
    "/api/v1/readmission/… and /api/v1/voluntary-return/…."
)


def create_app(settings: Settings | None = None, deps: GatewayDeps | None = None) -> Flask:
    """Build the gateway; ``settings``/``deps`` let tests point it at their own servers."""
    settings = _gateway_settings(settings)
    configure_logging("gateway", settings.log_level)
    deps = deps or build_deps(settings)
    # The module name, not "gateway": with the repository root on sys.path, "gateway" can
    # resolve to a namespace package without a file, where Flask finds no root path.
    app, api = build_app(
        __name__,
        title="Passage API",
        description=DESCRIPTION,
        max_body_bytes=settings.max_body_bytes,
        readiness={
            "mongo": deps.mongo.ping,
            **{name: _upstream_check(deps, name) for name in deps.upstreams.urls},
        },
    )
    _prepare_database(app, deps)
    window = settings.rate_window_seconds
    api.register_blueprint(
        auth_blueprint(
            Auth(
                sign_in=deps.sign_in,
                users=deps.users,
                keys=deps.keys,
                refresh=deps.refresh,
                guard=deps.guard,
                ttl_seconds=settings.access_token_ttl_seconds,
                login_ip_limit=Limit(settings.login_ip_limit, window),
                login_user_limit=Limit(settings.login_user_limit, window),
            )
        )
    )
    api.register_blueprint(
        admin_blueprint(Admin(deps.guard, deps.users, deps.sign_in.passwords, deps.refresh))
    )
    api.register_blueprint(audit_blueprint(deps.guard))
    api.register_blueprint(throttle_blueprint(deps.guard, deps.sign_in.throttle))
    api.register_blueprint(
        views_blueprint(
            Views(
                deps.guard,
                deps.upstreams,
                settings.internal_token_secret,
                deps.mongo,
                settings.internal_token_ttl_seconds,
                settings.timeline_timeout,
            )
        )
    )
    app.register_blueprint(
        proxy_blueprint(
            deps.upstreams,
            deps.guard,
            settings.internal_token_secret,
            settings.internal_token_ttl_seconds,
        )
    )
    app.register_blueprint(docs_blueprint())
    docs = MergedDocument(
        api.spec.to_dict,
        lambda name: deps.upstreams.fetch_json(name, "/openapi.json"),
        list(deps.upstreams.urls),
        ttl=settings.openapi_cache_seconds,
    )
    app.view_functions["api-docs.openapi_json"] = lambda: _json(docs.get())
    app.extensions["passage_gateway"] = deps
    register_ui(app, deps, settings)
    _trust_proxies(app, settings.trusted_proxies)
    return app


def _trust_proxies(app: Flask, hops: int) -> None:
    """Take the client's address from the last ``hops`` X-Forwarded-For entries (the edge's own).

    Off (0) in the embedded default, where nothing is in front and a client could otherwise
    choose the address the per-client sign-in limits count; 1 behind the compose edge (nginx).
    """
    if hops > 0:
        # Flask's documented way to wrap the WSGI app (mypy sees a method being replaced).
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops
        )


def _prepare_database(app: Flask, deps: GatewayDeps) -> None:
    """Indexes before the first API request of each process; 503 (retried) while MongoDB is away."""

    @app.before_request
    def _indexes() -> None:
        if request.path.startswith("/api/"):
            try:
                deps.ensure_indexes()
            except PyMongoError:
                raise Unavailable(
                    "The gateway's database is not reachable yet; try again shortly."
                ) from None


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
