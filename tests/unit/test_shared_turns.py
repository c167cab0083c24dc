"""First come, first served slots (``passage.turns``): a unit's turn in detention, each process's
work slots. A newcomer must never take a freed slot ahead of those waiting."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from passage import turns
from passage.turns import Turns


def test_the_turn_goes_to_the_waiters_in_the_order_they_came() -> None:
    """First come, first served: with threading.Lock any waiter could take it, and under a steady
    queue one could lose round after round (the mixed load's p99)."""
    turn = Turns(1)
    assert turn.acquire(timeout=1)
    order: list[int] = []
    threads = _line_up(turn, 6, order)
    turn.release()
    for thread in threads:
        thread.join(5)
    assert order == list(range(6))
    assert not turn.held


def test_a_waiter_that_gave_up_leaves_the_queue_and_the_next_one_gets_the_turn() -> None:
    turn = Turns(1)
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


def _line_up(slots: Turns, count: int, order: list[int]) -> list[threading.Thread]:
    """``count`` threads waiting for a slot, queued in the order of their numbers; each notes its
    number in ``order`` once it has a slot, and gives the slot back."""
    threads = []
    for n in range(count):
        thread = threading.Thread(target=_take_and_note, args=(slots, n, order))
        thread.start()
        threads.append(thread)
        _wait_until(lambda n=n: slots.waiting == n + 1)
    return threads


def _take_and_note(turn: Turns, n: int, order: list[int]) -> None:
    assert turn.acquire(timeout=5)
    order.append(n)
    turn.release()


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, "never came true"
        time.sleep(0.001)


def test_a_waiter_interrupted_while_waiting_does_not_keep_the_turn_from_the_others() -> None:
    turn = Turns(1)
    assert turn.acquire(timeout=1)

    class Interrupted(BaseException):
        pass

    class Stopped(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            raise Interrupted()

    original = turns.threading.Event
    turns.threading.Event = Stopped  # type: ignore[misc]
    try:
        with pytest.raises(Interrupted):
            turn.acquire(timeout=5)
    finally:
        turns.threading.Event = original  # type: ignore[misc]
    assert turn.waiting == 0
    turn.release()
    assert not turn.held and turn.acquire(timeout=0.1)


def test_several_slots_are_taken_at_once_and_then_handed_on_in_order() -> None:
    slots = Turns(3)
    assert all(slots.acquire(timeout=1) for _ in range(3))
    assert not slots.acquire(timeout=0.02)  # all three taken
    order: list[int] = []
    threads = _line_up(slots, 4, order)
    slots.release()  # one slot passes down the queue: each waiter takes it, notes, releases
    for thread in threads:
        thread.join(5)
    assert order == list(range(4))
    assert slots.held and not slots.waiting  # the other two are still held
    slots.release()
    slots.release()
    assert not slots.held


def test_a_newcomer_does_not_take_a_slot_handed_to_a_waiter() -> None:
    """The barging a threading.Semaphore allows: release, then a new acquire at once."""
    slots = Turns(1)
    assert slots.acquire(timeout=1)
    order: list[str] = []
    waiter = threading.Thread(target=lambda: (slots.acquire(timeout=5), order.append("waiter")))
    waiter.start()
    _wait_until(lambda: slots.waiting == 1)
    slots.release()
    assert not slots.acquire(timeout=0)  # the slot is the waiter's now
    waiter.join(5)
    assert order == ["waiter"] and slots.held
    slots.release()
    assert not slots.held


def test_releasing_more_than_was_taken_is_an_error() -> None:
    slots = Turns(2)
    assert slots.acquire(timeout=1)
    slots.release()
    with pytest.raises(RuntimeError):
        slots.release()
    with pytest.raises(ValueError):
        Turns(0)
