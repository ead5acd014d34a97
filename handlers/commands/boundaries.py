"""`/closedset boundaries`: a performer's upcoming intimate scenes, each with its buttons, so
they can review, change or withdraw at any time (an ephemeral message: seen by them only)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from sqlalchemy.orm import Session

from bot.delivery.messages import performer_actions, scene_line
from bot.deps import Services
from bot.text import mrkdwn_escape
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
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*Your upcoming intimate scenes*\nWhat is planned and your answers open "
                "in a private window; only your coordinator sees them.",
            },
        }
    ]
    for scene in scenes[:MAX_SCENES]:
        answered = current(db_session, scene, user_id) is not None
        blocks.append({"type": "divider"})
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*Scene {scene.number}* · {mrkdwn_escape(scene.production.name)}\n"
                    f"{scene_line(scene)}",
                },
            }
        )
        blocks.append(performer_actions(scene, answered=answered))
    if len(scenes) > MAX_SCENES:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"Showing the next {MAX_SCENES}."}],
            }
        )
    respond(blocks=blocks, text="Your upcoming intimate scenes", response_type="ephemeral")
