"""The Slack stand-in's Web API: how a ``/api/<method>`` call is answered, and the built-in
behaviour of each method the app uses.

In order: the token is checked (``Authorization: Bearer`` header or ``token`` field: missing
-> ``not_authed``, not in ``valid_tokens`` -> ``invalid_auth``, HTTP 200 as Slack does); rate
limits, if enforced (:mod:`tests.support.standin_limits`); a failure queued with
:meth:`Methods.fail_next`; an override registered with :meth:`Methods.respond`; otherwise the
method's built-in behaviour (:data:`BUILTINS`). Methods without one answer ``{"ok": true}`` and
are listed in ``unknown_methods``.

:class:`Methods` is a mixin of :class:`tests.support.slack_standin.SlackStandIn`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.support.standin_calls import (
    API_APP_ID,
    BOT_ID,
    BOT_NAME,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    Call,
    Responder,
    channel_for,
    digest,
    dm_channel_id,
    maybe_json,
)
from tests.support.standin_files import StoredFile

_TS_BASE_MICROS = 1_700_000_000_000_000


@dataclass
class Failure:
    error: str
    status: int
    retry_after: int | None
    remaining: int


@dataclass
class Script:
    """What the methods remember: scripted failures and overrides, views, opened DMs."""

    failures: dict[str, deque[Failure]] = field(default_factory=dict)
    responders: dict[str, Responder] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    opened_dms: set[str] = field(default_factory=set)


class Methods:
    """The Web API (a mixin: the stand-in holds ``_lock``, ``_script``, ``_users``,
    ``_id_counter``, ``_ts_counter``, ``valid_tokens`` and the other mixins' parts)."""

    _lock: threading.Condition
    _script: Script
    _users: dict[str, dict[str, Any]]
    _id_counter: itertools.count[int]
    _ts_counter: itertools.count[int]
    valid_tokens: set[str]

    if TYPE_CHECKING:

        def _rate_limited(self, call: Call) -> int | None: ...

        def _record_unknown(self, method: str) -> None: ...

        def _stored_file(self, file_id: str) -> StoredFile | None: ...

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
        failure = Failure(error, status, retry_after if status == 429 else None, times)
        with self._lock:
            self._script.failures.setdefault(method, deque()).append(failure)

    def respond(self, method: str, fn: Responder | None) -> None:
        """Override ``method``'s response with ``fn(call) -> (status, headers, body)``.

        Pass ``None`` to remove the override.  The call is still recorded, with
        whatever the override returned.
        """
        with self._lock:
            if fn is None:
                self._script.responders.pop(method, None)
            else:
                self._script.responders[method] = fn

    # ------------------------------------------------------------------ answering

    def _next_ts(self) -> str:
        micros = _TS_BASE_MICROS + next(self._ts_counter) * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

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
            queue = self._script.failures.get(call.method)
            failure = queue[0] if queue else None
            if queue and failure is not None:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    queue.popleft()
            responder = self._script.responders.get(call.method)
        if failure is not None:
            hdrs = {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
            return failure.status, hdrs, {"ok": False, "error": failure.error}
        if responder is not None:
            status, custom_headers, resp = responder(call)
            return status, dict(custom_headers), dict(resp)
        builtin = BUILTINS.get(call.method)
        if builtin is None:
            self._record_unknown(call.method)
            return 200, {}, {"ok": True}
        return 200, {}, builtin(self, call)

    # ------------------------------------------------------------------ built-ins

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
                message[key] = maybe_json(call.params[key])
        if "thread_ts" in call.params:
            message["thread_ts"] = call.params["thread_ts"]
        return message

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
        channel = channel_for(call.params["channel"])
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
        channel = channel_for(call.params.get("channel"))
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
        return {"ok": True, "channel": channel_for(call.params.get("channel")), "ts": ts}

    def _views(self, call: Call) -> dict[str, Any]:
        if "view" not in call.params:
            return {"ok": False, "error": "invalid_arguments"}
        submitted = maybe_json(call.params["view"])
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
                            for v in self._script.views.values()
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
                        for v in self._script.views.values()
                        if v.get("type") == "home" and v.get("_user") == call.params.get("user_id")
                    ),
                    None,
                )
            view_id = str(view_id or f"V{next(self._id_counter):09d}")
            previous = self._script.views.get(view_id, {})
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
            "hash": f"{int(time.time())}.{digest(json.dumps(submitted))[:8]}",
        }
        view["id"] = view_id
        stored = dict(view)
        if method == "views.publish":
            stored["_user"] = call.params.get("user_id")
        with self._lock:
            self._script.views[view_id] = stored
        return {"ok": True, "view": view}

    def _conversations_open(self, call: Call) -> dict[str, Any]:
        users = [u for u in str(call.params.get("users", "")).split(",") if u.strip()]
        if not users:
            if call.params.get("channel"):
                channel_id = str(call.params["channel"])
            else:
                return {"ok": False, "error": "users_list_not_supplied"}
        elif len(users) == 1:
            channel_id = dm_channel_id(users[0].strip())
        else:
            key = ",".join(sorted(u.strip() for u in users))
            channel_id = "G" + hashlib.sha1(key.encode()).hexdigest()[:9].upper()
        with self._lock:
            already = channel_id in self._script.opened_dms
            self._script.opened_dms.add(channel_id)
        resp: dict[str, Any] = {"ok": True, "channel": {"id": channel_id}}
        if already:
            resp.update({"no_op": True, "already_open": True})
        return resp

    def _users_info(self, call: Call) -> dict[str, Any]:
        with self._lock:
            user = self._users.get(str(call.params.get("user", "")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _users_lookup_by_email(self, call: Call) -> dict[str, Any]:
        email = str(call.params.get("email", "")).lower()
        with self._lock:
            user = next(
                (
                    u
                    for u in self._users.values()
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
            everyone = list(self._users.values())
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
        stored = self._stored_file(str(call.params.get("file", "")))
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


BUILTINS: dict[str, Callable[[Methods, Call], dict[str, Any]]] = {
    "auth.test": Methods._auth_test,
    "chat.postMessage": Methods._chat_post_message,
    "chat.postEphemeral": Methods._chat_post_ephemeral,
    "chat.update": Methods._chat_update,
    "chat.delete": Methods._chat_delete,
    "views.open": Methods._views,
    "views.update": Methods._views,
    "views.push": Methods._views,
    "views.publish": Methods._views,
    "conversations.open": Methods._conversations_open,
    "users.info": Methods._users_info,
    "users.lookupByEmail": Methods._users_lookup_by_email,
    "users.list": Methods._users_list,
    "files.info": Methods._files_info,
    "apps.connections.open": Methods._apps_connections_open,
}
