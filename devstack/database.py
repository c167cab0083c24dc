"""The embedded SecantusDB closed to strangers: access control on, one user per process kind.

Each service's user may read and write its own database (and, on the embedded bus, the bus's
database) and nothing else; the gateway's user only the gateway's database; one administrator
(``root``) is for the launcher, the tests and operators. Passwords are generated into
``var/secrets.json`` (0600). SecantusDB, like mongod, has no "localhost exception": users are
created on a short unauthenticated start bound to 127.0.0.1 (only when one is missing), after which
the server always runs with ``--auth``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

ADMIN = "passage_admin"
SERVICES = (
    "detention",
    "readmission",
    "voluntary_return",
    "gateway",
)  # the settings' service names


@dataclass(frozen=True)
class DatabaseUser:
    """One account on the embedded server and the databases it may use."""

    name: str
    password: str
    databases: tuple[str, ...] = ()
    root: bool = False

    def url(self, port: int) -> str:
        """Without retryable writes (``retryWrites=false``), on this embedded server only.

        SecantusDB (0.7.0b3) keeps a reply record per retryable write for 30 minutes, up to 10,000,
        and on every such write scans all of them, sorting them all once the cap is reached
        (``secantus/transactions.py``, ``_prune_retryable_locked``): under sustained writes its CPU
        per request tripled (admit/release mix, third run of 800: 22 -> 77 ms) where without them
        it stayed near 25-30 ms. On one node over loopback a retry has no failover to ride out,
        and every write here is conditional, idempotent, unique-keyed or in a transaction, whose
        commit the driver retries once even so (MongoDB manual, "Retryable Writes"). Production's
        MONGO_URL keeps the driver's default.
        """
        user, password = quote(self.name, safe=""), quote(self.password, safe="")
        return f"mongodb://{user}:{password}@127.0.0.1:{port}/?authSource=admin&retryWrites=false"

    def roles(self) -> list[dict[str, str]]:
        if self.root:
            return [{"role": "root", "db": "admin"}]
        return [{"role": "readWrite", "db": name} for name in self.databases]


def password_names() -> tuple[str, ...]:
    """The secrets.json entries holding the passwords."""
    return tuple(f"MONGO_PASSWORD_{name.upper()}" for name in (ADMIN, *SERVICES))


def new_password() -> str:
    return secrets.token_urlsafe(32)


def accounts(env: Mapping[str, str], passwords: Mapping[str, str]) -> dict[str, DatabaseUser]:
    """``{service: user}`` plus the administrator under :data:`ADMIN`, for the databases ``env``
    names."""
    from passage.config import Settings

    found = {ADMIN: DatabaseUser(ADMIN, passwords[f"MONGO_PASSWORD_{ADMIN.upper()}"], root=True)}
    for service in SERVICES:
        settings = Settings.from_env(service, env)
        databases = [settings.mongo_db]
        if service != "gateway" and not settings.amqp_url:
            databases.append(urlsplit(settings.broker_url).path.lstrip("/"))
        found[service] = DatabaseUser(
            service, passwords[f"MONGO_PASSWORD_{service.upper()}"], tuple(databases)
        )
    return found


def start_closed(
    run: Callable[[bool], None],
    stop: Callable[[], None],
    users: Mapping[str, DatabaseUser],
    port: int,
    provisioned: Path,
) -> bool:
    """Run the server with ``--auth`` (``run(True)``), creating the users first when one cannot sign
    in.

    ``provisioned`` (0600) records that users were made for this data directory, so that an
    ordinary start needs no unauthenticated moment. False when the new users are still refused.
    """
    from devstack.keys import write_private

    if provisioned.exists():
        run(True)
        if all(signs_in(u.url(port)) for u in users.values()):
            return True
        stop()
    run(False)  # loopback only, for the moment it takes to create the users
    provision(f"mongodb://127.0.0.1:{port}/", users)
    stop()
    write_private(provisioned, {"users": " ".join(sorted(users))})
    run(True)
    return all(signs_in(u.url(port)) for u in users.values())


def provision(open_url: str, users: Mapping[str, DatabaseUser]) -> None:
    """Create (or reset) every user through a server that does not yet ask for credentials."""
    from pymongo import MongoClient

    client: MongoClient = MongoClient(open_url, serverSelectionTimeoutMS=5000)
    with client:
        admin = client.admin
        existing = {u["user"] for u in admin.command("usersInfo")["users"]}
        for user in users.values():
            command = "updateUser" if user.name in existing else "createUser"
            admin.command(command, user.name, pwd=user.password, roles=user.roles())


def signs_in(url: str) -> bool:
    """True when ``url``'s credentials are accepted (the server answers and knows the user)."""
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    try:
        client: MongoClient = MongoClient(url, serverSelectionTimeoutMS=2000, connectTimeoutMS=2000)
        with client:
            client.admin.command("ping")
            client.admin.command("connectionStatus")
        return True
    except PyMongoError:
        return False
