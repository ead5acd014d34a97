"""The scene intake modal (`/closedset scene 42A`). Planned content appears only here, in a
modal, never in a message."""

from __future__ import annotations

from datetime import time
from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    TimePickerElement,
)
from slack_sdk.models.views import View

from bot.ids import VALUE, SceneView
from bot.text import mrkdwn_escape

MAX_CONTENT = 3000


def scene_modal(
    *,
    number: str,
    when: str,
    set_name: str,
    intimacy: bool,
    closed_set: bool,
    planned_content: str | None,
    start: time,
    start_estimated: bool,
    metadata: str,
    intimacy_undecided: bool = False,
) -> dict[str, Any]:
    yes_intimacy = Option(value="yes", text="This scene involves intimacy")
    yes_closed = Option(value="yes", text="Closed set (essential crew only, no stills)")
    start_hint = (
        "The imported start time was estimated; set the real one."
        if start_estimated
        else "Change only if the schedule's time is wrong; later imports keep your time."
    )
    blocks = [
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"*Scene {number}* · {when} · {mrkdwn_escape(set_name) or 'no set'}"
                )
            ]
        ),
        *(
            [
                ContextBlock(
                    elements=[
                        MarkdownTextObject(
                            text="*The schedule left its intimacy undecided.* Saving this form "
                            "decides it: ticked, intimate; unticked, not intimate (nothing more "
                            "is sent about it)."
                        )
                    ]
                )
            ]
            if intimacy_undecided
            else []
        ),
        InputBlock(
            block_id=SceneView.INTIMACY,
            label="Intimacy",
            element=CheckboxesElement(
                action_id=VALUE,
                options=[yes_intimacy],
                initial_options=[yes_intimacy] if intimacy else None,
            ),
            optional=True,
        ),
        InputBlock(
            block_id=SceneView.CONTENT,
            label="What is planned",
            element=PlainTextInputElement(
                action_id=VALUE,
                multiline=True,
                initial_value=planned_content or None,
                max_length=MAX_CONTENT,
            ),
            hint="What the performers will be asked to confirm. Stored encrypted; shown only "
            "to them and coordinators, never in a message.",
            optional=True,
        ),
        InputBlock(
            block_id=SceneView.CLOSED_SET,
            label="Set",
            element=CheckboxesElement(
                action_id=VALUE,
                options=[yes_closed],
                initial_options=[yes_closed] if closed_set else None,
            ),
            optional=True,
        ),
        InputBlock(
            block_id=SceneView.START,
            label="Start time",
            element=TimePickerElement(action_id=VALUE, initial_time=start.strftime("%H:%M")),
            hint=start_hint,
        ),
    ]
    view = View(
        type="modal",
        callback_id=SceneView.CALLBACK,
        title=f"Scene {number}"[:24],
        submit="Save",
        close="Cancel",
        private_metadata=metadata,
        blocks=blocks,
    )
    return view.to_dict()
