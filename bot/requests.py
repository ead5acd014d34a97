"""Coordinator requests to departments, and performers' private notes. No Slack here.

A request is checked before it is posted (`bot.depersonalize`), then posted to each chosen
channel through the delivery engine, at once or held back. Three things could point at the
performer behind it, and each is answered here:

- the words: names are refused, pronouns and singular references warned (`assess`);
- a small cast: with one or two performers in the chosen scene the set may infer who asked,
  so the coordinator is offered to post it as a standing production requirement instead;
- the timing: a request posted minutes after a performer answered about that scene lines up
  with the answer, so a hold-back of the production's quiet time (plus a little chance, so it
  does not line up with anything else either) is offered.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.depersonalize import Identity, RequestCheck, check_request
from storage import audit, deliveries
from storage.db import insert_once
from storage.models import (
    BoundaryAnswer,
    CastEntry,
    CoordinatorRequest,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    PrivateNote,
    Production,
    RequestAck,
    RequestPost,
    RequestStatus,
    RequestVersion,
    Scene,
)
from storage.secrets import opaque_key, seal

MAX_TEXT = 2000
MAX_CHANNELS = 10
SMALL_CAST = 2


def identities(session: Session, production_id: int) -> list[Identity]:
    """The production's performers as the check knows them: the cast list's names and
    characters and the Slack profile's names stored with it at the last roster resolution."""
    by_user: dict[str, list[CastEntry]] = defaultdict(list)
    for entry in session.scalars(select(CastEntry).where(CastEntry.production_id == production_id)):
        # Someone not on Slack is still someone a request must not name: one identity each.
        by_user[entry.slack_user_id or f"cast:{entry.cast_number}"].append(entry)
    result = []
    for user_id, entries in by_user.items():
        first = entries[0]
        names = {e.performer_name for e in entries} | {e.slack_real_name for e in entries}
        names -= {first.performer_name, None, ""}
        result.append(
            Identity(
                user_id=user_id if first.slack_user_id else "",
                real_name=first.performer_name,
                display_name=next(
                    (e.slack_display_name for e in entries if e.slack_display_name), ""
                ),
                handle=first.slack_handle or "",
                email=first.email or "",
                characters=tuple(e.character for e in entries if e.character),
                other_names=tuple(sorted(n for n in names if n)),
            )
        )
    return result


@dataclass(frozen=True)
class Assessment:
    check: RequestCheck
    cast_size: int | None
    """Performers in the chosen scene (None: no scene)."""
    recent: datetime | None
    """The latest answer or note about the chosen scene inside the quiet time, if any."""

    @property
    def small_cast(self) -> bool:
        return self.cast_size is not None and 0 < self.cast_size <= SMALL_CAST


def assess(
    session: Session, *, production: Production, scene: Scene | None, text: str, now: datetime
) -> Assessment:
    sizes = {
        s.number: _cast_size(s)
        for s in session.scalars(
            select(Scene)
            .where(Scene.production_id == production.id, Scene.removed.is_(False))
            .options(selectinload(Scene.cast))
        )
    }
    cast_size = _cast_size(scene) if scene is not None else None
    check = check_request(
        text, identities(session, production.id), scene_cast=cast_size, scenes=sizes
    )
    # A scene typed into the text counts as chosen: the smallest cast is the one at risk.
    typed = [sizes[n] for n in check.scenes if sizes[n] and (scene is None or n != scene.number)]
    if typed:
        cast_size = min(size for size in [*typed, cast_size] if size)
    recent = None
    if scene is not None:
        since = now - timedelta(minutes=production.quiet_minutes)
        answered = session.scalar(
            select(func.max(BoundaryAnswer.at)).where(
                BoundaryAnswer.scene_id == scene.id, BoundaryAnswer.at >= since
            )
        )
        noted = session.scalar(
            select(func.max(PrivateNote.at)).where(
                PrivateNote.scene_id == scene.id, PrivateNote.at >= since
            )
        )
        recent = max((t for t in (answered, noted) if t is not None), default=None)
    return Assessment(check, cast_size, recent)


def _cast_size(scene: Scene) -> int:
    return len(
        {e.slack_user_id or f"cast:{e.cast_number}" for e in scene.cast} | set(scene.unlisted_cast)
    )


def hold_until(production: Production, now: datetime, rng: random.Random | None = None) -> datetime:
    """When a held-back request goes out: after the quiet time and a few random minutes more,
    to the minute."""
    jitter = (rng or random.SystemRandom()).randint(5, 15)
    at = now + timedelta(minutes=production.quiet_minutes + jitter)
    return at.replace(second=0, microsecond=0)


