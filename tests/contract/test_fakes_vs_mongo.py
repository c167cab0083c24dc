"""The in-memory storage fakes of ``tests/fakes`` held to their MongoDB twins: every scenario runs
against the fake and against the real adapter on SecantusDB, so a fake that drifts from what its
adapter does fails here before it lets a unit test pass that production would fail.

What they legitimately do not share (and so is not compared):

- Transactions. An adapter writes a change, its outbox envelopes and its read models in one
  MongoDB transaction; a fake applies each call at once in memory, which is as atomic for a
  single-threaded unit test. Only the all-or-nothing outcome of a refused call is compared.
- Where the outbox lives. An adapter appends the envelopes to the changed document (relayed
  later); a fake keeps them in a list, ``outbox``. Both are read here as the ids written.
- Read models a fake does not keep: detention's daily occupancy figures, voluntary return's
  calendar and stage counters. Voluntary return's statistics are compared as the deltas counted.
- Test knobs: ``InMemoryCases.races`` (a concurrent writer on demand) has no twin.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from detention.adapters import repository as detention_storage
from detention.adapters.repository import MongoRepository, indexes
from detention.adapters.stay_store import StayStore
from detention.domain.ids import new_stay_id
from detention.domain.model import AlreadyExists, PersonAlreadyHeld, StayFilter, UnitFull
from passage.errors import VersionConflict
from passage.events.envelope import Envelope, new_event
from passage.mongo import Mongo
from tests.fakes.detention import FakeRepository, FakeStore
from tests.fakes.voluntary_return import InMemoryCases
from voluntary_return.adapters.cases import CaseRepository
from voluntary_return.adapters.storage import OUTBOX_COLLECTIONS
from voluntary_return.domain import statistics
from voluntary_return.domain.records import CaseFilter, CaseUpdate

ADMITTED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
MONTH = "2026-11"


@pytest.fixture
def mongo(mongo_url: str, unique: str) -> Iterator[Mongo]:
    mongo = Mongo(mongo_url, f"t_{unique}_fakes")
    yield mongo
    mongo.client.drop_database(mongo.database_name)
    mongo.close()


def event(subject: str) -> Envelope:
    return new_event("test.written", source="contract", subject=subject, data={})


def outbox_ids(mongo: Mongo, *collections: str) -> list[str]:
    """The ids of the envelopes an adapter queued in the documents of ``collections``."""
    return sorted(
        e["id"]
        for name in collections
        for doc in mongo.collection(name).find({"outbox": {"$exists": True}}, {"outbox": 1})
        for e in doc["outbox"]
    )


def as_record(doc: dict[str, Any]) -> dict[str, Any]:
    """A document as the ports return it: ``id`` instead of ``_id``."""
    return {"id": doc["_id"], **{k: v for k, v in doc.items() if k != "_id"}}


@dataclass
class Twin:
    """A port under test and how to read what it queued (the one thing read differently)."""

    port: Any
    written: Callable[[], list[str]]


# detention: the handlers' Repository ---------------------------------------------------------
@pytest.fixture(params=["fake", "mongo"])
def repository(request: pytest.FixtureRequest) -> Twin:
    if request.param == "fake":
        fake = FakeRepository()
        return Twin(fake, lambda: sorted(e.id for e in fake.outbox))
    mongo: Mongo = request.getfixturevalue("mongo")
    mongo.ensure_indexes(indexes())
    return Twin(
        MongoRepository(mongo), lambda: outbox_ids(mongo, *detention_storage.OUTBOX_COLLECTIONS)
    )


def centre(centre_id: str) -> dict[str, Any]:
    return {"_id": centre_id, "name": centre_id.title(), "active": True, "version": 1}


def unit(unit_id: str, centre_id: str = "baku", capacity: int = 2, **more: Any) -> dict[str, Any]:
    return {
        "_id": unit_id,
        "centre_id": centre_id,
        "category": "men",
        "capacity": capacity,
        "occupancy": 0,
        "version": 1,
        **more,
    }


def stay(stay_id: str, person_ref: str, unit_id: str = "baku-m1", **more: Any) -> dict[str, Any]:
    return {
        "_id": stay_id,
        "person_ref": person_ref,
        "centre_id": unit_id.split("-")[0],
        "unit_id": unit_id,
        "status": "open",
        "admitted_at": ADMITTED,
        "admitted_on": "2026-11-20",
        "legal_basis": {"kind": "court_order"},
        "due_on": "2027-02-20",
        "person": {"given_name": "A", "family_name": "B", "birth_date": "1990-04-02"},
        "sex": "male",
        "nationality": "IRN",
        "age_band": "35-64",
        "family_group": None,
        "version": 1,
        **more,
    }


def with_units(twin: Twin, *units: dict[str, Any]) -> Twin:
    for doc in units:
        if twin.port.centre(doc["centre_id"]) is None:
            twin.port.add_centre(centre(doc["centre_id"]))
        twin.port.add_unit(doc, [])
    return twin


def test_centres_are_read_by_id_in_id_order_a_page_at_a_time(repository: Twin) -> None:
    repo = repository.port
    added = [repo.add_centre(centre(c)) for c in ("ganja", "baku", "yevlakh")]
    assert added[1] == as_record(centre("baku"))
    assert repo.centre("baku") == added[1] and repo.centre("nowhere") is None
    ids = lambda found: [c["id"] for c in found]  # noqa: E731
    assert ids(repo.centres(None, None, 2)) == ["baku", "ganja"]
    assert ids(repo.centres(None, "ganja", 2)) == ["yevlakh"]
    assert ids(repo.centres(["yevlakh", "baku", "shaki"], None, 10)) == ["baku", "yevlakh"]
    assert ids(repo.centres(["yevlakh", "baku"], "baku", 10)) == ["yevlakh"]
    assert repo.centres([], None, 10) == []
    with pytest.raises(AlreadyExists) as twice:
        repo.add_centre({**centre("baku"), "name": "Other"})
    assert (twice.value.rule, twice.value.field) == ("centre_exists", "id")
    assert repo.centre("baku")["name"] == "Baku"


def test_units_carry_their_events_and_are_listed_by_centre(repository: Twin) -> None:
    repo = repository.port
    repo.add_centre(centre("baku"))
    changed = event("baku-m2")
    added = repo.add_unit(unit("baku-m2"), [changed])
    repo.add_unit(unit("baku-m1"), [])
    repo.add_unit(unit("ganja-m1", "ganja"), [])
    assert added == as_record(unit("baku-m2"))
    assert repo.unit("baku-m2") == added and repo.unit("baku-m9") is None
    assert repository.written() == [changed.id]
    assert [u["id"] for u in repo.units("baku", None, 10)] == ["baku-m1", "baku-m2"]
    assert [u["id"] for u in repo.units("baku", "baku-m1", 1)] == ["baku-m2"]
    assert repo.units("shaki", None, 10) == []
    with pytest.raises(AlreadyExists) as twice:
        repo.add_unit(unit("baku-m1", capacity=9), [event("baku-m1")])
    assert (twice.value.rule, twice.value.field) == ("unit_exists", "id")
    assert repo.unit("baku-m1")["capacity"] == 2 and repository.written() == [changed.id]


def admit(
    repo: Any, stays: list[dict[str, Any]], events: list[list[Envelope]]
) -> list[dict[str, Any]]:
    """The admitting write with a decision already made: these stays, whatever the unit."""
    return repo.admit(
        stays[0]["unit_id"], len(stays), None, lambda _unit: list(zip(stays, events, strict=True))
    )


def test_the_decision_sees_the_unit_as_it_was_and_a_refusal_stores_nothing(
    repository: Twin,
) -> None:
    repo = with_units(repository, unit("baku-m1")).port
    seen: list[Any] = []

    def refuse(rec: Any) -> Any:
        seen.append((rec["id"], rec["centre_id"], rec["category"], rec["occupancy"]))
        raise PersonAlreadyHeld("a_rule", "refused on the unit it saw")

    with pytest.raises(PersonAlreadyHeld):
        repo.admit("baku-m1", 1, None, refuse)
    assert seen == [("baku-m1", "baku", "men", 0)]
    assert repo.unit("baku-m1")["occupancy"] == 0 and repo.stay("s1") is None
    assert repository.written() == []
    admit(repo, [stay("s1", "AZ-1")], [[]])
    with pytest.raises(PersonAlreadyHeld):
        repo.admit("baku-m1", 1, None, refuse)
    assert seen[-1][3] == 1  # before its own place: one held already
    with pytest.raises(UnitFull):
        repo.admit("baku-m9", 1, None, refuse)  # unknown: the caller reads it to say so
    with pytest.raises(UnitFull):
        repo.admit("baku-m1", 1, ["ganja"], refuse)  # not the caller's centre: never written to
    assert len(seen) == 2 and repo.unit("baku-m1")["occupancy"] == 1
    with pytest.raises(ValueError):  # a decision must open exactly the places it takes
        repo.admit("baku-m1", 1, ["baku"], lambda _unit: [])
    assert repo.unit("baku-m1")["occupancy"] == 1


def test_an_admission_takes_a_place_and_queues_its_event(repository: Twin) -> None:
    repo = with_units(repository, unit("baku-m1")).port
    opened = event("s1")
    admitted = admit(repo, [stay("s1", "AZ-1")], [[opened]])[0]
    assert admitted == as_record(stay("s1", "AZ-1"))
    assert repo.stay("s1") == admitted and repo.stay("s9") is None
    assert (repo.unit("baku-m1")["occupancy"], repo.unit("baku-m1")["version"]) == (1, 2)
    assert repository.written() == [opened.id]
    assert repo.open_stay_of_person("AZ-1") == {
        "id": "s1",
        "centre_id": "baku",
        "unit_id": "baku-m1",
    }
    assert repo.open_stay_of_person("AZ-2") is None


def test_a_person_held_already_or_a_full_unit_changes_nothing(repository: Twin) -> None:
    repo = with_units(repository, unit("baku-m1"), unit("baku-m2", capacity=1)).port
    first = event("s1")
    admit(repo, [stay("s1", "AZ-1")], [[first]])
    with pytest.raises(PersonAlreadyHeld) as held:
        admit(repo, [stay("s2", "AZ-1", "baku-m2")], [[event("s2")]])
    assert held.value.rule == "one_open_stay"
    admit(repo, [stay("s3", "AZ-3", "baku-m2")], [[]])
    with pytest.raises(UnitFull) as full:
        admit(repo, [stay("s4", "AZ-4", "baku-m2")], [[event("s4")]])
    assert (full.value.unit_id, full.value.occupancy, full.value.capacity) == ("baku-m2", 1, 1)
    assert repo.stay("s2") is None and repo.stay("s4") is None
    assert [repo.unit(u)["occupancy"] for u in ("baku-m1", "baku-m2")] == [1, 1]
    assert repository.written() == [first.id]


def test_a_unit_of_a_closed_centre_admits_no_one(repository: Twin) -> None:
    repo = with_units(repository, unit("baku-m1", centre_active=False)).port
    with pytest.raises(UnitFull):
        admit(repo, [stay("s1", "AZ-1")], [[]])
    assert repo.stay("s1") is None and repo.unit("baku-m1")["occupancy"] == 0


def test_a_family_is_admitted_whole_or_not_at_all(repository: Twin) -> None:
    repo = with_units(repository, unit("baku-f1", capacity=3), unit("baku-m1")).port
    group = lambda relation: {"family_group": {"id": "g1", "relation": relation}}  # noqa: E731
    family = [
        stay("s1", "AZ-1", "baku-f1", **group("parent")),
        stay("s2", "AZ-2", "baku-f1", **group("child")),
    ]
    admit(repo, [stay("s0", "AZ-2", "baku-m1")], [[]])
    with pytest.raises(PersonAlreadyHeld):
        admit(repo, family, [[event("s1")], [event("s2")]])
    with pytest.raises(UnitFull) as full:
        more = [stay(f"s{n}", f"AZ-{n}", "baku-f1") for n in (3, 4)]
        admit(repo, [*family, *more], [[], [], [], []])
    assert (full.value.occupancy, full.value.capacity) == (0, 3)
    assert repo.unit("baku-f1")["occupancy"] == 0 and repository.written() == []
    family[1] = stay("s2", "AZ-5", "baku-f1", **group("child"))
    events = [[event("s1")], [event("s2")]]
    assert [s["id"] for s in admit(repo, family, events)] == ["s1", "s2"]
    assert repo.unit("baku-f1")["occupancy"] == 2
    assert repository.written() == sorted(e.id for evs in events for e in evs)
    members = sorted(repo.held_family_members("g1", "baku"), key=lambda s: s["id"])
    assert members == [
        {
            "id": f"s{n}",
            "centre_id": "baku",
            "family_group": {"id": "g1", "relation": relation},
            "person": {"birth_date": "1990-04-02"},
        }
        for n, relation in ((1, "parent"), (2, "child"))
    ]
    assert repo.held_family_members("g1", "ganja") == []


def test_stays_are_filtered_scoped_and_paged_in_id_order(repository: Twin) -> None:
    repo = with_units(
        repository, unit("baku-m1", capacity=9), unit("ganja-m1", "ganja", capacity=9)
    ).port
    for doc in [  # the port only opens stays: a closed one is stored here as it would be later
        stay("s5", "AZ-5", "ganja-m1", nationality="AFG"),
        stay("s4", "AZ-1", "ganja-m1", status="closed"),
        stay("s1", "AZ-1", due_on="2026-12-01"),
        stay("s3", "AZ-3", status="closed", legal_basis={"kind": "asylum_applicant"}),
        stay("s2", "AZ-2", due_on=None),
    ]:
        admit(repo, [doc], [[]])

    def ids(where: StayFilter, scope: list[str] | None = None, after: str | None = None) -> list:
        return [s["id"] for s in repo.stays(where, scope, after, 10)]

    assert ids(StayFilter()) == ["s1", "s2", "s3", "s4", "s5"]
    assert [s["id"] for s in repo.stays(StayFilter(), None, "s2", 2)] == ["s3", "s4"]
    assert ids(StayFilter(status="open")) == ["s1", "s2", "s5"]
    assert ids(StayFilter(person_ref="AZ-1")) == ["s1", "s4"]
    assert ids(StayFilter(unit_id="ganja-m1", status="closed")) == ["s4"]
    assert ids(StayFilter(centre_id="baku"), after="s1") == ["s2", "s3"]
    assert ids(StayFilter(nationality="AFG")) == ["s5"]
    assert ids(StayFilter(legal_basis="asylum_applicant")) == ["s3"]
    assert ids(StayFilter(due_before=date(2026, 12, 1))) == ["s1"]
    assert ids(StayFilter(due_before=date(2027, 3, 1))) == ["s1", "s5"]
    assert ids(StayFilter(), ["ganja"]) == ["s4", "s5"]
    assert ids(StayFilter(centre_id="baku"), ["ganja"]) == []
    assert ids(StayFilter(centre_id="ganja", status="open"), ["ganja", "baku"]) == ["s5"]


def test_a_centres_stays_page_in_id_order_whatever_their_ids_and_admission_times(
    repository: Twin,
) -> None:
    """The staff list of a centre's stays (no filter, or a status), and an unscoped caller's list
    of every centre's: MongoRepository reads slices of admission time from the centre's creation
    (the earliest centre's, unscoped; or the cursor's stay) on; the slices must still give every
    stay once, in id order: stays admitted over years, one transferred in from before the centre
    existed, one stamped in the future (a skewed clock), ids that carry no time at all, a caller
    scoped to several centres or to all, a page ending exactly at a slice's edge."""
    now = datetime.now(UTC)
    opened = now - timedelta(days=400)
    repo = repository.port
    for name in ("baku", "ganja"):
        repo.add_centre({**centre(name), "created_at": opened})
        repo.add_unit(unit(f"{name}-m1", name, capacity=99), [])
    admitted = [opened - timedelta(days=30), opened, opened + timedelta(hours=23, minutes=59)]
    admitted += [opened + timedelta(days=d, hours=d % 7) for d in (1, 2, 3, 9, 40, 41, 200, 399)]
    admitted += [now - timedelta(minutes=1), now + timedelta(days=3)]
    held = [new_stay_id(at) for at in admitted] + [
        "legacy-7",
        "00000000-0000-0000-0000-000000000001",
    ]
    for n, stay_id in enumerate(held):
        centre_id = "ganja" if n % 4 == 3 else "baku"
        status = "closed" if n % 3 == 0 else "open"
        admit(repo, [stay(stay_id, f"AZ-{n}", f"{centre_id}-m1", status=status)], [[]])
    in_centre = {
        c: sorted(i for n, i in enumerate(held) if (n % 4 == 3) == (c == "ganja"))
        for c in ("baku", "ganja")
    }
    closed = sorted(i for n, i in enumerate(held) if n % 3 == 0 and n % 4 != 3)
    closed_anywhere = sorted(i for n, i in enumerate(held) if n % 3 == 0)
    open_anywhere = sorted(i for n, i in enumerate(held) if n % 3 != 0)

    def paged(
        where: StayFilter, scope: list[str] | None, limit: int, after: str | None = None
    ) -> list:
        seen: list[str] = []
        while True:
            rows = repo.stays(where, scope, after, limit + 1)
            assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
            seen += [r["id"] for r in rows[:limit]]
            if len(rows) <= limit:
                return seen
            after = rows[limit - 1]["id"]

    for limit in (1, 2, 3, 5, 50):
        assert paged(StayFilter(), ["baku"], limit) == in_centre["baku"], limit
        assert paged(StayFilter(centre_id="baku"), ["baku"], limit) == in_centre["baku"], limit
        assert paged(StayFilter(centre_id="ganja"), None, limit) == in_centre["ganja"], limit
        assert paged(StayFilter(), ["ganja", "baku", "ganja"], limit) == sorted(held), limit
        assert paged(StayFilter(centre_id="baku", status="closed"), None, limit) == closed, limit
        assert paged(StayFilter(), None, limit) == sorted(held), limit
        assert paged(StayFilter(status="closed"), None, limit) == closed_anywhere, limit
        assert paged(StayFilter(status="open"), None, limit) == open_anywhere, limit
    assert paged(StayFilter(), ["baku"], 3, after="legacy-7") == []
    assert paged(StayFilter(), None, 3, after="legacy-7") == []
    assert paged(StayFilter(status="open"), None, 2, after=held[4]) == [
        i for i in open_anywhere if i > held[4]
    ]
    assert paged(StayFilter(), ["baku"], 3, after=in_centre["baku"][-2]) == in_centre["baku"][-1:]
    assert paged(StayFilter(), ["nowhere"], 3) == []
    repo.add_centre({**centre("sheki"), "created_at": "2020-01-01"})  # not a date: one plain read
    repo.add_unit(unit("sheki-m1", "sheki", capacity=9), [])
    sheki = sorted(new_stay_id(at) for at in admitted[:3])
    for n, stay_id in enumerate(sheki):
        admit(repo, [stay(stay_id, f"AZ-9{n}", "sheki-m1")], [[]])
    assert paged(StayFilter(), ["sheki"], 2) == sheki
    assert paged(StayFilter(), None, 2) == sorted(held + sheki)
    assert paged(StayFilter(), [], 3) == []


