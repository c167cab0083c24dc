"""The voluntary-return API's Flask factory (``gunicorn "voluntary_return.app:create_app()"``);
no I/O at import."""

from __future__ import annotations

from flask import Flask

from passage import service
from passage.config import Settings
from voluntary_return.service import SPEC, Deps


def create_app(settings: Settings | None = None, deps: Deps | None = None) -> Flask:
    """Build the app; ``deps`` lets tests hand in their own adapters."""
    return service.create_app(SPEC, settings, deps)
