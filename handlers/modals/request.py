"""The coordinator's request modal: from `/closedset request`, the Home tab, a note turned
into a request, and again with the concerns a submitted request raised."""

from __future__ import annotations

from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.access import pick_production
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


def open_new_request(
    client: WebClient,
    *,
    trigger_id: str,
    session: Session,
    team_id: str,
    user_id: str,
    name: str | None,
    now: datetime,
) -> None:
    """An empty request modal for the production `name`s (or the caller's only one), if the
    caller coordinates it."""
    production = pick_production(
        session,
        team_id=team_id,
        user_id=user_id,
        roles=(Role.COORDINATOR,),
        name=name,
        doing="post requests to departments",
    )
    open_request_modal(
        client, trigger_id=trigger_id, session=session, production=production, now=now
    )
