"""A local stand-in for the Slack Web API, for tests.

``SlackStandIn`` is a small threaded HTTP server bound to ``127.0.0.1`` on a port
chosen by the OS.  Point a ``slack_sdk.WebClient`` at it with
``WebClient(token="xoxb-test", base_url=standin.api_url)`` and every Web API call
the app makes is answered with a Slack-shaped response and recorded, so tests can
assert on what the app said to Slack::

    with SlackStandIn() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.api_url)
        client.chat_postMessage(channel="C1", text="hi")
        (call,) = slack.wait_for("chat.postMessage")
        assert call.params["text"] == "hi"

What it does, in the order a request is handled:

1. ``/api/<method>`` requests (POST with a form, JSON or multipart body, or GET with
   a query string) are decoded into a :class:`Call`.
2. The token is checked (``Authorization: Bearer`` header or ``token`` field):
   missing -> ``not_authed``, not in ``valid_tokens`` -> ``invalid_auth``
   (HTTP 200, as Slack does).
3. Only if rate limits are enforced (:meth:`SlackStandIn.enforce_rate_limits`, off by
   default): a call over its method's limit gets HTTP 429, ``Retry-After: <seconds>``
   and ``{"ok": false, "error": "ratelimited"}``, as Slack answers (see :class:`RateLimits`).
4. A scripted failure queued with :meth:`SlackStandIn.fail_next` is served.
5. A response override registered with :meth:`SlackStandIn.respond` is served.
6. Otherwise the built-in behaviour for the method answers; methods without one
   answer ``{"ok": true}`` and are listed in ``unknown_methods``.

Every request is recorded (with the status and body it got) *before* the response
is written, so once the client call returns the call is visible to the test.

Besides ``/api/`` the server also serves:

* ``GET /files/<id>/<name>`` -- downloads of files registered with
  :meth:`SlackStandIn.add_file` (only with a valid bot token, like Slack's
  ``url_private``); recorded in :meth:`SlackStandIn.downloads`.
* ``POST /commands/...`` and ``POST /actions/...`` -- ``response_url`` targets
  (see :meth:`SlackStandIn.response_url`); recorded as calls of the pseudo method
  :data:`RESPONSE_URL_METHOD`.

Nothing here talks to the network beyond the loopback interface.

The parts, by concern: what is recorded and the workspace's identity
(:mod:`tests.support.standin_calls`), rate limits (:mod:`tests.support.standin_limits`), files,
downloads and redirects (:mod:`tests.support.standin_files`), the user directory
(:mod:`tests.support.standin_directory`), the Web API methods
(:mod:`tests.support.standin_methods`) and installs in several workspaces with their own tokens
(:mod:`tests.support.standin_oauth`); this module holds the server and re-exports the names
tests import.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from tests.support.standin_calls import (
    API_APP_ID,
    APP_TOKEN,
    BOT_ID,
    BOT_NAME,
    BOT_TOKEN,
    BOT_USER_ID,
    DOWNLOAD_METHOD,
    REDIRECT_METHOD,
    RESPONSE_URL_METHOD,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    UNMATCHED_METHOD,
    Call,
    CallLog,
    Recording,
    Responder,
    decode_body,
    digest,
    dm_channel_id,
    flatten_form,
    with_result,
)
from tests.support.standin_directory import Directory
from tests.support.standin_files import Files, FileStore
from tests.support.standin_limits import (
    METHOD_LIMITS,
    POST_MESSAGE_PER_CHANNEL,
    POST_MESSAGE_PER_WORKSPACE,
    TIER_1,
    TIER_2,
    TIER_3,
    TIER_4,
    Limit,
    LimitState,
    RateLimiting,
    RateLimits,
)
from tests.support.standin_methods import Methods, Script
from tests.support.standin_oauth import OAuthApps

__all__ = [
    "API_APP_ID",
    "APP_TOKEN",
    "BOT_ID",
    "BOT_NAME",
    "BOT_TOKEN",
    "BOT_USER_ID",
    "DOWNLOAD_METHOD",
    "METHOD_LIMITS",
    "POST_MESSAGE_PER_CHANNEL",
    "POST_MESSAGE_PER_WORKSPACE",
    "REDIRECT_METHOD",
    "RESPONSE_URL_METHOD",
    "TEAM_DOMAIN",
    "TEAM_ID",
    "TEAM_NAME",
    "TIER_1",
    "TIER_2",
    "TIER_3",
    "TIER_4",
    "UNMATCHED_METHOD",
    "Call",
    "Limit",
    "RateLimits",
    "Responder",
    "SlackStandIn",
]


class _Handler(BaseHTTPRequestHandler):
    """Request handler; all logic lives on the owning :class:`SlackStandIn`."""

    server: _Server
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request log lines ``BaseHTTPRequestHandler`` prints."""

    def do_GET(self) -> None:
        self.server.standin._handle(self, "GET")

    def do_POST(self) -> None:
        self.server.standin._handle(self, "POST")

    def send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def trickle(self, status: int, headers: Mapping[str, str], body: bytes, seconds: float) -> None:
        """Like `send`, the body spread over `seconds` in small pieces (a slow download)."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        pieces = max(1, min(len(body), 20))
        step = -(-len(body) // pieces)
        try:
            for start in range(0, len(body), step):
                self.wfile.write(body[start : start + step])
                self.wfile.flush()
                time.sleep(seconds / pieces)
        except OSError:
            pass  # the client gave up: that is what a slow download test wants to see


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: a burst of concurrent posts (the dispatcher's
    # 16 senders) overflows it, and each dropped connection is retried by the kernel a second
    # later -- a stall that real Slack does not have.
    request_queue_size = 128
    standin: SlackStandIn


class SlackStandIn(Recording, RateLimiting, Files, Directory, OAuthApps, Methods):
    """A fake Slack Web API server on ``127.0.0.1:<free port>``.

    Args:
        valid_tokens: Tokens accepted as authenticated.  Defaults to the bot token
            ``xoxb-test`` and the app-level token ``xapp-test``.
        include_bot_user: Put the app's own bot user (``UBOT0000001``, ``is_bot``)
            into the user directory, as real ``users.list`` results contain bots.
        unauthorized_download: What ``GET /files/...`` without a valid bot token
            gets: ``"forbidden"`` (403 with an HTML body) or ``"login_redirect"``
            (302 to ``/signin``, which answers 200 with an HTML sign-in page --
            what an HTTP client that follows redirects ends up with on real Slack).
        rate_limits: Enforce these limits from the start (see :meth:`enforce_rate_limits`);
            ``None`` (the default): no call is ever refused for its rate.

    Use as a context manager, or call :meth:`start` / :meth:`stop`.
    """

    def __init__(
        self,
        valid_tokens: Iterable[str] = (BOT_TOKEN, APP_TOKEN),
        *,
        include_bot_user: bool = True,
        unauthorized_download: Literal["forbidden", "login_redirect"] = "forbidden",
        rate_limits: RateLimits | None = None,
    ) -> None:
        self.valid_tokens: set[str] = set(valid_tokens)
        self.unauthorized_download = unauthorized_download
        self._lock = threading.Condition()
        self._log = CallLog()
        self._limiting = LimitState(limits=rate_limits)
        self._file_store = FileStore()
        self._users: dict[str, dict[str, Any]] = {}
        self._script = Script()
        self._clock: Callable[[], float] = time.monotonic
        self._ts_counter = itertools.count(1)
        self._id_counter = itertools.count(1)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        if include_bot_user:
            self.add_user(BOT_USER_ID, BOT_NAME, real_name="Closed Set", is_bot=True)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SlackStandIn:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.standin = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"SlackStandIn:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port.  Safe to call twice."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the OS gave us (only while started)."""
        if self._server is None:
            raise RuntimeError("SlackStandIn is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """``http://127.0.0.1:PORT/api/`` -- pass as ``WebClient(base_url=...)``."""
        return f"{self.base_url}/api/"

    # ------------------------------------------------------------------ urls

    @staticmethod
    def dm_channel_id(user_id: str) -> str:
        """The stable DM channel id ``conversations.open`` gives for ``user_id``."""
        return dm_channel_id(user_id)

    def response_url(self, kind: Literal["commands", "actions"] = "commands") -> str:
        """A fresh ``response_url`` on this server; posts to it are recorded as
        calls of :data:`RESPONSE_URL_METHOD` with the JSON body as ``params``."""
        n = next(self._id_counter)
        return f"{self.base_url}/{kind}/{TEAM_ID}/{n}/{digest(str(n))}"

    # ------------------------------------------------------------------ serving

    def _handle(self, req: _Handler, verb: str) -> None:
        split = urlsplit(req.path)
        path = unquote(split.path)
        headers = {k.lower(): v for k, v in req.headers.items()}
        length = int(headers.get("content-length") or 0)
        body = req.rfile.read(length) if length else b""
        now = time.time()
        if path.startswith("/api/"):
            params = flatten_form(parse_qs(split.query, keep_blank_values=True))
            params.update(decode_body(body, headers.get("content-type", "")))
            call = Call(path[5:], params, headers, now, path=path)
            try:
                status, extra, resp = self._api(call)
            except Exception as exc:  # a broken responder must not hang the client
                self._record_error(exc)
                status, extra = 500, {}
                resp = {"ok": False, "error": f"standin_error: {type(exc).__name__}: {exc}"}
            self._record(with_result(call, status, resp))
            data = json.dumps(resp).encode()
            req.send(status, {"Content-Type": "application/json; charset=utf-8", **extra}, data)
        elif verb == "GET" and path.startswith("/files/"):
            self._download(req, path, headers, now)
        elif verb == "GET" and path == "/signin":
            self._signin(req)
        elif verb == "GET" and self._is_redirect(path):
            self._redirect(req, path, headers, now)
        elif verb == "POST" and path.startswith(("/commands/", "/actions/")):
            params = decode_body(body, headers.get("content-type", ""))
            resp = {"ok": True}
            self._record(Call(RESPONSE_URL_METHOD, params, headers, now, 200, resp, path))
            req.send(200, {"Content-Type": "application/json; charset=utf-8"}, b'{"ok":true}')
        else:  # recorded too: a test can prove nothing reached this server
            self._record(Call(UNMATCHED_METHOD, {"verb": verb}, headers, now, 404, None, path))
            req.send(404, {"Content-Type": "text/plain"}, b"not found")
