"""Every identifier a request can carry (references, slugs, nationality, months, ids) is matched as
a
whole ASCII string by the one shared field type: a trailing newline, carriage return, NUL, or a
Unicode look-alike (Cyrillic letters, fullwidth digits) is refused.

The schemas are found by importing every module of the three services, the gateway and the shared
library, so a field added later with a hand-made regex check fails here.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import Phase, find, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, class_registry, fields, validate

from passage.fields import Identifier, pattern

PACKAGES = ("passage", "detention", "readmission", "voluntary_return", "gateway")
SKIP = (
    "passage.testing",
    "gateway.testing",
    "detention.worker",
    "readmission.worker",
    "voluntary_return.worker",
    "__main__",
)


def _import_everything() -> None:
    for name in PACKAGES:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, f"{name}."):
            if not module.name.endswith(SKIP):
                importlib.import_module(module.name)


def _fields(field: fields.Field, where: str) -> Iterator[tuple[str, fields.Field]]:
    yield where, field
    if isinstance(field, fields.List):
        yield from _fields(field.inner, f"{where}[]")
    if isinstance(field, fields.Nested) and isinstance(field.nested, type):
        for name, inner in field.nested._declared_fields.items():
            yield from _fields(inner, f"{where}.{name}")


def request_fields() -> list[tuple[str, fields.Field]]:
    _import_everything()
    found: dict[str, fields.Field] = {}
    for entries in class_registry._registry.values():
        for schema in entries:
            if schema.__module__.split(".")[0] in PACKAGES:
                for name, field in schema._declared_fields.items():
                    found.update(_fields(field, f"{schema.__module__}.{schema.__name__}.{name}"))
    return sorted(found.items())


ALL = request_fields()
IDENTIFIERS = [(where, field) for where, field in ALL if isinstance(field, Identifier)]
FULLWIDTH = {
    c: chr(ord(c) + 0xFEE0)
    for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
}
CYRILLIC = dict(zip("AaBEeKMHOoPpCcTXxy", "АаВЕеКМНОоРрСсТХху", strict=False))


@functools.cache
def example(source: str) -> str:
    """A string the pattern accepts (the first one generated; no shrinking: fast and enough)."""
    quick = settings(database=None, phases=[Phase.generate], max_examples=50)
    # Prefer a string with a letter or digit, so a look-alike twin can be made of it ("*" has none).
    return find(
        st.from_regex(re.compile(source, re.ASCII), fullmatch=True).filter(lambda s: s.isascii()),
        lambda s: any(c in FULLWIDTH for c in s),
        settings=quick,
    )


def lookalikes(good: str) -> list[str]:
    """``good`` with one character swapped for a fullwidth or Cyrillic twin."""
    spots = [i for i, c in enumerate(good) if c in FULLWIDTH]
    out = [good[:i] + FULLWIDTH[good[i]] + good[i + 1 :] for i in spots[:1]]
    out += [good[:i] + CYRILLIC[c] + good[i + 1 :] for i, c in enumerate(good) if c in CYRILLIC][:1]
    return out


def test_the_schemas_were_found() -> None:
    names = {where for where, _ in IDENTIFIERS}
    assert any(w.endswith("PersonSchema.person_ref") for w in names)
    assert any(w.endswith("LoginSchema.username") for w in names)
    assert len(IDENTIFIERS) >= 25, names


@pytest.mark.parametrize("where, field", ALL, ids=[w for w, _ in ALL])
def test_no_field_checks_a_pattern_by_itself(where: str, field: fields.Field) -> None:
    """validate.Regexp uses re.match, under which '$' accepts a final newline: only Identifier may
    match."""
    checks = field.validators if isinstance(field.validators, list) else [field.validators]
    assert not any(isinstance(v, validate.Regexp) for v in checks), where


@pytest.mark.parametrize("where, field", IDENTIFIERS, ids=[w for w, _ in IDENTIFIERS])
def test_identifiers_refuse_trailing_controls_and_lookalikes(where: str, field: Identifier) -> None:
    good = example(field.regex.pattern)
    assert field.deserialize(good) == good
    bad = [good + "\n", good + "\r", good + "\x00", good + "\r\n", "\n" + good, *lookalikes(good)]
    assert len(bad) >= 6, f"{where}: no look-alike could be made of {good!r}"
    for value in bad:
        with pytest.raises(ValidationError):
            field.deserialize(value)


@pytest.mark.parametrize(
    "value",
    [
        "YEV-0001\n",
        "YEV-0001\r",
        "YEV-0001\x00",
        "YEV-0001\u2028",
        "YЕV-0001",
        "YEV-０００1",
        "YEV-0001 ",
    ],
)
def test_a_person_ref_is_a_whole_string(value: str) -> None:
    field = pattern(r"^[A-Za-z0-9_.:-]{1,64}$", "a person_ref")
    assert field.deserialize("YEV-0001") == "YEV-0001"
    with pytest.raises(ValidationError):
        field.deserialize(value)


def test_the_published_pattern_is_the_ecma_source() -> None:
    class One(Schema):
        month = pattern(r"^(19|20)\d{2}-(0[1-9]|1[0-2])$", "a month")

    field: Any = One().fields["month"]
    assert field.metadata["pattern"] == r"^(19|20)\d{2}-(0[1-9]|1[0-2])$"
    with pytest.raises(ValidationError):
        field.deserialize("２０２６-01")
