"""What each delivery says, decided when it is sent (so it tells the scene as it is then).

The rule of every message here: references, times and buttons, nothing else. No planned
content, no boundary, no answer, and no performer's name beside a status: those are shown in
modals opened from the buttons. A coordinator's message about an answer reads the same whatever
the answer was ("Boundary update — scene 42"), so even a one-performer scene gives nothing away
in a workspace export. Times are written with Slack's `<!date>` so each reader sees their own
zone, followed by the production's local time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import ROLE_NAMES
from bot.checkins import Counts, counts, newest
from bot.confirmations import all_confirmed
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
from storage.boundaries import answers_for
from storage.models import (
    CheckinRound,
    CoordinatorRequest,
    Delivery,
    DeliveryKind,
    Production,
    RequestPost,
    RequestStatus,
    Role,
    Scene,
)


@dataclass(frozen=True)
class Outgoing:
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None


@dataclass(frozen=True)
class Skip:
    reason: str


def when(at: datetime, zone_name: str) -> str:
    """`at` in the reader's zone (Slack renders it), then in the production's."""
    local = at.astimezone(ZoneInfo(zone_name))
    fallback = local.strftime("%a %d %b %H:%M %Z")
    stamp = int(at.timestamp())
    return (
        f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|{fallback}> your time "
        f"({local.strftime('%a %d %b %H:%M')} {zone_name} production time)"
    )


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def scene_line(scene: Scene) -> str:
    zone = scene.production.time_zone
    parts = [f"Shoots {when(scene.start_at, zone)}"]
    if scene.set_name:
        parts.append(f"Set: {mrkdwn_escape(scene.set_name)}")
    return "\n".join(parts)


def asked_by(scene: Scene) -> str:
    """Which production asks, and who coordinates it: a production called like another one
    cannot pass for it."""
    production = scene.production
    coordinators = [m.slack_user_id for m in production.members if m.role is Role.COORDINATOR]
    who = ", ".join(f"<@{c}>" for c in coordinators) or "nobody yet"
    return f"{mrkdwn_escape(production.name)} · coordinated by {who}"


def performer_actions(scene: Scene, *, answered: bool) -> dict[str, Any]:
    value = pack("prompt", s=scene.id, r=scene.revision)
    buttons = [
        _button(
            "Review my answer" if answered else "Review and confirm",
            BoundaryAction.REVIEW,
            value,
            None if answered else "primary",
        ),
        _button("I'd like changes", BoundaryAction.CHANGES, value),
        _button("Talk to the coordinator privately", BoundaryAction.TALK, value),
    ]
    buttons.append(note_button(scene.id))
    if answered:
        withdraw = _button("Withdraw", BoundaryAction.WITHDRAW, value, "danger")
        withdraw["confirm"] = {
            "title": {"type": "plain_text", "text": "Withdraw?"},
            "text": {
                "type": "plain_text",
                "text": "Your coordinator will be told at once, privately. You can confirm "
                "again whenever you like.",
            },
            "confirm": {"type": "plain_text", "text": "Withdraw"},
            "deny": {"type": "plain_text", "text": "Keep it"},
        }
        buttons.append(withdraw)
    return {
        "type": "actions",
        "block_id": f"prompt_{scene.id}_{scene.revision}",
        "elements": buttons,
    }


def note_button(scene_id: int | None = None) -> dict[str, Any]:
    """A performer's "Note to the coordinator" (the modal asks which production and scene)."""
    value = pack("note", s=scene_id) if scene_id is not None else pack("note")
    return _button("Note to the coordinator", RequestAction.NOTE, value)


PRIVACY_NOTE = (
    "What is planned and your answers open in a private window: they are never written into "
    "this conversation. Only your intimacy coordinator sees them."
)


def prompt(scene: Scene, *, again: bool, changed: list[str], nudge: bool = False) -> Outgoing:
    title = f"Boundary check — scene {scene.number}"
    lead = f"*{title}*"
    if nudge:
        lead = f"*A gentle reminder — scene {scene.number}*\nWe have not had your answer yet."
    elif again:
        lead = f"*Scene {scene.number} has changed{_what(changed)}*\nPlease look at it again."
    return Outgoing(
        text=title,
        blocks=[
            _section(f"{lead}\n{asked_by(scene)}\n{scene_line(scene)}"),
            performer_actions(scene, answered=False),
            _context(PRIVACY_NOTE),
        ],
    )


