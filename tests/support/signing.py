"""Send correctly signed Slack requests to an app's ``/slack/events`` endpoint.

Slack signs every request it sends to an app: ``X-Slack-Request-Timestamp`` is the
Unix time, ``X-Slack-Signature`` is ``v0=`` + hex HMAC-SHA256 of
``v0:{timestamp}:{raw body}`` keyed with the app's signing secret.  :func:`sign`
computes exactly that; :class:`SlackSender` builds Slack-shaped payloads (slash
commands, block actions, view submissions, Events API envelopes), signs them and
POSTs them over real HTTP with ``urllib``::

    sender = SlackSender(app_url, "signing-secret", response_base=standin.base_url)
    resp = sender.command("help", user_id="U123")
    assert resp.status == 200

    values = {"who": {"pick": users(["U1", "U2"])}, "note": {"in": plain("hi")}}
    sender.view_submission(user_id="U123", callback_id="schedule", values=values)

Bad-signature tests: ``sender.with_secret("wrong").command(...)``,
``sender.with_clock_skew(-600).command(...)`` (older than Bolt's 5 minute window),
or :meth:`SlackSender.raw` with hand-made headers.

:func:`serve_wsgi` runs a WSGI app (e.g. Bolt's ``SlackRequestHandler``) under
waitress on ``127.0.0.1:<free port>`` in a thread, for end-to-end tests.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from tests.support.slack_standin import API_APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = [
    "Response",
    "SlackSender",
    "checkboxes",
    "conversation",
    "datepicker",
    "multi_static",
    "plain",
    "radio",
    "serve_wsgi",
    "sign",
    "static",
    "timepicker",
    "user",
    "users",
]

#: The (deprecated) verification token Slack still puts in payloads.
VERIFICATION_TOKEN = "verification-token"
DEFAULT_CHANNEL = "C0TEST0001"

_counter = itertools.count(1)


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request-signing headers for ``body``.

    Returns ``{"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=<hex>"}``
    where ``<hex>`` is HMAC-SHA256(secret, ``b"v0:" + ts + b":" + body``).
    ``timestamp`` defaults to now.
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass(frozen=True)
class Response:
    """An HTTP response from the app (4xx/5xx included, never raised)."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON (``ValueError`` if it is not JSON)."""
        return json.loads(self.body)


# ---------------------------------------------------------------- state values
# Shapes of entries in ``view.state.values[block_id][action_id]``.


def _option(value: str, text: str | None = None) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}


def plain(value: str | None) -> dict[str, Any]:
    """A ``plain_text_input`` state value (``None`` = left empty)."""
    return {"type": "plain_text_input", "value": value}


def users(ids: Sequence[str]) -> dict[str, Any]:
    """A ``multi_users_select`` state value."""
    return {"type": "multi_users_select", "selected_users": list(ids)}


def user(id: str | None) -> dict[str, Any]:
    """A ``users_select`` state value."""
    return {"type": "users_select", "selected_user": id}


def conversation(id: str | None) -> dict[str, Any]:
    """A ``conversations_select`` state value."""
    return {"type": "conversations_select", "selected_conversation": id}


def static(value: str | None, text: str | None = None) -> dict[str, Any]:
    """A ``static_select`` state value (``None`` = nothing selected)."""
    return {
        "type": "static_select",
        "selected_option": None if value is None else _option(value, text),
    }


def multi_static(values: Sequence[str]) -> dict[str, Any]:
    """A ``multi_static_select`` state value."""
    return {"type": "multi_static_select", "selected_options": [_option(v) for v in values]}


def checkboxes(values: Sequence[str]) -> dict[str, Any]:
    """A ``checkboxes`` state value."""
    return {"type": "checkboxes", "selected_options": [_option(v) for v in values]}


def radio(value: str | None, text: str | None = None) -> dict[str, Any]:
    """A ``radio_buttons`` state value."""
    return {
        "type": "radio_buttons",
        "selected_option": None if value is None else _option(value, text),
    }


