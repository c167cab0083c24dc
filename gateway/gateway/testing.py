"""Helpers for tests that need a gateway: cheap password hashing, accounts, signing in.

Only tests import this module; it does no I/O at import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from argon2 import PasswordHasher
from flask import Flask

from gateway.app import create_app
from gateway.auth.accounts import MongoUsers, User, new_user
from gateway.auth.passwords import Passwords
from gateway.bootstrap import GatewayDeps, build_deps
from gateway.config import GatewaySettings, gateway_settings
from passage.config import Settings

TEST_ACCESS_SECRET = "test-access-token-secret-0123456789abcdef-0123456789abcdef"


def cheap_passwords() -> Passwords:
    """Argon2id with tiny parameters: same code path, milliseconds instead of ~0.1 s per hash."""
    return Passwords(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))


def settings_for_tests(
    base: Settings, upstreams: Mapping[str, str] | None = None, **overrides: Any
) -> GatewaySettings:
    """Gateway settings on ``base``'s isolated database, with the given upstream URLs."""
    settings = gateway_settings(base, {}, access_token_secret=TEST_ACCESS_SECRET, **overrides)
    if upstreams is not None:
        settings = settings.with_(upstreams={**settings.upstreams, **upstreams})
    return settings


def gateway_for_tests(settings: GatewaySettings) -> tuple[Flask, GatewayDeps]:
    """A gateway app (and its adapters) that hashes cheaply."""
    deps = build_deps(settings, passwords=cheap_passwords())
    return create_app(settings, deps), deps


def add_user(deps: GatewayDeps, username: str, role: str, password: str, **scopes: Any) -> User:
    user = new_user(username, role, deps.sign_in.passwords.hash(password), **scopes)
    assert MongoUsers(deps.mongo).add(user), f"{username} exists"
    return user
