"""The Flask scaffolding every Passage HTTP process shares.

Request ids, JSON logs, problem details on every error path, body size limit, the internal
identity check, ``/healthz``, ``/readyz``, ``/metrics`` and OpenAPI via flask-smorest. The
app factory of each service calls :func:`build_app` and registers its blueprints.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask, Response, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser

from passage import idempotency as idempotency_keys
from passage import logs, metrics, overload, tracing
from passage.identity import HEADER, Identity, IdentityError, identity_verifier
from passage.mongo import Index, Mongo, RetiredIndex
from passage.problems import (
    BadRequest,
    Forbidden,
    PreconditionFailed,
    PreconditionRequired,
    Unauthenticated,
    register_problem_handlers,
)

log = logging.getLogger(__name__)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
OPEN_PATHS = ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs")
# No request body of ours nests deeper than a handful of levels; 100,000 '[' must be a 400, not a
# RecursionError (500 and a traceback) in the parser or in a schema.
MAX_JSON_DEPTH = 32

Check = Callable[[], bool]
# Who integrators ask about the API (the OpenAPI document's info.contact).
CONTACT = {"name": "Passage maintainers (see the README)"}


def load_json(raw: bytes | str) -> Any:
    """The one way a request body becomes Python: bounded depth, and a 400 problem when it is not
    JSON."""
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("The request body is not valid JSON.") from None
    if not _shallow(value, MAX_JSON_DEPTH):
        raise BadRequest(f"The request body's JSON nests deeper than {MAX_JSON_DEPTH} levels.")
    return value


def _shallow(value: Any, limit: int) -> bool:
    """Whether ``value`` nests at most ``limit`` arrays/objects deep (iterative: no recursion to
    exhaust)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        )
        if children is None:
            continue
        if depth > limit:
            return False
        pending.extend((child, depth + 1) for child in children)
    return True


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with ``request.get_json()`` going through :func:`load_json` too."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return load_json(s)


