"""The readmission API's Flask factory (``gunicorn "readmission.app:create_app()"``); no I/O at import."""
from __future__ import annotations

from flask import Flask
from pymongo.errors import PyMongoError

from passage.config import Settings
from passage.logs import configure_logging
from passage.problems import Problem
from passage.web import before_first_request, build_app

from readmission import api, bootstrap, repository
from readmission.bootstrap import Deps
from readmission.config import SERVICE, load_settings


def create_app(settings: Settings | None = None, deps: Deps | None = None) -> Flask:
    """Build the app; ``deps`` lets tests hand in their own adapters."""
    settings = settings or (deps.settings if deps else load_settings())
    configure_logging(SERVICE, settings.log_level)
    deps = deps or bootstrap.build(settings)
    app, smorest = build_app(
        __name__, title="Passage readmission", description="EU readmission: where each person is held.",
        max_body_bytes=settings.max_body_bytes, internal_secret=settings.internal_token_secret,
        readiness={"mongo": deps.mongo.ping, "broker": deps.publisher.ping},
    )
    app.extensions[api.EXTENSION] = deps
    smorest.register_blueprint(api.locations)
    before_first_request(app, lambda: _ensure_indexes(deps))
    return app


def _ensure_indexes(deps: Deps) -> None:
    try:
        deps.mongo.ensure_indexes(repository.indexes())
    except PyMongoError:
        # Retried on the next request; until then callers get a clear 503, not a 500.
        raise Problem("The database is not reachable yet; try again shortly.", status=503,
                      headers={"Retry-After": "5"}) from None
