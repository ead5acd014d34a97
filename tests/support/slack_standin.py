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
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import itertools
import json
import math
import mimetypes
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "API_APP_ID",
    "BOT_ID",
    "BOT_TOKEN",
    "BOT_USER_ID",
    "RESPONSE_URL_METHOD",
    "TEAM_DOMAIN",
    "TEAM_ID",
    "Call",
    "Limit",
    "RateLimits",
    "Responder",
    "SlackStandIn",
]

#: The team (workspace) the stand-in pretends to be.
TEAM_ID = "T0TEST0001"
TEAM_DOMAIN = "closedset-test"
TEAM_NAME = "Closed Set Test"
#: The app's bot user, bot id and app id as ``auth.test`` reports them.
BOT_USER_ID = "UBOT0000001"
BOT_ID = "B0TEST0001"
BOT_NAME = "closedset"
API_APP_ID = "A0TEST0001"
#: The bot token accepted by default.
BOT_TOKEN = "xoxb-test"
#: The app-level token accepted by default (Socket Mode's ``apps.connections.open``).
APP_TOKEN = "xapp-test"
#: Pseudo method name under which posts to a ``response_url`` are recorded.
RESPONSE_URL_METHOD = "response_url"
#: Pseudo method name under which ``GET /files/...`` downloads are recorded.
DOWNLOAD_METHOD = "files.download"
REDIRECT_METHOD = "redirect"
UNMATCHED_METHOD = "unmatched"

#: A response override: takes the recorded call, returns (status, headers, body).
Responder = Callable[["Call"], tuple[int, Mapping[str, str], Mapping[str, Any]]]

_TS_BASE_MICROS = 1_700_000_000_000_000
_TZ_LABELS = {
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "UTC": "Coordinated Universal Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
}
_LOGIN_PAGE = (
    b"<!DOCTYPE html><html><head><title>Slack</title></head>"
    b"<body><h1>Sign in to Closed Set Test</h1>"
    b'<form action="/signin" method="post"></form></body></html>'
)


@dataclass(frozen=True)
class Call:
    """One request the stand-in received.

    Attributes:
        method: The Web API method (``"chat.postMessage"``), or one of the pseudo
            methods :data:`RESPONSE_URL_METHOD` / :data:`DOWNLOAD_METHOD`.
        params: Decoded parameters.  Form and query fields are ``str`` (a repeated
            field becomes a ``list[str]``); JSON-encoded form fields such as
            ``blocks`` or ``view`` are left as strings -- use :meth:`json`.  A JSON
            body is the decoded dict.  Multipart file parts are ``bytes``.
        headers: Request headers with **lower-cased** names.
        time: ``time.time()`` when the request arrived.
        status: HTTP status the stand-in answered with.
        response: The JSON body it answered with (``None`` for non-JSON answers).
        path: The request path (``/api/chat.postMessage``).
    """

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    time: float
    status: int = 200
    response: dict[str, Any] | None = None
    path: str = ""

    def json(self, name: str) -> Any:
        """Return parameter ``name`` parsed as JSON.

        Form-encoded requests carry ``blocks``/``view``/``attachments`` as JSON
        strings, JSON requests carry them already decoded; this hides the
        difference.  Raises ``KeyError`` if the parameter is absent.
        """
        value = self.params[name]
        if isinstance(value, str | bytes):
            return json.loads(value)
        return value

    def header(self, name: str, default: str | None = None) -> str | None:
        """Case-insensitive header lookup."""
        return self.headers.get(name.lower(), default)

    @property
    def token(self) -> str | None:
        """The token the request was made with (header first, then ``token`` field)."""
        return _token_of(self.headers, self.params)

    @property
    def ok(self) -> bool:
        """Whether the stand-in answered ``"ok": true``."""
        return bool(self.response and self.response.get("ok"))


@dataclass(frozen=True)
class Limit:
    """A token bucket: ``per_minute`` calls a minute on average, at most ``burst`` at once.

    A bucket starts full (``burst`` calls may go at once), refills at ``per_minute / 60``
    calls a second up to ``burst``, and each accepted call takes one; a call that finds it
    empty is refused with ``Retry-After`` = the seconds until one is back, rounded up (Slack
    sends whole seconds).
    """

    per_minute: float
    burst: int = 1

    def __post_init__(self) -> None:
        if self.per_minute <= 0 or self.burst < 1:
            raise ValueError("a Limit needs per_minute > 0 and burst >= 1")


