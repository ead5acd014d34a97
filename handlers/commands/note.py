"""`/closedset note`: a performer's private note to their coordinator."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.access import split_production
from bot.deps import Services
from handlers.modals.note import open_note_modal


def run(
    *,
    command: dict[str, Any],
    args: str,
    client: WebClient,
    db_session: Session,
    services: Services,
    **_: Any,
) -> None:
    __, name = split_production(f"x {args}")
    open_note_modal(
        client,
        trigger_id=command["trigger_id"],
        session=db_session,
        team_id=command["team_id"],
        user_id=command["user_id"],
        name=name,
        scene_id=None,
        now=services.clock.now(),
    )
