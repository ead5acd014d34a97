"""What each message says: Block Kit for the values of `bot.delivery.content`.

The rule of every message here: references, times and buttons, nothing else. No planned
content, no boundary, no answer, and no performer's name beside a status: those are shown in
modals opened from the buttons. A coordinator's message about an answer reads the same whatever
the answer was ("Boundary update — scene 42"), so even a one-performer scene gives nothing away
in a workspace export. Times are written with Slack's `<!date>` so each reader sees their own
zone, followed by the production's local time.

`render(content)` is the renderer the serving layer hands to the dispatcher; the other builders
are for handlers that show the same messages again (a prompt once answered, a request's count).
Builders take plain values only and query nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import assert_never
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.access import ROLE_NAMES
from bot.delivery.content import (
    AdCancelled,
    AdReminder,
    AdScene,
    Answered,
    AnswerNotice,
    Asker,
    CheckinPrompt,
    Closed,
    ClosureNotice,
    ClosurePrompt,
    Content,
    Digest,
    Erasure,
    Escalation,
    FailureNotice,
    Held,
    Lapsed,
    LiveCheckin,
    NoteNotice,
    Outgoing,
    PauseAlert,
    Prompt,
    Removed,
    RequestMessage,
    RequestReminder,
    RoleAdded,
    RoleChange,
    SceneRef,
    ShortNotice,
    Upcoming,
)
from bot.depersonalize import escape_user_text
from bot.ids import (
    AdAction,
    BoundaryAction,
    CheckinAction,
    ClosureAction,
    CoordinatorAction,
    RequestAction,
    RoleAction,
)
from bot.meta import pack
from bot.roles import role_names
from bot.text import mrkdwn_escape
from storage.models import Role

SECTION_MAX = 3000
"""Slack's limit for a section's text (slack_sdk refuses longer)."""

PRIVACY_NOTE = (
    "What is planned and your answers open in a private window: they are never written into "
    "this conversation. Only your intimacy coordinator sees them."
)

TYPED_TEXT = (
    "I don't keep what is typed here: this conversation can be exported by your workspace's "
    "owner, like any other. To tell your intimacy coordinator something privately, use the "
    "button: only they will read it, and it is stored encrypted."
)


def when(at: datetime, zone_name: str) -> str:
    """`at` in the reader's zone (Slack renders it), then in the production's."""
    local = at.astimezone(ZoneInfo(zone_name))
    fallback = local.strftime("%a %d %b %H:%M %Z")
    stamp = int(at.timestamp())
    return (
        f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|{fallback}> your time "
        f"({local.strftime('%a %d %b %H:%M')} {zone_name} production time)"
    )


def section(text: str) -> SectionBlock:
    """A mrkdwn section, cut to Slack's 3,000 characters."""
    if len(text) > SECTION_MAX:
        text = text[: SECTION_MAX - 1] + "…"
    return SectionBlock(text=MarkdownTextObject(text=text))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text[:SECTION_MAX])])


def button(
    text: str,
    action_id: str,
    value: str,
    style: str | None = None,
    *,
    confirm: ConfirmObject | None = None,
) -> ButtonElement:
    return ButtonElement(text=text, action_id=action_id, value=value, style=style, confirm=confirm)


def confirm(title: str, text: str, yes: str, no: str) -> ConfirmObject:
    return ConfirmObject(
        title=PlainTextObject(text=title),
        text=PlainTextObject(text=text),
        confirm=PlainTextObject(text=yes),
        deny=PlainTextObject(text=no),
    )


def to_dicts(blocks: Sequence[Block]) -> list[dict[str, object]]:
    """Blocks as sent (slack_sdk validates Slack's limits here)."""
    return [b.to_dict() for b in blocks]


def _out(text: str, blocks: Sequence[Block], thread_ts: str | None = None) -> Outgoing:
    return Outgoing(text=text, blocks=to_dicts(blocks), thread_ts=thread_ts)


def one_line(text: str) -> list[dict[str, object]]:
    """One mrkdwn section, as the blocks of a message that says one thing."""
    return to_dicts([section(text)])


# --- pieces several surfaces show ------------------------------------------------------------


def scene_line(scene: SceneRef) -> str:
    parts = [f"Shoots {when(scene.start_at, scene.time_zone)}"]
    if scene.set_name:
        parts.append(f"Set: {mrkdwn_escape(scene.set_name)}")
    return "\n".join(parts)


def asked_by(asker: Asker) -> str:
    who = ", ".join(f"<@{c}>" for c in asker.coordinators) or "nobody yet"
    return f"{mrkdwn_escape(asker.production_name)} · coordinated by {who}"


