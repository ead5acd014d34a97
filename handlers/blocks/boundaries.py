"""Modals about boundaries. Everything sensitive (what is planned, a performer's boundaries,
who answered what) is shown here and only here: modals are not kept in conversation history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.confirmations import STATE_OF, Offline, PerformerState, State
from bot.ids import VALUE, ChangesView, ChecklistView, ConfirmView, CoordinatorAction
from bot.meta import pack
from bot.text import mrkdwn_escape
from handlers.blocks.messages import when
from storage.boundaries import MAX_ITEMS, MAX_LABEL, Boundaries, Choice
from storage.models import AnswerKind, ChecklistItem, Scene

SECTION_MAX = 3000
NOTE_MAX = 2000


def _sections(title: str, text: str) -> list[SectionBlock]:
    """`text` under a bold title, split to fit Slack's 3,000 characters per section."""
    body = mrkdwn_escape(text)
    first = f"*{title}*\n"
    chunks: list[str] = []
    room = SECTION_MAX - len(first)
    while body:
        chunks.append(body[:room])
        body = body[room:]
        room = SECTION_MAX
    if not chunks:
        chunks = [""]
    chunks[0] = first + chunks[0]
    return [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in chunks]


def _scene_context(scene: Scene) -> ContextBlock:
    set_name = f" · {mrkdwn_escape(scene.set_name)}" if scene.set_name else ""
    return ContextBlock(
        elements=[
            MarkdownTextObject(
                text=f"*Scene {mrkdwn_escape(scene.number)}*{set_name}\n"
                f"{when(scene.start_at, scene.production.time_zone)}"
            )
        ]
    )


def boundaries_text(stated: Boundaries | None) -> str:
    if stated is None or not stated.items:
        return "You have not set out any boundaries for this scene yet."
    lines = [f"• {label}: {Choice(choice).label}" for label, choice in stated.items.values()]
    if stated.note:
        lines.append(f"Your note: {stated.note}")
    return "\n".join(lines)


def review_modal(
    scene: Scene, *, planned: str | None, stated: Boundaries | None, metadata: str
) -> dict[str, Any]:
    blocks: list[Any] = [_scene_context(scene)]
    blocks += _sections(
        "What is planned",
        planned
        or "Your coordinator has not written this down yet. If anything is unclear, ask to "
        "talk to them before confirming.",
    )
    blocks += _sections("Your boundaries", boundaries_text(stated))
    blocks.append(DividerBlock())
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Confirming tells your coordinator, privately, that you agree to what "
                    "is planned within these boundaries. You can change your mind or withdraw "
                    "at any time, also on the day."
                )
            ]
        )
    )
    return View(
        type="modal",
        callback_id=ConfirmView.CALLBACK,
        title="Review and confirm",
        submit="Confirm",
        close="Not now",
        private_metadata=metadata,
        blocks=blocks,
    ).to_dict()


def _options() -> list[Option]:
    return [Option(value=c.value, text=c.label) for c in Choice]


def changes_modal(
    scene: Scene, *, items: list[ChecklistItem], stated: Boundaries | None, metadata: str
) -> dict[str, Any]:
    options = _options()
    earlier = stated.items if stated is not None else {}
    blocks: list[Any] = [
        _scene_context(scene),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Only your coordinator sees this. Nothing you say here is ever "
                    "posted anywhere."
                )
            ]
        ),
    ]
    for item in items[:MAX_ITEMS]:
        previous = earlier.get(item.id)
        initial = next((o for o in options if previous and o.value == previous[1]), None)
        blocks.append(
            InputBlock(
                block_id=f"{ChangesView.ITEM}{item.id}",
                label=item.label[:MAX_LABEL],
                element=RadioButtonsElement(
                    action_id=VALUE, options=options, initial_option=initial
                ),
            )
        )
    blocks.append(
        InputBlock(
            block_id=ChangesView.NOTE,
            label="Anything else your coordinator should know",
            element=PlainTextInputElement(
                action_id=VALUE,
                multiline=True,
                max_length=NOTE_MAX,
                initial_value=(stated.note if stated is not None else "") or None,
            ),
            optional=True,
        )
    )
    return View(
        type="modal",
        callback_id=ChangesView.CALLBACK,
        title="Your boundaries",
        submit="Send",
        close="Cancel",
        private_metadata=metadata,
        blocks=blocks,
    ).to_dict()


