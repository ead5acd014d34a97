"""The delivery table: planning rows from the schedule, and claiming, finishing and taking over
rows for the dispatcher (`bot.delivery.dispatch`).

Exactly-once, across instances: a row is *claimed* (status CLAIMED, `claimed_by` = the instance)
in its own committed transaction before anything is sent, and finished (SENT, FAILED, SKIPPED,
or back to PLANNED for a retry) only by the instance holding the claim. On PostgreSQL the claim
selects with `FOR UPDATE SKIP LOCKED`, so instances claiming at once take different rows and
never wait on each other; SQLite serializes writers, and the claim's `UPDATE ... WHERE status =
'planned'` takes each row once. Planning only ever changes rows still PLANNED (a conditional
UPDATE), so it cannot undo a claim made in between.

A claim outlives its instance only as long as that instance is known to be alive: each
dispatcher refreshes its `dispatcher_instance` row on every sweep, and the claims of one not
seen for `STALE_AFTER` (or, on the same host, whose process is gone) are put back to PLANNED.
The one window this leaves is a message whose send was in flight when its instance died: Slack
may have posted it while we never recorded that, and it is sent again on takeover.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from bot.delivery.plan import Existing, Plan, SceneFacts, Timing, plan_digests, plan_scene
from bot.reminders import DEFAULT_OFFSETS, parse_offsets
from storage.models import (
    BoundaryAnswer,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    DispatcherInstance,
    Production,
    Role,
    Scene,
)
from storage.productions import members_with, team_of
from storage.secrets import opaque_key
from storage.vouches import is_held

STALE_AFTER = timedelta(seconds=30)
"""An instance not seen for this long is taken for dead and its claims are taken over."""


# ------------------------------------------------------------------ planning


def timing_of(production: Production) -> Timing:
    try:
        reminders = tuple(parse_offsets(production.reminder_offsets or ""))
    except ValueError:  # checked when saved; an old bad value must not stop planning
        reminders = tuple(parse_offsets(DEFAULT_OFFSETS))
    return Timing(
        lead=timedelta(minutes=production.lead_minutes),
        nudge=timedelta(minutes=production.nudge_minutes),
        escalation=timedelta(minutes=production.escalation_minutes),
        reminders=reminders,
        zone=ZoneInfo(production.time_zone),
        closure_after=(  # 0: no automatic closure (only when marked wrapped)
            timedelta(minutes=production.closure_after_minutes)
            if production.closure_after_minutes > 0
            else None
        ),
    )


def ad_recipients_of(session: Session, production: Production) -> tuple[str, ...]:
    """Where AD reminders go: the AD channel, or each AD by DM when the production says so
    (or has no AD channel)."""
    if production.ad_channel_id and not production.reminders_by_dm:
        return (production.ad_channel_id,)
    return tuple(members_with(session, production_id=production.id, role=Role.AD))


def coordinators_of(session: Session, production_id: int) -> tuple[str, ...]:
    return tuple(members_with(session, production_id=production_id, role=Role.COORDINATOR))


def performers_of(scene: Scene) -> tuple[str, ...]:
    """The scene's performers who can be asked in Slack (see `bot.confirmations.offline_states`
    for the others)."""
    return tuple(dict.fromkeys(e.slack_user_id for e in scene.cast if e.slack_user_id))


def answered_at(session: Session, scene: Scene) -> frozenset[str]:
    return frozenset(
        session.scalars(
            select(BoundaryAnswer.performer_id).where(
                BoundaryAnswer.scene_id == scene.id,
                BoundaryAnswer.revision == scene.revision,
            )
        )
    )


def sync_scene(
    session: Session,
    scene: Scene,
    *,
    now: datetime,
    changed: frozenset[str] = frozenset(),
    coordinators: tuple[str, ...] | None = None,
    ad_recipients: tuple[str, ...] | None = None,
    held: bool | None = None,
) -> Plan:
    """Bring the scene's rows in line with the scene as it is now. The performers of a held
    production (`storage.vouches`) are asked nothing: none of their rows is planned, nor its
    coordinators' escalations and short-notice warnings about them."""
    production = scene.production
    if held is None:
        held = is_held(session, production_id=production.id)
    facts = SceneFacts(
        scene_id=scene.id,
        revision=scene.revision,
        start_at=scene.start_at,
        intimate=scene.intimacy,
        removed=scene.removed,
        performers=() if held else performers_of(scene),
        coordinators=(
            ()
            if held
            else coordinators
            if coordinators is not None
            else coordinators_of(session, production.id)
        ),
        answered=answered_at(session, scene),
        changed=changed,
        ad_recipients=(
            ad_recipients if ad_recipients is not None else ad_recipients_of(session, production)
        ),
        wrapped_at=scene.wrapped_at,
    )
    existing = [
        Existing(row.key, row.kind, row.revision, row.recipient, row.status, row.due_at)
        for row in session.execute(
            select(
                Delivery.key,
                Delivery.kind,
                Delivery.revision,
                Delivery.recipient,
                Delivery.status,
                Delivery.due_at,
            ).where(Delivery.scene_id == scene.id)
        )
    ]
    plan = plan_scene(facts, timing_of(production), existing, now)
    _write(session, production_id=production.id, scene_id=scene.id, plan=plan, now=now)
    return plan


