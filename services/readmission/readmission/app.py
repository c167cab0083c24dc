"""The readmission API's Flask factory (``gunicorn "readmission.app:create_app()"``); no I/O at import."""

from __future__ import annotations

from flask import Flask

from passage.config import Settings
from passage.logs import configure_logging
from passage.web import build_app, ensure_indexes_before_first_request
from readmission.web import annexes
from readmission.web import api
from readmission.web import api_law
from readmission.web import api_registry
from readmission.web import api_transits
from readmission import service as bootstrap
from readmission.web import files
from readmission.adapters import repository
from readmission.web import search
from readmission.web import subject_access
from readmission.service import Deps
from readmission.config import SERVICE, load_settings


def create_app(settings: Settings | None = None, deps: Deps | None = None) -> Flask:
    """Build the app; ``deps`` lets tests hand in their own adapters."""
    settings = settings or (deps.settings if deps else load_settings())
    configure_logging(SERVICE, settings.log_level)
    deps = deps or bootstrap.build(settings)
    app, smorest = build_app(
        __name__,
        title="Passage readmission",
        description="EU readmission requests, deadlines, protocols and statistics.",
        max_body_bytes=settings.max_body_bytes,
        internal_secret=settings.internal_token_secret,
        readiness={"mongo": deps.mongo.ping, "broker": deps.publisher.ping},
        idempotency=deps.mongo,
    )
    app.extensions[api.EXTENSION] = deps
    for blueprint in (
        api.locations,
        api.requests_bp,
        api_transits.transits_bp,
        api_registry.work,
        api_registry.reports,
        api_registry.registry,
        api_law.law,
        subject_access.blueprint,
        search.persons,
        annexes.annexes,
        files.files,
    ):
        smorest.register_blueprint(blueprint)
    ensure_indexes_before_first_request(app, deps.mongo, repository.indexes())
    return app
