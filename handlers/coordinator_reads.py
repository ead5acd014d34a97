"""A coordinator reading about a scene (answers, status, closure): who may, and the audit
record of the read."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.access import require
from bot.worker import JobContext
from storage import audit
from storage.models import Role, Scene


def coordinator_of(session: Session, scene: Scene, payload: dict[str, str]) -> None:
    """Refused unless the clicker (`payload`'s user, in its verified workspace) coordinates
    the scene's production."""
    require(
        session,
        production=scene.production,
        team_id=payload["team_id"],
        user_id=payload["user_id"],
        roles=(Role.COORDINATOR,),
        doing="see performers' answers",
    )


def audit_read(
    session: Session,
    job: JobContext,
    payload: dict[str, str],
    scene: Scene,
    what: str,
    *,
    performer: str | None = None,
) -> None:
    """`performer`: whose answers were read, when one person's were (the audit log's "about")."""
    audit.record(
        session,
        at=job.services.clock.now(),
        team_id=payload["team_id"],
        actor=payload["user_id"],
        action=what,
        production_id=scene.production_id,
        subject=f"scene:{scene.number}",
        detail={audit.PERFORMER: performer} if performer else None,
    )
