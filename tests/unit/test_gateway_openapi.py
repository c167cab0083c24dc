"""Merging the services' OpenAPI documents into the gateway's (pure functions, no sockets)."""

from __future__ import annotations

from openapi_spec_validator import validate

from gateway.edge.openapi import MergedDocument, merge

ERROR = {"type": "object", "properties": {"message": {"type": "string"}}}


def _doc(paths: dict, schemas: dict | None = None, tags: list | None = None) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas or {}},
        "tags": tags or [],
    }


def _get(ref: str) -> dict:
    return {
        "get": {
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {"application/json": {"schema": {"$ref": ref}}},
                }
            }
        }
    }


GATEWAY = _doc({"/api/v1/auth/login": _get("#/components/schemas/Error")}, {"Error": ERROR})


def test_paths_of_every_available_service_are_merged_and_valid():
    detention = _doc(
        {"/api/v1/detention/centres": _get("#/components/schemas/Centre")},
        {"Centre": {"type": "object"}, "Error": ERROR},
        tags=[{"name": "centres"}],
    )
    readmission = _doc(
        {
            "/api/v1/readmission/persons/{ref}/location": {
                "get": {
                    "parameters": [
                        {
                            "name": "ref",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        }
    )
    merged = merge(GATEWAY, {"detention": detention, "readmission": readmission})
    validate(merged)
    assert set(merged["paths"]) == {
        "/api/v1/auth/login",
        "/api/v1/detention/centres",
        "/api/v1/readmission/persons/{ref}/location",
    }
    assert merged["info"]["x-unavailable"] == []
    assert {"Centre", "Error"} <= set(merged["components"]["schemas"])
    assert merged["tags"] == [{"name": "centres"}]


def test_missing_service_is_named_and_its_paths_absent():
    merged = merge(GATEWAY, {"detention": None, "readmission": {"not": "openapi"}})
    validate(merged)
    assert merged["info"]["x-unavailable"] == ["detention", "readmission"]
    assert "detention" in merged["info"]["description"]
    assert list(merged["paths"]) == ["/api/v1/auth/login"]


def test_clashing_components_are_renamed_with_their_refs():
    other_error = {"type": "object", "properties": {"code": {"type": "integer"}}}
    wrapper = {"type": "object", "properties": {"error": {"$ref": "#/components/schemas/Error"}}}
    detention = _doc(
        {"/api/v1/detention/x": _get("#/components/schemas/Wrapper")},
        {"Error": other_error, "Wrapper": wrapper},
    )
    merged = merge(GATEWAY, {"detention": detention})
    validate(merged)
    schemas = merged["components"]["schemas"]
    assert schemas["Error"] == ERROR and schemas["detention.Error"] == other_error
    assert (
        schemas["Wrapper"]["properties"]["error"]["$ref"] == "#/components/schemas/detention.Error"
    )
    assert GATEWAY["components"]["schemas"] == {"Error": ERROR}  # inputs are not modified


def test_a_renamed_component_cascades_to_clashing_components_that_refer_to_it():
    gateway = _doc({}, {"Error": ERROR, "Box": {"$ref": "#/components/schemas/Error"}})
    detention = _doc(
        {"/api/v1/detention/x": _get("#/components/schemas/Box")},
        {"Error": {"type": "string"}, "Box": {"$ref": "#/components/schemas/Error"}},
    )
    merged = merge(gateway, {"detention": detention})
    schemas = merged["components"]["schemas"]
    assert schemas["detention.Box"] == {"$ref": "#/components/schemas/detention.Error"}
    assert (
        merged["paths"]["/api/v1/detention/x"]["get"]["responses"]["200"]["content"][
            "application/json"
        ]["schema"]["$ref"]
        == "#/components/schemas/detention.Box"
    )


def test_only_the_services_own_prefix_is_published():
    detention = _doc(
        {
            "/api/v1/detention/a": _get("#/components/schemas/Error"),
            "/api/v1/readmission/b": _get("#/components/schemas/Error"),
            "/internal": _get("#/components/schemas/Error"),
        },
        {"Error": ERROR},
    )
    assert set(merge(GATEWAY, {"detention": detention})["paths"]) == {
        "/api/v1/auth/login",
        "/api/v1/detention/a",
    }


def test_document_is_cached_and_refetched_sooner_while_a_service_is_missing():
    now = [0.0]
    calls: list[str] = []
    available = {"detention": None}

    def fetch(name: str):
        calls.append(name)
        return available[name]

    docs = MergedDocument(
        lambda: GATEWAY, fetch, ["detention"], ttl=30, retry_missing_after=5, clock=lambda: now[0]
    )
    assert docs.get()["info"]["x-unavailable"] == ["detention"]
    now[0] = 4
    docs.get()
    assert len(calls) == 1
    available["detention"] = _doc(
        {"/api/v1/detention/a": _get("#/components/schemas/Error")}, {"Error": ERROR}
    )
    now[0] = 6
    assert "/api/v1/detention/a" in docs.get()["paths"]
    now[0] = 30
    docs.get()
    assert len(calls) == 2


def test_an_operation_id_two_services_share_gets_the_later_service_name():
    def op(operation_id: str) -> dict:
        return {"get": {"operationId": operation_id, "responses": {"200": {"description": "ok"}}}}

    readmission = _doc({"/api/v1/readmission/location": op("person_location")})
    voluntary = _doc({"/api/v1/voluntary-return/location": op("person_location")})
    merged = merge(GATEWAY, {"readmission": readmission, "voluntary-return": voluntary})
    validate(merged)
    ids = [
        item["get"]["operationId"] for path, item in merged["paths"].items() if "location" in path
    ]
    assert ids == ["person_location", "voluntary_return_person_location"]
    assert merged["servers"][0]["url"] == "/"