def notice_modal(title: str, text: str, *, escape: bool = True) -> dict[str, Any]:
    """A modal that only says something (used to replace a modal on submit). `escape=False`
    only for text the app wrote itself, with mentions it means."""
    return View(
        type="modal",
        title=title[:24],
        close="Close",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=mrkdwn_escape(text) if escape else text))
        ],
    ).to_dict()


_ANSWERED = {
    AnswerKind.CONFIRMED: "confirmed the scene",
    AnswerKind.CHANGES: "set out their boundaries",
    AnswerKind.TALK: "would like to talk to you privately",
    AnswerKind.WITHDRAWN: "withdrew their confirmation",
}


def answer_modal(
    scene: Scene,
    *,
    who: PerformerState,
    kind: AnswerKind,
    at: datetime,
    changes: list[str],
    stated: Boundaries | None,
    zone: str,
) -> dict[str, Any]:
    name = f"{mrkdwn_escape(who.name)} (<@{who.user_id}>)"
    character = f", who plays {mrkdwn_escape(who.character)}" if who.character else ""
    blocks: list[Any] = [
        _scene_context(scene),
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*{name}*{character} {_ANSWERED[kind]} on {when(at, zone)}."
            )
        ),
    ]
    if kind is AnswerKind.CHANGES:
        blocks += _sections("What changed", "\n".join(changes) or "Nothing since last time.")
        blocks += _sections(
            "Their boundaries now", boundaries_text(stated).replace("Your", "Their")
        )
    if kind in (AnswerKind.TALK, AnswerKind.WITHDRAWN, AnswerKind.CHANGES):
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"To talk privately, open a direct message with <@{who.user_id}> "
                        "(click the name, then Message)."
                    )
                ]
            )
        )
    if who.state is not STATE_OF[kind]:
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=f"Since then: {who.state.value.lower()}.")]
            )
        )
    if kind is not AnswerKind.CONFIRMED and scene.signed_off:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"Scene {mrkdwn_escape(scene.number)} is still signed off: ADs see it "
                        "as ready until you take the sign-off back in the scene's status "
                        f"(`/closedset status {mrkdwn_escape(scene.number)}`)."
                    )
                ]
            )
        )
    return View(type="modal", title="Boundary update", close="Close", blocks=blocks).to_dict()


