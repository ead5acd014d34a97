"""`/closedset scene 42A [in PRODUCTION]`: the coordinator's scene intake modal."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.deps import Services
from bot.meta import pack
from handlers.blocks.scene_modal import scene_modal
from handlers.lookups import coordinators_scene
from storage import audit
from storage.secrets import unseal


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
        when=local.strftime("%a %d %b %Y %H:%M")
        + (", after midnight" if scene.after_midnight else ""),
        set_name=scene.set_name,
        intimacy=scene.intimacy,
        closed_set=scene.is_closed_set,
        planned_content=unseal(db_session, scene.planned_content_ct),
        start=local.time(),
        start_estimated=scene.start_estimated,
        metadata=pack("scene", s=scene.id),
        intimacy_undecided=scene.intimacy_undecided,
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
