"""The voluntary-return service's settings, read once from the environment (no I/O beyond
os.environ)."""

from __future__ import annotations

from collections.abc import Mapping

from passage.config import Settings

SERVICE = "voluntary_return"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings for the voluntary-return API and worker (database ``passage_voluntary_return`` by
    default)."""
    return Settings.from_env(SERVICE, env)
