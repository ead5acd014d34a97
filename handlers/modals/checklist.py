"""The coordinator's boundary checklist modal: from `/closedset checklist` and the Home tab."""

from __future__ import annotations

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.access import MANAGERS, pick_production
from bot.meta import pack
from handlers.blocks.boundaries import checklist_modal
from storage.boundaries import checklist


def open_checklist_modal(
    client: WebClient,
    *,
    trigger_id: str,
    session: Session,
    team_id: str,
    user_id: str,
    name: str | None,
) -> None:
    production = pick_production(
        session,
        team_id=team_id,
        user_id=user_id,
        roles=MANAGERS,
        name=name,
        doing="edit the boundary checklist",
    )
    labels = [item.label for item in checklist(session, production.id)]
    view = checklist_modal(labels, metadata=pack("checklist", p=production.id))
    client.views_open(trigger_id=trigger_id, view=view)
