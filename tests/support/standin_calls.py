"""What the Slack stand-in records: the workspace it pretends to be, one :class:`Call` per
request, the wire decoding that turns a request into one, and the log tests read and wait on.

The log (:class:`Recording`) is a mixin of :class:`tests.support.slack_standin.SlackStandIn`;
every request is recorded *before* its response is written, so once a client call returns the
call is visible to the test.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

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
        return token_of(self.headers, self.params)

    @property
    def ok(self) -> bool:
        """Whether the stand-in answered ``"ok": true``."""
        return bool(self.response and self.response.get("ok"))


# ------------------------------------------------------------------ the wire


def token_of(headers: Mapping[str, str], params: Mapping[str, Any]) -> str | None:
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return auth[7:].strip()
    token = params.get("token")
    return token if isinstance(token, str) and token else None


def flatten_form(pairs: Mapping[str, list[str]]) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else list(v) for k, v in pairs.items()}


def parse_multipart(body: bytes, content_type: str) -> dict[str, Any]:
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


def decode_body(body: bytes, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "application/json":
        decoded = json.loads(body)
        return decoded if isinstance(decoded, dict) else {"_json": decoded}
    if ctype == "multipart/form-data":
        return parse_multipart(body, content_type)
    text = body.decode("utf-8")
    return flatten_form(parse_qs(text, keep_blank_values=True))


def digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def maybe_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def with_result(call: Call, status: int, response: dict[str, Any]) -> Call:
    return Call(call.method, call.params, call.headers, call.time, status, response, call.path)


def dm_channel_id(user_id: str) -> str:
    """The stable DM channel id ``conversations.open`` gives for ``user_id``."""
    return "D" + (user_id[1:] if user_id[:1] in ("U", "W") else user_id)


def channel_for(channel: Any) -> str:
    """The channel a ``channel`` parameter names (a user ID names that user's DM)."""
    text = str(channel or "")
    return dm_channel_id(text) if text[:1] in ("U", "W") else text


# ------------------------------------------------------------------ the log


@dataclass
class CallLog:
    calls: list[Call] = field(default_factory=list)
    downloads: list[Call] = field(default_factory=list)
    unknown_methods: list[str] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


class Recording:
    """The stand-in's record of what it received (a mixin: the stand-in holds ``_lock``,
    a condition that :meth:`_record` notifies, and ``_log``)."""

    _lock: threading.Condition
    _log: CallLog

    def calls(self, method: str | None = None) -> list[Call]:
        """All recorded calls (of ``method`` if given), oldest first."""
        with self._lock:
            return [c for c in self._log.calls if method is None or c.method == method]

    def last(self, method: str) -> Call:
        """The most recent call of ``method``; AssertionError if there is none."""
        found = self.calls(method)
        if not found:
            raise AssertionError(f"no {method} call; methods seen: {self.methods()}")
        return found[-1]

    def methods(self) -> list[str]:
        """Method names of all recorded calls, in arrival order."""
        with self._lock:
            return [c.method for c in self._log.calls]

    @property
    def unknown_methods(self) -> list[str]:
        """Methods called that have no built-in behaviour (answered ``{"ok": true}``)."""
        with self._lock:
            return list(self._log.unknown_methods)

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions raised while answering (e.g. by a :meth:`respond` override);
        the client got HTTP 500 ``standin_error`` for each."""
        with self._lock:
            return list(self._log.errors)

    def downloads(self) -> list[Call]:
        """Recorded ``GET /files/...`` requests (``params``: file, name, authorized)."""
        with self._lock:
            return list(self._log.downloads)

    def clear(self) -> None:
        """Forget recorded calls, downloads and unknown methods (not users/files/scripts)."""
        with self._lock:
            self._log.calls.clear()
            self._log.downloads.clear()
            self._log.unknown_methods.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until at least ``count`` calls of ``method`` were recorded.

        Returns all calls of that method so far.  Useful when the app calls Slack
        from a background thread (e.g. Bolt's lazy listeners).  Raises
        ``AssertionError`` listing the methods seen if the timeout passes first.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self._log.calls if c.method == method]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [c.method for c in self._log.calls]
                    raise AssertionError(
                        f"expected {count} {method} call(s) within {timeout}s, "
                        f"got {len(found)}; methods seen: {seen}"
                    )
                self._lock.wait(remaining)

    def _record(self, call: Call, *, download: bool = False) -> None:
        with self._lock:
            (self._log.downloads if download else self._log.calls).append(call)
            self._lock.notify_all()

    def _record_error(self, exc: BaseException) -> None:
        with self._lock:
            self._log.errors.append(exc)

    def _record_unknown(self, method: str) -> None:
        with self._lock:
            self._log.unknown_methods.append(method)
