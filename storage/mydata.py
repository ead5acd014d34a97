"""A performer's own data: everything stored about them in one workspace, deleting their
notes, asking for the rest to be erased, and the coordinator's erasure.

What is "theirs": the productions they hold a role in or are on the cast list of, or hold
anything of theirs (answers stay after someone is taken off a production); their cast-list
lines; the scenes they are cast in; every version of their boundary answers; their private
notes; their check-in and closure answers; and the audit events of others reading those
(`reads_of`). Everything is read by the asker's own Slack id inside the asker's workspace:
nobody can ask for someone else's.

A request to erase is an audit event (`ERASE_REQUEST`, actor = the performer), and the
erasure one too (`ERASED`, subject `erase:<request id>`): a request with no erasure naming it
is the coordinators' to-do (`pending_erasures`). No table of its own: the audit trail is kept
(retention deletes content, not events), and uninstalling deletes both.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from storage import audit, deliveries
from storage.boundaries import stated
from storage.db import lock_row
from storage.models import (
    AuditEvent,
    BoundaryAnswer,
    CastEntry,
    CheckinAnswer,
    CheckinRound,
    ClosureAnswer,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Member,
    PrivateNote,
    Production,
    Scene,
    SceneCast,
)
from storage.secrets import open_stamped, unseal

READ = "mydata.read"
NOTE_TO_REQUEST = "note.to_request"
"""A coordinator read a note again to turn it into a request: a read, too."""
NOTES_DELETED = "mydata.notes.delete"
ERASE_REQUEST = "mydata.erase.request"
ERASED = "mydata.erase"

READS = {
    "boundaries.read": "answers",
    "boundaries.status.read": "answers",
    "checkin.read": "checkins",
    "closure.read": "closures",
}
"""Audit actions that read a scene's answers of one kind (subject `scene:<number>`): a read of
this performer's when they had an answer of that kind in that scene by then. Reads of a note
name it (`note:<id>`); reads about one performer name them in `detail` (`audit.PERFORMER`)."""


@dataclass(frozen=True)
class CastLine:
    cast_number: str
    character: str
    performer_name: str
    email: str | None
    handle: str | None


@dataclass(frozen=True)
class SceneLine:
    number: str
    start_at: datetime
    set_name: str
    removed: bool


@dataclass(frozen=True)
class AnswerVersion:
    scene_number: str
    revision: int
    kind: str
    items: list[tuple[str, str]]
    """(checklist item, choice value), when this version set out boundaries."""
    note: str
    at: datetime


@dataclass(frozen=True)
class NoteLine:
    note_id: int
    scene_number: str | None
    text: str
    at: datetime


@dataclass(frozen=True)
class CheckinLine:
    scene_number: str
    round_number: int
    answer: str
    at: datetime


@dataclass(frozen=True)
class ClosureLine:
    scene_number: str
    answer: str
    at: datetime


@dataclass(frozen=True)
class ReadLine:
    actor: str
    action: str
    subject: str
    at: datetime


@dataclass
class ProductionData:
    production_id: int
    name: str
    zone: str
    roles: list[str] = field(default_factory=list)
    cast: list[CastLine] = field(default_factory=list)
    scenes: list[SceneLine] = field(default_factory=list)
    answers: list[AnswerVersion] = field(default_factory=list)
    """Newest first, like every list here."""
    notes: list[NoteLine] = field(default_factory=list)
    checkins: list[CheckinLine] = field(default_factory=list)
    closures: list[ClosureLine] = field(default_factory=list)
    reads: list[ReadLine] = field(default_factory=list)
    erasure_asked: bool = False
    """An erasure was asked for and the coordinator has not done it yet."""

    @property
    def content(self) -> bool:
        """Anything a coordinator can erase."""
        return bool(self.answers or self.notes or self.checkins or self.closures)


@dataclass(frozen=True)
class PendingErasure:
    """A coordinator's to-do: a performer asked for their data in this production to go."""

    request_id: int
    performer_id: str
    name: str
    at: datetime


@dataclass(frozen=True)
class Erased:
    performer_id: str
    production_id: int
    counts: dict[str, int]


def _workspace_productions(session: Session, team_id: str) -> dict[int, Production]:
    rows = session.scalars(select(Production).where(Production.team_id == team_id))
    return {p.id: p for p in rows}


