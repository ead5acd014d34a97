"""A performer's own data, in a modal (`/closedset mydata`, "My data" on their Home), and the
coordinator's Erase to-do. Shown in a modal only: none of it is ever a message or a file.

Everything is laid out as one list of blocks (per production: what it holds, newest first),
cut into pages of at most `PAGE_BLOCKS` blocks and `PAGE_CHARS` characters with Newer/Older
buttons, so no modal comes near Slack's 100 blocks, and no section passes 3,000 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.checkins import Closure, Tap
from bot.ids import MyDataAction
from bot.meta import pack
from bot.text import mrkdwn_escape
from storage.boundaries import choice_label
from storage.mydata import PendingErasure, ProductionData

SECTION_MAX = 3000
PAGE_BLOCKS = 40
"""Content blocks per page: with the few around them, well inside a modal's 100."""
PAGE_CHARS = 24000
"""Characters of text per page, so a page of long notes stays a modest payload."""

KINDS = {
    "confirmed": "Confirmed",
    "changes": "Set out your boundaries",
    "talk": "Asked to talk to the coordinator",
    "withdrawn": "Withdrew your confirmation",
}
ROLES = {
    "coordinator": "coordinator",
    "ad": "assistant director",
    "performer": "performer",
    "admin": "admin",
}
READS = {
    "boundaries.read": "read your boundary answer",
    "boundaries.status.read": "looked at where performers stand, your answer included",
    "checkin.read": "read the check-in answers",
    "closure.read": "read the closure answers",
    "note.read": "read your note",
    "note.to_request": "turned your note into a request (without your name)",
}
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def my_data_button() -> ButtonElement:
    """The "My data" button for a performer's Home tab (e.g. beside "Note to the
    coordinator"): it opens the same modal."""
    return ButtonElement(text="My data", action_id=MyDataAction.OPEN, value=pack("mydata", page=0))


def erasure_todo_blocks(todo: PendingErasure, *, zone: str) -> list[Block]:
    """A coordinator's to-do (`ProductionHome.erasures`, with `zone` the production's time
    zone): this performer asked for their data in the production to be erased; one Erase
    button (with a confirmation)."""
    name = f" ({mrkdwn_escape(todo.name)})" if todo.name else ""
    button = ButtonElement(
        text="Erase",
        action_id=MyDataAction.ERASE,
        value=pack("erase", e=todo.request_id),
        style="danger",
        confirm=ConfirmObject(
            title="Erase their data?",
            text="Their boundary answers, private notes, check-in and closure answers in this "
            "production are deleted for good, and they are told it was done.",
            confirm="Erase",
            deny="Back",
        ),
    )
    return [
        SectionBlock(
            block_id=f"erase_{todo.request_id}",
            text=MarkdownTextObject(
                text=f"{_who(todo.performer_id)}{name} asked for their data in this production "
                f"to be erased · {_at(todo.at, zone)}"
            ),
            accessory=button,
        )
    ]


@dataclass(frozen=True)
class _Item:
    production: str
    block: Block
    size: int


def my_data_modal(
    productions: list[ProductionData], *, page: int = 0, notice: str | None = None
) -> dict[str, Any]:
    """The modal at `page` (clamped to the pages there are). `notice`: a line the app wrote
    (e.g. "Your notes are deleted"), shown first."""
    pages = _pages(_items(productions))
    page = max(0, min(page, len(pages) - 1))
    blocks: list[Block] = [
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Everything Closed Set holds about you in this workspace. Only you see "
                    "this window: none of it is sent as a message."
                )
            ]
        )
    ]
    if notice:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=notice)))
    buttons = _buttons(productions)
    if buttons:
        blocks.append(ActionsBlock(block_id="mydata_actions", elements=buttons))
    blocks += pages[page]
    paging = []
    if page > 0:
        paging.append(
            ButtonElement(
                text="← Newer", action_id=MyDataAction.PAGE, value=pack("mydata", page=page - 1)
            )
        )
    if page < len(pages) - 1:
        paging.append(
            ButtonElement(
                text="Older →", action_id=MyDataAction.PAGE, value=pack("mydata", page=page + 1)
            )
        )
    if paging:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=f"Page {page + 1} of {len(pages)}")])
        )
        blocks.append(ActionsBlock(block_id="mydata_pages", elements=paging))
    return View(
        type="modal",  # no submit, so no callback: it is only looked at and closed
        title="Your data",
        close="Close",
        private_metadata=pack("mydata", page=page),
        blocks=blocks,
    ).to_dict()


