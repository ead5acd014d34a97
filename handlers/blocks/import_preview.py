"""The preview of an uploaded cast list or schedule, with Apply / Cancel.

The summary text comes from `bot.imports` and holds scene numbers, times, sets and the names of
changed fields only: never planned content or a synopsis.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.ids import ImportAction
from bot.meta import pack
from bot.text import mrkdwn_escape

MAX_SECTION = 2900  # a section's text may hold 3,000 characters


def _clip(text: str) -> str:
    if len(text) <= MAX_SECTION:
        return text
    cut = text[:MAX_SECTION].rsplit("\n", 1)[0]
    return cut + "\n… (more changes not shown)"


def _heading(title: str, production: str) -> str:
    """Titles hold the file's name, as the uploader called it: text, like everything read
    from a file or typed by someone (`bot.text.mrkdwn_escape`)."""
    return f"*{mrkdwn_escape(title)}* · {mrkdwn_escape(production)}"


def preview_blocks(
    *, title: str, production: str, summary: str, pending_id: int | None
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        SectionBlock(text=MarkdownTextObject(text=_heading(title, production))).to_dict(),
        SectionBlock(
            text=MarkdownTextObject(text=_clip(f"```{mrkdwn_escape(summary)}```"))
        ).to_dict(),
    ]
    if pending_id is None:
        return blocks
    value = pack("import", id=pending_id)
    blocks.append(
        ActionsBlock(
            block_id="import",
            elements=[
                ButtonElement(
                    text="Apply", action_id=ImportAction.APPLY, value=value, style="primary"
                ),
                ButtonElement(text="Cancel", action_id=ImportAction.CANCEL, value=value),
            ],
        ).to_dict()
    )
    blocks.append(
        ContextBlock(
            elements=[MarkdownTextObject(text="Nothing changes until you apply.")]
        ).to_dict()
    )
    return blocks


def date_order_blocks(
    *,
    title: str,
    production: str,
    example: str,
    where: str,
    day_first: date,
    month_first: date,
    pending_id: int,
) -> list[dict[str, Any]]:
    """The question for a file whose slashed dates could be read either way: one of its dates
    (`example`, found at `where`) read both ways, one button each."""
    value = pack("import", id=pending_id)
    question = (
        f"{_heading(title, production)}\nThe dates in this file could be read two ways. How "
        f"should I read `{mrkdwn_escape(example)}` ({mrkdwn_escape(where)})?"
    )
    return [
        SectionBlock(text=MarkdownTextObject(text=question)).to_dict(),
        ActionsBlock(
            block_id="import_date_order",
            elements=[
                ButtonElement(
                    text=f"Day first: {day_first.day} {day_first:%B %Y}"[:75],
                    action_id=ImportAction.DAY_FIRST,
                    value=value,
                ),
                ButtonElement(
                    text=f"Month first: {month_first:%B} {month_first.day}, {month_first.year}"[
                        :75
                    ],
                    action_id=ImportAction.MONTH_FIRST,
                    value=value,
                ),
            ],
        ).to_dict(),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Every date in the file is read the same way; you see the preview "
                    "before anything changes. To stop this question, set the date order in "
                    "`/closedset setup`."
                )
            ]
        ).to_dict(),
    ]


def outcome_blocks(*, text: str) -> list[dict[str, Any]]:
    return [SectionBlock(text=MarkdownTextObject(text=_clip(text))).to_dict()]


def problems_blocks(*, what: str, problems: str) -> list[dict[str, Any]]:
    text = f"*I could not import this {what}; nothing was changed.*\n{mrkdwn_escape(problems)}"
    return [SectionBlock(text=MarkdownTextObject(text=_clip(text))).to_dict()]