def answered(scene: Scene, at: datetime) -> Outgoing:
    """What a performer's prompt becomes once they answered: the same whatever the answer."""
    text = f"Boundary check — scene {scene.number}"
    return Outgoing(
        text=text,
        blocks=[
            _section(
                f"*{text}*\n{asked_by(scene)}\n{scene_line(scene)}\nThanks — your answer is saved "
                f"({when(at, scene.production.time_zone)}). You can review, change or withdraw "
                "it at any time."
            ),
            performer_actions(scene, answered=True),
            _context(PRIVACY_NOTE),
        ],
    )


def closed(scene: Scene, why: str) -> Outgoing:
    """A prompt that no longer takes answers (a newer one replaced it, or the scene is off)."""
    text = f"Boundary check — scene {scene.number}"
    return Outgoing(text=text, blocks=[_section(f"*{text}*\n{why}")])


def _what(changed: list[str]) -> str:
    words = {
        "content": "what is planned",
        "time": "its time",
        "intimacy": "it now involves intimacy",
        "returned": "it is back on the schedule",
    }
    named = [words[c] for c in changed if c in words]
    return f" ({' and '.join(named)})" if named else ""


def render(session: Session, row: Delivery, *, now: datetime) -> Outgoing | Skip:
    """The message for a due row, or why it is no longer worth sending."""
    if row.expires_at is not None and row.expires_at <= now:
        return Skip("expired")
    scene = session.get(Scene, row.scene_id) if row.scene_id is not None else None
    kind = row.kind
    if kind is DeliveryKind.ANSWER:
        return _coordinator(
            f"Boundary update — scene {_number(scene)}",
            CoordinatorAction.VIEW_ANSWER,
            pack("answer", a=int(row.detail["answer"])),
        )
    if kind is DeliveryKind.NOTE:
        where = f" — scene {scene.number}" if scene is not None else ""
        return _coordinator(
            f"New private note{where}",
            CoordinatorAction.VIEW_NOTE,
            pack("note", n=int(row.detail["note"])),
        )
    if kind is DeliveryKind.REQUEST:
        post = session.get(RequestPost, int(row.detail["post"]))
        if post is None or post.request.status is not RequestStatus.ACTIVE:
            return Skip("withdrawn")
        if row.detail.get("remind"):
            if not post.ts:
                return Skip("not posted")
            return Outgoing(
                text="Reminder: please acknowledge the intimacy coordinator's request",
                blocks=[
                    _section(
                        "*Reminder:* please read the intimacy coordinator's request above "
                        "and press *Acknowledge*."
                    )
                ],
                thread_ts=post.ts,
            )
        return request_message(post)
    if kind is DeliveryKind.DIGEST:
        return digest(session, row)
    if kind in (DeliveryKind.CHECKIN, DeliveryKind.CHECKIN_LIVE, DeliveryKind.PAUSE):
        round_ = session.get(CheckinRound, int(row.detail["round"]))
        if round_ is None:
            return Skip("no round")
        if kind is DeliveryKind.PAUSE:
            return _coordinator(
                f"Pause requested — scene {round_.scene.number}",
                CheckinAction.VIEW,
                pack("checkin", r=round_.id),
                f"Check-in {round_.number}. Please go to the set now.",
            )
        if kind is DeliveryKind.CHECKIN_LIVE:
            return checkin_live(round_, counts(session, round_))
        if newest(session, round_.scene_id) is not round_:
            return Skip("a newer round started")
        return checkin_prompt(round_)
    if kind is DeliveryKind.UNDELIVERABLE:
        where = f" — scene {scene.number}" if scene is not None else ""
        return _coordinator(
            f"A message could not be delivered{where}",
            CoordinatorAction.VIEW_FAILURE,
            pack("failure", d=int(row.detail["delivery"])),
        )
    if kind in (DeliveryKind.ROLE_ADDED, DeliveryKind.ROLE_CHANGE, DeliveryKind.HELD):
        production = session.get(Production, row.production_id)
        if production is None:
            return Skip("no production")
        if kind is DeliveryKind.ROLE_ADDED:
            return role_added(production, row)
        if kind is DeliveryKind.ROLE_CHANGE:
            return role_change(production, row.detail)
        return held(production, vouched_by=row.detail.get("vouched_by"))
    if scene is None:
        return Skip("no scene")
    if kind is DeliveryKind.CLOSURE_ANSWER:
        return _coordinator(
            f"Closure — scene {scene.number}",
            CoordinatorAction.VIEW_CLOSURE,
            pack("closure", s=scene.id),
        )
    if kind is DeliveryKind.CLOSURE:
        if scene.removed or not scene.intimacy:
            return Skip("scene off")
        return closure_prompt(scene)
    live = scene.intimacy and not scene.removed and scene.revision == row.revision
    if kind is DeliveryKind.AD_CANCELLED:
        why = "taken off the schedule" if scene.removed else "no longer an intimate scene"
        return Outgoing(
            text=f"Scene {scene.number} is {why}",
            blocks=[
                _section(f"*Scene {scene.number} is {why}.* The reminders for it are cancelled.")
            ],
        )
    if kind is DeliveryKind.AD_REMINDER:
        if not scene.intimacy or scene.removed:
            return Skip("scene changed")
        return ad_reminder(session, scene, delivery_id=row.id)
    if kind is DeliveryKind.REMOVED:
        why = "taken off the schedule" if scene.removed else "no longer needs a boundary check"
        return Outgoing(
            text=f"Scene {scene.number} is {why}",
            blocks=[
                _section(f"*Scene {scene.number} is {why}.*\nNothing is needed from you for it.")
            ],
        )
    if not live:
        return Skip("scene changed")
    if kind in (DeliveryKind.PROMPT, DeliveryKind.NUDGE):
        if _has_answer(session, scene, row.recipient):
            return Skip("answered")
        return prompt(
            scene,
            again=bool(row.detail.get("again")),
            changed=list(row.detail.get("changed", [])),
            nudge=kind is DeliveryKind.NUDGE,
        )
    if kind is DeliveryKind.LAPSED:
        changed = _what(list(row.detail.get("changed", [])))
        return Outgoing(
            text=f"Scene {scene.number} has changed",
            blocks=[
                _section(
                    f"*Scene {scene.number} has changed{changed}*"
                    f"\nYour earlier answer no longer applies. We will ask you again before it "
                    f"shoots; you can also look now.\n{asked_by(scene)}\n{scene_line(scene)}"
                ),
                performer_actions(scene, answered=False),
                _context(PRIVACY_NOTE),
            ],
        )
    status_value = pack("status", s=scene.id)
    if kind is DeliveryKind.ESCALATION:
        if all_confirmed(session, scene):
            return Skip("all confirmed")
        return _coordinator(
            f"Confirmations still missing — scene {scene.number}",
            CoordinatorAction.VIEW_STATUS,
            status_value,
            scene_line(scene),
        )
    if kind is DeliveryKind.SHORT_NOTICE:
        return _coordinator(
            f"Short notice — scene {scene.number}",
            CoordinatorAction.VIEW_STATUS,
            status_value,
            f"{scene_line(scene)}\nIts performers were asked now, inside the production's "
            "notice period.",
        )
    return Skip(f"unknown kind {kind}")


