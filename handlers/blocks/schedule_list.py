"""`/closedset schedule`: upcoming scenes, a page at a time. Logistics only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.ids import ScheduleAction
from bot.meta import pack
from bot.text import mrkdwn_escape

PAGE_SIZE = 10


@dataclass(frozen=True)
class SceneLine:
    number: str
    start_at: datetime
    start_estimated: bool
    set_name: str
    intimacy: bool
    closed_set: bool
    cast_count: int
    intimacy_undecided: bool = False
    after_midnight: bool = False


def schedule_blocks(
    *,
    production: str,
    production_id: int,
    zone: ZoneInfo,
    scenes: list[SceneLine],
    offset: int,
    total: int,
) -> list[dict[str, Any]]:
    if total == 0:
        text = (
            f"*{mrkdwn_escape(production)}*: no upcoming scenes. Upload a schedule to me in a DM."
        )
        return [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()]
    lines = []
    for s in scenes:
        at = s.start_at.astimezone(zone).strftime("%a %d %b %H:%M")
        estimated = " (est.)" if s.start_estimated else ""
        if s.after_midnight:
            estimated = f", after midnight{estimated}"
        flags = []
        if s.intimacy:
            flags.append("intimacy undecided" if s.intimacy_undecided else "intimacy")
        if s.closed_set:
            flags.append("closed set")
        flag_text = f" · _{', '.join(flags)}_" if flags else ""
        lines.append(
            f"*{s.number}* · {at}{estimated} · {mrkdwn_escape(s.set_name) or 'no set'} · "
            f"{s.cast_count} cast{flag_text}"
        )
    header = (
        f"*{mrkdwn_escape(production)}* · upcoming scenes {offset + 1}–{offset + len(scenes)} "
        f"of {total} ({zone.key})"
    )
    blocks: list[dict[str, Any]] = [
        SectionBlock(text=MarkdownTextObject(text=header)).to_dict(),
        SectionBlock(text=MarkdownTextObject(text="\n".join(lines))).to_dict(),
    ]
    buttons = []
    if offset > 0:
        buttons.append(
            ButtonElement(
                text="Earlier",
                action_id=f"{ScheduleAction.PAGE}_prev",
                value=pack("page", p=production_id, o=max(0, offset - PAGE_SIZE)),
            )
        )
    if offset + len(scenes) < total:
        buttons.append(
            ButtonElement(
                text="Later",
                action_id=f"{ScheduleAction.PAGE}_next",
                value=pack("page", p=production_id, o=offset + PAGE_SIZE),
            )
        )
    if buttons:
        blocks.append(ActionsBlock(elements=buttons).to_dict())
    blocks.append(
        ContextBlock(
            elements=[MarkdownTextObject(text="Times are in the production's time zone.")]
        ).to_dict()
    )
    return blocks
