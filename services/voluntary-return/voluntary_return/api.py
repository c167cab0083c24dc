"""Voluntary return's HTTP endpoints: load → handler → dump, roles checked here; no business logic."""
from __future__ import annotations

from flask import current_app

from passage.locations import Locations
from passage.locations_api import location_blueprint

from voluntary_return.bootstrap import Deps
from voluntary_return.domain import LOCATION_READERS

EXTENSION = "passage.voluntary_return"


def _locations() -> Locations:
    deps: Deps = current_app.extensions[EXTENSION]
    return deps.locations


locations = location_blueprint("voluntary_return_locations", "/api/v1/voluntary-return", "Where people in assisted voluntary return are held (fed by detention events).", LOCATION_READERS, _locations)