def request_message(post: RequestPost) -> Outgoing:
    """A request as its channel shows it: from the intimacy coordinator, never from anyone
    else; people's text shown as text; the number of acknowledgements and the button."""
    request = post.request
    scene = request.scene
    title = "Intimacy coordinator request"
    if scene is not None:
        title += f" — scene {scene.number}"
        about = f"Scene {scene.number} · {scene_line(scene)}"
    else:
        about = "Standing production requirement"
    if request.status is not RequestStatus.ACTIVE:
        return Outgoing(
            text=f"{title} (withdrawn)",
            blocks=[_section(f"*{title}*\nWithdrawn by the intimacy coordinator.")],
        )
    count = len(post.acks)
    acks = (
        f"Acknowledged by {count} {'person' if count == 1 else 'people'}"
        if count
        else "Not acknowledged yet"
    )
    edited = " · edited" if request.edits else ""
    return Outgoing(
        text=title,
        blocks=[
            _section(f"*{title}*\n{about}"),
            _section(escape_user_text(request.text, allow_channel_ping=request.allow_ping)),
            _context(f"{acks}{edited}"),
            {
                "type": "actions",
                "block_id": f"request_{post.id}",
                "elements": [
                    _button(
                        "Acknowledge", RequestAction.ACKNOWLEDGE, pack("ack", p=post.id), "primary"
                    )
                ],
            },
        ],
    )