def timepicker(hhmm: str | None) -> dict[str, Any]:
    """A ``timepicker`` state value; accepts ``"09:30"`` or ``"0930"``."""
    if hhmm is not None and ":" not in hhmm and len(hhmm) == 4:
        hhmm = f"{hhmm[:2]}:{hhmm[2:]}"
    return {"type": "timepicker", "selected_time": hhmm}


def datepicker(iso: str | None) -> dict[str, Any]:
    """A ``datepicker`` state value (``"2025-03-01"``)."""
    return {"type": "datepicker", "selected_date": iso}


# ---------------------------------------------------------------- sender


def _trigger_id() -> str:
    n = next(_counter)
    return f"{1_700_000_000_000 + n}.{TEAM_ID[1:]}.{hashlib.md5(str(n).encode()).hexdigest()}"


def _ts() -> str:
    now = time.time()
    return f"{now:.6f}"


@dataclass(frozen=True)
class SlackSender:
    """Posts signed, Slack-shaped requests to ``base_url + "/slack/events"``.

    Args:
        base_url: The app's root URL, e.g. ``http://127.0.0.1:8123`` (a trailing
            slash is fine).
        signing_secret: The secret the app verifies signatures with.
        response_base: Where auto-generated ``response_url`` values point --
            pass ``SlackStandIn.base_url`` so the app's ``respond()`` calls are
            recorded by the stand-in (as ``"response_url"`` calls).  Defaults to
            ``http://127.0.0.1:1`` (nothing listens; never the real Slack).
        path: The endpoint path, ``/slack/events``.
        clock_skew: Seconds added to the signing timestamp (see :meth:`with_clock_skew`).
        timeout: Socket timeout for each request.
    """

    base_url: str
    signing_secret: str
    response_base: str = "http://127.0.0.1:1"
    path: str = "/slack/events"
    clock_skew: int = 0
    timeout: float = 10.0

    # state-value helpers, also available as module functions
    plain = staticmethod(plain)
    users = staticmethod(users)
    user = staticmethod(user)
    conversation = staticmethod(conversation)
    static = staticmethod(static)
    multi_static = staticmethod(multi_static)
    checkboxes = staticmethod(checkboxes)
    radio = staticmethod(radio)
    timepicker = staticmethod(timepicker)
    datepicker = staticmethod(datepicker)

    @property
    def url(self) -> str:
        """The full endpoint URL."""
        return self.base_url.rstrip("/") + self.path

    def with_secret(self, secret: str) -> SlackSender:
        """A copy that signs with ``secret`` (for wrong-secret tests)."""
        return replace(self, signing_secret=secret)

    def with_clock_skew(self, seconds: int) -> SlackSender:
        """A copy whose timestamps are shifted by ``seconds`` (``-600`` = stale)."""
        return replace(self, clock_skew=seconds)

    def new_response_url(self, kind: str = "commands") -> str:
        """A fresh ``response_url`` under ``response_base``."""
        n = next(_counter)
        digest = hashlib.md5(str(n).encode()).hexdigest()
        return f"{self.response_base.rstrip('/')}/{kind}/{TEAM_ID}/{n}/{digest}"

    # -------------------------------------------------------------- payloads

    def command(
        self,
        text: str,
        *,
        user_id: str,
        command: str = "/closedset",
        team_id: str = TEAM_ID,
        channel_id: str = DEFAULT_CHANNEL,
        channel_name: str | None = None,
        user_name: str | None = None,
        trigger_id: str | None = None,
        response_url: str | None = None,
    ) -> Response:
        """A slash command invocation, form-encoded exactly as Slack posts it."""
        if channel_name is None:
            channel_name = "directmessage" if channel_id.startswith("D") else "general"
        form = {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name or user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": API_APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url or self.new_response_url("commands"),
            "trigger_id": trigger_id or _trigger_id(),
        }
        return self._form(form)

    def block_action(
        self,
        *,
        user_id: str,
        action_id: str,
        value: str | None = None,
        block_id: str = "b",
        container: Mapping[str, Any] | None = None,
        view: Mapping[str, Any] | None = None,
        channel_id: str | None = None,
        message: Mapping[str, Any] | None = None,
        team_id: str = TEAM_ID,
        action_type: str = "button",
        action_fields: Mapping[str, Any] | None = None,
        trigger_id: str | None = None,
        response_url: str | None = None,
    ) -> Response:
        """A ``block_actions`` interaction (one action, a button by default).

        With ``view`` (a view object, e.g. from the stand-in's ``views.open``
        answer) the action comes from that modal/home tab: container
        ``{"type": "view", "view_id": ...}``, no channel/message/response_url.
        Otherwise it comes from a message in ``channel_id`` (default
        ``C0TEST0001``): container ``{"type": "message", ...}`` plus ``channel``,
        ``message`` (a minimal bot message unless given) and ``response_url``.
        ``action_fields`` are merged into the action (e.g.
        ``{"selected_option": ...}`` with ``action_type="static_select"``).
        """
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "type": action_type,
            "action_ts": _ts(),
        }
        if action_type == "button":
            action["text"] = {"type": "plain_text", "text": action_id, "emoji": True}
        if value is not None:
            action["value"] = value
        action.update(action_fields or {})
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {
                "id": user_id,
                "username": user_id.lower(),
                "name": user_id.lower(),
                "team_id": team_id,
            },
            "api_app_id": API_APP_ID,
            "token": VERIFICATION_TOKEN,
            "trigger_id": trigger_id or _trigger_id(),
            "team": {"id": team_id, "domain": TEAM_DOMAIN},
            "enterprise": None,
            "is_enterprise_install": False,
            "actions": [action],
        }
        if view is not None and channel_id is None and message is None:
            view_obj = dict(view)
            payload["container"] = (
                dict(container)
                if container is not None
                else {
                    "type": "view",
                    "view_id": view_obj.get("id", ""),
                }
            )
            payload["view"] = view_obj
            payload["state"] = view_obj.get("state", {"values": {}})
        else:
            channel = channel_id or DEFAULT_CHANNEL
            msg = (
                dict(message)
                if message is not None
                else {
                    "type": "message",
                    "user": BOT_USER_ID,
                    "bot_id": BOT_ID,
                    "app_id": API_APP_ID,
                    "team": team_id,
                    "text": "",
                    "blocks": [],
                    "ts": _ts(),
                }
            )
            payload["container"] = (
                dict(container)
                if container is not None
                else {
                    "type": "message",
                    "message_ts": msg.get("ts", _ts()),
                    "channel_id": channel,
                    "is_ephemeral": False,
                }
            )
            payload["channel"] = {"id": channel, "name": "general"}
            payload["message"] = msg
            payload["state"] = {"values": {}}
            payload["response_url"] = response_url or self.new_response_url("actions")
            if view is not None:
                payload["view"] = dict(view)
        return self._payload(payload)

    def view_submission(
        self,
        *,
        user_id: str,
        callback_id: str,
        values: Mapping[str, Mapping[str, Mapping[str, Any]]],
        private_metadata: str = "",
        view_id: str | None = None,
        team_id: str = TEAM_ID,
        blocks: Sequence[Mapping[str, Any]] = (),
        trigger_id: str | None = None,
    ) -> Response:
        """A ``view_submission`` of a modal with the given state ``values``.

        ``values`` maps block_id -> action_id -> state value (build those with
        :func:`plain`, :func:`users`, :func:`static`, ...).
        """
        vid = view_id or f"V{next(_counter):09d}"
        payload: dict[str, Any] = {
            "type": "view_submission",
            "team": {"id": team_id, "domain": TEAM_DOMAIN},
            "user": {
                "id": user_id,
                "username": user_id.lower(),
                "name": user_id.lower(),
                "team_id": team_id,
            },
            "api_app_id": API_APP_ID,
            "token": VERIFICATION_TOKEN,
            "trigger_id": trigger_id or _trigger_id(),
            "view": {
                "id": vid,
                "team_id": team_id,
                "type": "modal",
                "blocks": [dict(b) for b in blocks],
                "private_metadata": private_metadata,
                "callback_id": callback_id,
                "state": {"values": json.loads(json.dumps(values))},
                "hash": f"{int(time.time())}.{hashlib.md5(vid.encode()).hexdigest()[:8]}",
                "title": {"type": "plain_text", "text": "Closed Set", "emoji": True},
                "clear_on_close": False,
                "notify_on_close": False,
                "close": None,
                "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
                "previous_view_id": None,
                "root_view_id": vid,
                "app_id": API_APP_ID,
                "external_id": "",
                "app_installed_team_id": team_id,
                "bot_id": BOT_ID,
            },
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._payload(payload)

    def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        team_id: str = TEAM_ID,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> Response:
        """An Events API ``event_callback`` envelope around ``event`` (JSON body).

        ``event_ts`` is filled in if missing.  With ``retry_num`` the
        ``X-Slack-Retry-Num`` / ``X-Slack-Retry-Reason`` headers are added, as
        Slack does when redelivering (reason defaults to ``http_timeout``); reuse
        the original ``event_id`` to simulate a true redelivery.
        """
        inner = dict(event)
        inner.setdefault("event_ts", _ts())
        envelope: dict[str, Any] = {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "api_app_id": API_APP_ID,
            "event": inner,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_counter):09d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{hashlib.md5(str(next(_counter)).encode()).hexdigest()}",
        }
        extra: dict[str, str] = {}
        if retry_num is not None:
            extra["X-Slack-Retry-Num"] = str(retry_num)
            extra["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        return self._signed(json.dumps(envelope).encode(), "application/json", extra)

    def url_verification(self, challenge: str = "challenge-token") -> Response:
        """The ``url_verification`` handshake Slack sends when the URL is set."""
        body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return self._signed(json.dumps(body).encode(), "application/json", {})

    def raw(
        self,
        body: bytes,
        headers: Mapping[str, str],
        content_type: str = "application/x-www-form-urlencoded",
    ) -> Response:
        """POST ``body`` with exactly ``headers`` (no signing) -- for tests of
        bad or missing signatures: ``sender.raw(b, sign("wrong", b), ...)``."""
        return self._post(body, {"Content-Type": content_type, **headers})

    # -------------------------------------------------------------- transport

    def _form(self, form: Mapping[str, str]) -> Response:
        return self._signed(urlencode(form).encode(), "application/x-www-form-urlencoded", {})

    def _payload(self, payload: Mapping[str, Any]) -> Response:
        return self._form({"payload": json.dumps(payload)})

    def _signed(self, body: bytes, content_type: str, extra: Mapping[str, str]) -> Response:
        headers = sign(self.signing_secret, body, int(time.time()) + self.clock_skew)
        return self._post(body, {"Content-Type": content_type, **headers, **extra})

    def _post(self, body: bytes, headers: Mapping[str, str]) -> Response:
        request = urllib.request.Request(self.url, data=body, headers=dict(headers), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                return Response(resp.status, dict(resp.headers.items()), resp.read())
        except urllib.error.HTTPError as err:
            with err:
                return Response(err.code, dict(err.headers.items()), err.read())


# ---------------------------------------------------------------- WSGI server


@contextmanager
def serve_wsgi(app: WSGIApplication, *, threads: int = 4) -> Iterator[str]:
    """Serve a WSGI ``app`` with waitress on ``127.0.0.1:<free port>`` in a thread.

    Yields the base URL (``http://127.0.0.1:PORT``); shuts the server down on
    exit.  For Bolt: ``serve_wsgi(SlackRequestHandler(app))``.
    """
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    port = getattr(server, "effective_port", None)
    thread = threading.Thread(target=server.run, name=f"waitress:{port}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop_waitress(server)
        thread.join(timeout=5)


def _stop_waitress(server: Any) -> None:
    """Stop a waitress server running ``run()`` in another thread.

    Closing is done by the loop thread itself (via the trigger) so the asyncore
    map is not mutated under its feet; the loop exits once the map is empty.
    """
    server.task_dispatcher.shutdown(timeout=5)

    def close_all() -> None:
        for channel in list(server._map.values()):
            channel.close()

    server.trigger.pull_trigger(close_all)
