"""The "Purge answers now" button of a wrapped scene's status modal: a coordinator deletes the
scene's answers, notes and planned content before its retention runs out (`storage.purge`)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from bot.access import Refusal
from bot.checkins import is_wrapped
from bot.confirmations import offline_states, scene_states
from bot.meta import unpack_int
from bot.worker import JobContext
from handlers.blocks.boundaries import notice_modal, status_modal
from handlers.coordinator_reads import coordinator_of
from handlers.defer import submitting
from storage.db import session_scope
from storage.models import Scene
from storage.purge import checkpoint, purge_scene
from storage.scoped import owned


def _purge(ctx: JobContext, payload: dict[str, str]) -> tuple[dict[str, Any], int]:
    """The purge, checked again here (the button may be old, or not the clicker's): the
    scene in the clicker's workspace, the clicker its coordinator, the scene wrapped."""
    now = ctx.services.clock.now()
    with session_scope(ctx.services.session_factory) as session:
        scene = owned(
            session, Scene, unpack_int(payload["value"], "status", "s"), team_id=payload["team_id"]
        )
        if scene is None:
            raise Refusal("This scene is no longer on the schedule.")
        coordinator_of(session, scene, payload)
        if not is_wrapped(scene, now):
            raise Refusal("This scene has not wrapped yet: its answers can be purged after it.")
        purged = purge_scene(session, scene, now=now, actor=payload["user_id"])
        view = status_modal(
            scene,
            scene_states(session, scene),
            zone=scene.production.time_zone,
            offline=offline_states(scene),
            wrapped=True,
        )
    with ctx.services.session_factory() as session:
        checkpoint(session)
    return view, purged.total


def purge_now(ctx: JobContext, payload: dict[str, str]) -> None:
    in_modal = bool(payload.get("view_id")) and payload.get("view_type") != "home"
    try:
        view, total = _purge(ctx, payload)
    except Refusal as refusal:
        if not in_modal:
            raise  # told through the click's response_url, if it has one
        ctx.client.views_update(
            view_id=payload["view_id"], view=notice_modal("Not purged", str(refusal))
        )
        return
    note = (
        f"*Purged:* {total} item(s) deleted for good (answers, notes, planned content)."
        if total
        else "*Nothing left to purge* for this scene."
    )
    view["blocks"].insert(0, SectionBlock(text=MarkdownTextObject(text=note)).to_dict())
    if in_modal:
        ctx.client.views_update(view_id=payload["view_id"], view=view)


purge_clicked = submitting(purge_now)
