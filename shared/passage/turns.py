"""Slots served first come, first served: a semaphore that does not let newcomers jump the queue.

``threading.Semaphore`` (and ``Lock``) wake a waiter on release, but a thread arriving just then
takes the freed slot first and the woken one goes back to wait. Under a steady queue one request
can lose round after round: that was the p99 of the admit/release mix (a unit's turn) and of
reads through a saturated process (its work slots). Here a release hands the slot straight to the
longest waiter, so waits are bounded by the queue ahead, not by luck.
"""

from __future__ import annotations

import threading
from collections import deque


class Turns:
    """At most ``size`` holders at once; the others wait in the order they came.

    A waiter that gives up after its timeout leaves the queue; one handed a slot just as it gave
    up keeps it. One interrupted while waiting (an exception) leaves the queue, or passes on a
    slot just handed to it, so an interruption never strands a slot.
    """

    def __init__(self, size: int = 1) -> None:
        if size < 1:
            raise ValueError("at least one slot")
        self.size = size
        self._guard = threading.Lock()
        self._waiters: deque[threading.Event] = deque()
        self._free = size

    @property
    def held(self) -> bool:
        """Some slot is taken."""
        return self._free < self.size

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def acquire(self, timeout: float) -> bool:
        """Take a slot within ``timeout`` seconds; False when none came in time."""
        with self._guard:
            if self._free:  # never while someone waits: release hands the slot to them
                self._free -= 1
                return True
            mine = threading.Event()
            self._waiters.append(mine)
        try:
            if mine.wait(timeout):
                return True
        except BaseException:  # interrupted while waiting: leave, or pass on a slot just handed
            self._leave(mine, keep=False)
            raise
        return self._leave(mine, keep=True)

    def _leave(self, mine: threading.Event, keep: bool) -> bool:
        """Stop waiting; True when a slot was handed over meanwhile and is kept."""
        with self._guard:
            if not mine.is_set():
                self._waiters.remove(mine)
                return False
        if not keep:
            self.release()
        return keep

    def release(self) -> None:
        """Give the slot back: to the longest waiter if there is one."""
        with self._guard:
            if self._waiters:
                self._waiters.popleft().set()  # the slot stays taken, now by that waiter
            elif self._free < self.size:
                self._free += 1
            else:
                raise RuntimeError("released more often than acquired")
