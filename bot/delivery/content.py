"""What each due delivery is about, read when it is sent (so it tells the scene as it is then).

`gather(session, row, now)` turns a due `Delivery` row into one of the plain, frozen values
below, or a `Skip` saying why it is no longer worth sending. These values hold what a message
may say and nothing more: references (scene numbers, ids for buttons), times, counts, the
production's name and its coordinators, people's ids for role changes. No planned content, no
boundary, no answer, and no performer beside a status: the builders in
`handlers/blocks/messages.py` turn them into Block Kit (`Outgoing`), and the dispatcher is
given that renderer by the serving layer (it cannot import handlers).

Nothing here builds Block Kit; the builders query nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.checkins import Counts, counts, newest
from bot.confirmations import all_confirmed
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

DIGEST_SCENES = 9
"""A digest shows this many scenes, and counts the rest: each takes up to 5 blocks (a divider,
its facts, the closed-set wording, what departments were asked, sign-off), so 9 of them, the
title and the count fit a message's 50 (12 did not, when they were closed sets)."""


@dataclass(frozen=True)
class Outgoing:
    """A message as it is posted: `blocks` are Block Kit dicts (built with slack_sdk.models)."""

    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None


@dataclass(frozen=True)
class Skip:
    reason: str


NOT_NEEDED = "not needed"
"""Why a prompt, nudge or escalation was not sent once answers made it pointless: the skip is
stored with the row (beside a performer's id, for a prompt), so it says no more than that."""


@dataclass(frozen=True)
class SceneRef:
    """A scene as a performer's messages name it: number, time and set."""

    id: int
    number: str
    revision: int
    start_at: datetime
    time_zone: str
    set_name: str = ""


@dataclass(frozen=True)
class Asker:
    """Which production asks, and who coordinates it (a production named like another one
    cannot pass for it)."""

    production_name: str
    coordinators: tuple[str, ...]


# --- to performers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Prompt:
    scene: SceneRef
    asker: Asker
    again: bool = False
    changed: tuple[str, ...] = ()
    nudge: bool = False


@dataclass(frozen=True)
class Answered:
    """A performer's prompt once they answered: the same whatever the answer."""

    scene: SceneRef
    asker: Asker
    at: datetime


@dataclass(frozen=True)
class Lapsed:
    scene: SceneRef
    asker: Asker
    changed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Closed:
    """A prompt that no longer takes answers (a newer one replaced it, or the scene is off)."""

    scene_number: str
    why: str


@dataclass(frozen=True)
class Removed:
    scene_number: str
    removed: bool
    """Taken off the schedule (else: no longer needs a boundary check)."""


@dataclass(frozen=True)
class ClosurePrompt:
    scene_id: int
    scene_number: str


@dataclass(frozen=True)
class CheckinPrompt:
    round_id: int
    scene_number: str
    round_number: int


@dataclass(frozen=True)
class Upcoming:
    """One of a performer's upcoming scenes, in `/closedset boundaries`."""

    scene: SceneRef
    production_name: str
    answered: bool


@dataclass(frozen=True)
class RoleAdded:
    delivery_id: int
    production_name: str
    roles: tuple[str, ...]
    by: str


# --- to coordinators -------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerNotice:
    scene_number: str | None
    answer_id: int


@dataclass(frozen=True)
class NoteNotice:
    scene_number: str | None
    note_id: int


@dataclass(frozen=True)
class FailureNotice:
    scene_number: str | None
    delivery_id: int


@dataclass(frozen=True)
class ClosureNotice:
    scene_id: int
    scene_number: str


@dataclass(frozen=True)
class PauseAlert:
    round_id: int
    scene_number: str
    round_number: int


@dataclass(frozen=True)
class LiveCheckin:
    """The coordinator's live message of a round: counts only, never who answered what."""

    round_id: int
    scene_number: str
    round_number: int
    counts: Counts


@dataclass(frozen=True)
class Escalation:
    scene: SceneRef


@dataclass(frozen=True)
class ShortNotice:
    scene: SceneRef


@dataclass(frozen=True)
class RoleChange:
    production_name: str
    by: str
    people: tuple[tuple[str, Role, str], ...]
    """(user id, role, "+" added or "-" removed)."""
    disputed: bool = False
    more: int = 0


@dataclass(frozen=True)
class Held:
    production_name: str
    vouched_by: str | None = None


@dataclass(frozen=True)
class Erasure:
    """A performer's data erasure: to each coordinator, that someone asked (`asked`; who is on
    their Home tab, never in a message); to the performer, that it was done."""

    production_name: str
    asked: bool