class StrictParser(FlaskParser):
    """Unknown query parameters are an error too (``?status[$ne]=x`` must not pass silently);
    bodies are read by :func:`load_json`."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": RAISE,
        "querystring": RAISE,
    }

    def _raw_load_json(self, req: Any) -> Any:
        if not req.mimetype or not (
            req.mimetype == "application/json" or req.mimetype.endswith("+json")
        ):
            return super()._raw_load_json(req)
        return load_json(req.get_data(cache=True))


class Blueprint(SmorestBlueprint):
    """flask-smorest's Blueprint with Passage's strict argument parser; use this one.

    Every operation it documents gets an ``operationId`` (the one given with ``@blp.doc``, else
    the view function's name, which is written in the users' words: ``admit_person``) and a
    ``description`` (the whole docstring), so generated clients name their functions well.
    """

    ARGUMENTS_PARSER = StrictParser()

    def _store_endpoint_docs(self, endpoint, obj, parameters, tags, **options):
        super()._store_endpoint_docs(endpoint, obj, parameters, tags, **options)
        for method, doc in self._docs[endpoint].items():
            if method == "parameters":
                continue
            view = getattr(obj, method, obj) if isinstance(obj, type) else obj
            manual = doc.setdefault("manual_doc", {})
            manual.setdefault("operationId", view.__name__)
            text = " ".join((view.__doc__ or "").split())
            if text and not doc["docstring"].get("description"):
                manual.setdefault("description", text)


def build_app(
    name: str,
    *,
    title: str,
    version: str = "1.0.0",
    description: str = "",
    max_body_bytes: int = 256 * 1024,
    internal_secret: str | None = None,
    readiness: Mapping[str, Check] | None = None,
    idempotency: Mongo | None = None,
    limits: overload.Limits | None = None,
) -> tuple[Flask, Api]:
    """A Flask app with Passage's conventions; ``internal_secret`` turns on identity checks.

    ``idempotency`` (the service's database) turns on ``Idempotency-Key`` for every POST;
    ``limits`` (default: from the environment) bound the work in flight and its database time.
    """
    app = Flask(name)
    app.json = BoundedJSONProvider(app)
    app.config.update(
        API_TITLE=title,
        API_VERSION=version,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=max_body_bytes,
        API_SPEC_OPTIONS={"info": {"description": description or title, "contact": CONTACT}},
        JSON_SORT_KEYS=False,
    )
    api = Api(
        app,
        spec_kwargs={
            "components": {
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            },
            "extra_plugins": [idempotency_keys.OpenAPIPlugin()] if idempotency is not None else [],
        },
    )
    register_problem_handlers(app)
    tracing.instrument_flask(app, name.split(".", 1)[0])
    _install_request_context(app)
    overload.install(app, limits or overload.Limits.from_env(), OPEN_PATHS)
    if internal_secret is not None:
        _install_identity_check(app, internal_secret)
    if idempotency is not None:
        idempotency_keys.install(app, idempotency_keys.IdempotencyKeys(idempotency))
    _install_probes(app, readiness or {})
    _install_metrics(app, name)
    return app, api


def _install_request_context(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.fullmatch(incoming) else str(uuid.uuid4())
        g.started = time.perf_counter()
        g.rid_token = logs.request_id.set(g.request_id)
        corr = request.headers.get("X-Correlation-ID", "")
        g.corr_token = logs.correlation_id.set(
            corr if _REQUEST_ID.fullmatch(corr) else g.request_id
        )

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.path not in OPEN_PATHS:
            log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.url_rule.rule if request.url_rule else "unmatched",
                    "status": response.status_code,
                    "ms": round(
                        (time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2
                    ),
                },
            )
        return response

    @app.teardown_request
    def _reset(_exc: BaseException | None) -> None:
        for var, key in ((logs.request_id, "rid_token"), (logs.correlation_id, "corr_token")):
            token = g.pop(key, None)
            if token is not None:
                var.reset(token)


def _install_identity_check(app: Flask, secret: str) -> None:
    verify = identity_verifier(secret)

    @app.before_request
    def _identify() -> None:
        if not request.path.startswith("/api/"):
            return
        try:
            g.identity = verify(request.headers.get(HEADER) or "")
        except IdentityError as exc:
            raise Unauthenticated(str(exc)) from None


def current_identity() -> Identity:
    """The verified caller of this request (set by the identity check)."""
    identity = g.get("identity")
    if identity is None:
        raise Unauthenticated("no internal identity")
    return identity


def require_role(*roles: str) -> Identity:
    """The caller, if their role is one of ``roles`` (admin always passes)."""
    identity = current_identity()
    if not identity.has_role(*roles):
        raise Forbidden("Your role does not allow this action.")
    return identity


def _install_probes(app: Flask, checks: Mapping[str, Check]) -> None:
    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        results = {name: _safe(check) for name, check in checks.items()}
        ok = all(results.values())
        return jsonify(status="ready" if ok else "not ready", checks=results), (200 if ok else 503)


def _safe(check: Check) -> bool:
    try:
        return bool(check())
    except Exception:
        return False


def _install_metrics(app: Flask, name: str) -> None:
    """Count and time every request by its route template (never the raw path, which holds ids)."""
    service = name.split(".", 1)[0]

    @app.after_request
    def _count(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.http_requests.labels(
            service, request.method, route, str(response.status_code)
        ).inc()
        if "started" in g:
            metrics.http_latency.labels(service, request.method, route).observe(
                time.perf_counter() - g.started
            )
        return response

    @app.get("/metrics")
    def scrape() -> Response:
        body, content_type = metrics.exposition()
        return Response(body, content_type=content_type)


def etag(version: int) -> str:
    return f'"v{version}"'


def expected_version(current: int | None = None, *, required: bool = False) -> int | None:
    """The version an ``If-Match`` header names; 412 when it is not ``current``."""
    header = request.headers.get("If-Match")
    if not header:
        if required:
            raise PreconditionRequired("Send If-Match with the ETag you last read.")
        return None
    match = re.fullmatch(r'(?:W/)?"v(\d+)"', header.strip())
    if match is None:
        raise PreconditionFailed("If-Match does not name a version of this resource.")
    version = int(match.group(1))
    if current is not None and version != current:
        raise PreconditionFailed(
            f"The resource is at version {current}, not {version}.", current_version=current
        )
    return version


def before_first_request(app: Flask, setup: Callable[[], None]) -> None:
    """Run ``setup`` (e.g. index creation) once, in the serving process, before a request.

    Keeps I/O out of import time and out of gunicorn's master; a failure (database not up yet)
    is retried on the next request instead of crashing the worker at boot.
    """
    import threading

    done = threading.Event()
    lock = threading.Lock()

    @app.before_request
    def _setup_once() -> None:
        if done.is_set() or request.path in OPEN_PATHS:
            return
        with lock:
            if not done.is_set():
                setup()
                done.set()


def ensure_indexes_before_first_request(
    app: Flask, mongo: Mongo, indexes: Iterable[Index | RetiredIndex]
) -> None:
    """Create the service's indexes in the serving process; 503 (retried later) while the DB is
    away."""
    from pymongo.errors import PyMongoError

    from passage.problems import Unavailable

    declared = list(indexes)

    def setup() -> None:
        try:
            mongo.ensure_indexes(declared)
        except PyMongoError:
            raise Unavailable("The database is not reachable yet; try again shortly.") from None

    before_first_request(app, setup)
