"""The development stack's secrets: random once, then kept in ``var/secrets.json`` (0600).

The token secrets, the audit chain's HMAC key (outside the database by design) and the embedded
database's passwords. Never committed (``var/`` is ignored) and never printed. Kept across restarts
so access tokens stay valid and the audit trail keeps verifying; values set in the environment win
over the file.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

NAMES = ("INTERNAL_TOKEN_SECRET", "ACCESS_TOKEN_SECRET", "AUDIT_CHAIN_KEY")


def load_or_create(
    path: Path, env: Mapping[str, str], names: tuple[str, ...] = NAMES
) -> dict[str, str]:
    """The secrets ``names`` for this stack: from ``env`` when set there, else from (a new)
    ``path``."""
    stored = _read(path)
    missing = [name for name in names if not stored.get(name)]
    if missing:
        stored.update({name: secrets.token_urlsafe(48) for name in missing})
        write_private(path, stored)
    return {name: env.get(name) or stored[name] for name in names}


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return (
        {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}
        if isinstance(data, dict)
        else {}
    )


def write_private(path: Path, data: dict[str, str]) -> None:
    """Write ``data`` to ``path`` readable by the owner only, from the first byte on."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
