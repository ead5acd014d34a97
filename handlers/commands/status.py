"""`/closedset status 42A [in PRODUCTION]`: where each performer stands, in a modal (a
coordinator's view; no message ever pairs a performer with a status)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.checkins import is_wrapped
from bot.confirmations import offline_states, scene_states
from bot.deps import Services
from handlers.blocks.boundaries import status_modal
from handlers.lookups import coordinators_scene
from storage import audit


def run(
    *,
    command: dict[str, Any],
    args: str,
    client: WebClient,
    db_session: Session,
    services: Services,
    **_: Any,
) -> None:
    scene = coordinators_scene(
        db_session, command, args, word="status", doing="see where performers stand"
    )
    production = scene.production
    view = status_modal(
        scene,
        scene_states(db_session, scene),
        zone=production.time_zone,
        offline=offline_states(scene),
        wrapped=is_wrapped(scene, services.clock.now()),
    )
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