def _theirs(session: Session, user_id: str, among: Iterable[int]) -> set[int]:
    ids = list(among)
    if not ids:
        return set()
    found: set[int] = set()
    for column, who in (
        (Member.production_id, Member.slack_user_id),
        (CastEntry.production_id, CastEntry.slack_user_id),
        (BoundaryAnswer.production_id, BoundaryAnswer.performer_id),
        (PrivateNote.production_id, PrivateNote.performer_id),
        (ClosureAnswer.production_id, ClosureAnswer.performer_id),
    ):
        found.update(session.scalars(select(column).where(who == user_id, column.in_(ids))))
    found.update(
        session.scalars(
            select(CheckinRound.production_id)
            .join(CheckinAnswer, CheckinAnswer.round_id == CheckinRound.id)
            .where(CheckinAnswer.performer_id == user_id, CheckinRound.production_id.in_(ids))
        )
    )
    return found


def my_data(session: Session, *, team_id: str, user_id: str) -> list[ProductionData]:
    """Everything stored about `user_id` in the productions of `team_id`, decrypted, by
    production name. (The caller records the read: `record_read`.)"""
    productions = _workspace_productions(session, team_id)
    ids = _theirs(session, user_id, productions)
    result = []
    for production in sorted((productions[i] for i in ids), key=lambda p: (p.name, p.id)):
        result.append(_production_data(session, production, user_id))
    return result


def _production_data(session: Session, production: Production, user_id: str) -> ProductionData:
    pid = production.id
    data = ProductionData(pid, production.name, production.time_zone)
    data.roles = sorted(
        {
            str(role)
            for role in session.scalars(
                select(Member.role).where(
                    Member.production_id == pid, Member.slack_user_id == user_id
                )
            )
        }
    )
    entries = list(
        session.scalars(
            select(CastEntry)
            .where(CastEntry.production_id == pid, CastEntry.slack_user_id == user_id)
            .order_by(CastEntry.id)
        )
    )
    data.cast = [
        CastLine(e.cast_number, e.character, e.performer_name, e.email, e.slack_handle)
        for e in entries
    ]
    if entries:
        data.scenes = [
            SceneLine(s.number, s.start_at, s.set_name, s.removed)
            for s in session.scalars(
                select(Scene)
                .join(SceneCast, SceneCast.scene_id == Scene.id)
                .where(SceneCast.cast_entry_id.in_([e.id for e in entries]))
                .distinct()
                .order_by(Scene.start_at.desc(), Scene.number)
            )
        ]
    numbers = dict(
        session.execute(select(Scene.id, Scene.number).where(Scene.production_id == pid)).all()
    )
    first: dict[tuple[str, str], datetime] = {}
    """(what, scene number) → when this performer first had an answer of that kind there."""

    def seen(what: str, number: str, at: datetime) -> None:
        key = (what, number)
        if key not in first or at < first[key]:
            first[key] = at

    for answer in session.scalars(
        select(BoundaryAnswer)
        .where(BoundaryAnswer.production_id == pid, BoundaryAnswer.performer_id == user_id)
        .order_by(BoundaryAnswer.id.desc())
    ):
        number = numbers.get(answer.scene_id, "?")
        said = stated(session, answer)
        data.answers.append(
            AnswerVersion(
                scene_number=number,
                revision=answer.revision,
                kind=str(answer.kind),
                items=list(said.items.values()) if said else [],
                note=said.note if said else "",
                at=answer.at,
            )
        )
        seen("answers", number, answer.at)
    for note in session.scalars(
        select(PrivateNote)
        .where(PrivateNote.production_id == pid, PrivateNote.performer_id == user_id)
        .order_by(PrivateNote.id.desc())
    ):
        data.notes.append(
            NoteLine(
                note.id,
                numbers.get(note.scene_id) if note.scene_id is not None else None,
                unseal(session, note.text_ct) or "",
                note.at,
            )
        )
    for checkin, round_ in session.execute(
        select(CheckinAnswer, CheckinRound)
        .join(CheckinRound, CheckinRound.id == CheckinAnswer.round_id)
        .where(CheckinRound.production_id == pid, CheckinAnswer.performer_id == user_id)
        .order_by(CheckinAnswer.at.desc(), CheckinAnswer.id.desc())
    ).all():
        number = numbers.get(round_.scene_id, "?")
        # The tap's own time is sealed with it (the row is dated with the round's start).
        tap, tapped_at = open_stamped(session, checkin.answer_ct)
        data.checkins.append(CheckinLine(number, round_.number, tap, tapped_at or checkin.at))
        seen("checkins", number, tapped_at or checkin.at)
    for closure in session.scalars(
        select(ClosureAnswer)
        .where(ClosureAnswer.production_id == pid, ClosureAnswer.performer_id == user_id)
        .order_by(ClosureAnswer.at.desc(), ClosureAnswer.id.desc())
    ):
        number = numbers.get(closure.scene_id, "?")
        data.closures.append(
            ClosureLine(number, unseal(session, closure.answer_ct) or "", closure.at)
        )
        seen("closures", number, closure.at)
    notes = {f"note:{n.note_id}" for n in data.notes}
    data.reads = reads_of(session, production_id=pid, user_id=user_id, notes=notes, first=first)
    data.erasure_asked = any(
        p.performer_id == user_id for p in pending_erasures(session, production_id=pid)
    )
    return data


