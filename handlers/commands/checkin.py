"""`/closedset checkin 42A [in PRODUCTION]`: a coordinator starts a check-in round."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from sqlalchemy.orm import Session

from bot.access import Refusal, pick_production, split_production
from bot.checkins import start_round
from bot.deps import Services
from bot.schedule.csv_format import normalize_scene_number
from storage.models import Role
from storage.scenes import get_scene


def run(
    *,
    command: dict[str, Any],
    args: str,
    respond: Respond,
    db_session: Session,
    services: Services,
    **_: Any,
) -> None:
    text, name = split_production(args)
    if not text:
        raise Refusal("Which scene? For example `/closedset checkin 42A`.")
    production = pick_production(
        db_session,
        team_id=command["team_id"],
        user_id=command["user_id"],
        roles=(Role.COORDINATOR,),
        name=name,
        doing="start a check-in",
    )
    number = normalize_scene_number(text)
    scene = get_scene(db_session, production_id=production.id, number=number)
    if scene is None or scene.removed:
        raise Refusal(f"There is no scene {number[:20]} on the {production.name} schedule.")
    round_ = start_round(db_session, scene=scene, by=command["user_id"], now=services.clock.now())
    db_session.flush()
    respond(
        text=f"Check-in {round_.number} for scene {scene.number} is on its way to "
        f"{len(round_.performers)} performer{'s' if len(round_.performers) != 1 else ''}. "
        "Your live message counts the answers.",
        response_type="ephemeral",
    )
