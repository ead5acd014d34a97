"""Alembic environment: the engine (and the cipher, in `config.attributes`) come from the
caller (`storage.db.upgrade`) or, for `alembic` run by hand, from DATABASE_URL (and the
configured key)."""

from __future__ import annotations

from contextlib import suppress

from alembic import context
from sqlalchemy import Engine

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
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