def reads_of(
    session: Session,
    *,
    production_id: int,
    user_id: str,
    notes: set[str],
    first: dict[tuple[str, str], datetime],
) -> list[ReadLine]:
    """Others' reads of this performer's answers and notes, newest first (see `READS`).
    `first`: (what, scene number) → when they first had an answer of that kind there."""
    found = []
    subjects = notes | {f"scene:{number}" for _, number in first}
    about = AuditEvent.__table__.c.detail[audit.PERFORMER].as_string()
    for event in session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.production_id == production_id,
            AuditEvent.actor != user_id,
            or_(AuditEvent.action.like("%.read"), AuditEvent.action == NOTE_TO_REQUEST),
            or_(AuditEvent.subject.in_(list(subjects)), about == user_id),
        )
        .order_by(AuditEvent.id.desc())
    ):
        detail: dict[str, Any] = event.detail or {}
        kind, _, ref = event.subject.partition(":")
        what = READS.get(event.action)
        since = first.get((what, ref)) if what is not None and kind == "scene" else None
        if (
            event.subject in notes
            or detail.get(audit.PERFORMER) == user_id
            or (since is not None and event.at >= since)
        ):
            found.append(ReadLine(event.actor, event.action, event.subject, event.at))
    return found


def record_read(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    now: datetime,
    page: int,
    shown: list[ProductionData],
) -> None:
    """Audit a look at one's own data when it showed answers, notes, check-in or closure
    answers (what the audit log is for: reads of what performers said); someone who holds
    only a role has read nothing of the kind."""
    if any(data.content for data in shown):
        audit.record(
            session, at=now, team_id=team_id, actor=user_id, action=READ, detail={"page": page}
        )


def delete_notes(session: Session, *, team_id: str, user_id: str, now: datetime) -> dict[int, int]:
    """Delete every private note of `user_id` in the workspace (rows gone), and the notices
    about them not sent yet. Returns how many, by production."""
    productions = _workspace_productions(session, team_id)
    if not productions:
        return {}
    notes = list(
        session.execute(
            select(PrivateNote.id, PrivateNote.production_id).where(
                PrivateNote.performer_id == user_id,
                PrivateNote.production_id.in_(list(productions)),
            )
        ).all()
    )
    if not notes:
        return {}
    _cancel_notices(session, productions={p for _, p in notes}, notes={n for n, _ in notes})
    session.execute(delete(PrivateNote).where(PrivateNote.id.in_([n for n, _ in notes])))
    by_production: dict[int, int] = {}
    for _, production_id in notes:
        by_production[production_id] = by_production.get(production_id, 0) + 1
    for production_id, count in sorted(by_production.items()):
        audit.record(
            session,
            at=now,
            team_id=team_id,
            actor=user_id,
            action=NOTES_DELETED,
            production_id=production_id,
            detail={"notes": count},
        )
    session.flush()
    return by_production


def _cancel_notices(
    session: Session,
    *,
    productions: set[int],
    notes: AbstractSet[int] = frozenset(),
    answers: AbstractSet[int] = frozenset(),
) -> None:
    """Coordinators' notices not sent yet about notes or answers that are going: their View
    would find nothing."""
    rows = session.scalars(
        select(Delivery).where(
            Delivery.production_id.in_(list(productions)),
            Delivery.kind.in_((DeliveryKind.NOTE, DeliveryKind.ANSWER)),
            Delivery.status == DeliveryStatus.PLANNED,
        )
    )
    for row in rows:
        ref = (row.detail or {}).get("note" if row.kind is DeliveryKind.NOTE else "answer")
        if (row.kind is DeliveryKind.NOTE and ref in notes) or (
            row.kind is DeliveryKind.ANSWER and ref in answers
        ):
            row.status = DeliveryStatus.CANCELLED


