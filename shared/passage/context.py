"""Who acts, when, and under which correlation id: the one ``Context`` every handler takes.

Command handlers receive it from the web layer (the caller is the verified identity the gateway
signed); event handlers and clocks act as a named *system* caller, so every record and event
says who did it without pretending a person did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from passage.identity import Identity


@dataclass(frozen=True)
class Context:
    """The acting caller, the moment of the act, and the correlation id events carry on."""

    caller: Identity
    now: datetime
    correlation_id: str | None = None

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def user(self) -> str:
        return self.caller.user_id


def system_caller(name: str) -> Identity:
    """The identity of an automatic actor (``system:<name>``), e.g. ``deadline-clock``."""
    return Identity(user_id=f"system:{name}", role="system")


def system_context(name: str, now: datetime, correlation_id: str | None = None) -> Context:
    """A context for a step no person took: an event handler, a clock, a retention job."""
    return Context(caller=system_caller(name), now=now, correlation_id=correlation_id)
