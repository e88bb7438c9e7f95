"""Schema migrations (Alembic). `upgrade(conn)` brings a database to the newest revision:
a new one, one made by an earlier release (versioned or from before Alembic), alike.

The revisions are in `versions/`, each frozen as written: a revision never imports
`service.tables`, whose definitions move on with the code. `env.py` runs them on the
connection handed over in the Alembic config, inside the caller's transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection

HERE = Path(__file__).resolve().parent


def config(conn: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = conn
    return cfg


def head() -> str:
    """The newest revision of this release."""
    from alembic.script import ScriptDirectory

    found = ScriptDirectory.from_config(config()).get_current_head()
    assert found is not None
    return found


def current(conn: Connection) -> str | None:
    """The database's revision; None when it has none (new, or made before Alembic)."""
    from alembic.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def upgrade(conn: Connection) -> tuple[str | None, str]:
    """Run every revision the database lacks, in the caller's transaction; (from, to)."""
    from alembic import command

    before = current(conn)
    command.upgrade(config(conn), "head")
    after = current(conn)
    assert after is not None
    return before, after
