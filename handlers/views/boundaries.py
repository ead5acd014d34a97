"""A performer's Confirm and boundaries forms, submitted. The listener checks that every item
has a choice; the job records the answer and replaces "Saving…" with what it did (or why not),
then the prompt messages are updated in place and the coordinators told."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from sqlalchemy import select

from bot.access import Refusal
from bot.confirmations import Outcome as Answered
from bot.confirmations import answer, live_scene
from bot.deps import Deps
from bot.ids import VALUE, ChangesView
from bot.meta import unpack
from bot.worker import JobContext
from handlers.answered import after_answer
from handlers.blocks.boundaries import notice_modal
from handlers.defer import Outcome, saving, shows_outcome
from storage.boundaries import Boundaries, Choice
from storage.db import session_scope
from storage.models import AnswerKind, ChecklistItem

TITLE = "Boundary check"


def confirm(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    saving(ack, deps, save_confirmed, body, view, title=TITLE, field=None)


def changes(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    _, errors = stated_boundaries(view)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    saving(ack, deps, save_changes, body, view, title=TITLE, field=ChangesView.NOTE)


def stated_boundaries(view: dict[str, Any]) -> tuple[Boundaries, dict[str, str]]:
    """The choice for each item (by the item's id; labels are filled in from the database)
    and the note, or an error under each item without a choice."""
    values = view.get("state", {}).get("values", {})
    items: dict[int, tuple[str, str]] = {}
    errors: dict[str, str] = {}
    for block_id, fields in values.items():
        if not block_id.startswith(ChangesView.ITEM):
            continue
        selected = (fields.get(VALUE) or {}).get("selected_option") or {}
        choice = selected.get("value")
        if choice not in {c.value for c in Choice}:
            errors[block_id] = "Choose one."
            continue
        try:
            items[int(block_id.removeprefix(ChangesView.ITEM))] = ("", str(choice))
        except ValueError:
            continue
    note = str((values.get(ChangesView.NOTE, {}).get(VALUE) or {}).get("value") or "").strip()
    return Boundaries(items=items, note=note), errors


@shows_outcome(TITLE)
def save_confirmed(job: JobContext, payload: dict[str, Any]) -> Outcome:
    return _record(job, payload, kind=AnswerKind.CONFIRMED, metadata_kind="confirm")


@shows_outcome(TITLE)
def save_changes(job: JobContext, payload: dict[str, Any]) -> Outcome:
    stated, _ = stated_boundaries(payload["view"])
    return _record(job, payload, kind=AnswerKind.CHANGES, stated=stated, metadata_kind="changes")


def _record(
    job: JobContext,
    payload: dict[str, Any],
    *,
    kind: AnswerKind,
    stated: Boundaries | None = None,
    metadata_kind: str,
) -> Outcome:
    user_id, team_id = payload["user_id"], payload["team_id"]
    try:
        ids = unpack(payload["view"]["private_metadata"], metadata_kind)
        with session_scope(job.services.session_factory) as session:
            scene = live_scene(
                session,
                scene_id=int(ids["s"]),
                revision=int(ids["r"]),
                team_id=team_id,
                performer=user_id,
                to_answer=True,
            )
            if stated is not None:
                stated = _labelled(session, scene.production_id, stated)
            answered: Answered = answer(
                session,
                scene=scene,
                performer=user_id,
                kind=kind,
                now=job.services.clock.now(),
                team_id=team_id,
                stated=stated,
            )
            scene_id = scene.id
    except (KeyError, ValueError):
        raise Refusal("This form is out of date.") from None
    view = notice_modal("Thank you", answered.text)
    if answered.answer is None:
        return Outcome(view)
    return Outcome(view, lambda: after_answer(job, {"scene": scene_id, "performer": user_id}))


def _labelled(session: Any, production_id: int, stated: Boundaries) -> Boundaries:
    """Keep only this production's items, each with its label as the performer saw it."""
    items = {
        item.id: item
        for item in session.scalars(
            select(ChecklistItem).where(ChecklistItem.production_id == production_id)
        )
    }
    return Boundaries(
        items={i: (items[i].label, c) for i, (_, c) in stated.items.items() if i in items},
        note=stated.note,
    )
