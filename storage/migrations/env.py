"""Alembic environment: the engine comes from the caller (`storage.db.upgrade`) or, for
`alembic` run by hand, from DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if engine is None:
        from bot.config import environment, load_settings
        from storage.db import make_engine

        engine = make_engine(load_settings(environment(), need_slack=False).database_url)
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
