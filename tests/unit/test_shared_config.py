"""Settings come from the environment once, are frozen, and refuse unsafe production setups."""

from __future__ import annotations

import dataclasses

import pytest

from passage.config import DEV_INTERNAL_SECRET, ConfigError, Settings, mongo_transport_url

STRONG_SECRET = "x" * 40


def test_defaults_from_an_empty_environment() -> None:
    settings = Settings.from_env("detention", env={})
    assert settings.service == "detention"
    assert settings.mongo_url == "mongodb://127.0.0.1:27017/"
    assert settings.mongo_db == "passage_detention"
    assert settings.amqp_url == ""
    assert settings.bus_prefix == ""
    assert settings.internal_token_secret == DEV_INTERNAL_SECRET
    assert settings.internal_token_ttl_seconds == 60
    assert settings.log_level == "INFO"
    assert settings.max_body_bytes == 256 * 1024
    assert settings.production is False
    assert settings.extra == {}


def test_values_are_read_from_the_environment() -> None:
    env = {
        "MONGO_URL": "mongodb://db.example:27017/?replicaSet=rs0",
        "AMQP_URL": "amqp://u:p@mq.example:5672//",
        "PASSAGE_BUS_PREFIX": "staging.",
        "PASSAGE_DB_PREFIX": "stg_",
        "INTERNAL_TOKEN_SECRET": STRONG_SECRET,
        "INTERNAL_TOKEN_TTL": "30",
        "LOG_LEVEL": "debug",
        "MAX_BODY_BYTES": "1024",
        "UNRELATED": "ignored",
    }
    settings = Settings.from_env("readmission", env=env)
    assert settings.mongo_url == env["MONGO_URL"]
    assert settings.mongo_db == "stg_readmission"
    assert settings.amqp_url == env["AMQP_URL"]
    assert settings.bus_prefix == "staging."
    assert settings.internal_token_secret == STRONG_SECRET
    assert settings.internal_token_ttl_seconds == 30
    assert settings.log_level == "DEBUG"
    assert settings.max_body_bytes == 1024
    assert settings.extra == {"PASSAGE_BUS_PREFIX": "staging.", "PASSAGE_DB_PREFIX": "stg_"}


def test_a_service_database_can_be_named_explicitly() -> None:
    settings = Settings.from_env("voluntary_return", env={"VOLUNTARY_RETURN_MONGO_DB": "avrr"})
    assert settings.mongo_db == "avrr"


def test_keyword_overrides_win_over_the_environment() -> None:
    settings = Settings.from_env(
        "detention", env={"MONGO_URL": "mongodb://a/"}, mongo_url="mongodb://b/"
    )
    assert settings.mongo_url == "mongodb://b/"


@pytest.mark.parametrize("secret", ["", "short", "y" * 31])
def test_production_requires_a_strong_secret(secret: str) -> None:
    env = {"PASSAGE_PRODUCTION": "true", "INTERNAL_TOKEN_SECRET": secret}
    with pytest.raises(ConfigError, match="INTERNAL_TOKEN_SECRET"):
        Settings.from_env("detention", env=env)


def test_production_refuses_the_published_development_secret() -> None:
    env = {"PASSAGE_PRODUCTION": "1", "INTERNAL_TOKEN_SECRET": DEV_INTERNAL_SECRET}
    with pytest.raises(ConfigError):
        Settings.from_env("detention", env=env)


def test_production_with_a_strong_secret_starts() -> None:
    settings = Settings.from_env(
        "detention", env={"PASSAGE_PRODUCTION": "yes", "INTERNAL_TOKEN_SECRET": STRONG_SECRET}
    )
    assert settings.production is True
    assert settings.internal_token_secret == STRONG_SECRET


def test_broker_url_is_rabbitmq_when_amqp_url_is_set() -> None:
    settings = Settings.from_env(
        "detention", env={"AMQP_URL": "amqp://guest:guest@127.0.0.1:5672//"}
    )
    assert settings.broker_url == "amqp://guest:guest@127.0.0.1:5672//"


def test_broker_url_is_the_mongodb_transport_on_the_same_server_otherwise() -> None:
    settings = Settings.from_env("detention", env={"MONGO_URL": "mongodb://127.0.0.1:27018/"})
    assert settings.broker_url == "mongodb://127.0.0.1:27018/passage_bus"


def test_broker_url_keeps_credentials_and_options_of_the_mongo_url() -> None:
    url = "mongodb://user:pw@h1:27017,h2:27017/admin?replicaSet=rs0&authSource=admin"
    settings = Settings.from_env("detention", env={"MONGO_URL": url})
    assert (
        settings.broker_url
        == "mongodb://user:pw@h1:27017,h2:27017/passage_bus?replicaSet=rs0&authSource=admin"
    )


def test_broker_url_database_name_is_valid_for_mongodb_with_a_dotted_prefix() -> None:
    """MongoDB refuses database names containing '.', and test prefixes end with one."""
    settings = Settings.from_env(
        "detention", env={"MONGO_URL": "mongodb://h:1/", "PASSAGE_BUS_PREFIX": "test-ab12."}
    )
    database = settings.broker_url.rsplit("/", 1)[1]
    assert database.startswith("test-ab12")
    assert not set(database) & set('/\\. "$*<>:|?')


def test_bus_database_differs_per_prefix() -> None:
    first = Settings.from_env("detention", env={"PASSAGE_BUS_PREFIX": "a."}).broker_url
    second = Settings.from_env("detention", env={"PASSAGE_BUS_PREFIX": "b."}).broker_url
    assert first != second


def test_mongo_transport_url_without_a_path() -> None:
    assert mongo_transport_url("mongodb://h:27017", "bus") == "mongodb://h:27017/bus"


def test_with_changes_fields_and_keeps_the_original() -> None:
    settings = Settings.from_env("detention", env={})
    changed = settings.with_(mongo_db="t_1_detention", bus_prefix="test-1.")
    assert changed.mongo_db == "t_1_detention" and changed.bus_prefix == "test-1."
    assert settings.mongo_db == "passage_detention"
    assert changed.service == "detention"


def test_with_refuses_unknown_settings() -> None:
    with pytest.raises(ConfigError, match="mongo_database"):
        Settings.from_env("detention", env={}).with_(mongo_database="x")


def test_settings_are_frozen() -> None:
    settings = Settings.from_env("detention", env={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.mongo_db = "other"  # type: ignore[misc]
