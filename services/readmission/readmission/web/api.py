"""Readmission's HTTP endpoints: load → handler → dump, no business logic. Roles and scopes are
checked in the handlers; personal data is filtered by the views."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import current_app
from marshmallow import Schema, ValidationError, fields

from passage import logs
from passage.identity import Identity
from passage.locations import Locations
from passage.locations_api import location_blueprint
from passage.problems import Unprocessable, marshmallow_pointers
from passage.web import Blueprint, current_identity, etag, expected_version
from readmission.domain import LOCATION_READERS, views
from readmission.handlers import requests as handlers
from readmission.web import schemas

if TYPE_CHECKING:
    from readmission.service import Deps

EXTENSION = "passage.readmission"
PREFIX = "/api/v1/readmission"
Result = tuple[Any, int, dict[str, str]]

requests_bp = Blueprint(
    "readmission_requests",
    __name__,
    url_prefix=PREFIX,
    description="Readmission requests under the EU–Azerbaijan agreement: "
    "states, evidence, deadlines.",
)


def service_deps() -> Deps:
    return current_app.extensions[EXTENSION]


def _locations() -> Locations:
    return service_deps().locations


def _in_scope(caller: Identity, person_ref: str) -> bool:
    return handlers.has_record_in_scope(service_deps().repository, caller, person_ref)


locations = location_blueprint(
    "readmission_locations",
    PREFIX,
    "Where people subject to readmission are held (fed by detention events).",
    LOCATION_READERS,
    _locations,
    _in_scope,
)


def ctx() -> handlers.Context:
    return handlers.Context(
        caller=current_identity(),
        now=service_deps().clock(),
        correlation_id=logs.correlation_id.get() or logs.request_id.get(),
    )


def request_id_from(raw: str) -> str:
    if not schemas.REQUEST_ID.fullmatch(raw):
        raise Unprocessable(
            "The request id in the path is not valid.",
            errors=[{"pointer": "/path/request_id", "detail": "Not a request id."}],
        )
    return raw


def cursor_parts(
    cursor: str | None, parts: int, patterns: tuple[Any, ...]
) -> tuple[str, ...] | None:
    try:
        return schemas.decode_cursor(cursor, parts, patterns)
    except ValidationError as exc:
        raise Unprocessable(
            "The cursor is not valid.", errors=marshmallow_pointers(exc.messages, "/query")
        ) from None


RequestViewSchema = Schema.from_dict(
    {name: fields.Raw() for name in views.REQUEST_FIELDS}, name="RequestView"
)


class RequestPageSchema(Schema):
    items = fields.List(fields.Nested(RequestViewSchema))
    next_cursor = fields.String(allow_none=True)


def _one(doc: Any) -> Result:
    view = views.request_view(doc, current_identity(), service_deps().locations)
    return view, 200, {"ETag": etag(view["version"])}


@requests_bp.post("/requests")
@requests_bp.doc(operationId="open_request")
@requests_bp.arguments(schemas.RequestCreateSchema)
@requests_bp.arguments(schemas.NoQuerySchema, location="query", as_kwargs=True)
@requests_bp.response(201, RequestViewSchema)
def create_request(body: dict[str, Any]) -> Result:
    """Open a draft request (liaison officers in scope, administrators)."""
    deps = service_deps()
    doc = handlers.create_request(deps.repository, ctx(), body, deps.rules)
    view, _, headers = _one(doc)
    return view, 201, {**headers, "Location": f"{PREFIX}/requests/{doc['_id']}"}


@requests_bp.get("/requests")
@requests_bp.arguments(schemas.RequestQuerySchema, location="query", as_kwargs=True)
@requests_bp.response(200, RequestPageSchema)
def list_requests(limit: int, cursor: str | None = None, **filters: Any) -> dict[str, Any]:
    """Requests in the caller's scope, by id.

    Filter by person_ref, member_state, state, direction."""
    after = cursor_parts(cursor, 1, (schemas.REQUEST_ID,))
    docs = handlers.list_requests(
        service_deps().repository, ctx(), filters, after[0] if after else None, limit
    )
    items = [views.request_view(d, current_identity(), service_deps().locations) for d in docs]
    return {
        "items": items,
        "next_cursor": schemas.encode_cursor(docs[-1]["_id"]) if len(docs) == limit else None,
    }


@requests_bp.get("/requests/<request_id>")
@requests_bp.arguments(schemas.NoQuerySchema, location="query", as_kwargs=True)
@requests_bp.response(200, RequestViewSchema)
def get_request(request_id: str) -> Result:
    """One readmission request in the caller's scope, with its state and running deadlines.

    The ETag is its version."""
    return _one(handlers.get_request(service_deps().repository, ctx(), request_id_from(request_id)))


def _action(path: str, action: str, schema: type[Schema], summary: str) -> Callable[..., Result]:
    """One POST endpoint per action; If-Match (optional) pins the version acted on."""

    def endpoint(body: dict[str, Any], request_id: str) -> Result:
        deps = service_deps()
        rid = request_id_from(request_id)
        doc = handlers.act(
            deps.repository, ctx(), rid, action, body, expected_version(), deps.rules
        )
        return _one(doc)

    endpoint.__name__ = f"{action}_request"
    endpoint.__doc__ = summary
    view = requests_bp.response(200, RequestViewSchema)(endpoint)
    view = requests_bp.alt_response(
        409, description="Not allowed in the request's current state (named in current_state)."
    )(view)
    view = requests_bp.arguments(schemas.NoQuerySchema, location="query", as_kwargs=True)(view)
    view = requests_bp.arguments(schema)(view)
    view = requests_bp.doc(operationId=OPERATION_IDS.get(action, f"{action}_request"))(view)
    return requests_bp.post(f"/requests/<request_id>/{path}")(view)


# operationIds in the users' words where "<action>_request" reads badly
OPERATION_IDS = {
    "request_info": "request_information",
    "add_evidence": "add_evidence",
    "record_travel_document": "record_readmission_travel_document",
    "schedule_transfer": "schedule_transfer",
    "complete_transfer": "complete_transfer",
    "fail_transfer": "record_failed_transfer",
    "take_back": "record_take_back",
}


ACTIONS = [
    (
        "submit",
        "submit",
        schemas.SubmitSchema,
        "Submit (or re-submit after a request for information); starts the reply clock.",
    ),
    (
        "request-info",
        "request_info",
        schemas.ReplySchema,
        "Record the requested state's request for more information (dated).",
    ),
    (
        "accept",
        "accept",
        schemas.ReplySchema,
        "Record an acceptance, dated; starts the transfer and travel-document clocks. "
        "Dated within the reply limit after a deemed acceptance, it reverses it (send a reason).",
    ),
    (
        "reject",
        "reject",
        schemas.RejectSchema,
        "Record a rejection, dated, with its reasons; "
        "within the limit it reverses a deemed acceptance.",
    ),
    (
        "withdraw",
        "withdraw",
        schemas.WithdrawSchema,
        "Withdraw a pending request, with the reason.",
    ),
    (
        "extensions",
        "extend",
        schemas.ExtendSchema,
        "Extend the reply limit on motivated request (up to the rule's ceiling).",
    ),
    (
        "submission-extensions",
        "extend_submission",
        schemas.ObstacleExtensionSchema,
        "Extend the submission limit while legal or practical obstacles last "
        "(reason and new date recorded).",
    ),
    (
        "transfer-extensions",
        "extend_transfer",
        schemas.ObstacleExtensionSchema,
        "Extend the transfer limit while legal or practical obstacles last "
        "(reason and new date recorded).",
    ),
    (
        "evidence",
        "add_evidence",
        schemas.EvidenceSchema,
        "Attach an evidence item; its document type decides proof or prima facie.",
    ),
    (
        "travel-document",
        "record_travel_document",
        schemas.TravelDocumentSchema,
        "Record the travel document issued.",
    ),
    ("transfer-schedule", "schedule_transfer", schemas.ScheduleSchema, "Schedule the transfer."),
    (
        "transfer-completion",
        "complete_transfer",
        schemas.CompleteSchema,
        "Record the completed transfer.",
    ),
    (
        "transfer-failure",
        "fail_transfer",
        schemas.ReasonTextSchema,
        "Record a failed transfer, with the reason.",
    ),
    ("close", "close", schemas.NoteSchema, "Close the case after the transfer."),
    (
        "take-back",
        "take_back",
        schemas.ReasonTextSchema,
        "Record a take-back after a wrongful readmission.",
    ),
]
for _path, _name, _schema, _summary in ACTIONS:
    _action(_path, _name, _schema, _summary)
