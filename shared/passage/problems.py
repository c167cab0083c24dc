"""RFC 9457 problem details: the one mapper from errors to ``application/problem+json``.

Domain and handler code raise :class:`Problem` subclasses (or domain errors the service maps
to them); this module turns every error path Flask can take into a problem response.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from passage import logs
from passage.errors import DomainError, ErrorTable, status_and_slug

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://passage.example/problems/"

_TITLES = {
    400: "Malformed request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Validation failed",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}
_SLUGS = {
    400: "malformed-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "too-large",
    415: "unsupported-media-type",
    422: "validation",
    428: "precondition-required",
    429: "rate-limited",
    500: "internal",
    502: "bad-gateway",
    503: "unavailable",
    504: "gateway-timeout",
}


class Problem(Exception):
    """An error that is the client's to see: status, short title, human detail, extras."""

    status = 500
    slug: str | None = None

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        slug: str | None = None,
        errors: Iterable[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status or self.status
        self.slug = slug or self.slug or _SLUGS.get(self.status, "error")
        self.errors = list(errors or [])
        self.headers = headers or {}
        self.extra = extra


class BadRequest(Problem):
    status = 400


class Unauthenticated(Problem):
    status = 401


class Forbidden(Problem):
    status = 403


class NotFound(Problem):
    status = 404


class Conflict(Problem):
    status = 409


class PreconditionFailed(Problem):
    status = 412


class PreconditionRequired(Problem):
    status = 428


class Unprocessable(Problem):
    status = 422


class Unavailable(Problem):
    """A store the answer needs cannot be reached: 503, and ``Retry-After`` so that clients try
    again shortly instead of giving up."""

    status = 503

    def __init__(self, detail: str, *, retry_after: int = 5, **extra: Any) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)}, **extra)


def problem_response(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """Build the response body every error in Passage has."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + (slug or _SLUGS.get(status, "error")),
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.path if request else None,
        "correlation_id": logs.correlation_id.get() or logs.request_id.get(),
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def marshmallow_pointers(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Flatten marshmallow's nested error dict into JSON-pointer entries."""
    out: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            # RFC 6901: "~" and "/" inside a member name are escaped (unknown fields come from
            # clients).
            token = str(key).replace("~", "~0").replace("/", "~1")
            pointer = prefix if key == "_schema" else f"{prefix}/{token}"
            out.extend(marshmallow_pointers(value, pointer))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out.extend({"pointer": prefix or "/", "detail": m} for m in messages)
    elif isinstance(messages, list):
        for item in messages:
            out.extend(marshmallow_pointers(item, prefix))
    else:
        out.append({"pointer": prefix or "/", "detail": str(messages)})
    return out


def _validation_errors(exc: HTTPException) -> list[dict[str, str]] | None:
    """webargs/flask-smorest attach marshmallow messages keyed by location (json, query...)."""
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if not messages:
        return None
    errors: list[dict[str, str]] = []
    for location, fields_ in messages.items():
        prefix = "" if location in ("json", "form") else f"/{location}"
        errors.extend(marshmallow_pointers(fields_, prefix))
    return errors


def register_problem_handlers(app: Flask) -> None:
    """Make every error path of ``app`` answer with problem+json."""

    @app.errorhandler(Problem)
    def _problem(exc: Problem) -> Response:
        return problem_response(
            exc.status,
            exc.detail,
            slug=exc.slug,
            errors=exc.errors,
            headers=exc.headers,
            **exc.extra,
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        errors = _validation_errors(exc)
        if status == 400:
            detail = "The request body is not valid JSON or the request is malformed."
        elif status == 422:
            detail = "The request does not match the expected schema."
        elif status == 413:
            detail = "The request body is larger than this endpoint accepts."
        else:
            detail = exc.description or _TITLES.get(status, "Error")
        headers = {}
        valid_methods = getattr(exc, "valid_methods", None)
        if status == 405 and valid_methods:
            headers["Allow"] = ", ".join(valid_methods)
        return problem_response(status, detail, errors=errors, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error", extra={"path": request.path})
        return problem_response(
            500, "An unexpected error occurred. Quote the correlation id when reporting it."
        )


#: Titles of refusals whose slug says more than the status's title ("Validation failed").
_REFUSAL_TITLES = {"rule-refused": "Refused by a rule"}


def register_error_table(app: Flask, table: ErrorTable) -> None:
    """Answer the service's domain refusals through its one ``{Error: (status, slug)}`` table.

    The most specific class wins (see :func:`passage.errors.status_and_slug`); ``field`` becomes
    a JSON pointer (saying ``field_detail`` when given, else ``detail``), the error's ``title``
    replaces the status's, ``extra`` become members of the problem, and ``rule`` names the rule.
    """

    @app.errorhandler(DomainError)
    def _refused(exc: DomainError) -> Response:
        status, slug = status_and_slug(exc, table)
        extra = dict(exc.extra)
        pointer = "/" + exc.field.replace(".", "/") if exc.field else None
        errors = (
            [{"pointer": pointer, "detail": exc.field_detail or exc.detail}] if pointer else None
        )
        if exc.rule:
            extra.setdefault("rule", exc.rule)
        title = exc.title or _REFUSAL_TITLES.get(slug)
        return problem_response(status, exc.detail, slug=slug, title=title, errors=errors, **extra)
