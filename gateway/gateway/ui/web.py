"""Plumbing shared by every UI page: the signed-in user, CSRF, cookies, rendering, ids in paths.

Nothing here knows a service's paths; pages get :class:`Ui` (sessions, backend, users) from
``current_app`` and the signed-in user from ``flask.g``.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Response, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as ResponseBase

from gateway.auth.accounts import User
from gateway.auth.ratelimit import Limit
from gateway.bootstrap import GatewayDeps
from gateway.ui.client import Answer, Backend
from gateway.ui.forms import refusal
from gateway.ui.store import UiSession, UiSessions
from passage.identity import Identity

EXTENSION = "passage_ui"
SESSION_COOKIE = "passage_session"
SIGNIN_COOKIE = "passage_signin"
SAFE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,80}\Z")
HOME = {
    "centre_staff": "ui.centres",
    "liaison_officer": "ui.worklist",
    "avr_caseworker": "ui.case_board",
    "partner": "ui.reports",
    "auditor": "ui.audit_trail",
    "admin": "ui.home",
}


@dataclass
class Ui:
    """What the UI's pages use, built once per app."""

    deps: GatewayDeps
    sessions: UiSessions
    backend: Backend
    secure_cookies: bool
    idle_seconds: int
    login_ip_limit: Limit
    login_user_limit: Limit


def ui() -> Ui:
    return current_app.extensions[EXTENSION]


def identity() -> Identity:
    return g.ui_user.identity()


def call(method: str, path: str, **kwargs: Any) -> Answer:
    """A service call as the signed-in user."""
    return ui().backend.call(identity(), method, path, **kwargs)


def get(path: str, **query: Any) -> Answer:
    return call("GET", path, query=query)


def safe_id(value: str) -> str:
    """An id from a URL, fit to place in a service path (404 otherwise)."""
    if not SAFE_ID.fullmatch(value or ""):
        abort(404)
    return value


def signed_in(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Pages for signed-in users of ``roles`` (admin always):
    others are sent to sign in or get 403."""

    def wrap(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def page(*args: Any, **kwargs: Any) -> Any:
            user: User | None = g.get("ui_user")
            if user is None:
                return redirect(url_for("ui.sign_in", next=request.full_path.rstrip("?")))
            if roles and user.role not in (*roles, "admin"):
                return render(
                    "ui/error.html",
                    status=403,
                    title=_("Not allowed"),
                    message=_("Your role does not allow this page."),
                )
            return view(*args, **kwargs)

        return page

    return wrap


def render(template: str, status: int = 200, **context: Any) -> Response:
    response = Response(render_template(template, **context), status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def shown_refusal(errors: Any = None, general: Any = None, values: Any = None) -> dict[str, Any]:
    """A form page's context for a refusal ``post_form`` hands back (none on a first showing):
    messages by field, messages for the whole form, and the values sent, to fill it again."""
    return {"errors": errors or {}, "general": general or [], "values": values or {}}


def unavailable(answer: Answer, what: str) -> Response:
    """The page for a failed read: not found, not allowed, or not available — in words."""
    if answer.status in (403, 404):
        return render(
            "ui/error.html",
            status=answer.status,
            title=_("Not found") if answer.status == 404 else _("Not allowed"),
            message=_("%(what)s was not found, or you may not see it.", what=what),
        )
    return render(
        "ui/error.html",
        status=503 if answer.status >= 500 else answer.status,
        title=_("Not available"),
        message=f"{what}: {answer.detail}",
    )


def no_such(message: str) -> Response:
    """The 404 page for what a URL names but the UI does not have: a step, action, report or
    person (``message`` says which)."""
    return render("ui/error.html", status=404, title=_("Not found"), message=message)


def post_form(
    path: str,
    body: dict[str, Any],
    spec: Mapping[str, str],
    *,
    form: str,
    done: str,
    what: str,
    page: Callable[..., Response],
) -> ResponseBase:
    """Send a page's form to its service and answer like every form page does: on success
    back to ``done`` (303, so a reload does not post again); not found or not allowed in words
    naming ``what``; otherwise ``page`` again with the refusal shown at form ``form``."""
    answer = call("POST", path, body=body)
    if answer.ok:
        return redirect(done, code=303)
    if answer.status in (403, 404):
        return unavailable(answer, what)
    errors, general = refusal(answer, set(spec))
    return page(
        status=answer.status, form=form, errors=errors, general=general, values=request.form
    )


def csrf_token() -> str:
    session: UiSession | None = g.get("ui_session")
    return session.csrf if session else g.get("signin_csrf", "")


def csrf_ok() -> bool:
    """The form's token equals this session's (constant-time); sign-in uses its own cookie."""
    sent = request.form.get("csrf_token", "")
    expected = csrf_token() if g.get("ui_session") else request.cookies.get(SIGNIN_COOKIE, "")
    return bool(sent) and bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def new_signin_token() -> str:
    token = secrets.token_urlsafe(32)
    g.signin_csrf = token
    return token


def set_cookie(response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=ui().secure_cookies,
        httponly=True,
        samesite="Lax",
    )


def confirm_page(title: Any, action: str, back: str, consequence: str) -> Response:
    """Ask before an irreversible step; the form's values ride along as hidden fields
    (no script needed)."""
    carried = [
        (k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "confirmed")
    ]
    return render(
        "ui/confirm.html",
        title=title,
        action=action,
        back=back,
        consequence=consequence,
        carried=carried,
    )
