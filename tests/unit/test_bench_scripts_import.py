"""Every benchmark script still imports: a reshaped package must not leave a bench behind
(benches run by hand, so nothing else would notice until someone needs the figures)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPTS = sorted(p.stem for p in BENCH.glob("*.py") if p.stem != "__init__")


def test_there_are_benchmarks() -> None:
    assert "foundation" in SCRIPTS and len(SCRIPTS) > 5


@pytest.mark.parametrize("name", SCRIPTS)
def test_the_bench_imports(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    assert module.__doc__, f"bench/{name}.py says what it measures in its docstring"
