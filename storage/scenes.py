"""Scenes of the shooting schedule: reading their effective state and applying imports."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from bot.problems import InputRejected, Problem
from bot.schedule.diff import Kind, SceneState, ScheduleDiff, plan_schedule_change
from bot.schedule.model import ImportedSchedule, scene_problem
from bot.schedule.workday import on_working_day, working_day
from storage.models import CastEntry, Production, Scene, SceneCast
from storage.secrets import seal, unseal


def get_scene(session: Session, *, production_id: int, number: str) -> Scene | None:
    return session.scalar(
        select(Scene).where(Scene.production_id == production_id, Scene.number == number)
    )


def _scenes(session: Session, production_id: int) -> list[Scene]:
    return list(
        session.scalars(
            select(Scene)
            .where(Scene.production_id == production_id)
            .options(selectinload(Scene.cast))
            .order_by(Scene.start_at, Scene.number)
        )
    )


def state_of(session: Session, scene: Scene) -> SceneState:
    return SceneState(
        number=scene.number,
        start_at=scene.start_at,
        set_name=scene.set_name,
        cast=tuple(c.cast_number for c in scene.cast) + tuple(scene.unlisted_cast),
        intimacy=scene.intimacy,
        planned_content=unseal(session, scene.planned_content_ct),
        synopsis=unseal(session, scene.synopsis_ct),
        start_estimated=scene.start_estimated,
        intimacy_undecided=scene.intimacy_undecided,
        after_midnight=scene.after_midnight,
        day_call=scene.day_call,
    )


def current_states(session: Session, *, production_id: int) -> list[SceneState]:
    return [state_of(session, s) for s in _scenes(session, production_id) if not s.removed]


def digest(states: Sequence[SceneState]) -> str:
    """A fingerprint of a schedule, to tell whether it changed between preview and apply."""
    hasher = hashlib.sha256()
    for state in sorted(states, key=lambda s: s.number):
        hasher.update(repr(state).encode())
    return hasher.hexdigest()


def incoming_states(
    session: Session,
    *,
    production: Production,
    schedule: ImportedSchedule,
    cast: Mapping[str, tuple[str, ...]],
) -> list[SceneState]:
    """What each imported scene will look like once stored: the file's values, except where
    the coordinator set intimacy, planned content or an exact start time in the scene modal.

    A start time the coordinator set is put on the scene's working day as the file now has it,
    after midnight when it is earlier than that day's call (as the parsers read a night
    shoot), so that 23:00 for a scene the file puts at 01:30 after midnight stays the evening
    before, not the next night.
    """
    zone = ZoneInfo(production.time_zone)
    existing = {s.number: s for s in _scenes(session, production.id)}
    states: list[SceneState] = []
    problems: list[Problem] = []
    for imported in schedule.scenes:
        old = existing.get(imported.number)
        start_at, estimated = imported.start_at, imported.start_estimated
        after_midnight = imported.after_midnight
        intimacy, content = bool(imported.intimacy), imported.planned_content
        undecided = imported.intimacy_undecided
        if old is not None:
            if old.start_time_override is not None:
                day = working_day(imported.shoot_date, after_midnight=imported.after_midnight)
                try:
                    start_at, after_midnight = on_working_day(
                        day, old.start_time_override, imported.day_call, zone
                    )
                    estimated = False
                except ValueError as error:
                    problems.append(
                        scene_problem(
                            imported,
                            schedule.source_format,
                            f"the start time set by hand ({old.start_time_override:%H:%M}) "
                            f"cannot be kept: {error}. Set another with `/closedset scene "
                            f"{imported.number}`",
                        )
                    )
            if old.intimacy_by_coordinator or imported.intimacy is None:
                # The coordinator's word stands; a file that says nothing (USS) changes nothing.
                intimacy, undecided = old.intimacy, old.intimacy_undecided
            if old.planned_content_by_coordinator or imported.intimacy is None:
                content = unseal(session, old.planned_content_ct)
        states.append(
            SceneState(
                number=imported.number,
                start_at=start_at,
                set_name=imported.set_name,
                cast=cast.get(imported.number, ()),
                intimacy=intimacy,
                planned_content=content,
                synopsis=imported.synopsis,
                start_estimated=estimated,
                intimacy_undecided=undecided and intimacy,
                after_midnight=after_midnight,
                day_call=imported.day_call,
            )
        )
    if problems:
        raise InputRejected(problems)
    return states


def plan_import(
    session: Session,
    *,
    production: Production,
    schedule: ImportedSchedule,
    cast: Mapping[str, tuple[str, ...]],
) -> tuple[ScheduleDiff, str]:
    """The change the import would make, and the digest of the schedule it was planned on
    (each read and decrypted once)."""
    current = current_states(session, production_id=production.id)
    incoming = incoming_states(session, production=production, schedule=schedule, cast=cast)
    return plan_schedule_change(current, incoming), digest(current)


def apply_diff(
    session: Session, *, production: Production, diff: ScheduleDiff, now: datetime
) -> dict[int, frozenset[str]]:
    """Write `diff` (planned against the current state in this same transaction).

    Removed scenes are kept, marked removed, so what hangs off them can be cancelled. A scene's
    revision, what performers confirm, grows when its planned content changes, when it moves
    by more than the production's tolerance, when it becomes intimate, or when it comes back:
    returns, by scene id, why it grew ("content", "time", "intimacy", "returned").
    """
    by_number = {s.number: s for s in _scenes(session, production.id)}
    entries = {
        e.cast_number: e
        for e in session.scalars(select(CastEntry).where(CastEntry.production_id == production.id))
    }
    tolerance = timedelta(minutes=production.move_tolerance_minutes)
    grew: dict[int, frozenset[str]] = {}
    for change in diff.changes:
        scene = by_number.get(change.number)
        if change.kind is Kind.REMOVED:
            if scene is not None:
                scene.removed = True
                scene.updated_at = now
            continue
        if change.after is None:
            continue
        after = change.after
        if change.kind is Kind.UNCHANGED:
            if scene is not None:  # what places a later start time by hand; not compared
                scene.after_midnight, scene.day_call = after.after_midnight, after.day_call
            continue
        if scene is None:
            scene = Scene(
                production_id=production.id,
                team_id=production.team_id,
                number=after.number,
                created_at=now,
            )
            scene.revision = 1
            session.add(scene)
        elif scene.removed:
            scene.removed = False
            scene.revision += 1
            grew[scene.id] = frozenset({"returned"})
        else:
            reasons = set()
            if change.content_changed:
                reasons.add("content")
            if abs(after.start_at - scene.start_at) > tolerance:
                reasons.add("time")
            if after.intimacy and not scene.intimacy:
                reasons.add("intimacy")
            if reasons:
                scene.revision += 1
                grew[scene.id] = frozenset(reasons)
        scene.shoot_date = after.start_at.astimezone(ZoneInfo(production.time_zone)).date()
        scene.start_at = after.start_at
        scene.start_estimated = after.start_estimated
        scene.set_name = after.set_name
        scene.after_midnight = after.after_midnight
        scene.day_call = after.day_call
        scene.intimacy = after.intimacy
        scene.intimacy_undecided = after.intimacy_undecided
        scene.planned_content_ct = seal(session, after.planned_content)
        scene.synopsis_ct = seal(session, after.synopsis)
        scene.cast = [entries[n] for n in after.cast if n in entries]
        scene.unlisted_cast = [n for n in after.cast if n not in entries]
        scene.updated_at = now
    session.flush()
    return grew


def _upcoming(production_id: int, since: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        Scene.production_id == production_id,
        Scene.removed.is_(False),
        Scene.start_at >= since,
    )


def upcoming(
    session: Session, *, production_id: int, since: datetime, offset: int = 0, limit: int = 10
) -> tuple[list[Scene], int]:
    """Scenes starting at or after `since`, in time order: one page, and how many in all."""
    where = _upcoming(production_id, since)
    total = session.scalar(select(func.count()).select_from(Scene).where(*where)) or 0
    page = session.scalars(
        select(Scene)
        .where(*where)
        .options(selectinload(Scene.cast))
        .order_by(Scene.start_at, Scene.number)
        .offset(offset)
        .limit(limit)
    )
    return list(page), total


def upcoming_counted(
    session: Session, *, production_id: int, since: datetime, offset: int = 0, limit: int = 10
) -> tuple[list[tuple[Scene, int]], int]:
    """`upcoming`, each scene with how many listed cast it has, counted by the database rather
    than loaded (a schedule page shows the number, not the names), and how many in all (from
    the same query, a window over the matching scenes; counted apart only for a page past
    the end)."""
    where = _upcoming(production_id, since)
    listed = (
        select(func.count())
        .select_from(SceneCast)
        .where(SceneCast.scene_id == Scene.id)
        .correlate(Scene)
        .scalar_subquery()
    )
    page = session.execute(
        select(Scene, listed, func.count().over())
        .where(*where)
        .order_by(Scene.start_at, Scene.number)
        .offset(offset)
        .limit(limit)
    ).all()
    if page:
        total = page[0][2]
    else:
        total = session.scalar(select(func.count()).select_from(Scene).where(*where)) or 0
    return [(scene, count) for scene, count, _ in page], total
