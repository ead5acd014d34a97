"""The Slack stand-in's OAuth: an app installed in several workspaces, each with its own tokens.

What Slack does between "Add to Slack" and the redirect back (the installer picks a workspace
and allows the scopes) is :meth:`OAuthApps.authorize`: it returns the one-time ``code`` that
Slack would append to the redirect URL. Then:

* ``oauth.v2.access`` with a ``code`` (client id and secret by HTTP Basic auth or form fields,
  as slack_sdk sends them) answers as Slack's reference page shows: a bot token
  (``xoxe.xoxb-…`` with ``refresh_token`` and ``expires_in`` when token rotation is on,
  ``xoxb-…`` without), ``team``, ``enterprise``, ``is_enterprise_install``, ``authed_user``,
  ``bot_user_id``, ``app_id``, ``scope``. A code is good once (``invalid_code`` after), and only
  with the ``redirect_uri`` it was issued for (``bad_redirect_uri``).
* ``oauth.v2.access`` with ``grant_type=refresh_token`` exchanges a refresh token for a new
  access token and a new refresh token (the old access token stays good until it expires, as
  on Slack; the old refresh token is spent).
* ``oauth.v2.exchange`` turns a long-lived bot token into a rotating one.
* ``auth.test`` with a token issued here answers for that token's workspace (its team id,
  name, bot user); the stand-in's own ``xoxb-test`` keeps answering for ``T0TEST0001``.
  ``auth.revoke`` with one makes it invalid.

Issued tokens are added to the stand-in's ``valid_tokens``; :meth:`OAuthApps.revoke` removes a
workspace's (the app uninstalled) and :meth:`OAuthApps.expire` refuses one as Slack does after
12 hours (``token_expired``). :meth:`OAuthApps.team_of_token` tells which workspace a recorded
call was made for, so a test can prove nothing crossed over.

:class:`OAuthApps` is a mixin of the stand-in: it answers these methods before the token check
(``oauth.v2.*`` authenticate with the client's id and secret, not a token).
"""

from __future__ import annotations

import base64
import itertools
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from tests.support.standin_calls import API_APP_ID, Call

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "test-client-secret"
TOKEN_LIFETIME = 43200
"""Seconds a rotating token lasts (Slack: 12 hours)."""


@dataclass(frozen=True)
class Team:
    team_id: str
    name: str
    enterprise_id: str | None = None
    enterprise_name: str | None = None

    @property
    def bot_user_id(self) -> str:
        return "UB" + self.team_id[1:]

    @property
    def bot_id(self) -> str:
        return "B" + self.team_id[1:]


@dataclass(frozen=True)
class _Grant:
    team: Team | None  # None: an org-wide install
    enterprise_id: str | None
    installer: str
    scopes: str
    rotation: bool
    redirect_uri: str | None


@dataclass
class _OAuthState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    teams: dict[str, Team] = field(default_factory=dict)
    codes: dict[str, _Grant] = field(default_factory=dict)
    refresh: dict[str, _Grant] = field(default_factory=dict)
    tokens: dict[str, _Grant] = field(default_factory=dict)
    expired: set[str] = field(default_factory=set)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


