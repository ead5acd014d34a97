"""The coordinator's to-dos on the Home tab: deciding a scene's intimacy, and noting that
someone who cannot be asked in Slack was confirmed with in person. The Home tabs then show the
outcome: everyone's after a decision (an intimate scene appears or goes for ADs and
performers too), the coordinators' after a confirmation in person."""

from __future__ import annotations

from typing import Any

from bot.decisions import confirm_in_person, coordinators_scene, decide_intimacy
from bot.meta import unpack
from bot.worker import JobContext
from handlers.defer import submitting
from handlers.home_tab import refresh_coordinators, refresh_production
from storage.db import session_scope


def _decide(intimate: bool) -> Any:
    def job(ctx: JobContext, payload: dict[str, str]) -> None:
        ids = unpack(payload["value"], "todo")
        with session_scope(ctx.services.session_factory) as session:
            scene = coordinators_scene(
                session,
                scene_id=int(ids["s"]),
                team_id=payload["team_id"],
                user_id=payload["user_id"],
                doing="decide whether a scene is intimate",
            )
            decide_intimacy(
                session,
                scene=scene,
                intimate=intimate,
                actor=payload["user_id"],
                team_id=payload["team_id"],
                now=ctx.services.clock.now(),
            )
            production_id = scene.production_id
        ctx.wake()  # "it is off" notices go now
        refresh_production(ctx, {"production_id": production_id, "team_id": payload["team_id"]})

    job.__name__ = "intimate" if intimate else "not_intimate"
    return job


def in_person(ctx: JobContext, payload: dict[str, str]) -> None:
    ids = unpack(payload["value"], "todo")
    with session_scope(ctx.services.session_factory) as session:
        scene = coordinators_scene(
            session,
            scene_id=int(ids["s"]),
            team_id=payload["team_id"],
            user_id=payload["user_id"],
            doing="confirm with a cast member in person",
        )
        confirm_in_person(
            session,
            scene=scene,
            cast_number=str(ids["c"]),
            actor=payload["user_id"],
            team_id=payload["team_id"],
            now=ctx.services.clock.now(),
        )
        production_id = scene.production_id
    # Only coordinators see who was confirmed in person.
    refresh_coordinators(ctx, {"production_id": production_id, "team_id": payload["team_id"]})


intimate_clicked = submitting(_decide(True))
not_intimate_clicked = submitting(_decide(False))
in_person_clicked = submitting(in_person)
