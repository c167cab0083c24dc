"""The voluntary-return API's Flask factory (``gunicorn "voluntary_return.app:create_app()"``); no I/O at import."""

from __future__ import annotations

from flask import Flask

from passage.config import Settings
from passage.logs import configure_logging
from passage.web import build_app, ensure_indexes_before_first_request
from voluntary_return import api, bootstrap, files, repository, search, summary
from voluntary_return.bootstrap import Deps
from voluntary_return.config import SERVICE, load_settings


def create_app(settings: Settings | None = None, deps: Deps | None = None) -> Flask:
    """Build the app; ``deps`` lets tests hand in their own adapters."""
    settings = settings or (deps.settings if deps else load_settings())
    configure_logging(SERVICE, settings.log_level)
    deps = deps or bootstrap.build(settings)
    app, smorest = build_app(
        __name__,
        title="Passage voluntary return",
        description="IOM assisted voluntary return (AVRR): cases from referral to reintegration monitoring.",
        max_body_bytes=settings.max_body_bytes,
        internal_secret=settings.internal_token_secret,
        readiness={"mongo": deps.mongo.ping, "broker": deps.publisher.ping},
        idempotency=deps.mongo,
    )
    app.extensions[api.EXTENSION] = deps
    for blueprint in (*api.BLUEPRINTS, search.persons, summary.summaries, files.files):
        smorest.register_blueprint(blueprint)
    api.register_error_handlers(app)
    ensure_indexes_before_first_request(app, deps.mongo, repository.indexes())
    return app
