"""`closedset serve` and `closedset deliver`: wire the parts together and run until
SIGTERM/SIGINT.

`serve` is one process that answers Slack (HTTP or Socket Mode; every request through Bolt,
slow work on the bounded job worker) and, unless `--no-deliver`, runs the delivery dispatcher
too. `deliver` runs the dispatcher alone. The database rows are the delivery schedule, so any
number of `serve --no-deliver` and `deliver` processes can share a PostgreSQL database; a web
process that plans something for now tells them with a PostgreSQL notification
(`storage.wakeups`), and their sweep finds anything else.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.app import OAuth, create_app, make_client
from bot.clock import SystemClock
from bot.config import ConfigError, Settings
from bot.crypto import load_cipher
from bot.delivery.dispatch import Dispatcher
from bot.delivery.scheduler import DeliveryScheduler
from bot.deps import Deps, Services
from bot.installations import Workspaces
from bot.ratelimit import Pacer
from bot.server import HttpServer, stop_on_signals, wsgi_app
from bot.worker import Worker
from handlers.blocks.messages import render
from storage.db import make_session_factory, open_database
from storage.wakeups import DueListener, can_notify, notify_due

log = logging.getLogger(__name__)


def serve(settings: Settings, *, deliver: bool = True) -> int:
    cipher = load_cipher(settings)
    engine = open_database(settings, cipher)
    client = _client(settings)  # one per process: its pacer holds the workspace's rate limits
    services = Services(make_session_factory(engine, cipher), SystemClock())
    workspaces = _workspaces(services, settings, client)
    scheduler = _scheduler(services, settings, client, workspaces) if deliver else None
    if scheduler is not None:
        on_wake: Callable[[], object] | None = scheduler.wake
    elif can_notify(engine):
        on_wake = partial(notify_due, engine)  # the `deliver` processes look at once
    else:
        on_wake = None  # they find it at their next sweep
    worker = Worker(
        services,
        client,
        on_wake=on_wake,
        clients=workspaces.client if workspaces is not None else None,
    )
    deps = Deps(services.session_factory, services.clock, worker)
    try:
        app = create_app(
            client=client,
            signing_secret=None if settings.socket_mode else settings.slack_signing_secret,
            deps=deps,
            oauth=None
            if workspaces is None
            else OAuth(workspaces, settings.slack_scopes, settings.slack_redirect_uri),
        )
    except (BoltError, SlackApiError) as error:
        worker.shutdown()
        if settings.oauth:  # no Slack call at start: the settings do not fit together
            raise ConfigError(
                f"SLACK_CLIENT_ID: Bolt did not accept the OAuth settings ({_reason(error)})."
            ) from None
        raise ConfigError(
            f"Slack did not accept SLACK_BOT_TOKEN ({_reason(error)}); check the token in .env."
        ) from None
    settle_memory()
    if scheduler is not None:
        scheduler.start()
    try:
        if settings.socket_mode:
            _socket_mode(app, settings)
        else:
            _http(app, engine, settings, worker)
    finally:
        worker.shutdown()  # jobs already accepted are finished, not dropped
        if scheduler is not None:
            scheduler.shutdown()
        engine.dispose()
    log.info("stopped")
    return 0


def deliver(settings: Settings) -> int:
    """The delivery dispatcher alone, for deployments that run `serve --no-deliver`."""
    cipher = load_cipher(settings)
    engine = open_database(settings, cipher)
    services = Services(make_session_factory(engine, cipher), SystemClock())
    client = _client(settings)
    scheduler = _scheduler(services, settings, client, _workspaces(services, settings, client))
    listener = DueListener(engine, scheduler.wake) if can_notify(engine) else None
    stopped = threading.Event()
    stop_on_signals(stopped.set)
    settle_memory()
    scheduler.start()
    if listener is not None:
        listener.start()
    log.info("delivering planned messages (sweep every %s s)", settings.delivery_sweep_seconds)
    try:
        stopped.wait()
    finally:
        if listener is not None:
            listener.stop()
        scheduler.shutdown()
        engine.dispose()
    log.info("stopped")
    return 0


def settle_memory() -> None:
    """Put what start-up built (modules, the app, the ORM's mappers, Slack's models) out of the
    garbage collector's way (`gc.freeze`): otherwise each collection of the oldest generation
    walks all of it, and with ~140,000 such objects one walk held the interpreter for 80–110 ms
    on this project's machines, stalling every request in flight (measured in
    bench/RESULTS.md). What is made after start-up is collected as before."""
    gc.collect()
    gc.freeze()


def _client(settings: Settings) -> WebClient:
    return make_client(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        rate_scale=settings.slack_rate_scale,
    )


def _workspaces(services: Services, settings: Settings, client: WebClient) -> Workspaces | None:
    """Serving several workspaces: their installations and clients (`client`, without a
    token, makes the OAuth calls)."""
    if not settings.oauth:
        return None
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None

    def make(token: str, pacer: Pacer) -> WebClient:
        return make_client(token=token, base_url=settings.slack_api_url, pacer=pacer)

    return Workspaces(
        services.session_factory,
        services.clock,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        oauth=client,
        make=make,
        rate_scale=settings.slack_rate_scale,
        refresh_before=timedelta(minutes=settings.token_refresh_minutes),
    )


def _scheduler(
    services: Services, settings: Settings, client: WebClient, workspaces: Workspaces | None
) -> DeliveryScheduler:
    """The delivery engine, on the process's client (it posts through a copy without retries,
    sharing the pacer), or on each workspace's (`workspaces`)."""
    return DeliveryScheduler(
        Dispatcher(services, client, render=render, workspaces=workspaces),
        sweep_seconds=settings.delivery_sweep_seconds,
    )


def _reason(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error", "error"))
    return type(error).__name__


def _http(app: App, engine: Engine, settings: Settings, worker: Worker) -> None:
    server = HttpServer(
        wsgi_app(app, engine, ready=worker.ready), host=settings.host, port=settings.port
    )
    stop_on_signals(server.stop)
    log.info(
        "serving HTTP on port %s: POST /slack/events, GET /healthz%s",
        server.port,
        ", GET /slack/install, GET /slack/oauth_redirect" if settings.oauth else "",
    )
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