def sync_production(
    session: Session,
    production: Production,
    *,
    now: datetime,
    changed: Mapping[int, frozenset[str]] | None = None,
) -> int:
    """Re-plan every scene of the production that has not started, or has rows waiting.
    Returns how many rows were added, moved or cancelled."""
    changed = changed or {}
    session.flush()
    session.expire_all()  # the cast and roles as just written, not as first loaded
    waiting = select(Delivery.scene_id).where(
        Delivery.production_id == production.id,
        Delivery.status.in_((DeliveryStatus.PLANNED, DeliveryStatus.CLAIMED)),
    )
    scenes = session.scalars(
        select(Scene)
        .where(
            Scene.production_id == production.id,
            or_(Scene.start_at > now, Scene.id.in_(waiting)),
        )
        .options(selectinload(Scene.cast))
    )
    coordinators = coordinators_of(session, production.id)
    recipients = ad_recipients_of(session, production)
    held = is_held(session, production_id=production.id)
    count = 0
    days: set[date] = set()
    zone = ZoneInfo(production.time_zone)
    for scene in scenes:
        plan = sync_scene(
            session,
            scene,
            now=now,
            changed=changed.get(scene.id, frozenset()),
            coordinators=coordinators,
            ad_recipients=recipients,
            held=held,
        )
        count += len(plan.add) + len(plan.move) + len(plan.cancel)
        if scene.intimacy and not scene.removed and scene.start_at > now:
            days.add(scene.start_at.astimezone(zone).date())
    digests = plan_digests(
        production_id=production.id,
        days=days,
        at=production.digest_at,
        zone=zone,
        recipients=recipients,
        existing=[
            Existing(row.key, row.kind, row.revision, row.recipient, row.status, row.due_at)
            for row in session.scalars(
                select(Delivery).where(
                    Delivery.production_id == production.id,
                    Delivery.kind == DeliveryKind.DIGEST,
                    Delivery.expires_at > now,  # every status: a key is planned once
                )
            )
        ],
        now=now,
    )
    _write(session, production_id=production.id, scene_id=None, plan=digests, now=now)
    return count + len(digests.add) + len(digests.move) + len(digests.cancel)


