"""Finding the scenes a command is about: the scene a coordinator names, and a performer's
upcoming intimate scenes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.access import Refusal, pick_production, split_production
from bot.schedule.csv_format import normalize_scene_number
from storage.models import CastEntry, Production, Role, Scene, SceneCast, Workspace
from storage.scenes import get_scene


def coordinators_scene(
    session: Session, command: dict[str, Any], args: str, *, word: str, doing: str
) -> Scene:
    """The scene `args` names (`42A [in PRODUCTION]`) in a production the caller coordinates,
    or a Refusal that says what to do."""
    text, name = split_production(args)
    if not text:
        raise Refusal(f"Which scene? For example `/closedset {word} 42A`.")
    production = pick_production(
        session,
        team_id=command["team_id"],
        user_id=command["user_id"],
        roles=(Role.COORDINATOR,),
        name=name,
        doing=doing,
    )
    number = normalize_scene_number(text)
    scene = get_scene(session, production_id=production.id, number=number)
    if scene is None or scene.removed:
        raise Refusal(
            f"There is no scene {number[:20]} on the {production.name} schedule. Upload the "
            "schedule first, or check the number with `/closedset schedule`."
        )
    return scene


def performer_scenes(
    session: Session, *, team_id: str, user_id: str, now: datetime, limit: int = 100
) -> list[Scene]:
    """A performer's intimate scenes on the schedule, from today on, in time order (none of a
    held production: it asks them nothing, `bot.roles`)."""
    since = now - timedelta(hours=12)  # today's scenes still count
    return list(
        session.scalars(
            select(Scene)
            .join(SceneCast, SceneCast.scene_id == Scene.id)
            .join(CastEntry, CastEntry.id == SceneCast.cast_entry_id)
            .join(Production, Production.id == Scene.production_id)
            .join(Workspace, Workspace.id == Production.workspace_id)
            .where(
                Workspace.team_id == team_id,
                Production.held.is_(False),
                CastEntry.slack_user_id == user_id,
                Scene.intimacy.is_(True),
                Scene.removed.is_(False),
                Scene.start_at >= since,
            )
            .options(selectinload(Scene.production))
            .order_by(Scene.start_at)
            .distinct()
            .limit(limit)
        )
    )
