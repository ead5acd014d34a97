"""`/closedset requests [in PRODUCTION]`: the coordinator's requests and who acknowledged."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from sqlalchemy.orm import Session

from bot.access import pick_production, split_production
from bot.text import mrkdwn_escape
from handlers.request_list import blocks_for
from storage.models import Role


def run(
    *, command: dict[str, Any], args: str, respond: Respond, db_session: Session, **_: Any
) -> None:
    __, name = split_production(f"x {args}")
    production = pick_production(
        db_session,
        team_id=command["team_id"],
        user_id=command["user_id"],
        roles=(Role.COORDINATOR,),
        name=name,
        doing="see requests and acknowledgements",
    )
    respond(
        blocks=blocks_for(db_session, production.id, production.time_zone, production.name),
        text=f"Requests · {mrkdwn_escape(production.name)}",
        response_type="ephemeral",
    )
