"""``python -m gateway.admin.audit verify|checkpoint``: check the keyed chain against its
checkpoints, or add one.

Runs with the gateway's environment (``MONGO_URL``, ``AUDIT_CHAIN_KEY``,
``AUDIT_CHAIN_PREVIOUS_KEYS``, ``AUDIT_CHECKPOINT_FILE``). ``verify`` exits 0 when intact, 1 naming
the first problem, 2 when the database cannot be reached.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence

from pymongo.errors import PyMongoError

from gateway.admin.audit import first_break
from gateway.admin.audit_checkpoints import CheckpointFile, checkpoint_problem
from gateway.bootstrap import audit_keyring, build_checkpointer, build_trail
from gateway.config import GatewaySettings, load_settings
from passage.mongo import Mongo


def main(argv: Sequence[str] | None = None, *, env: Mapping[str, str] | None = None) -> int:
    top = argparse.ArgumentParser(prog="python -m gateway.admin.audit", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser("verify", help="check the whole chain and the checkpoints")
    commands.add_parser("checkpoint", help="write a signed checkpoint of the head now")
    args = top.parse_args(argv)
    settings = load_settings(env)
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    try:
        return verify(mongo, settings) if args.command == "verify" else checkpoint(mongo, settings)
    except PyMongoError as exc:
        print(
            f"error: the gateway's database is not reachable ({type(exc).__name__})",
            file=sys.stderr,
        )
        return 2
    finally:
        mongo.close()


def verify(mongo: Mongo, settings: GatewaySettings) -> int:
    """Every record's keyed hash and link, then every checkpoint against the stored chain."""
    keyring = audit_keyring(settings)
    records = list(build_trail(mongo, settings).in_order())
    problem = first_break(records, keyring)
    checked = ""
    if problem is None and settings.audit_checkpoint_file:
        file = CheckpointFile(settings.audit_checkpoint_file)
        problem = checkpoint_problem(file.read(), keyring, records)
        checked = f", consistent with {sum(1 for _ in file.read())} checkpoints"
    if problem:
        print(f"audit trail BROKEN: {problem}", file=sys.stderr)
        return 1
    if not settings.audit_checkpoint_file:
        print(
            "warning: no AUDIT_CHECKPOINT_FILE: removal of the newest records cannot be detected",
            file=sys.stderr,
        )
    print(f"audit trail intact: {len(records)} records{checked}")
    return 0


def checkpoint(mongo: Mongo, settings: GatewaySettings) -> int:
    checkpointer = build_checkpointer(build_trail(mongo, settings), settings, stored=True)
    if checkpointer is None:
        print("error: AUDIT_CHECKPOINT_FILE is not set", file=sys.stderr)
        return 2
    written = checkpointer.write_now()
    for cp in written:
        print(
            f"checkpoint written: segment {cp.segment or '(legacy)'}, {cp.count} records, "
            f"head {cp.head[:16]}…, at {cp.at}"
        )
    print(f"{len(written)} segment checkpoints, {sum(cp.count for cp in written)} records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
