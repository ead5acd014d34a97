"""After the scene: a performer's closure answer; the coordinator's View, Mark wrapped and
Start a check-in (from the scene's status modal)."""

from __future__ import annotations

from typing import Any

from bot.access import Refusal
from bot.checkins import Closure, closure_lines, is_wrapped, record_closure, start_round, wrap
from bot.confirmations import offline_states, scene_states
from bot.meta import unpack_int
from bot.worker import JobContext
from handlers.blocks.boundaries import status_modal
from handlers.blocks.checkin import closure_modal
from handlers.blocks.messages import one_line
from handlers.coordinator_reads import audit_read, coordinator_of
from handlers.defer import submitting
from storage.db import session_scope
from storage.models import Scene
from storage.scoped import owned

THANKS = {
    Closure.OK: "Thank you. Your coordinator sees your answer; nobody else does.",
    Closure.NOT_OK: "Thank you for saying so. Your coordinator has been told, privately, and "
    "will be in touch.",
    Closure.TALK: "Your coordinator has been told, privately, that you would like to talk. "
    "They will be in touch.",
}


def _answer(answer: Closure) -> Any:
    def job(ctx: JobContext, payload: dict[str, str]) -> None:
        with session_scope(ctx.services.session_factory) as session:
            scene = owned(
                session,
                Scene,
                unpack_int(payload["value"], "closure", "s"),
                team_id=payload["team_id"],
            )
            if scene is None or scene.removed:
                raise Refusal("This scene is no longer on the schedule.")
            record_closure(
                session,
                scene,
                performer=payload["user_id"],
                answer=answer,
                now=ctx.services.clock.now(),
            )
        ctx.wake()
        ctx.respond()(text=THANKS[answer], response_type="ephemeral", replace_original=False)

    job.__name__ = f"closure_{answer.value}"
    return job


def view(ctx: JobContext, payload: dict[str, str]) -> None:
    with session_scope(ctx.services.session_factory) as session:
        scene = owned(
            session, Scene, unpack_int(payload["value"], "closure", "s"), team_id=payload["team_id"]
        )
        if scene is None:
            raise Refusal("This scene is no longer on the schedule.")
        coordinator_of(session, scene, payload)
        modal = closure_modal(scene, closure_lines(session, scene))
        audit_read(session, ctx, payload, scene, "closure.read")
    ctx.client.views_open(trigger_id=payload["trigger_id"], view=modal)


def _from_status(ctx: JobContext, payload: dict[str, str], *, start: bool) -> None:
    """Mark wrapped, or start a check-in, from the status modal; the modal then says so."""
    now = ctx.services.clock.now()
    with session_scope(ctx.services.session_factory) as session:
        scene = owned(
            session, Scene, unpack_int(payload["value"], "status", "s"), team_id=payload["team_id"]
        )
        if scene is None or scene.removed:
            raise Refusal("This scene is no longer on the schedule.")
        coordinator_of(session, scene, payload)
        if start:
            round_ = start_round(session, scene=scene, by=payload["user_id"], now=now)
            note = (
                f"Check-in {round_.number} is on its way to {len(round_.performers)} performer(s)."
            )
        else:
            done = wrap(session, scene, by=payload["user_id"], now=now)
            note = (
                "Wrapped: the closure questions are on their way." if done else "Already wrapped."
            )
        view = status_modal(
            scene,
            scene_states(session, scene),
            zone=scene.production.time_zone,
            offline=offline_states(scene),
            wrapped=is_wrapped(scene, now),
        )
    ctx.wake()
    view["blocks"][:0] = one_line(f"*{note}*")
    if payload.get("view_id") and payload.get("view_type") != "home":
        ctx.client.views_update(view_id=payload["view_id"], view=view)


def start_checkin(ctx: JobContext, payload: dict[str, str]) -> None:
    _from_status(ctx, payload, start=True)


def mark_wrapped(ctx: JobContext, payload: dict[str, str]) -> None:
    _from_status(ctx, payload, start=False)


ok_clicked = submitting(_answer(Closure.OK))
not_ok_clicked = submitting(_answer(Closure.NOT_OK))
talk_clicked = submitting(_answer(Closure.TALK))
view_clicked = submitting(view, urgent=True)
start_checkin_clicked = submitting(start_checkin)
wrap_clicked = submitting(mark_wrapped)
