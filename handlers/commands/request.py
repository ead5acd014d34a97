"""`/closedset request [in PRODUCTION]`: the coordinator's request modal."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.access import pick_production, split_production
from bot.deps import Services
from bot.meta import pack
from handlers.blocks.requests import RequestForm, request_modal
from storage.models import Production, Role, Scene


def request_scenes(session: Session, production: Production, now: datetime) -> list[Scene]:
    """Scenes a request can be about: on the schedule, from today on."""
    return list(
        session.scalars(
            select(Scene)
            .where(
                Scene.production_id == production.id,
                Scene.removed.is_(False),
                Scene.start_at >= now - timedelta(hours=12),
            )
            .options(selectinload(Scene.cast), selectinload(Scene.production))
            .order_by(Scene.start_at, Scene.number)
            .limit(100)
        )
    )


def open_request_modal(
    client: WebClient,
    *,
    trigger_id: str,
    session: Session,
    production: Production,
    now: datetime,
    text: str = "",
    scene_id: int | None = None,
    push: bool = False,
) -> None:
    view = request_modal(
        form=RequestForm(
            channels=list(production.department_channels or []), scene_id=scene_id, text=text
        ),
        scenes=request_scenes(session, production, now),
        metadata=pack("request", p=production.id),
    )
    if push:
        client.views_push(trigger_id=trigger_id, view=view)
    else:
        client.views_open(trigger_id=trigger_id, view=view)


def run(
    *,
    command: dict[str, Any],
    args: str,
    client: WebClient,
    db_session: Session,
    services: Services,
    **_: Any,
) -> None:
    __, name = split_production(f"x {args}")
    production = pick_production(
        db_session,
        team_id=command["team_id"],
        user_id=command["user_id"],
        roles=(Role.COORDINATOR,),
        name=name,
        doing="post requests to departments",
    )
    open_request_modal(
        client,
        trigger_id=command["trigger_id"],
        session=db_session,
        production=production,
        now=services.clock.now(),
    )
