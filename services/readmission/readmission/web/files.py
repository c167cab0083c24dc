"""Evidence files of a readmission request (scanned passports, statements): uploaded and downloaded
by liaison officers whose member states the request lies in, and administrators; never auditors."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app

from passage.evidence_files import FileStore, download, read_upload
from passage.problems import Forbidden
from passage.web import Blueprint
from readmission.domain.views import PARTICULAR_READERS
from readmission.handlers import requests as handlers
from readmission.web.api import ctx, request_id_from
from readmission.web.schemas import NoQuerySchema

files = Blueprint(
    "readmission_files",
    __name__,
    url_prefix="/api/v1/readmission",
    description="Evidence files of a request: PDF, JPEG or PNG up to 10 MiB, downloads only.",
)
BUCKET = "evidence_files"


def _request(request_id: str, writing: bool) -> tuple[handlers.Context, str, FileStore]:
    """The caller's context, the request's id (404 outside the caller's scope) and the file store."""
    context = ctx()
    if context.caller.role not in (
        handlers.WRITERS + ("admin",) if writing else PARTICULAR_READERS
    ):
        raise Forbidden("Your role does not allow evidence files.")
    deps = current_app.extensions["passage.readmission"]
    doc = handlers.get_request(deps.repository, context, request_id_from(request_id))
    return context, doc["_id"], FileStore(deps.mongo.db, BUCKET)


@files.post("/requests/<request_id>/files")
@files.arguments(NoQuerySchema, location="query", as_kwargs=True)
@files.response(201, description="The file's id, sniffed type and size.")
def upload(request_id: str) -> tuple[dict[str, Any], int]:
    """Attach a scanned document (multipart/form-data, part ``file``): PDF, JPEG or PNG by content."""
    context, owner, store = _request(request_id, writing=True)
    return store.put(owner, read_upload(), context.caller.user_id, context.now), 201


@files.get("/requests/<request_id>/files")
@files.arguments(NoQuerySchema, location="query", as_kwargs=True)
@files.response(
    200, description="The evidence files' metadata (id, sniffed type, size, who and when)."
)
def list_files(request_id: str) -> dict[str, Any]:
    """The request's evidence files (metadata only)."""
    _, owner, store = _request(request_id, writing=False)
    return {"items": store.list(owner)}


@files.get("/requests/<request_id>/files/<file_id>")
@files.arguments(NoQuerySchema, location="query", as_kwargs=True)
@files.response(
    200, description="The file as a download (application/pdf, image/jpeg or image/png)."
)
def get_file(request_id: str, file_id: str) -> Response:
    """One evidence file, as a download."""
    _, owner, store = _request(request_id, writing=False)
    meta, data = store.get(owner, file_id)
    return download(meta, data, file_id)