def note_button(scene_id: int | None = None) -> ButtonElement:
    """A performer's "Note to the coordinator" (the modal asks which production and scene)."""
    value = pack("note", s=scene_id) if scene_id is not None else pack("note")
    return button("Note to the coordinator", RequestAction.NOTE, value)


def performer_buttons(scene_id: int, revision: int, *, answered: bool) -> list[ButtonElement]:
    value = pack("prompt", s=scene_id, r=revision)
    buttons = [
        button(
            "Review my answer" if answered else "Review and confirm",
            BoundaryAction.REVIEW,
            value,
            None if answered else "primary",
        ),
        button("I'd like changes", BoundaryAction.CHANGES, value),
        button("Talk to the coordinator privately", BoundaryAction.TALK, value),
        note_button(scene_id),
    ]
    if answered:
        buttons.append(
            button(
                "Withdraw",
                BoundaryAction.WITHDRAW,
                value,
                "danger",
                confirm=confirm(
                    "Withdraw?",
                    "Your coordinator will be told at once, privately. You can confirm "
                    "again whenever you like.",
                    "Withdraw",
                    "Keep it",
                ),
            )
        )
    return buttons


def performer_actions(scene_id: int, revision: int, *, answered: bool) -> ActionsBlock:
    return ActionsBlock(
        block_id=f"prompt_{scene_id}_{revision}",
        elements=performer_buttons(scene_id, revision, answered=answered),
    )


def typed_text_message() -> Outgoing:
    """Why text typed to the bot is not kept, and the note button."""
    return _out(
        "Messages typed here are not kept",
        [section(TYPED_TEXT), ActionsBlock(elements=[note_button()])],
    )


def upcoming_scenes(scenes: Sequence[Upcoming], *, more: bool) -> Outgoing:
    """A performer's upcoming intimate scenes, each with its buttons (3 blocks a scene: at
    most 15 of them fit a message's 50 blocks)."""
    blocks: list[Block] = [
        section(
            "*Your upcoming intimate scenes*\nWhat is planned and your answers open in a "
            "private window; only your coordinator sees them."
        )
    ]
    for item in scenes:
        scene = item.scene
        blocks.append(DividerBlock())
        blocks.append(
            section(
                f"*Scene {scene.number}* · {mrkdwn_escape(item.production_name)}\n"
                f"{scene_line(scene)}"
            )
        )
        blocks.append(performer_actions(scene.id, scene.revision, answered=item.answered))
    if more:
        blocks.append(context(f"Showing the next {len(scenes)}."))
    return _out("Your upcoming intimate scenes", blocks)


# --- the renderer ----------------------------------------------------------------------------


def render(content: Content) -> Outgoing:
    """The message for what a delivery is about (`bot.delivery.content.gather`)."""
    match content:
        case Prompt():
            return prompt(content)
        case Answered():
            return answered(content)
        case Lapsed():
            return lapsed(content)
        case Closed():
            return closed(content)
        case Removed():
            why = (
                "taken off the schedule" if content.removed else "no longer needs a boundary check"
            )
            title = f"Scene {content.scene_number} is {why}"
            return _out(title, [section(f"*{title}.*\nNothing is needed from you for it.")])
        case ClosurePrompt():
            return closure_prompt(content)
        case CheckinPrompt():
            return checkin_prompt(content)
        case RoleAdded():
            return role_added(content)
        case AnswerNotice():
            return _coordinator(
                f"Boundary update — scene {_number(content.scene_number)}",
                CoordinatorAction.VIEW_ANSWER,
                pack("answer", a=content.answer_id),
            )
        case NoteNotice():
            return _coordinator(
                f"New private note{_where(content.scene_number)}",
                CoordinatorAction.VIEW_NOTE,
                pack("note", n=content.note_id),
            )
        case FailureNotice():
            return _coordinator(
                f"A message could not be delivered{_where(content.scene_number)}",
                CoordinatorAction.VIEW_FAILURE,
                pack("failure", d=content.delivery_id),
            )
        case ClosureNotice():
            return _coordinator(
                f"Closure — scene {content.scene_number}",
                CoordinatorAction.VIEW_CLOSURE,
                pack("closure", s=content.scene_id),
            )
        case PauseAlert():
            return _coordinator(
                f"Pause requested — scene {content.scene_number}",
                CheckinAction.VIEW,
                pack("checkin", r=content.round_id),
                f"Check-in {content.round_number}. Please go to the set now.",
            )
        case LiveCheckin():
            return checkin_live(content)
        case Escalation():
            return _coordinator(
                f"Confirmations still missing — scene {content.scene.number}",
                CoordinatorAction.VIEW_STATUS,
                pack("status", s=content.scene.id),
                scene_line(content.scene),
            )
        case ShortNotice():
            return _coordinator(
                f"Short notice — scene {content.scene.number}",
                CoordinatorAction.VIEW_STATUS,
                pack("status", s=content.scene.id),
                f"{scene_line(content.scene)}\nIts performers were asked now, inside the "
                "production's notice period.",
            )
        case RoleChange():
            return role_change(content)
        case Held():
            return held(content)
        case Erasure():
            return erasure(content)
        case RequestMessage():
            return request_message(content)
        case RequestReminder():
            return _out(
                "Reminder: please acknowledge the intimacy coordinator's request",
                [
                    section(
                        "*Reminder:* please read the intimacy coordinator's request above "
                        "and press *Acknowledge*."
                    )
                ],
                thread_ts=content.thread_ts,
            )
        case AdReminder():
            return ad_reminder(content)
        case AdCancelled():
            why = "taken off the schedule" if content.removed else "no longer an intimate scene"
            title = f"Scene {content.scene_number} is {why}"
            return _out(title, [section(f"*{title}.* The reminders for it are cancelled.")])
        case Digest():
            return digest(content)
        case _:
            assert_never(content)


