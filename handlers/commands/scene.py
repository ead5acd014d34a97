"""`/closedset scene 42A [in PRODUCTION]`: the coordinator's scene intake modal."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.access import Refusal, pick_production, split_production
from bot.deps import Services
from bot.meta import pack
from bot.schedule.csv_format import normalize_scene_number
from handlers.blocks.scene_modal import scene_modal
from storage import audit
from storage.models import Role, Scene
from storage.scenes import get_scene
from storage.secrets import unseal


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


def run(
    *,
    command: dict[str, Any],
    args: str,
    client: WebClient,
    db_session: Session,
    services: Services,
    **_: Any,
) -> None:
    scene = coordinators_scene(db_session, command, args, word="scene", doing="edit a scene")
    production = scene.production
    zone = ZoneInfo(production.time_zone)
    local = scene.start_at.astimezone(zone)
    view = scene_modal(
        number=scene.number,
        when=local.strftime("%a %d %b %Y %H:%M"),
        set_name=scene.set_name,
        intimacy=scene.intimacy,
        closed_set=scene.is_closed_set,
        planned_content=unseal(db_session, scene.planned_content_ct),
        start=local.time(),
        start_estimated=scene.start_estimated,
        metadata=pack("scene", s=scene.id),
    )
    audit.record(
        db_session,
        at=services.clock.now(),
        team_id=command["team_id"],
        actor=command["user_id"],
        action="scene.planned_content.read",
        production_id=production.id,
        subject=f"scene:{scene.number}",
    )
    client.views_open(trigger_id=command["trigger_id"], view=view)
