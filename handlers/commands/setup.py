"""`/closedset setup [new | NAME]`: open the production setup modal."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.modals.setup import open_setup_modal


def run(
    *, command: dict[str, Any], args: str, client: WebClient, db_session: Session, **_: Any
) -> None:
    new = args.lower() == "new"
    open_setup_modal(
        client,
        trigger_id=command["trigger_id"],
        session=db_session,
        team_id=command["team_id"],
        user_id=command["user_id"],
        name=None if new or not args else args,
        new=new,
    )
