"""Sign-in, sign-out and the home page of each role.

Sign-in uses the gateway's own checks (``gateway.auth.api.checked_sign_in``: the same per-client
limits and throttles as ``/api/v1/auth/login``) and audits every outcome; a username not in the
username format is refused before anything is recorded (it may be a password typed into the wrong
field); the form is protected by a double-submit token because no session exists yet.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, request, url_for
from flask_babel import gettext as _
from pymongo.errors import PyMongoError
from werkzeug.wrappers import Response

from gateway.auth.accounts import USERNAME
from gateway.auth.api import checked_sign_in
from gateway.ui.client import claims_for
from gateway.ui.store import now_utc
from gateway.ui.web import (
    HOME,
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    new_signin_token,
    render,
    set_cookie,
    signed_in,
    ui,
)
from passage.problems import Problem

RESOURCE = "/ui/sign-in"
WRONG = "The username or password is not correct."
BAD_FORMAT = (
    "A username is 3-64 characters: a lower-case letter, then letters, digits, '.', '_' or '-'."
)


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/", "home", home)
    blp.add_url_rule("/sign-in", "sign_in", sign_in_form, methods=["GET"])
    blp.add_url_rule("/sign-in", "sign_in_post", sign_in, methods=["POST"])
    blp.add_url_rule("/sign-out", "sign_out", sign_out, methods=["POST"])


def _form(status: int = 200, message: str = "", username: str = "") -> Response:
    token = new_signin_token()
    response = render(
        "ui/signin.html",
        status=status,
        message=message,
        username=username if USERNAME.fullmatch(username) else "",
        next=next_path(),
    )
    set_cookie(response, SIGNIN_COOKIE, token, max_age=3600)
    return response


def next_path() -> str:
    """Where to go after signing in: a local UI path only (no open redirect)."""
    wanted = request.values.get("next", "")
    return wanted if wanted.startswith("/ui/") and "//" not in wanted and "\\" not in wanted else ""


def sign_in_form() -> Response:
    if g.get("ui_user") is not None:
        return redirect(url_for("ui.home"))
    return _form()


def sign_in() -> Response:
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")[:1024]
    if not username or not password:
        return _form(422, "Enter your username and password.", username)
    if not USERNAME.fullmatch(username):
        return _form(422, BAD_FORMAT)  # not echoed back: it may be a password
    current = ui()
    guard = current.deps.guard
    now = now_utc()
    try:
        user = checked_sign_in(
            current.deps.sign_in,
            guard,
            (current.login_ip_limit, current.login_user_limit),
            username,
            password,
            RESOURCE,
            now,
        )
        token, _ = current.sessions.create(user.username, now)
    except PyMongoError:
        return _form(503, "Signing in is unavailable right now. Try again shortly.", username)
    except Problem as refused:
        return _form(refused.status, _refusal(refused), username)
    guard.record("login", RESOURCE, None, 200, claims_for(user.identity()), required=False)
    response = redirect(next_path() or url_for("ui.home"), code=303)
    set_cookie(response, SESSION_COOKIE, token, max_age=None)
    response.delete_cookie(SIGNIN_COOKIE, path="/")
    return response


def _refusal(refused: Problem) -> str:
    """What the form says of a refused sign-in, in the reader's language."""
    if refused.status == 401:
        return WRONG
    seconds = refused.extra.get("retry_after_seconds") or refused.headers.get("Retry-After")
    if refused.status == 429 and seconds:
        return _("Too many sign-in attempts. Try again in %(seconds)s s.", seconds=seconds)
    return refused.detail


def sign_out() -> Response:
    current = ui()
    if g.get("ui_session") is not None:
        current.sessions.end(g.ui_session.key)
        current.deps.guard.record(
            "logout", "/ui/sign-out", None, 204, claims_for(g.ui_user.identity()), required=False
        )
    response = redirect(url_for("ui.sign_in"), code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@signed_in()
def home() -> Any:
    role = g.ui_user.role
    if role != "admin":
        return redirect(url_for(HOME[role]))
    return render("ui/home.html")
