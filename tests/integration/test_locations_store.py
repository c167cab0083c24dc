"""The location read model's MongoDB adapter against SecantusDB, held to the same contract as the
in-memory fake, including concurrent consumers writing the same person."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from pymongo.errors import PyMongoError

from passage.events import Envelope
from passage.location_store import InMemoryLocations, LocationStore
from passage.locations import LocationConflict, Locations, StoredLocation
from passage.mongo import Mongo
from tests.integration.test_locations_support import new_person, stay_event


@pytest.fixture
def mongo(mongo_url: str, unique: str) -> Iterator[Mongo]:
    mongo = Mongo(mongo_url, f"t_{unique}_locations")
    yield mongo
    mongo.client.drop_database(mongo.database_name)
    mongo.close()


class MongoLocations:
    """The Mongo adapter driven the way the consumer base drives it: one transaction per event."""

    def __init__(self, mongo: Mongo) -> None:
        self.mongo, self.store = mongo, LocationStore(mongo)
        mongo.ensure_indexes(self.store.indexes())

    def record(self, event: Envelope, session: Any = None) -> bool:
        return self.mongo.transaction(lambda s: self.store.record(event, session=s))

    def get_location(self, person_ref: str) -> StoredLocation | None:
        return self.store.get_location(person_ref)


class MongoLocationsAlone(MongoLocations):
    """Driven as an idempotent subscription drives it: no transaction, no inbox (an admission of
    a person never seen is one insert without a look first)."""

    def record(self, event: Envelope, session: Any = None) -> bool:
        return self.store.record(event)


@pytest.fixture(params=["memory", "mongodb", "mongodb-alone"])
def locations(request: pytest.FixtureRequest) -> Locations:
    if request.param == "memory":
        return InMemoryLocations()
    if request.param == "mongodb-alone":
        return MongoLocationsAlone(request.getfixturevalue("mongo"))
    return MongoLocations(request.getfixturevalue("mongo"))


def a_stay(ref: str, stay: str, day: int) -> list[Envelope]:
    """opened, transferred, closed of one stay, on days ``day``..``day+2`` of December."""
    from passage.events import validate_event

    def at(kind: str, offset: int, **data: Any) -> Envelope:
        event = stay_event(kind, ref, stay, **data)
        raw = {**event.to_dict(), "time": f"2026-12-{day + offset:02d}T08:00:00.000Z"}
        return validate_event(raw)

    return [
        at("opened", 0, centre_id="baku", unit_id="baku-m1"),
        at(
            "transferred",
            1,
            from_centre_id="baku",
            from_unit_id="baku-m1",
            centre_id="ganja",
            unit_id="ganja-w2",
        ),
        at("closed", 2, centre_id="ganja", unit_id="ganja-w2", reason="removed"),
    ]


def test_unknown_person_is_none(locations: Locations) -> None:
    assert locations.get_location("AZ-never-seen") is None


def test_out_of_order_delivery_converges_and_counts_only_real_changes(locations: Locations) -> None:
    ref, stay = new_person()
    opened, moved, closed = a_stay(ref, stay, day=1)
    assert locations.record(closed) is True
    assert locations.record(opened) is True  # admitted_at becomes known, the stay stays closed
    assert locations.record(moved) is True  # the last place is kept, the stay stays closed
    assert locations.record(opened) is False  # a duplicate
    assert locations.record(closed) is False  # a duplicate
    found = locations.get_location(ref)
    assert found is not None and found.version == 3
    assert (found.location.held, found.location.release_reason, found.location.stay_id) == (
        False,
        "removed",
        stay,
    )


def test_an_admission_of_a_person_already_known_is_merged_not_written_over(
    locations: Locations,
) -> None:
    ref, first = new_person()
    for event in a_stay(ref, first, day=1):
        locations.record(event)
    second = a_stay(ref, first + "-2", day=10)[0]
    assert locations.record(second) is True
    assert locations.record(second) is False  # a duplicate
    found = locations.get_location(ref)
    assert found is not None and found.version == 4
    assert found.location.held and found.location.stay_id == first + "-2"


def test_a_second_stay_is_shown_whatever_arrives_late(locations: Locations) -> None:
    ref, first = new_person()
    second = first + "-2"
    old, new = a_stay(ref, first, day=1), a_stay(ref, second, day=10)
    for event in [new[0], *old]:
        locations.record(event)
    found = locations.get_location(ref)
    assert found is not None and found.location.held and found.location.stay_id == second


@pytest.mark.parametrize("driven", [MongoLocations, MongoLocationsAlone])
def test_concurrent_consumers_lose_no_update(mongo: Mongo, driven: type[MongoLocations]) -> None:
    """Two stays' events applied by four threads at once end as if applied one by one."""
    store = driven(mongo)
    ref, stay = new_person()
    events = a_stay(ref, stay, day=1) + a_stay(ref, stay + "-2", day=10)[:2]
    random.Random(7).shuffle(events)
    errors: list[BaseException] = []

    def apply(mine: list[Envelope]) -> None:
        for event in mine:
            for _ in range(50):  # the consumer base retries the same way (with back-off)
                try:
                    store.record(event)
                    break
                except (LocationConflict, PyMongoError):
                    continue
            else:
                errors.append(AssertionError(f"{event.type} never applied"))

    threads = [threading.Thread(target=apply, args=(events[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    found, wanted = store.get_location(ref), _applied_in_sequence(events).get_location(ref)
    assert found is not None and wanted is not None
    assert found.location == wanted.location
    assert (
        found.location.held
        and found.location.centre_id == "ganja"
        and found.location.stay_id == stay + "-2"
    )
    doc = mongo.collection("person_locations").find_one({"_id": ref})
    assert {s["stay_id"] for s in doc["stays"]} == {stay, stay + "-2"}


def _applied_in_sequence(events: list[Envelope]) -> InMemoryLocations:
    expected = InMemoryLocations()
    for event in events:
        expected.record(event)
    return expected


def test_only_ids_times_and_reason_are_stored(mongo: Mongo) -> None:
    store = MongoLocations(mongo)
    ref, stay = new_person()
    for event in a_stay(ref, stay, day=1):
        store.record(event)
    doc = mongo.collection("person_locations").find_one({"_id": ref})
    text = repr(doc)
    for attribute in (
        "IRN",
        "male",
        "18-34",
        "court_order",
        "nationality",
        "sex",
        "age_band",
        "legal",
    ):
        assert attribute not in text
