"""Modals and lists for coordinator requests and private notes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    CheckboxesElement,
    ConversationFilter,
    ConversationMultiSelectElement,
    DateTimePickerElement,
    DividerBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.depersonalize import Finding
from bot.ids import VALUE, CoordinatorAction, EditRequestView, NoteView, RequestAction, RequestView
from bot.meta import pack
from bot.requests import MAX_TEXT
from bot.text import mrkdwn_escape
from handlers.blocks.messages import button, confirm, context, section, to_dicts, when
from storage.models import CoordinatorRequest, Scene

MAX_SCENE_OPTIONS = 100  # a static select holds at most 100 options
OPTION_MAX = 75  # Slack's limit for an option's text


def _option(text: str, value: str) -> Option:
    return Option(text=text[:OPTION_MAX], value=value)


def scene_option(scene: Scene) -> Option:
    local = scene.start_at.astimezone(ZoneInfo(scene.production.time_zone))
    return _option(f"{scene.number} · {local:%a %d %b %H:%M} · {scene.set_name}", str(scene.id))


def _scene_select(
    scenes: list[Scene], *, placeholder: str, chosen: int | None
) -> StaticSelectElement | None:
    """The scenes to pick from (none: no select), with `chosen` picked."""
    options = [scene_option(s) for s in scenes[:MAX_SCENE_OPTIONS]]
    if not options:
        return None
    initial = next((o for o in options if o.value == str(chosen)), None)
    return StaticSelectElement(
        action_id=VALUE, placeholder=placeholder, options=options, initial_option=initial
    )


@dataclass
class RequestForm:
    """What the request modal holds, typed back in when it is shown again."""

    channels: list[str] = field(default_factory=list)
    scene_id: int | None = None
    text: str = ""
    post_at: int | None = None  # epoch seconds
    allow_ping: bool = False


@dataclass
class Concerns:
    """What the check found that the coordinator must decide on before posting."""

    warnings: list[Finding] = field(default_factory=list)
    small_cast: int | None = None
    recent: datetime | None = None
    hold_until: datetime | None = None
    zone: str = "UTC"


def request_modal(
    *,
    form: RequestForm,
    scenes: list[Scene],
    metadata: str,
    concerns: Concerns | None = None,
) -> dict[str, Any]:
    blocks: list[Block] = [
        context(
            "Posted as *Intimacy coordinator request*: no performer is named, and the set "
            "cannot tell who asked. Names of performers and characters are refused."
        ),
        InputBlock(
            block_id=RequestView.CHANNELS,
            label="Department channels",
            element=ConversationMultiSelectElement(
                action_id=VALUE,
                filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
                max_selected_items=10,
                initial_conversations=form.channels or None,
            ),
            hint="Private channels need the app invited first.",
        ),
    ]
    select = _scene_select(
        scenes, placeholder="No scene: a standing requirement", chosen=form.scene_id
    )
    if select is not None:
        blocks.append(
            InputBlock(block_id=RequestView.SCENE, optional=True, label="Scene", element=select)
        )
    blocks.append(
        InputBlock(
            block_id=RequestView.TEXT,
            label="What the coordinator needs",
            element=PlainTextInputElement(
                action_id=VALUE,
                multiline=True,
                max_length=MAX_TEXT,
                initial_value=form.text or None,
            ),
            hint="Say what is needed, not who asked: e.g. 'robes ready between takes'.",
        )
    )
    blocks.append(
        InputBlock(
            block_id=RequestView.POST_AT,
            optional=True,
            label="Post at (leave empty for now)",
            element=DateTimePickerElement(action_id=VALUE, initial_date_time=form.post_at or None),
        )
    )
    ping_option = _option("Notify the whole channel (@channel / @here in the text)", "yes")
    blocks.append(
        InputBlock(
            block_id=RequestView.PING,
            optional=True,
            label="Channel ping",
            element=CheckboxesElement(
                action_id=VALUE,
                options=[ping_option],
                initial_options=[ping_option] if form.allow_ping else None,
            ),
        )
    )
    if concerns is not None:
        blocks += _concern_blocks(concerns)
    return View(
        type="modal",
        callback_id=RequestView.CALLBACK,
        title="Request",
        submit="Post",
        close="Cancel",
        private_metadata=metadata,
        blocks=blocks,
    ).to_dict()


def _concern_blocks(concerns: Concerns) -> list[Block]:
    blocks: list[Block] = [DividerBlock(), section("*Before posting*")]
    if concerns.warnings:
        blocks += _confirm_blocks(concerns.warnings)
    if concerns.small_cast is not None:
        count = "one performer" if concerns.small_cast == 1 else f"{concerns.small_cast} performers"
        blocks.append(
            section(
                f"The scene has {count}: the set may infer who asked. You can post this as a "
                "standing production requirement instead, with no scene attached."
            )
        )
        keep = _option("Post it for the scene", "scene")
        standing = _option("Post it as a standing requirement (no scene)", "standing")
        blocks.append(
            InputBlock(
                block_id=RequestView.STANDING,
                label="Small cast",
                element=RadioButtonsElement(
                    action_id=VALUE, options=[standing, keep], initial_option=standing
                ),
            )
        )
    if concerns.recent is not None and concerns.hold_until is not None:
        blocks.append(
            section(
                "A performer answered or wrote about this scene at "
                f"{when(concerns.recent, concerns.zone)}. Posting now may line up with that."
            )
        )
        hold = _option(
            f"Hold it back until {concerns.hold_until.astimezone(ZoneInfo(concerns.zone)):%H:%M}",
            "hold",
        )
        now = _option("Post now anyway", "now")
        blocks.append(
            InputBlock(
                block_id=RequestView.HOLD,
                label="Timing",
                element=RadioButtonsElement(
                    action_id=VALUE, options=[hold, now], initial_option=hold
                ),
            )
        )
    return blocks


def _confirm_blocks(warnings: Sequence[Finding]) -> list[Block]:
    """The warnings, and the box to tick to post anyway."""
    lines = "\n".join(f"• {mrkdwn_escape(w.message)}" for w in warnings)
    yes = _option("Post anyway: the wording does not single anyone out", "yes")
    return [
        section(f"These words may point at one performer:\n{lines}"),
        InputBlock(
            block_id=RequestView.CONFIRM,
            optional=True,
            label="Wording",
            element=CheckboxesElement(action_id=VALUE, options=[yes]),
        ),
    ]


def edit_modal(
    request: CoordinatorRequest,
    *,
    metadata: str,
    text: str | None = None,
    warnings: Sequence[Finding] = (),
) -> dict[str, Any]:
    """The request's text to edit (`text`: as typed, when shown again with `warnings`)."""
    blocks: list[Block] = [
        InputBlock(
            block_id=EditRequestView.TEXT,
            label="What the coordinator needs",
            element=PlainTextInputElement(
                action_id=VALUE,
                multiline=True,
                max_length=MAX_TEXT,
                initial_value=request.text if text is None else text,
            ),
            hint="The channels' messages are updated; names are refused as before.",
        )
    ]
    if warnings:
        blocks += _confirm_blocks(warnings)
    return View(
        type="modal",
        callback_id=EditRequestView.CALLBACK,
        title="Edit request",
        submit="Save",
        close="Cancel",
        private_metadata=metadata,
        blocks=blocks,
    ).to_dict()