def test_the_open_stays_due_by_a_day_are_paged_in_id_order_without_the_undated(
    repository: Twin,
) -> None:
    """The dashboard's and the header's due lists: served by an index on MongoDB and SecantusDB,
    they still leave out closed stays, stays without a due date and other centres, and page."""
    repo = with_units(
        repository, unit("baku-m1", capacity=9), unit("ganja-m1", "ganja", capacity=9)
    ).port
    undated = {k: v for k, v in stay("d3", "AZ-3").items() if k != "due_on"}
    for doc in [
        stay("d5", "AZ-5", due_on="2026-12-03"),
        stay("d1", "AZ-1", due_on="2026-12-01"),
        stay("d2", "AZ-2", due_on=None),
        undated,
        stay("d4", "AZ-4", status="closed", due_on="2026-11-30"),
        stay("d6", "AZ-6", due_on="2027-05-01"),
        stay("d7", "AZ-7", "ganja-m1", due_on="2026-12-02"),
    ]:
        admit(repo, [doc], [[]])
    by = date(2026, 12, 31)

    def ids(where: StayFilter, scope: list[str] | None = None, after: str | None = None) -> list:
        return [s["id"] for s in repo.stays(where, scope, after, 1 if after else 10)]

    assert ids(StayFilter(centre_id="baku", due_before=by)) == ["d1", "d5"]
    assert ids(StayFilter(centre_id="baku", status="open", due_before=by)) == ["d1", "d5"]
    assert ids(StayFilter(centre_id="baku", due_before=date(2026, 12, 2))) == ["d1"]
    assert ids(StayFilter(centre_id="baku", due_before=date(2026, 11, 30))) == []
    assert ids(StayFilter(centre_id="baku", due_before=by), after="d1") == ["d5"]
    assert ids(StayFilter(centre_id="baku", due_before=by), after="d5") == []
    assert ids(StayFilter(due_before=by)) == ["d1", "d5", "d7"]
    assert ids(StayFilter(due_before=by), ["ganja", "baku"], after="d5") == ["d7"]
    assert ids(StayFilter(due_before=by), ["ganja"]) == ["d7"]
    assert ids(StayFilter(centre_id="ganja", due_before=by), ["baku"]) == []