def _write(
    session: Session, *, production_id: int, scene_id: int | None, plan: Plan, now: datetime
) -> None:
    team_id = team_of(session, production_id) if plan.add else ""
    for new in plan.add:
        session.add(
            Delivery(
                key=new.key,
                production_id=production_id,
                team_id=team_id,
                scene_id=scene_id,
                revision=new.revision,
                kind=new.kind,
                recipient=new.recipient,
                due_at=new.due_at,
                expires_at=new.expires_at,
                status=DeliveryStatus.PLANNED,
                attempts=0,
                detail=new.detail,
                created_at=now,
            )
        )
    for name, due in plan.move.items():
        session.execute(
            update(Delivery)
            .where(Delivery.key == name, Delivery.status == DeliveryStatus.PLANNED)
            .values(due_at=due)
        )
    if plan.cancel:
        session.execute(
            update(Delivery)
            .where(Delivery.key.in_(plan.cancel), Delivery.status == DeliveryStatus.PLANNED)
            .values(status=DeliveryStatus.CANCELLED)
        )
    session.flush()


def send_now(
    session: Session,
    *,
    key: str,
    production_id: int,
    kind: DeliveryKind,
    recipient: str,
    now: datetime,
    scene_id: int | None = None,
    revision: int = 0,
    detail: dict[str, Any] | None = None,
) -> bool:
    """Plan one message for right away, unless one with this key exists. True if added. The
    key is stored as `opaque_key`: it may name a performer beside what they answered."""
    key = opaque_key(session, key)
    if session.scalar(select(Delivery.id).where(Delivery.key == key)) is not None:
        return False
    session.add(
        Delivery(
            key=key,
            production_id=production_id,
            team_id=team_of(session, production_id),
            scene_id=scene_id,
            revision=revision,
            kind=kind,
            recipient=recipient,
            due_at=now,
            status=DeliveryStatus.PLANNED,
            attempts=0,
            detail=detail or {},
            created_at=now,
        )
    )
    session.flush()
    return True


def tell_coordinators(
    session: Session,
    *,
    key: str,
    production_id: int,
    kind: DeliveryKind,
    now: datetime,
    scene_id: int | None = None,
    revision: int = 0,
    detail: dict[str, Any] | None = None,
) -> None:
    """A message of `kind` to each coordinator of the production, right away, keyed
    `{key}:{coordinator}` (so planning it twice sends it once)."""
    for coordinator in coordinators_of(session, production_id):
        send_now(
            session,
            key=f"{key}:{coordinator}",
            production_id=production_id,
            kind=kind,
            recipient=coordinator,
            now=now,
            scene_id=scene_id,
            revision=revision,
            detail=detail,
        )


# ------------------------------------------------------------------ dispatching


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: DeliveryKind
    attempts: int


def _due(now: datetime) -> Any:
    return and_(
        Delivery.status == DeliveryStatus.PLANNED,
        Delivery.due_at <= now,
        or_(Delivery.not_before.is_(None), Delivery.not_before <= now),
    )


def release(session: Session, *, ids: Sequence[int], instance: str) -> None:
    """Put rows `instance` claimed back untried, as before the claim (which then does not
    count as an attempt). The caller commits."""
    session.execute(
        update(Delivery)
        .where(
            Delivery.id.in_(list(ids)),
            Delivery.status == DeliveryStatus.CLAIMED,
            Delivery.claimed_by == instance,
        )
        .values(status=DeliveryStatus.PLANNED, claimed_by=None, attempts=Delivery.attempts - 1)
    )


def claim_due(session: Session, *, instance: str, now: datetime, limit: int) -> list[Claimed]:
    """Claim up to `limit` due rows for `instance`, oldest first. The caller commits."""
    query = select(Delivery.id).where(_due(now)).order_by(Delivery.due_at, Delivery.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if not ids:
        return []
    rows = session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.PLANNED)
        .values(
            status=DeliveryStatus.CLAIMED,
            claimed_by=instance,
            claimed_at=now,
            attempts=Delivery.attempts + 1,
        )
        .returning(Delivery.id, Delivery.kind, Delivery.attempts)
    )
    return sorted((Claimed(r.id, r.kind, r.attempts) for r in rows), key=lambda c: ids.index(c.id))