def note_modal(*, scenes: list[Scene], metadata: str, scene_id: int | None) -> dict[str, Any]:
    blocks: list[Block] = [
        context(
            "Only your intimacy coordinator reads this. It is kept encrypted and never posted "
            "anywhere; if they act on it, they do so in their own name."
        )
    ]
    select = _scene_select(scenes, placeholder="Not about one scene", chosen=scene_id)
    if select is not None:
        blocks.append(
            InputBlock(
                block_id=NoteView.SCENE, optional=True, label="About a scene", element=select
            )
        )
    blocks.append(
        InputBlock(
            block_id=NoteView.TEXT,
            label="Your note",
            element=PlainTextInputElement(action_id=VALUE, multiline=True, max_length=MAX_TEXT),
        )
    )
    return View(
        type="modal",
        callback_id=NoteView.CALLBACK,
        title="Note to coordinator",
        submit="Send",
        close="Cancel",
        private_metadata=metadata,
        blocks=blocks,
    ).to_dict()


def note_view_modal(
    *,
    who: str,
    user_id: str,
    scene: Scene | None,
    at: datetime,
    text: str,
    zone: str,
    note_id: int,
) -> dict[str, Any]:
    about = f"about scene {scene.number}" if scene is not None else "not about one scene"
    return View(
        type="modal",
        title="Private note",
        close="Close",
        blocks=[
            section(f"*{mrkdwn_escape(who)}* (<@{user_id}>), {about}, {when(at, zone)}"),
            section(mrkdwn_escape(text)[:2900]),
            ActionsBlock(
                elements=[
                    button(
                        "Turn into request",
                        CoordinatorAction.TURN_INTO_REQUEST,
                        pack("note", n=note_id),
                    )
                ]
            ),
            context(
                "The request starts from the note's text without who wrote it, and is checked "
                "for names before it is posted. The note stays here, encrypted."
            ),
        ],
    ).to_dict()


def requests_list(
    requests: list[CoordinatorRequest], *, zone: str, production: str
) -> list[dict[str, Any]]:
    """The coordinator's list: each request, its channels and who acknowledged, with
    Remind / Edit / Withdraw (at most 10 requests, 3 blocks each)."""
    blocks: list[Block] = [section(f"*Requests* · {mrkdwn_escape(production)}")]
    if not requests:
        blocks.append(section("No requests yet. Post one with `/closedset request`."))
        return to_dicts(blocks)
    for request in requests[:10]:
        scene = f"scene {request.scene.number}" if request.scene else "standing requirement"
        lines = []
        for post in request.posts:
            if post.ts is None:
                lines.append(f"<#{post.channel_id}>: to be posted {when(request.post_at, zone)}")
            elif post.acks:
                people = ", ".join(f"<@{a.user_id}>" for a in post.acks)
                lines.append(f"<#{post.channel_id}>: acknowledged by {people}")
            else:
                lines.append(f"<#{post.channel_id}>: not acknowledged yet")
        title = mrkdwn_escape(request.title)
        status = "" if request.status.value == "active" else " · withdrawn"
        blocks.append(DividerBlock())
        blocks.append(section(f"*{title}* · {scene}{status}\n" + "\n".join(lines)))
        if request.status.value == "active":
            value = pack("request", r=request.id)
            blocks.append(
                ActionsBlock(
                    block_id=f"request_actions_{request.id}",
                    elements=[
                        button(
                            "Remind channels that have not acknowledged",
                            RequestAction.REMIND,
                            value,
                        ),
                        button("Edit", RequestAction.EDIT, value),
                        button(
                            "Withdraw",
                            RequestAction.WITHDRAW,
                            value,
                            "danger",
                            confirm=confirm(
                                "Withdraw the request?",
                                "Its messages will say it was withdrawn.",
                                "Withdraw",
                                "Keep it",
                            ),
                        ),
                    ],
                )
            )
    return to_dicts(blocks)
