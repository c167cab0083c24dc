"""MongoDB helpers on the real server: optimistic updates, index declarations, transactions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from passage.mongo import Index, Mongo, RetiredIndex, VersionConflict, update_versioned

THREADS = 10


@pytest.fixture
def mongo(mongo_url: str, unique: str) -> Iterator[Mongo]:
    mongo = Mongo(mongo_url, f"t_{unique}_helpers")
    try:
        yield mongo
    finally:
        mongo.client.drop_database(mongo.database_name)
        mongo.close()


def race(count: int, attempt: Any) -> list[Any]:
    """Run ``attempt(i)`` in ``count`` threads released together; return results or exceptions."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = attempt(i)
        except Exception as exc:  # kept and asserted by the caller
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_exactly_one_concurrent_writer_wins_per_version(mongo: Mongo) -> None:
    units = mongo.collection("units")
    units.insert_one({"_id": "u1", "version": 1, "writer": None, "writes": 0})
    for version in (1, 2, 3):
        results = race(
            THREADS,
            lambda i, version=version: update_versioned(
                units, "u1", version, {"$set": {"writer": i}, "$inc": {"writes": 1}}
            ),
        )
        winners = [r for r in results if isinstance(r, dict)]
        losers = [r for r in results if isinstance(r, VersionConflict)]
        assert len(winners) == 1 and len(losers) == THREADS - 1, results
        assert winners[0]["version"] == version + 1
        assert all(loser.current_version == version + 1 for loser in losers)
    assert units.find_one({"_id": "u1"})["writes"] == 3
    assert units.find_one({"_id": "u1"})["version"] == 4


def test_update_versioned_keeps_other_increments_and_reports_missing(mongo: Mongo) -> None:
    units = mongo.collection("units")
    units.insert_one({"_id": "u1", "version": 5, "occupancy": 2})
    doc = update_versioned(units, "u1", 5, {"$inc": {"occupancy": 1}})
    assert doc["version"] == 6 and doc["occupancy"] == 3
    with pytest.raises(VersionConflict) as caught:
        update_versioned(units, "u1", 5, {"$inc": {"occupancy": 1}})
    assert caught.value.current_version == 6
    with pytest.raises(KeyError):
        update_versioned(units, "missing", 1, {"$set": {"x": 1}})
    assert units.find_one({"_id": "u1"})["occupancy"] == 3


def test_update_versioned_inside_a_transaction(mongo: Mongo) -> None:
    units = mongo.collection("units")
    units.insert_one({"_id": "u1", "version": 1})
    doc = mongo.transaction(
        lambda s: update_versioned(units, "u1", 1, {"$set": {"a": 1}}, session=s)
    )
    assert doc["version"] == 2 and units.find_one({"_id": "u1"})["a"] == 1


INDEXES = [
    Index("stays", [("person_ref", 1), ("opened_at", -1)], name="stays_by_person"),
    Index(
        "stays",
        [("unit_id", 1), ("person_ref", 1)],
        name="one_open_stay_per_person",
        unique=True,
        partial={"status": "open"},
    ),
    Index("inbox", [("processed_at", 1)], name="inbox_ttl", expire_after_seconds=3600),
]


def test_ensure_indexes_is_idempotent_with_partial_and_ttl(mongo: Mongo) -> None:
    mongo.ensure_indexes(INDEXES)
    mongo.ensure_indexes(INDEXES)
    stays = mongo.collection("stays").index_information()
    assert stays["stays_by_person"]["key"] == [("person_ref", 1), ("opened_at", -1)]
    assert stays["one_open_stay_per_person"]["unique"] is True
    assert stays["one_open_stay_per_person"]["partialFilterExpression"] == {"status": "open"}
    assert mongo.collection("inbox").index_information()["inbox_ttl"]["expireAfterSeconds"] == 3600
    assert len(stays) == 3  # _id_ + the two declared, no duplicates


def test_partial_unique_index_is_enforced_only_where_it_applies(mongo: Mongo) -> None:
    mongo.ensure_indexes(INDEXES)
    stays = mongo.collection("stays")
    stays.insert_one({"unit_id": "a", "person_ref": "P1", "status": "open"})
    stays.insert_many([{"unit_id": "a", "person_ref": "P1", "status": "closed"} for _ in range(2)])
    with pytest.raises(DuplicateKeyError):
        stays.insert_one({"unit_id": "a", "person_ref": "P1", "status": "open"})


def test_ensure_indexes_leaves_a_changed_declaration_alone(mongo: Mongo) -> None:
    """A redeclared index of the same name with other options must not stop a process from
    starting."""
    mongo.ensure_indexes(INDEXES)
    changed = Index("inbox", [("processed_at", 1)], name="inbox_ttl", expire_after_seconds=60)
    mongo.ensure_indexes([changed])
    assert mongo.collection("inbox").index_information()["inbox_ttl"]["expireAfterSeconds"] == 3600


def test_a_retired_index_is_dropped_where_it_is_left_and_ignored_elsewhere(mongo: Mongo) -> None:
    mongo.ensure_indexes(INDEXES)
    retired = RetiredIndex("stays", "stays_by_person")
    mongo.ensure_indexes([*INDEXES[1:], retired])
    assert set(mongo.collection("stays").index_information()) == {
        "_id_",
        "one_open_stay_per_person",
    }
    # Already gone, and a collection that does not exist: nothing to do, no error.
    mongo.ensure_indexes([retired, RetiredIndex("never_created", "any_index")])
    assert "never_created" not in mongo.db.list_collection_names()


def test_transaction_commits_both_writes(mongo: Mongo) -> None:
    def work(session: Any) -> str:
        mongo.collection("a").insert_one({"_id": 1}, session=session)
        mongo.collection("b").insert_one({"_id": 1}, session=session)
        return "done"

    assert mongo.transaction(work) == "done"
    assert (
        mongo.collection("a").count_documents({}) == 1
        and mongo.collection("b").count_documents({}) == 1
    )


def test_transaction_rolls_back_on_exception(mongo: Mongo) -> None:
    mongo.collection("b").insert_one({"_id": "existing", "n": 1})

    def work(session: Any) -> None:
        mongo.collection("a").insert_one({"_id": 1}, session=session)
        mongo.collection("b").update_one({"_id": "existing"}, {"$inc": {"n": 1}}, session=session)
        raise RuntimeError("handler failed half way")

    with pytest.raises(RuntimeError, match="half way"):
        mongo.transaction(work)
    assert mongo.collection("a").count_documents({}) == 0
    assert mongo.collection("b").find_one({"_id": "existing"})["n"] == 1


def test_transaction_rolls_back_on_duplicate_key(mongo: Mongo) -> None:
    mongo.collection("inbox").insert_one({"_id": "q:e1"})

    def work(session: Any) -> None:
        mongo.collection("effects").insert_one({"_id": "e1"}, session=session)
        mongo.collection("inbox").insert_one({"_id": "q:e1"}, session=session)

    with pytest.raises(DuplicateKeyError):
        mongo.transaction(work)
    assert mongo.collection("effects").count_documents({}) == 0


def test_ping_and_lazy_client(mongo: Mongo) -> None:
    assert mongo.ping() is True
    unreachable = Mongo(
        "mongodb://127.0.0.1:1/", "nothing", timeout_ms=200
    )  # constructing does no I/O
    assert unreachable._client is None
    assert unreachable.ping() is False
    unreachable.close()
