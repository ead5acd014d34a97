"""`/closedset checklist [in PRODUCTION]`: the coordinator edits the boundary checklist."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.access import MANAGERS, pick_production, split_production
from bot.meta import pack
from handlers.blocks.boundaries import checklist_modal
from storage.boundaries import checklist


def run(
    *, command: dict[str, Any], args: str, client: WebClient, db_session: Session, **_: Any
) -> None:
    __, name = split_production(f"x {args}")
    production = pick_production(
        db_session,
        team_id=command["team_id"],
        user_id=command["user_id"],
        roles=MANAGERS,
        name=name,
        doing="edit the boundary checklist",
    )
    labels = [item.label for item in checklist(db_session, production.id)]
    view = checklist_modal(labels, metadata=pack("checklist", p=production.id))
    client.views_open(trigger_id=command["trigger_id"], view=view)
