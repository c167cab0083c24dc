"""The detention slice's API doing its job: centres, units, admissions, who sees what, paging,
the events each change leaves in the outbox, and the capacity refresh when blocks expire."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from detention import service, timers
from detention.adapters.repository import STAYS, UNITS
from detention.app import create_app
from passage.events import validate_event
from passage.testing import identity_headers

P = "/api/v1/detention"
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
ORDER = {
    "kind": "court_order",
    "decision_ref": "2-1234/2026",
    "court": "Baku Administrative Court",
    "decided_on": "2026-11-20",
    "valid_until": "2027-02-20",
}


class Api:
    """A test client with a settable clock and headers per role."""

    def __init__(self, settings_for: Any) -> None:
        self.settings = settings_for("detention")
        self.now = NOW
        self.deps = replace(service.build_deps(self.settings), clock=lambda: self.now)
        self.client = create_app(self.settings, self.deps).test_client()

    def headers(self, role: str = "admin", **scopes: Any) -> dict[str, str]:
        return identity_headers(self.settings.internal_token_secret, role=role, **scopes)

    def post(self, path: str, body: dict[str, Any], role: str = "admin", **scopes: Any) -> Any:
        return self.client.post(f"{P}{path}", json=body, headers=self.headers(role, **scopes))

    def get(self, path: str, role: str = "admin", **scopes: Any) -> Any:
        return self.client.get(f"{P}{path}", headers=self.headers(role, **scopes))

    def centre(self, centre_id: str) -> None:
        assert (
            self.post(
                "/centres", {"id": centre_id, "name": f"{centre_id} centre", "city": "Baku"}
            ).status_code
            == 201
        )

    def unit(
        self, centre_id: str, unit_id: str, category: str = "men", places: int = 10, **more: Any
    ) -> dict[str, Any]:
        response = self.post(
            f"/centres/{centre_id}/units",
            {
                "id": unit_id,
                "name": unit_id,
                "category": category,
                "declared_places": places,
                "floor_area_m2": 60.0,
                **more,
            },
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def admit(
        self,
        unit_id: str,
        role: str = "admin",
        person: dict[str, Any] | None = None,
        legal_basis: dict[str, Any] | None = None,
        **more: Any,
    ) -> Any:
        body = {
            "unit_id": unit_id,
            "legal_basis": legal_basis or ORDER,
            **more,
            "person": {
                "given_name": "Ali",
                "family_name": "Rezaei",
                "birth_date": "1990-04-02",
                "sex": "male",
                "nationality": "IRN",
                **(person or {}),
            },
        }
        return self.post(
            "/stays", body, role, **({"centres": ("baku",)} if role == "centre_staff" else {})
        )


@pytest.fixture
def api(settings_for: Any) -> Iterator[Api]:
    yield Api(settings_for)


def test_centres_are_created_read_and_paged(api: Api) -> None:
    created = api.post("/centres", {"id": "baku", "name": "Baku Detention Centre", "city": "Baku"})
    assert created.status_code == 201 and created.headers["ETag"] == '"v1"'
    assert created.headers["Location"] == f"{P}/centres/baku"
    assert api.get("/centres/baku").get_json() == created.get_json()
    for n in range(4):
        api.centre(f"c{n}-centre")
    seen, cursor = [], None
    while True:
        page = api.get(f"/centres?limit=2{'&cursor=' + cursor if cursor else ''}").get_json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(["baku", "c0-centre", "c1-centre", "c2-centre", "c3-centre"])
    assert [
        c["id"]
        for c in api.get("/centres", "centre_staff", centres=("c1-centre",)).get_json()["items"]
    ] == ["c1-centre"]


def test_units_report_capacity_free_places_and_the_cpt_standard(api: Api) -> None:
    api.centre("baku")
    unit = api.unit(
        "baku",
        "baku-m1",
        places=20,
        blocked_places=[
            {"places": 2, "reason": "repairs", "until": "2026-12-01"},
            {"places": 4, "reason": "old", "until": "2026-11-19"},
        ],
    )
    assert (unit["capacity"], unit["occupancy"], unit["free_places"]) == (18, 0, 18)
    assert (unit["cpt_capacity"], unit["over_standard"]) == (15, True)
    assert [b["in_force"] for b in unit["blocked_places"]] == [True, False]
    assert api.get("/units/baku-m1").get_json() == unit
    assert api.get("/units/baku-m1", "liaison_officer").status_code == 200
    assert [
        u["id"]
        for u in api.get("/centres/baku/units", "centre_staff", centres=("baku",)).get_json()[
            "items"
        ]
    ] == ["baku-m1"]
    events = [
        validate_event(e)
        for e in api.deps.mongo.collection(UNITS).find_one({"_id": "baku-m1"})["outbox"]
    ]
    assert [(e.type, e.data["capacity"], e.data["blocked_places"]) for e in events] == [
        ("detention.unit.capacity_changed", 18, 2)
    ]


def test_centre_staff_admit_into_their_centre_and_see_the_particulars(api: Api) -> None:
    api.centre("baku")
    api.unit("baku", "baku-m1")
    admitted = api.admit("baku-m1", role="centre_staff", person={"person_ref": "AZ-2026-000001"})
    assert admitted.status_code == 201, admitted.get_json()
    stay = admitted.get_json()
    assert (
        stay["status"] == "open"
        and stay["person_ref"] == "AZ-2026-000001"
        and stay["legal_end"] == "2027-02-20"
    )
    assert (
        stay["person"]["family_name"] == "Rezaei"
        and stay["legal_basis"]["court"] == "Baku Administrative Court"
    )
    assert (stay["age_band"], stay["centre_id"], stay["admitted_at"]) == (
        "35-64",
        "baku",
        "2026-11-20T09:30:00+00:00",
    )
    assert api.get("/units/baku-m1").get_json()["occupancy"] == 1
    assert api.get("/units/baku-m1").headers["ETag"] == '"v2"'
    own = api.get(f"/stays/{stay['id']}", "centre_staff", centres=("baku",))
    assert own.get_json() == stay and own.headers["ETag"] == '"v1"'


def test_auditors_read_stays_without_personal_particulars(api: Api) -> None:
    api.centre("baku")
    api.unit("baku", "baku-m1")
    stay = api.admit("baku-m1").get_json()
    for view in (
        api.get(f"/stays/{stay['id']}", "auditor").get_json(),
        api.get("/stays", "auditor").get_json()["items"][0],
    ):
        assert "person" not in view and view["legal_basis"] == {"kind": "court_order"}
        # #11: auditors get metadata only -- sex, nationality, age band and alerts are withheld too
        # now.
        assert view["person_ref"] == stay["person_ref"] and view["centre_id"] == "baku"
        assert {"sex", "nationality", "age_band", "alerts", "vulnerabilities"}.isdisjoint(view)


def test_the_admission_event_sits_in_the_stays_outbox_without_personal_data(api: Api) -> None:
    api.centre("baku")
    api.unit("baku", "baku-m1")
    stay = api.admit("baku-m1").get_json()
    doc = api.deps.mongo.collection(STAYS).find_one({"_id": stay["id"]})
    assert doc["outbox_pending"] is True and len(doc["outbox"]) == 1
    event = validate_event(doc["outbox"][0])
    assert (event.type, event.subject, event.source) == (
        "detention.stay.opened",
        stay["id"],
        "detention",
    )
    assert event.data == {
        "stay_id": stay["id"],
        "person_ref": stay["person_ref"],
        "centre_id": "baku",
        "unit_id": "baku-m1",
        "legal_basis": "court_order",
        "admitted_at": "2026-11-20T09:30:00.000Z",
        "legal_end": "2027-02-20",
        "nationality": "IRN",
        "sex": "male",
        "age_band": "35-64",
    }


def test_asylum_applicants_get_the_legal_maximum_as_legal_end(api: Api) -> None:
    api.centre("baku")
    api.unit("baku", "baku-m1")
    api.now = datetime(2027, 11, 30, 8, 0, tzinfo=UTC)
    stay = api.admit("baku-m1", legal_basis={"kind": "asylum_applicant"}).get_json()
    assert stay["legal_end"] == "2028-02-29"


def test_a_minor_needs_the_override_and_raises_an_alert(api: Api) -> None:
    api.centre("baku")
    api.unit("baku", "baku-v1", category="vulnerable")
    minor = {"birth_date": "2010-05-05"}
    refused = api.admit("baku-v1", person=minor)
    assert refused.status_code == 422 and refused.get_json()["rule"] == "unaccompanied_minor"
    override = {"reason": "age disputed; assessment booked", "approved_by": "Lt. R. Mammadov"}
    stay = api.admit("baku-v1", person=minor, minor_override=override).get_json()
    assert stay["alerts"] == ["unaccompanied_child"] and stay["minor_override"] == override
    assert "minor_override" not in api.get(f"/stays/{stay['id']}", "auditor").get_json()


def test_stays_page_in_admission_order_and_filter(api: Api) -> None:
    api.centre("baku")
    api.unit("baku", "baku-m1")
    api.unit("baku", "baku-w1", category="women")
    ids = []
    for n in range(5):
        api.now = NOW + timedelta(seconds=n)
        unit, sex = ("baku-w1", "female") if n % 2 else ("baku-m1", "male")
        ids.append(api.admit(unit, person={"sex": sex}).get_json()["id"])
    first = api.get("/stays?limit=3").get_json()
    rest = api.get(f"/stays?limit=3&cursor={first['next_cursor']}").get_json()
    assert [s["id"] for s in first["items"] + rest["items"]] == ids and rest["next_cursor"] is None
    assert [
        s["id"] for s in api.get("/stays?unit_id=baku-w1&status=open").get_json()["items"]
    ] == ids[1::2]
    assert api.get("/stays?status=closed").get_json()["items"] == []
    assert (
        api.get("/stays?centre_id=baku", "centre_staff", centres=("baku",)).get_json()["items"][0][
            "id"
        ]
        == ids[0]
    )


def test_expired_blocks_give_their_places_back(api: Api) -> None:
    api.centre("baku")
    api.unit(
        "baku",
        "baku-m1",
        places=3,
        blocked_places=[{"places": 2, "reason": "repairs", "until": "2026-11-20"}],
    )
    assert api.admit("baku-m1").status_code == 201
    assert api.admit("baku-m1", person={"person_ref": "second"}).get_json()["capacity"] == 1
    assert (
        timers.refresh_capacities(api.deps.repository, NOW) == 0
    )  # the block holds through its last day
    api.now = NOW + timedelta(days=1)
    assert timers.refresh_capacities(api.deps.repository, api.now) == 1
    assert timers.refresh_capacities(api.deps.repository, api.now) == 0
    assert api.get("/units/baku-m1").get_json()["capacity"] == 3
    assert api.admit("baku-m1", person={"person_ref": "second"}).status_code == 201
    events = [
        validate_event(e)
        for e in api.deps.mongo.collection(UNITS).find_one({"_id": "baku-m1"})["outbox"]
    ]
    assert [e.data["capacity"] for e in events] == [1, 3]


def test_family_units_refuse_a_person_alone(api: Api) -> None:
    api.centre("baku")
    api.unit("baku", "baku-f1", category="family")
    refused = api.admit("baku-f1").get_json()
    assert (refused["status"], refused["rule"], refused["unit_id"]) == (
        422,
        "family_unit_for_families",
        "baku-f1",
    )


def test_probes_and_openapi(api: Api) -> None:
    assert api.client.get("/healthz").status_code == 200
    ready = api.client.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    spec = api.client.get("/openapi.json").get_json()
    assert {
        f"{P}/centres",
        f"{P}/centres/{{centre_id}}/units",
        f"{P}/units/{{unit_id}}",
        f"{P}/stays",
        f"{P}/stays/{{stay_id}}",
    } <= set(spec["paths"])
    post = spec["paths"][f"{P}/stays"]["post"]
    assert post["requestBody"]["content"]["application/json"]["example"]["unit_id"] == "baku-m1"
    assert {"201", "409", "422"} <= set(post["responses"])
