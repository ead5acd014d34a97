"""Engines, sessions and migrations."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.crypto import Cipher
from bot.problems import CliError

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        in_memory = not url.startswith("sqlite:///") or url.endswith(":memory:")
        if not in_memory:
            path = Path(url.removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True)
            _owner_only(path)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            # WAL lets readers go on while one writer writes; the busy timeout makes a second
            # writer wait instead of failing with "database is locked".
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Deleted content is overwritten with zeros, not left in free pages: a purge
            # (`storage.purge`) leaves nothing behind in the file.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _owner_only(database: Path) -> None:
    """Create the database file owner-only (0600) before SQLite does, and tighten an existing
    one and its "-wal"/"-shm" companions: they hold who answered and when. SQLite gives the
    companions it creates the database file's mode (unix VFS `findCreateFileMode`)."""
    with suppress(FileExistsError):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for path in (database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))):
        if path.exists() and path.stat().st_mode & 0o077:
            path.chmod(0o600)


def open_database(settings: Settings, cipher: Cipher | None = None) -> Engine:
    """An engine on an up-to-date schema: the embedded SQLite default migrates itself (with
    `cipher`, for migrations that seal stored values); PostgreSQL, shared by several
    instances, is migrated once by `closedset db upgrade`."""
    engine = make_engine(settings.database_url)
    try:
        if settings.is_sqlite:
            upgrade(engine, cipher=cipher)
        elif pending_migrations(engine):
            raise CliError("the database schema is out of date: run `closedset db upgrade` first.")
    except OperationalError as error:
        engine.dispose()
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        raise CliError(f"cannot open the database ({reason}); check DATABASE_URL.") from None
    return engine


def make_session_factory(engine: Engine, cipher: Cipher) -> sessionmaker[Session]:
    """Sessions carry the cipher in `session.info` so repositories can seal and open secrets."""
    return sessionmaker(engine, expire_on_commit=False, info={"cipher": cipher})


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work: committed on success, rolled back on error."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(engine: Engine, cipher: Cipher | None = None) -> Config:
    """`cipher` reaches migrations that convert stored values (`config.attributes`)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    config.attributes["cipher"] = cipher
    return config


def upgrade(engine: Engine, revision: str = "head", *, cipher: Cipher | None = None) -> None:
    command.upgrade(alembic_config(engine, cipher), revision)


def pending_migrations(engine: Engine) -> bool:
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return set(current) != set(script.get_heads())


def ping(engine: Engine) -> bool:
    """True when the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def lock_row(session: Session, column: Any, key: Any) -> None:
    """Take the row's write lock for the rest of the transaction, before the reads it guards.

    A no-op UPDATE of `column` (not a key, so no foreign-key checks run): on SQLite it takes
    the database's write lock (pysqlite begins the transaction at the first write, so earlier
    plain reads hold no snapshot), and later reads see what a concurrent writer committed; on
    PostgreSQL it locks the row, and later statements see what committed before them.
    Read-then-write logic after it cannot interleave with a twin.
    """
    table = column.class_
    primary = next(iter(table.__table__.primary_key.columns))
    session.execute(update(table).where(primary == key).values({column.key: column}))


def insert_once(session: Session, model: Any, **values: Any) -> bool:
    """INSERT unless a row with the same unique key exists (ON CONFLICT DO NOTHING, on both
    engines): True if this call added it. Safe against a concurrent twin, without savepoints
    (which on SQLite open a read snapshot that a concurrent writer can make unwritable)."""
    table = model.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement: Any = pg_insert(table).values(**values).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(table).values(**values).on_conflict_do_nothing()
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT.
    key = next(iter(table.primary_key.columns))
    return session.execute(statement.returning(key)).first() is not None
