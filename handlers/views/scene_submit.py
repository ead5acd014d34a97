"""Saving the scene intake modal. What the coordinator sets here outranks later imports. The
listener checks that a start time was picked; the job saves the scene, and a time the clocks
skip on its working day shows the form again saying so."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack

from bot.access import Refusal, require
from bot.deps import Deps
from bot.ids import SceneView
from bot.meta import unpack_int
from bot.schedule.workday import on_working_day, working_day
from bot.worker import JobContext
from handlers import view_state
from handlers.blocks.boundaries import notice_modal
from handlers.blocks.saving import with_problem
from handlers.blocks.scene_modal import scene_modal
from handlers.defer import Outcome, saving, shows_outcome
from handlers.home_tab import refresh_production
from storage import audit, deliveries
from storage.db import session_scope
from storage.models import Role, Scene
from storage.scoped import owned
from storage.secrets import seal, unseal

TITLE = "Scene"


def handle(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    if _start(view) is None:
        ack(response_action="errors", errors={SceneView.START: "Pick a time."})
        return
    saving(ack, deps, save_scene, body, view, title=TITLE, field=SceneView.START)


def _start(view: dict[str, Any]) -> time | None:
    try:
        return time.fromisoformat(view_state.time_of_day(view, SceneView.START))
    except ValueError:
        return None


@shows_outcome(TITLE)
def save_scene(job: JobContext, payload: dict[str, Any]) -> Outcome:
    user_id, view = payload["user_id"], payload["view"]
    chosen = _start(view)
    if chosen is None:
        raise Refusal("This form is out of date.")
    now = job.services.clock.now()
    with session_scope(job.services.session_factory) as session:
        scene = owned(
            session,
            Scene,
            unpack_int(view["private_metadata"], "scene", "s"),
            team_id=payload["team_id"],
        )
        if scene is None or scene.removed:
            raise Refusal("This scene is no longer on the schedule.")
        require(
            session,
            production=scene.production,
            team_id=payload["team_id"],
            user_id=user_id,
            roles=(Role.COORDINATOR,),
            doing="edit a scene",
        )
        zone = ZoneInfo(scene.production.time_zone)
        content = view_state.text(view, SceneView.CONTENT).strip() or None
        intimacy = view_state.checked(view, SceneView.INTIMACY)
        try:
            # On the scene's working day: 23:00 for a scene at 01:30 after midnight is the
            # evening before it, and 01:00 in a night shoot called at 18:00 the morning after.
            day = working_day(scene.shoot_date, after_midnight=scene.after_midnight)
            new_start, after_midnight = on_working_day(day, chosen, scene.day_call, zone)
        except ValueError as error:
            form = _form_again(scene, view, zone, content=content, intimacy=intimacy)
            problem = f"Start time: {str(error) or 'pick another time.'}"
            return Outcome(with_problem(form, problem))
        # What performers confirm: a change to any of it lapses their answers (see apply_diff).
        grew = set()
        if content != unseal(session, scene.planned_content_ct):
            scene.planned_content_ct = seal(session, content)
            grew.add("content")
        tolerance = timedelta(minutes=scene.production.move_tolerance_minutes)
        if abs(new_start - scene.start_at) > tolerance:
            grew.add("time")
        if intimacy and not scene.intimacy:
            grew.add("intimacy")
        decided = {"intimacy_decided": intimacy} if scene.intimacy_undecided else {}
        if grew:
            scene.revision += 1
        scene.planned_content_by_coordinator = True
        scene.intimacy = intimacy
        scene.intimacy_undecided = False  # saving the form is the coordinator's decision
        scene.intimacy_by_coordinator = True
        scene.closed_set = view_state.checked(view, SceneView.CLOSED_SET)
        if scene.start_estimated or new_start != scene.start_at:
            scene.start_at = new_start
            scene.shoot_date = new_start.astimezone(zone).date()
            scene.after_midnight = after_midnight
            scene.start_time_override = chosen
            scene.start_estimated = False
        scene.updated_at = now
        deliveries.sync_scene(session, scene, now=now, changed=frozenset(grew))
        audit.record(
            session,
            at=now,
            team_id=payload["team_id"],
            actor=user_id,
            action="scene.update",
            production_id=scene.production_id,
            subject=f"scene:{scene.number}",
            detail={"revision": scene.revision, **decided},
        )
        number, production_id = scene.number, scene.production_id

    def then() -> None:
        job.wake()  # prompts the change made due now
        refresh_production(job, {"production_id": production_id, "team_id": payload["team_id"]})

    return Outcome(notice_modal(f"Scene {number}", f"Scene {number} is saved."), then)


def _form_again(
    scene: Scene, view: dict[str, Any], zone: ZoneInfo, *, content: str | None, intimacy: bool
) -> dict[str, Any]:
    """The scene's form with what the coordinator entered."""
    local = scene.start_at.astimezone(zone)
    return scene_modal(
        number=scene.number,
        when=local.strftime("%a %d %b %Y %H:%M")
        + (", after midnight" if scene.after_midnight else ""),
        set_name=scene.set_name,
        intimacy=intimacy,
        closed_set=view_state.checked(view, SceneView.CLOSED_SET),
        planned_content=content,
        start=_start(view) or local.time(),
        start_estimated=scene.start_estimated,
        metadata=view["private_metadata"],
        intimacy_undecided=scene.intimacy_undecided,
    )
