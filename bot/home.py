"""What a person's Home tab shows, by the roles they hold. No Slack here: plain data, read with
the same rules as everywhere else — a performer sees only their own scenes and answers, an AD
scene logistics and the coordinator's sign-off, a coordinator everything of their production.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.confirmations import (
    STATE_OF,
    Offline,
    PerformerState,
    State,
    offline_states,
    scene_states,
)
from storage import boundaries
from storage.models import (
    BoundaryAnswer,
    CastEntry,
    CoordinatorRequest,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Member,
    PrivateNote,
    Production,
    RequestPost,
    RequestStatus,
    Role,
    Scene,
)
from storage.mydata import PendingErasure, pending_erasures
from storage.productions import productions_of, roles_of

PAGE = 8
"""Scenes per section and page: with the other blocks, well inside Home's 100."""
SINCE = timedelta(hours=12)  # today's scenes still show
TODOS = 10
"""To-dos shown at most (the rest are counted): each is a block or two of Home's 100."""


@dataclass(frozen=True)
class OwnScene:
    """A performer's scene and the state of their own answer."""

    scene: Scene
    state: State


@dataclass(frozen=True)
class CoordinatedScene:
    scene: Scene
    performers: list[PerformerState]
    offline: list[Offline] = field(default_factory=list)
    """Who in it cannot be asked in Slack."""


@dataclass(frozen=True)
class Todo:
    """A decision a schedule left to the coordinator about an upcoming scene: whether it is
    intimate (`undecided`), and confirming in person with each one in `offline`."""

    scene: Scene
    undecided: bool
    offline: list[Offline]


@dataclass(frozen=True)
class AdScene:
    scene: Scene
    next_reminder: datetime | None


@dataclass(frozen=True)
class NoteLine:
    note_id: int
    scene_number: str | None
    at: datetime


@dataclass(frozen=True)
class RequestLine:
    title: str
    scene_number: str | None
    acknowledged: int
    channels: int


@dataclass
class ProductionHome:
    production: Production
    roles: set[Role]
    own: list[OwnScene] = field(default_factory=list)
    coordinated: list[CoordinatedScene] = field(default_factory=list)
    notes: list[NoteLine] = field(default_factory=list)
    requests: list[RequestLine] = field(default_factory=list)
    ad: list[AdScene] = field(default_factory=list)
    todos: list[Todo] = field(default_factory=list)
    more_todos: int = 0
    """To-dos beyond those in `todos`."""
    more: bool = False
    """There are more scenes than this page shows."""
    erasures: list[PendingErasure] = field(default_factory=list)
    """Performers who asked for their data here to be erased (`storage.mydata`): to-dos with
    one Erase button each (`handlers.blocks.mydata.erasure_todo_blocks`)."""
    held: bool = False
    """Nobody the workspace trusts has vouched for the production yet (`bot.roles`): a
    performer is shown that it waits, and nothing of their scenes, answers or buttons."""


def home_for(
    session: Session, *, team_id: str, user_id: str, now: datetime, page: int = 0
) -> list[ProductionHome]:
    homes = []
    for production in productions_of(session, team_id=team_id, user_id=user_id):
        roles = roles_of(session, production_id=production.id, user_id=user_id)
        home = ProductionHome(production, roles, held=production.held)
        scenes, home.more = _upcoming(session, production.id, now, page)
        if Role.PERFORMER in roles and not home.held:
            for scene in _own_scenes(session, production.id, user_id, now, page):
                current = boundaries.current(session, scene, user_id)
                state = _own_state(session, scene, user_id, current)
                home.own.append(OwnScene(scene, state))
        if Role.COORDINATOR in roles:
            home.coordinated = [
                CoordinatedScene(s, scene_states(session, s), offline_states(s))
                for s in scenes
                if s.intimacy
            ]
            todos = _todos(session, production.id, now)
            home.todos, home.more_todos = todos[:TODOS], max(0, len(todos) - TODOS)
            home.erasures = pending_erasures(session, production_id=production.id)
            home.notes = _notes(session, production.id, now)
            home.requests = _requests(session, production.id)
        if Role.AD in roles or Role.COORDINATOR in roles:
            home.ad = [AdScene(s, _next_reminder(session, s, now)) for s in scenes if s.intimacy]
        homes.append(home)
    return homes


