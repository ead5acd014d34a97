"""`/closedset help`."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from sqlalchemy.orm import Session

from handlers.blocks.help import help_blocks
from storage.productions import memberships


def run(*, command: dict[str, Any], respond: Respond, db_session: Session, **_: Any) -> None:
    held = memberships(db_session, team_id=command["team_id"], user_id=command["user_id"])
    names = list(dict.fromkeys(name for name, _ in held))
    respond(
        blocks=help_blocks({role for _, role in held}, names),
        text="Closed Set help",
        response_type="ephemeral",
    )
