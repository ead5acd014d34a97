"""`/closedset mydata`: everything stored about the caller, in a modal only they see (never a
message or a file); reading it is an audit event."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.deps import Services
from handlers.blocks.mydata import my_data_modal
from storage.mydata import my_data, record_read


def run(
    *, command: dict[str, Any], client: WebClient, db_session: Session, services: Services, **_: Any
) -> None:
    team_id, user_id = command["team_id"], command["user_id"]
    data = my_data(db_session, team_id=team_id, user_id=user_id)
    record_read(
        db_session, team_id=team_id, user_id=user_id, now=services.clock.now(), page=0, shown=data
    )
    view = my_data_modal(data, page=0)
    client.views_open(trigger_id=command["trigger_id"], view=view)