# Slack's published limits. Sources:
# [R] https://docs.slack.dev/apis/web-api/rate-limits -- limits apply "per API method per
#     workspace/team per app"; Tier 1 "1+ per minute", Tier 2 "20+ per minute", Tier 3 "50+ per
#     minute", Tier 4 "100+ per minute"; "Posting messages: 1 per second. Short bursts >1
#     allowed"; over a limit Slack answers HTTP 429 with a Retry-After header (seconds).
# [P] https://docs.slack.dev/reference/methods/chat.postMessage, "Rate limiting": "It will
#     generally allow an app to post 1 message per second to a specific channel. There are
#     limits governing your app's relationship with the entire workspace above that, limiting
#     posting to several hundred messages per minute. Generous burst behavior is also granted."
# [M] each method's tier as listed on its page docs.slack.dev/reference/methods/<method>
#     ("Rate limits" fact), also collected in slackapi/java-slack-sdk,
#     slack-api-client/src/main/java/com/slack/api/methods/MethodsRateLimits.java.
# The per-minute figures are the tier minimums (the "+" is never quantified), so they are the
# conservative reading. Slack describes bursts only in words ("a small amount", "occasional",
# "sporadic", "generous"): every `burst` below is our choice, not a published number.
TIER_1 = Limit(1, burst=1)  # [R] "1+ per minute ... a small amount of burst behavior"
TIER_2 = Limit(20, burst=3)  # [R] "20+ per minute ... occasional bursts"
TIER_3 = Limit(50, burst=5)  # [R] "50+ per minute ... sporadic bursts are welcome"
TIER_4 = Limit(100, burst=10)  # [R] "100+ per minute ... generous burst behavior"

#: chat.postMessage to one channel (a DM is a channel): [P] "1 message per second to a specific
#: channel", [R] "short bursts >1 allowed" -- 2 is the smallest burst that is "> 1".
POST_MESSAGE_PER_CHANNEL = Limit(60, burst=2)
#: chat.postMessage over the whole workspace: [P] "several hundred messages per minute" with
#: "generous burst behavior" -- no number is published; 300 a minute (5 a second) is the least
#: that "several hundred" can mean, and a burst of 10 (two seconds' worth) is our choice.
POST_MESSAGE_PER_WORKSPACE = Limit(300, burst=10)

#: Per-method limits of the methods this stand-in answers ([M] for the tiers).
METHOD_LIMITS: Mapping[str, Limit] = {
    # [M] auth.test: special tier, "hundreds of requests per minute"; 200 is the least
    # "hundreds" can mean (java-slack-sdk assumes 600).
    "auth.test": Limit(200, burst=20),
    "chat.postEphemeral": TIER_4,  # [M]
    "chat.update": TIER_3,  # [M]
    "chat.delete": TIER_3,  # [M]
    "views.open": TIER_4,  # [M]
    "views.update": TIER_4,  # [M]
    "views.push": TIER_4,  # [M]
    "views.publish": TIER_4,  # [M]
    "conversations.open": TIER_3,  # [M]
    "users.info": TIER_4,  # [M]
    "users.lookupByEmail": TIER_3,  # [M]
    "users.list": TIER_2,  # [M]
    "files.info": TIER_4,  # [M]
    "apps.connections.open": TIER_1,  # [M]
}


@dataclass(frozen=True)
class RateLimits:
    """What :meth:`SlackStandIn.enforce_rate_limits` enforces; defaults are Slack's published
    limits (see the sources above ``TIER_1``). Override any with :func:`dataclasses.replace`,
    e.g. ``RateLimits(post_message_per_workspace=Limit(600, burst=20))``.

    Attributes:
        post_message_per_channel: ``chat.postMessage`` per channel (a user ID counts as
            that user's DM channel).
        post_message_per_workspace: ``chat.postMessage`` over all channels; a post must
            find room in both buckets, and only an accepted post takes from them.
        methods: Other methods, one bucket per method for the whole workspace.
        unlisted: The limit of a method not in ``methods`` (``None``: no limit).
    """

    post_message_per_channel: Limit = POST_MESSAGE_PER_CHANNEL
    post_message_per_workspace: Limit = POST_MESSAGE_PER_WORKSPACE
    methods: Mapping[str, Limit] = field(default_factory=lambda: dict(METHOD_LIMITS))
    unlisted: Limit | None = None

    def lower_bound(self, posts_per_channel: Iterable[int]) -> float:
        """The least time (s) in which these limits let ``chat.postMessage`` deliver posts
        that are all ready at once, ``posts_per_channel`` of them to each channel, starting
        from full buckets: the first ``burst`` go at once, then one per ``60 / per_minute`` s,
        in each bucket; the slowest bucket decides."""
        counts = [n for n in posts_per_channel if n > 0]

        def drain(n: int, limit: Limit) -> float:
            return max(0, n - limit.burst) * 60 / limit.per_minute

        channel = max((drain(n, self.post_message_per_channel) for n in counts), default=0.0)
        return max(channel, drain(sum(counts), self.post_message_per_workspace))


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class _Failure:
    error: str
    status: int
    retry_after: int | None
    remaining: int


