"""What every voluntary-return blueprint shares: where the dependencies hang on the app, the
request's ``Context``, and the case id in a path checked before anything is read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app

from passage import logs
from passage.context import Context
from passage.problems import Unprocessable
from passage.web import current_identity
from voluntary_return.domain.vocabulary import CASE_ID

if TYPE_CHECKING:
    from voluntary_return.service import Deps

EXTENSION = "passage.voluntary_return"
PREFIX = "/api/v1/voluntary-return"


def deps() -> Deps:
    """The service's dependencies (built by ``service.build_deps`` or handed in by a test)."""
    found: Deps = current_app.extensions[EXTENSION]
    return found


def context() -> Context:
    """Who asks, now by the service's clock, and the request's correlation id."""
    return Context(
        caller=current_identity(),
        now=deps().clock(),
        correlation_id=logs.correlation_id.get() or logs.request_id.get(),
    )


def case_id_from(value: str) -> str:
    """The case id of a path, refused (422, pointing at it) unless it is a whole case id."""
    if not CASE_ID.fullmatch(value):
        raise Unprocessable(
            "The case_id in the path is not valid.",
            errors=[{"pointer": "/path/case_id", "detail": "Not a case id."}],
        )
    return value
