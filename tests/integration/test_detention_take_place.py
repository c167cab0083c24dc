"""The unit's conditional counter at the storage level (real SecantusDB), without the admission
handler's early "is there a free place?" check in front of it: the repository itself refuses a
place in a full unit, for an admission and for a transfer, and changes nothing when it does.
Sequential and deterministic; the concurrent admissions test covers the same condition under
load."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from detention.adapters.repository import STAYS, UNITS
from detention.domain.model import UnitFull
from detention.domain.moves import StayChange
from tests.integration.test_detention_api import Api


@pytest.fixture
def api(settings_for: Any) -> Iterator[Api]:
    built = Api(settings_for)
    built.centre("baku")
    built.unit("baku", "baku-m1", places=2)
    built.unit("baku", "baku-m2", places=1)
    yield built


def _counts(api: Api) -> dict[str, tuple[int, int]]:
    """Per unit: (occupancy counter, open stays)."""
    stays = api.deps.mongo.collection(STAYS)
    return {
        u["_id"]: (u["occupancy"], stays.count_documents({"unit_id": u["_id"], "status": "open"}))
        for u in api.deps.mongo.collection(UNITS).find({}, {"occupancy": 1})
    }


def _another_stay_like(api: Api, stay_id: str) -> dict[str, Any]:
    """A valid stay document for a new person in the same unit, as the admission handler builds
    it."""
    doc = api.deps.mongo.collection(STAYS).find_one({"_id": stay_id})
    doc = {k: v for k, v in doc.items() if k not in ("outbox", "outbox_pending")}
    ref = f"AZ-2026-{uuid.uuid4().hex[:6]}"
    return {
        **doc,
        "_id": str(uuid.uuid4()),
        "status": "open",
        "person_ref": ref,
        "person": {**doc["person"], "person_ref": ref},
    }


def _admit(api: Api, stay: dict[str, Any]) -> list[dict[str, Any]]:
    """The repository's admitting write for a stay already decided."""
    return api.deps.repository.admit(stay["unit_id"], 1, None, lambda _unit: [(stay, [])])


def test_the_repository_refuses_an_admission_to_a_full_unit(api: Api) -> None:
    first = api.admit("baku-m1", person={"person_ref": "AZ-2026-000001"}).get_json()
    _admit(api, _another_stay_like(api, first["id"]))  # the second place: taken
    assert _counts(api)["baku-m1"] == (2, 2)
    extra = _another_stay_like(api, first["id"])
    with pytest.raises(UnitFull):
        _admit(api, extra)
    assert _counts(api)["baku-m1"] == (2, 2)
    assert api.deps.mongo.collection(STAYS).find_one({"_id": extra["_id"]}) is None


def test_the_stay_store_refuses_a_transfer_into_a_full_unit(api: Api) -> None:
    moving = api.admit("baku-m1", person={"person_ref": "AZ-2026-000001"}).get_json()
    api.admit("baku-m2", person={"person_ref": "AZ-2026-000002"})
    before = _counts(api)
    assert before == {"baku-m1": (1, 1), "baku-m2": (1, 1)}
    with pytest.raises(UnitFull):
        api.deps.stay_store.transfer(
            moving["id"], None, "baku-m2", StayChange({"unit_id": "baku-m2"}), [], "2026-11-20"
        )
    assert _counts(api) == before
    assert api.deps.mongo.collection(STAYS).find_one({"_id": moving["id"]})["unit_id"] == "baku-m1"


def test_a_place_given_back_can_be_taken_again(api: Api) -> None:
    held = api.admit("baku-m2", person={"person_ref": "AZ-2026-000001"}).get_json()
    template = _another_stay_like(api, held["id"])  # taken while the stay is open
    with pytest.raises(UnitFull):
        _admit(api, {**template, "_id": str(uuid.uuid4())})
    released = api.post(f"/stays/{held['id']}/release", {"reason": "other"})
    assert released.status_code == 200, released.get_json()
    _admit(api, template)
    assert _counts(api)["baku-m2"] == (1, 1)
