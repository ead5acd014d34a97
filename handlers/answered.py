"""After a performer's answer is recorded (from a prompt's button or a submitted form): their
prompts say it is saved, and the coordinators' notices and Home tabs follow."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery import content
from bot.delivery.kinds import ASKING_KINDS
from bot.worker import JobContext
from handlers.blocks.messages import answered
from handlers.home_tab import publish
from storage import boundaries, deliveries
from storage.db import session_scope
from storage.models import Delivery, DeliveryStatus, Scene

log = logging.getLogger(__name__)


def after_answer(job: JobContext, payload: dict[str, Any]) -> None:
    """The job after an answer was recorded: the performer's prompts now say it is saved
    (the same words whatever the answer), and the coordinators' notices go out."""
    job.wake()
    show_answered(job.client, job.services.session_factory, payload["scene"], payload["performer"])
    with session_scope(job.services.session_factory) as session:
        scene = session.get(Scene, payload["scene"])
        if scene is None:
            return
        team_id = scene.production.workspace.team_id
        users = [payload["performer"], *deliveries.coordinators_of(session, scene.production_id)]
    publish(job.client, job.services, team_id, users)


def show_answered(
    client: WebClient, session_factory: sessionmaker[Session], scene_id: int, performer: str
) -> None:
    with session_scope(session_factory) as session:
        scene = session.get(Scene, scene_id)
        current = boundaries.current(session, scene, performer) if scene else None
        if scene is None or current is None:
            return
        out = answered(content.answered(scene, current.at))
        targets = [
            (row.channel, row.ts)
            for row in session.scalars(
                select(Delivery).where(
                    Delivery.scene_id == scene_id,
                    Delivery.recipient == performer,
                    Delivery.revision == scene.revision,
                    Delivery.kind.in_(ASKING_KINDS),
                    Delivery.status == DeliveryStatus.SENT,
                )
            )
            if row.channel and row.ts
        ]
    for channel, ts in targets:
        try:
            client.chat_update(channel=channel, ts=ts, text=out.text, blocks=out.blocks)
        except SlackApiError as error:  # the answer is saved; an old message stays as it was
            log.warning("could not update a prompt (%s)", error.response.get("error"))
