"""The gateway's settings: the shared ones plus access-token keys, upstream URLs and timeouts.

Read once from the environment into a frozen dataclass; no I/O beyond ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from gateway.admin.audit_keys import DEV_CHAIN_KEY, MIN_KEY_LENGTH
from passage.config import ConfigError, Settings

SERVICE = "gateway"
DEV_ACCESS_SECRET = "dev-only-access-token-secret-change-me-0123456789"
MIN_SECRET_LENGTH = 32
UPSTREAM_ENV = {
    "detention": ("DETENTION_URL", "http://127.0.0.1:8001"),
    "readmission": ("READMISSION_URL", "http://127.0.0.1:8002"),
    "voluntary-return": ("VOLUNTARY_RETURN_URL", "http://127.0.0.1:8003"),
}


@dataclass(frozen=True)
class GatewaySettings(Settings):
    """What the gateway needs beyond every process's settings.

    ``upstreams`` maps the URL segment after ``/api/v1/`` to the service's base URL.
    """

    access_token_secret: str = DEV_ACCESS_SECRET
    access_token_secret_previous: str = ""
    access_token_ttl_seconds: int = 15 * 60
    upstreams: Mapping[str, str] = field(
        default_factory=lambda: {n: url for n, (_, url) in UPSTREAM_ENV.items()}
    )
    upstream_connect_timeout: float = 2.0
    upstream_read_timeout: float = 15.0
    upstream_pool_size: int = 32
    throttle_free_failures: int = 3  # per (account, client address), before the first delay
    throttle_base_seconds: int = 2  # the first delay; doubles with each further failure
    throttle_max_seconds: int = 15 * 60
    trusted_proxies: int = (
        0  # proxy hops whose X-Forwarded-For is believed (1 behind the compose edge)
    )
    development: bool = False  # PASSAGE_DEVELOPMENT=1: plain-HTTP cookies on loopback (devstack)
    openapi_cache_seconds: float = 30.0
    refresh_token_ttl_seconds: int = 12 * 3600
    revocation_cache_seconds: float = 2.0
    login_ip_limit: int = 60  # sign-in attempts per IP per minute
    login_user_limit: int = 20  # sign-in attempts per (username, client address) per minute
    api_user_limit: int = (
        6000  # API calls per user per minute (100/s: stops runaway scripts, not people)
    )
    rate_window_seconds: int = 60
    timeline_timeout: float = 5.0
    audit_chain_key: str = (
        DEV_CHAIN_KEY  # HMAC key of the audit chain: environment only, never the database
    )
    audit_chain_previous_keys: tuple[
        str, ...
    ] = ()  # retired keys, so records sealed before a rotation verify
    audit_checkpoint_file: str = (
        ""  # signed head checkpoints, outside the database ("" = none: dev/tests)
    )
    audit_checkpoint_seconds: float = (
        60.0  # a checkpoint at most this long after a record is appended
    )


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> GatewaySettings:
    """Build the gateway's settings from ``env`` (default: os.environ)."""
    env = os.environ if env is None else env
    return gateway_settings(Settings.from_env(SERVICE, env), env, **overrides)


def gateway_settings(
    base: Settings, env: Mapping[str, str] | None = None, **overrides: Any
) -> GatewaySettings:
    """Extend shared ``base`` settings with the gateway's own, read from ``env``."""
    env = {} if env is None else env
    secret = env.get("ACCESS_TOKEN_SECRET", "")
    if base.production and (len(secret) < MIN_SECRET_LENGTH or secret == DEV_ACCESS_SECRET):
        raise ConfigError(
            f"ACCESS_TOKEN_SECRET must be set ({MIN_SECRET_LENGTH}+ characters, "
            "not the development one) in production"
        )
    previous = env.get("ACCESS_TOKEN_SECRET_PREVIOUS", "")
    if previous and len(previous) < MIN_SECRET_LENGTH:
        raise ConfigError(f"ACCESS_TOKEN_SECRET_PREVIOUS must have {MIN_SECRET_LENGTH}+ characters")
    values: dict[str, Any] = {f.name: getattr(base, f.name) for f in fields(Settings)}
    values.update(_audit_settings(base, env))
    values.update(
        access_token_secret=secret or DEV_ACCESS_SECRET,
        access_token_secret_previous=previous,
        access_token_ttl_seconds=_number(env, "ACCESS_TOKEN_TTL", 15 * 60, int),
        upstreams={
            name: env.get(var, default).rstrip("/") for name, (var, default) in UPSTREAM_ENV.items()
        },
        upstream_connect_timeout=_number(env, "UPSTREAM_CONNECT_TIMEOUT", 2.0, float),
        upstream_read_timeout=_number(env, "UPSTREAM_READ_TIMEOUT", 15.0, float),
        upstream_pool_size=_number(env, "UPSTREAM_POOL_SIZE", 32, int),
        refresh_token_ttl_seconds=_number(env, "REFRESH_TOKEN_TTL", 12 * 3600, int),
        login_ip_limit=_number(env, "LOGIN_IP_LIMIT", 60, int),
        login_user_limit=_number(env, "LOGIN_USER_LIMIT", 20, int),
        api_user_limit=_number(env, "API_USER_LIMIT", 6000, int),
        throttle_free_failures=_number(env, "LOGIN_THROTTLE_FREE_FAILURES", 3, int),
        throttle_base_seconds=_number(env, "LOGIN_THROTTLE_BASE_SECONDS", 2, int),
        throttle_max_seconds=_number(env, "LOGIN_THROTTLE_MAX_SECONDS", 15 * 60, int),
        trusted_proxies=_proxies(env),
        development=env.get("PASSAGE_DEVELOPMENT", "") == "1" and not base.production,
    )
    values.update(overrides)
    return GatewaySettings(**values)


def _audit_settings(base: Settings, env: Mapping[str, str]) -> dict[str, Any]:
    """The audit chain's key, retired keys and checkpoint file;
    production needs a real key and a file."""
    key = env.get("AUDIT_CHAIN_KEY", "")
    previous = tuple(k for k in env.get("AUDIT_CHAIN_PREVIOUS_KEYS", "").split(",") if k)
    if (key and len(key) < MIN_KEY_LENGTH) or any(len(k) < MIN_KEY_LENGTH for k in previous):
        raise ConfigError(
            f"AUDIT_CHAIN_KEY and AUDIT_CHAIN_PREVIOUS_KEYS need {MIN_KEY_LENGTH}+ characters each"
        )
    checkpoints = env.get("AUDIT_CHECKPOINT_FILE", "")
    if base.production and (not key or key == DEV_CHAIN_KEY or not checkpoints):
        raise ConfigError(
            "AUDIT_CHAIN_KEY (32+ characters, not the development one) and AUDIT_CHECKPOINT_FILE "
            "must be set in production"
        )
    return {
        "audit_chain_key": key or DEV_CHAIN_KEY,
        "audit_chain_previous_keys": previous,
        "audit_checkpoint_file": checkpoints,
        "audit_checkpoint_seconds": _number(env, "AUDIT_CHECKPOINT_SECONDS", 60.0, float),
    }


def _proxies(env: Mapping[str, str]) -> int:
    raw = env.get("PASSAGE_TRUSTED_PROXIES", "0") or "0"
    if raw not in ("0", "1", "2"):
        raise ConfigError(
            f"PASSAGE_TRUSTED_PROXIES is the number of proxies in front (0, 1 or 2), not {raw!r}"
        )
    return int(raw)


def _number(env: Mapping[str, str], name: str, default: Any, kind: type) -> Any:
    raw = env.get(name, "")
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive")
    return value
