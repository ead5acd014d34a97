"""A coordinator request's messages in the department channels, shown again after a change
(an acknowledgement, an edit, a withdrawal)."""

from __future__ import annotations

import logging
import threading

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


_GUARD = threading.Lock()
_REFRESHING: dict[int, threading.Lock] = {}


def _one_at_a_time(request_id: int) -> threading.Lock:
    with _GUARD:
        if len(_REFRESHING) > 1000:  # forget the idle ones
            for key in [k for k, lock in _REFRESHING.items() if not lock.locked()]:
                del _REFRESHING[key]
        return _REFRESHING.setdefault(request_id, threading.Lock())


def refresh_posts(
    client: WebClient, session_factory: sessionmaker[Session], request_id: int
) -> None:
    """Show the request's current text, count or withdrawal in every channel it was posted
    to. One refresh of a request at a time in this process, each reading what it shows after
    the one before it posted, so the last post shows the last count (two people acknowledging
    at once could otherwise leave the older count showing); again if the count moved while it
    posted (another process)."""
    with _one_at_a_time(request_id):
        _refresh(client, session_factory, request_id)


def _refresh(client: WebClient, session_factory: sessionmaker[Session], request_id: int) -> None:
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
