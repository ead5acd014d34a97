"""Installations and OAuth states, in the app's database (OAuth mode).

One row per workspace (`SlackInstallation`): a reinstall updates it, so the workspace's data
(keyed by its team id) stays where it was. Tokens are sealed with the session's cipher, the
same keys as answers; they are opened only here, into an `Installed` for the caller to use.
Slack's own types (slack_sdk's `Installation`) stay out of storage: `bot.installations`
translates.

States are single-use: consuming one deletes it, and only a state not yet expired can be
consumed (both in one DELETE, so two redirects with the same state cannot both pass).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.db import insert_once
from storage.models import OAuthState, SlackInstallation
from storage.secrets import seal, unseal


@dataclass(frozen=True)
class Installed:
    """The app as installed in one workspace, tokens in the clear (never logged)."""

    team_id: str
    bot_token: str
    team_name: str | None = None
    enterprise_id: str | None = None
    enterprise_name: str | None = None
    app_id: str | None = None
    bot_id: str | None = None
    bot_user_id: str | None = None
    bot_scopes: str | None = None
    bot_refresh_token: str | None = None
    bot_token_expires_at: datetime | None = None
    installer_id: str | None = None
    user_token: str | None = None
    user_refresh_token: str | None = None
    user_token_expires_at: datetime | None = None
    user_scopes: str | None = None
    installed_at: datetime | None = None

    def __repr__(self) -> str:  # tokens stay out of tracebacks and logs
        return f"Installed(team_id={self.team_id!r}, enterprise_id={self.enterprise_id!r})"


def save_installation(session: Session, installed: Installed, *, now: datetime) -> None:
    """Insert the workspace's installation, or update it in place (a reinstall, a refreshed
    token)."""
    insert_once(
        session,
        SlackInstallation,
        team_id=installed.team_id,
        bot_token_ct=seal(session, installed.bot_token),
        installed_at=installed.installed_at or now,
        updated_at=now,
    )
    row = session.scalar(
        select(SlackInstallation).where(SlackInstallation.team_id == installed.team_id)
    )
    assert row is not None
    row.team_name = installed.team_name
    row.enterprise_id = installed.enterprise_id
    row.enterprise_name = installed.enterprise_name
    row.app_id = installed.app_id
    row.bot_id = installed.bot_id
    row.bot_user_id = installed.bot_user_id
    row.bot_scopes = installed.bot_scopes
    row.bot_token_ct = seal(session, installed.bot_token) or b""
    row.bot_refresh_token_ct = seal(session, installed.bot_refresh_token)
    row.bot_token_expires_at = installed.bot_token_expires_at
    row.installer_id = installed.installer_id
    row.user_token_ct = seal(session, installed.user_token)
    row.user_refresh_token_ct = seal(session, installed.user_refresh_token)
    row.user_token_expires_at = installed.user_token_expires_at
    row.user_scopes = installed.user_scopes
    if installed.installed_at is not None:
        row.installed_at = installed.installed_at
    row.updated_at = now
    session.flush()


def update_bot_token(
    session: Session,
    *,
    team_id: str,
    bot_token: str,
    refresh_token: str | None,
    expires_at: datetime | None,
    now: datetime,
) -> bool:
    """A refreshed bot token (token rotation); False if the installation is gone (removed
    while the refresh was under way: a refresh does not bring it back)."""
    row = session.scalar(select(SlackInstallation).where(SlackInstallation.team_id == team_id))
    if row is None:
        return False
    row.bot_token_ct = seal(session, bot_token) or b""
    row.bot_refresh_token_ct = seal(session, refresh_token)
    row.bot_token_expires_at = expires_at
    row.updated_at = now
    return True


def find_installation(session: Session, *, team_id: str) -> Installed | None:
    row = session.scalar(select(SlackInstallation).where(SlackInstallation.team_id == team_id))
    if row is None:
        return None
    return Installed(
        team_id=row.team_id,
        bot_token=unseal(session, row.bot_token_ct) or "",
        team_name=row.team_name,
        enterprise_id=row.enterprise_id,
        enterprise_name=row.enterprise_name,
        app_id=row.app_id,
        bot_id=row.bot_id,
        bot_user_id=row.bot_user_id,
        bot_scopes=row.bot_scopes,
        bot_refresh_token=unseal(session, row.bot_refresh_token_ct),
        bot_token_expires_at=row.bot_token_expires_at,
        installer_id=row.installer_id,
        user_token=unseal(session, row.user_token_ct),
        user_refresh_token=unseal(session, row.user_refresh_token_ct),
        user_token_expires_at=row.user_token_expires_at,
        user_scopes=row.user_scopes,
        installed_at=row.installed_at,
    )


def delete_installation(session: Session, *, team_id: str) -> bool:
    """Forget the workspace's tokens (uninstalled, or its bot token revoked). Returns whether
    there was an installation."""
    result = session.execute(delete(SlackInstallation).where(SlackInstallation.team_id == team_id))
    return bool(getattr(result, "rowcount", 0))


def installed_teams(session: Session) -> list[str]:
    return list(session.scalars(select(SlackInstallation.team_id).order_by(SlackInstallation.id)))


def issue_state(session: Session, *, state: str, expires_at: datetime, now: datetime) -> None:
    """Record a new state; states that expired are tidied away on the way."""
    session.execute(delete(OAuthState).where(OAuthState.expires_at <= now))
    session.add(OAuthState(state=state, expires_at=expires_at))
    session.flush()


def consume_state(session: Session, *, state: str, now: datetime) -> bool:
    """Whether `state` was issued and has not expired; it cannot be consumed again."""
    result = session.execute(
        delete(OAuthState).where(OAuthState.state == state, OAuthState.expires_at > now)
    )
    return bool(getattr(result, "rowcount", 0))
