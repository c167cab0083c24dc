"""The staff UI speaks Azerbaijani (default), English and Russian: no string of a template or page
is left untranslated, the compiled catalogues are the checked-in sources, the reader's choice
sticks to the session, and the services' problems, dates and numbers come in the reader's
language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, nodes

from tests.integration.test_ui_support import UiStack, admission_form, token

GATEWAY = Path(__file__).resolve().parents[2] / "gateway" / "gateway"
CATALOGUES = GATEWAY / "translations"
LOCALES = ("az", "en", "ru")
WORD = re.compile(r"[A-Za-zƏəÇçĞğİıÖöŞşÜüА-Яа-яЁё]{2,}")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
BRAND = {"Passage"}


@pytest.fixture(scope="module")
def stack(mongo_url: str) -> Iterator[UiStack]:
    with UiStack(mongo_url) as running:
        running.centres()
        yield running


def extracted() -> set[str]:
    """Every msgid pybabel finds in the UI's Python and templates (as ``pybabel extract`` would)."""
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    found = extract_from_dir(
        str(GATEWAY),
        [("ui/**.py", "python"), ("templates/ui/**.html", "jinja2")],
        keywords=keywords,
    )
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def catalogue(locale: str) -> Any:
    with open(CATALOGUES / locale / "LC_MESSAGES" / "messages.po", "rb") as source:
        return read_po(source)


def test_every_string_of_the_ui_has_a_translation_in_all_three_catalogues() -> None:
    wanted = extracted()
    assert len(wanted) > 300  # the extraction really found the UI's strings
    for locale in LOCALES:
        messages = {m.id: m for m in catalogue(locale) if m.id}
        missing = sorted(
            w for w in wanted if w not in messages or not messages[w].string or messages[w].fuzzy
        )
        assert not missing, f"{locale}: untranslated {missing[:20]}"
        if locale == "ru":
            latin_only = sorted(
                w
                for w in wanted
                if WORD.search(re.sub(r"%\(\w+\)s|CSV|CPT|UTC|IRN|ISO|Passage", "", w))
                and not CYRILLIC.search(messages[w].string)
            )
            assert not latin_only, f"ru: not Russian {latin_only[:20]}"


def test_the_compiled_catalogues_are_the_checked_in_sources() -> None:
    for locale in LOCALES:
        with open(CATALOGUES / locale / "LC_MESSAGES" / "messages.mo", "rb") as compiled:
            mo = {m.id: m.string for m in read_mo(compiled) if m.id}
        po = {m.id: m.string for m in catalogue(locale) if m.id and not m.fuzzy}
        assert mo == po, (
            f"{locale}: messages.mo is out of date; "
            "run pybabel compile -d gateway/gateway/translations"
        )


