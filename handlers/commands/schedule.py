"""`/closedset schedule [in PRODUCTION]`: upcoming scenes for coordinators and ADs."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Respond
from sqlalchemy.orm import Session

from bot.access import pick_production, split_production
from bot.deps import Services
from handlers.blocks.schedule_list import PAGE_SIZE, SceneLine, schedule_blocks
from storage import audit
from storage.models import Production, Role
from storage.scenes import upcoming

VIEWERS = (Role.COORDINATOR, Role.AD, Role.ADMIN)


def page_blocks(
    session: Session, *, production: Production, services: Services, offset: int, actor: str
) -> list[dict[str, Any]]:
    now = services.clock.now()
    scenes, total = upcoming(
        session, production_id=production.id, since=now, offset=offset, limit=PAGE_SIZE
    )
    audit.record(
        session,
        at=now,
        team_id=production.workspace.team_id,
        actor=actor,
        action="schedule.read",
        production_id=production.id,
        detail={"offset": offset},
    )
    lines = [
        SceneLine(
            number=s.number,
            start_at=s.start_at,
            start_estimated=s.start_estimated,
            set_name=s.set_name,
            intimacy=s.intimacy,
            closed_set=s.is_closed_set,
            cast_count=len(s.cast),
        )
        for s in scenes
    ]
    return schedule_blocks(
        production=production.name,
        production_id=production.id,
        zone=ZoneInfo(production.time_zone),
        scenes=lines,
        offset=offset,
        total=total,
    )


def run(
    *,
    command: dict[str, Any],
    args: str,
    respond: Respond,
    db_session: Session,
    services: Services,
    **_: Any,
) -> None:
    name = split_production(args)[1]
    production = pick_production(
        db_session,
        team_id=command["team_id"],
        user_id=command["user_id"],
        roles=VIEWERS,
        name=name,
        doing="see the shooting schedule",
    )
    blocks = page_blocks(
        db_session, production=production, services=services, offset=0, actor=command["user_id"]
    )
    respond(blocks=blocks, text=f"{production.name}: upcoming scenes", response_type="ephemeral")
