"""Transit requests' HTTP endpoints under ``/api/v1/readmission/transits``: load → handler → dump.
Roles and scopes are checked in the handlers; personal data is filtered by the views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields

from passage.problems import Unprocessable
from passage.web import Blueprint, current_identity, etag, expected_version
from readmission.domain import views
from readmission.handlers import requests as handlers
from readmission.handlers import transits as transit_handlers
from readmission.web import api, schemas, transit_schemas
from readmission.web.schemas import NoQuerySchema, NoteSchema

PREFIX = api.PREFIX
Result = tuple[Any, int, dict[str, str]]

transits_bp = Blueprint(
    "readmission_transits",
    __name__,
    url_prefix=PREFIX,
    description="Transit requests: a member state asks Azerbaijan to let a third-country "
    "national pass through, or the reverse; consent can be revoked.",
)

TransitViewSchema = Schema.from_dict(
    {name: fields.Raw() for name in views.TRANSIT_FIELDS}, name="TransitView"
)


class TransitPageSchema(Schema):
    items = fields.List(fields.Nested(TransitViewSchema))
    next_cursor = fields.String(allow_none=True)


def transit_id_from(raw: str) -> str:
    if not schemas.REQUEST_ID.fullmatch(raw):
        raise Unprocessable(
            "The transit request id in the path is not valid.",
            errors=[{"pointer": "/path/transit_id", "detail": "Not a transit request id."}],
        )
    return raw


def _one(doc: Any) -> Result:
    view = views.transit_view(doc, current_identity(), api.service_deps().locations)
    return view, 200, {"ETag": etag(view["version"])}


@transits_bp.post("/transits")
@transits_bp.doc(operationId="record_transit_application")
@transits_bp.arguments(transit_schemas.TransitCreateSchema)
@transits_bp.arguments(NoQuerySchema, location="query", as_kwargs=True)
@transits_bp.response(201, TransitViewSchema)
def create_transit(body: dict[str, Any]) -> Result:
    """Record a transit application; starts the reply clock.

    For liaison officers in scope and administrators."""
    deps = api.service_deps()
    known, rules = handlers.law_of(deps.repository, deps.rules)
    doc = transit_handlers.create_transit(
        deps.transits, deps.protocols, api.ctx(), body, rules, known
    )
    view, _, headers = _one(doc)
    return view, 201, {**headers, "Location": f"{PREFIX}/transits/{doc['_id']}"}


@transits_bp.get("/transits")
@transits_bp.arguments(transit_schemas.TransitQuerySchema, location="query", as_kwargs=True)
@transits_bp.response(200, TransitPageSchema)
def list_transits(limit: int, cursor: str | None = None, **filters: Any) -> dict[str, Any]:
    """Transit requests in the caller's scope, by id.

    Filter by person_ref, member_state, state, direction."""
    after = api.cursor_parts(cursor, 1, (schemas.REQUEST_ID,))
    docs = transit_handlers.list_transits(
        api.service_deps().transits, api.ctx(), filters, after[0] if after else None, limit
    )
    items = [views.transit_view(d, current_identity(), api.service_deps().locations) for d in docs]
    return {
        "items": items,
        "next_cursor": schemas.encode_cursor(docs[-1]["_id"]) if len(docs) == limit else None,
    }


@transits_bp.get("/transits/<transit_id>")
@transits_bp.arguments(NoQuerySchema, location="query", as_kwargs=True)
@transits_bp.response(200, TransitViewSchema)
def get_transit(transit_id: str) -> Result:
    """One transit request in the caller's scope, with its state; the ETag is its version."""
    return _one(
        transit_handlers.get_transit(
            api.service_deps().transits, api.ctx(), transit_id_from(transit_id)
        )
    )


def _action(path: str, action: str, schema: type[Schema], summary: str) -> Callable[..., Result]:
    """One POST endpoint per action; If-Match (optional) pins the version acted on."""

    def endpoint(body: dict[str, Any], transit_id: str) -> Result:
        tid = transit_id_from(transit_id)
        return _one(
            transit_handlers.act(
                api.service_deps().transits, api.ctx(), tid, action, body, expected_version()
            )
        )

    endpoint.__name__ = f"{action}_transit"
    endpoint.__doc__ = summary
    view = transits_bp.response(200, TransitViewSchema)(endpoint)
    view = transits_bp.alt_response(
        409,
        description="Not allowed in the transit request's current state (named in current_state).",
    )(view)
    view = transits_bp.arguments(NoQuerySchema, location="query", as_kwargs=True)(view)
    view = transits_bp.arguments(schema)(view)
    operation_id = "revoke_transit_consent" if action == "revoke_consent" else f"{action}_transit"
    view = transits_bp.doc(operationId=operation_id)(view)
    return transits_bp.post(f"/transits/<transit_id>/{path}")(view)


ACTIONS = [
    ("approve", "approve", NoteSchema, "Approve the transit (consent given)."),
    (
        "refuse",
        "refuse",
        transit_schemas.TransitRefuseSchema,
        "Refuse the transit, stating the reasons.",
    ),
    (
        "withdraw",
        "withdraw",
        transit_schemas.TransitWithdrawSchema,
        "Withdraw the application before a decision, with the reason.",
    ),
    (
        "revoke-consent",
        "revoke_consent",
        transit_schemas.TransitRevokeSchema,
        "Revoke the consent given, with the reason (facts that justify refusal came to light).",
    ),
    ("complete", "complete", NoteSchema, "Record the transit as carried out."),
]
for _path, _name, _schema, _summary in ACTIONS:
    _action(_path, _name, _schema, _summary)
