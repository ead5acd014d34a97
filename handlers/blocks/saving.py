"""What a submitted modal shows while its job saves it, and a form shown again with what is
wrong with it (a submission is checked against the database after the acknowledgement, so a
refusal can no longer be an error under a field: the job shows the form again instead)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.text import mrkdwn_escape

CONTEXT_MAX = 3000
MAX_BLOCKS = 100
SAVING = ":hourglass_flowing_sand: Saving…"


def saving_modal(title: str) -> dict[str, Any]:
    """The modal between the acknowledgement and the job's outcome."""
    return View(
        type="modal",
        title=title[:24],
        close="Close",
        blocks=[SectionBlock(text=MarkdownTextObject(text=SAVING))],
    ).to_dict()


def with_problem(form: dict[str, Any], problem: str) -> dict[str, Any]:
    """`form` (a built modal) with `problem` above its fields, in a context block; the text is
    escaped (it may quote what someone typed). Past Slack's 100 blocks, the last gives way."""
    note = ContextBlock(
        elements=[MarkdownTextObject(text=f":warning: {mrkdwn_escape(problem)}"[:CONTEXT_MAX])]
    ).to_dict()
    return {**form, "blocks": [note, *form.get("blocks", [])][:MAX_BLOCKS]}
