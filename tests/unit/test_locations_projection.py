"""Unit tests of the location projection's decision: any arrival order gives the same answer."""

from __future__ import annotations

import itertools
import uuid

import pytest

from passage.events import new_event, validate_event
from passage.location_store import InMemoryLocations
from passage.locations import (
    PersonLocation,
    StayFact,
    apply_fact,
    current_location,
    fact_from_event,
    from_document,
    to_document,
    utc_text,
)

PERSON = "AZ-2026-000001"


def fact(
    kind: str,
    time: str,
    stay: str = "stay-1",
    centre: str = "baku",
    unit: str = "baku-m1",
    at: str | None = None,
    reason: str | None = None,
    event_id: str | None = None,
) -> StayFact:
    return StayFact(
        event_id=event_id or str(uuid.uuid4()),
        kind=kind,
        time=utc_text(time),
        person_ref=PERSON,
        stay_id=stay,
        centre_id=centre,
        unit_id=unit,
        at=utc_text(at or time),
        reason=reason if kind == "closed" else None,
    )


def replay(*facts: StayFact) -> PersonLocation:
    state = None
    for item in facts:
        state = apply_fact(state, item)
    assert state is not None
    return state


OPENED = fact("opened", "2026-11-20T09:30:00.000Z")
MOVED = fact("transferred", "2026-11-21T10:00:00.000Z", centre="yevlakh", unit="yevlakh-m1")
MOVED_AGAIN = fact("transferred", "2026-11-22T10:00:00.000Z", centre="ganja", unit="ganja-w2")
CLOSED = fact(
    "closed", "2026-11-25T06:00:00.000Z", centre="ganja", unit="ganja-w2", reason="voluntary_return"
)


def test_opened_means_held_where_admitted() -> None:
    view = current_location(replay(OPENED))
    assert view.held is True
    assert (view.centre_id, view.unit_id, view.stay_id) == ("baku", "baku-m1", "stay-1")
    assert view.since == "2026-11-20T09:30:00.000000Z"
    assert (view.released_at, view.release_reason) == (None, None)


def test_transferred_moves_the_person_and_since_follows() -> None:
    view = current_location(replay(OPENED, MOVED))
    assert view.held and (view.centre_id, view.unit_id) == ("yevlakh", "yevlakh-m1")
    assert view.since == "2026-11-21T10:00:00.000000Z"


def test_closed_clears_the_location_and_keeps_the_reason() -> None:
    view = current_location(replay(OPENED, MOVED, CLOSED))
    assert view.held is False
    assert (view.centre_id, view.unit_id, view.since) == (None, None, None)
    assert view.stay_id == "stay-1"
    assert (view.released_at, view.release_reason) == (
        "2026-11-25T06:00:00.000000Z",
        "voluntary_return",
    )


@pytest.mark.parametrize("duplicate", [OPENED, MOVED, CLOSED])
def test_a_duplicate_changes_nothing(duplicate: StayFact) -> None:
    once = replay(OPENED, MOVED, CLOSED)
    assert apply_fact(once, duplicate) == once


def test_closed_before_opened_never_leaves_the_person_held() -> None:
    view = current_location(replay(CLOSED, OPENED))
    assert view.held is False and view.release_reason == "voluntary_return"
    assert current_location(replay(CLOSED)).held is False


def test_transferred_before_opened_keeps_the_newer_place() -> None:
    state = replay(MOVED, OPENED)
    view = current_location(state)
    assert view.held and view.centre_id == "yevlakh"
    assert state.stays[0].admitted_at == "2026-11-20T09:30:00.000000Z"
    assert current_location(replay(MOVED)).held is True  # a move proves the stay is open


def test_an_older_transfer_arriving_late_does_not_overwrite_a_newer_one() -> None:
    view = current_location(replay(OPENED, MOVED_AGAIN, MOVED))
    assert view.centre_id == "ganja" and view.since == "2026-11-22T10:00:00.000000Z"


def test_every_arrival_order_gives_the_same_state() -> None:
    expected = replay(OPENED, MOVED, MOVED_AGAIN, CLOSED)
    for order in itertools.permutations([OPENED, MOVED, MOVED_AGAIN, CLOSED]):
        assert replay(*order) == expected


def test_equal_times_open_before_transfer_before_close() -> None:
    same = "2026-11-20T09:30:00.000Z"
    opened, moved = fact("opened", same), fact("transferred", same, centre="yevlakh")
    assert current_location(replay(moved, opened)).centre_id == "yevlakh"
    assert current_location(replay(fact("closed", same, reason="other"), opened)).held is False


def test_offsets_and_precision_are_compared_as_times_not_text() -> None:
    early = fact("opened", "2026-11-20T13:30:00.5+04:00")  # 09:30:00.5Z
    later = fact("transferred", "2026-11-20T09:30:00.6Z", centre="yevlakh")
    assert current_location(replay(later, early)).centre_id == "yevlakh"


def test_two_stays_in_sequence_show_the_newer() -> None:
    first = [OPENED, CLOSED]
    second_open = fact(
        "opened", "2026-12-10T08:00:00.000Z", stay="stay-2", centre="shirvan", unit="shirvan-f1"
    )
    second_close = fact(
        "closed",
        "2026-12-20T08:00:00.000Z",
        stay="stay-2",
        centre="shirvan",
        unit="shirvan-f1",
        reason="removed",
    )
    for order in itertools.permutations([*first, second_open]):
        view = current_location(replay(*order))
        assert view.held and (view.stay_id, view.centre_id) == ("stay-2", "shirvan")
    for order in itertools.permutations([*first, second_open, second_close]):
        view = current_location(replay(*order))
        assert not view.held and (view.stay_id, view.release_reason) == ("stay-2", "removed")


def test_late_events_of_an_old_stay_do_not_hide_the_current_one() -> None:
    second = fact("opened", "2026-12-10T08:00:00.000Z", stay="stay-2", centre="shirvan")
    view = current_location(replay(second, OPENED, MOVED, CLOSED))
    assert view.held and view.stay_id == "stay-2"


def test_stored_form_round_trips_and_holds_no_personal_attributes() -> None:
    state = replay(OPENED, MOVED, CLOSED)
    doc = to_document(state)
    assert from_document(doc) == state
    keys = set(doc) | {k for stay in doc["stays"] for k in stay}
    assert keys <= {
        "person_ref",
        "stays",
        "stay_id",
        "first_time",
        "admitted_at",
        "centre_id",
        "unit_id",
        "placed_since",
        "placement_order",
        "released_at",
        "release_reason",
        "closed_order",
    }


def _example_event(type_: str, **changes: str):
    from passage.events import registry

    data = {**registry().get(type_, 1).examples[0], **changes}
    return validate_event(
        new_event(type_, source="detention", subject=data["stay_id"], data=data).to_dict()
    )


def test_fact_from_a_real_event_keeps_ids_times_and_reason_only() -> None:
    event = _example_event("detention.stay.closed")
    read = fact_from_event(event.type, event.id, event.time, event.data)
    assert (read.kind, read.reason, read.at) == (
        "closed",
        "voluntary_return",
        "2026-12-01T06:00:00.000000Z",
    )
    with pytest.raises(ValueError):
        fact_from_event("detention.unit.capacity_changed", event.id, event.time, event.data)


def test_in_memory_store_counts_versions_and_ignores_duplicates() -> None:
    store = InMemoryLocations()
    opened = _example_event("detention.stay.opened")
    assert store.record(opened) is True
    assert store.record(opened) is False
    found = store.get_location(opened.data["person_ref"])
    assert found is not None and found.version == 1 and found.location.held
    assert store.get_location("nobody") is None