def _number(scene_number: str | None) -> str:
    return scene_number if scene_number is not None else "(removed)"


def _where(scene_number: str | None) -> str:
    return f" — scene {scene_number}" if scene_number is not None else ""


# --- to performers ---------------------------------------------------------------------------


def _what(changed: Sequence[str]) -> str:
    words = {
        "content": "what is planned",
        "time": "its time",
        "intimacy": "it now involves intimacy",
        "returned": "it is back on the schedule",
    }
    named = [words[c] for c in changed if c in words]
    return f" ({' and '.join(named)})" if named else ""


def prompt(content: Prompt) -> Outgoing:
    scene = content.scene
    title = f"Boundary check — scene {scene.number}"
    lead = f"*{title}*"
    if content.nudge:
        lead = f"*A gentle reminder — scene {scene.number}*\nWe have not had your answer yet."
    elif content.again:
        lead = (
            f"*Scene {scene.number} has changed{_what(content.changed)}*\nPlease look at it again."
        )
    return _out(
        title,
        [
            section(f"{lead}\n{asked_by(content.asker)}\n{scene_line(scene)}"),
            performer_actions(scene.id, scene.revision, answered=False),
            context(PRIVACY_NOTE),
        ],
    )


def answered(content: Answered) -> Outgoing:
    """What a performer's prompt becomes once they answered: the same whatever the answer."""
    scene = content.scene
    text = f"Boundary check — scene {scene.number}"
    return _out(
        text,
        [
            section(
                f"*{text}*\n{asked_by(content.asker)}\n{scene_line(scene)}\nThanks — your "
                f"answer is saved ({when(content.at, scene.time_zone)}). You can review, change "
                "or withdraw it at any time."
            ),
            performer_actions(scene.id, scene.revision, answered=True),
            context(PRIVACY_NOTE),
        ],
    )


def lapsed(content: Lapsed) -> Outgoing:
    scene = content.scene
    return _out(
        f"Scene {scene.number} has changed",
        [
            section(
                f"*Scene {scene.number} has changed{_what(content.changed)}*"
                f"\nYour earlier answer no longer applies. We will ask you again before it "
                f"shoots; you can also look now.\n{asked_by(content.asker)}\n{scene_line(scene)}"
            ),
            performer_actions(scene.id, scene.revision, answered=False),
            context(PRIVACY_NOTE),
        ],
    )


def closed(content: Closed) -> Outgoing:
    """A prompt that no longer takes answers (a newer one replaced it, or the scene is off)."""
    text = f"Boundary check — scene {content.scene_number}"
    return _out(text, [section(f"*{text}*\n{content.why}")])


def closure_prompt(content: ClosurePrompt) -> Outgoing:
    title = f"How did scene {content.scene_number} go?"
    value = pack("closure", s=content.scene_id)
    return _out(
        title,
        [
            section(
                f"*{title}*\nOnly your coordinator sees your answer. You can also write to "
                "them privately."
            ),
            ActionsBlock(
                block_id=f"closure_{content.scene_id}",
                elements=[
                    button("It went OK", ClosureAction.OK, value, "primary"),
                    button("Not OK", ClosureAction.NOT_OK, value),
                    button("I'd like to talk", ClosureAction.TALK, value),
                    note_button(content.scene_id),
                ],
            ),
        ],
    )


