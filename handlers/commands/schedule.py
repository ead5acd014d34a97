"""`/closedset schedule [in PRODUCTION]`: upcoming scenes for coordinators and ADs."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from sqlalchemy.orm import Session

from bot.access import pick_production, split_production
from bot.deps import Services
from bot.text import mrkdwn_escape
from handlers.schedule_pages import VIEWERS, page_blocks


def run(
    *,
    command: dict[str, Any],
    args: str,
    respond: Respond,
    db_session: Session,
    services: Services,
    **_: Any,
) -> None:
    name = split_production(args)[1]
    production = pick_production(
        db_session,
        team_id=command["team_id"],
        user_id=command["user_id"],
        roles=VIEWERS,
        name=name,
        doing="see the shooting schedule",
    )
    blocks = page_blocks(
        db_session, production=production, services=services, offset=0, actor=command["user_id"]
    )
    text = f"{mrkdwn_escape(production.name)}: upcoming scenes"
    respond(blocks=blocks, text=text, response_type="ephemeral")
