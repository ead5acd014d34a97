"""A coordinator request's messages in the department channels, shown again after a change
(an acknowledgement, an edit, a withdrawal)."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery import content
from bot.delivery.content import Outgoing
from handlers.blocks.messages import request_message
from storage.db import session_scope
from storage.models import CoordinatorRequest

log = logging.getLogger(__name__)


def _shown(
    session_factory: sessionmaker[Session], request_id: int
) -> list[tuple[str, str, Outgoing, int]]:
    with session_scope(session_factory) as session:
        request = session.get(CoordinatorRequest, request_id)
        if request is None:
            return []
        return [
            (
                post.channel_id,
                post.ts,
                request_message(content.request_message(post)),
                len(post.acks),
            )
            for post in request.posts
            if post.ts
        ]


def refresh_posts(
    client: WebClient, session_factory: sessionmaker[Session], request_id: int
) -> None:
    """Show the request's current text, count or withdrawal in every channel it was posted
    to; again if the count moved meanwhile (two people acknowledging at once)."""
    shown = _shown(session_factory, request_id)
    for _ in range(3):
        for channel, ts, out, _count in shown:
            try:
                client.chat_update(channel=channel, ts=ts, text=out.text, blocks=out.blocks)
            except SlackApiError as error:
                log.warning("could not update a request (%s)", error.response.get("error"))
        now = _shown(session_factory, request_id)
        if [c for *_, c in now] == [c for *_, c in shown]:
            return
        shown = now
