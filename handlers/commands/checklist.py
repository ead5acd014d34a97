"""`/closedset checklist [in PRODUCTION]`: the coordinator edits the boundary checklist."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.access import split_production
from handlers.modals.checklist import open_checklist_modal


def run(
    *, command: dict[str, Any], args: str, client: WebClient, db_session: Session, **_: Any
) -> None:
    __, name = split_production(f"x {args}")
    open_checklist_modal(
        client,
        trigger_id=command["trigger_id"],
        session=db_session,
        team_id=command["team_id"],
        user_id=command["user_id"],
        name=name,
    )
