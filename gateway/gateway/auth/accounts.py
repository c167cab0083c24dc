"""Staff accounts: who may sign in, in which role and over which scopes, kept in the gateway's
MongoDB.

The rules (username format, which role carries which scope) are plain Python; ``MongoUsers``
is the persistence adapter. Documents are keyed by username, so uniqueness needs no extra index.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from pymongo.errors import DuplicateKeyError

from passage.clock import utc_now
from passage.identity import Identity
from passage.mongo import Mongo, safe_value

# ECMA syntax (published in OpenAPI), ASCII only; always applied with fullmatch: in Python "$" also
# matches before a trailing newline.
USERNAME = re.compile(r"^[a-z][a-z0-9._-]{2,63}$", re.ASCII)
CENTRE_ID = re.compile(r"^[a-z][a-z0-9-]{1,39}$", re.ASCII)
MEMBER_STATE = re.compile(r"^[A-Z]{2}$", re.ASCII)
ORGANISATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{1,63}$", re.ASCII)
USER_ROLES = ("admin", "centre_staff", "liaison_officer", "avr_caseworker", "partner", "auditor")
COLLECTION = "users"


def recorded_name(username: str, key: bytes) -> str:
    """How a typed username may be recorded (audit, throttles, rate-limit keys): itself when it has
    the username format, otherwise ``invalid:`` and a keyed hash, so a password typed into the
    username field is never stored verbatim, yet repeats of the same typo can still be told
    apart."""
    if USERNAME.fullmatch(username):
        return username
    return (
        "invalid:"
        + hmac.new(key, username.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:24]
    )


class AccountError(ValueError):
    """An account cannot be created as asked (bad username, role or scopes)."""


@dataclass(frozen=True)
class User:
    """A staff member's account; ``password_hash`` never leaves the gateway."""

    username: str
    role: str
    password_hash: str
    centres: tuple[str, ...] = ()
    member_states: tuple[str, ...] = ()
    organisation: str | None = None
    all_scopes: bool = False
    disabled: bool = False

    def identity(self) -> Identity:
        return Identity(
            user_id=self.username,
            role=self.role,
            centres=self.centres,
            member_states=self.member_states,
            organisation=self.organisation,
            all_scopes=self.all_scopes,
        )


def new_user(
    username: str,
    role: str,
    password_hash: str,
    *,
    centres: Iterable[str] = (),
    member_states: Iterable[str] = (),
    organisation: str | None = None,
    all_scopes: bool = False,
) -> User:
    """A valid account, or :class:`AccountError` saying what is wrong."""
    if not USERNAME.fullmatch(username):
        raise AccountError(
            "A username is 3-64 characters: a lower-case letter, then letters, digits, "
            "'.', '_' or '-'."
        )
    if role not in USER_ROLES:
        raise AccountError(f"The role must be one of {', '.join(USER_ROLES)}.")
    user = User(
        username=username,
        role=role,
        password_hash=password_hash,
        centres=tuple(dict.fromkeys(centres)),
        member_states=tuple(dict.fromkeys(member_states)),
        organisation=organisation or None,
        all_scopes=all_scopes,
    )
    _check_scopes(user)
    return user


def _check_scopes(user: User) -> None:
    if any(not CENTRE_ID.fullmatch(c) for c in user.centres):
        raise AccountError("Centre ids are slugs like 'baku' (lower-case letters, digits, '-').")
    if any(not MEMBER_STATE.fullmatch(m) for m in user.member_states):
        raise AccountError("Member states are two-letter codes like 'DE'.")
    if user.organisation is not None and not ORGANISATION.fullmatch(user.organisation):
        raise AccountError("An organisation name is 2-64 letters, digits, spaces, '.', '_' or '-'.")
    expected = {
        "centre_staff": ("centres", bool(user.centres)),
        "liaison_officer": (
            "member states (or all of them)",
            bool(user.member_states) != user.all_scopes,
        ),
        "partner": ("an organisation", user.organisation is not None),
    }
    what, ok = expected.get(user.role, ("", True))
    if not ok:
        raise AccountError(f"A {user.role} account needs {what}.")
    scoped = {
        "centre_staff": user.centres,
        "liaison_officer": user.member_states or user.all_scopes,
        "partner": user.organisation,
    }
    for role, value in scoped.items():
        if value and user.role != role:
            raise AccountError(f"Only a {role} account carries that scope.")


class Users(Protocol):
    """Where accounts are kept (MongoDB in the gateway, a dict in unit tests)."""

    def get(self, username: str) -> User | None: ...
    def add(self, user: User) -> bool: ...
    def replace_password_hash(self, username: str, old_hash: str, new_hash: str) -> bool: ...
    def set_password_hash(self, username: str, new_hash: str) -> bool: ...
    def disable(self, username: str) -> bool: ...


class MongoUsers:
    """The ``users`` collection of the gateway's own database."""

    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo

    @property
    def _collection(self) -> Any:
        return self.mongo.collection(COLLECTION)

    def get(self, username: str) -> User | None:
        doc = self._collection.find_one({"_id": safe_value(username)})
        return _from_doc(doc) if doc else None

    def add(self, user: User) -> bool:
        """Insert ``user``; False when the username is taken."""
        try:
            self._collection.insert_one(_to_doc(user))
        except DuplicateKeyError:
            return False
        return True

    def replace_password_hash(self, username: str, old_hash: str, new_hash: str) -> bool:
        """Swap the hash only if it is still ``old_hash`` (a concurrent change wins)."""
        # $eq keeps the stored hash (which starts with "$argon2id$") a literal, never an operator.
        return self._update(
            {"_id": safe_value(username), "password_hash": {"$eq": old_hash}},
            {"password_hash": new_hash},
        )

    def set_password_hash(self, username: str, new_hash: str) -> bool:
        return self._update({"_id": safe_value(username)}, {"password_hash": new_hash})

    def disable(self, username: str) -> bool:
        """Refuse this account's sign-ins from now on; False when there is no such user."""
        return self._update({"_id": safe_value(username)}, {"disabled": True})

    def _update(self, query: dict[str, Any], changes: dict[str, Any]) -> bool:
        result = self._collection.update_one(
            query, {"$set": {**changes, "updated_at": utc_now()}, "$inc": {"version": 1}}
        )
        return result.matched_count == 1


def _to_doc(user: User) -> dict[str, Any]:
    now = utc_now()
    return {
        "_id": user.username,
        "username": user.username,
        "role": user.role,
        "centres": list(user.centres),
        "member_states": list(user.member_states),
        "organisation": user.organisation,
        "all_scopes": user.all_scopes,
        "disabled": user.disabled,
        "password_hash": user.password_hash,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def _from_doc(doc: dict[str, Any]) -> User:
    return User(
        username=doc["_id"],
        role=doc["role"],
        password_hash=doc.get("password_hash", ""),
        centres=tuple(doc.get("centres") or ()),
        member_states=tuple(doc.get("member_states") or ()),
        organisation=doc.get("organisation"),
        all_scopes=bool(doc.get("all_scopes")),
        disabled=bool(doc.get("disabled")),
    )
