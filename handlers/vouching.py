"""A held production (nobody has vouched for it, see `bot.roles`) is vouched for when a
workspace admin or owner saves its setup. That takes Slack's word for who is an admin
(`users.info`), so it is a job after the save, and only for a production still held."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.access import MANAGERS
from bot.roles import vouch
from bot.worker import JobContext
from storage import deliveries
from storage.db import session_scope
from storage.productions import get_production, roles_of
from storage.vouches import is_held

log = logging.getLogger(__name__)


def vouch_if_workspace_admin(job: JobContext, payload: dict[str, Any]) -> None:
    """`payload`: the production's id and who saved its setup."""
    production_id, user_id = int(payload["production_id"]), str(payload["user_id"])
    with session_scope(job.services.session_factory) as session:
        if not is_held(session, production_id=production_id):
            return
    try:
        user = job.client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        log.warning(
            "could not look up who saved a held production (%s)", error.response.get("error")
        )
        return
    if user.get("is_restricted") or not (user.get("is_admin") or user.get("is_owner")):
        return
    now = job.services.clock.now()
    with session_scope(job.services.session_factory) as session:
        production = get_production(session, production_id=production_id)
        if production is None or not is_held(session, production_id=production_id):
            return
        if not roles_of(session, production_id=production_id, user_id=user_id) & set(MANAGERS):
            return  # no longer a coordinator or admin of it
        vouch(session, production=production, by=user_id, now=now, why="workspace admin")
        deliveries.sync_production(session, production, now=now)
    job.wake()  # prompts now due go at once
