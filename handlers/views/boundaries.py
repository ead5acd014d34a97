"""A performer's Confirm and boundaries forms, submitted. Recorded at once (so the modal can
say it is done, or why not), committed before Slack is answered; the rest — the prompt
messages updated in place, the coordinators' notices — is a job."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from sqlalchemy import select

from bot.access import Refusal
from bot.confirmations import Outcome, answer, live_scene
from bot.deps import Deps
from bot.ids import VALUE, ChangesView
from bot.meta import unpack
from handlers.answered import after_answer
from handlers.blocks.boundaries import notice_modal
from handlers.defer import after, team_of
from storage.boundaries import Boundaries, Choice
from storage.db import session_scope
from storage.models import AnswerKind, ChecklistItem

TITLE = "Boundary check"


def _submit(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    deps: Deps,
    *,
    kind: AnswerKind,
    stated: Boundaries | None = None,
    metadata_kind: str,
) -> None:
    user_id = body["user"]["id"]
    team_id = team_of(body)
    try:
        ids = unpack(view.get("private_metadata", ""), metadata_kind)
        with session_scope(deps.session_factory) as session:
            scene = live_scene(
                session,
                scene_id=int(ids["s"]),
                revision=int(ids["r"]),
                performer=user_id,
                to_answer=True,
            )
            if stated is not None:
                stated = _labelled(session, scene.production_id, stated)
            outcome: Outcome = answer(
                session,
                scene=scene,
                performer=user_id,
                kind=kind,
                now=deps.clock.now(),
                team_id=team_id,
                stated=stated,
            )
            scene_id = scene.id
    except Refusal as refusal:
        ack(response_action="update", view=notice_modal(TITLE, str(refusal)))
        return
    except (KeyError, ValueError):
        ack(response_action="update", view=notice_modal(TITLE, "This form is out of date."))
        return
    ack(response_action="update", view=notice_modal("Thank you", outcome.text))
    if outcome.answer is not None:
        after(deps, after_answer, {"scene": scene_id, "performer": user_id})


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


def confirm(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    _submit(ack, body, view, deps, kind=AnswerKind.CONFIRMED, metadata_kind="confirm")


def changes(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
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
    if errors:
        ack(response_action="errors", errors=errors)
        return
    note = str((values.get(ChangesView.NOTE, {}).get(VALUE) or {}).get("value") or "").strip()
    _submit(
        ack,
        body,
        view,
        deps,
        kind=AnswerKind.CHANGES,
        stated=Boundaries(items=items, note=note),
        metadata_kind="changes",
    )
