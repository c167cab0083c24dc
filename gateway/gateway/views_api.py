"""The gateway's composed views: a person's timeline and the partner reports.

Both are built from the services' own APIs: the timeline with the caller's identity (so each
service applies the caller's scopes), the reports with the gateway's ``system`` identity and
then small-cell suppression. The timeline is audited as a read of personal data.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, g
from marshmallow import Schema, fields, validate

from passage.fields import pattern
from passage.formats import MONTH, PERSON_REF
from passage.identity import HEADER as IDENTITY_HEADER
from passage.identity import Identity, sign_identity
from passage.problems import Problem
from passage.web import Blueprint

from gateway import timeline
from gateway.guard import Guard
from gateway.reports import SPECS, ReportSpec, build_report, to_csv
from gateway.routes import OWN_ROUTES, ROUTES
from gateway.tokens import AccessClaims
from gateway.schemas import ProblemSchema
from gateway.upstreams import Upstreams

MONTH_PATTERN = MONTH.pattern
SYSTEM = Identity(user_id="gateway-reports", role="system")
TIMELINE = "/api/v1/persons/{person_ref}/timeline"


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
    partial = fields.Boolean(required=True, metadata={"description": "true when a service did not answer"})
    failed_services = fields.List(fields.String(), required=True)
    not_included = fields.List(fields.String(), required=True,
                               metadata={"description": "services the caller's role does not read"})


class ReportQuerySchema(Schema):
    month = pattern(MONTH_PATTERN, "a month (YYYY-MM)", required=True,
                          metadata={"example": "2026-10"})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class MonthQuerySchema(Schema):
    month = pattern(MONTH_PATTERN, "a month (YYYY-MM)", required=True,
                          metadata={"example": "2026-10"})


class ReportSchema(Schema):
    report = fields.String(required=True)
    month = fields.String(required=True)
    columns = fields.List(fields.String(), required=True)
    rows = fields.List(fields.Dict(), required=True)
    totals = fields.Dict(required=True)
    suppression = fields.Dict(required=True)


class MonthlySchema(Schema):
    month = fields.String(required=True)
    reports = fields.Dict(keys=fields.String(), values=fields.Nested(ReportSchema), required=True)
    partial = fields.Boolean(required=True)
    failed_services = fields.List(fields.String(), required=True)


@dataclass
class Views:
    guard: Guard
    upstreams: Upstreams
    internal_secret: str
    identity_ttl_seconds: int = 60
    timeline_timeout: float = 5.0

    def fetch_as(self, identity: Identity, service: str, path: str, query: bytes) -> Any:
        headers = {IDENTITY_HEADER: sign_identity(identity, self.internal_secret, ttl_seconds=self.identity_ttl_seconds),
                   "Accept": "application/json"}
        return self.upstreams.send(service, "GET", path, query=query, headers=headers,
                                   timeout=(self.upstreams.timeout[0], self.timeline_timeout))

    def report(self, spec: ReportSpec, month: str) -> dict[str, Any]:
        answer = self.fetch_as(SYSTEM, spec.service, spec.path, f"month={month}".encode())
        try:
            body = answer.json() if answer.status_code == 200 else None
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
            raise Problem(f"The {spec.service.replace('-', ' ')} service did not provide its statistics.",
                          status=502, headers={"Retry-After": "5"}, service=spec.service)
        return build_report(spec, month, body["rows"])


def views_blueprint(views: Views) -> Blueprint:
    blp = Blueprint("views", __name__, url_prefix="/api/v1",
                    description="Views composed by the gateway: a person's timeline and partner reports.")
    blp.before_request(views.guard.gate(OWN_ROUTES))

    @blp.route("/persons/<person_ref>/timeline", methods=["GET"])
    @blp.doc(operationId="get_person_timeline")
    @blp.response(200, TimelineSchema)
    @blp.alt_response(404, schema=ProblemSchema, description="Not a valid person_ref.")
    def person_timeline(person_ref: str) -> dict[str, Any]:
        """Stays, readmission requests and AVRR cases of one person, oldest first, as the caller may see them."""
        claims: AccessClaims = g.caller
        ids = {"person_ref": person_ref}
        if not PERSON_REF.fullmatch(person_ref):  # fullmatch: no trailing newline either
            raise Problem("There is no such person.", status=404)
        built = timeline.build(person_ref, claims.identity.role,
                               lambda s, p, q: views.fetch_as(claims.identity, s, p, q), ROUTES)
        views.guard.record("read", TIMELINE, ids, 200, claims)
        return built.to_dict()

    @blp.route("/reports/monthly", methods=["GET"])
    @blp.doc(operationId="get_monthly_reports")
    @blp.arguments(MonthQuerySchema, location="query")
    @blp.response(200, MonthlySchema)
    def monthly(query: dict[str, Any]) -> dict[str, Any]:
        """All three partner reports of a month; a service that is down is named, not fatal."""
        reports, failed = {}, []
        for name, spec in SPECS.items():
            try:
                reports[name] = views.report(spec, query["month"])
            except Problem:
                failed.append(spec.service)
        return {"month": query["month"], "reports": reports, "partial": bool(failed), "failed_services": failed}

    @blp.route("/reports/<name>", methods=["GET"])
    @blp.doc(operationId="get_partner_report")
    @blp.arguments(ReportQuerySchema, location="query")
    @blp.response(200, ReportSchema, description="JSON, or CSV with a header row when format=csv.",
                  content_type="application/json")
    @blp.alt_response(502, schema=ProblemSchema, description="The service's statistics are unavailable.")
    def one_report(query: dict[str, Any], name: str) -> Any:
        """One partner report of a month (monthly-occupancy, readmission, voluntary-return), small cells suppressed."""
        if name not in SPECS:
            raise Problem("There is no such report.", status=404)
        report = views.report(SPECS[name], query["month"])
        if query["format"] == "csv":
            return Response(to_csv(report), mimetype="text/csv", headers={
                "Content-Disposition": f'attachment; filename="{name}-{query["month"]}.csv"'})
        return report

    return blp
