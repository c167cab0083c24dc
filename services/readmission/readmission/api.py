"""Readmission's HTTP endpoints: load → handler → dump, roles checked here; no business logic."""
from __future__ import annotations

from flask import current_app

from passage.locations import Locations
from passage.locations_api import location_blueprint

from readmission.bootstrap import Deps
from readmission.domain import LOCATION_READERS

EXTENSION = "passage.readmission"


def _locations() -> Locations:
    deps: Deps = current_app.extensions[EXTENSION]
    return deps.locations


locations = location_blueprint("readmission_locations", "/api/v1/readmission", "Where people subject to readmission are held (fed by detention events).", LOCATION_READERS, _locations)
