"""Readmission's domain: rules and vocabularies that need no I/O (stdlib and passage's pure
modules only; no flask, marshmallow, pymongo, bson or kombu). ``requests`` (with
``request_core`` and ``replies``) is a request's life, ``transits`` a transit request's,
``deadlines`` the legal time limits, ``agreements`` and ``evidence`` the law as data,
``protocols`` the registry's vocabulary, ``events`` the events a change causes, ``views``
what each role sees, ``scope`` whose member states a caller reads, ``search`` where person
search looks, ``statistics`` the committee's monthly figures."""

from __future__ import annotations

from passage.formats import PERSON_REF

# Liaison officers need the location to arrange interviews and transfers; auditors check access.
LOCATION_READERS = ("admin", "liaison_officer", "auditor")


def is_person_ref(value: str) -> bool:
    """A person reference as the services exchange it (never a query operator)."""
    return PERSON_REF.fullmatch(value) is not None
