"""The Home tab's blocks, from `bot.home`'s data. Each section only for the role it is for."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.confirmations import State
from bot.home import ProductionHome, Todo
from bot.ids import BoundaryAction, CoordinatorAction, HomeAction, TodoAction
from bot.meta import pack
from bot.text import mrkdwn_escape
from handlers.blocks.messages import (
    SECTION_MAX,
    button,
    confirm,
    context,
    note_button,
    performer_buttons,
    section,
    when,
)
from handlers.blocks.mydata import erasure_todo_blocks, my_data_button
from storage.models import Role, Scene

MAX_BLOCKS = 100  # Slack's limit for a Home tab
HELD_HOME = (
    "Waiting for the production to be confirmed by someone your workspace trusts. Until then "
    "it asks you nothing and shows nothing here. If you do not know it, press *This isn't "
    "right* on the message that said you were added."
)
HEADER_MAX = 150

_OWN_STATE = {
    State.CONFIRMED: "You confirmed",
    State.CHANGES: "You set out your boundaries; your coordinator will be in touch",
    State.TALK: "You asked to talk to your coordinator",
    State.WITHDRAWN: "You withdrew your confirmation",
    State.WAITING: "Waiting for your answer",
    State.NOT_ASKED: "You will be asked before it shoots",
    State.UNDELIVERABLE: "Waiting for your answer",
    State.NOT_CAST: "",
}


def _header(text: str) -> HeaderBlock:
    return HeaderBlock(text=text[:HEADER_MAX])


def _with_button(text: str, accessory: ButtonElement) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text[:SECTION_MAX]), accessory=accessory)


def _where(scene: Scene) -> str:
    zone = scene.production.time_zone
    set_name = f" · {mrkdwn_escape(scene.set_name)}" if scene.set_name else ""
    night = ", after midnight" if scene.after_midnight else ""
    return f"*Scene {scene.number}* · {when(scene.start_at, zone)}{night}{set_name}"


def home_view(homes: list[ProductionHome], *, page: int) -> dict[str, Any]:
    blocks: list[Block] = []
    if not homes:
        blocks = [
            _header("Closed Set"),
            section(
                "Closed Set looks after performers in intimate scenes: it asks each one "
                "privately, before every such scene, to confirm or change their boundaries; it "
                "lets the intimacy coordinator ask departments for things without saying who "
                "asked; and it keeps the assistant directors' reminders in step with the "
                "schedule."
            ),
            section(
                "You are not in a production yet. An intimacy coordinator starts one with "
                "`/closedset setup`, then uploads the cast list and the shooting schedule to "
                "me in a direct message. If you are a performer or an AD, your coordinator adds "
                "you."
            ),
        ]
        return View(type="home", blocks=blocks).to_dict()
    more = False
    for home in homes:
        blocks.append(_header(home.production.name))
        if Role.PERFORMER in home.roles:
            blocks += _performer(home)
        if Role.COORDINATOR in home.roles:
            blocks += _coordinator(home)
        if Role.AD in home.roles and Role.COORDINATOR not in home.roles:
            blocks += _ad(home)
        if Role.ADMIN in home.roles and len(home.roles) == 1:
            blocks.append(
                section(
                    "You are an admin of this production: `/closedset setup` for its settings "
                    "and people."
                )
            )
        more = more or home.more
        blocks.append(DividerBlock())
    paging: list[ButtonElement] = []
    if page > 0:
        paging.append(button("← Earlier", HomeAction.PAGE, pack("home", page=page - 1)))
    if more:
        paging.append(button("Later →", HomeAction.PAGE, pack("home", page=page + 1)))
    if len(blocks) > MAX_BLOCKS - 2:
        blocks = blocks[: MAX_BLOCKS - 2]
        blocks.append(context("There is more than fits here: see `/closedset schedule`."))
    if paging:
        blocks.append(ActionsBlock(block_id="home_paging", elements=paging))
    return View(type="home", blocks=blocks).to_dict()


def _performer(home: ProductionHome) -> list[Block]:
    if home.held:  # a look-alike may not gather anything: no scenes, statuses or buttons
        return [section(HELD_HOME)]
    blocks: list[Block] = [section("*Your intimate scenes*")]
    if not home.own:
        blocks.append(context("None coming up. I will message you before each one."))
    for own in home.own:
        scene = own.scene
        state = _OWN_STATE[own.state]
        blocks.append(section(f"{_where(scene)}\n{state}"))
        buttons = performer_buttons(
            scene.id, scene.revision, answered=own.state is not State.NOT_ASKED
        )
        # From Home, only what opens a window: talking and withdrawing are in your DMs.
        blocks.append(
            ActionsBlock(
                block_id=f"home_prompt_{scene.id}_{scene.revision}",
                elements=[
                    b
                    for b in buttons
                    if b.action_id not in (BoundaryAction.TALK, BoundaryAction.WITHDRAW)
                ],
            )
        )
    blocks.append(ActionsBlock(elements=[note_button(), my_data_button()]))
    return blocks


def _todo_blocks(todo: Todo) -> list[Block]:
    """One to-do: deciding a scene's intimacy (two buttons), and one line per person to
    confirm with in person, each with its button."""
    scene = todo.scene
    blocks: list[Block] = []
    value = pack("todo", s=scene.id)
    if todo.undecided:
        blocks.append(
            section(
                f"{_where(scene)}\nThe schedule left its intimacy undecided. Until you decide, "
                "it counts as intimate: its performers are asked."
            )
        )
        not_intimate = button(
            "Not intimate",
            TodoAction.NOT_INTIMATE,
            value,
            confirm=confirm(
                "Not an intimate scene?",
                f"Nothing more is sent about scene {scene.number}, and anyone already "
                "asked is told it is off.",
                "Not intimate",
                "Back",
            ),
        )
        blocks.append(
            ActionsBlock(
                block_id=f"todo_intimacy_{scene.id}",
                elements=[button("Intimate", TodoAction.INTIMATE, value, "primary"), not_intimate],
            )
        )
    for person in todo.offline:
        name = f" ({mrkdwn_escape(person.name)})" if person.name else ""
        blocks.append(
            _with_button(
                f"Scene {scene.number}: cast {mrkdwn_escape(person.cast_number)}{name} "
                f"{person.why} — confirm in person · "
                f"{when(scene.start_at, scene.production.time_zone)}",
                button(
                    "Confirmed in person",
                    TodoAction.IN_PERSON,
                    pack("todo", s=scene.id, c=person.cast_number),
                ),
            )
        )
    return blocks


def _coordinator(home: ProductionHome) -> list[Block]:
    blocks: list[Block] = []
    if home.todos or home.erasures:
        blocks.append(section("*To do*"))
        for erasure in home.erasures:
            blocks += erasure_todo_blocks(erasure, zone=home.production.time_zone)
        for todo in home.todos:
            blocks += _todo_blocks(todo)
        if home.more_todos:
            blocks.append(
                context(f"And {home.more_todos} more: they show here as you deal with these.")
            )
    blocks.append(section("*Scenes and confirmations*"))
    if not home.coordinated:
        blocks.append(context("No intimate scenes coming up."))
    for item in home.coordinated:
        scene = item.scene
        sign_off = "IC sign-off complete" if scene.signed_off else "IC sign-off pending"
        undecided = " · intimacy undecided" if scene.intimacy_undecided else ""
        lines = [
            f"• {mrkdwn_escape(p.name)}"
            + (f" ({mrkdwn_escape(p.character)})" if p.character else "")
            + f": {p.state.value}"
            for p in item.performers
        ]
        lines += [
            f"• cast {mrkdwn_escape(o.cast_number)}"
            + (f" {mrkdwn_escape(o.name)}" if o.name else "")
            + f" {o.why}: "
            + ("confirmed in person" if o.confirmed else "to confirm in person")
            for o in item.offline
        ]
        blocks.append(section(f"{_where(scene)} · {sign_off}{undecided}\n" + "\n".join(lines)))
        blocks.append(
            ActionsBlock(
                block_id=f"home_status_{scene.id}",
                elements=[
                    button(
                        "Status and sign-off",
                        CoordinatorAction.VIEW_STATUS,
                        pack("status", s=scene.id),
                    ),
                    button(
                        "Start a check-in",
                        CoordinatorAction.START_CHECKIN,
                        pack("status", s=scene.id),
                    ),
                ],
            )
        )
    zone = home.production.time_zone
    if home.notes:
        blocks.append(section("*Private notes (last two weeks)*"))
        for note in home.notes:
            about = f"scene {note.scene_number}" if note.scene_number else "not about one scene"
            blocks.append(
                _with_button(
                    f"Note · {about} · {when(note.at, zone)}",
                    button("View", CoordinatorAction.VIEW_NOTE, pack("note", n=note.note_id)),
                )
            )
    if home.requests:
        lines = [
            f"• {mrkdwn_escape(r.title)}"
            + (f" · scene {r.scene_number}" if r.scene_number else "")
            + f" · {r.acknowledged} acknowledgement{'s' if r.acknowledged != 1 else ''} in "
            f"{r.channels} channel{'s' if r.channels != 1 else ''}"
            for r in home.requests
        ]
        blocks.append(section("*Open requests*\n" + "\n".join(lines)))
    value = pack("home", p=home.production.id)
    blocks.append(
        ActionsBlock(
            block_id=f"home_shortcuts_{home.production.id}",
            elements=[
                button("New request", HomeAction.REQUEST, value, "primary"),
                button("Boundary checklist", HomeAction.CHECKLIST, value),
                button("Setup", HomeAction.SETUP, value),
            ],
        )
    )
    blocks.append(
        context(
            "To import a cast list or a shooting schedule, upload the file to me in a direct "
            "message. `/closedset requests` lists requests and who acknowledged them."
        )
    )
    return blocks


def _ad(home: ProductionHome) -> list[Block]:
    blocks: list[Block] = [section("*Upcoming intimate scenes*")]
    if not home.ad:
        blocks.append(context("None coming up."))
    zone = ZoneInfo(home.production.time_zone)
    for item in home.ad:
        scene = item.scene
        local = scene.start_at.astimezone(zone)
        flags = ["Closed set"] if scene.is_closed_set else []
        flags.append("IC sign-off complete" if scene.signed_off else "IC sign-off pending")
        nxt = (
            f"\nNext reminder: {when(item.next_reminder, home.production.time_zone)}"
            if item.next_reminder
            else ""
        )
        set_name = f" · {mrkdwn_escape(scene.set_name)}" if scene.set_name else ""
        blocks.append(
            section(
                f"*Scene {scene.number}* · {local:%a %d %b %H:%M} ({home.production.time_zone})"
                f"{set_name}\n{' · '.join(flags)}{nxt}"
            )
        )
    return blocks
