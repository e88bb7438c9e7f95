"""`magnets serve` and `magnets keys create`, added to the optimizer's command line."""

from __future__ import annotations

import argparse
import ipaddress
import re
import sys
from typing import Any

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
TENANT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def add_commands(sub: Any) -> None:
    """Called by optimizer.cli with its subparsers."""
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


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve_command(args: argparse.Namespace) -> int:
    from .settings import SettingsError, load_settings

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

    from .app import create_app
    from .logging_setup import configure_logging

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
    from sqlalchemy.exc import SQLAlchemyError

    from . import store
    from .database import Database
    from .settings import SettingsError, load_settings

    if not TENANT_NAME.fullmatch(args.tenant):
        print(
            "magnets keys create: a tenant name is 1 to 100 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        db = Database(load_settings().database_url)
        db.create_tables()
        key = store.create_key(db, args.tenant)
    except SettingsError as exc:
        print(f"magnets keys create: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SQLAlchemyError as exc:
        reason = str(exc).splitlines()[0]
        print(f"magnets keys create: database error: {reason}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"API key for tenant {args.tenant!r} (shown only this once; send it as X-API-Key):")
    print(key)
    return EXIT_OK