# detention: the deadline job's Deadlines -------------------------------------------------------
Seeded = Callable[..., Twin]


@pytest.fixture(params=["fake", "mongo"])
def deadlines(request: pytest.FixtureRequest) -> Seeded:
    """A factory: the deadline port over the given stays (it has no way of its own to add one)."""
    if request.param == "fake":

        def fake(*stays: dict[str, Any]) -> Twin:
            store = FakeStore(*(as_record(s) for s in stays))
            return Twin(store, lambda: sorted(e.id for e in store.outbox))

        return fake
    mongo: Mongo = request.getfixturevalue("mongo")

    def real(*stays: dict[str, Any]) -> Twin:
        mongo.collection(detention_storage.STAYS).insert_many([dict(s) for s in stays])
        return Twin(
            StayStore(MongoRepository(mongo)), lambda: outbox_ids(mongo, detention_storage.STAYS)
        )

    return real


def clocked(stay_id: str, due_on: str | None, **more: Any) -> dict[str, Any]:
    return stay(stay_id, f"P-{stay_id}", due_on=due_on, **{"deadlines_emitted": [], **more})


def test_the_stays_due_by_a_day_are_open_ones_earliest_first_without_the_person(
    deadlines: Seeded,
) -> None:
    store = deadlines(
        clocked("s1", "2027-01-10"),
        clocked("s2", "2027-06-01"),
        clocked("s3", "2027-01-01", status="closed"),
        clocked("s4", None),
        clocked("s5", "2027-01-05"),
    ).port
    due = store.stays_due_by("2027-01-10")
    assert [s["id"] for s in due] == ["s5", "s1"]
    assert {"person", "history", "outbox"}.isdisjoint(due[0]) and due[0]["due_on"] == "2027-01-05"
    assert store.stays_due_by("2027-01-04") == []


