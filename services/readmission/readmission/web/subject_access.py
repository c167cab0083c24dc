"""Readmission's part of a subject access request: every request and transit request about a person,
with their particulars, and where they are held (administrators only; audited at the gateway)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import current_app

from passage.subject_access import subject_access_blueprint
from passage.web import current_identity
from readmission.domain import views
from readmission.web.api import EXTENSION, PREFIX


def held_about(person_ref: str) -> dict[str, Any]:
    deps, caller = current_app.extensions[EXTENSION], current_identity()
    query = {"person_ref": person_ref}
    found = deps.locations.get_location(person_ref)
    return {
        "requests": [
            views.request_view(d, caller, None)
            for d in deps.repository.page(None, query, None, 1000)
        ],
        "transits": [
            views.transit_view(d, caller, None) for d in deps.transits.page(None, query, None, 1000)
        ],
        "location": asdict(found.location) if found else None,
    }


blueprint = subject_access_blueprint(
    "readmission_subject_access", PREFIX, "readmission", held_about
)
