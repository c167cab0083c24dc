"""Evidence files of an AVRR case (scanned documents): uploaded by caseworkers and
administrators, listed and downloaded by them only (never auditors); the routes are the shared
``passage.evidence_files.files_blueprint``."""

from __future__ import annotations

from passage.errors import NotFoundError
from passage.evidence_files import Owner, files_blueprint
from voluntary_return import handlers
from voluntary_return.domain.vocabulary import CASE_ID, CASE_WRITERS, SENSITIVE_READERS
from voluntary_return.web.common import PREFIX, context, deps
from voluntary_return.web.schemas import NoQuerySchema


def case_owner(case_id: str) -> Owner:
    """The case the files belong to (404 for a malformed or unknown id)."""
    if not CASE_ID.fullmatch(case_id):
        raise NotFoundError("There is no such case.")
    acting = context()
    return Owner(handlers.get_case(deps().repository, acting, case_id)["_id"], acting)


files = files_blueprint(
    "voluntary_return_files",
    url_prefix=PREFIX,
    record_path="/cases/<case_id>",
    record="case",
    query_schema=NoQuerySchema,
    writers=(*CASE_WRITERS, "admin"),
    readers=SENSITIVE_READERS,
    find_owner=case_owner,
    store=lambda: deps().evidence_files(),
    forbidden=handlers.FORBIDDEN,
)