def test_the_stays_without_their_entry_examination_are_ids_and_times_oldest_first(
    deadlines: Seeded,
) -> None:
    later = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    store = deadlines(
        clocked("s1", None, admitted_at=later, entry_medical=None),
        clocked("s2", None, entry_medical=None),
        clocked("s3", None, entry_medical={"examined_on": "2026-11-21"}),
        clocked("s4", None, entry_medical=None, deadlines_emitted=["entry_medical"]),
        clocked("s5", None, entry_medical=None, status="closed"),
    ).port
    found = store.stays_without_entry_examination(later)
    assert found == [
        {
            "id": s,
            "person_ref": f"P-{s}",
            "centre_id": "baku",
            "admitted_at": at,
            "admitted_on": "2026-11-20",
        }
        for s, at in (("s2", ADMITTED), ("s1", later))
    ]
    assert [s["id"] for s in store.stays_without_entry_examination(ADMITTED)] == ["s2"]


def test_a_deadline_is_marked_once_while_the_stay_still_matches(deadlines: Seeded) -> None:
    twin = deadlines(
        clocked("s1", "2027-01-10", deadlines_emitted=["review:14"], entry_medical=None),
        clocked("s2", "2027-01-10", status="closed"),
    )
    store, sent = twin.port, event("s1")
    assert store.mark_deadline("s1", "review:7", ["review:7", "review:14"], [sent]) is True
    assert store.mark_deadline("s1", "review:7", ["review:7"], [event("s1")]) is False
    assert store.mark_deadline("s2", "review:7", ["review:7"], [event("s2")]) is False
    assert (
        store.mark_deadline(
            "s1", "entry_medical", ["entry_medical"], [event("s1")], still={"entry_medical": {}}
        )
        is False
    )
    assert store.mark_deadline("s1", "review:1", ["review:1"], [], still={"entry_medical": None})
    assert twin.written() == [sent.id]
    emitted = store.stays_due_by("2027-01-10")[0]["deadlines_emitted"]
    assert emitted == ["review:14", "review:7", "review:1"]