def _by(user_id: str) -> str:
    return (
        f"<@{user_id}>" if user_id[:1] in ("U", "W") and user_id.isalnum() else "the command line"
    )


def role_added(production: Production, row: Delivery) -> Outgoing:
    """To someone given a role by someone else: where, what and by whom, and the way out."""
    name = mrkdwn_escape(production.name)
    roles = [str(r) for r in row.detail.get("roles", ())]
    lines = [f"*You were added to {name}* as {role_names(roles)}, by {_by(str(row.detail['by']))}."]
    if Role.PERFORMER.value in roles:
        lines.append(
            "Before each of its intimate scenes you will be asked, privately, to review what "
            "is planned and confirm your boundaries."
        )
    button = _button("This isn't right", RoleAction.NOT_RIGHT, pack("role", d=row.id), "danger")
    button["confirm"] = {
        "title": {"type": "plain_text", "text": "Take yourself off?"},
        "text": {
            "type": "plain_text",
            "text": "You are taken off this production at once, and its coordinators are told.",
        },
        "confirm": {"type": "plain_text", "text": "Take me off"},
        "deny": {"type": "plain_text", "text": "Cancel"},
    }
    return Outgoing(
        text=f"You were added to {name}",
        blocks=[
            _section("\n".join(lines)),
            {"type": "actions", "block_id": f"role_{row.id}", "elements": [button]},
            _context(
                "If you do not know this production or who added you, press *This isn't "
                "right*: you are taken off it at once, and its coordinators are told."
            ),
        ],
    )


def role_change(production: Production, detail: dict[str, Any]) -> Outgoing:
    """To a coordinator: who was added or removed, as what, and by whom (people and roles
    only)."""
    name = mrkdwn_escape(production.name)
    by = _by(str(detail["by"]))
    people = [(str(u), Role(r), sign) for u, r, sign in detail.get("people", ())]
    if detail.get("disputed"):
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
        if detail.get("more"):
            lines.append(f"…and {detail['more']} more")
    return Outgoing(text=title, blocks=[_section("\n".join(lines))])


def held(production: Production, *, vouched_by: str | None = None) -> Outgoing:
    """To the coordinators of a production nobody has vouched for (see `bot.roles`), and
    once someone has."""
    if vouched_by is not None:
        title = f"{mrkdwn_escape(production.name)} is vouched for"
        return Outgoing(
            text=title,
            blocks=[
                _section(
                    f"*{title}*, by {_by(vouched_by)}: its performers are asked from now on "
                    "(boundary checks, check-ins, closure questions)."
                )
            ],
        )
    title = f"{mrkdwn_escape(production.name)}: performers are asked nothing yet"
    return Outgoing(
        text=title,
        blocks=[
            _section(
                f"*{title}*\nIt was set up by someone who coordinates no other production in "
                "this workspace, so nobody here has vouched for it: a production named like a "
                "real one could otherwise collect what performers tell it. Boundary checks, "
                "check-ins and closure questions wait until a coordinator of another production "
                "here, or a workspace admin, vouches for it: add them as an admin in "
                "`/closedset setup`, and have them open its setup and save it once."
            )
        ],
    )


def _production_time(scene: Scene) -> str:
    zone = scene.production.time_zone
    return f"{scene.start_at.astimezone(ZoneInfo(zone)):%a %d %b %H:%M} ({zone})"


def _scene_facts(session: Session, scene: Scene) -> list[dict[str, Any]]:
    """What ADs are told of a scene: logistics and readiness, never a performer."""
    where = f" · {mrkdwn_escape(scene.set_name)}" if scene.set_name else ""
    blocks = [_section(f"*Scene {scene.number}* · {_production_time(scene)}{where}")]
    if scene.is_closed_set:
        blocks.append(_section(mrkdwn_escape(scene.production.closed_set_text)))
    titles = [
        mrkdwn_escape(r.title)
        for r in session.scalars(
            select(CoordinatorRequest)
            .where(
                CoordinatorRequest.scene_id == scene.id,
                CoordinatorRequest.status == RequestStatus.ACTIVE,
            )
            .order_by(CoordinatorRequest.id)
        )
    ]
    asked = "\n".join(f"• {t}" for t in titles) if titles else "None."
    blocks.append(_section(f"*Asked of departments*\n{asked}"))
    blocks.append(_context("IC sign-off complete" if scene.signed_off else "IC sign-off pending"))
    return blocks


