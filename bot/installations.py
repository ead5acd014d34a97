"""Several workspaces from one deployment (OAuth mode): where each workspace's token comes from.

- `DatabaseInstallationStore` and `DatabaseStateStore` are slack_sdk's installation and state
  store interfaces over the app's database (`storage.installations`: tokens sealed like
  answers, one row per workspace, states single-use with a 10-minute expiry on the injected
  clock). Bolt's OAuth flow saves installations through the first and issues and consumes
  states through the second.
- `Workspaces` is what everything else asks: the installation of a team (cached in memory,
  dropped from the cache when it is saved or deleted in this process, and re-read after a
  minute so that another process's changes are seen), its bot token refreshed before it
  expires (Slack's token rotation: `oauth.v2.access` with `grant_type=refresh_token`, once at a
  time per workspace), and a Web API client per workspace, each with a pacer of its own —
  Slack's rate limits are per workspace (`bot.ratelimit`).

Bolt's request path (`bot.app`), the job worker and the delivery engine all take tokens from
one `Workspaces`, so a request never costs a query or an `auth.test` for its token.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.ratelimit import Pacer
from storage import installations as stored
from storage.db import session_scope
from storage.installations import Installed

log = logging.getLogger(__name__)

STATE_LIFETIME = timedelta(minutes=10)
CACHE_SECONDS = 60.0
"""How long a cached installation (or its absence) is trusted before it is read again (in the
background: see `Workspaces.installed`): what another process saved or deleted is seen within
this and a request; this process's own changes at once."""


class OrgWideInstall(Exception):
    """An Enterprise Grid org-wide install: Closed Set is installed workspace by workspace."""


class TokenUnavailable(Exception):
    """The workspace's bot token has expired and Slack did not refresh it (yet): try later."""


