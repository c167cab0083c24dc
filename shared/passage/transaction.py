"""The unit-of-work port: what a handler holds while its writes must commit together.

An event handler receives a :class:`Transaction` from the consumer (the inbox's record of the
event commits in it too) and passes it on to repositories; it never looks inside. Only storage
adapters turn it back into the driver's session (:func:`passage.mongo.session_of`), so handler
modules import no driver.
"""

from __future__ import annotations

from typing import Protocol


class Transaction(Protocol):
    """An open unit of work; opaque outside the storage adapters."""
