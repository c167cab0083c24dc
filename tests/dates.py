"""Days as the detention service counts them: the centres' civil day (Baku, UTC+4), not the
machine's UTC day, which from 20:00 UTC is still yesterday there. A test that dates a court order,
a birth or an examination "today" for detention means this day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from detention.domain.rules import local_day, rules_on


def centres_today() -> date:
    now = datetime.now(UTC)
    return local_day(now, rules_on(now.date()).time_zone)
