"""The audit log modal (`/closedset audit`): who did or read what, about which scene, when —
never content. One page of events newest first, filters by scene and person, Newer / Older.

Limits kept: 20 events a page (with the filter and page rows, 25 blocks of a modal's 100),
each line a few hundred characters at most (of a section's 3,000), at most 100 scene options.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.ids import AuditAction, AuditModal
from bot.schedule.diff import when
from bot.text import mrkdwn_escape

PAGE = 20
SCENE_OPTIONS = 99
"""Scenes offered in the filter, beside "All scenes" (Slack allows 100 options)."""

LABELS = {
    "audit.export": "exported the audit log",
    "audit.read": "read the audit log",
    "boundaries.answered": "answered the boundary check",
    "boundaries.read": "read answers",
    "boundaries.read_own": "read their own boundaries",
    "boundaries.status.read": "read where performers stand",
    "home.status.read": "saw where performers stand (Home tab)",
    "cast.import": "changed the cast list",
    "cast.preview": "previewed a cast list",
    "channel.post": "posted to a channel",
    "checkin.answer": "answered a check-in",
    "checkin.read": "read check-in answers",
    "checkin.start": "started a check-in",
    "checklist.update": "changed the checklist",
    "closure.answer": "answered the closure question",
    "closure.read": "read closure answers",
    "delivery.failure.read": "read a delivery problem",
    "mydata.erase": "erased a performer's data",
    "mydata.erase.request": "asked for their data to be erased",
    "mydata.notes.delete": "deleted their notes",
    "mydata.read": "looked at their own data",
    "note.create": "sent a private note",
    "note.read": "read a private note",
    "note.to_request": "turned a note into a request",
    "production.create": "set up the production",
    "production.held": "production held until vouched for",
    "production.update": "changed settings",
    "production.vouched": "vouched for the production",
    "request.create": "posted a request",
    "request.edit": "edited a request",
    "request.withdraw": "withdrew a request",
    "retention.purged": "purged content after retention",
    "roles.change": "changed roles",
    "roles.disputed": "turned down a role",
    "scene.in_person.confirm": "confirmed in person",
    "scene.intimacy.decide": "decided whether a scene is intimate",
    "scene.planned_content.read": "read what is planned",
    "scene.sign_off": "signed a scene off",
    "scene.sign_off.undo": "took back a sign-off",
    "scene.update": "changed a scene",
    "scene.wrap": "marked a scene wrapped",
    "schedule.date_order.ask": "was asked a file's date order",
    "schedule.import": "changed the schedule",
    "schedule.preview": "previewed a schedule",
    "schedule.read": "read the schedule",
}

_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,30}")
_NOT_PEOPLE = {"cli": "the command line", "app": "Closed Set", "retention": "the retention job"}


def label(action: str) -> str:
    """A person's words for an action code (an unknown code is shown as it is)."""
    return LABELS.get(action) or action.replace("_", " ").replace(".", " ")


def who(actor: str) -> str:
    """mrkdwn for an actor: a Slack user as a mention, else a name for the app's own parts."""
    if _SLACK_USER.fullmatch(actor):
        return f"<@{actor}>"
    return _NOT_PEOPLE.get(actor) or mrkdwn_escape(actor)


@dataclass(frozen=True)
class Line:
    """One event as shown: ids, an action code and a scene number, nothing else."""

    at: datetime
    actor: str
    action: str
    scene: str | None
    person: str | None
    """The performer it is about (whose answers or note were read), if any."""


@dataclass(frozen=True)
class SceneChoice:
    id: int
    number: str
    start_at: datetime


def line_text(line: Line, zone: ZoneInfo) -> str:
    parts = [f"*{when(line.at, zone)}*", who(line.actor), label(line.action)]
    if line.scene:
        parts.append(f"scene {mrkdwn_escape(line.scene[:40])}")
    if line.person and line.person != line.actor:
        parts.append(f"about {who(line.person)}")
    return " · ".join(parts)


def audit_modal(
    *,
    production: str,
    zone: str,
    lines: list[Line],
    scenes: list[SceneChoice],
    scene_id: int,
    person: str,
    offset: int,
    more: bool,
    metadata: str,
) -> dict[str, Any]:
    """`scene_id` 0 and `person` "" when not filtered; `more` whether older events follow."""
    tz = ZoneInfo(zone)
    everything = Option(value="0", label="All scenes")
    options = [everything] + [
        Option(value=str(s.id), label=f"Scene {s.number[:32]} · {s.start_at.astimezone(tz):%d %b}")
        for s in scenes[:SCENE_OPTIONS]
    ]
    chosen = next((o for o in options if o.value == str(scene_id)), everything)
    filters: list[Any] = [
        StaticSelectElement(
            action_id=AuditAction.SCENE,
            placeholder="Scene",
            options=options,
            initial_option=chosen,
        ),
        UserSelectElement(
            action_id=AuditAction.PERSON,
            placeholder="Anyone",
            initial_user=person or None,
        ),
    ]
    if scene_id or person:
        filters.append(ButtonElement(action_id=AuditAction.CLEAR, text="Show everyone"))
    shown = f"events {offset + 1}–{offset + len(lines)}" if lines else "no events"
    blocks: list[Any] = [
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"*{mrkdwn_escape(production)}* · {shown}, newest first · times in "
                    f"{zone} · who read or changed what; never what was written"
                )
            ]
        ),
        ActionsBlock(block_id=AuditModal.FILTERS, elements=filters),
        DividerBlock(),
    ]
    for line in lines[:PAGE]:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=line_text(line, tz))))
    if not lines:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text="Nothing recorded matches these filters."))
        )
    pages = []
    if offset > 0:
        pages.append(ButtonElement(action_id=AuditAction.NEWER, text="Newer"))
    if more:
        pages.append(ButtonElement(action_id=AuditAction.OLDER, text="Older"))
    if pages:
        blocks.append(ActionsBlock(block_id=AuditModal.PAGES, elements=pages))
    return View(
        type="modal",
        callback_id=AuditModal.CALLBACK,
        title="Audit log",
        close="Close",
        private_metadata=metadata,
        blocks=blocks,
    ).to_dict()
