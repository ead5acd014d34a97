"""Retention: what performers said and what was planned is deleted once a production is over.

A production keeps its content until `retention_days` (default 30) after its last shoot day:
the latest date of its scenes still on the schedule (of any scene, when all were removed;
its creation, when it has none), counted in the production's time zone. The calendar date of
the last start is used, not the working day (a night shoot's start after midnight is a day
later): content is never purged before the promised day, at worst a day after it. From the
next day on, the daily purge (`purge_daily`) deletes it; `closedset purge` runs the same purge
for one production now, and a coordinator can purge one wrapped scene early (`purge_scene`).

What goes (per scene, and production-wide for what belongs to no scene):
- boundary answers (every version: the rows, with their encrypted boundaries);
- private notes (about the scene, or, for a production, all of them);
- check-in answers and closure answers;
- the scene's planned content and story synopsis (the encrypted columns set NULL);
- confirmations in person (`Scene.in_person`: who, among those not on Slack, agreed to which
  revision: a performer's answer, given to the coordinator's face);
- schedule files kept for Apply (`pending_import`: their payload holds every scene's planned
  content). A production purge deletes them all; a scene purge deletes those already applied
  or cancelled (copies of content nothing reads any more); one still waiting for a decision
  stays, as its Apply would bring the content back in any case.

What stays is scene-level: the scenes (time, set, cast, intimacy, closed set, signed off or
not, wrapped), check-in rounds (who was asked, the coordinators' live messages), coordinator
requests and their versions (the coordinator's own words, already posted to channels), the
roster, the checklist labels, the audit trail (ids and counts, never content) and the delivery
rows (ids, kinds and times, no content: they are also what keeps a message from being sent
twice, so deleting them could send one again). A notice of an answer or note that is still
waiting to go says, when clicked, that the update is no longer available.

Purged means gone: rows are DELETEd and sealed columns set NULL, never flagged. SQLite runs
with `secure_delete` (`storage.db`), so freed space is zeroed; after a purge `checkpoint`
copies the write-ahead log into the file and truncates it, so no old page image stays in the
"-wal" file either. (PostgreSQL leaves dead row versions until autovacuum reclaims them.)

Several instances: a purge takes its production's row lock before it reads (`lock_row`), so a
second purge of the same production waits and then finds nothing left: one audit event. The
daily purge runs once a day across instances: it claims the day by inserting its `purge_run`
row, after trying PostgreSQL's transaction-scoped advisory lock, so a twin instance returns at
once instead of waiting on the claim.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from storage import audit
from storage.db import insert_once, lock_row
from storage.models import (
    BoundaryAnswer,
    CheckinAnswer,
    CheckinRound,
    ClosureAnswer,
    ImportStatus,
    PendingImport,
    PrivateNote,
    Production,
    PurgeRun,
    Scene,
)

ACTION = "retention.purged"
JOB = "retention"
"""The actor the daily purge is recorded as."""
KINDS = (
    "answers",
    "notes",
    "checkin_answers",
    "closure_answers",
    "planned_content",
    "synopses",
    "in_person",
    "imports",
)
PRODUCTION_WIDE = ""
"""The key, in `Purged.scenes`, of what belongs to no scene (notes, imports)."""
ADVISORY_KEY = 0x636C_7365_7470_7572  # "clsetpur": the daily purge's PostgreSQL advisory lock


@dataclass
class Purged:
    """What a purge deleted (or, dry, would delete): kind → count, by scene number."""

    production: str
    scenes: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, scene: str, kind: str, count: int) -> None:
        if count:
            self.scenes.setdefault(scene, Counter())[kind] += count

    @property
    def totals(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for counts in self.scenes.values():
            total.update(counts)
        return {kind: total[kind] for kind in KINDS if total[kind]}

    @property
    def total(self) -> int:
        return sum(self.totals.values())


def last_day(session: Session, production: Production) -> date:
    """The production's last shoot day (see the module docstring)."""
    on_schedule = session.scalar(
        select(func.max(Scene.shoot_date)).where(
            Scene.production_id == production.id, Scene.removed.is_(False)
        )
    )
    latest = on_schedule or session.scalar(
        select(func.max(Scene.shoot_date)).where(Scene.production_id == production.id)
    )
    if latest is not None:
        return latest
    return production.created_at.astimezone(ZoneInfo(production.time_zone)).date()


def kept_until(session: Session, production: Production) -> date:
    """The last day the production's content is kept; the purge may run from the next."""
    return last_day(session, production) + timedelta(days=production.retention_days)


def is_due(session: Session, production: Production, *, now: datetime) -> bool:
    today = now.astimezone(ZoneInfo(production.time_zone)).date()
    return today > kept_until(session, production)


def purge_production(
    session: Session, production: Production, *, now: datetime, actor: str, dry_run: bool = False
) -> Purged:
    """Purge everything of the production's content (retention's reach is the whole
    production: call it once `is_due`, or when told to). With `dry_run`, count only."""
    if not dry_run:
        lock_row(session, Production.updated_at, production.id)
    scene_ids = list(session.scalars(select(Scene.id).where(Scene.production_id == production.id)))
    purged = _purge(session, production, scene_ids, imports="all", dry_run=dry_run)
    if not dry_run:
        _record(session, production, purged, now=now, actor=actor, subject="")
    return purged


