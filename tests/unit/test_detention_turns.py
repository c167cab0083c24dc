"""Moves of one unit take turns within a process (``detention.adapters.occupancy``): an economy of
database conflicts that must never become a wait without end or a deadlock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

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


def test_the_turn_goes_to_the_waiters_in_the_order_they_came() -> None:
    """First come, first served: with threading.Lock any waiter could take it, and under a steady
    queue one could lose round after round (the mixed load's p99)."""
    turn = occupancy.Turn()
    assert turn.acquire(timeout=1)
    order: list[int] = []
    threads = []
    for n in range(6):
        thread = threading.Thread(target=_take_and_note, args=(turn, n, order))
        thread.start()
        threads.append(thread)
        _wait_until(lambda n=n: turn.waiting == n + 1)  # queued in this order
    turn.release()
    for thread in threads:
        thread.join(5)
    assert order == list(range(6))
    assert not turn.held


def test_a_waiter_that_gave_up_leaves_the_queue_and_the_next_one_gets_the_turn() -> None:
    turn = occupancy.Turn()
    assert turn.acquire(timeout=1)
    assert not turn.acquire(timeout=0.05)  # gave up: out of the queue
    order: list[int] = []
    patient = threading.Thread(target=_take_and_note, args=(turn, 1, order))
    patient.start()
    _wait_until(lambda: turn.waiting == 1)
    turn.release()
    patient.join(5)
    assert order == [1]
    assert not turn.held and not turn.waiting


def _take_and_note(turn: occupancy.Turn, n: int, order: list[int]) -> None:
    assert turn.acquire(timeout=5)
    order.append(n)
    turn.release()


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, "never came true"
        time.sleep(0.001)


def test_a_waiter_interrupted_while_waiting_does_not_keep_the_turn_from_the_others() -> None:
    turn = occupancy.Turn()
    assert turn.acquire(timeout=1)

    class Interrupted(BaseException):
        pass

    class Stopped(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            raise Interrupted()

    original = occupancy.threading.Event
    occupancy.threading.Event = Stopped  # type: ignore[misc]
    try:
        with pytest.raises(Interrupted):
            turn.acquire(timeout=5)
    finally:
        occupancy.threading.Event = original  # type: ignore[misc]
    assert turn.waiting == 0
    turn.release()
    assert not turn.held and turn.acquire(timeout=0.1)