# voluntary return: the handlers' Repository ----------------------------------------------------
@dataclass
class Cases(Twin):
    counted: Callable[[], dict[str, dict[str, float]]]


@pytest.fixture(params=["fake", "mongo"])
def cases(request: pytest.FixtureRequest) -> Cases:
    if request.param == "fake":
        fake = InMemoryCases()

        def summed() -> dict[str, dict[str, float]]:
            rows: dict[str, dict[str, float]] = {}
            for delta in fake.deltas:
                row = rows.setdefault(delta.row_id, {})
                for name, n in delta.inc.items():
                    row[name] = row.get(name, 0) + n
            return rows

        return Cases(fake, lambda: sorted(e.id for e in fake.outbox), summed)
    mongo: Mongo = request.getfixturevalue("mongo")
    repo = CaseRepository(mongo)

    def stored() -> dict[str, dict[str, float]]:
        names = ("_id", "month", "nationality", "destination_country", "days_to_departure")
        return {
            row["_id"]: {k: v for k, v in row.items() if k not in names}
            for row in repo.statistics(MONTH)
        }

    return Cases(repo, lambda: outbox_ids(mongo, *OUTBOX_COLLECTIONS), stored)


def case(person_ref: str = "AZ-1", **more: Any) -> dict[str, Any]:
    return {
        "_id": str(uuid.uuid4()),
        "person_ref": person_ref,
        "stage": "referred",
        "nationality": "IRN",
        "destination_country": "IRN",
        "referral": {"source": "ngo", "centre_id": None},
        "history": [{"stage": "referred", "at": ADMITTED}],
        "next_action": "register",
        "version": 1,
        **more,
    }