def _mine(delivery_id: int, instance: str) -> Any:
    return and_(
        Delivery.id == delivery_id,
        Delivery.status == DeliveryStatus.CLAIMED,
        Delivery.claimed_by == instance,
    )


def finish(
    session: Session,
    *,
    delivery_id: int,
    instance: str,
    status: DeliveryStatus,
    now: datetime,
    channel: str | None = None,
    ts: str | None = None,
    error: str | None = None,
) -> bool:
    """Record the outcome of a claimed row. False if the claim was lost meanwhile."""
    values: dict[str, Any] = {"status": status, "error": error}
    if status is DeliveryStatus.SENT:
        values.update(sent_at=now, channel=channel, ts=ts)
    result = session.execute(update(Delivery).where(_mine(delivery_id, instance)).values(**values))
    return bool(getattr(result, "rowcount", 0))


def retry_later(
    session: Session, *, delivery_id: int, instance: str, at: datetime, error: str
) -> bool:
    result = session.execute(
        update(Delivery)
        .where(_mine(delivery_id, instance))
        .values(status=DeliveryStatus.PLANNED, claimed_by=None, not_before=at, error=error)
    )
    return bool(getattr(result, "rowcount", 0))


def next_due(session: Session) -> datetime | None:
    """When the next waiting row falls due (possibly in the past)."""
    # Two index-friendly reads (status, due_at) rather than one MIN over an expression, which
    # would read every waiting row: 100k planned rows made that most of an idle instance's CPU.
    first = session.scalar(
        select(Delivery.due_at)
        .where(Delivery.status == DeliveryStatus.PLANNED, Delivery.not_before.is_(None))
        .order_by(Delivery.status, Delivery.due_at)
        .limit(1)
    )
    retry = session.scalar(
        select(func.min(Delivery.not_before)).where(
            Delivery.status == DeliveryStatus.PLANNED, Delivery.not_before.is_not(None)
        )
    )
    return min((t for t in (first, retry) if t is not None), default=None)


# ------------------------------------------------------------------ instances


def new_instance_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def heartbeat(session: Session, *, instance: str, now: datetime) -> None:
    row = session.get(DispatcherInstance, instance)
    if row is None:
        session.add(
            DispatcherInstance(
                id=instance,
                host=socket.gethostname()[:255],
                pid=os.getpid(),
                started_at=now,
                seen_at=now,
            )
        )
    else:
        row.seen_at = now
    session.flush()


def take_over(session: Session, *, instance: str, now: datetime) -> int:
    """Put back to PLANNED the claims of instances that are gone. Returns how many."""
    host, me = socket.gethostname()[:255], os.getpid()
    dead = [
        other.id
        for other in session.scalars(
            select(DispatcherInstance).where(DispatcherInstance.host == host)
        )
        if other.id != instance and other.pid != me and not _pid_alive(other.pid)
    ]
    # Who is alive is decided inside the UPDATE, in the same statement as the rows it resets:
    # an instance that announced itself and claimed rows after a separate read would otherwise
    # look gone, and its rows, mid-send, be sent twice.
    seen = select(DispatcherInstance.id).where(DispatcherInstance.seen_at >= now - STALE_AFTER)
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.status == DeliveryStatus.CLAIMED,
            or_(Delivery.claimed_by.is_(None), Delivery.claimed_by != instance),
            or_(
                Delivery.claimed_by.is_(None),
                Delivery.claimed_by.in_(dead),
                Delivery.claimed_by.not_in(seen),
            ),
        )
        .values(status=DeliveryStatus.PLANNED, claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def delivery_ids(session: Session, keys: Iterable[str]) -> dict[str, int]:
    """The ids of the deliveries `send_now` planned under `keys`, by key."""
    by_opaque = {opaque_key(session, key): key for key in keys}
    rows = session.execute(select(Delivery.key, Delivery.id).where(Delivery.key.in_(by_opaque)))
    return {by_opaque[key]: id_ for key, id_ in rows.all()}
