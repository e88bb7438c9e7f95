"""`magnets serve` and `magnets keys create | list | revoke`, added to the optimizer's
command line."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

    from service.database import Database
    from service.queries import KeyView

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
# service.keys.PREFIX_LEN, written here so that building the parser imports no service
# module (tests/cli/test_startup_imports.py holds the two equal)
PREFIX_LEN = 12
TENANT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def add_commands(sub: Any) -> None:
    """Called by cli.main with its subparsers."""
    _add_serve(sub)
    _add_keys(sub)


def _add_serve(sub: Any) -> None:
    serve = sub.add_parser(
        "serve",
        help="start the REST service",
        description="Serve the REST API (see docs/service-notes.md). Configuration comes "
        "from MAGNETS_* environment variables; a bad value stops it at once.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--no-auth",
        action="store_true",
        help="no API keys, everything belongs to tenant 'local'; only with a loopback host",
    )
    serve.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    serve.set_defaults(handler=serve_command)


def _add_keys(sub: Any) -> None:
    keys = sub.add_parser("keys", help="manage API keys", description="Manage API keys.")
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create",
        help="create an API key for a tenant",
        description="Create an API key for a tenant (created if new) and print it on the last "
        "line. The key is shown only this once; only its SHA-256 hash is stored.",
    )
    create.add_argument("--tenant", required=True, metavar="NAME", help="tenant name")
    create.set_defaults(handler=create_key_command)
    listing = actions.add_parser(
        "list",
        help="list API keys (their display prefixes, never the keys)",
        description="One line per key, by tenant then age: tenant, display prefix, created_at "
        "(UTC), then 'active' or 'revoked' with the time it was revoked.",
    )
    listing.add_argument("--tenant", metavar="NAME", help="only this tenant's keys")
    listing.set_defaults(handler=list_keys_command)
    revoke = actions.add_parser(
        "revoke",
        help="revoke an API key by its display prefix",
        description="Revoke the key shown as PREFIX by `magnets keys list`; its row is kept, "
        "marked revoked. A running server remembers a valid key for up to 60 s, so it stops "
        "accepting a revoked key within that time.",
    )
    revoke.add_argument(
        "prefix", metavar="PREFIX", help=f"display prefix ({PREFIX_LEN} characters)"
    )
    revoke.add_argument(
        "--all",
        action="store_true",
        help="revoke every working key with that prefix, should more than one have it",
    )
    revoke.set_defaults(handler=revoke_key_command)


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve_command(args: argparse.Namespace) -> int:
    from service.settings import SettingsError, load_settings

    try:
        settings = load_settings(**({"auth": False} if args.no_auth else {}))
    except SettingsError as exc:
        print(f"magnets serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not settings.auth and not is_loopback(args.host):
        print(
            f"magnets serve: running without API keys is allowed only on a loopback host "
            f"(127.0.0.1, localhost, ::1), not {args.host}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    import uvicorn  # imported late: the checks above answer at once

    from service.app import create_app
    from service.logging_setup import configure_logging

    configure_logging(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        log_config=None,
    )
    return EXIT_OK


def create_key_command(args: argparse.Namespace) -> int:
    from service import store

    if not TENANT_NAME.fullmatch(args.tenant):
        print(
            "magnets keys create: a tenant name is 1 to 100 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit",
            file=sys.stderr,
        )
        return EXIT_USAGE

    def minting(db: Database) -> int:
        key = store.create_key(db, args.tenant)
        print(f"API key for tenant {args.tenant!r} (shown only this once; send it as X-API-Key):")
        print(key)
        return EXIT_OK

    return _with_database("create", minting)


def list_keys_command(args: argparse.Namespace) -> int:
    from service import queries

    def listing(db: Database) -> int:
        if args.tenant is not None and queries.tenant_by_name(db, args.tenant) is None:
            print(f"magnets keys list: no tenant named {args.tenant!r}", file=sys.stderr)
            return EXIT_USAGE
        keys = queries.list_keys(db, tenant=args.tenant)
        width = max((len(key.tenant) for key in keys), default=0)
        for key in keys:
            print(_key_line(key, width))
        return EXIT_OK

    return _with_database("list", listing)


def revoke_key_command(args: argparse.Namespace) -> int:
    return _with_database("revoke", lambda db: _revoke(db, args.prefix, args.all))


def _revoke(db: Database, prefix: str, every: bool) -> int:
    from service import queries, store
    from service.deps import KEY_TTL_S

    shown = queries.list_keys(db, prefix=prefix)
    live = [key for key in shown if key.revoked_at is None]
    if not shown:
        print(
            f"magnets keys revoke: no key has the display prefix {prefix!r} (the "
            f"{PREFIX_LEN} characters `magnets keys list` shows)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if len(live) > 1 and not every:
        print(
            f"magnets keys revoke: {len(live)} keys have the display prefix {prefix!r}; "
            "nothing revoked (give --all to revoke them all):",
            file=sys.stderr,
        )
        for key in live:
            print("  " + _key_line(key), file=sys.stderr)
        return EXIT_USAGE
    if not live:
        for key in shown:
            print(f"{_described(key)} was revoked already, at {_iso(key.revoked_at)}")
        return EXIT_OK
    store.revoke_keys(db, prefix)
    for key in live:
        print(
            f"revoked {_described(key)}; running servers stop accepting it within {KEY_TTL_S:.0f} s"
        )
    return EXIT_OK


def _described(key: KeyView) -> str:
    return f"key {key.prefix} of tenant {key.tenant!r} (created {_iso(key.created_at)})"


def _key_line(key: KeyView, tenant_width: int = 0) -> str:
    state = "active" if key.revoked_at is None else f"revoked {_iso(key.revoked_at)}"
    return f"{key.tenant:<{tenant_width}}  {key.prefix}  {_iso(key.created_at)}  {state}"


def _iso(stamp: datetime | None) -> str:
    """UTC, to the second. SQLite hands timestamps back without a zone (they were written
    in UTC); PostgreSQL hands them back in the session's zone."""
    from datetime import UTC

    if stamp is None:
        return "-"
    utc = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def _with_database(action: str, work: Callable[[Database], int]) -> int:
    """`work` on the configured database, its tables brought up to date first (`keys
    create` makes a new database)."""
    from cli.database import with_database

    return with_database(f"keys {action}", work, bring_up_to_date=True)