def counted(n: int = 1) -> statistics.Delta:
    return statistics.Delta(MONTH, "IRN", "IRN", {"referrals": n})


def test_a_case_is_read_back_as_inserted_with_its_events_and_counts(cases: Cases) -> None:
    repo, new, opened = cases.port, case(), event("case")
    repo.insert(new, [opened], counted())
    assert repo.get(new["_id"]) == new and repo.get(str(uuid.uuid4())) is None
    assert cases.written() == [opened.id]
    assert cases.counted() == {counted().row_id: {"referrals": 1}}
    assert repo.forced_routes_for("AZ-1") == []


def test_an_update_applies_at_its_version_and_stage_only(cases: Cases) -> None:
    repo, new = cases.port, case()
    repo.insert(new, [], counted())
    change = CaseUpdate(
        set={"stage": "registered", "referral.centre_id": "baku", "booking.route": "GYD-IKA"},
        push={"history": {"stage": "registered", "at": ADMITTED}},
        unset=("next_action",),
    )
    registered = event("case")
    done = repo.update(new["_id"], 1, "referred", change, [registered], counted(2))
    expected = {
        **{k: v for k, v in new.items() if k != "next_action"},
        "stage": "registered",
        "referral": {"source": "ngo", "centre_id": "baku"},
        "booking": {"route": "GYD-IKA"},
        "history": [*new["history"], {"stage": "registered", "at": ADMITTED}],
        "version": 2,
    }
    assert done == expected and repo.get(new["_id"]) == expected
    for version, stage, case_id in [
        (1, "registered", new["_id"]),  # an old version
        (2, "referred", new["_id"]),  # another stage
        (1, "referred", str(uuid.uuid4())),  # no such case
    ]:
        with pytest.raises(VersionConflict) as lost:
            repo.update(
                case_id, version, stage, CaseUpdate(set={"stage": "x"}), [event("c")], counted()
            )
        assert lost.value.current_version is None
    assert repo.get(new["_id"]) == expected
    assert cases.written() == [registered.id]
    assert cases.counted() == {counted().row_id: {"referrals": 3}}


