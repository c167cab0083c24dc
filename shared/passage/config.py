"""Settings read once from the environment into a frozen dataclass; no I/O beyond os.environ."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

DEV_INTERNAL_SECRET = "dev-only-internal-secret-change-me-0123456789"


class ConfigError(ValueError):
    """A required setting is missing or malformed."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """What every Passage process needs to know about its surroundings.

    ``amqp_url`` empty means "use kombu's MongoDB transport on ``mongo_url``" (the embedded
    default); ``mongo_db`` is the service's own database (one database per service).
    """

    service: str
    mongo_url: str = "mongodb://127.0.0.1:27017/"
    mongo_db: str = ""
    amqp_url: str = ""
    bus_prefix: str = ""
    internal_token_secret: str = DEV_INTERNAL_SECRET
    internal_token_ttl_seconds: int = 60
    log_level: str = "INFO"
    max_body_bytes: int = 256 * 1024
    production: bool = False
    #: API processes publish their own commits' events at once (``passage.bus.outbox``); off, the
    #: worker's relay alone publishes them (a change stream and a grace later).
    relay_after_commit: bool = False
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(
        cls, service: str, env: Mapping[str, str] | None = None, **overrides: Any
    ) -> Settings:
        """Build settings for ``service`` from ``env`` (default: os.environ)."""
        env = os.environ if env is None else env
        production = _bool(env.get("PASSAGE_PRODUCTION", "0"))
        secret = env.get("INTERNAL_TOKEN_SECRET", "")
        if production and (len(secret) < 32 or secret == DEV_INTERNAL_SECRET):
            raise ConfigError(
                "INTERNAL_TOKEN_SECRET must be set (32+ characters, not the development one) "
                "in production"
            )
        prefix = env.get("PASSAGE_DB_PREFIX", "passage_")
        values: dict[str, Any] = dict(
            service=service,
            mongo_url=env.get("MONGO_URL", cls.mongo_url),
            mongo_db=env.get(f"{service.upper()}_MONGO_DB", f"{prefix}{service}"),
            amqp_url=env.get("AMQP_URL", ""),
            bus_prefix=env.get("PASSAGE_BUS_PREFIX", ""),
            internal_token_secret=secret or DEV_INTERNAL_SECRET,
            internal_token_ttl_seconds=int(env.get("INTERNAL_TOKEN_TTL", "60")),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", str(cls.max_body_bytes))),
            production=production,
            relay_after_commit=_bool(env.get("PASSAGE_RELAY_AFTER_COMMIT", "0")),
            extra={k: v for k, v in env.items() if k.startswith("PASSAGE_")},
        )
        values.update(overrides)
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        """A copy with some fields changed (tests use this to isolate databases)."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ConfigError(f"unknown settings: {sorted(unknown)}")
        return replace(self, **changes)

    @property
    def broker_url(self) -> str:
        """The kombu URL: RabbitMQ when AMQP_URL is set, else the MongoDB transport."""
        if self.amqp_url:
            return self.amqp_url
        # MongoDB refuses '.', '$', '/' and spaces in database names; bus prefixes end with '.'.
        database = re.sub(r'[/\\. "$*<>:|?]', "_", f"{self.bus_prefix or 'passage_'}bus")
        return mongo_transport_url(self.mongo_url, database)


def mongo_transport_url(mongo_url: str, database: str) -> str:
    """kombu's MongoDB transport keeps its queues in ``database`` on the same server."""
    base, _, query = mongo_url.partition("?")
    scheme, _, rest = base.partition("://")
    hosts = rest.split("/", 1)[0]
    url = f"mongodb://{hosts}/{database}"
    return f"{url}?{query}" if query else url
