"""Shared set-up for readmission's integration tests: an app on a real SecantusDB with an injected
clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from passage.testing import identity_headers
from readmission import service
from readmission.app import create_app

PREFIX = "/api/v1/readmission"


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 2, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


def particulars() -> dict[str, Any]:
    return {
        "family_name": "Rezaei",
        "given_names": "Ali",
        "birth_date": "1990-04-02",
        "sex": "male",
        "nationality": "IRN",
        "documents": [{"type": "passport", "number": "K1234567", "issued_by": "IRN"}],
    }


def new_request(**overrides: Any) -> dict[str, Any]:
    body = {
        "direction": "outgoing",
        "member_state": "DE",
        "person_ref": "AZ-2026-000001",
        "category": "third_country_national",
        "procedure": "normal",
        "learned_on": "2026-10-01",
        "voluntary_return_offered": True,
        "particulars": particulars(),
        "evidence": [
            {"of": "third_country_conditions", "type": "travel_ticket", "reference": "TK-0099"}
        ],
    }
    body.update(overrides)
    return body


class Service:
    """The readmission app (test client) over real MongoDB, with a clock the test moves."""

    def __init__(self, settings: Any) -> None:
        self.clock = Clock()
        self.deps = service.build_deps(settings, clock=self.clock)
        self.app = create_app(settings, self.deps)
        self.client = self.app.test_client()
        self.secret = settings.internal_token_secret

    def headers(self, role: str = "liaison_officer", **scopes: Any) -> dict[str, str]:
        if (
            role == "liaison_officer"
            and "member_states" not in scopes
            and "all_scopes" not in scopes
        ):
            scopes["all_scopes"] = True
        return identity_headers(self.secret, role=role, **scopes)

    def create(self, role: str = "liaison_officer", **overrides: Any) -> dict[str, Any]:
        response = self.client.post(
            f"{PREFIX}/requests", json=new_request(**overrides), headers=self.headers(role)
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def act(
        self,
        request_id: str,
        path: str,
        body: dict[str, Any] | None = None,
        role: str = "liaison_officer",
        **headers: str,
    ) -> Any:
        return self.client.post(
            f"{PREFIX}/requests/{request_id}/{path}",
            json=body or {},
            headers={**self.headers(role), **headers},
        )

    def get(self, request_id: str, role: str = "liaison_officer", **scopes: Any) -> Any:
        return self.client.get(
            f"{PREFIX}/requests/{request_id}", headers=self.headers(role, **scopes)
        )

    def outbox_types(self, request_id: str) -> list[str]:
        doc = self.deps.mongo.collection("requests").find_one({"_id": request_id})
        return [e["type"] for e in doc.get("outbox", [])]

    def counts(self) -> dict[str, int]:
        db = self.deps.mongo.db
        return {
            name: db[name].count_documents({}) for name in ("requests", "deadlines", "statistics")
        }
