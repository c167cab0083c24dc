"""The detention API's Flask factory (``gunicorn "detention.app:create_app()"``); no I/O at import."""

from __future__ import annotations

from flask import Flask

from detention import api, bootstrap, moves_api, repository, search
from detention.bootstrap import Deps
from detention.config import SERVICE, load_settings
from passage.config import Settings
from passage.logs import configure_logging
from passage.web import build_app, ensure_indexes_before_first_request


def create_app(settings: Settings | None = None, deps: Deps | None = None) -> Flask:
    """Build the app; ``deps`` lets tests hand in their own adapters (clock, rules)."""
    settings = settings or (deps.settings if deps else load_settings())
    configure_logging(SERVICE, settings.log_level)
    deps = deps or bootstrap.build(settings)
    # The import name of this module, not the package: the editable install makes ``detention``
    # a namespace package, for which Flask cannot find a root path.
    app, smorest = build_app(
        __name__,
        title="Passage detention",
        description="Detention centres, units and stays: who is held where, and free places per unit.",
        max_body_bytes=settings.max_body_bytes,
        internal_secret=settings.internal_token_secret,
        readiness={"mongo": deps.mongo.ping, "broker": deps.publisher.ping},
        idempotency=deps.mongo,
    )
    app.extensions[api.EXTENSION] = deps
    for blueprint in (*api.BLUEPRINTS, *moves_api.BLUEPRINTS, *search.BLUEPRINTS):
        smorest.register_blueprint(blueprint)
    api.register_error_handlers(app)
    ensure_indexes_before_first_request(app, deps.mongo, repository.indexes())
    return app
