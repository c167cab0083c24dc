"""Readmission's worklist, statistics and protocol-registry endpoints: load → handler → dump."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from flask import current_app
from marshmallow import Schema, fields

from passage.problems import Conflict, Forbidden, NotFound
from passage.web import Blueprint, current_identity, etag, expected_version
from readmission.domain import protocols, statistics
from readmission.handlers import requests as handlers
from readmission.web import api, schemas

if TYPE_CHECKING:
    from readmission.adapters.protocols import ProtocolStore

PREFIX = api.PREFIX
Result = tuple[Any, int, dict[str, str]]
_DUE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_STATE = re.compile(r"^[A-Z]{2}$", re.ASCII)
_SLOT = re.compile(r"^\d{2}$", re.ASCII)
_DEADLINE_ID = re.compile(r"^[0-9a-f-]{36}:[a-z_]{1,20}$", re.ASCII)
STATISTICS_READERS = ("auditor", "system")  # admin always passes; partners go through the gateway
PROTOCOL_READERS = ("liaison_officer", "auditor", "system")

work = Blueprint(
    "readmission_worklist",
    __name__,
    url_prefix=PREFIX,
    description="Every open legal deadline in the caller's scope, overdue first.",
)
reports = Blueprint(
    "readmission_statistics",
    __name__,
    url_prefix=PREFIX,
    description="Monthly statistics per member state for the joint readmission committee.",
)
registry = Blueprint(
    "readmission_protocols",
    __name__,
    url_prefix=PREFIX,
    description="Implementing protocols per member state (and Norway), "
    "versioned with effective dates.",
)


WorklistItemSchema = Schema.from_dict(
    {
        name: fields.Raw()
        for name in (
            "request_id",
            "deadline",
            "member_state",
            "direction",
            "state",
            "person_ref",
            "due_on",
            "rule_unit",
            "rule_amount",
            "rule_version",
            "source",
            "unverified",
            "time_left",
            "time_left_unit",
            "overdue",
            "resource",
        )
    },
    name="WorklistItem",
)


class WorklistSchema(Schema):
    items = fields.List(fields.Nested(WorklistItemSchema))
    next_cursor = fields.String(allow_none=True)
    today = fields.String()


@work.get("/worklist")
@work.doc(operationId="get_readmission_worklist")
@work.arguments(schemas.PageQuerySchema, location="query", as_kwargs=True)
@work.response(200, WorklistSchema)
def get_worklist(limit: int, cursor: str | None = None) -> dict[str, Any]:
    """Open deadlines, soonest first.

    ``time_left`` is in the rule's own unit (working or calendar days)."""
    parts = api.cursor_parts(
        cursor, 4, (_DUE, _STATE, _SLOT, _DEADLINE_ID)
    )  # bucket (3 parts) and entry id
    after = ("|".join(parts[:3]), parts[3]) if parts else None
    context = api.ctx()
    items, last = handlers.worklist(
        current_app.extensions[api.EXTENSION].repository, context, after, limit
    )
    return {
        "items": items,
        "next_cursor": schemas.encode_cursor(*last) if last else None,
        "today": context.today.isoformat(),
    }


class StatisticsSchema(Schema):
    month = fields.String()
    rows = fields.List(fields.Dict())


@reports.get("/statistics")
@reports.doc(operationId="get_readmission_statistics")
@reports.arguments(schemas.MonthQuerySchema, location="query", as_kwargs=True)
@reports.response(200, StatisticsSchema)
def get_statistics(month: str) -> dict[str, Any]:
    """Raw counts per member state for ``month`` (YYYY-MM), from the read model."""
    context = api.ctx()
    if not context.caller.has_role(*STATISTICS_READERS):
        raise Forbidden("Your role does not allow this action.")
    docs = current_app.extensions[api.EXTENSION].repository.statistics(month)
    return {"month": month, "rows": [statistics.row(doc) for doc in docs]}


ProtocolSchema = Schema.from_dict(
    {name: fields.Raw() for name in ("member_state", "version", "current", "versions")},
    name="Protocol",
)


class ProtocolListSchema(Schema):
    items = fields.List(fields.Nested(ProtocolSchema))


def _store() -> ProtocolStore:
    return current_app.extensions[api.EXTENSION].protocols


def _view(doc: dict[str, Any]) -> dict[str, Any]:
    from readmission.domain.views import json_ready

    today = api.ctx().today
    return json_ready(
        {
            "member_state": doc["_id"],
            "version": doc["version"],
            "current": protocols.current_version(doc, today),
            "versions": doc.get("versions", []),
        }
    )


def _code(raw: str) -> str:
    if raw not in protocols.PROTOCOL_STATES:
        raise NotFound("Not a state with a readmission agreement with Azerbaijan.")
    return raw


@registry.get("/protocols")
@registry.arguments(schemas.NoQuerySchema, location="query", as_kwargs=True)
@registry.response(200, ProtocolListSchema)
def list_protocols() -> dict[str, Any]:
    """All member states' protocols with the version in force today."""
    _require_reader()
    return {"items": [_view(doc) for doc in _store().all()]}


@registry.get("/protocols/<member_state>")
@registry.arguments(schemas.NoQuerySchema, location="query", as_kwargs=True)
@registry.response(200, ProtocolSchema)
def get_protocol(member_state: str) -> Result:
    """One member state's implementing protocol with the version in force today.

    The ETag is its version."""
    _require_reader()
    doc = _store().get(_code(member_state))
    if doc is None:
        raise NotFound("This member state's protocol is not seeded yet.")
    return _view(doc), 200, {"ETag": etag(doc["version"])}


@registry.post("/protocols/<member_state>/versions")
@registry.arguments(schemas.ProtocolVersionSchema)
@registry.arguments(schemas.NoQuerySchema, location="query", as_kwargs=True)
@registry.response(201, ProtocolSchema)
def add_protocol_version(body: dict[str, Any], member_state: str) -> Result:
    """Record a new version from its effective date (administrators; send If-Match)."""
    context = api.ctx()
    if context.caller.role != "admin":
        raise Forbidden("Only administrators change the protocol registry.")
    code = _code(member_state)
    current = _store().get(code)
    if current is None:
        raise NotFound("This member state's protocol is not seeded yet.")
    expected = expected_version(current["version"], required=True)
    version = {
        **handlers.plain(body),
        "recorded_at": context.now,
        "recorded_by": context.caller.user_id,
    }
    doc = _store().add_version(code, expected, version)
    if doc is None:
        raise Conflict("The protocol changed meanwhile; read it again.")
    return _view(doc), 201, {"ETag": etag(doc["version"])}


def _require_reader() -> None:
    if not current_identity().has_role(*PROTOCOL_READERS):
        raise Forbidden("Your role does not allow this action.")
