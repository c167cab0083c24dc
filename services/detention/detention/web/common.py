"""What every detention endpoint shares: the service's dependencies, the caller's context, path
ids matched as whole strings, pages and created answers. Imports no adapter."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

from flask import current_app

from detention.handlers.common import Page
from passage import logs
from passage.context import Context
from passage.fields import encode_cursor
from passage.problems import Unprocessable
from passage.web import current_identity, etag

if TYPE_CHECKING:
    from detention.service import Deps

EXTENSION = "passage.detention"
PREFIX = "/api/v1/detention"

Result = tuple[Any, int, dict[str, str]]


def service_deps() -> Deps:
    """The service's dependencies the app was built with (``service.Deps``)."""
    return cast("Deps", current_app.extensions[EXTENSION])


def context() -> Context:
    """The verified caller, the service clock's now, and the request's correlation id."""
    return Context(
        caller=current_identity(),
        now=service_deps().clock(),
        correlation_id=logs.correlation_id.get() or logs.request_id.get(),
    )


def path_id(name: str, value: str, pattern: re.Pattern[str]) -> str:
    """A path id matched whole against its format, or a 422 pointing at it."""
    if not pattern.fullmatch(value):
        raise Unprocessable(
            f"The {name} in the path is not valid.",
            errors=[{"pointer": f"/path/{name}", "detail": "Not a valid id."}],
        )
    return value


def page(found: Page) -> dict[str, Any]:
    """A page of items with the opaque cursor of the next one."""
    return {
        "items": found.items,
        "next_cursor": encode_cursor(found.last_id) if found.last_id else None,
    }


def created(view: dict[str, Any], location: str) -> Result:
    """201 with the new record's version as ETag and where it lives."""
    return view, 201, {"ETag": etag(view["version"]), "Location": f"{PREFIX}{location}"}
