"""On-set check-ins between takes. No Slack here.

A coordinator starts a round for a scene; each performer gets a one-tap private prompt (Still
good / Want to adjust / Need a pause) through the delivery engine, all at once; each
coordinator gets one live message with counts only, updated as answers come in. A pause
alerts every coordinator at once ("Pause requested — scene 42", who: behind View). Only the
newest round of a scene takes answers; the latest tap of a performer counts. Answers are
encrypted like every answer.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.access import Refusal
from bot.roles import NOT_VOUCHED
from storage import audit, deliveries
from storage.db import lock_row
from storage.models import (
    CastEntry,
    CheckinAnswer,
    CheckinRound,
    ClosureAnswer,
    DeliveryKind,
    Scene,
)
from storage.scoped import owned
from storage.secrets import open_stamped, seal, seal_stamped, unseal
from storage.vouches import is_held


class Tap(enum.StrEnum):
    GOOD = "good"
    ADJUST = "adjust"
    PAUSE = "pause"

    @property
    def label(self) -> str:
        return {"good": "Still good", "adjust": "Want to adjust", "pause": "Need a pause"}[
            self.value
        ]


def start_round(session: Session, *, scene: Scene, by: str, now: datetime) -> CheckinRound:
    if is_held(session, production_id=scene.production_id):
        raise Refusal(NOT_VOUCHED)
    performers = list(deliveries.performers_of(scene))
    if not performers:
        raise Refusal(f"Scene {scene.number} has no performers cast in it.")
    number = (
        session.scalar(
            select(func.max(CheckinRound.number)).where(CheckinRound.scene_id == scene.id)
        )
        or 0
    ) + 1
    window = timedelta(minutes=scene.production.checkin_window_minutes)
    round_ = CheckinRound(
        production_id=scene.production_id,
        team_id=scene.team_id,
        scene_id=scene.id,
        number=number,
        started_by=by,
        started_at=now,
        closes_at=now + window,
        performers=performers,
        live={},
    )
    session.add(round_)
    session.flush()
    for performer in performers:
        deliveries.send_now(
            session,
            key=f"checkin:{round_.id}:{performer}",
            production_id=scene.production_id,
            kind=DeliveryKind.CHECKIN,
            recipient=performer,
            now=now,
            scene_id=scene.id,
            revision=scene.revision,
            detail={"round": round_.id},
        )
    deliveries.tell_coordinators(
        session,
        key=f"checkin_live:{round_.id}",
        production_id=scene.production_id,
        kind=DeliveryKind.CHECKIN_LIVE,
        now=now,
        scene_id=scene.id,
        detail={"round": round_.id},
    )
    audit.record(
        session,
        at=now,
        team_id=scene.production.workspace.team_id,
        actor=by,
        action="checkin.start",
        production_id=scene.production_id,
        subject=f"scene:{scene.number}",
        detail={"round": number, "performers": len(performers)},
    )
    return round_


def newest(session: Session, scene_id: int) -> CheckinRound | None:
    return session.scalar(
        select(CheckinRound)
        .where(CheckinRound.scene_id == scene_id)
        .order_by(CheckinRound.number.desc())
        .limit(1)
    )


CLOSED = "This check-in has closed: a newer one has started, or the scene is off the schedule."


def open_round(session: Session, round_id: int, performer: str, *, team_id: str) -> CheckinRound:
    """The round a performer (of workspace `team_id`) tapped, if it still takes answers (its
    row is locked for the rest of the transaction, so two taps at once are counted one after
    the other)."""
    # The first statement of the transaction: a write lock on SQLite, the row lock on
    # PostgreSQL (see `bot.confirmations.live_scene`).
    session.execute(
        update(CheckinRound).where(CheckinRound.id == round_id).values(number=CheckinRound.number)
    )
    round_ = owned(session, CheckinRound, round_id, team_id=team_id, fresh=True)
    if round_ is None or performer not in round_.performers:
        raise Refusal("This check-in is not addressed to you.")
    latest = newest(session, round_.scene_id)
    if latest is None or latest.id != round_.id or round_.scene.removed:
        raise Refusal(CLOSED)
    return round_


def open_tap(session: Session, answer: CheckinAnswer) -> tuple[Tap, datetime]:
    """The tap and its time (an answer sealed without its time is dated by its row)."""
    value, at = open_stamped(session, answer.answer_ct)
    return Tap(value), at or answer.at


def record(
    session: Session, round_: CheckinRound, *, performer: str, tap: Tap, now: datetime
) -> Tap | None:
    """Record the tap; returns the performer's previous answer in this round, if any.

    A pause alerts the coordinators at once: a Delivery row of kind PAUSE, created at `now`
    and sent moments later. That row names no performer, but its time would name one if the
    tap's time sat in plaintext beside the performer, so nothing does: the answer row is dated
    by its round (the tap's own time is sealed with the tap), and so is the audit event of the
    tap ("answered in round N"). At rest, a pause can be tied to its round, never to whoever
    asked for it (short of a one-performer round, which its Slack message tells as much)."""
    found = session.scalar(
        select(CheckinAnswer).where(
            CheckinAnswer.round_id == round_.id, CheckinAnswer.performer_id == performer
        )
    )
    previous = open_tap(session, found)[0] if found is not None else None
    if found is None:
        session.add(
            CheckinAnswer(
                round_id=round_.id,
                team_id=round_.team_id,
                performer_id=performer,
                answer_ct=seal_stamped(session, tap.value, now),
                at=round_.started_at,
            )
        )
    elif previous is not tap:
        found.answer_ct = seal_stamped(session, tap.value, now)
    if tap is Tap.PAUSE and previous is not Tap.PAUSE:
        deliveries.tell_coordinators(
            session,
            key=f"pause:{round_.id}:{performer}:{int(now.timestamp())}",
            production_id=round_.production_id,
            kind=DeliveryKind.PAUSE,
            now=now,
            scene_id=round_.scene_id,
            detail={"round": round_.id},
        )
    audit.record(
        session,
        at=round_.started_at,  # not the tap's time: see above
        team_id=round_.scene.production.workspace.team_id,
        actor=performer,
        action="checkin.answer",
        production_id=round_.production_id,
        subject=f"scene:{round_.scene.number}",
        detail={"round": round_.number},
    )
    session.flush()
    return previous


@dataclass(frozen=True)
class Counts:
    performers: int
    answered: int
    good: int
    adjust: int
    pause: int


def counts(session: Session, round_: CheckinRound) -> Counts:
    taps = [open_tap(session, a)[0] for a in _answers(session, round_)]
    return Counts(
        performers=len(round_.performers),
        answered=len(taps),
        good=taps.count(Tap.GOOD),
        adjust=taps.count(Tap.ADJUST),
        pause=taps.count(Tap.PAUSE),
    )


def _answers(session: Session, round_: CheckinRound) -> list[CheckinAnswer]:
    return list(session.scalars(select(CheckinAnswer).where(CheckinAnswer.round_id == round_.id)))


@dataclass(frozen=True)
class Line:
    name: str
    user_id: str
    answer: str
    at: datetime | None


def lines(session: Session, round_: CheckinRound, *, now: datetime) -> list[Line]:
    """Each performer's answer, for the coordinator's modal: "no answer" once the window has
    passed, "waiting" before."""
    by = {a.performer_id: a for a in _answers(session, round_)}
    names = {
        e.slack_user_id: e.performer_name
        for e in session.scalars(
            select(CastEntry).where(CastEntry.production_id == round_.production_id)
        )
    }
    result = []
    for performer in round_.performers:
        found = by.get(performer)
        if found is not None:
            tap, tapped_at = open_tap(session, found)
            answer = tap.label
            at: datetime | None = tapped_at
        else:
            answer = "No answer" if now >= round_.closes_at else "Waiting"
            at = None
        result.append(Line(names.get(performer, "A performer"), performer, answer, at))
    return result


# ------------------------------------------------------------------ closure


class Closure(enum.StrEnum):
    OK = "ok"
    NOT_OK = "not_ok"
    TALK = "talk"

    @property
    def label(self) -> str:
        return {"ok": "It went OK", "not_ok": "Not OK", "talk": "Would like to talk"}[self.value]


def wrap(session: Session, scene: Scene, *, by: str, now: datetime) -> bool:
    """Mark the scene wrapped: its closure prompts go now. False if it already was."""
    if scene.wrapped_at is not None:
        return False
    scene.wrapped_at = now
    deliveries.sync_scene(session, scene, now=now)
    audit.record(
        session,
        at=now,
        team_id=scene.production.workspace.team_id,
        actor=by,
        action="scene.wrap",
        production_id=scene.production_id,
        subject=f"scene:{scene.number}",
    )
    return True


def is_wrapped(scene: Scene, now: datetime) -> bool:
    """Marked wrapped, or its automatic closure time (start + `closure_after_minutes`) passed."""
    if scene.wrapped_at is not None and scene.wrapped_at <= now:
        return True
    after = scene.production.closure_after_minutes
    return after > 0 and now >= scene.start_at + timedelta(minutes=after)


def record_closure(
    session: Session, scene: Scene, *, performer: str, answer: Closure, now: datetime
) -> None:
    """A performer's closure answer (the latest counts), encrypted; every coordinator gets
    "Closure — scene 42" (who and what: in its modal)."""
    if performer not in deliveries.performers_of(scene):
        raise Refusal("This question is not addressed to you.")
    if is_held(session, production_id=scene.production_id):
        raise Refusal(NOT_VOUCHED)
    if not is_wrapped(scene, now):
        raise Refusal("This scene has not wrapped yet: the question comes after it.")
    # The scene's row lock first: a double tap is then counted once, the second seeing the first.
    lock_row(session, Scene.revision, scene.id)
    found = session.scalar(
        select(ClosureAnswer).where(
            ClosureAnswer.scene_id == scene.id, ClosureAnswer.performer_id == performer
        )
    )
    if found is None:
        found = ClosureAnswer(
            production_id=scene.production_id,
            team_id=scene.team_id,
            scene_id=scene.id,
            performer_id=performer,
        )
        session.add(found)
    elif unseal(session, found.answer_ct) == answer.value:
        return
    found.answer_ct = seal(session, answer.value) or b""
    found.at = now
    session.flush()
    deliveries.tell_coordinators(
        session,
        key=f"closure_answer:{found.id}:{int(now.timestamp())}",
        production_id=scene.production_id,
        kind=DeliveryKind.CLOSURE_ANSWER,
        now=now,
        scene_id=scene.id,
    )
    audit.record(
        session,
        at=now,
        team_id=scene.production.workspace.team_id,
        actor=performer,
        action="closure.answer",
        production_id=scene.production_id,
        subject=f"scene:{scene.number}",
    )


def closure_lines(session: Session, scene: Scene) -> list[Line]:
    answers = {
        a.performer_id: a
        for a in session.scalars(select(ClosureAnswer).where(ClosureAnswer.scene_id == scene.id))
    }
    names = {
        e.slack_user_id: e.performer_name
        for e in session.scalars(
            select(CastEntry).where(CastEntry.production_id == scene.production_id)
        )
    }
    result = []
    for performer in deliveries.performers_of(scene):
        found = answers.get(performer)
        text = Closure(unseal(session, found.answer_ct) or "").label if found else "No answer yet"
        result.append(
            Line(names.get(performer, "A performer"), performer, text, found.at if found else None)
        )
    return result
