"""Bad input on every endpoint added for moves, estate updates and occupancy: each is a 4xx
problem (with a pointer where a field is at fault) and the database is exactly as before."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.test_detention_bad_input import (
    P,
    Stack,
    assert_problem,
    send,
    stack,  # noqa: F401 (fixtures)
    unchanged,  # noqa: F401 (fixtures)
)

MOVES = {
    "transfer": {"unit_id": "baku-m1"},
    "release": {"reason": "other"},
    "extensions": {
        "decision_ref": "2-9/2027",
        "court": "Baku Court",
        "decided_on": "2026-11-20",
        "valid_until": "2099-01-01",
    },
    "reviews": {"next_review_on": "2099-01-01"},
}
PATCHES = {
    "centre": (f"{P}/centres/baku", {"name": "Baku centre"}),
    "unit": (f"{P}/units/baku-m1", {"declared_places": 30}),
}


def move(stack: Stack, name: str, body: Any = None, raw: str | None = None, query: str = "") -> Any:
    return send(stack, "POST", f"{P}/stays/{stack.stay_id}/{name}{query}", body, raw=raw)


@pytest.mark.parametrize("name", list(MOVES))
@pytest.mark.parametrize("raw", ['{"reason": "x",', "not json", "\xff\xfe"])
def test_malformed_move_bodies_are_400(unchanged: Stack, name: str, raw: str) -> None:
    assert_problem(move(unchanged, name, raw=raw.encode("latin-1")), 400)


@pytest.mark.parametrize("name", list(MOVES))
@pytest.mark.parametrize("raw", ["[1]", '"x"', "null"])
def test_move_bodies_that_are_not_objects_are_refused(
    unchanged: Stack, name: str, raw: str
) -> None:
    assert_problem(move(unchanged, name, raw=raw), (400, 422))


@pytest.mark.parametrize("name", list(MOVES))
def test_oversize_moves_are_413_and_queries_422(unchanged: Stack, name: str) -> None:
    big = {**MOVES[name], "reason": "x" * (unchanged.settings.max_body_bytes + 10)}
    assert_problem(move(unchanged, name, raw=json.dumps(big)), 413)
    assert_problem(move(unchanged, name, MOVES[name], query="?unit_id[$ne]=x"), 422)
    assert_problem(move(unchanged, name, {**MOVES[name], "status": "closed"}), 422, "/status")
    assert_problem(
        move(unchanged, name, {**MOVES[name], "$set": {"status": "closed"}}), 422, "/$set"
    )


BAD_MOVES = [
    ("transfer", {"unit_id": {"$ne": None}}, "/unit_id"),
    ("transfer", {"unit_id": 5}, "/unit_id"),
    ("transfer", {"unit_id": "$where"}, "/unit_id"),
    ("transfer", {}, "/unit_id"),
    ("release", {"reason": "escaped"}, "/reason"),
    ("release", {"reason": {"$ne": "x"}}, "/reason"),
    ("release", {"reason": "other", "released_at": "2025-02-30T10:00:00Z"}, "/released_at"),
    ("release", {"reason": "other", "released_at": "2026-11-20T10:00:00"}, "/released_at"),
    ("release", {"reason": "other", "released_at": 1764000000}, "/released_at"),
    (
        "release",
        {"reason": "other", "exit_medical": {"examined_on": "2025-02-30", "examined_by": "Dr"}},
        "/exit_medical/examined_on",
    ),
    (
        "release",
        {
            "reason": "other",
            "exit_medical": {"examined_on": "2026-11-20", "examined_by": "Dr", "x": 1},
        },
        "/exit_medical/x",
    ),
    (
        "release",
        {
            "reason": "other",
            "exit_medical": {
                "examined_on": "2026-11-20",
                "examined_by": "Dr",
                "fit_for_detention": "yes",
            },
        },
        "/exit_medical/fit_for_detention",
    ),
    ("extensions", {**MOVES["extensions"], "valid_until": "2025-02-30"}, "/valid_until"),
    ("extensions", {**MOVES["extensions"], "decided_on": 20261120}, "/decided_on"),
    ("extensions", {"court": "c"}, "/decision_ref"),
    ("reviews", {"next_review_on": "2025-02-30"}, "/next_review_on"),
    ("reviews", {"next_review_on": ["2099-01-01"]}, "/next_review_on"),
]


@pytest.mark.parametrize("name, body, pointer", BAD_MOVES)
def test_bad_move_fields_are_422_with_a_pointer(
    unchanged: Stack, name: str, body: dict, pointer: str
) -> None:
    assert_problem(move(unchanged, name, body), 422, pointer)


REFUSED_MOVES = [
    (
        "release",
        {"reason": "other", "released_at": "2020-01-01T00:00:00Z"},
        422,
        "/released_at",
    ),  # before admission
    ("release", {"reason": "other", "released_at": "2099-01-01T00:00:00Z"}, 422, "/released_at"),
    ("transfer", {"unit_id": "baku-m1"}, 422, None),  # where the person is already
    ("transfer", {"unit_id": "nowhere"}, 404, None),
    (
        "extensions",
        {**MOVES["extensions"], "valid_until": "2000-01-01", "decided_on": "2000-01-01"},
        422,
        None,
    ),
    ("extensions", {**MOVES["extensions"], "decided_on": "2099-01-01"}, 422, "/decided_on"),
    ("reviews", {"next_review_on": "2000-01-01"}, 422, "/next_review_on"),
]


@pytest.mark.parametrize("name, body, status, pointer", REFUSED_MOVES)
def test_moves_the_rules_refuse_store_nothing(
    unchanged: Stack, name: str, body: dict, status: int, pointer: str | None
) -> None:
    assert_problem(move(unchanged, name, body), status, pointer)


@pytest.mark.parametrize("name", list(MOVES))
@pytest.mark.parametrize(
    "stay_id",
    [
        "not-a-uuid",
        "$where",
        "01A20C61-FE05-7392-BF93-41FB56C196E6",
        "01920c61-fe05-7392-bf93-41fb56c196e6",
    ],
)
def test_bad_or_unknown_stays_in_paths(unchanged: Stack, name: str, stay_id: str) -> None:
    assert_problem(send(unchanged, "POST", f"{P}/stays/{stay_id}/{name}", MOVES[name]), (404, 422))


@pytest.mark.parametrize("if_match", ['"v9"', "v1", '"x"', "*"])
def test_a_wrong_if_match_is_412_and_changes_nothing(unchanged: Stack, if_match: str) -> None:
    headers = {**unchanged.admin, "If-Match": if_match}
    response = send(
        unchanged,
        "POST",
        f"{P}/stays/{unchanged.stay_id}/release",
        {"reason": "other"},
        headers=headers,
    )
    assert_problem(response, 412)
    assert_problem(
        send(unchanged, "PATCH", f"{P}/units/baku-m1", {"declared_places": 30}, headers=headers),
        412,
    )


BAD_PATCHES = [
    ("centre", {}, None),
    ("centre", {"name": 5}, "/name"),
    ("centre", {"active": "false"}, "/active"),
    ("centre", {"id": "other"}, "/id"),
    ("centre", {"$set": {"name": "x"}}, "/$set"),
    ("centre", {"name": {"$ne": None}}, "/name"),
    ("unit", {}, None),
    ("unit", {"declared_places": "30"}, "/declared_places"),
    ("unit", {"declared_places": True}, "/declared_places"),
    ("unit", {"occupancy": 0}, "/occupancy"),
    ("unit", {"capacity": 99}, "/capacity"),
    ("unit", {"declared_places": {"$inc": 1}}, "/declared_places"),
    (
        "unit",
        {"blocked_places": [{"places": 1, "reason": "r", "until": "2025-02-30"}]},
        "/blocked_places/0/until",
    ),
    ("unit", {"declared_places": 0}, None),  # below the person held
    ("unit", {"blocked_places": [{"places": 40, "reason": "r", "until": "2099-01-01"}]}, None),
    ("unit", {"category": "women"}, "/category"),  # someone is held: the category stays
]


@pytest.mark.parametrize("target, body, pointer", BAD_PATCHES)
def test_bad_estate_updates_are_refused(
    unchanged: Stack, target: str, body: dict, pointer: str | None
) -> None:
    path = PATCHES[target][0]
    assert_problem(send(unchanged, "PATCH", path, body), (409, 422), pointer)


@pytest.mark.parametrize("target", list(PATCHES))
def test_estate_updates_refuse_malformed_oversize_and_queries(
    unchanged: Stack, target: str
) -> None:
    path, body = PATCHES[target]
    assert_problem(send(unchanged, "PATCH", path, raw=b'{"name": '), 400)
    assert_problem(
        send(
            unchanged,
            "PATCH",
            path,
            raw=json.dumps({"name": "x" * (unchanged.settings.max_body_bytes + 5)}),
        ),
        413,
    )
    assert_problem(send(unchanged, "PATCH", f"{path}?version=1", body), 422)


BAD_FIGURE_QUERIES = [
    "/centres/baku/occupancy/history",
    "/centres/baku/occupancy/history?from=2026-11-01",
    "/centres/baku/occupancy/history?from=2025-02-30&to=2025-03-01",
    "/centres/baku/occupancy/history?from=2026-11-01&to=2026-11-31",
    "/centres/baku/occupancy/history?from[$gt]=2026-11-01&to=2026-11-30",
    "/centres/baku/occupancy/history?from=2026-11-30&to=2026-11-01",
    "/centres/baku/occupancy/history?from=2020-01-01&to=2026-11-01",
    "/centres/baku/occupancy/history?from=2026-11-01&to=2026-11-30&unit_id=baku-m1",
    "/centres/BAKU/occupancy",
    "/centres/baku/occupancy?unit_id=x",
    "/centres/$where/occupancy",
    "/statistics/occupancy",
    "/statistics/occupancy?month=2025-13",
    "/statistics/occupancy?month=2025-1",
    "/statistics/occupancy?month[$ne]=x",
    "/statistics/occupancy?month=2025-02-01",
    "/stays?due_within=7",
    "/stays?due_within=0d",
    "/stays?due_within[$gt]=1",
    "/stays?due_before=2025-02-30",
    "/stays?nationality=irn",
    "/stays?nationality[$ne]=IRN",
    "/stays?legal_basis=prison",
    "/stays?legal_basis.kind=x",
]


@pytest.mark.parametrize("query", BAD_FIGURE_QUERIES)
def test_bad_figure_and_clock_queries_are_refused(unchanged: Stack, query: str) -> None:
    assert_problem(send(unchanged, "GET", f"{P}{query}"), (404, 422))
