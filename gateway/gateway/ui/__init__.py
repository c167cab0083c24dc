"""The staff web UI: server-rendered pages served by the gateway under ``/ui``.

``register_ui(app, deps, settings)`` is the one entry point ``gateway.app`` calls. The pages
reach the services only through :class:`gateway.ui.client.Backend` (route table, signed
identity, audit), so the UI can never do what the same user could not do through the API.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Blueprint, Flask, g, redirect, request, url_for
from flask_babel import gettext as _
from pymongo.errors import PyMongoError

from gateway.auth.ratelimit import Limit, RateLimited
from gateway.bootstrap import GatewayDeps
from gateway.config import GatewaySettings
from gateway.ui import (
    i18n,
    pages_admin,
    pages_audit,
    pages_detention,
    pages_files,
    pages_law,
    pages_other,
    pages_readmission,
    pages_request_new,
    pages_return,
    pages_session,
    pages_stays,
    pages_transits,
)
from gateway.ui.client import Backend
from gateway.ui.due import due_counts
from gateway.ui.store import INDEXES, UiSessions
from gateway.ui.web import EXTENSION, SESSION_COOKIE, Ui, csrf_ok, csrf_token, render, ui
from gateway.ui.words import code, column_label, field_label
from passage.problems import Problem

IDLE_SECONDS = 30 * 60
MAX_SECONDS = 12 * 3600


def register_ui(app: Flask, deps: GatewayDeps, settings: GatewaySettings) -> None:
    """Mount the UI on ``app`` (``/ui/…`` pages, ``/static/ui/…`` assets, ``/`` → home)."""
    window = settings.rate_window_seconds
    app.extensions[EXTENSION] = Ui(
        deps=deps,
        sessions=UiSessions(deps.mongo, IDLE_SECONDS, MAX_SECONDS),
        backend=Backend(
            deps.upstreams,
            deps.guard,
            settings.internal_token_secret,
            settings.internal_token_ttl_seconds,
        ),
        secure_cookies=settings.production or not settings.development,
        idle_seconds=IDLE_SECONDS,
        login_ip_limit=Limit(settings.login_ip_limit, window),
        login_user_limit=Limit(settings.login_user_limit, window),
    )
    blp = Blueprint(
        "ui",
        __name__,
        url_prefix="/ui",
        static_folder="../static/ui",
        static_url_path="/assets",
        template_folder="../templates",
    )
    ready = threading.Event()
    blp.before_request(lambda: _before(ready))
    blp.after_request(_protective_headers)
    blp.register_error_handler(Problem, _problem_page)
    blp.register_error_handler(413, _too_large_page)
    blp.app_context_processor(
        lambda: {
            "csrf_token": csrf_token,
            "user": g.get("ui_user"),
            "code": code,
            "field_label": field_label,
            "column_label": column_label,
            "due_counts": due_counts,
            "here": request.full_path.rstrip("?"),
        }
    )
    i18n.setup(app)
    app.jinja_env.filters["code"] = code
    pages_audit.remember(app, settings)
    for module in (
        i18n,
        pages_session,
        pages_detention,
        pages_stays,
        pages_request_new,
        pages_readmission,
        pages_transits,
        pages_files,
        pages_return,
        pages_other,
        pages_admin,
        pages_law,
        pages_audit,
    ):
        module.register(blp)
    app.register_blueprint(blp)
    if "/" not in {rule.rule for rule in app.url_map.iter_rules()}:
        app.add_url_rule("/", "ui_root", lambda: redirect(url_for("ui.home")))


def _before(ready: threading.Event) -> Any:
    """Indexes once, the signed-in user (if any), the per-user page limit, CSRF on every POST."""
    current = ui()
    if request.endpoint == "ui.static":
        return None
    try:
        if not ready.is_set():
            # the gateway's own (sign-in throttles, rate limits, audit) as the API does
            current.deps.ensure_indexes()
            current.deps.mongo.ensure_indexes(INDEXES)
            ready.set()
        _load_user(current)
    except PyMongoError:
        return render(
            "ui/error.html",
            status=503,
            title=_("Not available"),
            message=_("Passage cannot reach its database right now. Try again shortly."),
        )
    except RateLimited as limited:
        return render(
            "ui/error.html",
            status=429,
            title=_("Too many requests"),
            message=_(
                "Too many requests. Try again in %(seconds)s s.", seconds=limited.retry_after
            ),
        )
    if request.endpoint == "ui.sign_out" and g.ui_session is None:
        return redirect(url_for("ui.sign_in"), code=303)  # signed out already: nothing to protect
    if request.endpoint in pages_files.UPLOADS:  # scanned documents: larger bodies than other forms
        request.max_content_length = pages_files.UPLOAD_LIMIT
    if request.method == "POST" and not csrf_ok():
        return render(
            "ui/error.html",
            status=400,
            title=_("Form expired"),
            message=_(
                "This form could not be accepted (its security token is missing or out of date). "
                "Go back, reload the page and try again."
            ),
        )
    return None


def _load_user(current: Ui) -> None:
    g.ui_user = g.ui_session = None
    session = current.sessions.get(request.cookies.get(SESSION_COOKIE, ""))
    if session is None:
        return
    user = current.deps.users.get(session.username)
    revoked = current.deps.guard.revocations.is_revoked(
        f"ui:{session.key}", session.username, int(session.created_at.timestamp())
    )
    if user is None or user.disabled or revoked:
        current.sessions.end(session.key)
        return
    current.deps.guard.limiter.hit(f"api:{user.username}", current.deps.guard.api_limit)
    g.ui_user, g.ui_session = user, session


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _protective_headers(response: Any) -> Any:
    """Only the gateway's own scripts and styles run; no framing; no leaking of URLs with ids."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _problem_page(problem: Problem) -> Any:
    return render(
        "ui/error.html", status=problem.status, title=_("Not available"), message=problem.detail
    )


def _too_large_page(_error: Any) -> Any:
    return render(
        "ui/error.html",
        status=413,
        title=_("Too large"),
        message=_("What you sent is too large. Send fewer or smaller files."),
    )
