"""The scenario of the role-field contract (no tests of its own): one person known to detention,
readmission and voluntary return on the real SecantusDB, with every personal field filled in, and
a way to read any route as any role."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from passage.config import Settings
from passage.testing import identity_headers
from tests.dates import centres_today
from tests.integration.test_locations_support import record_directly, stay_event

ROLES: dict[str, dict[str, Any]] = {
    "admin": {},
    "centre_staff": {"centres": ["baku"]},
    "liaison_officer": {"member_states": ["DE"]},
    "avr_caseworker": {},
    "partner": {"organisation": "IOM"},
    "auditor": {},
}
FORBIDDEN = 403


def flatten(value: Any, prefix: str = "") -> set[str]:
    """Every field path in a JSON answer: ``a.b`` for nested objects, ``a[].b`` across list
    items."""
    if isinstance(value, dict):
        paths = {prefix} if prefix and not value else set()
        for key, item in value.items():
            paths |= flatten(item, f"{prefix}.{key}" if prefix else key)
        return paths
    if isinstance(value, list):
        paths = (
            {prefix + "[]"}
            if not value or not all(isinstance(v, (dict, list)) for v in value)
            else set()
        )
        for item in value:
            if isinstance(item, (dict, list)):
                paths |= flatten(item, prefix + "[]")
        return paths
    return {prefix}


def _settings(mongo_url: str, service: str, run: str) -> Settings:
    return Settings.from_env(
        service,
        env={},
        mongo_url=mongo_url,
        mongo_db=f"t_{run}_{service}_fields",
        amqp_url="",
        bus_prefix=f"fields-{run}.",
    )


class World:
    """One person known to all three services, with every personal field filled in."""

    def __init__(self, mongo_url: str) -> None:
        from detention import service as detention_service
        from detention.app import create_app as detention_app
        from tests.integration import test_readmission_transit_support as transits
        from tests.integration.test_readmission_support import Service as Readmission
        from tests.integration.test_voluntary_return_support import service as voluntary_return

        run = uuid.uuid4().hex[:8]
        self.person_ref = f"AZ-2026-{run}"
        settings = _settings(mongo_url, "detention", run)
        self.detention = detention_app(
            settings, detention_service.build_deps(settings)
        ).test_client()
        self.secrets = {"detention": settings.internal_token_secret}
        self.stay = self._admit()
        self.readmission = Readmission(_settings(mongo_url, "readmission", run))
        transits.list_crossing_points(
            self.readmission, "DE", ["Heydar Aliyev International Airport"]
        )
        self.request = self._request(
            "submit",
            "extend",
            "accept",
            "record_travel_document",
            "schedule_transfer",
            "complete_transfer",
        )
        self._request("submit", "reject")
        self.transit = transits.create(self.readmission, person_ref=self.person_ref)
        for step in ("approve", "revoke_consent"):
            path, body = transits.ACTIONS[step]
            assert transits.act(self.readmission, self.transit["id"], path, body).status_code == 200
        self.vr = voluntary_return(_settings(mongo_url, "voluntary_return", run))
        held = stay_event(
            "opened", self.person_ref, self.stay["id"], centre_id="baku", unit_id="baku-m1"
        )
        record_directly(self.readmission.deps, held)
        record_directly(self.vr.deps, held)
        self.case = self._case()

    def _request(self, *steps: str) -> dict[str, Any]:
        from tests.integration.test_readmission_requests import ACTIONS

        request = self.readmission.create(person_ref=self.person_ref)
        for step in steps:
            path, body = ACTIONS[step]
            response = self.readmission.act(request["id"], path, body)
            assert response.status_code == 200, (step, response.get_json())
        return request

    def _admit(self) -> dict[str, Any]:
        today = centres_today()  # the entry examination is on the admission's day in Baku
        admin = self.headers("detention", "admin")
        for path, body in (
            ("/centres", {"id": "baku", "name": "Baku centre", "city": "Baku"}),
            (
                "/centres/baku/units",
                {
                    "id": "baku-m1",
                    "name": "M1",
                    "category": "men",
                    "declared_places": 10,
                    "floor_area_m2": 60.0,
                },
            ),
        ):
            assert (
                self.detention.post(
                    f"/api/v1/detention{path}", json=body, headers=admin
                ).status_code
                == 201
            )
        response = self.detention.post(
            "/api/v1/detention/stays",
            headers=admin,
            json={
                "unit_id": "baku-m1",
                "vulnerabilities": ["torture_survivor"],
                "person": {
                    "person_ref": self.person_ref,
                    "given_name": "Ali",
                    "family_name": "Rezaei",
                    "birth_date": "1990-04-02",
                    "sex": "male",
                    "nationality": "IRN",
                },
                "legal_basis": {
                    "kind": "court_order",
                    "decision_ref": "2-1234/2026",
                    "court": "Baku Administrative Court",
                    "decided_on": today.isoformat(),
                    "valid_until": (today + timedelta(days=90)).isoformat(),
                },
                "medical_examination": {
                    "examined_on": today.isoformat(),
                    "examined_by": "Dr. N. Aliyeva",
                    "fit_for_detention": True,
                    "notes": "Scars on both arms.",
                },
            },
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def _case(self) -> dict[str, Any]:
        from tests.integration.test_voluntary_return_support import PATHS

        response = self.vr.refer(self.person_ref, source="detention_centre")
        assert response.status_code == 201, response.get_json()
        case = response.get_json()
        for action, body in [("record_consent_to_share", None), *PATHS["monitoring"]]:
            response = self.vr.act(case["id"], action, body)
            assert response.status_code == 200, (action, response.get_json())
        return response.get_json()

    def headers(self, service: str, role: str) -> dict[str, str]:
        secret = (
            self.secrets.get(service)
            or {
                "readmission": self.readmission.secret,
                "voluntary_return": self.vr.settings.internal_token_secret,
            }[service]
        )
        return identity_headers(secret, role=role, user_id=f"{role}-1", **ROLES[role])

    def get(self, service: str, path: str, role: str) -> Any:
        client = {
            "detention": self.detention,
            "readmission": self.readmission.client,
            "voluntary_return": self.vr.client,
        }[service]
        prefix = {
            "detention": "/api/v1/detention",
            "readmission": "/api/v1/readmission",
            "voluntary_return": "/api/v1/voluntary-return",
        }[service]
        path = path.format(
            stay=self.stay["id"],
            request=self.request["id"],
            transit=self.transit["id"],
            case=self.case["id"],
            person=self.person_ref,
        )
        return client.get(prefix + path, headers=self.headers(service, role))
