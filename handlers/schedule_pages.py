"""A page of the shooting schedule list, for coordinators and ADs: from `/closedset schedule`
and its Earlier / Later buttons."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.deps import Services
from handlers.blocks.schedule_list import PAGE_SIZE, SceneLine, schedule_blocks
from storage import audit
from storage.models import Production, Role
from storage.scenes import upcoming_counted

VIEWERS = (Role.COORDINATOR, Role.AD, Role.ADMIN)


def page_blocks(
    session: Session, *, production: Production, services: Services, offset: int, actor: str
) -> list[dict[str, Any]]:
    now = services.clock.now()
    scenes, total = upcoming_counted(
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
            cast_count=listed + len(s.unlisted_cast),
            intimacy_undecided=s.intimacy_undecided,
            after_midnight=s.after_midnight,
        )
        for s, listed in scenes
    ]
    return schedule_blocks(
        production=production.name,
        production_id=production.id,
        zone=ZoneInfo(production.time_zone),
        scenes=lines,
        offset=offset,
        total=total,
    )
