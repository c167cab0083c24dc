"""The readmission service's settings, read once from the environment (no I/O beyond os.environ)."""

from __future__ import annotations

from collections.abc import Mapping

from passage.config import Settings

SERVICE = "readmission"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings for the readmission API and worker (database ``passage_readmission`` by default)."""
    return Settings.from_env(SERVICE, env)
