"""Gateway settings from the environment, and the proxy's path check (no sockets)."""

from __future__ import annotations

import pytest

from gateway.config import DEV_ACCESS_SECRET, load_settings
from gateway.edge.proxy import checked_path
from passage.config import ConfigError
from passage.problems import BadRequest

STRONG = "s" * 40


def test_defaults_for_development():
    settings = load_settings({})
    assert settings.service == "gateway" and settings.mongo_db == "passage_gateway"
    assert (
        settings.access_token_secret == DEV_ACCESS_SECRET
        and settings.access_token_ttl_seconds == 900
    )
    assert settings.upstreams == {
        "detention": "http://127.0.0.1:8001",
        "readmission": "http://127.0.0.1:8002",
        "voluntary-return": "http://127.0.0.1:8003",
    }
    assert (settings.upstream_connect_timeout, settings.upstream_read_timeout) == (2.0, 15.0)


def test_environment_overrides():
    settings = load_settings(
        {
            "ACCESS_TOKEN_SECRET": STRONG,
            "ACCESS_TOKEN_SECRET_PREVIOUS": "p" * 32,
            "DETENTION_URL": "http://detention:8000/",
            "UPSTREAM_READ_TIMEOUT": "2.5",
            "ACCESS_TOKEN_TTL": "300",
        }
    )
    assert (
        settings.access_token_secret == STRONG and settings.access_token_secret_previous == "p" * 32
    )
    assert settings.upstreams["detention"] == "http://detention:8000"
    assert settings.upstream_read_timeout == 2.5 and settings.access_token_ttl_seconds == 300


def test_production_needs_real_secrets():
    env = {"PASSAGE_PRODUCTION": "1", "INTERNAL_TOKEN_SECRET": "i" * 40}
    with pytest.raises(ConfigError, match="ACCESS_TOKEN_SECRET"):
        load_settings(env)
    for weak in ("short", DEV_ACCESS_SECRET):
        with pytest.raises(ConfigError):
            load_settings({**env, "ACCESS_TOKEN_SECRET": weak})
    with pytest.raises(
        ConfigError, match="AUDIT_CHAIN_KEY"
    ):  # the audit chain's key is a secret too
        load_settings({**env, "ACCESS_TOKEN_SECRET": STRONG})
    audit = {
        "AUDIT_CHAIN_KEY": "k" * 40,
        "AUDIT_CHECKPOINT_FILE": "/var/lib/passage/audit-checkpoints.jsonl",
    }
    for missing in audit:
        with pytest.raises(ConfigError, match=missing):
            load_settings({**env, **audit, "ACCESS_TOKEN_SECRET": STRONG, missing: ""})
    settings = load_settings({**env, **audit, "ACCESS_TOKEN_SECRET": STRONG})
    assert settings.production and settings.audit_chain_key == "k" * 40


def test_audit_keys_are_checked_and_retired_keys_listed():
    with pytest.raises(ConfigError, match="AUDIT_CHAIN_KEY"):
        load_settings({"AUDIT_CHAIN_KEY": "short"})
    settings = load_settings(
        {"AUDIT_CHAIN_KEY": "n" * 40, "AUDIT_CHAIN_PREVIOUS_KEYS": f"{'a' * 32},{'b' * 32}"}
    )
    assert settings.audit_chain_previous_keys == ("a" * 32, "b" * 32)


@pytest.mark.parametrize(
    "env",
    [
        {"UPSTREAM_READ_TIMEOUT": "soon"},
        {"UPSTREAM_CONNECT_TIMEOUT": "0"},
        {"ACCESS_TOKEN_SECRET_PREVIOUS": "short"},
    ],
)
def test_malformed_values_are_refused(env):
    with pytest.raises(ConfigError):
        load_settings(env)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/detention/../readmission/x",
        "/api/v1/detention//x",
        "/api/v1/detention/./x",
        "/api/v1/detention/..",
        "/api/v1/detention/a\x01",
    ],
)
def test_paths_with_dot_or_empty_segments_are_refused(path):
    with pytest.raises(BadRequest):
        checked_path(path)


def test_paths_are_re_encoded():
    assert checked_path("/api/v1/detention/centres/") == "/api/v1/detention/centres/"
    assert checked_path("/api/v1/detention/a b%") == "/api/v1/detention/a%20b%25"


def test_cookies_secure_unless_development_is_asked_for_and_proxies_not_trusted_by_default():
    """Issue 12: the session cookie's Secure flag depended on PASSAGE_PRODUCTION alone."""
    default = load_settings({})
    assert default.development is False and default.trusted_proxies == 0
    assert load_settings({"PASSAGE_DEVELOPMENT": "1"}).development is True
    production = {
        "PASSAGE_PRODUCTION": "1",
        "INTERNAL_TOKEN_SECRET": "i" * 40,
        "ACCESS_TOKEN_SECRET": STRONG,
        "AUDIT_CHAIN_KEY": "k" * 40,
        "AUDIT_CHECKPOINT_FILE": "/var/lib/passage/audit-checkpoints.jsonl",
    }
    assert load_settings({**production, "PASSAGE_DEVELOPMENT": "1"}).development is False
    assert load_settings({"PASSAGE_TRUSTED_PROXIES": "1"}).trusted_proxies == 1
    for bad in ("yes", "-1", "9"):
        with pytest.raises(ConfigError, match="PASSAGE_TRUSTED_PROXIES"):
            load_settings({"PASSAGE_TRUSTED_PROXIES": bad})


def test_throttle_settings_from_the_environment():
    settings = load_settings(
        {"LOGIN_THROTTLE_FREE_FAILURES": "5", "LOGIN_THROTTLE_MAX_SECONDS": "60"}
    )
    assert (
        settings.throttle_free_failures,
        settings.throttle_base_seconds,
        settings.throttle_max_seconds,
    ) == (5, 2, 60)
