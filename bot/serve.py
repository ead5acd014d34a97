"""`closedset serve`: wire the parts together and run until SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import sys
import threading

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.app import create_app, make_client
from bot.clock import SystemClock
from bot.config import ConfigError, Settings
from bot.crypto import load_cipher
from bot.deps import Deps
from bot.frontdoor import FrontDoor
from bot.heap import freeze_startup_heap
from bot.server import HttpServer, stop_on_signals, wsgi_app
from bot.worker import ProcessWorker, WorkerFailed
from handlers import commands
from storage.db import make_session_factory, open_database

log = logging.getLogger(__name__)


def serve(settings: Settings) -> int:
    cipher = load_cipher(settings)
    engine = open_database(settings)
    client = make_client(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    worker = ProcessWorker(settings)
    deps = Deps(make_session_factory(engine, cipher), SystemClock(), worker)
    try:
        app = create_app(
            client=client,
            signing_secret=None if settings.socket_mode else settings.slack_signing_secret,
            deps=deps,
        )
    except (BoltError, SlackApiError) as error:
        raise ConfigError(
            f"Slack did not accept SLACK_BOT_TOKEN ({_reason(error)}); check the token in .env."
        ) from None
    try:
        try:
            worker.start()
        except WorkerFailed:
            raise ConfigError(
                "the job worker process could not start (its error is above); check "
                "DATABASE_URL and CLOSEDSET_ENCRYPTION_KEY."
            ) from None
        freeze_startup_heap()
        if settings.socket_mode:
            _socket_mode(app, settings)
        else:
            _http(app, engine, settings, worker)
    finally:
        worker.shutdown()  # jobs already accepted are finished, not dropped
        engine.dispose()
    log.info("stopped")
    return 0


def _reason(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error", "error"))
    return type(error).__name__


def _http(app: App, engine: Engine, settings: Settings, worker: ProcessWorker) -> None:
    assert settings.slack_signing_secret is not None  # config requires it without Socket Mode
    front_door = FrontDoor(settings.slack_signing_secret, worker, takes_text=commands.is_known)
    server = HttpServer(
        wsgi_app(app, engine, ready=worker.ready, front_door=front_door),
        host="0.0.0.0",
        port=settings.port,
    )
    stop_on_signals(server.stop)
    log.info("serving HTTP on port %s: POST /slack/events, GET /healthz", server.port)
    server.serve_forever()


def _socket_mode(app: App, settings: Settings) -> None:
    handler = SocketModeHandler(app, settings.slack_app_token)
    stopped = threading.Event()
    stop_on_signals(stopped.set)
    handler.connect()  # type: ignore[no-untyped-call]
    log.info("connected to Slack in Socket Mode")
    stopped.wait()
    handler.close()  # type: ignore[no-untyped-call]
    print("closedset: disconnected", file=sys.stderr)