def _upcoming(
    session: Session, production_id: int, now: datetime, page: int
) -> tuple[list[Scene], bool]:
    rows = list(
        session.scalars(
            select(Scene)
            .where(
                Scene.production_id == production_id,
                Scene.removed.is_(False),
                Scene.intimacy.is_(True),
                Scene.start_at >= now - SINCE,
            )
            .options(selectinload(Scene.cast), selectinload(Scene.production))
            .order_by(Scene.start_at, Scene.number)
            .offset(page * PAGE)
            .limit(PAGE + 1)
        )
    )
    return rows[:PAGE], len(rows) > PAGE


def _todos(session: Session, production_id: int, now: datetime) -> list[Todo]:
    """Every upcoming scene with a decision waiting, soonest first: intimacy undecided, or
    someone in an intimate scene who cannot be asked in Slack and was not yet confirmed with
    in person. Nobody is skipped in silence."""
    rows = session.scalars(
        select(Scene)
        .where(
            Scene.production_id == production_id,
            Scene.removed.is_(False),
            Scene.intimacy.is_(True),
            Scene.start_at >= now - SINCE,
        )
        .options(selectinload(Scene.cast), selectinload(Scene.production))
        .order_by(Scene.start_at, Scene.number)
    )
    todos = []
    for scene in rows:
        offline = [o for o in offline_states(scene) if not o.confirmed]
        if scene.intimacy_undecided or offline:
            todos.append(Todo(scene, scene.intimacy_undecided, offline))
    return todos


def _own_scenes(
    session: Session, production_id: int, user_id: str, now: datetime, page: int
) -> list[Scene]:
    return list(
        session.scalars(
            select(Scene)
            .join(Scene.cast)
            .where(
                Scene.production_id == production_id,
                CastEntry.slack_user_id == user_id,
                Scene.removed.is_(False),
                Scene.intimacy.is_(True),
                Scene.start_at >= now - SINCE,
            )
            .options(selectinload(Scene.production))
            .order_by(Scene.start_at, Scene.number)
            .distinct()
            .offset(page * PAGE)
            .limit(PAGE)
        )
    )


def _own_state(
    session: Session, scene: Scene, user_id: str, current: BoundaryAnswer | None
) -> State:
    if current is not None:
        return STATE_OF[current.kind]
    asked = session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(
            Delivery.scene_id == scene.id,
            Delivery.revision == scene.revision,
            Delivery.recipient == user_id,
            Delivery.kind == DeliveryKind.PROMPT,
            Delivery.status == DeliveryStatus.SENT,
        )
    )
    return State.WAITING if asked else State.NOT_ASKED


def _notes(session: Session, production_id: int, now: datetime) -> list[NoteLine]:
    rows = session.execute(
        select(PrivateNote.id, Scene.number, PrivateNote.at)
        .outerjoin(Scene, Scene.id == PrivateNote.scene_id)
        .where(
            PrivateNote.production_id == production_id, PrivateNote.at >= now - timedelta(days=14)
        )
        .order_by(PrivateNote.id.desc())
        .limit(5)
    )
    return [NoteLine(note_id, number, at) for note_id, number, at in rows]


def _requests(session: Session, production_id: int) -> list[RequestLine]:
    requests = session.scalars(
        select(CoordinatorRequest)
        .where(
            CoordinatorRequest.production_id == production_id,
            CoordinatorRequest.status == RequestStatus.ACTIVE,
        )
        .options(
            selectinload(CoordinatorRequest.posts).selectinload(RequestPost.acks),
            selectinload(CoordinatorRequest.scene),
        )
        .order_by(CoordinatorRequest.id.desc())
        .limit(5)
    )
    return [
        RequestLine(
            r.title,
            r.scene.number if r.scene else None,
            sum(len(p.acks) for p in r.posts),
            len(r.posts),
        )
        for r in requests
    ]


def _next_reminder(session: Session, scene: Scene, now: datetime) -> datetime | None:
    return session.scalar(
        select(func.min(Delivery.due_at)).where(
            Delivery.scene_id == scene.id,
            Delivery.kind == DeliveryKind.AD_REMINDER,
            Delivery.status == DeliveryStatus.PLANNED,
            Delivery.due_at >= now,
        )
    )


def members_of(session: Session, production_id: int) -> list[str]:
    """Everyone whose Home tab shows something of the production."""
    return list(
        dict.fromkeys(
            session.scalars(
                select(Member.slack_user_id).where(Member.production_id == production_id)
            )
        )
    )
