"""A performer's private note, submitted: the listener only checks there is text; the job
saves it (encrypted) and each coordinator is told (the notice names the scene at most; the note
is behind its View button)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.access import Refusal, require
from bot.deps import Deps
from bot.ids import NoteView
from bot.meta import unpack_int
from bot.requests import add_note
from bot.roles import NO_NOTES_YET, refuse_if_held
from bot.worker import JobContext
from handlers import view_state
from handlers.blocks.boundaries import notice_modal
from handlers.defer import Outcome, saving, shows_outcome
from handlers.home_tab import refresh_coordinators
from storage.db import session_scope
from storage.models import Production, Role, Scene
from storage.scoped import owned

TITLE = "Note to coordinator"


def handle(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    if not view_state.text(view, NoteView.TEXT).strip():
        ack(response_action="errors", errors={NoteView.TEXT: "Write your note."})
        return
    saving(ack, deps, save_note, body, view, title=TITLE, field=NoteView.TEXT)


@shows_outcome(TITLE)
def save_note(job: JobContext, payload: dict[str, Any]) -> Outcome:
    user_id, team_id, view = payload["user_id"], payload["team_id"], payload["view"]
    chosen = view_state.selected(view, NoteView.SCENE)
    with session_scope(job.services.session_factory) as session:
        production = owned(
            session, Production, unpack_int(view["private_metadata"], "note", "p"), team_id=team_id
        )
        if production is None:
            raise Refusal("This production no longer exists.")
        require(
            session,
            production=production,
            team_id=team_id,
            user_id=user_id,
            roles=(Role.PERFORMER,),
            doing="send notes to its coordinator",
        )
        refuse_if_held(session, production_id=production.id, why=NO_NOTES_YET)
        scene = owned(session, Scene, chosen or None, team_id=team_id)
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
            text=view_state.text(view, NoteView.TEXT).strip(),
            now=job.services.clock.now(),
            team_id=team_id,
        )

    def then() -> None:
        job.wake()  # the coordinators' notices
        refresh_coordinators(job, {"production_id": production_id, "team_id": team_id})

    return Outcome(
        notice_modal(
            "Thank you",
            "Your note is with your coordinator, and only with them. They will be in touch.",
        ),
        then,
    )
