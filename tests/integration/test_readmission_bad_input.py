"""Every readmission endpoint answers bad input with a 4xx problem and stores nothing; scopes and
personal-data rules hold; the protocol registry seeds idempotently and versions by date."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from readmission.domain.protocols import PROTOCOL_STATES
from tests.integration.test_readmission_requests import drive
from tests.integration.test_readmission_support import PREFIX, Service, new_request

GOOD = new_request()
BAD_CREATES: list[tuple[dict[str, Any], int]] = [
    ({**GOOD, "extra": 1}, 422),
    ({**GOOD, "member_state": "GB"}, 422),
    ({**GOOD, "member_state": {"$ne": None}}, 422),
    ({**GOOD, "person_ref": "$where"}, 422),
    ({**GOOD, "person_ref": {"$gt": ""}}, 422),
    ({**GOOD, "voluntary_return_offered": "true"}, 422),
    ({**GOOD, "learned_on": "2026-02-30"}, 422),
    ({**GOOD, "learned_on": "2027-01-01"}, 422),
    ({**GOOD, "procedure": "accelerated"}, 422),
    ({**GOOD, "category": "tourist"}, 422),
    ({k: v for k, v in GOOD.items() if k != "particulars"}, 422),
    ({**GOOD, "particulars": {**GOOD["particulars"], "family_name": " x"}}, 422),
    ({**GOOD, "particulars": {**GOOD["particulars"], "ssn": "1"}}, 422),
    ({**GOOD, "evidence": [{"kind": "hearsay", "of": "nationality", "type": "passport"}]}, 422),
    ({**GOOD, "evidence": "passport"}, 422),
    ([GOOD], 422),
    ({**GOOD, "person_ref": GOOD["person_ref"] + "\n"}, 422),
    ({**GOOD, "person_ref": GOOD["person_ref"] + "\x00"}, 422),
    ({**GOOD, "person_ref": GOOD["person_ref"] + "\r"}, 422),
    ({**GOOD, "person_ref": "АZ-1"}, 422),
    ({**GOOD, "particulars": {**GOOD["particulars"], "nationality": "IRN\n"}}, 422),
]
BAD_ACTIONS: list[tuple[str, dict[str, Any]]] = [
    ("submit", {"received_on": "tomorrow"}),
    ("submit", {"received_on": "2027-01-01"}),
    ("submit", {"x": 1}),
    ("reject", {}),
    ("reject", {"reasons": []}),
    ("reject", {"reasons": [{"code": "dislike", "explanation": "x"}]}),
    ("extensions", {"total_days": 61, "motivation": "Too long"}),
    ("extensions", {"total_days": "30", "motivation": "x"}),
    ("extensions", {"total_days": 10, "motivation": "Shorter than the limit"}),
    ("extensions", {"total_days": 30}),
    ("withdraw", {"reason": "bored"}),
    ("evidence", {"kind": "proof"}),
    ("request-info", {"note": 5}),
    # #10: replies are dated; an officer never picks the evidence class; obstacles need a reason and
    # a later day.
    ("accept", {}),
    ("accept", {"replied_on": "2026-11-03"}),
    ("accept", {"replied_on": "2026-11-01"}),
    ("accept", {"replied_on": "2026-11-02", "received_on": "2026-11-01"}),
    ("request-info", {"note": "Photo"}),
    ("reject", {"reasons": [{"code": "other", "explanation": "x"}]}),
    ("evidence", {"of": "nationality", "type": "photocopy", "class": "proof"}),
    ("evidence", {"of": "nationality", "type": "photocopy", "kind": "proof"}),
    ("evidence", {"of": "nationality", "type": "visa"}),
    ("submission-extensions", {"due_on": "2027-09-01"}),
    ("submission-extensions", {"reason": "x"}),
    ("transfer-extensions", {"due_on": "2027-09-01", "reason": "Not accepted yet"}),
]
ACCEPT = {"replied_on": "2026-11-02"}


@pytest.fixture
def service(rabbit_url, settings_for) -> Service:
    return Service(settings_for("readmission", broker=rabbit_url))


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_json())
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def test_bad_creations_are_refused_and_store_nothing(service: Service) -> None:
    before = service.counts()
    for body, status in BAD_CREATES:
        problem(
            service.client.post(f"{PREFIX}/requests", json=body, headers=service.headers()), status
        )
    problem(
        service.client.post(
            f"{PREFIX}/requests",
            data="{not json",
            headers={**service.headers(), "Content-Type": "application/json"},
        ),
        400,
    )
    problem(
        service.client.post(
            f"{PREFIX}/requests?member_state[$ne]=1", json=GOOD, headers=service.headers()
        ),
        422,
    )
    assert service.counts() == before


def test_bad_actions_are_refused_and_change_nothing(service: Service) -> None:
    request = drive(service, "submitted")
    before = service.counts()
    for path, body in BAD_ACTIONS:
        response = service.act(request["id"], path, body)
        assert (
            400 <= response.status_code < 500 and response.mimetype == "application/problem+json"
        ), (path, body)
    for bad_id in ("not-a-uuid", "%24ne", "x" * 80):
        problem(service.act(bad_id, "accept", ACCEPT), 422)
    problem(service.act("00000000-0000-4000-8000-000000000000", "accept", ACCEPT), 404)
    problem(service.act(request["id"], "accept", ACCEPT, **{"If-Match": "v1"}), 412)
    after = service.get(request["id"]).get_json()
    assert after["version"] == request["version"] and after["state"] == "submitted"
    assert service.counts() == before


@pytest.mark.parametrize(
    "path",
    [
        "/requests?person_ref[$ne]=1",
        "/requests?limit=0",
        "/requests?limit=201",
        "/requests?limit=true",
        "/requests?cursor=%7B%7D",
        "/requests?cursor=bm90LWEtdXVpZA",
        "/requests?state=lost",
        "/requests?member_state=XX",
        "/requests/not-an-id",
        "/requests/00000000-0000-4000-8000-000000000000?x=1",
        "/worklist?cursor=Zm9v",
        "/worklist?limit=-1",
        "/worklist?due_on[$lt]=z",
        "/statistics",
        "/statistics?month=2026-13",
        "/statistics?month=2026-1",
        "/statistics?month[$ne]=1",
        "/protocols?x=1",
        "/protocols/XX",
    ],
)
def test_bad_queries_are_problems(service: Service, path: str) -> None:
    response = service.client.get(f"{PREFIX}{path}", headers=service.headers("admin"))
    assert response.status_code in (404, 422) and response.mimetype == "application/problem+json"


def test_scopes_and_personal_data(service: Service) -> None:
    de = drive(service, "submitted")
    fr = service.create(member_state="FR", person_ref="AZ-FR-1")
    france = {"member_states": ("FR",)}
    problem(service.get(de["id"], **france), 404)
    problem(
        service.client.post(
            f"{PREFIX}/requests/{de['id']}/accept", json=ACCEPT, headers=service.headers(**france)
        ),
        404,
    )
    problem(
        service.client.post(
            f"{PREFIX}/requests", json=new_request(), headers=service.headers(**france)
        ),
        403,
    )
    listed = service.client.get(f"{PREFIX}/requests", headers=service.headers(**france)).get_json()
    assert [i["id"] for i in listed["items"]] == [fr["id"]]
    assert (
        service.client.get(
            f"{PREFIX}/requests?member_state=DE", headers=service.headers(**france)
        ).get_json()["items"]
        == []
    )
    officer = service.get(fr["id"], **france).get_json()
    assert (
        officer["particulars"]["family_name"] == "Rezaei"
        and officer["evidence"][0]["reference"] == "TK-0099"
    )
    audited = service.get(de["id"], "auditor").get_json()
    assert "particulars" not in audited and "reference" not in audited["evidence"][0]
    assert audited["history"] and audited["deadlines"]
    for role in ("auditor", "centre_staff", "avr_caseworker", "partner"):
        assert service.act(de["id"], "accept", ACCEPT, role=role).status_code == 403
    for role in ("centre_staff", "avr_caseworker", "partner"):
        assert service.get(de["id"], role).status_code == 403


def test_protocol_registry_seeds_idempotently_and_versions_by_date(service: Service) -> None:
    store = service.deps.protocols
    assert (
        store.seed(service.clock()) == 28 and store.seed(service.clock()) == 0
    )  # 27 member states and Norway
    listed = service.client.get(f"{PREFIX}/protocols", headers=service.headers()).get_json()[
        "items"
    ]
    assert sorted(p["member_state"] for p in listed) == sorted(
        PROTOCOL_STATES
    )  # #10: Norway's agreement too
    de = service.client.get(f"{PREFIX}/protocols/DE", headers=service.headers())
    assert de.get_json()["current"]["status"] == "none" and de.get_json()["current"][
        "languages"
    ] == ["de"]
    norway = service.client.get(f"{PREFIX}/protocols/NO", headers=service.headers()).get_json()
    assert (
        norway["versions"][0]["effective_from"] == "2015-06-01"
    )  # the Norway–Azerbaijan agreement's entry into force
    version = {
        "effective_from": "2027-01-01",
        "status": "in_force",
        "languages": ["de", "en"],
        "competent_authorities": {
            "own_nationals": ["Federal Police"],
            "third_country_nationals": ["Federal Police"],
        },
        "border_crossing_points": ["Frankfurt airport"],
    }
    url = f"{PREFIX}/protocols/DE/versions"
    problem(service.client.post(url, json=version, headers=service.headers("admin")), 428)
    problem(
        service.client.post(
            url, json=version, headers={**service.headers(), "If-Match": de.headers["ETag"]}
        ),
        403,
    )
    problem(
        service.client.post(
            url,
            json={**version, "status": "maybe"},
            headers={**service.headers("admin"), "If-Match": de.headers["ETag"]},
        ),
        422,
    )
    added = service.client.post(
        url, json=version, headers={**service.headers("admin"), "If-Match": de.headers["ETag"]}
    )
    assert (
        added.status_code == 201 and added.get_json()["current"]["status"] == "none"
    )  # not in force yet
    assert [v["effective_from"] for v in added.get_json()["versions"]] == [
        "2014-09-01",
        "2027-01-01",
    ]
    problem(
        service.client.post(
            url, json=version, headers={**service.headers("admin"), "If-Match": de.headers["ETag"]}
        ),
        412,
    )
    env = {
        **os.environ,
        "MONGO_URL": service.deps.settings.mongo_url,
        "READMISSION_MONGO_DB": service.deps.settings.mongo_db,
    }
    out = subprocess.run(
        [sys.executable, "-m", "readmission.seed"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert out.returncode == 0 and json.loads(out.stdout.strip().splitlines()[-1]) == {
        "protocols_added": 0
    }, out.stderr