class DatabaseInstallationStore(InstallationStore):
    """slack_sdk's installation store over `storage.installations`. A bot-only app: one
    installation per workspace, whoever installed it; `on_change(team_id)` is told of every
    save and delete (the `Workspaces` cache)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        *,
        on_change: Callable[[str], None] = lambda team_id: None,
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.on_change = on_change

    @property
    def logger(self) -> logging.Logger:
        return log

    def save(self, installation: Installation) -> None:
        if installation.is_enterprise_install or not installation.team_id:
            raise OrgWideInstall(installation.enterprise_id)
        if not installation.bot_token:
            raise ValueError("an installation without a bot token")
        self.save_installed(
            Installed(
                team_id=installation.team_id,
                bot_token=installation.bot_token,
                team_name=installation.team_name,
                enterprise_id=installation.enterprise_id,
                enterprise_name=installation.enterprise_name,
                app_id=installation.app_id,
                bot_id=installation.bot_id,
                bot_user_id=installation.bot_user_id,
                bot_scopes=",".join(installation.bot_scopes or ()),
                bot_refresh_token=installation.bot_refresh_token,
                bot_token_expires_at=self._expiry(installation.bot_token_expires_at),
                installer_id=installation.user_id,
                user_token=installation.user_token,
                user_refresh_token=installation.user_refresh_token,
                user_token_expires_at=self._expiry(installation.user_token_expires_at),
                user_scopes=",".join(installation.user_scopes or ()) or None,
            )
        )

    def save_bot(self, bot: Bot) -> None:
        if bot.is_enterprise_install or not bot.team_id:
            raise OrgWideInstall(bot.enterprise_id)
        current = self.find_installed(bot.team_id)
        base = current or Installed(team_id=bot.team_id, bot_token=bot.bot_token)
        self.save_installed(
            replace(
                base,
                bot_token=bot.bot_token,
                bot_id=bot.bot_id,
                bot_user_id=bot.bot_user_id,
                bot_scopes=",".join(bot.bot_scopes or ()),
                bot_refresh_token=bot.bot_refresh_token,
                bot_token_expires_at=self._expiry(bot.bot_token_expires_at),
            )
        )

    def save_installed(self, installed: Installed) -> None:
        with session_scope(self.session_factory) as session:
            stored.save_installation(session, installed, now=self.clock.now())
        self.on_change(installed.team_id)

    def refreshed(self, installed: Installed) -> bool:
        """Store a refreshed bot token, if the installation is still there."""
        with session_scope(self.session_factory) as session:
            kept = stored.update_bot_token(
                session,
                team_id=installed.team_id,
                bot_token=installed.bot_token,
                refresh_token=installed.bot_refresh_token,
                expires_at=installed.bot_token_expires_at,
                now=self.clock.now(),
            )
        self.on_change(installed.team_id)
        return kept

    def find_installed(self, team_id: str) -> Installed | None:
        with session_scope(self.session_factory) as session:
            return stored.find_installation(session, team_id=team_id)

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = self._find(team_id, is_enterprise_install)
        return None if found is None else _installation(found).to_bot()

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = self._find(team_id, is_enterprise_install)
        if found is None or (user_id is not None and user_id != found.installer_id):
            return None
        return _installation(found)

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.delete(team_id)

    def delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        if user_id is None:
            self.delete(team_id)

    def delete(self, team_id: str | None) -> None:
        if not team_id:
            return
        with session_scope(self.session_factory) as session:
            stored.delete_installation(session, team_id=team_id)
        self.on_change(team_id)

    def _find(self, team_id: str | None, is_enterprise_install: bool | None) -> Installed | None:
        if is_enterprise_install or not team_id:
            return None
        return self.find_installed(team_id)

    def _expiry(self, epoch: int | None) -> datetime | None:
        """slack_sdk counts `expires_in` from the wall clock; the app counts time on its
        injected clock (the same one in production): keep the time left, on our clock."""
        if epoch is None:
            return None
        return self.clock.now() + timedelta(seconds=int(epoch) - time.time())


def _installation(found: Installed) -> Installation:
    def epoch(at: datetime | None) -> int | None:
        return None if at is None else int(at.timestamp())

    return Installation(
        app_id=found.app_id,
        enterprise_id=found.enterprise_id,
        enterprise_name=found.enterprise_name,
        team_id=found.team_id,
        team_name=found.team_name,
        bot_token=found.bot_token,
        bot_id=found.bot_id,
        bot_user_id=found.bot_user_id,
        bot_scopes=found.bot_scopes or "",
        bot_refresh_token=found.bot_refresh_token,
        bot_token_expires_at=epoch(found.bot_token_expires_at),
        user_id=found.installer_id or "",
        user_token=found.user_token,
        user_scopes=found.user_scopes or "",
        user_refresh_token=found.user_refresh_token,
        user_token_expires_at=epoch(found.user_token_expires_at),
        installed_at=found.installed_at.timestamp() if found.installed_at else None,
    )


class DatabaseStateStore(OAuthStateStore):
    """OAuth states in the database: issued for each visit of the install page, consumed once
    by Slack's redirect, within `STATE_LIFETIME` on the injected clock."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock) -> None:
        self.session_factory = session_factory
        self.clock = clock

    @property
    def logger(self) -> logging.Logger:
        return log

    def issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(32)
        now = self.clock.now()
        with session_scope(self.session_factory) as session:
            stored.issue_state(session, state=state, expires_at=now + STATE_LIFETIME, now=now)
        return state

    def consume(self, state: str) -> bool:
        if not state or len(state) > 64:
            return False
        with session_scope(self.session_factory) as session:
            return stored.consume_state(session, state=state, now=self.clock.now())


MakeClient = Callable[[str, Pacer], WebClient]
"""Builds a workspace's client from its token and its pacer (`bot.app.make_client`)."""


