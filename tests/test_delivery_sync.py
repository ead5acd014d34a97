"""Re-planning from the stored schedule: a re-imported schedule moves, lapses and cancels what
is planned, by the production's tolerance; settings changes move it. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.imports import apply_schedule_plan, parse_schedule, plan_schedule_import
from storage import deliveries
from storage.db import session_scope
from storage.models import Delivery, DeliveryKind, DeliveryStatus, Production, Scene
from tests.conftest import NOW
from tests.support.world import COORDINATOR, build

HEADER = "Scene,Shoot Date,Time,Set,Cast,Intimacy,Intimacy Notes\n"
LONDON = ZoneInfo("Europe/London")


def reimport(session_factory: sessionmaker[Session], rows: str, *, now: datetime) -> None:
    with session_scope(session_factory) as session:
        production = session.scalars(select(Production)).one()
        schedule = parse_schedule(HEADER + rows, production)
        plan = plan_schedule_import(session, production=production, schedule=schedule)
        apply_schedule_plan(
            session,
            production=production,
            schedule=schedule,
            base_digest=plan.base_digest,
            now=now,
            actor="cli",
        )


def planned(session_factory: sessionmaker[Session]) -> dict[str, tuple[DeliveryStatus, datetime]]:
    with session_scope(session_factory) as session:
        return {
            row.key: (row.status, row.due_at)
            for row in session.scalars(select(Delivery).order_by(Delivery.id))
        }


def scene_row(session_factory: sessionmaker[Session]) -> tuple[int, int, datetime]:
    with session_scope(session_factory) as session:
        scene = session.scalars(select(Scene)).one()
        return scene.id, scene.revision, scene.start_at


def start_local(days: int, hhmm: str) -> tuple[str, datetime]:
    day = (NOW + timedelta(days=days)).astimezone(LONDON).date()
    hour, minute = map(int, hhmm.split(":"))
    return day.isoformat(), datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def test_a_move_within_the_tolerance_moves_the_rows_and_keeps_the_answers(
    session_factory: sessionmaker[Session],
) -> None:
    day, start = start_local(5, "10:00")
    build(session_factory, now=NOW, scenes={})
    reimport(session_factory, f'42A,{day},10:00,Bedroom,"1,2",yes,Kiss\n', now=NOW)
    scene_id, revision, _ = scene_row(session_factory)
    reimport(session_factory, f'42A,{day},10:45,Bedroom,"1,2",yes,Kiss\n', now=NOW)
    assert scene_row(session_factory)[1] == revision  # 45 min is inside the default hour
    rows = planned(session_factory)
    prompt = rows[f"prompt:{scene_id}:{revision}:U0PERF0001"]
    moved = start + timedelta(minutes=45) - timedelta(hours=48)
    assert prompt == (DeliveryStatus.PLANNED, moved.astimezone(UTC))


def test_a_move_beyond_the_tolerance_or_new_content_lapses_the_confirmations(
    session_factory: sessionmaker[Session],
) -> None:
    day, _ = start_local(5, "10:00")
    build(session_factory, now=NOW, scenes={})
    reimport(session_factory, f'42A,{day},10:00,Bedroom,"1,2",yes,Kiss\n', now=NOW)
    scene_id, _, _ = scene_row(session_factory)
    later = NOW + timedelta(days=3, hours=4)  # prompts out; past the new one's time too
    with session_scope(session_factory) as session:
        for row in session.scalars(select(Delivery).where(Delivery.kind == DeliveryKind.PROMPT)):
            row.status = DeliveryStatus.SENT
    reimport(session_factory, f'42A,{day},12:00,Bedroom,"1,2",yes,Kiss\n', now=later)
    assert scene_row(session_factory)[1] == 2
    rows = planned(session_factory)
    # Inside the lead: asked again at once (saying what changed), coordinator told.
    assert rows[f"prompt:{scene_id}:2:U0PERF0001"][0] is DeliveryStatus.PLANNED
    assert rows[f"short_notice:{scene_id}:2:{COORDINATOR}"][0] is DeliveryStatus.PLANNED
    assert rows[f"nudge:{scene_id}:1:U0PERF0001"][0] is DeliveryStatus.CANCELLED
    with session_scope(session_factory) as session:
        again = session.scalars(
            select(Delivery).where(Delivery.key == f"prompt:{scene_id}:2:U0PERF0001")
        ).one()
        assert again.detail == {"again": True, "changed": ["time"]}
    # New planned content: revision 3.
    reimport(session_factory, f'42A,{day},12:00,Bedroom,"1,2",yes,Kiss and hold\n', now=later)
    assert scene_row(session_factory)[1] == 3


def test_a_scene_dropped_from_the_file_is_removed_and_its_rows_cancelled(
    session_factory: sessionmaker[Session],
) -> None:
    day, _ = start_local(5, "10:00")
    build(session_factory, now=NOW, scenes={})
    reimport(
        session_factory,
        f'42A,{day},10:00,Bedroom,"1,2",yes,Kiss\n43,{day},15:00,Beach,3,yes,Swim\n',
        now=NOW,
    )
    reimport(session_factory, f"43,{day},15:00,Beach,3,yes,Swim\n", now=NOW)
    with session_scope(session_factory) as session:
        removed = session.scalars(select(Scene).where(Scene.number == "42A")).one()
        statuses = {
            row.status
            for row in session.scalars(select(Delivery).where(Delivery.scene_id == removed.id))
        }
    assert removed.removed and statuses == {DeliveryStatus.CANCELLED}


def test_new_lead_times_and_coordinators_re_plan_what_waits(
    session_factory: sessionmaker[Session],
) -> None:
    world = build(session_factory, now=NOW)
    scene_id = world.scene_ids["42A"]
    with session_scope(session_factory) as session:
        production = session.get(Production, world.production_id)
        assert production is not None
        production.lead_minutes = 72 * 60
        deliveries.sync_production(session, production, now=NOW)
    rows = planned(session_factory)
    assert rows[f"prompt:{scene_id}:1:U0PERF0001"][1] == NOW + timedelta(days=2)


def test_zone_changes_across_daylight_saving_keep_exact_lead_times_in_los_angeles(
    session_factory: sessionmaker[Session],
) -> None:
    # America/Los_Angeles falls back on 1 November 2026 at 02:00: a scene at 10:00 PST on
    # 2 November is asked 48 real hours before, at 09:00 PDT on 31 October.
    los_angeles = ZoneInfo("America/Los_Angeles")
    now = datetime(2026, 10, 20, tzinfo=UTC)
    world = build(session_factory, now=now, scenes={}, zone="America/Los_Angeles")
    reimport(session_factory, '42A,2026-11-02,10:00,Bedroom,"1,2",yes,Kiss\n', now=now)
    with session_scope(session_factory) as session:
        scene = session.scalars(select(Scene)).one()
        assert scene.start_at == datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
        prompt = session.scalars(
            select(Delivery).where(Delivery.kind == DeliveryKind.PROMPT)
        ).first()
    assert world.production_id
    assert prompt is not None
    assert prompt.due_at == datetime(2026, 10, 31, 18, 0, tzinfo=UTC)
    assert prompt.due_at.astimezone(los_angeles).hour == 11  # PDT: wall clocks differ by 1 h