def status_modal(
    scene: Scene,
    states: list[PerformerState],
    *,
    zone: str,
    offline: list[Offline] | None = None,
    wrapped: bool = False,
) -> dict[str, Any]:
    """Where each performer stands, then who cannot be asked in Slack (`offline`: confirmed in
    person or not, from the coordinator's Home tab to-dos). Once the scene has `wrapped`, its
    answers can be purged early."""
    offline = offline or []
    blocks: list[Any] = [_scene_context(scene)]
    if scene.intimacy_undecided:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="*Intimacy undecided:* the schedule said neither yes nor no. Its "
                        "performers are asked until you decide (Home tab, or `/closedset "
                        f"scene {mrkdwn_escape(scene.number)}`)."
                    )
                ]
            )
        )
    if not states and not offline:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="No performers are cast in it.")))
    for state in states[:90]:
        when_text = f" · {when(state.at, zone)}" if state.at is not None else ""
        character = f" ({mrkdwn_escape(state.character)})" if state.character else ""
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*{mrkdwn_escape(state.name)}*{character} <@{state.user_id}>\n"
                    f"{state.state.value}{when_text}"
                )
            )
        )
    for person in offline[:20]:
        name = f"*{mrkdwn_escape(person.name)}* " if person.name else ""
        character = f"({mrkdwn_escape(person.character)}) " if person.character else ""
        standing = (
            "Confirmed in person"
            if person.confirmed
            else "To confirm in person (a to-do on your Home tab)"
        )
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"{name}{character}cast {mrkdwn_escape(person.cast_number)} {person.why}\n"
                    f"{standing}"
                )
            )
        )
    blocks += _sign_off_blocks(scene, states, offline)
    on_set = [
        ButtonElement(
            text="Start a check-in",
            action_id=CoordinatorAction.START_CHECKIN,
            value=pack("status", s=scene.id),
        )
    ]
    if scene.wrapped_at is None:
        on_set.append(
            ButtonElement(
                text="Mark wrapped",
                action_id=CoordinatorAction.WRAP,
                value=pack("status", s=scene.id),
                confirm=ConfirmObject(
                    title="Mark the scene wrapped?",
                    text="Each performer is asked, privately, how it went.",
                    confirm="Mark wrapped",
                    deny="Not yet",
                ),
            )
        )
    if wrapped:
        on_set.append(
            ButtonElement(
                text="Purge answers now",
                action_id=CoordinatorAction.PURGE,
                value=pack("status", s=scene.id),
                style="danger",
                confirm=ConfirmObject(
                    title="Purge this scene's answers?",
                    text="Every boundary answer, private note, check-in and closure answer "
                    "about this scene, and its planned content, are deleted for good. The "
                    "scene, its sign-off and the audit log stay.",
                    confirm="Purge now",
                    deny="Keep them",
                    style="danger",
                ),
            )
        )
    blocks.append(ActionsBlock(block_id=f"on_set_{scene.id}", elements=on_set))
    return View(
        type="modal",
        title="Scene status",
        close="Close",
        blocks=blocks,
        private_metadata=pack("status", s=scene.id),
    ).to_dict()


def _sign_off_blocks(
    scene: Scene, states: list[PerformerState], offline: list[Offline]
) -> list[Any]:
    """The coordinator's sign-off, which is all ADs see of the scene's readiness."""
    value = pack("status", s=scene.id)
    if scene.signed_off:
        return [
            DividerBlock(),
            SectionBlock(
                text=MarkdownTextObject(text="*IC sign-off complete.* ADs see the scene as ready.")
            ),
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Take back sign-off",
                        action_id=CoordinatorAction.TAKE_BACK,
                        value=value,
                    )
                ]
            ),
        ]
    if (states or offline) and (
        all(s.state is State.CONFIRMED for s in states) and all(o.confirmed for o in offline)
    ):
        return [
            DividerBlock(),
            SectionBlock(
                text=MarkdownTextObject(
                    text="Every performer has confirmed. Sign the scene off to tell the ADs it "
                    "is ready (they never see who confirmed)."
                )
            ),
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Sign off",
                        action_id=CoordinatorAction.SIGN_OFF,
                        value=value,
                        style="primary",
                    )
                ]
            ),
        ]
    return [
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Sign-off is offered once every performer has confirmed. ADs see "
                    '"IC sign-off pending" until then.'
                )
            ]
        )
    ]


def checklist_modal(labels: list[str], *, metadata: str) -> dict[str, Any]:
    return View(
        type="modal",
        callback_id=ChecklistView.CALLBACK,
        title="Boundary checklist",
        submit="Save",
        close="Cancel",
        private_metadata=metadata,
        blocks=[
            InputBlock(
                block_id=ChecklistView.ITEMS,
                label="One item per line",
                element=PlainTextInputElement(
                    action_id=VALUE,
                    multiline=True,
                    initial_value="\n".join(labels),
                    max_length=MAX_ITEMS * (MAX_LABEL + 1),
                ),
                hint=f"Performers answer each with OK, Not OK or Let's talk. Up to {MAX_ITEMS} "
                f"items of up to {MAX_LABEL} characters. Renaming an item starts it afresh.",
            )
        ],
    ).to_dict()
