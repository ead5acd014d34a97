"""Modals and lists for coordinator requests and private notes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.delivery.messages import when
from bot.depersonalize import Finding
from bot.ids import VALUE, CoordinatorAction, EditRequestView, NoteView, RequestAction, RequestView
from bot.meta import pack
from bot.requests import MAX_TEXT
from bot.text import mrkdwn_escape
from storage.models import CoordinatorRequest, Scene

MAX_SCENE_OPTIONS = 100  # a static select holds at most 100 options


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(text)]}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text[:75]), "value": value}


def scene_option(scene: Scene) -> dict[str, Any]:
    local = scene.start_at.astimezone(ZoneInfo(scene.production.time_zone))
    return _option(f"{scene.number} · {local:%a %d %b %H:%M} · {scene.set_name}", str(scene.id))


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
    blocks: list[dict[str, Any]] = [
        _context(
            "Posted as *Intimacy coordinator request*: no performer is named, and the set "
            "cannot tell who asked. Names of performers and characters are refused."
        ),
        {
            "type": "input",
            "block_id": RequestView.CHANNELS,
            "label": _plain("Department channels"),
            "element": {
                "type": "multi_conversations_select",
                "action_id": VALUE,
                "filter": {"include": ["public", "private"], "exclude_bot_users": True},
                "max_selected_items": 10,
                **({"initial_conversations": form.channels} if form.channels else {}),
            },
            "hint": _plain("Private channels need the app invited first."),
        },
    ]
    options = [scene_option(s) for s in scenes[:MAX_SCENE_OPTIONS]]
    if options:
        select: dict[str, Any] = {
            "type": "static_select",
            "action_id": VALUE,
            "placeholder": _plain("No scene: a standing requirement"),
            "options": options,
        }
        chosen = next((o for o in options if o["value"] == str(form.scene_id)), None)
        if chosen is not None:
            select["initial_option"] = chosen
        blocks.append(
            {
                "type": "input",
                "block_id": RequestView.SCENE,
                "optional": True,
                "label": _plain("Scene"),
                "element": select,
            }
        )
    text_element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": VALUE,
        "multiline": True,
        "max_length": MAX_TEXT,
    }
    if form.text:
        text_element["initial_value"] = form.text
    blocks.append(
        {
            "type": "input",
            "block_id": RequestView.TEXT,
            "label": _plain("What the coordinator needs"),
            "element": text_element,
            "hint": _plain("Say what is needed, not who asked: e.g. 'robes ready between takes'."),
        }
    )
    post_at: dict[str, Any] = {"type": "datetimepicker", "action_id": VALUE}
    if form.post_at:
        post_at["initial_date_time"] = form.post_at
    blocks.append(
        {
            "type": "input",
            "block_id": RequestView.POST_AT,
            "optional": True,
            "label": _plain("Post at (leave empty for now)"),
            "element": post_at,
        }
    )
    ping_option = _option("Notify the whole channel (@channel / @here in the text)", "yes")
    ping: dict[str, Any] = {"type": "checkboxes", "action_id": VALUE, "options": [ping_option]}
    if form.allow_ping:
        ping["initial_options"] = [ping_option]
    blocks.append(
        {
            "type": "input",
            "block_id": RequestView.PING,
            "optional": True,
            "label": _plain("Channel ping"),
            "element": ping,
        }
    )
    if concerns is not None:
        blocks += _concern_blocks(concerns)
    return {
        "type": "modal",
        "callback_id": RequestView.CALLBACK,
        "title": _plain("Request"),
        "submit": _plain("Post"),
        "close": _plain("Cancel"),
        "private_metadata": metadata,
        "blocks": blocks,
    }


def _concern_blocks(concerns: Concerns) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [{"type": "divider"}, _section("*Before posting*")]
    if concerns.warnings:
        blocks += confirm_blocks(concerns.warnings)
    if concerns.small_cast is not None:
        count = "one performer" if concerns.small_cast == 1 else f"{concerns.small_cast} performers"
        blocks.append(
            _section(
                f"The scene has {count}: the set may infer who asked. You can post this as a "
                "standing production requirement instead, with no scene attached."
            )
        )
        keep = _option("Post it for the scene", "scene")
        standing = _option("Post it as a standing requirement (no scene)", "standing")
        blocks.append(
            {
                "type": "input",
                "block_id": RequestView.STANDING,
                "label": _plain("Small cast"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": VALUE,
                    "options": [standing, keep],
                    "initial_option": standing,
                },
            }
        )
    if concerns.recent is not None and concerns.hold_until is not None:
        blocks.append(
            _section(
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
            {
                "type": "input",
                "block_id": RequestView.HOLD,
                "label": _plain("Timing"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": VALUE,
                    "options": [hold, now],
                    "initial_option": hold,
                },
            }
        )
    return blocks


def confirm_blocks(warnings: Sequence[Finding]) -> list[dict[str, Any]]:
    """The warnings, and the box to tick to post anyway."""
    lines = "\n".join(f"• {mrkdwn_escape(w.message)}" for w in warnings)
    yes = _option("Post anyway: the wording does not single anyone out", "yes")
    return [
        _section(f"These words may point at one performer:\n{lines}"),
        {
            "type": "input",
            "block_id": RequestView.CONFIRM,
            "optional": True,
            "label": _plain("Wording"),
            "element": {"type": "checkboxes", "action_id": VALUE, "options": [yes]},
        },
    ]


def edit_modal(request: CoordinatorRequest, *, metadata: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": EditRequestView.CALLBACK,
        "title": _plain("Edit request"),
        "submit": _plain("Save"),
        "close": _plain("Cancel"),
        "private_metadata": metadata,
        "blocks": [
            {
                "type": "input",
                "block_id": EditRequestView.TEXT,
                "label": _plain("What the coordinator needs"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": VALUE,
                    "multiline": True,
                    "max_length": MAX_TEXT,
                    "initial_value": request.text,
                },
                "hint": _plain("The channels' messages are updated; names are refused as before."),
            }
        ],
    }


def note_modal(*, scenes: list[Scene], metadata: str, scene_id: int | None) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        _context(
            "Only your intimacy coordinator reads this. It is kept encrypted and never posted "
            "anywhere; if they act on it, they do so in their own name."
        )
    ]
    options = [scene_option(s) for s in scenes[:MAX_SCENE_OPTIONS]]
    if options:
        select: dict[str, Any] = {
            "type": "static_select",
            "action_id": VALUE,
            "placeholder": _plain("Not about one scene"),
            "options": options,
        }
        chosen = next((o for o in options if o["value"] == str(scene_id)), None)
        if chosen is not None:
            select["initial_option"] = chosen
        blocks.append(
            {
                "type": "input",
                "block_id": NoteView.SCENE,
                "optional": True,
                "label": _plain("About a scene"),
                "element": select,
            }
        )
    blocks.append(
        {
            "type": "input",
            "block_id": NoteView.TEXT,
            "label": _plain("Your note"),
            "element": {
                "type": "plain_text_input",
                "action_id": VALUE,
                "multiline": True,
                "max_length": MAX_TEXT,
            },
        }
    )
    return {
        "type": "modal",
        "callback_id": NoteView.CALLBACK,
        "title": _plain("Note to coordinator"),
        "submit": _plain("Send"),
        "close": _plain("Cancel"),
        "private_metadata": metadata,
        "blocks": blocks,
    }


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
    return {
        "type": "modal",
        "title": _plain("Private note"),
        "close": _plain("Close"),
        "blocks": [
            _section(f"*{mrkdwn_escape(who)}* (<@{user_id}>), {about}, {when(at, zone)}"),
            _section(mrkdwn_escape(text)[:2900]),
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": _plain("Turn into request"),
                        "action_id": CoordinatorAction.TURN_INTO_REQUEST,
                        "value": pack("note", n=note_id),
                    }
                ],
            },
            _context(
                "The request starts from the note's text without who wrote it, and is checked "
                "for names before it is posted. The note stays here, encrypted."
            ),
        ],
    }


def requests_list(
    requests: list[CoordinatorRequest], *, zone: str, production: str
) -> list[dict[str, Any]]:
    """The coordinator's list: each request, its channels and who acknowledged, with
    Remind / Edit / Withdraw."""
    blocks: list[dict[str, Any]] = [_section(f"*Requests* · {mrkdwn_escape(production)}")]
    if not requests:
        blocks.append(_section("No requests yet. Post one with `/closedset request`."))
        return blocks
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
        blocks.append({"type": "divider"})
        blocks.append(_section(f"*{title}* · {scene}{status}\n" + "\n".join(lines)))
        if request.status.value == "active":
            value = pack("request", r=request.id)
            blocks.append(
                {
                    "type": "actions",
                    "block_id": f"request_actions_{request.id}",
                    "elements": [
                        {
                            "type": "button",
                            "text": _plain("Remind channels that have not acknowledged"),
                            "action_id": RequestAction.REMIND,
                            "value": value,
                        },
                        {
                            "type": "button",
                            "text": _plain("Edit"),
                            "action_id": RequestAction.EDIT,
                            "value": value,
                        },
                        {
                            "type": "button",
                            "text": _plain("Withdraw"),
                            "action_id": RequestAction.WITHDRAW,
                            "value": value,
                            "style": "danger",
                            "confirm": {
                                "title": _plain("Withdraw the request?"),
                                "text": _plain("Its messages will say it was withdrawn."),
                                "confirm": _plain("Withdraw"),
                                "deny": _plain("Keep it"),
                            },
                        },
                    ],
                }
            )
    return blocks