def ask_erasure(session: Session, *, team_id: str, user_id: str, now: datetime) -> list[int]:
    """Ask the coordinators of every production holding answers, notes, check-in or closure
    answers of `user_id` to erase them: a to-do on their Home and a DM (which says nothing of
    whom or what). A production already asked is not asked twice. Returns the productions
    newly asked."""
    asked = []
    for data in my_data(session, team_id=team_id, user_id=user_id):
        if not data.content:
            continue
        # The production's row lock, then a fresh look: a double click asks once.
        lock_row(session, Production.name, data.production_id)
        waiting = pending_erasures(session, production_id=data.production_id)
        if any(p.performer_id == user_id for p in waiting):
            continue
        event = AuditEvent(
            at=now,
            team_id=team_id,
            actor=user_id,
            action=ERASE_REQUEST,
            production_id=data.production_id,
            subject="",
            detail={},
        )
        session.add(event)
        session.flush()
        deliveries.tell_coordinators(
            session,
            key=f"erase_request:{event.id}",
            production_id=data.production_id,
            kind=DeliveryKind.ERASE_REQUEST,
            now=now,
        )
        asked.append(data.production_id)
    return asked


def pending_erasures(session: Session, *, production_id: int) -> list[PendingErasure]:
    """Erasures asked for in the production and not done yet, oldest first."""
    requests = list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.production_id == production_id, AuditEvent.action == ERASE_REQUEST)
            .order_by(AuditEvent.id)
        )
    )
    if not requests:
        return []
    done = set(
        session.scalars(
            select(AuditEvent.subject).where(
                AuditEvent.production_id == production_id, AuditEvent.action == ERASED
            )
        )
    )
    waiting = [r for r in requests if f"erase:{r.id}" not in done]
    names = dict(
        session.execute(
            select(CastEntry.slack_user_id, CastEntry.performer_name).where(
                CastEntry.production_id == production_id,
                CastEntry.slack_user_id.in_([r.actor for r in waiting]),
            )
        ).all()
    )
    return [PendingErasure(r.id, r.actor, names.get(r.actor) or "", r.at) for r in waiting]


def pending_request(session: Session, *, request_id: int) -> AuditEvent | None:
    """The erasure request `request_id` if it is one and is not done yet."""
    event = session.get(AuditEvent, request_id)
    if event is None or event.action != ERASE_REQUEST or event.production_id is None:
        return None
    done = session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.production_id == event.production_id,
            AuditEvent.action == ERASED,
            AuditEvent.subject == f"erase:{event.id}",
        )
    )
    return event if done is None else None


def erase(session: Session, *, request: AuditEvent, team_id: str, by: str, now: datetime) -> Erased:
    """Delete the requesting performer's answers, notes, check-in and closure answers in the
    request's production (rows gone), record it (counts only) and plan the DM telling them.
    The caller has checked that `by` coordinates that production."""
    performer, production_id = request.actor, request.production_id
    assert production_id is not None
    answers = list(
        session.scalars(
            select(BoundaryAnswer.id).where(
                BoundaryAnswer.production_id == production_id,
                BoundaryAnswer.performer_id == performer,
            )
        )
    )
    notes = list(
        session.scalars(
            select(PrivateNote.id).where(
                PrivateNote.production_id == production_id, PrivateNote.performer_id == performer
            )
        )
    )
    rounds = select(CheckinRound.id).where(CheckinRound.production_id == production_id)
    _cancel_notices(session, productions={production_id}, notes=set(notes), answers=set(answers))
    counts = {
        "answers": _count(
            session.execute(delete(BoundaryAnswer).where(BoundaryAnswer.id.in_(answers)))
        ),
        "notes": _count(session.execute(delete(PrivateNote).where(PrivateNote.id.in_(notes)))),
        "checkins": _count(
            session.execute(
                delete(CheckinAnswer).where(
                    CheckinAnswer.performer_id == performer, CheckinAnswer.round_id.in_(rounds)
                )
            )
        ),
        "closures": _count(
            session.execute(
                delete(ClosureAnswer).where(
                    ClosureAnswer.production_id == production_id,
                    ClosureAnswer.performer_id == performer,
                )
            )
        ),
    }
    audit.record(
        session,
        at=now,
        team_id=team_id,
        actor=by,
        action=ERASED,
        production_id=production_id,
        subject=f"erase:{request.id}",
        detail={**counts, audit.PERFORMER: performer},  # whose (for the log's person filter)
    )
    deliveries.send_now(
        session,
        key=f"erased:{request.id}",
        production_id=production_id,
        kind=DeliveryKind.ERASED,
        recipient=performer,
        now=now,
    )
    session.flush()
    return Erased(performer, production_id, counts)


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
