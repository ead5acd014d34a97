"""A performer's note modal: from `/closedset note` and the Note button of a prompt."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.access import pick_production
from bot.meta import pack
from bot.roles import NO_NOTES_YET, refuse_if_held
from handlers.blocks.requests import note_modal
from handlers.lookups import performer_scenes
from storage.models import Role


def open_note_modal(
    client: WebClient,
    *,
    trigger_id: str,
    session: Session,
    team_id: str,
    user_id: str,
    name: str | None,
    scene_id: int | None,
    now: Any,
) -> None:
    production = pick_production(
        session,
        team_id=team_id,
        user_id=user_id,
        roles=(Role.PERFORMER,),
        name=name,
        doing="send a private note to the coordinator",
    )
    refuse_if_held(session, production_id=production.id, why=NO_NOTES_YET)
    scenes = [
        s
        for s in performer_scenes(session, team_id=team_id, user_id=user_id, now=now)
        if s.production_id == production.id
    ]
    view = note_modal(scenes=scenes, metadata=pack("note", p=production.id), scene_id=scene_id)
    client.views_open(trigger_id=trigger_id, view=view)
