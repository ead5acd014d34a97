"""The audit log: every read of sensitive data and every change or post is recorded."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from storage.models import (
    AuditEvent,
    CoordinatorRequest,
    Delivery,
    DeliveryStatus,
    PrivateNote,
    Scene,
)


def record(
    session: Session,
    *,
    at: datetime,
    team_id: str,
    actor: str,
    action: str,
    production_id: int | None = None,
    subject: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an audit row. `detail` holds ids and counts only, never answers or content.
    (An INSERT statement, not an object for the session's unit of work: reads are recorded on
    every click, and nothing reads the row back in the same transaction.)"""
    session.execute(
        insert(AuditEvent).values(
            at=at,
            team_id=team_id,
            actor=actor,
            action=action,
            production_id=production_id,
            subject=subject,
            detail=detail or {},
        )
    )


PERFORMER = "performer"
"""The `detail` key naming the performer an event is about (whose answers or note were read):
an event's person is its actor or this."""


def scene_subjects(session: Session, *, scene: Scene) -> list[str]:
    """Every `subject` an event about `scene` may carry: the scene itself, and its requests,
    notes and failed deliveries (events about those name them, not the scene)."""
    requests = session.scalars(
        select(CoordinatorRequest.id).where(CoordinatorRequest.scene_id == scene.id)
    )
    notes = session.scalars(select(PrivateNote.id).where(PrivateNote.scene_id == scene.id))
    failed = session.scalars(
        select(Delivery.id).where(
            Delivery.scene_id == scene.id, Delivery.status == DeliveryStatus.FAILED
        )
    )
    return [
        f"scene:{scene.number}",
        *(f"request:{i}" for i in requests),
        *(f"note:{i}" for i in notes),
        *(f"delivery:{i}" for i in failed),
    ]


def events(
    session: Session,
    *,
    production_id: int,
    up_to: int | None = None,
    subjects: Sequence[str] | None = None,
    person: str | None = None,
    since: datetime | None = None,
    offset: int = 0,
    limit: int | None = None,
    newest_first: bool = True,
) -> list[AuditEvent]:
    """A production's events, filtered: `up_to` the newest id to include (so that pages stay
    put while new events arrive), `subjects` as from `scene_subjects`, `person` the actor or
    the performer the event is about, `since` a time."""
    query = select(AuditEvent).where(AuditEvent.production_id == production_id)
    if up_to is not None:
        query = query.where(AuditEvent.id <= up_to)
    if subjects is not None:
        query = query.where(AuditEvent.subject.in_(list(subjects)))
    if person is not None:
        about = AuditEvent.__table__.c.detail[PERFORMER].as_string()
        query = query.where(or_(AuditEvent.actor == person, about == person))
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    order = (AuditEvent.id.desc(),) if newest_first else (AuditEvent.id.asc(),)
    query = query.order_by(*order).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def newest_id(session: Session, *, production_id: int) -> int:
    found = session.scalar(
        select(func.max(AuditEvent.id)).where(AuditEvent.production_id == production_id)
    )
    return int(found or 0)


def scene_numbers(session: Session, found: Iterable[AuditEvent]) -> dict[int, str]:
    """Event id → the number of the scene it is about, where it is about one: named in its
    subject (`scene:42A`), or through the request, note or delivery its subject names."""
    numbers: dict[int, str] = {}
    wanted: dict[str, dict[int, list[int]]] = {"request": {}, "note": {}, "delivery": {}}
    for event in found:
        kind, _, ref = event.subject.partition(":")
        if kind == "scene" and ref:
            numbers[event.id] = ref
        elif kind in wanted and ref.isdigit():
            wanted[kind].setdefault(int(ref), []).append(event.id)
    models: dict[str, Any] = {
        "request": CoordinatorRequest,
        "note": PrivateNote,
        "delivery": Delivery,
    }
    for kind, by_id in wanted.items():
        if not by_id:
            continue
        model = models[kind]
        rows = session.execute(
            select(model.id, Scene.number)
            .join(Scene, Scene.id == model.scene_id)
            .where(model.id.in_(list(by_id)))
        )
        for row_id, number in rows:
            for event_id in by_id[row_id]:
                numbers[event_id] = number
    return numbers
