"""Account administration from the command line: ``python -m gateway.admin.users``
``create|disable|reset-password|throttles|clear-throttles|ensure-demo``.

``create`` and ``reset-password`` read the password from stdin (never from argv, which other users
can see); ``disable`` and ``reset-password`` revoke every token the account holds;
``throttles`` lists and ``clear-throttles`` clears the sign-in throttles of an account (per client
address); ``ensure-demo`` seeds the seven demo accounts and records their passwords in a 0600 file.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from pymongo.errors import PyMongoError

from gateway.auth.accounts import USER_ROLES, AccountError, MongoUsers, Users, new_user
from gateway.auth.passwords import Passwords, new_password, password_problem
from gateway.auth.sessions import RefreshTokens, Revocations
from gateway.auth.throttle import MongoLoginThrottle
from gateway.config import load_settings
from passage.mongo import Mongo


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    centres: tuple[str, ...] = ()
    organisation: str | None = None
    all_scopes: bool = False


DEMO_ACCOUNTS = (
    DemoAccount("admin", "admin"),
    DemoAccount("staff.baku", "centre_staff", centres=("baku",)),
    DemoAccount("staff.yevlakh", "centre_staff", centres=("yevlakh",)),
    DemoAccount("liaison", "liaison_officer", all_scopes=True),
    DemoAccount("caseworker", "avr_caseworker"),
    DemoAccount("partner.iom", "partner", organisation="IOM"),
    DemoAccount("auditor", "auditor"),
)


class CommandError(Exception):
    """Something the operator must fix; printed without a traceback."""


def create(users: Users, passwords: Passwords, args: argparse.Namespace, stdin: TextIO) -> str:
    password = getpass.getpass("Password: ") if stdin.isatty() else stdin.readline().rstrip("\r\n")
    problem = password_problem(password, args.username)
    if problem:
        raise CommandError(problem)
    try:
        user = new_user(
            args.username,
            args.role,
            passwords.hash(password),
            centres=args.centre,
            member_states=args.member_state,
            organisation=args.organisation,
            all_scopes=args.all_member_states,
        )
    except AccountError as exc:
        raise CommandError(str(exc)) from None
    if not users.add(user):
        raise CommandError(f"The username {args.username!r} is taken.")
    return f"created {user.username} ({user.role})"


def disable(users: Users, args: argparse.Namespace, revoke: Callable[[str], None]) -> str:
    if not users.disable(args.username):
        raise CommandError(f"There is no user {args.username!r}.")
    revoke(args.username)
    return f"disabled {args.username} and revoked its tokens"


def reset_password(
    users: Users,
    passwords: Passwords,
    args: argparse.Namespace,
    stdin: TextIO,
    revoke: Callable[[str], None],
) -> str:
    password = (
        getpass.getpass("New password: ") if stdin.isatty() else stdin.readline().rstrip("\r\n")
    )
    problem = password_problem(password, args.username)
    if problem:
        raise CommandError(problem)
    if not users.set_password_hash(args.username, passwords.hash(password)):
        raise CommandError(f"There is no user {args.username!r}.")
    revoke(args.username)
    return f"new password set for {args.username}; its tokens are revoked"


def show_throttles(throttle: MongoLoginThrottle, args: argparse.Namespace) -> str:
    found = throttle.list(datetime.now(UTC), args.username)
    lines = [
        f"{t.account:<40} {t.client:<40} failures={t.failures} "
        f"last={t.last_failure:%Y-%m-%dT%H:%M:%S}Z "
        f"wait_until={f'{t.wait_until:%Y-%m-%dT%H:%M:%S}Z' if t.wait_until else '-'}"
        for t in found
    ]
    return "\n".join(lines) or "no sign-in throttles"


def clear_throttles(throttle: MongoLoginThrottle, args: argparse.Namespace) -> str:
    cleared = throttle.clear_account(args.username, args.client)
    return f"cleared {cleared} sign-in throttle(s) of {args.username}"


def ensure_demo(users: Users, passwords: Passwords, logins_file: Path) -> str:
    """Create missing demo accounts; keep the recorded password of each existing one."""
    logins = read_logins(logins_file)
    created, reset = [], []
    for account in DEMO_ACCOUNTS:
        existing = users.get(account.username)
        recorded = logins.get(account.username)
        if existing is not None and recorded and passwords.check(existing.password_hash, recorded):
            continue
        password = new_password()
        if existing is None:
            user = new_user(
                account.username,
                account.role,
                passwords.hash(password),
                centres=account.centres,
                organisation=account.organisation,
                all_scopes=account.all_scopes,
            )
            if not users.add(user):
                raise CommandError(
                    f"{account.username} was created by someone else meanwhile; run again."
                )
            created.append(account.username)
        else:  # the file lost its password: give the demo account a new one we can record
            users.set_password_hash(account.username, passwords.hash(password))
            reset.append(account.username)
        logins[account.username] = password
    write_logins(logins_file, logins)
    return (
        f"demo accounts: created {created or 'none'}, new password for {reset or 'none'}; "
        f"logins in {logins_file}"
    )


def read_logins(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise CommandError(f"{path} is not a JSON object of username: password") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise CommandError(f"{path} is not a JSON object of username: password")
    return data


def write_logins(path: Path, logins: Mapping[str, str]) -> None:
    """Replace ``path`` atomically with a file only its owner can read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".logins-", dir=path.parent)  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(dict(logins), out, indent=2)
            out.write("\n")
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m gateway.admin.users", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    make = commands.add_parser("create", help="create an account; the password is read from stdin")
    make.add_argument("--username", required=True)
    make.add_argument("--role", required=True, choices=USER_ROLES)
    make.add_argument(
        "--centre", action="append", default=[], help="centre id (centre_staff; repeatable)"
    )
    make.add_argument(
        "--member-state", action="append", default=[], help="e.g. DE (liaison_officer; repeatable)"
    )
    make.add_argument(
        "--all-member-states", action="store_true", help="liaison_officer for every member state"
    )
    make.add_argument("--organisation", help="partner organisation, e.g. IOM")
    off = commands.add_parser("disable", help="refuse an account's sign-ins from now on")
    off.add_argument("--username", required=True)
    reset = commands.add_parser(
        "reset-password", help="set a new password (read from stdin); revokes tokens"
    )
    reset.add_argument("--username", required=True)
    shown = commands.add_parser(
        "throttles", help="list sign-in throttles (accounts slowed down per client address)"
    )
    shown.add_argument("--username", help="only this account (or invalid:<hash>)")
    clear = commands.add_parser("clear-throttles", help="forget an account's failed sign-ins")
    clear.add_argument("--username", required=True)
    clear.add_argument("--client", help="only those from this IP address")
    demo = commands.add_parser("ensure-demo", help="create the demo accounts (never in production)")
    demo.add_argument("--logins-file", required=True, type=Path)
    return top


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
    passwords: Passwords | None = None,
) -> int:
    args = parser().parse_args(argv)
    settings = load_settings(env)
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    users, passwords = MongoUsers(mongo), passwords or Passwords()

    def revoke(username: str) -> None:
        RefreshTokens(mongo, settings.refresh_token_ttl_seconds).revoke_user(username)
        Revocations(mongo, settings.access_token_ttl_seconds).revoke_user(
            username, datetime.now(UTC)
        )

    try:
        if args.command == "create":
            message = create(users, passwords, args, stdin or sys.stdin)
        elif args.command == "disable":
            message = disable(users, args, revoke)
        elif args.command == "reset-password":
            message = reset_password(users, passwords, args, stdin or sys.stdin, revoke)
        elif args.command in ("throttles", "clear-throttles"):
            throttle = MongoLoginThrottle(mongo)
            message = (show_throttles if args.command == "throttles" else clear_throttles)(
                throttle, args
            )
        elif settings.production:
            raise CommandError("Demo accounts are never created when PASSAGE_PRODUCTION is set.")
        else:
            message = ensure_demo(users, passwords, args.logins_file)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except PyMongoError as exc:
        print(
            f"error: the gateway's database is not reachable ({type(exc).__name__})",
            file=sys.stderr,
        )
        return 2
    finally:
        mongo.close()
    print(message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
