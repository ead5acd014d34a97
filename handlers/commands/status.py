"""`/closedset status 42A [in PRODUCTION]`: where each performer stands, in a modal (a
coordinator's view; no message ever pairs a performer with a status)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.access import Refusal, pick_production, split_production
from bot.confirmations import scene_states
from bot.deps import Services
from bot.schedule.csv_format import normalize_scene_number
from handlers.blocks.boundaries import status_modal
from storage import audit
from storage.models import Role
from storage.scenes import get_scene


def run(
    *,
    command: dict[str, Any],
    args: str,
    client: WebClient,
    db_session: Session,
    services: Services,
    **_: Any,
) -> None:
    text, name = split_production(args)
    if not text:
        raise Refusal("Which scene? For example `/closedset status 42A`.")
    production = pick_production(
        db_session,
        team_id=command["team_id"],
        user_id=command["user_id"],
        roles=(Role.COORDINATOR,),
        name=name,
        doing="see where performers stand",
    )
    number = normalize_scene_number(text)
    scene = get_scene(db_session, production_id=production.id, number=number)
    if scene is None or scene.removed:
        raise Refusal(
            f"There is no scene {number[:20]} on the {production.name} schedule. Check the "
            "number with `/closedset schedule`."
        )
    view = status_modal(scene, scene_states(db_session, scene), zone=production.time_zone)
    audit.record(
        db_session,
        at=services.clock.now(),
        team_id=command["team_id"],
        actor=command["user_id"],
        action="boundaries.status.read",
        production_id=production.id,
        subject=f"scene:{scene.number}",
    )
    client.views_open(trigger_id=command["trigger_id"], view=view)
