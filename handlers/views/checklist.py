"""Saving the boundary checklist."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.access import MANAGERS, Refusal, require
from bot.deps import Deps
from bot.ids import ChecklistView
from bot.meta import unpack_int
from bot.text import fold
from handlers import view_state
from storage import audit
from storage.boundaries import MAX_ITEMS, MAX_LABEL, set_checklist
from storage.db import session_scope
from storage.productions import get_production


def check_labels(text: str) -> tuple[list[str], str | None]:
    """The items, one per line (blank lines and bullets dropped), or what is wrong."""
    labels = [line.strip().lstrip("•-* ").strip() for line in text.splitlines()]
    labels = [label for label in labels if label]
    if not labels:
        return [], "Add at least one item."
    if len(labels) > MAX_ITEMS:
        return [], f"At most {MAX_ITEMS} items (there are {len(labels)})."
    long = [label for label in labels if len(label) > MAX_LABEL]
    if long:
        return [], f"Keep each item under {MAX_LABEL} characters: '{long[0][:30]}…' is longer."
    seen: set[str] = set()
    for label in labels:
        if fold(label) in seen:
            return [], f"'{label}' is listed twice."
        seen.add(fold(label))
    return labels, None


def handle(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    labels, problem = check_labels(view_state.text(view, ChecklistView.ITEMS))
    if problem:
        ack(response_action="errors", errors={ChecklistView.ITEMS: problem})
        return
    user_id = body["user"]["id"]
    with session_scope(deps.session_factory) as session:
        production = get_production(
            session, production_id=unpack_int(view.get("private_metadata", ""), "checklist", "p")
        )
        try:
            if production is None:
                raise Refusal("This production no longer exists.")
            require(
                session,
                production=production,
                user_id=user_id,
                roles=MANAGERS,
                doing="edit the boundary checklist",
            )
        except Refusal as refusal:
            ack(response_action="errors", errors={ChecklistView.ITEMS: str(refusal)})
            return
        set_checklist(session, production.id, labels)
        audit.record(
            session,
            at=deps.clock.now(),
            team_id=production.workspace.team_id,
            actor=user_id,
            action="checklist.update",
            production_id=production.id,
            detail={"items": len(labels)},
        )
    ack()
