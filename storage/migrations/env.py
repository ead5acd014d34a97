"""Alembic environment: the engine (and the cipher, in `config.attributes`) come from the
caller (`storage.db.upgrade`) or, for `alembic` run by hand, from DATABASE_URL (and the
configured key)."""

from __future__ import annotations

from contextlib import suppress

from alembic import context
from sqlalchemy import Connection, Engine

from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if engine is None:
        from bot.config import ConfigError, environment, load_settings
        from bot.crypto import load_cipher
        from storage.db import make_engine

        settings = load_settings(environment(), need_slack=False)
        engine = make_engine(settings.database_url)
        if config.attributes.get("cipher") is None:  # for migrations that seal stored values
            with suppress(ConfigError):
                config.attributes["cipher"] = load_cipher(settings, create=False)
    assert isinstance(engine, Engine)
    return engine


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _foreign_keys(connection, on=False)
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            _foreign_keys(connection, on=True)
            if broken:
                raise RuntimeError(f"the migrated database breaks {len(broken)} foreign key(s)")


def _foreign_keys(connection: Connection, *, on: bool) -> None:
    """SQLite: batch mode rebuilds a table by copying it and dropping the old one, and with
    foreign keys on the drop deletes (ON DELETE CASCADE) every row that hangs off it. They
    are off while migrating (set outside a transaction: SQLite ignores it inside one), and
    checked after."""
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    connection.commit()
    if connection.exec_driver_sql("PRAGMA foreign_keys").scalar() != int(on):
        raise RuntimeError("cannot switch SQLite's foreign keys for the migration")
    connection.commit()


run_migrations_online()
