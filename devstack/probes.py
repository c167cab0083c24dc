"""What the launcher asks the servers: is a port taken, is an API ready, does MongoDB answer.

Also the one preparation the launcher does on the bus before any process connects.
"""

from __future__ import annotations

import requests


def port_taken(port: int) -> bool:
    from passage.testing import port_open

    return port_open(port)


def ready(session: requests.Session, url: str) -> bool:
    try:
        return session.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def mongo_answers(url: str) -> bool:
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    client: MongoClient = MongoClient(url, serverSelectionTimeoutMS=500, connectTimeoutMS=500)
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def free_port_base(offsets: tuple[int, ...] = (0, 1, 2, 3, 18)) -> int:
    """A base port whose stack ports (gateway, three APIs, SecantusDB) are all free on loopback and
    stay so: a stack restarted on the same base must find them free again.

    Tests and benchmarks run stacks beside a developer's own on 8000.
    """
    from passage.testing import free_ports

    return free_ports(offsets)
