"""Which member states a caller's reads cover: the one rule every list, search and lookup
applies."""

from __future__ import annotations

from passage.identity import Identity

#: Roles that read across every member state (their job is oversight, not one desk's cases).
EVERY_STATE = ("admin", "auditor")


def visible_states(caller: Identity) -> tuple[str, ...] | None:
    """The member states ``caller`` may see; None when the caller sees them all."""
    if caller.role in EVERY_STATE or caller.all_scopes:
        return None
    return tuple(caller.member_states)
