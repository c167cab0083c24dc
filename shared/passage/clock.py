"""The one wall clock of Passage: timezone-aware UTC "now", injected into handlers and jobs.

Domain code takes ``now`` as an argument; only composition roots and adapters call this.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
