"""The UI's languages (Azerbaijani first, English, Russian): who reads which, and dates and numbers
in that language's format.

The catalogues are ``gateway/translations/<locale>/LC_MESSAGES/messages.po``, checked in together
with their compiled ``.mo`` (``tests/integration/test_ui_i18n.py`` fails when they drift apart or a
template string has no translation). The language is kept in the UI session once signed in, and in
a cookie before (the sign-in page has the switcher too).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, g, redirect, request, url_for
from flask_babel import Babel, format_date, format_datetime, format_decimal, get_locale
from werkzeug.wrappers import Response

LOCALES = ("az", "en", "ru")
DEFAULT = "az"
NAMES = {"az": "Azərbaycanca", "en": "English", "ru": "Русский"}
COOKIE = "passage_lang"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def chosen_locale() -> str:
    """The signed-in user's language, else the browser's cookie, else Azerbaijani."""
    session = g.get("ui_session")
    wanted = getattr(session, "locale", "") or request.cookies.get(COOKIE, "")
    return wanted if wanted in LOCALES else DEFAULT


def setup(app: Flask) -> None:
    """Flask-Babel over the whole app (the API does not translate; only the UI's pages do)."""
    Babel(
        app,
        default_locale=DEFAULT,
        default_translation_directories=str(TRANSLATIONS),
        locale_selector=chosen_locale,
    )
    app.jinja_env.filters.update(when=when, day=day, num=num)
    app.jinja_env.globals.update(
        current_locale=lambda: str(get_locale() or DEFAULT), locale_names=NAMES
    )


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def when(value: Any) -> str:
    """A moment (ISO text or datetime) as the locale writes it, in UTC; '—' when missing."""
    if not value:
        return "—"
    moment = _moment(value)
    return (
        f"{format_date(moment, 'medium')} {format_datetime(moment, 'HH:mm')}"
        if moment
        else str(value)
    )


def day(value: Any) -> str:
    """A calendar day (``YYYY-MM-DD`` or the day part of a moment) in the locale's format."""
    if not value:
        return "—"
    try:
        parsed = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return format_date(parsed, "medium")


def num(value: Any) -> str:
    """A number with the locale's separators; anything else unchanged."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "" if value is None else str(value)
    return format_decimal(value)


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/language", "language", choose_language, methods=["POST"])


def choose_language() -> Response:
    """The header's switcher (a plain form, no script needed): remember the choice, go back."""
    from gateway.ui.pages_session import next_path  # the one check of a local return path
    from gateway.ui.web import set_cookie, ui

    wanted = request.form.get("lang", "")
    wanted = wanted if wanted in LOCALES else DEFAULT
    session = g.get("ui_session")
    if session is not None:
        ui().sessions.set_locale(session.key, wanted)
    response = redirect(next_path() or url_for("ui.home"), code=303)
    set_cookie(response, COOKIE, wanted, max_age=365 * 24 * 3600)
    return response
