"""`/closedset audit [in PRODUCTION]`: the production's audit log in a modal, for its admins
and coordinators (see `handlers.audit_pages`)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.access import MANAGERS, pick_production, split_production
from bot.deps import Services
from handlers.audit_pages import DOING, Page, page_view


def run(
    *,
    command: dict[str, Any],
    args: str,
    client: WebClient,
    db_session: Session,
    services: Services,
    **_: Any,
) -> None:
    production = pick_production(
        db_session,
        team_id=command["team_id"],
        user_id=command["user_id"],
        roles=MANAGERS,
        name=split_production(f" {args}")[1],
        doing=DOING,
    )
    view = page_view(
        db_session,
        production=production,
        page=Page(production.id),
        actor=command["user_id"],
        now=services.clock.now(),
    )
    client.views_open(trigger_id=command["trigger_id"], view=view)
