"""A performer's private note, submitted: encrypted, and each coordinator told (the notice
names the scene at most; the note is behind its View button)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.access import Refusal, require
from bot.deps import Deps
from bot.ids import NoteView
from bot.meta import unpack_int
from bot.requests import add_note
from handlers import view_state
from handlers.blocks.boundaries import notice_modal
from handlers.defer import after, team_of
from handlers.home_tab import refresh_coordinators
from storage.db import session_scope
from storage.models import Production, Role, Scene


def handle(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    user_id = body["user"]["id"]
    team_id = team_of(body)
    text = view_state.text(view, NoteView.TEXT).strip()
    if not text:
        ack(response_action="errors", errors={NoteView.TEXT: "Write your note."})
        return
    chosen = view_state.selected(view, NoteView.SCENE)
    with session_scope(deps.session_factory) as session:
        production = session.get(
            Production, unpack_int(view.get("private_metadata", ""), "note", "p")
        )
        try:
            if production is None:
                raise Refusal("This production no longer exists.")
            require(
                session,
                production=production,
                user_id=user_id,
                roles=(Role.PERFORMER,),
                doing="send notes to its coordinator",
            )
        except Refusal as refusal:
            ack(response_action="errors", errors={NoteView.TEXT: str(refusal)})
            return
        scene = session.get(Scene, int(chosen)) if chosen and chosen.isdigit() else None
        if scene is not None and (
            scene.production_id != production.id
            or user_id not in {e.slack_user_id for e in scene.cast}
        ):
            scene = None
        production_id = production.id
        add_note(
            session,
            production=production,
            scene=scene,
            performer=user_id,
            text=text,
            now=deps.clock.now(),
            team_id=team_id,
        )
    ack(
        response_action="update",
        view=notice_modal(
            "Thank you",
            "Your note is with your coordinator, and only with them. They will be in touch.",
        ),
    )
    deps.worker.wake()
    payload = {"production_id": production_id, "team_id": team_id}
    after(deps, refresh_coordinators, payload)
