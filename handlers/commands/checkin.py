"""`/closedset checkin 42A [in PRODUCTION]`: a coordinator starts a check-in round."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from sqlalchemy.orm import Session

from bot.checkins import start_round
from bot.deps import Services
from handlers.lookups import coordinators_scene


def run(
    *,
    command: dict[str, Any],
    args: str,
    respond: Respond,
    db_session: Session,
    services: Services,
    **_: Any,
) -> None:
    scene = coordinators_scene(db_session, command, args, word="checkin", doing="start a check-in")
    round_ = start_round(db_session, scene=scene, by=command["user_id"], now=services.clock.now())
    db_session.flush()
    respond(
        text=f"Check-in {round_.number} for scene {scene.number} is on its way to "
        f"{len(round_.performers)} performer{'s' if len(round_.performers) != 1 else ''}. "
        "Your live message counts the answers.",
        response_type="ephemeral",
    )
