"""Saving the scene intake modal. What the coordinator sets here outranks later imports."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack
from sqlalchemy.orm import Session

from bot.access import Refusal, require
from bot.deps import Deps
from bot.ids import SceneView
from bot.meta import unpack_int
from bot.schedule.workday import on_working_day, working_day
from handlers import view_state
from handlers.defer import after
from handlers.home_tab import refresh_production
from storage import audit, deliveries
from storage.db import session_scope
from storage.models import Role, Scene
from storage.secrets import seal, unseal


def _save(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], db_session: Session, deps: Deps
) -> int | None:
    user_id = body["user"]["id"]
    scene = db_session.get(Scene, unpack_int(view.get("private_metadata", ""), "scene", "s"))
    if scene is None or scene.removed:
        ack(
            response_action="errors",
            errors={SceneView.CONTENT: "This scene is no longer on the schedule."},
        )
        return None
    try:
        require(
            db_session,
            production=scene.production,
            user_id=user_id,
            roles=(Role.COORDINATOR,),
            doing="edit a scene",
        )
    except Refusal as refusal:
        ack(response_action="errors", errors={SceneView.CONTENT: str(refusal)})
        return None
    zone = ZoneInfo(scene.production.time_zone)
    try:
        chosen = time.fromisoformat(view_state.time_of_day(view, SceneView.START))
        # On the scene's working day: 23:00 for a scene at 01:30 after midnight is the evening
        # before it, and 01:00 in a night shoot called at 18:00 the morning after the call.
        day = working_day(scene.shoot_date, after_midnight=scene.after_midnight)
        new_start, after_midnight = on_working_day(day, chosen, scene.day_call, zone)
    except ValueError as error:
        ack(response_action="errors", errors={SceneView.START: str(error) or "Pick a time."})
        return None
    content = view_state.text(view, SceneView.CONTENT).strip() or None
    intimacy = view_state.checked(view, SceneView.INTIMACY)
    now = deps.clock.now()
    # What performers confirm: a change to any of it lapses their answers (see apply_diff).
    grew = set()
    if content != unseal(db_session, scene.planned_content_ct):
        scene.planned_content_ct = seal(db_session, content)
        grew.add("content")
    if abs(new_start - scene.start_at) > timedelta(minutes=scene.production.move_tolerance_minutes):
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
    deliveries.sync_scene(db_session, scene, now=now, changed=frozenset(grew))
    audit.record(
        db_session,
        at=now,
        team_id=body["user"]["team_id"],
        actor=user_id,
        action="scene.update",
        production_id=scene.production_id,
        subject=f"scene:{scene.number}",
        detail={"revision": scene.revision, **decided},
    )
    ack()
    return scene.production_id


def handle(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    with session_scope(deps.session_factory) as db_session:
        production_id = _save(ack, body, view, db_session, deps)
        team_id = body["user"].get("team_id") or body.get("team", {}).get("id", "")
    if production_id is not None:
        deps.worker.wake()
        payload = {"production_id": production_id, "team_id": team_id}
        after(deps, refresh_production, payload)
