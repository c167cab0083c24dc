"""Evidence files of a readmission request (scanned passports, statements): uploaded and downloaded
by liaison officers whose member states the request lies in, and administrators; never auditors.
The routes are the shared ``passage.evidence_files.files_blueprint``."""

from __future__ import annotations

from passage.evidence_files import Owner, files_blueprint
from readmission.domain.views import PARTICULAR_READERS
from readmission.handlers import requests as handlers
from readmission.web.api import ctx, request_id_from, service_deps
from readmission.web.schemas import NoQuerySchema


def request_owner(request_id: str) -> Owner:
    """The request the files belong to (404: a malformed id, or one outside the caller's scope)."""
    context = ctx()
    doc = handlers.get_request(service_deps().repository, context, request_id_from(request_id))
    return Owner(doc["_id"], context)


files = files_blueprint(
    "readmission_files",
    url_prefix="/api/v1/readmission",
    record_path="/requests/<request_id>",
    record="request",
    query_schema=NoQuerySchema,
    writers=(*handlers.WRITERS, "admin"),
    readers=PARTICULAR_READERS,
    find_owner=request_owner,
    store=lambda: service_deps().evidence_files(),
)
