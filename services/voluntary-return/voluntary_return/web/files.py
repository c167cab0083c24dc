"""Evidence files of an AVRR case (scanned documents): for caseworkers and administrators only."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app

from passage.evidence_files import FileStore, download, read_upload
from passage.web import Blueprint, current_identity
from voluntary_return import handlers
from voluntary_return.domain import CASE_ID, CASE_WRITERS, SENSITIVE_READERS
from voluntary_return.schemas import NoQuerySchema

files = Blueprint(
    "voluntary_return_files",
    __name__,
    url_prefix="/api/v1/voluntary-return",
    description="Evidence files of a case: PDF, JPEG or PNG up to 10 MiB, downloads only.",
)
BUCKET = "evidence_files"


def _case(case_id: str, writing: bool) -> tuple[handlers.Context, str, FileStore]:
    caller = current_identity()
    if caller.role not in ((*CASE_WRITERS, "admin") if writing else SENSITIVE_READERS):
        raise handlers.NotAllowed(f"The role {caller.role} may not handle evidence files.")
    if not CASE_ID.fullmatch(case_id):
        raise handlers.CaseNotFound("There is no such case.")
    deps = current_app.extensions["passage.voluntary_return"]
    context = handlers.Context(caller=caller, now=deps.clock())
    case = handlers.get_case(deps.repository, context, case_id)
    return context, case["_id"], FileStore(deps.mongo.db, BUCKET)


@files.post("/cases/<case_id>/files")
@files.arguments(NoQuerySchema, location="query", as_kwargs=True)
@files.response(201, description="The file's id, sniffed type and size.")
def upload(case_id: str) -> tuple[dict[str, Any], int]:
    """Attach a scanned document (multipart/form-data, part ``file``): PDF, JPEG or PNG by content."""
    context, owner, store = _case(case_id, writing=True)
    return store.put(owner, read_upload(), context.caller.user_id, context.now), 201


@files.get("/cases/<case_id>/files")
@files.arguments(NoQuerySchema, location="query", as_kwargs=True)
@files.response(
    200, description="The evidence files' metadata (id, sniffed type, size, who and when)."
)
def list_files(case_id: str) -> dict[str, Any]:
    """The case's evidence files (metadata only)."""
    _, owner, store = _case(case_id, writing=False)
    return {"items": store.list(owner)}


@files.get("/cases/<case_id>/files/<file_id>")
@files.arguments(NoQuerySchema, location="query", as_kwargs=True)
@files.response(
    200, description="The file as a download (application/pdf, image/jpeg or image/png)."
)
def get_file(case_id: str, file_id: str) -> Response:
    """One evidence file, as a download."""
    _, owner, store = _case(case_id, writing=False)
    meta, data = store.get(owner, file_id)
    return download(meta, data, file_id)
