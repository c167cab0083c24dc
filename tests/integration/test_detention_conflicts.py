"""The admission conflict "already held" is no cross-centre oracle (issue #12 finding 8): it says
the person has an open stay, and names the stay, centre and unit only to a caller who may see it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.test_detention_api import ORDER, Api

HELD = {"person_ref": "AZ-HELD-0001"}


@pytest.fixture
def api(settings_for: Any) -> Iterator[Api]:
    api = Api(settings_for)
    for centre in ("baku", "yevlakh"):
        api.centre(centre)
        api.unit(centre, f"{centre}-m1")
        api.unit(centre, f"{centre}-m2")
        api.unit(centre, f"{centre}-f1", category="family")
    yield api


def _admission(unit_id: str) -> dict[str, Any]:
    return {
        "unit_id": unit_id,
        "legal_basis": ORDER,
        "person": {
            **HELD,
            "given_name": "Ali",
            "family_name": "Rezaei",
            "birth_date": "1990-04-02",
            "sex": "male",
        },
    }


def test_another_centres_staff_learn_only_that_the_person_is_held(api: Api) -> None:
    stay = api.admit("yevlakh-m1", person=HELD).get_json()
    refused = api.post("/stays", _admission("baku-m1"), "centre_staff", centres=("baku",))
    problem = refused.get_json()
    assert (refused.status_code, problem["rule"]) == (409, "one_open_stay")
    assert "open stay" in problem["detail"]
    text = refused.get_data(as_text=True)
    for secret in ("yevlakh", stay["id"]):
        assert secret not in text
    assert not {"stay_id", "centre_id", "unit_id"} & set(problem)
    family = api.post(
        "/family-admissions",
        {
            "unit_id": "baku-f1",
            "members": [
                {
                    "relation": "parent",
                    **{k: v for k, v in _admission("baku-f1").items() if k != "unit_id"},
                }
            ],
        },
        "centre_staff",
        centres=("baku",),
    )
    assert family.status_code == 409 and "yevlakh" not in family.get_data(as_text=True)
    assert family.get_json()["errors"][0]["pointer"] == "/members/0/person/person_ref"


def test_those_who_may_see_the_stay_are_told_where_it_is(api: Api) -> None:
    stay = api.admit("yevlakh-m1", person=HELD).get_json()
    for role, scopes in (("centre_staff", {"centres": ("yevlakh",)}), ("admin", {})):
        problem = api.post("/stays", _admission("yevlakh-m2"), role, **scopes).get_json()
        assert (problem["status"], problem["rule"]) == (409, "one_open_stay")
        assert (problem["stay_id"], problem["centre_id"], problem["unit_id"]) == (
            stay["id"],
            "yevlakh",
            "yevlakh-m1",
        )
        assert "yevlakh-m1" in problem["detail"]
