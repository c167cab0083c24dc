"""One OpenAPI document for the whole API: the gateway's own routes plus each service's.

Each service's ``/openapi.json`` is fetched through the gateway's upstream client and cached
briefly. A service that is down is left out and named in ``info.x-unavailable``. Components
with the same name but different content are renamed ``<service>.<name>`` (and their ``$ref``s
rewritten), so merging never silently changes a schema.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

Document = dict[str, Any]
Fetch = Callable[[str], Any]
# Relative: clients resolve it against the address they fetched the document from (the gateway).
SERVERS = ({"url": "/", "description": "This Passage gateway; every path starts with /api/v1."},)
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def merge(own: Document, services: Mapping[str, Document | None]) -> Document:
    """The gateway's document with each available service's paths, components and tags added."""
    merged = copy.deepcopy(own)
    merged.setdefault("paths", {})
    merged.setdefault("components", {})
    merged.setdefault("tags", [])
    unavailable = sorted(name for name, doc in services.items() if not _usable(doc))
    for name, doc in services.items():
        if _usable(doc):
            _add_service(merged, name, copy.deepcopy(doc))  # type: ignore[arg-type]
    info = merged.setdefault("info", {})
    info["x-unavailable"] = unavailable
    if unavailable:
        info["description"] = (
            info.get("description", "") + "\n\nNot included (service unavailable when "
            f"this document was built): {', '.join(unavailable)}."
        ).strip()
    merged["security"] = [{"bearer": []}]
    merged.setdefault("servers", list(SERVERS))
    _drop_unused_schemas(merged)
    return merged


def _usable(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("paths"), dict)
        and str(doc.get("openapi", "")).startswith("3.")
    )


def _add_service(merged: Document, service: str, doc: Document) -> None:
    renames = _renames_until_stable(merged["components"], doc, service)
    doc = _rewrite_refs(doc, renames) if renames else doc
    for section, items in (doc.get("components") or {}).items():
        target = merged["components"].setdefault(section, {})
        for key, value in items.items():
            target.setdefault(
                renames.get(f"#/components/{section}/{key}", key).rsplit("/", 1)[-1], value
            )
    prefix = f"/api/v1/{service}"
    taken = _operation_ids(merged)
    for path, item in doc["paths"].items():
        if (path == prefix or path.startswith(prefix + "/")) and path not in merged["paths"]:
            merged["paths"][path] = _unique_operation_ids(item, taken, service)
    known = {tag.get("name") for tag in merged["tags"]}
    merged["tags"].extend(
        t for t in doc.get("tags") or [] if isinstance(t, dict) and t.get("name") not in known
    )


def _operation_ids(doc: Document) -> set[str]:
    return {
        op["operationId"]
        for item in doc["paths"].values()
        if isinstance(item, dict)
        for method, op in item.items()
        if method in HTTP_METHODS and isinstance(op, dict) and "operationId" in op
    }


def _unique_operation_ids(item: Document, taken: set[str], service: str) -> Document:
    """An operationId another service already uses gets the service's name in front
    (ids stay unique)."""
    for method, op in item.items():
        if method in HTTP_METHODS and isinstance(op, dict) and "operationId" in op:
            if op["operationId"] in taken:
                op["operationId"] = f"{service.replace('-', '_')}_{op['operationId']}"
            taken.add(op["operationId"])
    return item


def _renames_until_stable(existing: Document, doc: Document, service: str) -> dict[str, str]:
    """Renaming one component changes those that refer to it, which may clash in turn."""
    renames: dict[str, str] = {}
    while True:
        components = _rewrite_refs(doc.get("components") or {}, renames)
        found = _component_renames(existing, components, service)
        if found.keys() <= renames.keys():
            return renames
        renames.update(found)


def _component_renames(existing: Document, incoming: Document, service: str) -> dict[str, str]:
    """``$ref`` → new ``$ref`` for each incoming component that clashes with a different one."""
    renames: dict[str, str] = {}
    for section, items in incoming.items():
        if not isinstance(items, dict):
            continue
        for key, value in items.items():
            current = existing.get(section, {}).get(key)
            if current is not None and current != value:
                renames[f"#/components/{section}/{key}"] = f"#/components/{section}/{service}.{key}"
    return renames


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            k: (
                renames.get(v, v)
                if k == "$ref" and isinstance(v, str)
                else _rewrite_refs(v, renames)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node


def _drop_unused_schemas(doc: Document) -> None:
    """Schemas no operation reaches (flask-smorest's unused PaginationMetadata) only confuse
    clients."""
    schemas = doc.get("components", {}).get("schemas") or {}
    prefix = "#/components/schemas/"
    used = _refs({k: v for k, v in doc.items() if k != "components"})
    used |= _refs({k: v for k, v in doc.get("components", {}).items() if k != "schemas"})
    while True:  # what the used schemas refer to is used too, to any depth
        more = set().union(
            *(
                _refs(schemas[r[len(prefix) :]])
                for r in used
                if r.startswith(prefix) and r[len(prefix) :] in schemas
            )
        )
        if more <= used:
            break
        used |= more
    for name in [n for n in schemas if prefix + n not in used]:
        del schemas[name]


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


class MergedDocument:
    """The merged document, rebuilt at most every ``ttl`` seconds
    (sooner while a service is missing)."""

    def __init__(
        self,
        own: Callable[[], Document],
        fetch: Fetch,
        services: list[str],
        *,
        ttl: float = 30.0,
        retry_missing_after: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.own, self.fetch, self.services = own, fetch, services
        self.ttl, self.retry_missing_after, self.clock = ttl, retry_missing_after, clock
        self._cached: Document | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def get(self) -> Document:
        with self._lock:
            if self._cached is None or self.clock() >= self._expires:
                docs = {name: self.fetch(name) for name in self.services}
                self._cached = merge(self.own(), docs)
                missing = bool(self._cached["info"]["x-unavailable"])
                self._expires = self.clock() + (self.retry_missing_after if missing else self.ttl)
            return self._cached