def checkin_prompt(content: CheckinPrompt) -> Outgoing:
    title = f"Check-in — scene {content.scene_number}, take {content.round_number}"
    value = pack("checkin", r=content.round_id)
    return _out(
        title,
        [
            section(f"*{title}*\nHow are you? Only your coordinator sees your answer."),
            ActionsBlock(
                block_id=f"checkin_{content.round_id}",
                elements=[
                    button("Still good", CheckinAction.GOOD, value, "primary"),
                    button("Want to adjust", CheckinAction.ADJUST, value),
                    button("Need a pause", CheckinAction.PAUSE, value, "danger"),
                ],
            ),
        ],
    )


def _by(user_id: str) -> str:
    return (
        f"<@{user_id}>" if user_id[:1] in ("U", "W") and user_id.isalnum() else "the command line"
    )


def role_added(content: RoleAdded) -> Outgoing:
    """To someone given a role by someone else: where, what and by whom, and the way out."""
    name = mrkdwn_escape(content.production_name)
    roles = list(content.roles)
    lines = [f"*You were added to {name}* as {role_names(roles)}, by {_by(content.by)}."]
    if Role.PERFORMER.value in roles:
        lines.append(
            "Before each of its intimate scenes you will be asked, privately, to review what "
            "is planned and confirm your boundaries."
        )
    not_right = button(
        "This isn't right",
        RoleAction.NOT_RIGHT,
        pack("role", d=content.delivery_id),
        "danger",
        confirm=confirm(
            "Take yourself off?",
            "You are taken off this production at once, and its coordinators are told.",
            "Take me off",
            "Cancel",
        ),
    )
    return _out(
        f"You were added to {name}",
        [
            section("\n".join(lines)),
            ActionsBlock(block_id=f"role_{content.delivery_id}", elements=[not_right]),
            context(
                "If you do not know this production or who added you, press *This isn't "
                "right*: you are taken off it at once, and its coordinators are told."
            ),
        ],
    )


# --- to coordinators -------------------------------------------------------------------------


def _coordinator(title: str, action_id: str, value: str, body: str = "") -> Outgoing:
    text = f"*{title}*" + (f"\n{body}" if body else "")
    return _out(
        title,
        [section(text), ActionsBlock(elements=[button("View", action_id, value, "primary")])],
    )


def checkin_live(content: LiveCheckin) -> Outgoing:
    """The coordinator's live message of a round: counts only, never who answered what."""
    title = f"Check-in — scene {content.scene_number}, take {content.round_number}"
    counted = content.counts
    body = (
        f"Answered {counted.answered} of {counted.performers} · still good {counted.good} · "
        f"adjust {counted.adjust} · pause {counted.pause}"
    )
    return _coordinator(title, CheckinAction.VIEW, pack("checkin", r=content.round_id), body)


def role_change(content: RoleChange) -> Outgoing:
    """To a coordinator: who was added or removed, as what, and by whom (people and roles
    only)."""
    name = mrkdwn_escape(content.production_name)
    by = _by(content.by)
    people = content.people
    if content.disputed:
        title = f"Someone says they should not be in {name}"
        taken = role_names([r.value for _, r, sign in people if sign == "-"])
        lines = [f"*{by} says they should not be in {name}*: taken off it as {taken}."]
        if any(r is Role.PERFORMER for _, r, _ in people):
            lines.append(
                "Their line on the cast list stays, without a Slack account: if the cast list "
                "matched the wrong person, correct it and import it again."
            )
    else:
        title = f"People changed in {name}"
        lines = [f"*{title}* — by {by}"]
        lines += [
            f"• <@{user}> {'added as' if sign == '+' else 'no longer'} {ROLE_NAMES[role]}"
            for user, role, sign in people
        ]
        if content.more:
            lines.append(f"…and {content.more} more")
    return _out(title, [section("\n".join(lines))])


def held(content: Held) -> Outgoing:
    """To the coordinators of a production nobody has vouched for (see `bot.roles`), and
    once someone has."""
    name = mrkdwn_escape(content.production_name)
    if content.vouched_by is not None:
        title = f"{name} is vouched for"
        return _out(
            title,
            [
                section(
                    f"*{title}*, by {_by(content.vouched_by)}: its performers are asked from now "
                    "on (boundary checks, check-ins, closure questions)."
                )
            ],
        )
    title = f"{name}: performers are asked nothing yet"
    return _out(
        title,
        [
            section(
                f"*{title}*\nIt was set up by someone who coordinates no other production in "
                "this workspace, so nobody here has vouched for it: a production named like a "
                "real one could otherwise collect what performers tell it. Boundary checks, "
                "check-ins and closure questions wait until a coordinator of another production "
                "here, or a workspace admin, vouches for it: add them as an admin in "
                "`/closedset setup`, and have them open its setup and save it once."
            )
        ],
    )


