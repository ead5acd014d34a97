"""`/closedset help`."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from sqlalchemy.orm import Session

from handlers.blocks.help import help_blocks
from storage.productions import productions_of, roles_of


def run(*, ack: Ack, command: dict[str, Any], db_session: Session, **_: Any) -> None:
    mine = productions_of(db_session, team_id=command["team_id"], user_id=command["user_id"])
    roles = set()
    for production in mine:
        roles |= roles_of(db_session, production_id=production.id, user_id=command["user_id"])
    ack(
        blocks=help_blocks(roles, [p.name for p in mine]),
        text="Closed Set help",
        response_type="ephemeral",
    )
