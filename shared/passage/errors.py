"""The one error vocabulary below the web layer.

Domain code and command handlers raise these (never HTTP problems): they say *what* was refused
and *where* in the caller's input, in the users' words. Each service's web layer owns one table
``{ErrorClass: (status, slug)}`` and hands it to :func:`passage.problems.register_error_table`,
the one function that turns a refusal into ``application/problem+json``. This module imports no
framework, so the domain may use it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class DomainError(Exception):
    """A refusal the caller is to see.

    ``detail`` is the sentence shown to the user, ``field`` the input it concerns (a dotted path;
    a JSON pointer is made of it) and ``field_detail`` what that pointer says when it is shorter
    than ``detail``, ``rule`` the name of the rule that refused, and ``extra`` any figures the
    client needs to act on it (e.g. ``capacity``); extras must never carry personal data of
    anyone the caller may not see. A subclass's ``title`` replaces the status's own.
    """

    title: str | None = None

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        field_detail: str | None = None,
        rule: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.field_detail = field_detail
        self.rule = rule
        self.extra = extra


class NotFoundError(DomainError):
    """No such record, or none the caller may see (the two are indistinguishable on purpose)."""


class NotAllowed(DomainError):
    """The caller's role or scope does not allow this step."""


class AlreadyExists(DomainError):
    """A record with this identity exists already, or a once-only step was taken already."""


class RuleRefused(DomainError):
    """A rule of the procedure refuses the step in the record's present state."""


class VersionConflict(DomainError):
    """The record changed since the caller read it (optimistic concurrency).

    Raised by repositories when a conditional update finds another version; ``current_version``
    lets a client re-read and decide, and :func:`retry_on_conflict` lets a system step try again.
    """

    def __init__(
        self, current_version: int | None, detail: str | None = None, **extra: Any
    ) -> None:
        super().__init__(
            detail or f"The record is at version {current_version}; read it again and retry.",
            current_version=current_version,
            **extra,
        )
        self.current_version = current_version


class KeptChanging(VersionConflict):
    """A system step lost the race for a record every time it retried; nothing was written."""


#: A service's mapping from its refusals to an HTTP status and a problem ``type`` slug; the most
#: specific class in an error's MRO wins, so a service maps only what it must tell apart.
ErrorTable = Mapping[type[DomainError], tuple[int, str]]

#: What every service agrees on; a service's own table extends or overrides it.
COMMON_ERRORS: dict[type[DomainError], tuple[int, str]] = {
    DomainError: (422, "rule-refused"),
    RuleRefused: (422, "rule-refused"),
    NotFoundError: (404, "not-found"),
    NotAllowed: (403, "forbidden"),
    AlreadyExists: (409, "conflict"),
    VersionConflict: (412, "precondition-failed"),
    KeptChanging: (409, "conflict"),
}


def status_and_slug(error: DomainError, table: ErrorTable) -> tuple[int, str]:
    """The entry of the most specific class of ``error`` in ``table`` (then the common one)."""
    for kind in type(error).__mro__:
        if kind in table:
            return table[kind]
        if kind in COMMON_ERRORS:
            return COMMON_ERRORS[kind]
    return COMMON_ERRORS[DomainError]


def retry_on_conflict(attempt: Callable[[], T], *, attempts: int = 5) -> T:
    """Run ``attempt`` until it does not meet a :class:`VersionConflict` (re-reading each time).

    For system steps (event handlers, clocks) that must apply to the latest version; a person's
    request is never retried for them: they get the 412 and decide. After ``attempts`` losses,
    :class:`KeptChanging` says so instead of looping on a hot record.
    """
    last: VersionConflict | None = None
    for _ in range(attempts):
        try:
            return attempt()
        except VersionConflict as conflict:
            last = conflict
    raise KeptChanging(
        last.current_version if last else None,
        "The record kept changing while the step was applied; nothing was written. Try again.",
    )
