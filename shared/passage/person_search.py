"""Person search shared by the three services: the query's schema, its MongoDB filter, the search
keys stored on each record and the minimal hits returned (no particulars, only where to look).

Each service says where a record keeps its names, birth date and document numbers (``Paths``),
stores ``name_keys``/``document_keys`` on the record whenever those change (``search_keys``),
and answers ``GET …/persons/search`` with ``find_hits`` over its records already narrowed to the
caller's scope. Keys are matched exactly through multikey indexes: no regular expression scans.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from pymongo.collection import Collection

from passage import names
from passage.fields import StrictDate, pattern
from passage.formats import PERSON_REF
from passage.mongo import Index, Mongo, safe_value
from passage.names import Paths, document_key, record_names, search_keys

NAME_TEXT = re.compile(r"^[^\W\d_]+(?:[ '’.-]+[^\W\d_]+){0,7}[.]?$")
DOCUMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 /-]{0,39}$")
MAX_HITS = 50
MAX_EXAMINED = 2000


def _whole_name(value: str) -> None:
    """Names are Unicode letters (any script), so not an ASCII Identifier; still matched whole."""
    if not NAME_TEXT.fullmatch(value):
        raise ValidationError("Letters, spaces, hyphens and apostrophes only, at most eight words.")


class PersonSearchQuerySchema(Schema):
    """At least one of name, birth date, document number or person reference."""

    name = fields.String(
        validate=[validate.Length(2, 200), _whole_name], metadata={"example": "Mamedov Rashad"}
    )
    birth_date = StrictDate()
    document = pattern(DOCUMENT, "a document number (letters, digits, spaces, / and -)")
    ref = pattern(PERSON_REF, "a person reference")
    limit = fields.Integer(load_default=20, validate=validate.Range(1, MAX_HITS))

    @validates_schema
    def _something_asked(self, data: Mapping[str, Any], **_: Any) -> None:
        if not any(data.get(k) for k in ("name", "birth_date", "document", "ref")):
            raise ValidationError(
                "Give a name, birth date, document number or person reference.", "name"
            )


class PersonHitSchema(Schema):
    """One record about a person: who (their reference), which record, how well the spelling
    matched."""

    person_ref = fields.String(required=True)
    record_type = fields.String(required=True)
    record_id = fields.String(required=True)
    score = fields.Float(required=True)


class PersonHitsSchema(Schema):
    items = fields.List(fields.Nested(PersonHitSchema), required=True)


def indexes(collection: str) -> list[Index]:
    """Multikey indexes the search uses (one per kind of key), for ``collection``."""
    return [
        Index(collection, [("name_keys", 1)], name=f"{collection}_by_name_key"),
        Index(collection, [("document_keys", 1)], name=f"{collection}_by_document_key"),
    ]


def query(args: Mapping[str, Any], paths: Paths) -> tuple[dict[str, Any], set[str]]:
    """The MongoDB filter for validated search arguments (values only, never operators), and the
    name keys a record must also hold: the filter matches one stored key exactly through the index
    (the pair of the two longest word keys: few records hold both); the other words are checked on
    the records it finds, since an ``$all`` of several keys is not planned as an index lookup by
    SecantusDB (measured ~70x slower), and a multikey index scan is not cut short by a limit
    there."""
    where: dict[str, Any] = {}
    keys = set(names.name_keys(args["name"])) if args.get("name") else set()
    if keys:
        where["name_keys"] = safe_value(names.lookup_key(keys))
    if args.get("birth_date"):
        day = args["birth_date"]
        where[paths.birth_date] = safe_value(day.isoformat() if isinstance(day, date) else str(day))
    if args.get("document"):
        where["document_keys"] = safe_value(document_key(args["document"]))
    if args.get("ref"):
        where["person_ref"] = safe_value(args["ref"])
    return where, keys


def hit(doc: Mapping[str, Any], args: Mapping[str, Any], paths: Paths) -> dict[str, Any]:
    """One minimal hit: whose record, which record, how well the spelling matched."""
    score = names.score([args["name"]], record_names(doc, paths)) if args.get("name") else 1.0
    return {
        "person_ref": doc.get("person_ref"),
        "record_type": paths.record_type,
        "record_id": str(doc.get("_id", doc.get("id"))),
        "score": score,
    }


def find_hits(
    collection: Collection, scope: Mapping[str, Any], args: Mapping[str, Any], paths: Paths
) -> list[dict[str, Any]]:
    """Hits among the records matching ``scope`` (the caller's), best spelling first; at most
    ``MAX_EXAMINED`` records are looked at, so a very common single name cannot make it slow."""
    asked, keys = query(args, paths)
    if not asked:
        return []
    where = {"$and": [asked, dict(scope)]} if set(asked) & set(scope) else {**asked, **scope}
    projection = {p.split(".")[0]: 1 for p in (*paths.names, paths.birth_date)} | {
        "person_ref": 1,
        "name_keys": 1,
    }
    found: list[dict[str, Any]] = []
    for doc in collection.find(where, projection).limit(MAX_EXAMINED).batch_size(200):
        if keys <= set(doc.get("name_keys") or ()):
            found.append(hit(doc, args, paths))
            if len(found) >= int(args.get("limit", 20)):
                break
    return sorted(found, key=lambda h: (-h["score"], h["record_id"]))


def backfill(collection: Collection, paths: Paths) -> int:
    """Store keys on records written before search existed; returns how many were updated."""
    done = 0
    for doc in collection.find({"name_keys": {"$exists": False}}, {"outbox": 0}).limit(1_000_000):
        collection.update_one({"_id": doc["_id"]}, {"$set": search_keys(doc, paths)})
        done += 1
    return done


def backfill_main(settings_loader: Callable[[], Any], sources: Sequence[tuple[str, Paths]]) -> int:
    """One-off command: store search keys on every record of ``sources`` (collection, paths) lacking
    them."""
    settings = settings_loader()
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    try:
        counts = {
            collection: backfill(mongo.collection(collection), paths)
            for collection, paths in sources
        }
    finally:
        mongo.close()
    print(json.dumps({"updated": counts}))
    return 0