class _Texts(HTMLParser):
    """Text nodes and the user-visible attributes of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.skip += tag in ("script", "style")
        self.texts += [
            v for k, v in attrs if k in ("title", "aria-label", "placeholder", "alt") and v
        ]

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self.skip and data.strip():
            self.texts.append(data.strip())


def texts_of(html: str) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    return parser.texts


def bare_text(source: str) -> list[str]:
    """Words a template shows outside any ``{{ … }}``/``{% … %}`` (that is, not through ``_()``)."""
    lexed = "".join(
        value if kind == "data" else " " for _, kind, value in Environment().lex(source)
    )
    return [t for t in texts_of(lexed) if WORD.search(re.sub("|".join(BRAND), "", t))]


def words_in_expressions(source: str) -> list[str]:
    """Words written as string constants inside ``{{ … }}``/``{% … %}`` but not given to ``_()``."""
    tree = Environment(extensions=["jinja2.ext.i18n"]).parse(source)
    given = {
        id(arg)
        for call in tree.find_all(nodes.Call)
        if isinstance(call.node, nodes.Name) and call.node.name in ("_", "gettext", "ngettext")
        for arg in call.args
    }
    return [
        c.value
        for c in tree.find_all(nodes.Const)
        if isinstance(c.value, str)
        and id(c) not in given
        and WORD.search(c.value)
        and re.search(r"[A-Z][a-z]|[a-z] [a-z]", c.value)
    ]


def test_no_template_shows_text_outside_the_catalogue() -> None:
    templates = sorted((GATEWAY / "templates" / "ui").glob("*.html"))
    assert len(templates) > 15
    found = {
        t.name: [*bare_text(t.read_text()), *words_in_expressions(t.read_text())] for t in templates
    }
    assert {name: words for name, words in found.items() if words} == {}
    assert bare_text("<p>{{ _('Fine') }} Not fine</p>") == [
        "Not fine"
    ]  # the checks themselves can fail
    assert words_in_expressions(
        "{{ field('x', 'User name') }}{{ _('Fine') }}{{ x.replace('_', ' ') }}"
    ) == ["User name"]


def english_left(html: str) -> list[str]:
    """Text nodes of a page in another language that are still an English catalogue string."""
    english = {m.id for m in catalogue("az") if m.id and m.string != m.id}
    return [t for t in texts_of(html) if t in english]


PAGES = {
    "staff.baku": [
        "/ui/centres/baku",
        "/ui/centres/baku/family-admission",
        "/ui/centres/baku/stays",
    ],
    "liaison": ["/ui/worklist", "/ui/requests", "/ui/transits", "/ui/transits/new"],
    "caseworker": ["/ui/cases", "/ui/cases/needs-action", "/ui/cases/new"],
    "partner.iom": ["/ui/reports"],
    "auditor": ["/ui/audit"],
    "admin": [
        "/ui/",
        "/ui/admin/centres",
        "/ui/admin/centres/baku",
        "/ui/admin/users",
        "/ui/admin/agreements",
        "/ui/admin/calendars",
    ],
}


@pytest.mark.parametrize("lang", ["az", "ru"])
def test_every_role_reads_its_pages_in_its_language(stack: UiStack, lang: str) -> None:
    held = stack.admit("baku-m1", "baku", family_name="Languagetest")
    case = stack.api(
        "POST",
        "/api/v1/voluntary-return/cases",
        role="avr_caseworker",
        body={"person_ref": held["person_ref"], "source": "ngo", "organisation": "Caritas Baku"},
    ).json()
    pages = {
        **PAGES,
        "staff.baku": [*PAGES["staff.baku"], f"/ui/stays/{held['id']}"],
        "caseworker": [
            *PAGES["caseworker"],
            f"/ui/cases/{case['id']}",
            f"/ui/persons/{held['person_ref']}",
        ],
    }
    for username, paths in pages.items():
        client = stack.client(username, lang=lang)
        for path in paths:
            page = client.get(path)
            html = page.get_data(as_text=True)
            assert page.status_code == 200, (path, html[:300])
            assert f'<html lang="{lang}">' in html
            assert english_left(html) == [], (username, path)
    english = stack.client("staff.baku", lang="en").get("/ui/centres/baku").get_data(as_text=True)
    assert english_left(english) != []  # the check finds English when English is what is shown


def test_the_language_chosen_in_the_header_stays_with_the_session(stack: UiStack) -> None:
    client = stack.client("liaison", lang="az")
    page = client.get("/ui/worklist")
    assert "İş siyahısı" in page.get_data(as_text=True)
    switched = client.post(
        "/ui/language", data={"lang": "ru", "next": "/ui/worklist", "csrf_token": token(page)}
    )
    assert switched.status_code == 303 and switched.headers["Location"].endswith("/ui/worklist")
    client.delete_cookie("passage_lang")  # the session remembers it, not only the browser's cookie
    assert "Список задач" in client.get("/ui/worklist").get_data(as_text=True)
    wrong = client.post(
        "/ui/language",
        data={"lang": "fr", "next": "https://evil.example/", "csrf_token": token(page)},
    )
    assert (
        wrong.status_code == 303 and wrong.headers["Location"] == "/ui/"
    )  # no open redirect, default language
    assert client.post("/ui/language", data={"lang": "en"}).status_code == 400  # CSRF still applies


def test_the_sign_in_page_has_the_switcher_before_anyone_signs_in(stack: UiStack) -> None:
    client = stack.client(lang="ru")
    page = client.get("/ui/sign-in")
    assert "Вход в Passage" in page.get_data(as_text=True)
    wrong = client.post(
        "/ui/sign-in", data={"username": "liaison", "password": "nope", "csrf_token": token(page)}
    )
    assert "Неверное имя пользователя или пароль." in wrong.get_data(as_text=True)


def test_a_services_refusal_comes_in_the_readers_language_by_its_type(stack: UiStack) -> None:
    stack.api("PATCH", "/api/v1/detention/units/baku-m1", body={"declared_places": 1})
    try:
        if _free(stack, "baku-m1"):
            stack.admit("baku-m1", "baku", family_name="Fillsitup")
        client = stack.client("staff.baku", lang="az")
        page = client.get("/ui/centres/baku")
        refused = client.post(
            "/ui/centres/baku/admit", data={**admission_form("baku-m1"), "csrf_token": token(page)}
        )
        html = refused.get_data(as_text=True)
        assert refused.status_code == 409
        assert (
            "Bu bölmə doludur: boş yer yoxdur." in html
        )  # the type's message, in Azerbaijani, at the form
        missing = client.post(
            "/ui/centres/baku/admit",
            data={
                **admission_form("baku-w1", **{"person.given_name": ""}),
                "csrf_token": token(page),
            },
        )
        assert "Bu sahəni doldurun." in missing.get_data(
            as_text=True
        )  # a field's message, translated
    finally:
        stack.api("PATCH", "/api/v1/detention/units/baku-m1", body={"declared_places": 2})


def _free(stack: UiStack, unit: str) -> bool:
    return stack.api("GET", f"/api/v1/detention/units/{unit}").json()["free_places"] > 0


def test_dates_and_numbers_come_in_the_readers_format(stack: UiStack) -> None:
    held = stack.api(
        "POST",
        "/api/v1/detention/stays",
        role="centre_staff",
        centres=("baku",),
        body={
            "unit_id": "baku-w1",
            "legal_basis": {
                "kind": "court_order",
                "decision_ref": "2-9/2026",
                "court": "Baku court",
                "decided_on": "2026-11-20",
                "valid_until": "2027-02-20",
            },
            "person": {
                "given_name": "Aysel",
                "family_name": "Datetest",
                "birth_date": "1992-01-01",
                "sex": "female",
            },
        },
    )
    assert held.status_code == 201, held.text
    stay = held.json()
    html_ru = (
        stack.client("staff.baku", lang="ru")
        .get(f"/ui/stays/{stay['id']}")
        .get_data(as_text=True)
        .replace("\u202f", " ")
    )
    html_en = (
        stack.client("staff.baku", lang="en").get(f"/ui/stays/{stay['id']}").get_data(as_text=True)
    )
    assert "1 янв. 1992 г." in html_ru and "Jan 1, 1992" in html_en  # the date of birth, 1992-01-01
