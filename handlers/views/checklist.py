"""Saving the boundary checklist: the listener checks the items, the job saves them."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.access import MANAGERS, Refusal, require
from bot.deps import Deps
from bot.ids import ChecklistView
from bot.meta import unpack_int
from bot.text import fold
from bot.worker import JobContext
from handlers import view_state
from handlers.blocks.boundaries import notice_modal
from handlers.defer import Outcome, saving, shows_outcome
from storage import audit
from storage.boundaries import MAX_ITEMS, MAX_LABEL, set_checklist
from storage.db import session_scope
from storage.models import Production
from storage.scoped import owned

TITLE = "Boundary checklist"


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
    _, problem = check_labels(view_state.text(view, ChecklistView.ITEMS))
    if problem:
        ack(response_action="errors", errors={ChecklistView.ITEMS: problem})
        return
    saving(ack, deps, save_checklist, body, view, title=TITLE, field=ChecklistView.ITEMS)


@shows_outcome(TITLE)
def save_checklist(job: JobContext, payload: dict[str, Any]) -> Outcome:
    user_id, view = payload["user_id"], payload["view"]
    labels, _ = check_labels(view_state.text(view, ChecklistView.ITEMS))
    with session_scope(job.services.session_factory) as session:
        production = owned(
            session,
            Production,
            unpack_int(view["private_metadata"], "checklist", "p"),
            team_id=payload["team_id"],
        )
        if production is None:
            raise Refusal("This production no longer exists.")
        require(
            session,
            production=production,
            team_id=payload["team_id"],
            user_id=user_id,
            roles=MANAGERS,
            doing="edit the boundary checklist",
        )
        set_checklist(session, production.id, labels)
        audit.record(
            session,
            at=job.services.clock.now(),
            team_id=production.workspace.team_id,
            actor=user_id,
            action="checklist.update",
            production_id=production.id,
            detail={"items": len(labels)},
        )
    return Outcome(notice_modal(TITLE, f"Saved: {len(labels)} item(s) on the checklist."))