def purge_scene(session: Session, scene: Scene, *, now: datetime, actor: str) -> Purged:
    """Purge one scene's content early (a coordinator's choice, once it wrapped: the caller
    checks both)."""
    production = scene.production
    lock_row(session, Production.updated_at, production.id)
    purged = _purge(session, production, [scene.id], imports="finished", dry_run=False)
    _record(session, production, purged, now=now, actor=actor, subject=f"scene:{scene.number}")
    return purged


def purge_daily(session: Session, *, now: datetime, instance: str) -> list[Purged] | None:
    """The daily run: purge every production past its retention. None when another instance
    is running it or it already ran today (UTC); else what it purged (productions with
    nothing left to purge are left out)."""
    if session.get_bind().dialect.name == "postgresql":
        got = session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY})
        if not got:
            return None
    if not insert_once(session, PurgeRun, day=now.date(), instance=instance[:64], at=now):
        return None
    done = []
    for production in session.scalars(select(Production).order_by(Production.id)).all():
        if is_due(session, production, now=now):
            purged = purge_production(session, production, now=now, actor=JOB)
            if purged.total:
                done.append(purged)
    return done


def checkpoint(session: Session) -> None:
    """SQLite: copy the write-ahead log into the database and truncate it, so the page images
    it held from before a purge are gone too. Run after the purge committed, on a session in
    no transaction. (A no-op on PostgreSQL.)"""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def _purge(
    session: Session,
    production: Production,
    scene_ids: list[int],
    *,
    imports: str,
    dry_run: bool,
) -> Purged:
    purged = Purged(production=production.name)
    numbers = dict(
        session.execute(select(Scene.id, Scene.number).where(Scene.id.in_(scene_ids))).all()
    )

    def count(kind: str, scene_column: Any, *where: Any) -> None:
        rows = session.execute(
            select(scene_column, func.count()).where(*where).group_by(scene_column)
        ).all()
        for scene_id, n in rows:
            purged.add(numbers.get(scene_id, PRODUCTION_WIDE), kind, int(n))

    whole = imports == "all"
    answers = (BoundaryAnswer.scene_id.in_(scene_ids),)
    notes = (
        (PrivateNote.production_id == production.id,)
        if whole
        else (PrivateNote.scene_id.in_(scene_ids),)
    )
    rounds = select(CheckinRound.id).where(CheckinRound.scene_id.in_(scene_ids))
    closures = (ClosureAnswer.scene_id.in_(scene_ids),)
    count("answers", BoundaryAnswer.scene_id, *answers)
    count("notes", PrivateNote.scene_id, *notes)
    count(
        "checkin_answers",
        CheckinRound.scene_id,
        CheckinAnswer.round_id == CheckinRound.id,
        CheckinRound.scene_id.in_(scene_ids),
    )
    count("closure_answers", ClosureAnswer.scene_id, *closures)
    scenes = session.execute(
        select(Scene.id, Scene.planned_content_ct, Scene.synopsis_ct, Scene.in_person).where(
            Scene.id.in_(scene_ids)
        )
    ).all()
    for scene_id, planned, synopsis, in_person in scenes:
        purged.add(numbers[scene_id], "planned_content", int(planned is not None))
        purged.add(numbers[scene_id], "synopses", int(synopsis is not None))
        purged.add(numbers[scene_id], "in_person", len(in_person or {}))
    files = [PendingImport.production_id == production.id]
    if not whole:
        files.append(PendingImport.status != ImportStatus.PENDING)
    purged.add(
        PRODUCTION_WIDE,
        "imports",
        session.scalar(select(func.count()).select_from(PendingImport).where(*files)) or 0,
    )
    if dry_run or not purged.total:
        return purged
    session.execute(delete(BoundaryAnswer).where(*answers))
    session.execute(delete(PrivateNote).where(*notes))
    session.execute(delete(CheckinAnswer).where(CheckinAnswer.round_id.in_(rounds)))
    session.execute(delete(ClosureAnswer).where(*closures))
    session.execute(delete(PendingImport).where(*files))
    session.execute(
        update(Scene)
        .where(Scene.id.in_(scene_ids))
        .values(planned_content_ct=None, synopsis_ct=None, in_person={})
    )
    session.expire_all()  # objects loaded before must not write the old values back
    return purged


def _record(
    session: Session,
    production: Production,
    purged: Purged,
    *,
    now: datetime,
    actor: str,
    subject: str,
) -> None:
    """The audit event: counts only. Nothing purged, nothing recorded (a second purge racing
    the first finds nothing)."""
    if not purged.total:
        return
    audit.record(
        session,
        at=now,
        team_id=production.workspace.team_id,
        actor=actor,
        action=ACTION,
        production_id=production.id,
        subject=subject,
        detail={**purged.totals, "scenes": sum(1 for s in purged.scenes if s)},
    )
