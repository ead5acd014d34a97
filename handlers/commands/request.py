"""`/closedset request [in PRODUCTION]`: the coordinator's request modal."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.access import split_production
from bot.deps import Services
from handlers.modals.request import open_new_request


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
    open_new_request(
        client,
        trigger_id=command["trigger_id"],
        session=db_session,
        team_id=command["team_id"],
        user_id=command["user_id"],
        name=name,
        now=services.clock.now(),
    )
