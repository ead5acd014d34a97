"""`/closedset boundaries`: a performer's upcoming intimate scenes, each with its buttons, so
they can review, change or withdraw at any time (an ephemeral message: seen by them only)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from sqlalchemy.orm import Session

from bot.delivery.content import Upcoming, scene_ref
from bot.deps import Services
from handlers.blocks.messages import upcoming_scenes
from handlers.lookups import performer_scenes
from storage.boundaries import current

MAX_SCENES = 15  # 3 blocks each, well inside a message's 50


def run(
    *, command: dict[str, Any], respond: Respond, db_session: Session, services: Services, **_: Any
) -> None:
    user_id = command["user_id"]
    scenes = performer_scenes(
        db_session,
        team_id=command["team_id"],
        user_id=user_id,
        now=services.clock.now(),
        limit=MAX_SCENES + 1,
    )
    if not scenes:
        respond(
            text="You have no upcoming intimate scenes. When you do, I will message you "
            "before each one.",
            response_type="ephemeral",
        )
        return
    out = upcoming_scenes(
        [
            Upcoming(
                scene_ref(scene),
                scene.production.name,
                answered=current(db_session, scene, user_id) is not None,
            )
            for scene in scenes[:MAX_SCENES]
        ],
        more=len(scenes) > MAX_SCENES,
    )
    respond(blocks=out.blocks, text=out.text, response_type="ephemeral")