# --- to departments and ADs ------------------------------------------------------------------


@dataclass(frozen=True)
class RequestMessage:
    """A request as its channel shows it."""

    post_id: int
    scene: SceneRef | None
    text: str
    allow_ping: bool
    active: bool
    acks: int
    edited: bool


@dataclass(frozen=True)
class RequestReminder:
    thread_ts: str


@dataclass(frozen=True)
class AdScene:
    """What ADs are told of a scene: logistics and readiness, never a performer."""

    number: str
    start_at: datetime
    time_zone: str
    set_name: str
    closed_set_text: str | None
    """The production's closed-set wording, for a closed set; else None."""
    asked: tuple[str, ...]
    """Titles of the active requests to departments for the scene."""
    signed_off: bool


@dataclass(frozen=True)
class AdReminder:
    delivery_id: int
    scene: AdScene


@dataclass(frozen=True)
class AdCancelled:
    scene_number: str
    removed: bool


@dataclass(frozen=True)
class Digest:
    day: date
    scenes: tuple[AdScene, ...]
    more: int = 0


Content = (
    Prompt
    | Answered
    | Lapsed
    | Closed
    | Removed
    | ClosurePrompt
    | CheckinPrompt
    | RoleAdded
    | AnswerNotice
    | NoteNotice
    | FailureNotice
    | ClosureNotice
    | PauseAlert
    | LiveCheckin
    | Escalation
    | ShortNotice
    | RoleChange
    | Held
    | Erasure
    | RequestMessage
    | RequestReminder
    | AdReminder
    | AdCancelled
    | Digest
)


def scene_ref(scene: Scene) -> SceneRef:
    return SceneRef(
        id=scene.id,
        number=scene.number,
        revision=scene.revision,
        start_at=scene.start_at,
        time_zone=scene.production.time_zone,
        set_name=scene.set_name or "",
    )


def asker(production: Production) -> Asker:
    return Asker(
        production_name=production.name,
        coordinators=tuple(
            m.slack_user_id for m in production.members if m.role is Role.COORDINATOR
        ),
    )


def answered(scene: Scene, at: datetime) -> Answered:
    return Answered(scene_ref(scene), asker(scene.production), at)


def request_message(post: RequestPost) -> RequestMessage:
    request = post.request
    return RequestMessage(
        post_id=post.id,
        scene=scene_ref(request.scene) if request.scene is not None else None,
        text=request.text,
        allow_ping=request.allow_ping,
        active=request.status is RequestStatus.ACTIVE,
        acks=len(post.acks),
        edited=bool(request.edits),
    )


def live_checkin(session: Session, round_: CheckinRound) -> LiveCheckin:
    return LiveCheckin(round_.id, round_.scene.number, round_.number, counts(session, round_))


def ad_scene(session: Session, scene: Scene) -> AdScene:
    requests = session.scalars(
        select(CoordinatorRequest)
        .where(
            CoordinatorRequest.scene_id == scene.id,
            CoordinatorRequest.status == RequestStatus.ACTIVE,
        )
        .order_by(CoordinatorRequest.id)
    )
    return AdScene(
        number=scene.number,
        start_at=scene.start_at,
        time_zone=scene.production.time_zone,
        set_name=scene.set_name or "",
        closed_set_text=scene.production.closed_set_text if scene.is_closed_set else None,
        asked=tuple(r.title for r in requests),
        signed_off=scene.signed_off,
    )


def gather(session: Session, row: Delivery, *, now: datetime) -> Content | Skip:
    """What a due row's message is about, or why it is no longer worth sending."""
    if row.expires_at is not None and row.expires_at <= now:
        return Skip("expired")
    scene = session.get(Scene, row.scene_id) if row.scene_id is not None else None
    kind = row.kind
    number = scene.number if scene is not None else None
    if kind is DeliveryKind.ANSWER:
        return AnswerNotice(number, int(row.detail["answer"]))
    if kind is DeliveryKind.NOTE:
        return NoteNotice(number, int(row.detail["note"]))
    if kind is DeliveryKind.REQUEST:
        return _request(session, row)
    if kind is DeliveryKind.DIGEST:
        return _digest(session, row)
    if kind in (DeliveryKind.CHECKIN, DeliveryKind.CHECKIN_LIVE, DeliveryKind.PAUSE):
        return _checkin(session, row)
    if kind is DeliveryKind.UNDELIVERABLE:
        return FailureNotice(number, int(row.detail["delivery"]))
    if kind in (DeliveryKind.ROLE_ADDED, DeliveryKind.ROLE_CHANGE, DeliveryKind.HELD):
        return _people(session, row)
    if kind in (DeliveryKind.ERASE_REQUEST, DeliveryKind.ERASED):
        production = session.get(Production, row.production_id)
        if production is None:
            return Skip("no production")
        return Erasure(production.name, asked=kind is DeliveryKind.ERASE_REQUEST)
    if scene is None:
        return Skip("no scene")
    return _about_scene(session, row, scene)


