"""Helpers the UI integration tests share (no tests of its own): the gateway's test client in front
of the three real service apps (each behind a LiveServer), staff accounts, and form helpers."""

from __future__ import annotations

import re
import uuid
from contextlib import ExitStack
from typing import Any

import requests
from flask.testing import FlaskClient

from detention.app import create_app as detention_app
from gateway.testing import add_user, gateway_for_tests, settings_for_tests
from passage.config import Settings
from passage.testing import LiveServer, identity_headers
from readmission.app import create_app as readmission_app
from voluntary_return.app import create_app as voluntary_return_app

INTERNAL = "test-internal-identity-secret-0123456789abcdef"
PASSWORD = "correct horse battery staple"
USERS: dict[str, tuple[str, dict[str, Any]]] = {
    "staff.baku": ("centre_staff", {"centres": ["baku"]}),
    "staff.yevlakh": ("centre_staff", {"centres": ["yevlakh"]}),
    "liaison": ("liaison_officer", {"all_scopes": True}),
    "caseworker": ("avr_caseworker", {}),
    "partner.iom": ("partner", {"organisation": "IOM"}),
    "auditor": ("auditor", {}),
    "admin": ("admin", {}),
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
APPS = {
    "detention": detention_app,
    "readmission": readmission_app,
    "voluntary-return": voluntary_return_app,
}


def service_settings(mongo_url: str, tag: str, service: str) -> Settings:
    return Settings.from_env(
        service,
        env={},
        mongo_url=mongo_url,
        mongo_db=f"t_{tag}_{service.replace('-', '_')}",
        bus_prefix=f"test-{tag}.",
        internal_token_secret=INTERNAL,
    )


class UiStack:
    """Three service apps over HTTP and a gateway (test client) with one account per role."""

    def __init__(self, mongo_url: str, **gateway_overrides: Any) -> None:
        self.tag = uuid.uuid4().hex[:10]
        self.mongo_url = mongo_url
        # plain-HTTP test client: development mode (cookies without Secure) unless a test says
        # otherwise
        self.overrides = {
            "development": not gateway_overrides.get("production", False),
            **gateway_overrides,
        }
        self._exit = ExitStack()

    def __enter__(self) -> UiStack:
        self.services = {
            name: make(service_settings(self.mongo_url, self.tag, name))
            for name, make in APPS.items()
        }
        self.urls = {
            name: self._exit.enter_context(LiveServer(app)).url
            for name, app in self.services.items()
        }
        base = Settings.from_env(
            "gateway", env={}, mongo_url=self.mongo_url, mongo_db=f"t_{self.tag}_gateway"
        )
        self.settings = settings_for_tests(
            base, self.urls, internal_token_secret=INTERNAL, **self.overrides
        )
        self.app, self.deps = gateway_for_tests(self.settings)
        for username, (role, scopes) in USERS.items():
            add_user(self.deps, username, role, PASSWORD, **scopes)
        return self

    def __exit__(self, *exc: object) -> None:
        self.deps.mongo.close()
        self._exit.close()
        for app in self.services.values():  # each service's own MongoDB client(s)
            for extension in list(app.extensions.values()):
                mongo = getattr(extension, "mongo", None)
                if mongo is not None and hasattr(mongo, "close"):
                    mongo.close()

    def api(
        self, method: str, path: str, role: str = "admin", body: Any = None, **scopes: Any
    ) -> requests.Response:
        """A direct call to a service (test set-up and checks), bypassing the gateway."""
        service = path.split("/")[3]
        headers = identity_headers(INTERNAL, role=role, user_id=f"test-{role}", **scopes)
        return requests.request(
            method, self.urls[service] + path, json=body, headers=headers, timeout=10
        )

    def client(self, username: str | None = None, lang: str = "en") -> FlaskClient:
        """A browser-like client reading ``lang`` (English unless asked); signed in as ``username``
        when given."""
        client = self.app.test_client()
        client.set_cookie("passage_lang", lang)
        if username:
            page = client.get("/ui/sign-in")
            answer = client.post(
                "/ui/sign-in",
                data={"username": username, "password": PASSWORD, "csrf_token": token(page)},
            )
            assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
        return client

    def centres(self) -> None:
        """Two centres: baku (a men's unit of 2 places, a women's unit) and yevlakh."""
        for centre in ("baku", "yevlakh"):
            assert self.api(
                "POST",
                "/api/v1/detention/centres",
                body={"id": centre, "name": f"{centre.title()} centre", "city": centre.title()},
            ).ok
        for unit, centre, category, places in (
            ("baku-m1", "baku", "men", 2),
            ("baku-w1", "baku", "women", 4),
            ("yevlakh-m1", "yevlakh", "men", 4),
        ):
            r = self.api(
                "POST",
                f"/api/v1/detention/centres/{centre}/units",
                body={
                    "id": unit,
                    "name": unit,
                    "category": category,
                    "declared_places": places,
                    "floor_area_m2": 60.0,
                },
            )
            assert r.status_code == 201, r.text

    def admit(self, unit_id: str, centre: str, family_name: str = "Rezaei") -> dict[str, Any]:
        body = {
            "unit_id": unit_id,
            "legal_basis": {
                "kind": "court_order",
                "decision_ref": "2-1/2026",
                "court": "Baku Administrative Court",
                "decided_on": "2026-11-20",
                "valid_until": "2027-02-20",
            },
            "person": {
                "given_name": "Ali",
                "family_name": family_name,
                "birth_date": "1990-04-02",
                "sex": "male",
                "nationality": "IRN",
            },
        }
        r = self.api(
            "POST", "/api/v1/detention/stays", role="centre_staff", body=body, centres=(centre,)
        )
        assert r.status_code == 201, r.text
        return r.json()


def token(page: Any) -> str:
    """The CSRF token of a rendered page (test client response)."""
    found = CSRF.search(page.get_data(as_text=True))
    assert found, "no csrf_token on the page"
    return found.group(1)


def admission_form(unit_id: str, **overrides: str) -> dict[str, str]:
    form = {
        "unit_id": unit_id,
        "person.given_name": "Ali",
        "person.family_name": "Karimi",
        "person.birth_date": "1990-04-02",
        "person.sex": "male",
        "person.nationality": "IRN",
        "legal_basis.kind": "court_order",
        "legal_basis.decision_ref": "2-77/2026",
        "legal_basis.court": "Baku Administrative Court",
        "legal_basis.decided_on": "2026-11-20",
        "legal_basis.valid_until": "2027-02-20",
    }
    form.update(overrides)
    return form
