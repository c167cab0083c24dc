"""Evidence files and the official forms as downloads: readmission requests' (liaison officers)
and voluntary-return cases' (caseworkers; administrators for both).

Uploads are passed on to the service one file at a time as the multipart body its API
takes; the service sniffs the content and keeps the file (GridFS). Downloads are relayed as the
service sent them (an attachment, ``nosniff``, never cached). Both go through the same route table,
signed identity and audit as every other UI call (:meth:`gateway.ui.client.Backend.send`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from flask_babel import gettext as _
from urllib3 import encode_multipart_formdata
from werkzeug.wrappers import Response as ResponseBase

from gateway.ui.client import Answer
from gateway.ui.web import identity, safe_id, signed_in, ui, unavailable
from gateway.ui.words import general_messages
from passage.evidence_files import MAX_BYTES

R = "/api/v1/readmission"
V = "/api/v1/voluntary-return"
FILES_AT_ONCE = 5
UPLOAD_LIMIT = FILES_AT_ONCE * MAX_BYTES + 64 * 1024  # the files of one form and their envelope
UPLOADS = ("ui.request_files", "ui.case_files")  # endpoints whose bodies may be that large
RELAYED = ("Content-Disposition", "X-Content-Type-Options")


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/requests/<request_id>/annex5.pdf", "annex5", annex5)
    blp.add_url_rule("/transits/<transit_id>/annex6.pdf", "annex6", annex6)
    blp.add_url_rule(
        "/requests/<request_id>/files", "request_files", upload_files, methods=["POST"]
    )
    blp.add_url_rule("/requests/<request_id>/files/<file_id>", "request_file", download_file)
    blp.add_url_rule("/cases/<case_id>/summary.pdf", "case_summary", case_summary)
    blp.add_url_rule("/cases/<case_id>/files", "case_files", upload_case_files, methods=["POST"])
    blp.add_url_rule("/cases/<case_id>/files/<file_id>", "case_file", download_case_file)


@signed_in("liaison_officer")
def annex5(request_id: str) -> Any:
    """The readmission application (Annex 5) filled from the request, as the service prints it."""
    what = _("The readmission application")
    return _relay(f"{R}/requests/{safe_id(request_id)}/annex5.pdf", what)


@signed_in("liaison_officer")
def annex6(transit_id: str) -> Any:
    """The transit application (Annex 6) filled from the transit request."""
    return _relay(f"{R}/transits/{safe_id(transit_id)}/annex6.pdf", _("The transit application"))


@signed_in("liaison_officer")
def download_file(request_id: str, file_id: str) -> Any:
    return _relay(
        f"{R}/requests/{safe_id(request_id)}/files/{safe_id(file_id)}", _("This evidence file")
    )


@signed_in("avr_caseworker")
def case_summary(case_id: str) -> Any:
    """The AVRR case summary for IOM, as the voluntary-return service prints it."""
    return _relay(f"{V}/cases/{safe_id(case_id)}/summary.pdf", _("The case summary"))


@signed_in("avr_caseworker")
def download_case_file(case_id: str, file_id: str) -> Any:
    return _relay(f"{V}/cases/{safe_id(case_id)}/files/{safe_id(file_id)}", _("This evidence file"))


def _relay(path: str, what: str) -> Response:
    """A service's download passed on with its type and disposition; a refusal as a page."""
    sent = ui().backend.send(identity(), "GET", path)
    if isinstance(sent, Answer):
        return unavailable(sent, what)
    if not 200 <= sent.status_code < 300:
        return unavailable(Answer(sent.status_code, _json(sent)), what)
    response = Response(sent.content, mimetype=sent.headers.get("Content-Type"))
    for name in RELAYED:
        if name in sent.headers:
            response.headers[name] = sent.headers[name]
    response.headers.setdefault("Content-Disposition", "attachment")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return {}


@signed_in("liaison_officer")
def upload_files(request_id: str) -> Any:
    """Attach the chosen documents to a readmission request."""
    from gateway.ui.pages_readmission import request_view  # the request page shows a refusal

    request_id = safe_id(request_id)
    return _upload(
        f"{R}/requests/{request_id}/files",
        lambda **refused: request_view(request_id, **refused),
        lambda count: url_for("ui.request_page", request_id=request_id, attached=count),
        _("This request"),
    )


@signed_in("avr_caseworker")
def upload_case_files(case_id: str) -> Any:
    """Attach the chosen documents to a voluntary-return case."""
    from gateway.ui.pages_return import case_view  # the case page shows a refusal

    case_id = safe_id(case_id)
    return _upload(
        f"{V}/cases/{case_id}/files",
        lambda **refused: case_view(case_id, **refused),
        lambda count: url_for("ui.case_page", case_id=case_id, attached=count),
        _("This case"),
    )


def _upload(
    path: str,
    page: Callable[..., Response],
    done: Callable[[int], str],
    what: str,
) -> ResponseBase:
    """Pass the chosen files on one by one; the first refusal stops and is shown at the form."""
    parts = [p for p in request.files.getlist("file") if p.filename]
    if not parts:
        return page(status=422, form="files", general=[_("Choose at least one file.")])
    if len(parts) > FILES_AT_ONCE:
        return page(
            status=422,
            form="files",
            general=[_("Attach at most %(count)s files at once.", count=FILES_AT_ONCE)],
        )
    for attached, part in enumerate(parts):
        data = part.stream.read(MAX_BYTES + 1)
        # The name and declared type are not passed on: the service judges the content only.
        body, content_type = encode_multipart_formdata(
            {"file": ("document", data, "application/octet-stream")}
        )
        answer = _answer(
            ui().backend.send(identity(), "POST", path, data=body, content_type=content_type)
        )
        if not answer.ok:
            if answer.status in (403, 404):
                return unavailable(answer, what)
            said = _("%(name)s was not attached.", name=part.filename)
            before = [_("Attached before it: %(count)s.", count=attached)] if attached else []
            return page(
                status=answer.status,
                form="files",
                general=[said, *general_messages(answer.body, answer.detail), *before],
            )
    return redirect(done(len(parts)), code=303)


def _answer(sent: Answer | Any) -> Answer:
    return sent if isinstance(sent, Answer) else Answer(sent.status_code, _json(sent))
