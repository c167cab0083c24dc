"""Families in detention through the HTTP API (issue #10 finding 6): family units admit members of
a family group, together or one by one; a minor with an adult parent or guardian of the group held
in the centre is accompanied, every other minor still needs the override; a family that does not
fit gets no place at all, also when two families race for the last places over real HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from detention import service
from detention.adapters.occupancy import DAILY
from detention.adapters.repository import STAYS, UNITS
from detention.adapters.verify import verify
from detention.app import create_app
from passage.testing import LiveServer, identity_headers
from tests.integration.test_detention_api import ORDER, Api
from tests.integration.test_detention_concurrency import _all_at_once

P = "/api/v1/detention"
OVERRIDE = {"reason": "no relative traced yet", "approved_by": "Lt. Mammadov"}


def person(ref: str, birth_date: str, sex: str = "male") -> dict[str, Any]:
    return {
        "person_ref": ref,
        "given_name": "A",
        "family_name": "Ahmadi",
        "birth_date": birth_date,
        "sex": sex,
        "nationality": "IRN",
    }


def member(
    ref: str, relation: str, birth_date: str, sex: str = "male", **more: Any
) -> dict[str, Any]:
    return {
        "relation": relation,
        "legal_basis": ORDER,
        "person": person(ref, birth_date, sex),
        **more,
    }


def family_of_three(tag: str) -> list[dict[str, Any]]:
    return [
        member(f"{tag}-FATHER", "parent", "1985-01-10"),
        member(f"{tag}-MOTHER", "parent", "1988-06-02", "female"),
        member(f"{tag}-CHILD", "child", "2015-03-15", "female"),
    ]


@pytest.fixture
def api(settings_for: Any) -> Iterator[Api]:
    api = Api(settings_for)
    api.centre("baku")
    api.unit("baku", "baku-f1", category="family", places=4)
    api.unit("baku", "baku-m1", category="men", places=4)
    yield api


def test_a_family_of_three_is_admitted_together_and_the_child_is_accompanied(api: Api) -> None:
    response = api.post(
        "/family-admissions",
        {"unit_id": "baku-f1", "members": family_of_three("F1")},
        "centre_staff",
        centres=("baku",),
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    stays = {s["person_ref"]: s for s in body["stays"]}
    assert {s["family_group"]["id"] for s in stays.values()} == {body["family_group_id"]}
    assert (
        stays["F1-CHILD"]["alerts"] == ["accompanied_child"]
        and "minor_override" not in stays["F1-CHILD"]
    )
    assert (
        stays["F1-FATHER"]["family_group"]["relation"] == "parent"
        and stays["F1-FATHER"]["alerts"] == []
    )
    assert api.get("/units/baku-f1").get_json()["occupancy"] == 3
    listed = api.get(f"/stays/{stays['F1-CHILD']['id']}").get_json()
    assert (
        listed["alerts"] == ["accompanied_child"]
        and listed["family_group"]["id"] == body["family_group_id"]
    )
    assert "family_group" not in api.get(f"/stays/{stays['F1-CHILD']['id']}", "auditor").get_json()


def test_members_join_a_group_one_by_one_and_a_child_joining_a_parent_is_accompanied(
    api: Api,
) -> None:
    father = api.admit(
        "baku-f1",
        person=person("F2-FATHER", "1985-01-10"),
        family_group={"new": True, "relation": "parent"},
    )
    assert father.status_code == 201, father.get_json()
    group = father.get_json()["family_group"]["id"]
    child = api.admit(
        "baku-f1",
        person=person("F2-SON", "2016-02-02"),
        family_group={"id": group, "relation": "child"},
    )
    assert child.status_code == 201, child.get_json()
    assert (
        child.get_json()["alerts"] == ["accompanied_child"]
        and child.get_json()["family_group"]["id"] == group
    )
    # a teenage son placed in the men's unit of the same centre is accompanied by the group's father
    # too
    teen = api.admit(
        "baku-m1",
        person=person("F2-TEEN", "2010-02-02"),
        family_group={"id": group, "relation": "child"},
    )
    assert teen.status_code == 201 and teen.get_json()["alerts"] == ["accompanied_child"]


def test_a_minor_with_no_adult_parent_or_guardian_in_the_group_still_needs_the_override(
    api: Api,
) -> None:
    sister = api.admit(
        "baku-f1",
        person=person("F3-SISTER", "2009-01-01", "female"),
        minor_override=OVERRIDE,
        family_group={"new": True, "relation": "sibling"},
    )
    assert sister.status_code == 201 and sister.get_json()["alerts"] == ["unaccompanied_child"]
    group = sister.get_json()["family_group"]["id"]
    brother = {
        "person": person("F3-BROTHER", "2012-01-01"),
        "family_group": {"id": group, "relation": "sibling"},
    }
    refused = api.admit("baku-f1", **brother)
    assert (refused.status_code, refused.get_json()["rule"]) == (422, "unaccompanied_minor")
    admitted = api.admit("baku-f1", minor_override=OVERRIDE, **brother).get_json()
    assert admitted["alerts"] == ["unaccompanied_child"] and admitted["minor_override"] == OVERRIDE
    # a teenage parent is no adult carer: her child is unaccompanied too
    teens = [
        member("F4-MOTHER", "parent", "2010-01-01", "female", minor_override=OVERRIDE),
        member("F4-BABY", "child", "2026-01-01", "female"),
    ]
    refused = api.post("/family-admissions", {"unit_id": "baku-f1", "members": teens}).get_json()
    assert (refused["status"], refused["rule"], refused["errors"][0]["pointer"]) == (
        422,
        "unaccompanied_minor",
        "/members/1/minor_override",
    )


def test_a_family_unit_refuses_a_person_without_a_family_group_and_unknown_groups(api: Api) -> None:
    alone = api.admit("baku-f1").get_json()
    assert (alone["status"], alone["rule"], alone["errors"][0]["pointer"]) == (
        422,
        "family_unit_for_families",
        "/family_group",
    )
    unknown = api.admit(
        "baku-f1", family_group={"id": str(uuid.uuid4()), "relation": "parent"}
    ).get_json()
    assert (unknown["status"], unknown["rule"]) == (422, "family_group_unknown")
    both = api.admit(
        "baku-f1", family_group={"id": str(uuid.uuid4()), "new": True, "relation": "parent"}
    ).get_json()
    assert (both["status"], both["rule"]) == (422, "family_group_choice")
    assert api.deps.mongo.collection(STAYS).count_documents({}) == 0


def test_a_group_held_in_another_centre_cannot_be_joined_from_here(api: Api) -> None:
    api.centre("yevlakh")
    api.unit("yevlakh", "yev-f1", category="family")
    group = api.post(
        "/family-admissions", {"unit_id": "yev-f1", "members": family_of_three("F5")}
    ).get_json()
    joined = api.admit(
        "baku-f1",
        person=person("F5-GRANNY", "1950-01-01", "female"),
        family_group={"id": group["family_group_id"], "relation": "other_relative"},
    )
    assert (joined.status_code, joined.get_json()["rule"]) == (422, "family_group_unknown")
    assert "yev" not in joined.get_data(as_text=True)


def test_a_family_that_does_not_fit_gets_no_place_and_nothing_is_stored(api: Api) -> None:
    assert (
        api.admit(
            "baku-f1",
            person=person("F6-OTHER", "1980-01-01"),
            family_group={"new": True, "relation": "parent"},
        ).status_code
        == 201
    )
    assert (
        api.admit(
            "baku-f1",
            person=person("F6-OTHER2", "1981-01-01"),
            family_group={"new": True, "relation": "parent"},
        ).status_code
        == 201
    )
    refused = api.post(
        "/family-admissions", {"unit_id": "baku-f1", "members": family_of_three("F6")}
    )
    problem = refused.get_json()
    assert (refused.status_code, problem["rule"], problem["occupancy"], problem["capacity"]) == (
        409,
        "unit_capacity",
        2,
        4,
    )
    assert "needs 3" in problem["detail"]
    assert (
        api.deps.mongo.collection(STAYS).count_documents({"person_ref": {"$regex": "^F6-(F|M|C)"}})
        == 0
    )
    assert api.get("/units/baku-f1").get_json()["occupancy"] == 2


def test_one_member_held_already_keeps_the_whole_family_out(api: Api) -> None:
    assert api.admit("baku-m1", person=person("F7-FATHER", "1985-01-10")).status_code == 201
    refused = api.post(
        "/family-admissions", {"unit_id": "baku-f1", "members": family_of_three("F7")}
    )
    assert (refused.status_code, refused.get_json()["rule"]) == (409, "one_open_stay")
    assert refused.get_json()["errors"][0]["pointer"] == "/members/0/person/person_ref"
    assert api.get("/units/baku-f1").get_json()["occupancy"] == 0
    assert api.deps.mongo.collection(STAYS).count_documents({"unit_id": "baku-f1"}) == 0
    assert verify(api.deps.mongo) == []


def test_two_families_racing_for_four_places_one_gets_all_its_places_the_other_none(
    settings_for: Any,
) -> None:
    settings = settings_for("detention")
    deps = service.build_deps(settings)
    headers = identity_headers(settings.internal_token_secret, role="admin")
    tag = uuid.uuid4().hex[:6]
    with LiveServer(create_app(settings, deps)) as server:
        assert (
            requests.post(
                f"{server.url}{P}/centres",
                headers=headers,
                timeout=30,
                json={"id": f"fam-{tag}", "name": "Families", "city": "Baku"},
            ).status_code
            == 201
        )
        unit = f"fam-{tag}-f1"
        assert (
            requests.post(
                f"{server.url}{P}/centres/fam-{tag}/units",
                headers=headers,
                timeout=30,
                json={
                    "id": unit,
                    "name": "F1",
                    "category": "family",
                    "declared_places": 4,
                    "floor_area_m2": 40.0,
                },
            ).status_code
            == 201
        )
        responses = _all_at_once(
            [
                (
                    lambda n=n: requests.post(
                        f"{server.url}{P}/family-admissions",
                        headers=headers,
                        timeout=60,
                        json={"unit_id": unit, "members": family_of_three(f"R{tag}{n}")},
                    )
                )
                for n in range(4)
            ]
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409], [r.text for r in responses]
    assert {r.json()["rule"] for r in responses if r.status_code == 409} == {"unit_capacity"}
    winner = next(r.json() for r in responses if r.status_code == 201)
    stays = deps.mongo.collection(STAYS)
    assert stays.count_documents({"unit_id": unit, "status": "open"}) == 3
    assert {d["family_group"]["id"] for d in stays.find({"unit_id": unit})} == {
        winner["family_group_id"]
    }
    assert deps.mongo.collection(UNITS).find_one({"_id": unit})["occupancy"] == 3
    assert (
        sum(d.get("admissions", 0) for d in deps.mongo.collection(DAILY).find({"unit_id": unit}))
        == 3
    )
    assert verify(deps.mongo) == []


@pytest.mark.parametrize(
    "body, pointer",
    [
        ({"unit_id": "baku-f1", "members": []}, "/members"),
        (
            {
                "unit_id": "baku-f1",
                "members": family_of_three("B1"),
                "family_group_id": {"$ne": None},
            },
            "/family_group_id",
        ),
        (
            {
                "unit_id": "baku-f1",
                "members": family_of_three("B2"),
                "family_group_id": str(uuid.uuid4()) + "\n",
            },
            "/family_group_id",
        ),
        (
            {"unit_id": "baku-f1", "members": [{**family_of_three("B3")[0], "relation": "cousin"}]},
            "/members/0/relation",
        ),
        (
            {"unit_id": "baku-f1", "members": [{**family_of_three("B4")[0], "note": "x"}]},
            "/members/0/note",
        ),
        (
            {"unit_id": "baku-f1", "members": [family_of_three("B5")[0], family_of_three("B5")[0]]},
            "/members/1/person/person_ref",
        ),
    ],
)
def test_bad_family_admissions_are_refused_and_store_nothing(
    api: Api, body: dict[str, Any], pointer: str
) -> None:
    refused = api.post("/family-admissions", body)
    problem = refused.get_json()
    assert (
        refused.status_code == 422 and refused.headers["Content-Type"] == "application/problem+json"
    )
    assert pointer in [e["pointer"] for e in problem["errors"]], problem
    assert api.deps.mongo.collection(STAYS).count_documents({}) == 0
    assert api.get("/units/baku-f1").get_json()["occupancy"] == 0


@pytest.mark.parametrize(
    "family_group, pointer",
    [
        ({"id": {"$gt": ""}, "relation": "child"}, "/family_group/id"),
        ({"new": "yes", "relation": "child"}, "/family_group/new"),
        ({"new": True}, "/family_group/relation"),
        ({"new": False, "relation": "parent"}, "/family_group"),
    ],
)
def test_a_bad_family_group_on_a_single_admission_is_refused(
    api: Api, family_group: dict[str, Any], pointer: str
) -> None:
    problem = api.admit("baku-f1", family_group=family_group).get_json()
    assert problem["status"] == 422 and pointer in [e["pointer"] for e in problem["errors"]], (
        problem
    )
    assert api.deps.mongo.collection(STAYS).count_documents({}) == 0