def _request(session: Session, row: Delivery) -> Content | Skip:
    post = session.get(RequestPost, int(row.detail["post"]))
    if post is None or post.request.status is not RequestStatus.ACTIVE:
        return Skip("withdrawn")
    if row.detail.get("remind"):
        if not post.ts:
            return Skip("not posted")
        return RequestReminder(post.ts)
    return request_message(post)


def _checkin(session: Session, row: Delivery) -> Content | Skip:
    round_ = session.get(CheckinRound, int(row.detail["round"]))
    if round_ is None:
        return Skip("no round")
    if row.kind is DeliveryKind.PAUSE:
        return PauseAlert(round_.id, round_.scene.number, round_.number)
    if row.kind is DeliveryKind.CHECKIN_LIVE:
        return live_checkin(session, round_)
    if newest(session, round_.scene_id) is not round_:
        return Skip("a newer round started")
    return CheckinPrompt(round_.id, round_.scene.number, round_.number)


def _people(session: Session, row: Delivery) -> Content | Skip:
    production = session.get(Production, row.production_id)
    if production is None:
        return Skip("no production")
    detail = row.detail
    if row.kind is DeliveryKind.ROLE_ADDED:
        return RoleAdded(
            delivery_id=row.id,
            production_name=production.name,
            roles=tuple(str(r) for r in detail.get("roles", ())),
            by=str(detail["by"]),
        )
    if row.kind is DeliveryKind.ROLE_CHANGE:
        return RoleChange(
            production_name=production.name,
            by=str(detail["by"]),
            people=tuple((str(u), Role(r), str(sign)) for u, r, sign in detail.get("people", ())),
            disputed=bool(detail.get("disputed")),
            more=int(detail.get("more") or 0),
        )
    return Held(production.name, vouched_by=detail.get("vouched_by"))


def _about_scene(session: Session, row: Delivery, scene: Scene) -> Content | Skip:
    kind = row.kind
    if kind is DeliveryKind.CLOSURE_ANSWER:
        return ClosureNotice(scene.id, scene.number)
    if kind is DeliveryKind.CLOSURE:
        if scene.removed or not scene.intimacy:
            return Skip("scene off")
        return ClosurePrompt(scene.id, scene.number)
    if kind is DeliveryKind.AD_CANCELLED:
        return AdCancelled(scene.number, removed=scene.removed)
    if kind is DeliveryKind.AD_REMINDER:
        if not scene.intimacy or scene.removed:
            return Skip("scene changed")
        return AdReminder(row.id, ad_scene(session, scene))
    if kind is DeliveryKind.REMOVED:
        return Removed(scene.number, removed=scene.removed)
    if not (scene.intimacy and not scene.removed and scene.revision == row.revision):
        return Skip("scene changed")
    changed = tuple(str(c) for c in row.detail.get("changed", ()))
    if kind in (DeliveryKind.PROMPT, DeliveryKind.NUDGE):
        if row.recipient in answers_for(session, scene):
            return Skip(NOT_NEEDED)
        return Prompt(
            scene_ref(scene),
            asker(scene.production),
            again=bool(row.detail.get("again")),
            changed=changed,
            nudge=kind is DeliveryKind.NUDGE,
        )
    if kind is DeliveryKind.LAPSED:
        return Lapsed(scene_ref(scene), asker(scene.production), changed)
    if kind is DeliveryKind.ESCALATION:
        if all_confirmed(session, scene):
            return Skip(NOT_NEEDED)
        return Escalation(scene_ref(scene))
    if kind is DeliveryKind.SHORT_NOTICE:
        return ShortNotice(scene_ref(scene))
    return Skip(f"unknown kind {kind}")


def _digest(session: Session, row: Delivery) -> Content | Skip:
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
    return Digest(
        day=day,
        scenes=tuple(ad_scene(session, s) for s in scenes[:DIGEST_SCENES]),
        more=max(len(scenes) - DIGEST_SCENES, 0),
    )