def test_cases_are_found_by_every_filter_in_id_order_a_page_at_a_time(cases: Cases) -> None:
    repo = cases.port
    stored = [
        case("AZ-1"),
        case("AZ-1", stage="registered"),
        case("AZ-2", nationality="AFG"),
        case("AZ-3", destination_country="AFG"),
        case("AZ-4"),
    ]
    for doc in stored:
        repo.insert(doc, [], counted())
    order, (az1, az1_registered, afg, to_afg, _) = sorted(d["_id"] for d in stored), stored

    def ids(where: CaseFilter, after: str | None = None, limit: int = 10) -> list[str]:
        return [c["_id"] for c in repo.find(where, after, limit)]

    assert ids(CaseFilter()) == order
    assert ids(CaseFilter(), None, 2) + ids(CaseFilter(), order[1], 10) == order
    assert ids(CaseFilter(person_ref="AZ-1")) == sorted([az1["_id"], az1_registered["_id"]])
    assert ids(CaseFilter(person_ref="AZ-1", stage="registered")) == [az1_registered["_id"]]
    assert ids(CaseFilter(nationality="AFG")) == [afg["_id"]]
    assert ids(CaseFilter(destination_country="AFG")) == [to_afg["_id"]]
    assert ids(CaseFilter(nationality="IRN", destination_country="AFG")) == [to_afg["_id"]]
    assert ids(CaseFilter(nationality="AFG", destination_country="AFG")) == []
    both = CaseFilter(nationality="IRN", destination_country="IRN")
    home = sorted(d["_id"] for d in stored if d is not afg and d is not to_afg)
    assert ids(both, None, 2) + ids(both, home[1]) == home
    assert ids(CaseFilter(stage="referred"), order[-1]) == []
    assert all("outbox" not in c for c in repo.find(CaseFilter(), None, 10))
