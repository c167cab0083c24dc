"""The UI's way to the services: as the signed-in user, through the same gate as the API.

Every call is matched against the gateway's route table (the same roles the proxy enforces),
carries the user's signed internal identity (so each service applies the user's scopes) and is
audited like a proxied call when it touches personal data. Failures come back as an ``Answer``
with a problem body, never as an exception, so a page can say "not available" instead of crashing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import g

from gateway.admin.audit import AuditUnavailable
from gateway.admin.audit_reads import filters_of, identifiers_returned
from gateway.auth.guard import Guard
from gateway.auth.tokens import AccessClaims
from gateway.edge.routes import ROUTES, match
from gateway.edge.upstreams import Reply, Upstreams
from passage import logs
from passage.identity import HEADER as IDENTITY_HEADER
from passage.identity import Identity, sign_identity
from passage.problems import Problem

log = logging.getLogger(__name__)
NOT_AVAILABLE = "This part of Passage is not available right now."


@dataclass(frozen=True)
class Answer:
    """A service's answer: status and JSON body (a problem body when not 2xx)."""

    status: int
    body: Any = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def detail(self) -> str:
        body = self.body if isinstance(self.body, dict) else {}
        return str(body.get("detail") or body.get("title") or NOT_AVAILABLE)

    def field_errors(self) -> dict[str, str]:
        """Problem ``errors[]`` by form field name (pointer ``/person/sex`` → ``person.sex``)."""
        body = self.body if isinstance(self.body, dict) else {}
        found: dict[str, str] = {}
        for error in body.get("errors") or []:
            if isinstance(error, dict) and isinstance(error.get("pointer"), str):
                name = error["pointer"].strip("/").replace("/", ".") or "_form"
                found.setdefault(name, str(error.get("detail", "")))
        return found


def claims_for(identity: Identity) -> AccessClaims:
    """What the audit trail needs to name the caller (no token exists behind a UI session)."""
    return AccessClaims(identity=identity, jti="ui-session", issued_at=0, expires_at=0)


@dataclass
class Backend:
    """Calls the services for the UI with the user's identity."""

    upstreams: Upstreams
    guard: Guard
    internal_secret: str
    identity_ttl_seconds: int = 60

    def _audit(
        self,
        identity: Identity,
        action: str,
        method: str,
        resource: str,
        ids: Mapping[str, str],
        outcome: int,
        required: bool,
        filters: Mapping[str, str] | None = None,
        returned: Mapping[str, list[str]] | None = None,
    ) -> None:
        """Like the proxy's record, but with the method of the service call (not of the page
        request).

        A read that cannot be audited is not shown (503); a change already made is shown even so.
        """
        try:
            self.guard.trail.append(
                user=identity.user_id,
                role=identity.role,
                action=action,
                method=method,
                resource=resource,
                ids=ids,
                outcome=outcome,
                correlation_id=logs.correlation_id.get() or g.get("request_id"),
                filters=filters,
                returned=returned,
            )
        except AuditUnavailable:
            log.error("audit record could not be written", extra={"resource": resource})
            if required:
                raise Problem(
                    "The request could not be recorded in the audit trail, so it is not shown. "
                    "Try again shortly.",
                    status=503,
                ) from None

    def _headers(
        self, identity: Identity, content_type: str | None, if_match: str | None
    ) -> dict[str, str]:
        headers = {
            IDENTITY_HEADER: sign_identity(
                identity, self.internal_secret, ttl_seconds=self.identity_ttl_seconds
            ),
            "Accept": "application/json",
            "X-Request-ID": g.get("request_id") or "",
        }
        if content_type:
            headers["Content-Type"] = content_type
        if if_match:  # the version the user read (optimistic concurrency)
            headers["If-Match"] = if_match
        return headers

    def call(
        self,
        identity: Identity,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        if_match: str | None = None,
    ) -> Answer:
        """One call to a service path (``/api/v1/<service>/…``) as ``identity``."""
        sent = self.send(
            identity,
            method,
            path,
            query=query,
            data=None if body is None else json.dumps(body).encode(),
            content_type="application/json" if body is not None else None,
            if_match=if_match,
        )
        if isinstance(sent, Answer):
            return sent
        try:
            parsed = sent.json() if sent.content else {}
        except ValueError:
            parsed = {"detail": NOT_AVAILABLE}
        if sent.status_code == 404 and not isinstance(parsed, dict):
            parsed = {"detail": "Not found."}
        return Answer(sent.status_code, parsed)

    def send(
        self,
        identity: Identity,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        data: bytes | None = None,
        content_type: str | None = None,
        if_match: str | None = None,
    ) -> Answer | Reply:
        """The service's raw response (a download, an upload's answer), or an ``Answer`` when the
        gate refused or the service could not be reached; checked and audited as :meth:`call` is."""
        found = match(path, method, ROUTES)
        service = path.split("/")[3] if path.count("/") >= 3 else ""
        if found is None or service not in self.upstreams.urls:
            return Answer(404, {"detail": "There is no such page."})
        if identity.role not in found.route.roles:
            if found.route.personal:
                self._audit(
                    identity, "denied", method, found.resource, found.ids, 403, required=True
                )
            return Answer(403, {"detail": "Your role does not allow this."})
        clean = {k: v for k, v in (query or {}).items() if v not in (None, "")}
        try:
            response = self.upstreams.send(
                service,
                method,
                path,
                query=urlencode(clean).encode(),
                headers=self._headers(identity, content_type, if_match),
                body=data,
            )
        except Problem as problem:
            return Answer(problem.status, {"detail": problem.detail})
        if found.route.personal:
            reading = method == "GET"
            self._audit(
                identity,
                "read" if reading else "change",
                method,
                found.resource,
                found.ids,
                response.status_code,
                required=reading,
                filters=filters_of(
                    ((k, str(v)) for k, v in clean.items()), 200 <= response.status_code < 300
                ),
                returned=identifiers_returned(
                    response.content, response.headers.get("Content-Type")
                ),
            )
        return response
