"""Evidence files (scanned documents) attached to a record: stored in the service's own MongoDB with
GridFS, accepted only as PDF, JPEG or PNG as their first bytes show (never the name or the declared
Content-Type), at most ``MAX_BYTES``, and served only as downloads that a browser will not render.
:func:`files_blueprint` gives a service its upload, list and download routes under one record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import gridfs
from bson import ObjectId
from flask import Response, request
from pymongo.database import Database

from passage.problems import Forbidden, NotFound, Problem, Unprocessable

if TYPE_CHECKING:
    from marshmallow import Schema

    from passage.context import Context
    from passage.web import Blueprint

MAX_BYTES = 10 * 1024 * 1024
FILE_ID = re.compile(r"^[0-9a-f]{24}\Z")
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


def sniff(data: bytes) -> tuple[str, str] | None:
    """(media type, extension) from the content's magic bytes; None for anything else."""
    return next(((media, ext) for magic, media, ext in SIGNATURES if data.startswith(magic)), None)


def read_upload() -> bytes:
    """The uploaded ``file`` part of a multipart request: 413 when too large, 415 when not
    PDF/JPEG/PNG."""
    request.max_content_length = MAX_BYTES + 64 * 1024  # the multipart envelope around the file
    part = request.files.get("file")
    if part is None:
        raise Unprocessable(
            "Send the document as the multipart/form-data part named file.",
            errors=[{"pointer": "/file", "detail": "Missing."}],
        )
    data = part.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise Problem(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MiB.", status=413)
    if sniff(data) is None:
        raise Problem(
            "Only PDF, JPEG and PNG documents are accepted (judged by their content).", status=415
        )
    return data


@dataclass(frozen=True)
class FileStore:
    """One GridFS bucket; every file names the record it belongs to (``owner``)."""

    db: Database
    bucket: str

    def _fs(self) -> gridfs.GridFSBucket:
        return gridfs.GridFSBucket(self.db, bucket_name=self.bucket)

    def put(self, owner: str, data: bytes, uploaded_by: str, now: datetime) -> dict[str, Any]:
        media, ext = sniff(data) or ("application/octet-stream", "bin")
        meta = {
            "owner": owner,
            "media_type": media,
            "uploaded_by": uploaded_by,
            "uploaded_at": now,
            "ext": ext,
        }
        file_id = self._fs().upload_from_stream(f"{owner}.{ext}", data, metadata=meta)
        return view(str(file_id), meta, len(data))

    def list(self, owner: str) -> list[dict[str, Any]]:
        files = (
            self.db[f"{self.bucket}.files"]
            .find({"metadata.owner": owner})
            .sort("_id", 1)
            .limit(200)
        )
        return [view(str(f["_id"]), f["metadata"], f["length"]) for f in files]

    def get(self, owner: str, file_id: str) -> tuple[dict[str, Any], bytes]:
        """The file's metadata and content; 404 unless it exists and belongs to ``owner``."""
        if not FILE_ID.fullmatch(file_id):
            raise NotFound("There is no such file.")
        found = self.db[f"{self.bucket}.files"].find_one(
            {"_id": ObjectId(file_id), "metadata.owner": owner}
        )
        if found is None:
            raise NotFound("There is no such file.")
        return found["metadata"], self._fs().open_download_stream(found["_id"]).read()


def view(file_id: str, meta: dict[str, Any], size: int) -> dict[str, Any]:
    return {
        "id": file_id,
        "media_type": meta["media_type"],
        "size": size,
        "uploaded_by": meta["uploaded_by"],
        "uploaded_at": meta["uploaded_at"].isoformat()
        if isinstance(meta["uploaded_at"], datetime)
        else None,
    }


def download(meta: dict[str, Any], data: bytes, file_id: str) -> Response:
    """A download only: the sniffed type, an attachment, never sniffed or kept by the browser."""
    return Response(
        data,
        mimetype=meta["media_type"],
        headers={
            "Content-Disposition": f'attachment; filename="evidence-{file_id}.{meta["ext"]}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


class Owner(NamedTuple):
    """The record files are attached to, as found for the caller, and the acting context."""

    id: str
    context: Context


def files_blueprint(
    name: str,
    *,
    url_prefix: str,
    record_path: str,
    record: str,
    query_schema: type[Schema],
    writers: Sequence[str],
    readers: Sequence[str],
    find_owner: Callable[[str], Owner],
    store: Callable[[], FileStore],
    forbidden: str = "Your role does not allow evidence files.",
) -> Blueprint:
    """Upload, list and download routes for the evidence files of one kind of record.

    ``record_path`` is the record's path with its one parameter (``/cases/<case_id>``), ``record``
    its name in the users' words (``case``). The caller's role is checked first (``writers`` to
    upload, ``readers`` to list and download; 403 ``forbidden``), then ``find_owner`` turns the
    path's id into the record's id and context, refusing ids that are malformed or out of the
    caller's scope as the service does elsewhere; a file belongs to exactly one record.
    """
    from passage.web import Blueprint, current_identity

    blueprint = Blueprint(
        name,
        __name__,
        url_prefix=url_prefix,
        description=f"Evidence files of a {record}: PDF, JPEG or PNG up to 10 MiB, downloads only.",
    )
    parameter = re.fullmatch(r".*<(?:[^:<>]+:)?([^<>]+)>", record_path)
    if parameter is None:
        raise ValueError(f"{record_path!r} names no path parameter")
    key = parameter.group(1)

    def owner(path: dict[str, str], roles: Sequence[str]) -> Owner:
        if current_identity().role not in roles:
            raise Forbidden(forbidden)
        return find_owner(path[key])

    def upload(**path: str) -> tuple[dict[str, Any], int]:
        found = owner(path, writers)
        caller, now = found.context.caller, found.context.now
        return store().put(found.id, read_upload(), caller.user_id, now), 201

    def list_files(**path: str) -> dict[str, Any]:
        return {"items": store().list(owner(path, readers).id)}

    def get_file(file_id: str, **path: str) -> Response:
        meta, data = store().get(owner(path, readers).id, file_id)
        return download(meta, data, file_id)

    upload.__doc__ = (
        "Attach a scanned document (multipart/form-data, part ``file``): "
        "PDF, JPEG or PNG by content."
    )
    list_files.__doc__ = f"The {record}'s evidence files (metadata only)."
    get_file.__doc__ = "One evidence file, as a download."
    no_query = blueprint.arguments(query_schema, location="query", as_kwargs=True)
    blueprint.post(f"{record_path}/files")(
        no_query(
            blueprint.response(201, description="The file's id, sniffed type and size.")(upload)
        )
    )
    listed = "The evidence files' metadata (id, sniffed type, size, who and when)."
    blueprint.get(f"{record_path}/files")(
        no_query(blueprint.response(200, description=listed)(list_files))
    )
    downloaded = "The file as a download (application/pdf, image/jpeg or image/png)."
    blueprint.get(f"{record_path}/files/<file_id>")(
        no_query(blueprint.response(200, description=downloaded)(get_file))
    )
    return blueprint