@dataclass
class _File:
    obj: dict[str, Any]
    content: bytes
    trickle_seconds: float = 0.0


@dataclass
class _State:
    calls: list[Call] = field(default_factory=list)
    downloads: list[Call] = field(default_factory=list)
    unknown_methods: list[str] = field(default_factory=list)
    failures: dict[str, deque[_Failure]] = field(default_factory=dict)
    responders: dict[str, Responder] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, _File] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    opened_dms: set[str] = field(default_factory=set)
    errors: list[BaseException] = field(default_factory=list)
    rate_limits: RateLimits | None = None
    buckets: dict[tuple[str, str], _Bucket] = field(default_factory=dict)


def _token_of(headers: Mapping[str, str], params: Mapping[str, Any]) -> str | None:
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return auth[7:].strip()
    token = params.get("token")
    return token if isinstance(token, str) and token else None


def _tz_fields(tz: str) -> tuple[str, int]:
    """Slack's ``tz_label``/``tz_offset`` for an IANA zone, as of now."""
    try:
        now = datetime.now(ZoneInfo(tz))
    except (ZoneInfoNotFoundError, ValueError):
        return tz, 0
    offset = now.utcoffset()
    abbrev = now.tzname() or tz
    return _TZ_LABELS.get(abbrev, abbrev), int(offset.total_seconds()) if offset else 0


def _flatten_form(pairs: Mapping[str, list[str]]) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else list(v) for k, v in pairs.items()}


def _parse_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    out: dict[str, Any] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is None:
            out[name] = data.decode("utf-8", "replace")
        else:
            out[name] = data
    return out


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


