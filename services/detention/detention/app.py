"""The detention API's Flask factory (``gunicorn "detention.app:create_app()"``); no I/O at
import."""

from __future__ import annotations

from typing import TYPE_CHECKING

from detention.service import SPEC, Deps
from passage import service
from passage.config import Settings

if TYPE_CHECKING:
    from flask import Flask


def create_app(settings: Settings | None = None, deps: Deps | None = None) -> Flask:
    """Build the app; ``deps`` lets tests hand in their own adapters (clock, rules)."""
    return service.create_app(SPEC, settings, deps)
