"""The preview of an uploaded cast list or schedule, with Apply / Cancel.

The summary text comes from `bot.imports` and holds scene numbers, times, sets and the names of
changed fields only: never planned content or a synopsis.
"""

from __future__ import annotations

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

MAX_SECTION = 2900  # a section's text may hold 3,000 characters


def _clip(text: str) -> str:
    if len(text) <= MAX_SECTION:
        return text
    cut = text[:MAX_SECTION].rsplit("\n", 1)[0]
    return cut + "\n… (more changes not shown)"


def preview_blocks(
    *, title: str, production: str, summary: str, pending_id: int | None
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        SectionBlock(text=MarkdownTextObject(text=f"*{title}* · {production}")).to_dict(),
        SectionBlock(text=MarkdownTextObject(text=_clip(f"```{summary}```"))).to_dict(),
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


def outcome_blocks(*, text: str) -> list[dict[str, Any]]:
    return [SectionBlock(text=MarkdownTextObject(text=_clip(text))).to_dict()]


def problems_blocks(*, what: str, problems: str) -> list[dict[str, Any]]:
    text = f"*I could not import this {what}; nothing was changed.*\n{problems}"
    return [SectionBlock(text=MarkdownTextObject(text=_clip(text))).to_dict()]
