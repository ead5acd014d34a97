"""Publishing Home tabs: the listener for `app_home_opened` and every job after a change that a
Home tab shows (an answer, a note, a request, a setup or schedule change) publish through here."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.deps import Services
from bot.home import home_for, members_of
from bot.worker import JobContext
from handlers.blocks.home import home_view
from storage import audit
from storage.db import session_scope
from storage.deliveries import coordinators_of

log = logging.getLogger(__name__)


def publish(
    client: WebClient, services: Services, team_id: str, users: Iterable[str], *, page: int = 0
) -> None:
    """Publish each user's Home tab as it is now (best effort: a Home tab is a view of the
    data, and the next opening publishes it again)."""
    for user_id in dict.fromkeys(users):
        with session_scope(services.session_factory) as session:
            now = services.clock.now()
            homes = home_for(session, team_id=team_id, user_id=user_id, now=now, page=page)
            view = home_view(homes, page=page)
            for home in homes:
                shown = sum(1 for c in home.coordinated if c.performers)
                if shown:  # where each performer stands, as in the status modal: a read
                    audit.record(
                        session,
                        at=now,
                        team_id=team_id,
                        actor=user_id,
                        action="home.status.read",
                        production_id=home.production.id,
                        detail={"scenes": shown, "page": page},
                    )
        try:
            client.views_publish(user_id=user_id, view=view)
        except SlackApiError as error:
            log.warning("could not publish a Home tab (%s)", error.response.get("error"))


def refresh_production(job: JobContext, payload: dict[str, Any]) -> None:
    """The job after a change to a production: everyone in it gets a fresh Home tab."""
    with session_scope(job.services.session_factory) as session:
        users = members_of(session, int(payload["production_id"]))
    publish(job.client, job.services, payload["team_id"], users)


def refresh_coordinators(job: JobContext, payload: dict[str, Any]) -> None:
    """The job after a note or a request: the production's coordinators' Home tabs."""
    with session_scope(job.services.session_factory) as session:
        users = list(coordinators_of(session, int(payload["production_id"])))
    publish(job.client, job.services, payload["team_id"], users)


def refresh_people(job: JobContext, payload: dict[str, Any]) -> None:
    """The job after a change that concerns a few people: their Home tabs."""
    publish(job.client, job.services, payload["team_id"], payload["users"])


def production_members(session_factory: sessionmaker[Session], production_id: int) -> list[str]:
    with session_scope(session_factory) as session:
        return members_of(session, production_id)
