"""The proxy: ``/api/v1/<service>/…`` to the service, with the caller's identity signed for it.

Before forwarding: a valid, unrevoked access token, the caller's rate limit and the route table's
role check (the service checks again). After: an audit record for every personal-data route, naming
the query's filters and the identifiers in the answer (whose records were read or changed).
Only listed headers cross in either direction, so hop-by-hop headers, cookies, the bearer token
and any client-made ``X-Passage-Identity`` stay behind. The service's status, problem+json body
and the headers a client needs (ETag, Location, Retry-After…) come back unchanged.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, g, request

from gateway.admin.audit_reads import filters_of, identifiers_returned
from gateway.auth.guard import Guard
from gateway.edge.routes import ROUTES, Route, match
from gateway.edge.upstreams import Reply, Upstreams
from passage.evidence_files import MAX_BYTES
from passage.identity import HEADER as IDENTITY_HEADER
from passage.identity import IdentitySigner
from passage.problems import BadRequest, NotFound

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
UPLOAD_LIMIT = MAX_BYTES + 64 * 1024  # a scanned document and its multipart envelope
REQUEST_HEADERS = (
    "Accept",
    "Accept-Language",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "If-Unmodified-Since",
    "X-Correlation-ID",
    "Idempotency-Key",
)
RESPONSE_HEADERS = (
    "Content-Type",
    "ETag",
    "Location",
    "Retry-After",
    "Allow",
    "Cache-Control",
    "Last-Modified",
    "Content-Disposition",
    "Link",
)


def proxy_blueprint(
    upstreams: Upstreams,
    guard: Guard,
    internal_secret: str,
    identity_ttl_seconds: int = 60,
    routes: tuple[Route, ...] = ROUTES,
) -> Blueprint:
    """Routes for every service in ``upstreams``, forwarding with a signed internal identity."""
    blp = Blueprint("proxy", __name__)
    sign = IdentitySigner(internal_secret, identity_ttl_seconds)

    def forward(service: str, rest: str = "") -> Response:
        claims = guard.caller()
        path = checked_path(request.path)
        found = match(request.path, request.method, routes)
        if found is None:
            raise NotFound("There is no such resource.")
        personal = found.route.personal
        guard.require(claims, found.route.roles, found.resource, found.ids, audited=personal)
        headers = {
            name: request.headers[name] for name in REQUEST_HEADERS if name in request.headers
        }
        headers[IDENTITY_HEADER] = sign(claims.identity)
        headers["X-Request-ID"] = g.request_id
        if request.method == "POST" and found.route.template.endswith(
            "/files"
        ):  # evidence files: larger bodies
            request.max_content_length = UPLOAD_LIMIT
        body = request.get_data(cache=False) if request.method not in ("GET", "HEAD") else None
        answer = upstreams.send(
            service, request.method, path, query=request.query_string, headers=headers, body=body
        )
        if personal:
            reading = request.method in ("GET", "HEAD")
            accepted = 200 <= answer.status_code < 300
            guard.record(
                "read" if reading else "change",
                found.resource,
                found.ids,
                answer.status_code,
                claims,
                required=reading,
                filters=filters_of(request.args.items(multi=True), accepted),
                returned=identifiers_returned(answer.content, answer.headers.get("Content-Type")),
            )
        return relay(answer, upstreams.urls[service])

    for service in upstreams.urls:
        endpoint = f"forward_{service.replace('-', '_')}"
        blp.add_url_rule(
            f"/api/v1/{service}",
            endpoint,
            forward,
            methods=METHODS,
            defaults={"service": service, "rest": ""},
        )
        blp.add_url_rule(
            f"/api/v1/{service}/<path:rest>",
            endpoint,
            forward,
            methods=METHODS,
            defaults={"service": service},
        )
    return blp


def checked_path(path: str) -> str:
    """The path to forward: no dot segments, empty segments or control characters."""
    segments = path.split("/")[1:]
    if any(s in ("", ".", "..") for s in segments[:-1]) or segments[-1] in (".", ".."):
        raise BadRequest("The path must not contain empty, '.' or '..' segments.")
    if any(ord(ch) < 0x20 or ch == "\x7f" for ch in path):
        raise BadRequest("The path must not contain control characters.")
    return quote(path, safe="/:@!$&'()*+,;=-._~")


def relay(answer: Reply, base_url: str) -> Response:
    """The service's answer as the gateway's response."""
    response = Response(answer.content, status=answer.status_code)
    response.headers.pop("Content-Type", None)
    for name in RESPONSE_HEADERS:
        value = answer.headers.get(name)
        if value is not None:
            response.headers[name] = _relative(value, base_url) if name == "Location" else value
    return response


def _relative(location: str, base_url: str) -> str:
    """A Location on the service's own host becomes a path on the gateway."""
    return location[len(base_url) :] if location.startswith(base_url + "/") else location
