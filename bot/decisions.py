"""A coordinator's decisions on what a schedule left open (the to-dos of their Home tab):
whether a scene whose intimacy the file left undecided is intimate, and that someone who
cannot be asked in Slack was confirmed with in person.

Each checks that the person deciding is a coordinator of the scene's production, re-plans
what the scene sends, and writes an audit record of ids only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.access import Refusal, require
from bot.confirmations import offline_states
from storage import audit, deliveries
from storage.db import lock_row
from storage.models import Role, Scene
from storage.scoped import owned


def coordinators_scene(
    session: Session, *, scene_id: int, team_id: str, user_id: str, doing: str
) -> Scene:
    """The scene of workspace `team_id`, locked for the decision, if the caller coordinates
    its production."""
    lock_row(session, Scene.revision, scene_id)
    scene = owned(session, Scene, scene_id, team_id=team_id, fresh=True)
    if scene is None or scene.removed:
        raise Refusal("This scene is no longer on the schedule.")
    require(
        session,
        production=scene.production,
        team_id=team_id,
        user_id=user_id,
        roles=(Role.COORDINATOR,),
        doing=doing,
    )
    return scene


def decide_intimacy(
    session: Session, *, scene: Scene, intimate: bool, actor: str, team_id: str, now: datetime
) -> str:
    """The coordinator's word on whether the scene is intimate; later imports keep it.

    Intimate: the performers, already being asked, go on being asked. Not intimate: whatever
    was planned for the scene is cancelled, and a performer already asked is told it is off.
    """
    changed: frozenset[str] = frozenset()
    if intimate and not scene.intimacy:
        # What was planned for it was cancelled: a new revision is asked afresh.
        scene.revision += 1
        changed = frozenset({"intimacy"})
    scene.intimacy = intimate
    scene.intimacy_undecided = False
    scene.intimacy_by_coordinator = True
    scene.updated_at = now
    deliveries.sync_scene(session, scene, now=now, changed=changed)
    audit.record(
        session,
        at=now,
        team_id=team_id,
        actor=actor,
        action="scene.intimacy.decide",
        production_id=scene.production_id,
        subject=f"scene:{scene.number}",
        detail={"intimate": intimate, "revision": scene.revision},
    )
    if intimate:
        return f"Scene {scene.number} is intimate: its performers are asked before it shoots."
    return (
        f"Scene {scene.number} is not intimate: nothing more is sent about it, and anyone "
        "already asked is told it is off."
    )


def confirm_in_person(
    session: Session, *, scene: Scene, cast_number: str, actor: str, team_id: str, now: datetime
) -> str:
    """The coordinator confirmed with cast member `cast_number`, who cannot be asked in Slack,
    in person, for the scene as it is now (a later change to the scene needs it again)."""
    if cast_number not in {o.cast_number for o in offline_states(scene)}:
        raise Refusal(
            f"Cast {cast_number} is no longer someone to confirm with in person for scene "
            f"{scene.number}."
        )
    scene.in_person = {**(scene.in_person or {}), cast_number: scene.revision}
    scene.updated_at = now
    audit.record(
        session,
        at=now,
        team_id=team_id,
        actor=actor,
        action="scene.in_person.confirm",
        production_id=scene.production_id,
        subject=f"scene:{scene.number}",
        detail={"cast_number": cast_number, "revision": scene.revision},
    )
    return f"Scene {scene.number}: cast {cast_number} noted as confirmed in person."
