"""Sign-in, sign-out and the home page of each role.

Sign-in uses the gateway's own checks (the same per-IP and per-username limits and lockout as
``/api/v1/auth/login``) and audits every outcome; the form is protected by a double-submit token
because no session exists yet.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, redirect, request, url_for
from pymongo.errors import PyMongoError

from gateway.login import LockedOut, SignInRefused
from gateway.ratelimit import RateLimited
from gateway.ui.client import claims_for
from gateway.ui.web import (HOME, SESSION_COOKIE, SIGNIN_COOKIE, new_signin_token, render, set_cookie, signed_in,
                            ui)
from gateway.ui.store import now_utc

RESOURCE = "/ui/sign-in"
WRONG = "The username or password is not correct."


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/", "home", home)
    blp.add_url_rule("/sign-in", "sign_in", sign_in_form, methods=["GET"])
    blp.add_url_rule("/sign-in", "sign_in_post", sign_in, methods=["POST"])
    blp.add_url_rule("/sign-out", "sign_out", sign_out, methods=["POST"])


def _form(status: int = 200, message: str = "", username: str = "") -> Response:
    token = new_signin_token()
    response = render("ui/signin.html", status=status, message=message, username=username,
                      next=_next_path())
    set_cookie(response, SIGNIN_COOKIE, token, max_age=3600)
    return response


def _next_path() -> str:
    """Where to go after signing in: a local UI path only (no open redirect)."""
    wanted = request.values.get("next", "")
    return wanted if wanted.startswith("/ui/") and "//" not in wanted and "\\" not in wanted else ""


def sign_in_form() -> Response:
    if g.get("ui_user") is not None:
        return redirect(url_for("ui.home"))
    return _form()


def sign_in() -> Response:
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")[:1024]
    if not username or not password:
        return _form(422, "Enter your username and password.", username)
    current = ui()
    guard = current.deps.guard
    now = now_utc()
    try:
        guard.limiter.hit(f"login-ip:{request.remote_addr}", current.login_ip_limit, now)
        guard.limiter.hit(f"login-user:{username}", current.login_user_limit, now)
        user = current.deps.sign_in(username, password, now)
        token, _ = current.sessions.create(user.username, now)
    except PyMongoError:
        return _form(503, "Signing in is unavailable right now. Try again shortly.", username)
    except RateLimited as limited:
        guard.record("login_rate_limited", RESOURCE, None, 429, user=username, required=False)
        return _form(429, f"Too many sign-in attempts. Try again in {limited.retry_after} s.", username)
    except SignInRefused:
        guard.record("login_failed", RESOURCE, None, 401, user=username, required=False)
        return _form(401, WRONG, username)
    except LockedOut:
        guard.record("login_locked", RESOURCE, None, 429, user=username, required=False)
        return _form(429, "Too many failed sign-in attempts for this username. Try again later.", username)
    guard.record("login", RESOURCE, None, 200, claims_for(user.identity()), required=False)
    response = redirect(_next_path() or url_for("ui.home"), code=303)
    set_cookie(response, SESSION_COOKIE, token, max_age=None)
    response.delete_cookie(SIGNIN_COOKIE, path="/")
    return response


def sign_out() -> Response:
    current = ui()
    if g.get("ui_session") is not None:
        current.sessions.end(g.ui_session.key)
        current.deps.guard.record("logout", "/ui/sign-out", None, 204, claims_for(g.ui_user.identity()),
                                  required=False)
    response = redirect(url_for("ui.sign_in"), code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@signed_in()
def home() -> Any:
    role = g.ui_user.role
    if role != "admin":
        return redirect(url_for(HOME[role]))
    return render("ui/home.html")
