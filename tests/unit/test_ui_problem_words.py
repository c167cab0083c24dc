"""Every problem ``type`` the services and the gateway can answer with, every code a UI form offers
(document types, reasons, means …) and the gateway's password refusals are shown in Azerbaijani and
Russian: a new slug, option or message without a translation fails here, not in front of a user."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale

import gateway.ui
from detention.web.errors import ERRORS as DETENTION_ERRORS
from gateway.auth.passwords import password_problem
from gateway.ui import i18n
from gateway.ui.words import CODES, PROBLEMS, code, field_message, problem_headline
from passage import problems
from passage.errors import COMMON_ERRORS
from readmission.domain.evidence import DOCUMENT_TYPES
from readmission.domain.transits import REFUSAL_REASONS, REVOCATION_REASONS, WITHDRAWAL_REASONS
from readmission.web.errors import ERRORS as READMISSION_ERRORS
from voluntary_return.web.errors import ERRORS as RETURN_ERRORS

REPO = Path(__file__).resolve().parents[2]
SOURCES = (REPO / "services", REPO / "shared" / "passage", REPO / "gateway" / "gateway")
SLUG = re.compile(r"""\bslug\s*=\s*["']([a-z0-9-]+)["']""")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
SAME_IN_AZ = {"admin", "auditor"}  # "administrator", "auditor": the Azerbaijani words are the same
NOT_WORDS = re.compile(
    r"^([0-9]+|[A-Z]{2,4})\Z"
)  # month numbers, AVR/AVM: the same in every language


def service_slugs() -> set[str]:
    """The problem slugs: the shared defaults by status, the services' error tables, and every
    ``slug=`` set in the code."""
    found = {*problems._SLUGS.values(), "error"}
    for table in (COMMON_ERRORS, DETENTION_ERRORS, READMISSION_ERRORS, RETURN_ERRORS):
        found |= {slug for _status, slug in table.values()}
    for root in SOURCES:
        for path in root.rglob("*.py"):
            if "ui" not in path.relative_to(root).parts:
                found |= set(SLUG.findall(path.read_text(encoding="utf-8")))
    return found


def offered_codes() -> dict[str, str]:
    """Every option of every UI form (module-level ``*CHOICES``) and the services' code lists."""
    found: dict[str, str] = {}
    for module in pkgutil.iter_modules(gateway.ui.__path__):
        loaded = importlib.import_module(f"gateway.ui.{module.name}")
        for name, value in vars(loaded).items():
            if name.endswith("CHOICES") and isinstance(value, dict):
                for field, options in value.items():
                    for option in options:
                        found.setdefault(
                            option if isinstance(option, str) else option[0],
                            f"{module.name}.{field}",
                        )
    for source, values in (
        ("document types", DOCUMENT_TYPES),
        ("transit refusals", REFUSAL_REASONS),
        ("transit revocations", REVOCATION_REASONS),
        ("transit withdrawals", WITHDRAWAL_REASONS),
    ):
        for value in values:
            found.setdefault(value, source)
    return {v: where for v, where in found.items() if not NOT_WORDS.match(v)}


@pytest.fixture(scope="module")
def app() -> Iterator[Flask]:
    flask_app = Flask(__name__)
    i18n.setup(flask_app)
    with flask_app.test_request_context():
        yield flask_app


def in_every_language(show: Any) -> dict[str, str]:
    said = {}
    for locale in ("en", "az", "ru"):
        with force_locale(locale):
            said[locale] = str(show())
    return said


def translated(said: dict[str, str], same_in_az: bool = False) -> bool:
    return (same_in_az or said["az"] != said["en"]) and bool(CYRILLIC.search(said["ru"]))


def test_the_scan_finds_the_slugs_the_services_set_themselves() -> None:
    assert {
        "unit-full",
        "rule-refused",
        "wrong-stage",
        "saturated",
        "validation",
    } <= service_slugs()


def test_every_problem_slug_has_a_message_in_every_language(app: Flask) -> None:
    assert sorted(service_slugs() - set(PROBLEMS)) == []
    untranslated = [
        slug
        for slug in sorted(PROBLEMS)
        if not translated(in_every_language(lambda s=slug: problem_headline({"type": f"/{s}"})))
    ]
    assert untranslated == []


def test_every_code_a_form_offers_is_translated(app: Flask) -> None:
    missing = {v: where for v, where in offered_codes().items() if v not in CODES}
    assert missing == {}
    untranslated = [
        v
        for v in sorted(CODES)
        if not translated(in_every_language(lambda v=v: code(v)), v in SAME_IN_AZ)
    ]
    assert untranslated == []


@pytest.mark.parametrize(
    "password",
    ["short", " a leading space is not allowed here", "password1234", "aaaaaaaaaaaaaaaa"],
)
def test_the_password_refusals_are_translated(app: Flask, password: str) -> None:
    reason = password_problem(password, "staff.new")
    assert reason is not None  # each one is refused, for its own reason
    said = in_every_language(lambda: field_message(reason))
    assert translated(said), (reason, said)
