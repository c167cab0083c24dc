"""The readmission API's Flask factory (``gunicorn "readmission.app:create_app()"``); no I/O at
import."""

from __future__ import annotations

from flask import Flask

from passage import service
from passage.config import Settings
from readmission.service import SPEC, Deps


def create_app(settings: Settings | None = None, deps: Deps | None = None) -> Flask:
    """Build the app; ``deps`` lets tests hand in their own adapters."""
    return service.create_app(SPEC, settings, deps)