class OAuthApps:
    """Installs in several workspaces (see the module docstring)."""

    valid_tokens: set[str]
    client_id = CLIENT_ID
    client_secret = CLIENT_SECRET

    @property
    def _oauth(self) -> _OAuthState:
        state: _OAuthState | None = self.__dict__.get("_oauth_state")
        if state is None:
            state = self.__dict__.setdefault("_oauth_state", _OAuthState())
        return state

    # ------------------------------------------------------------------ scripting

    def add_workspace(
        self,
        team_id: str,
        name: str,
        *,
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
    ) -> Team:
        team = Team(team_id, name, enterprise_id, enterprise_name)
        with self._oauth.lock:
            self._oauth.teams[team_id] = team
        return team

    def authorize(
        self,
        team_id: str | None,
        *,
        installer: str = "U0INSTALL1",
        scopes: str = "commands,chat:write",
        rotation: bool = True,
        redirect_uri: str | None = None,
        org_wide_enterprise: str | None = None,
    ) -> str:
        """The installer allowed the app in `team_id` (or, with `org_wide_enterprise`, in a
        whole Enterprise Grid org): the code Slack puts on the redirect."""
        with self._oauth.lock:
            team = self._oauth.teams[team_id] if team_id else None
            enterprise = org_wide_enterprise or (team.enterprise_id if team else None)
            code = f"code-{next(self._oauth.counter)}-{secrets.token_hex(6)}"
            self._oauth.codes[code] = _Grant(
                team, enterprise, installer, scopes, rotation, redirect_uri
            )
        return code

    def tokens_of(self, team_id: str) -> list[str]:
        with self._oauth.lock:
            return [
                t for t, g in self._oauth.tokens.items() if g.team and g.team.team_id == team_id
            ]

    def team_of_token(self, token: str | None) -> str | None:
        with self._oauth.lock:
            grant = self._oauth.tokens.get(token or "")
        return grant.team.team_id if grant and grant.team else None

    def revoke(self, team_id: str) -> None:
        """The app was removed from the workspace: its tokens, refresh tokens included, stop
        working."""
        for token in self.tokens_of(team_id):
            self.valid_tokens.discard(token)
        with self._oauth.lock:
            for refresh, grant in list(self._oauth.refresh.items()):
                if grant.team and grant.team.team_id == team_id:
                    del self._oauth.refresh[refresh]

    def expire(self, token: str) -> None:
        with self._oauth.lock:
            self._oauth.expired.add(token)

    # ------------------------------------------------------------------ answering

    def _api(self, call: Call) -> tuple[int, dict[str, str], dict[str, Any]]:
        if call.method == "oauth.v2.access":
            return 200, {}, self._oauth_access(call)
        if call.method == "oauth.v2.exchange":
            return 200, {}, self._oauth_exchange(call)
        token = call.token
        with self._oauth.lock:
            grant = self._oauth.tokens.get(token or "")
            expired = token in self._oauth.expired
        if grant is not None and token in self.valid_tokens:
            if expired:
                return 200, {}, {"ok": False, "error": "token_expired"}
            if call.method == "auth.test":
                return 200, {}, _auth_test(grant)
            if call.method == "auth.revoke":
                self.valid_tokens.discard(token or "")
                return 200, {}, {"ok": True, "revoked": True}
        answered: tuple[int, dict[str, str], dict[str, Any]] = super()._api(call)  # type: ignore[misc]
        return answered

    def _client_ok(self, call: Call) -> str | None:
        """None when the call carries the app's client id and secret, else Slack's error."""
        client_id = call.params.get("client_id")
        client_secret = call.params.get("client_secret")
        header = call.header("authorization") or ""
        if header[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(header[6:].strip()).decode()
            except ValueError:
                return "invalid_client_id"
            client_id, _, client_secret = (unquote(p) for p in decoded.partition(":"))
        if client_id != self.client_id:
            return "invalid_client_id"
        if client_secret != self.client_secret:
            return "bad_client_secret"
        return None

    def _oauth_access(self, call: Call) -> dict[str, Any]:
        refused = self._client_ok(call)
        if refused:
            return {"ok": False, "error": refused}
        if call.params.get("grant_type") == "refresh_token":
            with self._oauth.lock:
                grant = self._oauth.refresh.pop(str(call.params.get("refresh_token") or ""), None)
            if grant is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            return {"ok": True, **self._issue(grant, rotation=True, full=False)}
        with self._oauth.lock:
            grant = self._oauth.codes.pop(str(call.params.get("code") or ""), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        if grant.redirect_uri is not None and call.params.get("redirect_uri") != grant.redirect_uri:
            return {"ok": False, "error": "bad_redirect_uri"}
        return {"ok": True, **self._issue(grant, rotation=grant.rotation, full=True)}

    def _oauth_exchange(self, call: Call) -> dict[str, Any]:
        refused = self._client_ok(call)
        if refused:
            return {"ok": False, "error": refused}
        with self._oauth.lock:
            grant = self._oauth.tokens.get(str(call.params.get("token") or call.token or ""))
        if grant is None:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, **self._issue(grant, rotation=True, full=True)}

    def _issue(self, grant: _Grant, *, rotation: bool, full: bool) -> dict[str, Any]:
        n = next(self._oauth.counter)
        where = grant.team.team_id if grant.team else (grant.enterprise_id or "E")
        token = f"{'xoxe.' if rotation else ''}xoxb-{where}-{n}-{secrets.token_hex(8)}"
        answer: dict[str, Any] = {"access_token": token, "token_type": "bot"}
        with self._oauth.lock:
            self._oauth.tokens[token] = grant
            if rotation:
                refresh = f"xoxe-1-{where}-{n}-{secrets.token_hex(8)}"
                self._oauth.refresh[refresh] = grant
                answer |= {"refresh_token": refresh, "expires_in": TOKEN_LIFETIME}
        self.valid_tokens.add(token)
        answer["scope"] = grant.scopes
        if not full:
            return answer
        team = grant.team
        enterprise = grant.enterprise_id
        enterprise_name = team.enterprise_name if team else "Studio Org"
        return answer | {
            "bot_user_id": team.bot_user_id if team else "UBORG00001",
            "app_id": API_APP_ID,
            "team": {"id": team.team_id, "name": team.name} if team else None,
            "enterprise": {"id": enterprise, "name": enterprise_name} if enterprise else None,
            "is_enterprise_install": team is None,
            "authed_user": {"id": grant.installer},
        }


def _auth_test(grant: _Grant) -> dict[str, Any]:
    team = grant.team
    if team is None:
        return {
            "ok": True,
            "url": "https://studio-org.enterprise.slack.com/",
            "team": "Studio Org",
            "user": "closedset",
            "team_id": grant.enterprise_id,
            "user_id": "UBORG00001",
            "bot_id": "BORG00001",
            "enterprise_id": grant.enterprise_id,
            "is_enterprise_install": True,
        }
    return {
        "ok": True,
        "url": f"https://{team.team_id.lower()}.slack.com/",
        "team": team.name,
        "user": "closedset",
        "team_id": team.team_id,
        "user_id": team.bot_user_id,
        "bot_id": team.bot_id,
        "enterprise_id": team.enterprise_id,
        "is_enterprise_install": False,
    }