def ad_reminder(session: Session, scene: Scene, *, delivery_id: int) -> Outgoing:
    value = pack("adrem", d=delivery_id)
    return Outgoing(
        text=f"Coming up: scene {scene.number} at {_production_time(scene)}",
        blocks=[
            _section(f"*Coming up: intimate scene {scene.number}*"),
            *_scene_facts(session, scene),
            {
                "type": "actions",
                "block_id": f"adrem_{delivery_id}",
                "elements": [
                    _button("Snooze 10 min", AdAction.SNOOZE, value),
                    _button("Done", AdAction.DONE, value),
                ],
            },
        ],
    )


def digest(session: Session, row: Delivery) -> Outgoing | Skip:
    """Tomorrow's intimate scenes, as they are when it is sent."""
    production = session.get(Production, row.production_id)
    if production is None:
        return Skip("no production")
    zone = ZoneInfo(production.time_zone)
    day = date.fromisoformat(str(row.detail["day"]))
    start = datetime.combine(day, time(0), tzinfo=zone)
    scenes = list(
        session.scalars(
            select(Scene)
            .where(
                Scene.production_id == production.id,
                Scene.intimacy.is_(True),
                Scene.removed.is_(False),
                Scene.start_at >= start.astimezone(UTC),
                Scene.start_at < (start + timedelta(days=1)).astimezone(UTC),
            )
            .order_by(Scene.start_at, Scene.number)
        )
    )
    if not scenes:
        return Skip("no scenes that day")
    title = f"Tomorrow's intimate scenes — {day:%a %d %b}"
    blocks: list[dict[str, Any]] = [_section(f"*{title}*")]
    for scene in scenes[:12]:
        blocks.append({"type": "divider"})
        blocks += _scene_facts(session, scene)
    if len(scenes) > 12:
        blocks.append(_context(f"And {len(scenes) - 12} more: see `/closedset schedule`."))
    return Outgoing(text=title, blocks=blocks)


def closure_prompt(scene: Scene) -> Outgoing:
    title = f"How did scene {scene.number} go?"
    value = pack("closure", s=scene.id)
    return Outgoing(
        text=title,
        blocks=[
            _section(
                f"*{title}*\nOnly your coordinator sees your answer. You can also write to "
                "them privately."
            ),
            {
                "type": "actions",
                "block_id": f"closure_{scene.id}",
                "elements": [
                    _button("It went OK", ClosureAction.OK, value, "primary"),
                    _button("Not OK", ClosureAction.NOT_OK, value),
                    _button("I'd like to talk", ClosureAction.TALK, value),
                    note_button(scene.id),
                ],
            },
        ],
    )


def checkin_prompt(round_: CheckinRound) -> Outgoing:
    title = f"Check-in — scene {round_.scene.number}, take {round_.number}"
    value = pack("checkin", r=round_.id)
    return Outgoing(
        text=title,
        blocks=[
            _section(f"*{title}*\nHow are you? Only your coordinator sees your answer."),
            {
                "type": "actions",
                "block_id": f"checkin_{round_.id}",
                "elements": [
                    _button("Still good", CheckinAction.GOOD, value, "primary"),
                    _button("Want to adjust", CheckinAction.ADJUST, value),
                    _button("Need a pause", CheckinAction.PAUSE, value, "danger"),
                ],
            },
        ],
    )


def checkin_live(round_: CheckinRound, counted: Counts) -> Outgoing:
    """The coordinator's live message of a round: counts only, never who answered what."""
    title = f"Check-in — scene {round_.scene.number}, take {round_.number}"
    line = (
        f"Answered {counted.answered} of {counted.performers} · still good {counted.good} · "
        f"adjust {counted.adjust} · pause {counted.pause}"
    )
    return _coordinator(title, CheckinAction.VIEW, pack("checkin", r=round_.id), line)


def _number(scene: Scene | None) -> str:
    return scene.number if scene is not None else "(removed)"


def _coordinator(title: str, action_id: str, value: str, body: str = "") -> Outgoing:
    text = f"*{title}*" + (f"\n{body}" if body else "")
    return Outgoing(
        text=title,
        blocks=[
            _section(text),
            {"type": "actions", "elements": [_button("View", action_id, value, "primary")]},
        ],
    )


def _has_answer(session: Session, scene: Scene, performer: str) -> bool:
    return performer in answers_for(session, scene)
