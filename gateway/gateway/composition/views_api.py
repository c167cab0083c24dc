"""The gateway's composed views: a person's timeline and the partner reports.

Both are built from the services' own APIs: the timeline with the caller's identity (so each
service applies the caller's scopes), the reports with the gateway's ``system`` identity, then
suppressed and frozen (``gateway.composition.report_store``): a closed month only, the same bytes
every time. The timeline is audited as a read of personal data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Response, g, request
from marshmallow import Schema, fields, validate

from gateway.admin.audit_reads import filters_of
from gateway.auth.guard import Guard
from gateway.auth.tokens import AccessClaims
from gateway.composition import person_search, timeline
from gateway.composition.report_store import PublishedReports, Publisher, monthly_text
from gateway.composition.reports import SPECS, ReportSpec, to_csv
from gateway.edge.routes import OWN_ROUTES, ROUTES
from gateway.edge.upstreams import Upstreams
from gateway.schemas import ProblemSchema
from passage.clock import utc_now
from passage.context import system_caller
from passage.fields import pattern
from passage.formats import MONTH, PERSON_REF
from passage.identity import HEADER as IDENTITY_HEADER
from passage.identity import Identity, sign_identity
from passage.mongo import Mongo
from passage.person_search import PersonSearchQuerySchema
from passage.problems import Problem
from passage.web import Blueprint

MONTH_PATTERN = MONTH.pattern
SYSTEM = system_caller("gateway-reports")
TIMELINE = "/api/v1/persons/{person_ref}/timeline"
SEARCH = "/api/v1/persons/search"


class TimelineEntrySchema(Schema):
    at = fields.String(required=True)
    service = fields.String(required=True)
    record_type = fields.String(required=True)
    record_id = fields.String(required=True)
    what = fields.String(required=True)
    by = fields.String()


class TimelineSchema(Schema):
    person_ref = fields.String(required=True)
    items = fields.List(fields.Nested(TimelineEntrySchema), required=True)
    partial_ = fields.Boolean(  # named apart from Schema.partial; "partial" on the wire
        data_key="partial",
        attribute="partial",
        required=True,
        metadata={"description": "true when a service did not answer"},
    )
    failed_services = fields.List(fields.String(), required=True)
    not_included = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "services the caller's role does not read"},
    )


class PersonFoundSchema(Schema):
    person_ref = fields.String(required=True)
    score = fields.Float(
        required=True, metadata={"description": "1.0: spelt as asked; 0.5: sounds alike"}
    )
    records = fields.List(
        fields.Dict(), required=True, metadata={"description": "service, record_type, record_id"}
    )
    timeline = fields.String(required=True, metadata={"description": "the person's timeline"})


class PersonSearchSchema(Schema):
    items = fields.List(fields.Nested(PersonFoundSchema), required=True)
    partial_ = fields.Boolean(  # named apart from Schema.partial; "partial" on the wire
        data_key="partial",
        attribute="partial",
        required=True,
        metadata={"description": "true when a service did not answer"},
    )
    failed_services = fields.List(fields.String(), required=True)
    not_included = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "services the caller's role does not search"},
    )


class ReportQuerySchema(Schema):
    month = pattern(
        MONTH_PATTERN, "a month (YYYY-MM)", required=True, metadata={"example": "2026-10"}
    )
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))
    version = fields.Integer(
        validate=validate.Range(min=1, max=10_000),
        metadata={"description": "an earlier version; the latest when absent"},
    )


class MonthQuerySchema(Schema):
    month = pattern(
        MONTH_PATTERN, "a month (YYYY-MM)", required=True, metadata={"example": "2026-10"}
    )
    version = fields.Integer(
        validate=validate.Range(min=1, max=10_000),
        metadata={"description": "an earlier version; the latest when absent"},
    )


class CorrectionSchema(Schema):
    month = pattern(MONTH_PATTERN, "a month (YYYY-MM)", required=True)
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))


class ReportSchema(Schema):
    report = fields.String(required=True)
    month = fields.String(required=True)
    version = fields.Integer(required=True)
    published_at = fields.String(required=True)
    columns = fields.List(fields.String(), required=True)
    rows = fields.List(fields.Dict(), required=True)
    totals = fields.Dict(required=True)
    suppression = fields.Dict(required=True)


class MonthlySchema(Schema):
    month = fields.String(required=True)
    version = fields.Integer(required=True)
    published_at = fields.String(required=True)
    reports = fields.Dict(keys=fields.String(), values=fields.Nested(ReportSchema), required=True)
    partial_ = fields.Boolean(data_key="partial", attribute="partial", required=True)
    failed_services = fields.List(fields.String(), required=True)


@dataclass
class Views:
    guard: Guard
    upstreams: Upstreams
    internal_secret: str
    mongo: Mongo
    identity_ttl_seconds: int = 60
    timeline_timeout: float = 5.0

    def fetch_as(self, identity: Identity, service: str, path: str, query: bytes) -> Any:
        headers = {
            IDENTITY_HEADER: sign_identity(
                identity, self.internal_secret, ttl_seconds=self.identity_ttl_seconds
            ),
            "Accept": "application/json",
        }
        return self.upstreams.send(
            service,
            "GET",
            path,
            query=query,
            headers=headers,
            timeout=(self.upstreams.timeout[0], self.timeline_timeout),
        )

    def rows(self, spec: ReportSpec, month: str) -> list[Any]:
        """A service's raw monthly rows for ``spec`` (502 when it does not provide them)."""
        answer = self.fetch_as(SYSTEM, spec.service, spec.path, f"month={month}".encode())
        try:
            body = answer.json() if answer.status_code == 200 else None
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
            raise Problem(
                f"The {spec.service.replace('-', ' ')} service did not provide its statistics.",
                status=502,
                headers={"Retry-After": "5"},
                service=spec.service,
            )
        return body["rows"]

    @property
    def publisher(self) -> Publisher:
        return Publisher(PublishedReports(self.mongo), self.rows, utc_now)

    def report(self, spec: ReportSpec, month: str, version: int | None = None) -> dict[str, Any]:
        """One report of a closed month as published (publishing the month if it is new)."""
        return json.loads(self.publisher.month(month, version)["reports"][spec.name])