def _buttons(productions: list[ProductionData]) -> list[ButtonElement]:
    buttons = []
    if any(p.notes for p in productions):
        buttons.append(
            ButtonElement(
                text="Delete my notes",
                action_id=MyDataAction.DELETE_NOTES,
                value=pack("mydata", page=0),
                style="danger",
                confirm=ConfirmObject(
                    title="Delete your notes?",
                    text="Every private note you wrote to a coordinator here is deleted for "
                    "good. Your coordinator can no longer read them.",
                    confirm="Delete",
                    deny="Keep them",
                ),
            )
        )
    if any(p.content and not p.erasure_asked for p in productions):
        buttons.append(
            ButtonElement(
                text="Ask to erase the rest",
                action_id=MyDataAction.ASK_ERASE,
                value=pack("mydata", page=0),
                confirm=ConfirmObject(
                    title="Ask for erasure?",
                    text="Your coordinator is asked to erase your boundary answers, notes, "
                    "check-in and closure answers. They are told only that a performer asked; "
                    "you get a message when it is done.",
                    confirm="Ask",
                    deny="Back",
                ),
            )
        )
    return buttons


def _items(productions: list[ProductionData]) -> list[_Item]:
    if not productions:
        return [
            _Item(
                "",
                SectionBlock(
                    text=MarkdownTextObject(
                        text="Closed Set holds nothing about you in this workspace."
                    )
                ),
                60,
            )
        ]
    items: list[_Item] = []
    for data in productions:
        name = mrkdwn_escape(data.name)

        def add(block: Block, size: int, *, _name: str = name) -> None:
            items.append(_Item(_name, block, size))

        if items:
            add(DividerBlock(), 0)
        add(HeaderBlock(text=PlainTextObject(text=data.name[:150])), len(data.name))
        for text in _production_lines(data):
            for chunk in _chunks(text):
                add(SectionBlock(text=MarkdownTextObject(text=chunk)), len(chunk))
    return items


