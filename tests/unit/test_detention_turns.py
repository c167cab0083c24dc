"""Moves of one unit take turns within a process (``detention.adapters.occupancy``): an economy of
database conflicts that must never become a wait without end or a deadlock."""

from __future__ import annotations

import threading

import pytest

from detention.adapters import occupancy


def test_a_move_waits_for_the_units_turn() -> None:
    order: list[str] = []
    inside = threading.Event()
    leave = threading.Event()

    def first() -> None:
        with occupancy.one_writer_per_unit("baku-m1"):
            order.append("first in")
            inside.set()
            leave.wait(5)
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    inside.wait(5)
    leave_later = threading.Timer(0.2, leave.set)
    leave_later.start()
    with occupancy.one_writer_per_unit("baku-m1"):
        order.append("second in")
    thread.join(5)
    assert order == ["first in", "first out", "second in"]


def test_a_turn_held_too_long_does_not_hold_the_move(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(occupancy, "LONGEST_TURN_WAIT", 0.05)
    held = threading.Event()
    release = threading.Event()

    def stuck() -> None:  # a transaction waiting out a database outage
        with occupancy.one_writer_per_unit("baku-m1"):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=stuck)
    thread.start()
    held.wait(5)
    went_ahead = False
    with occupancy.one_writer_per_unit("baku-m1"):
        went_ahead = True
    release.set()
    thread.join(5)
    assert went_ahead
    with occupancy.one_writer_per_unit("baku-m1"):  # and the turn was given back
        pass


def test_two_transfers_in_opposite_directions_never_wait_for_each_other_crosswise() -> None:
    done: list[str] = []

    def transfer(target: str, source: str) -> None:
        for _ in range(200):
            with occupancy.one_writer_per_unit(target, source):
                pass
        done.append(target)

    threads = [
        threading.Thread(target=transfer, args=("baku-m1", "ganja-w2")),
        threading.Thread(target=transfer, args=("ganja-w2", "baku-m1")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(done) == ["baku-m1", "ganja-w2"]


def test_a_unit_unknown_takes_no_turn() -> None:
    with occupancy.one_writer_per_unit(None):
        assert not any(turn.held for turn in occupancy._UNIT_TURNS)
    with occupancy.one_writer_per_unit("baku-m1"):
        assert sum(turn.held for turn in occupancy._UNIT_TURNS) == 1
    assert not any(turn.held for turn in occupancy._UNIT_TURNS)