class Workspaces:
    """The token and Web API client of every installed workspace (see the module docstring).

    `oauth` is a client without a token on Slack's API (SLACK_API_URL) for token refreshes;
    `make` builds a workspace's client; `refresh_before` is how long before expiry a rotating
    token is refreshed."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        *,
        client_id: str,
        client_secret: str,
        oauth: WebClient,
        make: MakeClient,
        rate_scale: float = 1.0,
        refresh_before: timedelta = timedelta(minutes=120),
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self.store = DatabaseInstallationStore(session_factory, clock, on_change=self.forget)
        self.states = DatabaseStateStore(session_factory, clock)
        self.clock = clock
        self.client_id = client_id
        self.client_secret = client_secret
        self.oauth = oauth
        self.make = make
        self.rate_scale = rate_scale
        self.refresh_before = refresh_before
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Installed | None]] = {}
        self._generation: dict[str, int] = {}
        self._clients: dict[str, WebClient] = {}
        self._pacers: dict[str, Pacer] = {}
        self._refreshing: dict[str, threading.Lock] = {}
        self._rereading: set[str] = set()

    def installed(self, team_id: str) -> Installed | None:
        """The team's installation as last read (a read at most every `cache_seconds`). An
        installation read longer ago than that is still answered from memory while a thread
        reads it again: a request's acknowledgement never waits on the database for it (and
        the workspaces first seen together, whose entries age together, are not all read on
        the request path a minute later). Only an unknown team is read on the spot."""
        if not team_id:
            return None
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(team_id)
            generation = self._generation.get(team_id, 0)
            stale = cached is not None and now - cached[0] >= self.cache_seconds
            if stale and cached is not None and cached[1] is not None:
                if team_id not in self._rereading:
                    self._rereading.add(team_id)
                    threading.Thread(
                        target=self._reread, args=(team_id,), name="installation", daemon=True
                    ).start()
                return cached[1]
        if cached is not None and not stale:
            return cached[1]
        return self._read(team_id, generation)

    def _read(self, team_id: str, generation: int) -> Installed | None:
        now = time.monotonic()
        found = self.store.find_installed(team_id)
        with self._lock:
            # Not if it changed while we read: what we read may be from before the change.
            if self._generation.get(team_id, 0) == generation:
                self._cache[team_id] = (now, found)
        return found

    def _reread(self, team_id: str) -> None:
        try:
            with self._lock:
                generation = self._generation.get(team_id, 0)
            self._read(team_id, generation)
        except Exception as error:  # the database is down: the next request tries again
            log.warning("could not re-read an installation (%s)", type(error).__name__)
        finally:
            with self._lock:
                self._rereading.discard(team_id)

    def fresh(self, team_id: str) -> Installed | None:
        """The team's installation with a bot token good for `refresh_before` more (refreshed
        first if need be); None when the app is not installed there. When Slack does not
        refresh it, the token as it is while it lasts, then `TokenUnavailable`."""
        found = self.installed(team_id)
        if found is None or not self._expiring(found):
            return found
        with self._lock:
            gate = self._refreshing.setdefault(team_id, threading.Lock())
        with gate:  # one refresh per workspace in this process
            # From the database, not the cache: another process (or a twin thread) may have
            # refreshed it already (a refresh token is good once), or the app been removed.
            self.forget(team_id)
            found = self.installed(team_id)
            if found is None or not self._expiring(found):
                return found
            refreshed = self._refresh(found)
        if refreshed is not None:
            return refreshed
        assert found.bot_token_expires_at is not None
        if found.bot_token_expires_at > self.clock.now():
            return found
        raise TokenUnavailable(team_id)

    def client(self, team_id: str) -> WebClient | None:
        """The team's Web API client (paced for the team), or None if it is not installed;
        `TokenUnavailable` (see `fresh`)."""
        found = self.fresh(team_id)
        if found is None:
            return None
        with self._lock:
            client = self._clients.get(team_id)
            if client is None or client.token != found.bot_token:
                pacer = self._pacers.setdefault(team_id, Pacer(scale=self.rate_scale))
                client = self._clients[team_id] = self.make(found.bot_token, pacer)
            return client

    def forget(self, team_id: str) -> None:
        """Drop what is cached of the team (its installation was saved or deleted, or Slack
        refused its token): the next lookup reads the database."""
        with self._lock:
            self._cache.pop(team_id, None)
            self._clients.pop(team_id, None)
            self._generation[team_id] = self._generation.get(team_id, 0) + 1

    def _expiring(self, found: Installed) -> bool:
        expires = found.bot_token_expires_at
        return (
            found.bot_refresh_token is not None
            and expires is not None
            and expires - self.clock.now() <= self.refresh_before
        )

    def _refresh(self, found: Installed) -> Installed | None:
        try:
            answer = self.oauth.oauth_v2_access(
                client_id=self.client_id,
                client_secret=self.client_secret,
                grant_type="refresh_token",
                refresh_token=found.bot_refresh_token,
            )
        except SlackApiError as error:
            log.error(
                "could not refresh the bot token of workspace %s (%s)",
                found.team_id,
                error.response.get("error", "error"),
            )
            return None
        if answer.get("token_type") != "bot" or not answer.get("access_token"):
            log.error("could not refresh the bot token of workspace %s", found.team_id)
            return None
        refreshed = replace(
            found,
            bot_token=str(answer["access_token"]),
            bot_refresh_token=str(answer.get("refresh_token") or found.bot_refresh_token),
            bot_token_expires_at=self.clock.now()
            + timedelta(seconds=int(answer.get("expires_in") or 0)),
        )
        if not self.store.refreshed(refreshed):
            return None  # removed meanwhile: not brought back by its refresh
        log.info("refreshed the bot token of workspace %s", found.team_id)
        return refreshed