def _production_lines(data: ProductionData) -> list[str]:
    """The texts of a production's sections, in order, each possibly longer than a section
    holds (`_chunks` cuts them)."""
    zone = data.zone
    roles = ", ".join(ROLES.get(r, mrkdwn_escape(r)) for r in data.roles) or "none now"
    about = [f"*Your roles:* {roles}"]
    for c in data.cast:
        parts = [f"cast {mrkdwn_escape(c.cast_number)}"]
        if c.character:
            parts.append(mrkdwn_escape(c.character))
        parts.append(mrkdwn_escape(c.performer_name))
        if c.email:
            parts.append(mrkdwn_escape(c.email))
        if c.handle:
            parts.append(mrkdwn_escape(f"@{c.handle.lstrip('@')}"))
        about.append("*On the cast list:* " + " · ".join(parts))
    if data.erasure_asked:
        about.append("_You asked for your data here to be erased; the coordinator has not yet._")
    texts = ["\n".join(about)]
    if data.scenes:
        lines = [
            f"• Scene {mrkdwn_escape(s.number)} · {_at(s.start_at, zone)}"
            + (f" · {mrkdwn_escape(s.set_name)}" if s.set_name else "")
            + (" · off the schedule" if s.removed else "")
            for s in data.scenes
        ]
        texts.append("*Scenes you are cast in*\n" + "\n".join(lines))
    if data.answers:
        texts.append(f"*Your boundary answers* ({len(data.answers)}, every version, newest first)")
        for a in data.answers:
            lines = [
                f"*Scene {mrkdwn_escape(a.scene_number)}* · "
                f"{KINDS.get(a.kind, mrkdwn_escape(a.kind))} · {_at(a.at, zone)} · "
                f"at the scene's revision {a.revision}"
            ]
            lines += [
                f"• {mrkdwn_escape(label)}: {mrkdwn_escape(choice_label(choice))}"
                for label, choice in a.items
            ]
            if a.note:
                lines.append(f"Your words: {mrkdwn_escape(a.note)}")
            texts.append("\n".join(lines))
    if data.notes:
        texts.append(f"*Your private notes* ({len(data.notes)}, newest first)")
        for n in data.notes:
            about_scene = f"scene {mrkdwn_escape(n.scene_number)}" if n.scene_number else "no scene"
            texts.append(f"_Note · {about_scene} · {_at(n.at, zone)}_\n{mrkdwn_escape(n.text)}")
    if data.checkins:
        lines = [
            f"• Scene {mrkdwn_escape(c.scene_number)}, take {c.round_number}: "
            f"{_label(Tap, c.answer)} · {_at(c.at, zone)}"
            for c in data.checkins
        ]
        texts.append("*Your check-in answers*\n" + "\n".join(lines))
    if data.closures:
        lines = [
            f"• Scene {mrkdwn_escape(c.scene_number)}: {_label(Closure, c.answer)} · "
            f"{_at(c.at, zone)}"
            for c in data.closures
        ]
        texts.append("*Your closure answers*\n" + "\n".join(lines))
    if data.content or data.reads:
        if data.reads:
            lines = [
                f"• {_who(r.actor)} {READS.get(r.action, mrkdwn_escape(r.action))}"
                + _subject(r.subject)
                + f" · {_at(r.at, zone)}"
                for r in data.reads
            ]
            texts.append("*Who read them*\n" + "\n".join(lines))
        else:
            texts.append("*Who read them*\nNobody has read them yet.")
    return texts


def _pages(items: list[_Item]) -> list[list[Block]]:
    pages: list[list[Block]] = []
    current: list[Block] = []
    size = 0
    for item in items:
        if current and (len(current) >= PAGE_BLOCKS or size + item.size > PAGE_CHARS):
            pages.append(current)
            current, size = [], 0
        if not current and item.production and not isinstance(item.block, HeaderBlock):
            if isinstance(item.block, DividerBlock):
                continue
            current.append(
                ContextBlock(elements=[MarkdownTextObject(text=f"*{item.production}* (continued)")])
            )
        current.append(item.block)
        size += item.size
    if current or not pages:
        pages.append(current)
    return pages


def _chunks(text: str) -> list[str]:
    """`text` cut to Slack's 3,000 characters per section, at line ends where it can be."""
    chunks = []
    while len(text) > SECTION_MAX:
        cut = text.rfind("\n", 0, SECTION_MAX)
        if cut <= 0:
            cut = SECTION_MAX
            entity = text.rfind("&", cut - 5, cut)  # not inside an escape such as &amp;
            if entity > 0 and ";" not in text[entity:cut]:
                cut = entity
        chunks.append(text[:cut])
        text = text[cut:].lstrip("\n")
    chunks.append(text)
    return [c for c in chunks if c] or [" "]


def _label(enum_type: Any, value: str) -> str:
    try:
        return str(enum_type(value).label)
    except ValueError:
        return mrkdwn_escape(value)


def _who(user_id: str) -> str:
    return f"<@{user_id}>" if _SLACK_ID.match(user_id) else mrkdwn_escape(user_id)


def _subject(subject: str) -> str:
    kind, _, ref = subject.partition(":")
    if kind == "scene" and ref:
        return f" (scene {mrkdwn_escape(ref)})"
    return ""


def _at(at: datetime, zone: str) -> str:
    return f"{at.astimezone(ZoneInfo(zone)):%a %d %b %Y %H:%M} ({zone})"