def create(
    session: Session,
    *,
    production: Production,
    scene: Scene | None,
    text: str,
    channels: list[str],
    post_at: datetime,
    allow_ping: bool,
    actor: str,
    now: datetime,
) -> CoordinatorRequest:
    request = CoordinatorRequest(
        production_id=production.id,
        team_id=production.team_id,
        scene_id=scene.id if scene is not None else None,
        text=text,
        allow_ping=allow_ping,
        status=RequestStatus.ACTIVE,
        post_at=max(post_at, now),
        created_by=actor,
        created_at=now,
        updated_at=now,
        edits=0,
    )
    session.add(request)
    session.flush()
    _keep_version(session, request, actor=actor, now=now)
    for channel in dict.fromkeys(channels):
        post = RequestPost(request_id=request.id, team_id=request.team_id, channel_id=channel)
        session.add(post)
        session.flush()
        deliveries.send_now(
            session,
            key=f"request:{post.id}",
            production_id=production.id,
            kind=DeliveryKind.REQUEST,
            recipient=channel,
            now=request.post_at,
            scene_id=request.scene_id,
            detail={"post": post.id},
        )
    audit.record(
        session,
        at=now,
        team_id=production.workspace.team_id,
        actor=actor,
        action="request.create",
        production_id=production.id,
        subject=f"request:{request.id}",
        detail={"channels": len(channels), "held": request.post_at > now},
    )
    return request


def withdraw(session: Session, request: CoordinatorRequest, *, actor: str, now: datetime) -> None:
    """Withdraw: what is not posted yet never is; what is posted says it was withdrawn."""
    request.status = RequestStatus.WITHDRAWN
    request.updated_at = now
    _cancel_unsent(session, request)
    audit.record(
        session,
        at=now,
        team_id=request.production.workspace.team_id,
        actor=actor,
        action="request.withdraw",
        production_id=request.production_id,
        subject=f"request:{request.id}",
    )


def edit(
    session: Session, request: CoordinatorRequest, *, text: str, actor: str, now: datetime
) -> None:
    """New text for a request. Every version is kept, encrypted (`RequestVersion`), and the
    audit log says who changed it when (ids and lengths, no text)."""
    before = len(request.text)
    request.text = text
    request.edits += 1
    request.updated_at = now
    _keep_version(session, request, actor=actor, now=now)
    audit.record(
        session,
        at=now,
        team_id=request.production.workspace.team_id,
        actor=actor,
        action="request.edit",
        production_id=request.production_id,
        subject=f"request:{request.id}",
        detail={"edit": request.edits, "chars_before": before, "chars_after": len(text)},
    )


def _keep_version(
    session: Session, request: CoordinatorRequest, *, actor: str, now: datetime
) -> None:
    session.add(
        RequestVersion(
            request_id=request.id,
            team_id=request.team_id,
            number=request.edits,
            text_ct=seal(session, request.text),
            by=actor,
            at=now,
        )
    )
    session.flush()


def _cancel_unsent(session: Session, request: CoordinatorRequest) -> None:
    keys = [opaque_key(session, f"request:{post.id}") for post in request.posts]
    for row in session.scalars(select(Delivery).where(Delivery.key.in_(keys))):
        if row.status is DeliveryStatus.PLANNED:
            row.status = DeliveryStatus.CANCELLED


def acknowledge(session: Session, post: RequestPost, *, user_id: str, now: datetime) -> bool:
    """Record that `user_id` acknowledged; False if they already had (also when two clicks of
    theirs arrive at once)."""
    return insert_once(
        session, RequestAck, post_id=post.id, team_id=post.team_id, user_id=user_id, at=now
    )


def add_note(
    session: Session,
    *,
    production: Production,
    scene: Scene | None,
    performer: str,
    text: str,
    now: datetime,
    team_id: str,
) -> PrivateNote:
    note = PrivateNote(
        production_id=production.id,
        team_id=production.team_id,
        scene_id=scene.id if scene is not None else None,
        performer_id=performer,
        text_ct=seal(session, text),
        at=now,
    )
    session.add(note)
    session.flush()
    deliveries.tell_coordinators(
        session,
        key=f"note:{note.id}",
        production_id=production.id,
        kind=DeliveryKind.NOTE,
        now=now,
        scene_id=note.scene_id,
        detail={"note": note.id},
    )
    audit.record(
        session,
        at=now,
        team_id=team_id,
        actor=performer,
        action="note.create",
        production_id=production.id,
        subject=f"note:{note.id}",
    )
    return note
