"""`app_uninstalled` and `tokens_revoked`: the workspace removed the app, so everything the app
holds of it is erased (`storage.erasure`), at once, and nothing more is sent to it (its planned
messages go with it); serving several workspaces, its installation (its tokens) goes too. The
team is the one of the verified request, never one named inside it."""

from __future__ import annotations

import logging
from typing import Any

from bot.deps import Deps
from bot.worker import JobContext
from handlers.defer import after
from storage.db import session_scope
from storage.erasure import erase_workspace
from storage.installations import delete_installation

log = logging.getLogger(__name__)


def uninstalled(body: dict[str, Any], deps: Deps) -> None:
    after(deps, erase, {"team_id": str(body.get("team_id") or "")})


def tokens_revoked(event: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    """Only the bot token matters: without it the app can do nothing in the workspace."""
    if (event.get("tokens") or {}).get("bot"):
        after(deps, erase, {"team_id": str(body.get("team_id") or "")})


def erase(job: JobContext, payload: dict[str, str]) -> None:
    if not payload["team_id"]:
        return
    with session_scope(job.services.session_factory) as session:
        erased = erase_workspace(session, team_id=payload["team_id"])
        delete_installation(session, team_id=payload["team_id"])
    log.info(
        "the app was removed from a workspace: its data is erased (%d production(s), %d audit "
        "event(s))",
        erased.productions,
        erased.audit_events,
    )
