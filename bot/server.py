"""HTTP serving: Slack's requests on `POST /slack/events`, readiness on `GET /healthz`, and,
serving several workspaces, the "Add to Slack" page on `GET /slack/install` and Slack's
redirect back on `GET /slack/oauth_redirect` (both Bolt's OAuth flow).

Served by waitress (a production WSGI server: one process, a thread pool, no fork of the app),
chosen by measurement (`bench/RESULTS.md`, `../shared/BOLT-BASELINE.md`): a synchronous Bolt
app acknowledges as fast under it as under gunicorn's threads, without a second copy of the app
per worker (and so of anything the app runs in the background). Bolt's own development server
is not for production.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine
from waitress.server import create_server

from storage.db import ping

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


MAX_BODY = 1024 * 1024
"""Slack's requests are a few KB (a click on a long message, tens of KB); a bigger body is
refused with 413 by waitress, from its Content-Length, before it is read."""


def wsgi_app(app: App, engine: Engine, *, ready: Callable[[], bool] = lambda: True) -> WSGIApp:
    """Slack's endpoint, handed to Bolt as is, and the health check; `ready` adds a check of
    other parts (the job worker) to the database's."""
    slack = SlackRequestHandler(app)
    flow = app.oauth_flow
    oauth_paths = () if flow is None else (flow.install_path, flow.redirect_uri_path)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "")
        if (path == "/slack/events" and method == "POST") or (
            path in oauth_paths and method == "GET"
        ):
            result: Iterable[bytes] = slack(environ, start_response)
            return result
        if path == "/healthz" and method in ("GET", "HEAD"):
            database, parts = ping(engine), ready()
            status = "200 OK" if database and parts else "503 Service Unavailable"
            body = (
                b"ok\n"
                if database and parts
                else b"database unavailable\n"
                if not database
                else b"job worker unavailable\n"
            )
            start_response(
                status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
            )
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "10")])
        return [b"not found\n"]

    return application


class HttpServer:
    """waitress on host:port (port 0 picks a free one), stoppable from any thread."""

    def __init__(self, application: WSGIApp, *, host: str, port: int, threads: int = 8) -> None:
        self._server = create_server(
            application,
            host=host,
            port=port,
            threads=threads,
            ident="closedset",
            channel_timeout=30,
            max_request_body_size=MAX_BODY,
            clear_untrusted_proxy_headers=True,
        )
        self.port: int = self._server.effective_port  # type: ignore[union-attr]

    def serve_forever(self) -> None:
        """Run until `stop()`; the loop ends once every socket is closed."""
        self._server.run()

    def stop(self) -> None:
        """Let running requests finish (up to 5 s), then close every socket. The sockets are
        closed by the server's own loop thread, so its map is not changed under its feet."""
        server: Any = self._server
        server.task_dispatcher.shutdown(timeout=5)

        def close_all() -> None:
            for channel in list(server._map.values()):
                channel.close()

        try:
            server.trigger.pull_trigger(close_all)
        except OSError:
            # The loop's wake-up pipe is gone, so the loop is no longer running: close here.
            close_all()

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="http", daemon=True)
        thread.start()
        return thread


def stop_on_signals(stop: Callable[[], None]) -> None:
    """Call `stop` on SIGTERM or SIGINT (once), so `serve` ends cleanly under a supervisor."""
    fired = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        if not fired.is_set():
            fired.set()
            stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