def views_blueprint(views: Views) -> Blueprint:
    blp = Blueprint(
        "views",
        __name__,
        url_prefix="/api/v1",
        description="Views composed by the gateway: a person's timeline and partner reports.",
    )
    blp.before_request(views.guard.gate(OWN_ROUTES))

    @blp.route("/persons/<person_ref>/timeline", methods=["GET"])
    @blp.doc(operationId="get_person_timeline")
    @blp.response(200, TimelineSchema)
    @blp.alt_response(404, schema=ProblemSchema, description="Not a valid person_ref.")
    def person_timeline(person_ref: str) -> dict[str, Any]:
        """A person's stays, readmission requests and AVRR cases, oldest first (caller's view)."""
        claims: AccessClaims = g.caller
        ids = {"person_ref": person_ref}
        if not PERSON_REF.fullmatch(person_ref):  # fullmatch: no trailing newline either
            raise Problem("There is no such person.", status=404)
        built = timeline.build(
            person_ref,
            claims.identity.role,
            lambda s, p, q: views.fetch_as(claims.identity, s, p, q),
            ROUTES,
        )
        views.guard.record("read", TIMELINE, ids, 200, claims)
        return built.to_dict()

    @blp.route("/persons/search", methods=["GET"])
    @blp.arguments(PersonSearchQuerySchema, location="query")
    @blp.response(200, PersonSearchSchema)
    def persons_search(args: dict[str, Any]) -> dict[str, Any]:
        """People matching every filter given, one per person in the caller's scope; audited."""
        claims: AccessClaims = g.caller
        found = person_search.search(
            args,
            claims.identity.role,
            lambda s, p, q: views.fetch_as(claims.identity, s, p, q),
            ROUTES,
        )
        views.guard.record(
            "read",
            SEARCH,
            None,
            200,
            claims,
            filters=filters_of(request.args.items(multi=True), True),
            returned={"person_ref": [p["person_ref"] for p in found["items"]]},
        )
        return found

    @blp.route("/reports/monthly", methods=["GET"])
    @blp.doc(operationId="get_monthly_reports")
    @blp.arguments(MonthQuerySchema, location="query")
    @blp.response(200, MonthlySchema)
    @blp.alt_response(409, schema=ProblemSchema, description="The month is not over yet.")
    @blp.alt_response(
        502,
        schema=ProblemSchema,
        description="A service's statistics are unavailable (nothing is published).",
    )
    def monthly(query: dict[str, Any]) -> Any:
        """All three partner reports of a closed month (published on first request, then frozen)."""
        doc = views.publisher.month(query["month"], query.get("version"))
        return Response(monthly_text(doc), mimetype="application/json")

    @blp.route("/reports/corrections", methods=["POST"])
    @blp.arguments(CorrectionSchema)
    @blp.response(201, MonthlySchema)
    @blp.alt_response(
        409, schema=ProblemSchema, description="The month is not over or was never published."
    )
    def correct(body: dict[str, Any]) -> Any:
        """Publish a corrected month (admin): dated, numbered, its differences suppressed too."""
        claims: AccessClaims = g.caller
        doc, _ = views.publisher.correct(body["month"], body["reason"], claims.identity.user_id)
        views.guard.record(
            "correct", "/api/v1/reports/corrections", {"month": body["month"]}, 201, claims
        )
        return Response(monthly_text(doc), status=201, mimetype="application/json")

    @blp.route("/reports/<name>", methods=["GET"])
    @blp.doc(operationId="get_partner_report")
    @blp.arguments(ReportQuerySchema, location="query")
    @blp.response(
        200,
        ReportSchema,
        description="JSON, or CSV with a header row when format=csv.",
        content_type="application/json",
    )
    @blp.alt_response(409, schema=ProblemSchema, description="The month is not over yet.")
    @blp.alt_response(
        502, schema=ProblemSchema, description="The service's statistics are unavailable."
    )
    def one_report(query: dict[str, Any], name: str) -> Any:
        """A closed month's partner report (monthly-occupancy, readmission, voluntary-return)."""
        if name not in SPECS:
            raise Problem("There is no such report.", status=404)
        text = views.publisher.month(query["month"], query.get("version"))["reports"][name]
        if query["format"] == "csv":
            return Response(
                to_csv(json.loads(text)),
                mimetype="text/csv",
                headers={
                    "Content-Disposition": f'attachment; filename="{name}-{query["month"]}.csv"'
                },
            )
        return Response(text, mimetype="application/json")

    return blp