class SlackStandIn:
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
        self._state = _State(rate_limits=rate_limits)
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

    # ------------------------------------------------------------------ recording

    def calls(self, method: str | None = None) -> list[Call]:
        """All recorded calls (of ``method`` if given), oldest first."""
        with self._lock:
            return [c for c in self._state.calls if method is None or c.method == method]

    def last(self, method: str) -> Call:
        """The most recent call of ``method``; AssertionError if there is none."""
        found = self.calls(method)
        if not found:
            raise AssertionError(f"no {method} call; methods seen: {self.methods()}")
        return found[-1]

    def methods(self) -> list[str]:
        """Method names of all recorded calls, in arrival order."""
        with self._lock:
            return [c.method for c in self._state.calls]

    @property
    def unknown_methods(self) -> list[str]:
        """Methods called that have no built-in behaviour (answered ``{"ok": true}``)."""
        with self._lock:
            return list(self._state.unknown_methods)

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions raised while answering (e.g. by a :meth:`respond` override);
        the client got HTTP 500 ``standin_error`` for each."""
        with self._lock:
            return list(self._state.errors)

    def downloads(self) -> list[Call]:
        """Recorded ``GET /files/...`` requests (``params``: file, name, authorized)."""
        with self._lock:
            return list(self._state.downloads)

    def clear(self) -> None:
        """Forget recorded calls, downloads and unknown methods (not users/files/scripts)."""
        with self._lock:
            self._state.calls.clear()
            self._state.downloads.clear()
            self._state.unknown_methods.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until at least ``count`` calls of ``method`` were recorded.

        Returns all calls of that method so far.  Useful when the app calls Slack
        from a background thread (e.g. Bolt's lazy listeners).  Raises
        ``AssertionError`` listing the methods seen if the timeout passes first.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self._state.calls if c.method == method]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [c.method for c in self._state.calls]
                    raise AssertionError(
                        f"expected {count} {method} call(s) within {timeout}s, "
                        f"got {len(found)}; methods seen: {seen}"
                    )
                self._lock.wait(remaining)

    # ------------------------------------------------------------------ scripting

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        status: int | None = None,
        retry_after: int | None = 1,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail the way Slack does.

        * ``status=429`` (the default when ``error == "ratelimited"``): HTTP 429
          with a ``Retry-After: <retry_after>`` header and
          ``{"ok": false, "error": "ratelimited"}``.
        * ``status=200`` (the default for any other ``error``): a logical error,
          ``{"ok": false, "error": error}`` -- e.g. ``channel_not_found``.
        * ``status=500``/``503``: a server error with the same JSON body
          (``error`` defaults to ``internal_error`` / ``service_unavailable``
          when left as ``"ratelimited"``).

        Failures are served after the auth check, before overrides; several
        ``fail_next`` calls for one method queue up in order.
        """
        if status is None:
            status = 429 if error == "ratelimited" else 200
        if status >= 500 and error == "ratelimited":
            error = "service_unavailable" if status == 503 else "internal_error"
        failure = _Failure(error, status, retry_after if status == 429 else None, times)
        with self._lock:
            self._state.failures.setdefault(method, deque()).append(failure)

    def respond(self, method: str, fn: Responder | None) -> None:
        """Override ``method``'s response with ``fn(call) -> (status, headers, body)``.

        Pass ``None`` to remove the override.  The call is still recorded, with
        whatever the override returned.
        """
        with self._lock:
            if fn is None:
                self._state.responders.pop(method, None)
            else:
                self._state.responders[method] = fn

    def enforce_rate_limits(
        self,
        limits: RateLimits | None = RateLimits(),
        *,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Refuse calls over Slack's rate limits, as Slack does: HTTP 429 with
        ``Retry-After: <whole seconds>`` and ``{"ok": false, "error": "ratelimited"}``.

        ``limits`` defaults to Slack's published limits (:class:`RateLimits`); ``None``
        stops enforcing. Buckets start full each time this is called. ``clock`` (seconds,
        monotonic; default ``time.monotonic``) lets a test move time by hand. Refused calls
        are recorded like any other (status 429); they take nothing from the buckets.
        Posts to a ``response_url`` are not limited.
        """
        with self._lock:
            self._state.rate_limits = limits
            self._state.buckets.clear()
            if clock is not None:
                self._clock = clock

    @property
    def rate_limits(self) -> RateLimits | None:
        """The limits enforced now, or ``None``."""
        with self._lock:
            return self._state.rate_limits

    # ------------------------------------------------------------------ directory

    def add_user(
        self,
        id: str,
        name: str,
        real_name: str | None = None,
        display_name: str | None = None,
        email: str | None = None,
        tz: str = "Europe/London",
        is_bot: bool = False,
        deleted: bool = False,
    ) -> dict[str, Any]:
        """Add (or replace) a user in the directory; returns the Slack user object.

        The object is what ``users.info``, ``users.lookupByEmail`` and
        ``users.list`` answer with.  It is returned by reference, so a test may
        tweak it afterwards.
        """
        real = real_name if real_name is not None else name
        display = display_name if display_name is not None else ""
        tz_label, tz_offset = _tz_fields(tz)
        profile: dict[str, Any] = {
            "real_name": real,
            "real_name_normalized": real,
            "display_name": display,
            "display_name_normalized": display,
            "first_name": real.split(" ")[0] if real else "",
            "last_name": " ".join(real.split(" ")[1:]) if real else "",
            "team": TEAM_ID,
        }
        if email is not None:
            profile["email"] = email
        if is_bot:
            profile["bot_id"] = BOT_ID if id == BOT_USER_ID else f"B{id[1:]}"
        user: dict[str, Any] = {
            "id": id,
            "team_id": TEAM_ID,
            "name": name,
            "deleted": deleted,
            "color": "9f69e7",
            "real_name": real,
            "tz": tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
            "is_email_confirmed": email is not None,
        }
        with self._lock:
            self._state.users[id] = user
        return user

    def add_file(
        self,
        content: bytes,
        name: str,
        filetype: str = "csv",
        user: str = "U0TEST0001",
        *,
        title: str | None = None,
        mimetype: str | None = None,
        remote_url: str | None = None,
        download_url: str | None = None,
        declared_size: int | None = None,
        trickle_seconds: float = 0.0,
    ) -> dict[str, Any]:
        """Register a file; returns the Slack file object (id ``F...``).

        Use the object inside a ``message`` event with ``subtype: "file_share"``
        (``"files": [obj]``) or a ``file_shared`` event.  ``files.info`` returns it
        and ``url_private``/``url_private_download`` serve ``content``.

        Hostile shapes, as ``files.info`` can return them: ``remote_url`` makes it a remote
        file (``is_external``, ``mode: "external"``, ``url_private`` pointing there, as Slack
        documents for files added with ``files.remote.add``); ``download_url`` replaces the download
        URLs with any other (e.g. a redirect from :meth:`add_redirect`); ``declared_size``
        is the ``size`` claimed (default: the real one); ``trickle_seconds`` spreads the
        download over that long.
        """
        file_id = f"F{next(self._id_counter):09d}"
        if mimetype is None:
            mimetype = {"csv": "text/csv", "text": "text/plain"}.get(filetype) or (
                mimetypes.guess_type(name)[0] or "application/octet-stream"
            )
        url = f"{self.base_url}/files/{file_id}/{quote(name)}"
        created = int(time.time())
        obj: dict[str, Any] = {
            "id": file_id,
            "created": created,
            "timestamp": created,
            "name": name,
            "title": title if title is not None else name,
            "mimetype": mimetype,
            "filetype": filetype,
            "pretty_type": filetype.upper(),
            "user": user,
            "user_team": TEAM_ID,
            "editable": False,
            "size": len(content),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": False,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": url,
            "url_private_download": f"{url}?download=1",
            "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{user}/{file_id}/{name}",
            "channels": [],
            "groups": [],
            "ims": [],
            "comments_count": 0,
        }
        if remote_url is not None:
            obj.update(
                mode="external",
                is_external=True,
                external_type="gdrive",
                url_private=remote_url,
                url_private_download=remote_url,
            )
        if download_url is not None:
            obj.update(url_private=download_url, url_private_download=download_url)
        if declared_size is not None:
            obj["size"] = declared_size
        with self._lock:
            self._state.files[file_id] = _File(obj, content, trickle_seconds)
        return obj

    def add_redirect(self, location: str) -> str:
        """A URL on this server that answers ``302 Found`` to ``location`` (a redirect Slack's
        file host could be made to send); each GET is recorded as a ``"redirect"`` call."""
        path = f"/redirect/{next(self._id_counter)}"
        with self._lock:
            self._state.redirects[path] = location
        return f"{self.base_url}{path}"

    def users(self) -> list[dict[str, Any]]:
        """The user directory, in insertion order."""
        with self._lock:
            return list(self._state.users.values())

    @staticmethod
    def dm_channel_id(user_id: str) -> str:
        """The stable DM channel id ``conversations.open`` gives for ``user_id``."""
        return "D" + (user_id[1:] if user_id[:1] in ("U", "W") else user_id)

    def response_url(self, kind: Literal["commands", "actions"] = "commands") -> str:
        """A fresh ``response_url`` on this server; posts to it are recorded as
        calls of :data:`RESPONSE_URL_METHOD` with the JSON body as ``params``."""
        n = next(self._id_counter)
        return f"{self.base_url}/{kind}/{TEAM_ID}/{n}/{_digest(str(n))}"

    # ------------------------------------------------------------------ internals

    def _next_ts(self) -> str:
        micros = _TS_BASE_MICROS + next(self._ts_counter) * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _record(self, call: Call, *, download: bool = False) -> None:
        with self._lock:
            (self._state.downloads if download else self._state.calls).append(call)
            self._lock.notify_all()

    def _handle(self, req: _Handler, verb: str) -> None:
        split = urlsplit(req.path)
        path = unquote(split.path)
        headers = {k.lower(): v for k, v in req.headers.items()}
        length = int(headers.get("content-length") or 0)
        body = req.rfile.read(length) if length else b""
        now = time.time()
        if path.startswith("/api/"):
            params = _flatten_form(parse_qs(split.query, keep_blank_values=True))
            params.update(self._decode_body(body, headers.get("content-type", "")))
            call = Call(path[5:], params, headers, now, path=path)
            try:
                status, extra, resp = self._api(call)
            except Exception as exc:  # a broken responder must not hang the client
                with self._lock:
                    self._state.errors.append(exc)
                status, extra = 500, {}
                resp = {"ok": False, "error": f"standin_error: {type(exc).__name__}: {exc}"}
            self._record(_with_result(call, status, resp))
            data = json.dumps(resp).encode()
            req.send(status, {"Content-Type": "application/json; charset=utf-8", **extra}, data)
        elif verb == "GET" and path.startswith("/files/"):
            self._download(req, path, headers, now)
        elif verb == "GET" and path == "/signin":
            req.send(200, {"Content-Type": "text/html; charset=utf-8"}, _LOGIN_PAGE)
        elif verb == "GET" and path in self._state.redirects:
            location = self._state.redirects[path]
            self._record(
                Call(REDIRECT_METHOD, {"location": location}, headers, now, 302, None, path)
            )
            req.send(302, {"Location": location, "Content-Type": "text/plain"}, b"")
        elif verb == "POST" and path.startswith(("/commands/", "/actions/")):
            params = self._decode_body(body, headers.get("content-type", ""))
            resp = {"ok": True}
            self._record(Call(RESPONSE_URL_METHOD, params, headers, now, 200, resp, path))
            req.send(200, {"Content-Type": "application/json; charset=utf-8"}, b'{"ok":true}')
        else:  # recorded too: a test can prove nothing reached this server
            self._record(Call(UNMATCHED_METHOD, {"verb": verb}, headers, now, 404, None, path))
            req.send(404, {"Content-Type": "text/plain"}, b"not found")

    @staticmethod
    def _decode_body(body: bytes, content_type: str) -> dict[str, Any]:
        if not body:
            return {}
        ctype = content_type.split(";")[0].strip().lower()
        if ctype == "application/json":
            decoded = json.loads(body)
            return decoded if isinstance(decoded, dict) else {"_json": decoded}
        if ctype == "multipart/form-data":
            return _parse_multipart(body, content_type)
        text = body.decode("utf-8")
        return _flatten_form(parse_qs(text, keep_blank_values=True))

    def _api(self, call: Call) -> tuple[int, dict[str, str], dict[str, Any]]:
        token = call.token
        if token is None:
            return 200, {}, {"ok": False, "error": "not_authed"}
        if token not in self.valid_tokens:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        wait = self._rate_limited(call)
        if wait is not None:
            return 429, {"Retry-After": str(wait)}, {"ok": False, "error": "ratelimited"}
        with self._lock:
            queue = self._state.failures.get(call.method)
            failure = queue[0] if queue else None
            if queue and failure is not None:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    queue.popleft()
            responder = self._state.responders.get(call.method)
        if failure is not None:
            hdrs = {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
            return failure.status, hdrs, {"ok": False, "error": failure.error}
        if responder is not None:
            status, custom_headers, resp = responder(call)
            return status, dict(custom_headers), dict(resp)
        builtin = _BUILTINS.get(call.method)
        if builtin is None:
            with self._lock:
                self._state.unknown_methods.append(call.method)
            return 200, {}, {"ok": True}
        return 200, {}, builtin(self, call)

    def _rate_limited(self, call: Call) -> int | None:
        """None if the call may go (its buckets are charged), else the Retry-After seconds."""
        with self._lock:
            limits = self._state.rate_limits
            if limits is None:
                return None
            if call.method == "chat.postMessage":
                channel = self._channel_for(call.params.get("channel"))
                wanted = [(("chat.postMessage", ""), limits.post_message_per_workspace)]
                if channel:
                    wanted.append((("chat.postMessage", channel), limits.post_message_per_channel))
            else:
                limit = limits.methods.get(call.method, limits.unlisted)
                if limit is None:
                    return None
                wanted = [((call.method, ""), limit)]
            now = self._clock()
            buckets = [(self._bucket(key, limit, now), limit) for key, limit in wanted]
            waits = [
                (1 - bucket.tokens) * 60 / limit.per_minute
                for bucket, limit in buckets
                if bucket.tokens < 1
            ]
            if waits:
                return max(1, math.ceil(max(waits) - 1e-9))
            for bucket, _ in buckets:
                bucket.tokens -= 1
            return None

    def _bucket(self, key: tuple[str, str], limit: Limit, now: float) -> _Bucket:
        """The bucket for ``key``, refilled up to ``now`` (caller holds the lock)."""
        bucket = self._state.buckets.get(key)
        if bucket is None:
            bucket = self._state.buckets[key] = _Bucket(float(limit.burst), now)
        elapsed = max(0.0, now - bucket.at)
        bucket.tokens = min(float(limit.burst), bucket.tokens + elapsed * limit.per_minute / 60)
        bucket.at = now
        return bucket

    def _download(self, req: _Handler, path: str, headers: dict[str, str], now: float) -> None:
        parts = path.split("/")  # ["", "files", id, name...]
        file_id = parts[2] if len(parts) > 2 else ""
        name = "/".join(parts[3:])
        token = _token_of(headers, {})
        authorized = (
            token is not None
            and token in self.valid_tokens
            and token.startswith(("xoxb-", "xoxp-"))
        )
        with self._lock:
            stored = self._state.files.get(file_id)
        found = stored is not None and stored.obj["name"] == name
        status = 200 if authorized and found else (404 if authorized else 403)
        params = {"file": file_id, "name": name, "authorized": authorized}
        self._record(Call(DOWNLOAD_METHOD, params, headers, now, status, None, path), download=True)
        if authorized and stored is not None and found and stored.trickle_seconds:
            mimetype = str(stored.obj["mimetype"])
            req.trickle(200, {"Content-Type": mimetype}, stored.content, stored.trickle_seconds)
        elif authorized and stored is not None and found:
            req.send(200, {"Content-Type": str(stored.obj["mimetype"])}, stored.content)
        elif authorized:
            req.send(404, {"Content-Type": "text/plain"}, b"file not found")
        elif self.unauthorized_download == "login_redirect":
            req.send(302, {"Location": f"{self.base_url}/signin", "Content-Type": "text/html"}, b"")
        else:
            req.send(403, {"Content-Type": "text/html; charset=utf-8"}, _LOGIN_PAGE)

    # -------------------------------------------------------------- built-ins

    def _bot_message(self, call: Call, ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message" if call.params.get("username") else None,
            "text": call.params.get("text", ""),
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": API_APP_ID,
            "team": TEAM_ID,
            "ts": ts,
        }
        if message["subtype"] is None:
            del message["subtype"]
        for key in ("blocks", "attachments", "metadata"):
            if key in call.params:
                message[key] = _maybe_json(call.params[key])
        if "thread_ts" in call.params:
            message["thread_ts"] = call.params["thread_ts"]
        return message

    def _channel_for(self, channel: Any) -> str:
        text = str(channel or "")
        return self.dm_channel_id(text) if text[:1] in ("U", "W") else text

    def _auth_test(self, call: Call) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": BOT_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, call: Call) -> dict[str, Any]:
        if not call.params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        ts = self._next_ts()
        channel = self._channel_for(call.params["channel"])
        return {"ok": True, "channel": channel, "ts": ts, "message": self._bot_message(call, ts)}

    def _chat_post_ephemeral(self, call: Call) -> dict[str, Any]:
        if not call.params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not call.params.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_update(self, call: Call) -> dict[str, Any]:
        ts = str(call.params.get("ts", ""))
        if not ts:
            return {"ok": False, "error": "message_not_found"}
        channel = self._channel_for(call.params.get("channel"))
        message = self._bot_message(call, ts)
        message.pop("ts")
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": call.params.get("text", ""),
            "message": message,
        }

    def _chat_delete(self, call: Call) -> dict[str, Any]:
        ts = str(call.params.get("ts", ""))
        if not ts:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": self._channel_for(call.params.get("channel")), "ts": ts}

    def _views(self, call: Call) -> dict[str, Any]:
        if "view" not in call.params:
            return {"ok": False, "error": "invalid_arguments"}
        submitted = _maybe_json(call.params["view"])
        if not isinstance(submitted, dict):
            return {"ok": False, "error": "invalid_arguments"}
        method = call.method
        if method in ("views.open", "views.push") and not call.params.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        with self._lock:
            view_id = None
            if method == "views.update":
                view_id = call.params.get("view_id")
                if not view_id and call.params.get("external_id"):
                    view_id = next(
                        (
                            v["id"]
                            for v in self._state.views.values()
                            if v.get("external_id") == call.params["external_id"]
                        ),
                        None,
                    )
                if not view_id:
                    return {"ok": False, "error": "not_found"}
            elif method == "views.publish":
                view_id = next(
                    (
                        v["id"]
                        for v in self._state.views.values()
                        if v.get("type") == "home" and v.get("_user") == call.params.get("user_id")
                    ),
                    None,
                )
            view_id = str(view_id or f"V{next(self._id_counter):09d}")
            previous = self._state.views.get(view_id, {})
        view: dict[str, Any] = {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": "home" if method == "views.publish" else "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "state": {"values": {}},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": None,
            "previous_view_id": None,
            "root_view_id": previous.get("root_view_id", view_id),
            "app_id": API_APP_ID,
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
            **submitted,
            "hash": f"{int(time.time())}.{_digest(json.dumps(submitted))[:8]}",
        }
        view["id"] = view_id
        stored = dict(view)
        if method == "views.publish":
            stored["_user"] = call.params.get("user_id")
        with self._lock:
            self._state.views[view_id] = stored
        return {"ok": True, "view": view}

    def _conversations_open(self, call: Call) -> dict[str, Any]:
        users = [u for u in str(call.params.get("users", "")).split(",") if u.strip()]
        if not users:
            if call.params.get("channel"):
                channel_id = str(call.params["channel"])
            else:
                return {"ok": False, "error": "users_list_not_supplied"}
        elif len(users) == 1:
            channel_id = self.dm_channel_id(users[0].strip())
        else:
            key = ",".join(sorted(u.strip() for u in users))
            channel_id = "G" + hashlib.sha1(key.encode()).hexdigest()[:9].upper()
        with self._lock:
            already = channel_id in self._state.opened_dms
            self._state.opened_dms.add(channel_id)
        resp: dict[str, Any] = {"ok": True, "channel": {"id": channel_id}}
        if already:
            resp.update({"no_op": True, "already_open": True})
        return resp

    def _users_info(self, call: Call) -> dict[str, Any]:
        with self._lock:
            user = self._state.users.get(str(call.params.get("user", "")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _users_lookup_by_email(self, call: Call) -> dict[str, Any]:
        email = str(call.params.get("email", "")).lower()
        with self._lock:
            user = next(
                (
                    u
                    for u in self._state.users.values()
                    if str(u["profile"].get("email", "")).lower() == email and email
                ),
                None,
            )
        if user is None:
            return {"ok": False, "error": "users_not_found"}
        return {"ok": True, "user": user}

    def _users_list(self, call: Call) -> dict[str, Any]:
        try:
            limit = int(call.params.get("limit") or 200)
        except ValueError:
            return {"ok": False, "error": "invalid_limit"}
        limit = max(1, min(limit, 1000))
        cursor = str(call.params.get("cursor") or "")
        offset = 0
        if cursor:
            try:
                offset = int(base64.b64decode(cursor).decode().removeprefix("offset:"))
            except ValueError:
                return {"ok": False, "error": "invalid_cursor"}
        with self._lock:
            everyone = list(self._state.users.values())
        page = everyone[offset : offset + limit]
        end = offset + len(page)
        next_cursor = ""
        if end < len(everyone):
            next_cursor = base64.b64encode(f"offset:{end}".encode()).decode()
        return {
            "ok": True,
            "members": page,
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _files_info(self, call: Call) -> dict[str, Any]:
        with self._lock:
            stored = self._state.files.get(str(call.params.get("file", "")))
        if stored is None:
            return {"ok": False, "error": "file_not_found"}
        return {
            "ok": True,
            "file": stored.obj,
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }

    def _apps_connections_open(self, call: Call) -> dict[str, Any]:
        return {"ok": True, "url": "ws://127.0.0.1:1/"}


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _with_result(call: Call, status: int, response: dict[str, Any]) -> Call:
    return Call(call.method, call.params, call.headers, call.time, status, response, call.path)


_BUILTINS: dict[str, Callable[[SlackStandIn, Call], dict[str, Any]]] = {
    "auth.test": SlackStandIn._auth_test,
    "chat.postMessage": SlackStandIn._chat_post_message,
    "chat.postEphemeral": SlackStandIn._chat_post_ephemeral,
    "chat.update": SlackStandIn._chat_update,
    "chat.delete": SlackStandIn._chat_delete,
    "views.open": SlackStandIn._views,
    "views.update": SlackStandIn._views,
    "views.push": SlackStandIn._views,
    "views.publish": SlackStandIn._views,
    "conversations.open": SlackStandIn._conversations_open,
    "users.info": SlackStandIn._users_info,
    "users.lookupByEmail": SlackStandIn._users_lookup_by_email,
    "users.list": SlackStandIn._users_list,
    "files.info": SlackStandIn._files_info,
    "apps.connections.open": SlackStandIn._apps_connections_open,
}