def erasure(content: Erasure) -> Outgoing:
    """A performer's data erasure: asked for (to coordinators), or done (to the performer).
    Nothing of what was erased, and not who asked."""
    name = mrkdwn_escape(content.production_name)
    if content.asked:
        title = f"Data erasure asked for — {name}"
        body = (
            "A performer asked for what Closed Set holds about them in this production to be "
            "erased. Who, and the *Erase* button, are in the to-do list on your Home tab."
        )
    else:
        title = f"Your data in {name} was erased"
        body = (
            "As you asked, your coordinator erased your boundary answers, private notes, "
            "check-in and closure answers in this production. `/closedset mydata` shows what "
            "is left."
        )
    return _out(title, [section(f"*{title}*\n{body}")])


# --- to departments and ADs ------------------------------------------------------------------


def request_message(content: RequestMessage) -> Outgoing:
    """A request as its channel shows it: from the intimacy coordinator, never from anyone
    else; people's text shown as text; the number of acknowledgements and the button."""
    scene = content.scene
    title = "Intimacy coordinator request"
    if scene is not None:
        title += f" — scene {scene.number}"
        about = f"Scene {scene.number} · {scene_line(scene)}"
    else:
        about = "Standing production requirement"
    if not content.active:
        return _out(
            f"{title} (withdrawn)",
            [section(f"*{title}*\nWithdrawn by the intimacy coordinator.")],
        )
    count = content.acks
    acks = (
        f"Acknowledged by {count} {'person' if count == 1 else 'people'}"
        if count
        else "Not acknowledged yet"
    )
    edited = " · edited" if content.edited else ""
    return _out(
        title,
        [
            section(f"*{title}*\n{about}"),
            section(escape_user_text(content.text, allow_channel_ping=content.allow_ping)),
            context(f"{acks}{edited}"),
            ActionsBlock(
                block_id=f"request_{content.post_id}",
                elements=[
                    button(
                        "Acknowledge",
                        RequestAction.ACKNOWLEDGE,
                        pack("ack", p=content.post_id),
                        "primary",
                    )
                ],
            ),
        ],
    )


def _production_time(start_at: datetime, zone: str) -> str:
    return f"{start_at.astimezone(ZoneInfo(zone)):%a %d %b %H:%M} ({zone})"


def _scene_facts(scene: AdScene) -> list[Block]:
    """What ADs are told of a scene: logistics and readiness, never a performer."""
    where = f" · {mrkdwn_escape(scene.set_name)}" if scene.set_name else ""
    blocks: list[Block] = [
        section(
            f"*Scene {scene.number}* · {_production_time(scene.start_at, scene.time_zone)}{where}"
        )
    ]
    if scene.closed_set_text is not None:
        blocks.append(section(mrkdwn_escape(scene.closed_set_text)))
    titles = [mrkdwn_escape(t) for t in scene.asked]
    asked = "\n".join(f"• {t}" for t in titles) if titles else "None."
    blocks.append(section(f"*Asked of departments*\n{asked}"))
    blocks.append(context("IC sign-off complete" if scene.signed_off else "IC sign-off pending"))
    return blocks


def ad_reminder(content: AdReminder) -> Outgoing:
    scene = content.scene
    value = pack("adrem", d=content.delivery_id)
    return _out(
        f"Coming up: scene {scene.number} at {_production_time(scene.start_at, scene.time_zone)}",
        [
            section(f"*Coming up: intimate scene {scene.number}*"),
            *_scene_facts(scene),
            ActionsBlock(
                block_id=f"adrem_{content.delivery_id}",
                elements=[
                    button("Snooze 10 min", AdAction.SNOOZE, value),
                    button("Done", AdAction.DONE, value),
                ],
            ),
        ],
    )


def digest(content: Digest) -> Outgoing:
    """Tomorrow's intimate scenes (`bot.delivery.content.DIGEST_SCENES` of them at most)."""
    title = f"Tomorrow's intimate scenes — {content.day:%a %d %b}"
    blocks: list[Block] = [section(f"*{title}*")]
    for scene in content.scenes:
        blocks.append(DividerBlock())
        blocks += _scene_facts(scene)
    if content.more:
        blocks.append(context(f"And {content.more} more: see `/closedset schedule`."))
    return _out(title, blocks)
