"""Shared fixtures: databases at the newest schema (SQLite copied from one built by the real
migrations; PostgreSQL, when CLOSEDSET_TEST_DATABASE_URL is set, built from the models, which
`test_migrations_match_models` holds to the migrations), the Slack stand-in, and the real app served
over HTTP by the same server `closedset serve` uses."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from slack_bolt.adapter.socket_mode import SocketModeHandler
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bot import logs
from bot.app import create_app, make_client
from bot.clock import FixedClock
from bot.config import normalize_database_url
from bot.crypto import Cipher, generate_key
from bot.delivery.dispatch import Dispatcher, Result
from bot.deps import Deps, Services
from bot.server import HttpServer, wsgi_app
from bot.worker import Worker
from handlers.blocks.messages import render
from storage.db import alembic_config, make_engine, make_session_factory, upgrade
from storage.models import Base
from tests.support import privacy
from tests.support.signing import SlackSender
from tests.support.slack_standin import APP_TOKEN, BOT_TOKEN, SlackStandIn
from tests.support.socket_sender import SocketSender
from tests.support.ws_standin import SocketModeStandIn

SIGNING_SECRET = "test-signing-secret"
PG_ENV = "CLOSEDSET_TEST_DATABASE_URL"


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests talk to loopback only: any other address fails loudly."""
    real = socket.create_connection

    def guarded(address: tuple[str, int], *args: object, **kwargs: object) -> socket.socket:
        host = address[0]
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise RuntimeError(f"test tried to reach {host}")
        return real(address, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "create_connection", guarded)


def _postgres_url() -> str | None:
    value = os.environ.get(PG_ENV, "").strip()
    return normalize_database_url(value) if value else None


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database built by the real migrations, once per test process: each test
    gets a copy of the file (running a dozen migrations per test was a third of the suite)."""
    path = tmp_path_factory.mktemp("template") / "closedset.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    with eng.connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    eng.dispose()
    return path


def _from_models(eng: Engine) -> None:
    """The newest schema from the models, stamped at head: what `test_migrations_match_models`
    proves the migrations build, at half the time."""
    Base.metadata.create_all(eng)
    command.stamp(alembic_config(eng), "head")


@contextmanager
def postgres_schema(build: Callable[[Engine], None] | None) -> Iterator[Engine]:
    """An engine on a fresh PostgreSQL schema, dropped after, built by `build` (`upgrade`:
    the real migrations; `_from_models`; None: left empty). Skips without PostgreSQL."""
    base = _postgres_url()
    if base is None:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (set by .ci/run)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    eng = make_engine(f"{base}{sep}options=-csearch_path%3D{schema}")
    try:
        if build is not None:
            build(eng)
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path
) -> Iterator[Engine]:
    """An empty database at the newest schema: a copy of the migrated SQLite template, or a
    fresh PostgreSQL schema."""
    if request.param == "sqlite":
        path = tmp_path / "closedset.db"
        shutil.copyfile(_sqlite_template, path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
        return
    with postgres_schema(_from_models) as eng:
        yield eng


@pytest.fixture(params=["sqlite", "postgresql"])
def bare_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database, not migrated (a migration test takes it to the revision it starts
    from)."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield eng
        eng.dispose()
        return
    with postgres_schema(None) as eng:
        yield eng


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database built by running every migration, on this very engine."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'closedset.db'}")
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    with postgres_schema(upgrade) as eng:
        yield eng


@pytest.fixture
def cipher() -> Cipher:
    return Cipher([generate_key()])


@pytest.fixture
def session_factory(engine: Engine, cipher: Cipher) -> sessionmaker[Session]:
    return make_session_factory(engine, cipher)


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn() as server:
        yield server
    problems = privacy.check_calls(server.calls())
    assert not problems, "\n".join(problems)


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:
            self.lines.append(repr(record.__dict__))


@pytest.fixture(autouse=True)
def _no_secrets_in_logs() -> Iterator[None]:
    """Every log record of every test, tracebacks included, is searched for private text."""
    handler = _Lines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # as LOG_LEVEL=DEBUG sets it (`bot.logs.configure`)
    logs.quiet_slack_loggers()
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    problems = privacy.check_logs(handler.lines)
    assert not problems, "\n".join(problems)


@dataclass
class RunningApp:
    url: str
    slack: SlackSender
    standin: SlackStandIn
    session_factory: sessionmaker[Session]
    engine: Engine
    clock: FixedClock
    dispatcher: Dispatcher
    worker: Worker

    def dispatch(self) -> Result:
        """Send what is due by the test's clock, as the scheduler would."""
        return self.dispatcher.run_due()


NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@contextmanager
def running_app(
    engine: Engine,
    session_factory: sessionmaker[Session],
    standin: SlackStandIn,
    transport: str = "http",
    **worker: Any,
) -> Iterator[RunningApp]:
    """The real Bolt app talking to the stand-in, over HTTP (behind waitress on a free port,
    as `serve` runs it) or Socket Mode (`SocketModeHandler` connected to a WebSocket
    stand-in); `worker` sizes its job worker (`bot.worker.Worker`'s keyword arguments)."""
    clock = FixedClock(NOW)
    # Slack's limits times 100: a day of messages to the same few people in seconds
    client = make_client(token=BOT_TOKEN, base_url=standin.api_url, rate_scale=100)
    dispatcher = Dispatcher(Services(session_factory, clock), client, render=render, threads=4)
    jobs = Worker(
        Services(session_factory, clock),
        client,
        **{"threads": 6, "urgent_threads": 2, "on_wake": dispatcher.run_due, **worker},
    )
    deps = Deps(session_factory, clock, jobs)
    over_socket = transport == "socket"
    bolt = create_app(
        client=client, signing_secret=None if over_socket else SIGNING_SECRET, deps=deps
    )
    server = HttpServer(wsgi_app(bolt, engine), host="127.0.0.1", port=0, threads=4)
    thread = server.start_in_thread()
    url = f"http://127.0.0.1:{server.port}"
    with ExitStack() as stack:
        slack = SlackSender(url, SIGNING_SECRET, response_base=standin.base_url)
        if over_socket:
            ws = stack.enter_context(SocketModeStandIn())
            standin.respond(
                "apps.connections.open", lambda call: (200, {}, {"ok": True, "url": ws.url})
            )
            handler = SocketModeHandler(bolt, APP_TOKEN)
            handler.connect()  # type: ignore[no-untyped-call]
            stack.callback(_close, handler, ws)
            ws.wait_for_connection()
            slack = SocketSender(url, SIGNING_SECRET, response_base=standin.base_url, ws=ws)
        yield from _serving(
            server,
            thread,
            jobs,
            dispatcher,
            RunningApp(
                url=url,
                slack=slack,
                standin=standin,
                session_factory=session_factory,
                engine=engine,
                clock=clock,
                dispatcher=dispatcher,
                worker=jobs,
            ),
        )


def _close(handler: SocketModeHandler, ws: SocketModeStandIn) -> None:
    """Close the Socket Mode client after the server side, as Slack does on a disconnect:
    closed from this side first, the client waits out its socket's 3-second read timeout
    (it holds the receive lock while reading), which would add seconds to every test."""
    handler.client.closed = True
    handler.client.auto_reconnect_enabled = False
    handler.client.message_queue.put(None)
    ws.stop()
    handler.close()  # type: ignore[no-untyped-call]


def _serving(
    server: HttpServer,
    thread: threading.Thread,
    jobs: Worker,
    dispatcher: Dispatcher,
    running: RunningApp,
) -> Iterator[RunningApp]:
    try:
        yield running
    finally:
        server.stop()
        thread.join(timeout=10)
        jobs.shutdown()
        dispatcher.close()


@pytest.fixture(params=["http", "socket"])
def app(
    request: pytest.FixtureRequest,
    engine: Engine,
    session_factory: sessionmaker[Session],
    standin: SlackStandIn,
) -> Iterator[RunningApp]:
    """The real Bolt app talking to the stand-in, over each transport: every behaviour of
    the app is the same whichever way Slack's requests arrive."""
    with running_app(engine, session_factory, standin, request.param) as running:
        yield running


@pytest.fixture
def http_app(
    engine: Engine, session_factory: sessionmaker[Session], standin: SlackStandIn
) -> Iterator[RunningApp]:
    """The app over HTTP only, for what only HTTP has (signatures, status codes, retries'
    headers, /healthz)."""
    with running_app(engine, session_factory, standin) as running:
        yield running


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Socket Mode runs on SQLite only: the transport and the database are independent of
    each other, and every behaviour is run over HTTP on both databases."""
    kept, dropped = [], []
    for item in items:
        params = getattr(item, "callspec", None)
        ids = params.params if params is not None else {}
        if ids.get("engine") == "postgresql" and ids.get("app") == "socket":
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
