"""Retention and purge: the daily job (by the test's clock), `closedset purge` (a real
process), two purges at once, the early purge of a wrapped scene from its status modal, and
the retention setting. After a purge a raw scan of the database (every table's rows, and the
SQLite file and its write-ahead log) finds neither the planted text nor its ciphertext."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.crypto import Cipher, generate_key
from bot.delivery.scheduler import DeliveryScheduler
from bot.ids import CoordinatorAction, SetupView
from bot.meta import pack
from bot.setup import SetupForm, check_setup
from storage import purge
from storage.db import session_scope
from storage.models import (
    AnswerKind,
    AuditEvent,
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
from storage.secrets import seal, unseal
from tests.conftest import NOW, RunningApp
from tests.support.e2e import add_people, button_value, open_and_submit_setup, open_modal
from tests.support.signing import plain
from tests.support.world import AD, COORDINATOR, World, build

KEY = generate_key()
P1, P2 = "U0PERF0001", "U0PERF0002"
NOBODY = "U0NOBODY01"
CLOSEDSET = str(Path(sys.executable).with_name("closedset"))
ONE_SCENE = {
    "answers": 2,
    "notes": 1,
    "checkin_answers": 1,
    "closure_answers": 1,
    "planned_content": 1,
    "synopses": 1,
    "in_person": 1,
}
WHOLE = {**ONE_SCENE, "notes": 2, "imports": 1, "planned_content": 2}
"""A production purge after `plant(..., "42A", wide=True)`: scene 43 has planned content too."""


@pytest.fixture
def cipher() -> Cipher:
    """A key the `closedset` process is given too."""
    return Cipher([KEY])


@dataclass
class Planted:
    markers: list[str] = field(default_factory=list)
    ciphertexts: list[bytes] = field(default_factory=list)


def plant(factory: sessionmaker[Session], world: World, number: str, *, wide: bool) -> Planted:
    """Content of every kind about scene `number`, each a marker string (and, with `wide`,
    what belongs to no scene: a note, and an applied schedule file)."""
    planted = Planted()

    def sealed(session: Session, kind: str) -> bytes:
        marker = f"MARKER-{kind}-{uuid.uuid4().hex}"
        token = seal(session, marker)
        assert token is not None and marker.encode() not in token
        planted.markers.append(marker)
        planted.ciphertexts.append(token)
        return token

    with session_scope(factory) as session:
        scene = session.get(Scene, world.scene_ids[number])
        assert scene is not None
        at, production_id = NOW - timedelta(days=1), world.production_id
        scene.planned_content_ct = sealed(session, "planned")
        scene.synopsis_ct = sealed(session, "synopsis")
        scene.in_person = {"3": 1}
        for kind, content in ((AnswerKind.CONFIRMED, None), (AnswerKind.CHANGES, "answer")):
            kind_ct = seal(session, kind.value)
            assert kind_ct is not None
            planted.ciphertexts.append(kind_ct)  # what they answered is sealed too
            session.add(
                BoundaryAnswer(
                    production_id=production_id,
                    team_id=scene.team_id,
                    scene_id=scene.id,
                    performer_id=P1,
                    revision=1,
                    kind_ct=kind_ct,
                    boundaries_ct=sealed(session, content) if content else None,
                    at=at,
                )
            )
        session.add(
            PrivateNote(
                production_id=production_id,
                team_id=scene.team_id,
                scene_id=scene.id,
                performer_id=P2,
                text_ct=sealed(session, "note"),
                at=at,
            )
        )
        round_ = CheckinRound(
            production_id=production_id,
            team_id=scene.team_id,
            scene_id=scene.id,
            number=1,
            started_by=COORDINATOR,
            started_at=at,
            closes_at=at + timedelta(minutes=5),
            performers=[P1, P2],
            live={},
        )
        session.add(round_)
        session.flush()
        session.add(
            CheckinAnswer(
                round_id=round_.id,
                team_id=round_.team_id,
                performer_id=P1,
                answer_ct=sealed(session, "checkin"),
                at=at,
            )
        )
        session.add(
            ClosureAnswer(
                production_id=production_id,
                team_id=scene.team_id,
                scene_id=scene.id,
                performer_id=P2,
                answer_ct=sealed(session, "closure"),
                at=at,
            )
        )
        if wide:
            session.add(
                PrivateNote(
                    production_id=production_id,
                    team_id=scene.team_id,
                    scene_id=None,
                    performer_id=P1,
                    text_ct=sealed(session, "wide-note"),
                    at=at,
                )
            )
            session.add(
                PendingImport(
                    production_id=production_id,
                    team_id=scene.team_id,
                    kind="schedule",
                    requested_by=COORDINATOR,
                    payload_ct=sealed(session, "import"),
                    base_digest="0" * 64,
                    status=ImportStatus.APPLIED,
                    created_at=at,
                )
            )
    return planted


def raw_scan(engine: Engine, planted: Planted) -> list[str]:
    """Where the planted text or its ciphertext still is: every row of every table the
    database has (read back as it is, through SQLAlchemy Core), and for SQLite the bytes of
    the database file and its "-wal" after a checkpoint."""
    found = []
    needles = [m.encode() for m in planted.markers] + planted.ciphertexts
    tables = MetaData()
    tables.reflect(bind=engine)
    with engine.connect() as connection:
        for table in tables.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    data = (
                        bytes(value)
                        if isinstance(value, bytes | memoryview)
                        else str(value).encode()
                    )
                    found += [f"{table.name}: {n[:30]!r}" for n in needles if n in data]
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        database = Path(str(engine.url.database))
        for path in (database, database.with_name(database.name + "-wal")):
            data = path.read_bytes() if path.exists() else b""
            found += [f"{path.name}: {n[:30]!r}" for n in needles if n in data]
    return found


def content_counts(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as session:

        def rows(model: Any) -> int:
            return session.scalar(select(func.count()).select_from(model)) or 0

        planned = session.scalar(
            select(func.count()).select_from(Scene).where(Scene.planned_content_ct.is_not(None))
        )
        return {
            "answers": rows(BoundaryAnswer),
            "notes": rows(PrivateNote),
            "checkin_answers": rows(CheckinAnswer),
            "closure_answers": rows(ClosureAnswer),
            "planned_content": planned or 0,
            "imports": rows(PendingImport),
        }


def purge_events(factory: sessionmaker[Session]) -> list[AuditEvent]:
    with factory() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == purge.ACTION)))


def past_production(factory: sessionmaker[Session]) -> World:
    """Night Shift: scene 42A shot yesterday, scene 43 the day before; nothing planned."""
    return build(
        factory,
        now=NOW,
        scenes={"42A": (-timedelta(days=1), ("1", "2")), "43": (-timedelta(days=2), ("1",))},
        plan=False,
    )


# ------------------------------------------------------------------ the daily job


def test_the_daily_job_purges_a_production_once_its_retention_has_passed(
    http_app: RunningApp,
) -> None:
    app = http_app
    world = past_production(app.session_factory)
    planted = plant(app.session_factory, world, "42A", wide=True)
    scheduler = DeliveryScheduler(app.dispatcher)  # not started: the test's clock drives it
    before = content_counts(app.session_factory)
    # Shot on 28 February; kept 30 days: through 30 March (London), purged from 31 March.
    assert scheduler.purge() == []
    assert scheduler.purge() is None  # once a day: today's run is done
    app.clock.advance(timedelta(days=29))
    assert scheduler.purge() == []
    assert content_counts(app.session_factory) == before
    app.clock.advance(timedelta(days=1))
    [done] = scheduler.purge() or []
    assert done.production == "Night Shift"
    assert done.totals == WHOLE
    assert set(done.scenes) == {"42A", "43", purge.PRODUCTION_WIDE}
    assert content_counts(app.session_factory) == dict.fromkeys(before, 0)
    assert scheduler.purge() is None
    [event] = purge_events(app.session_factory)
    assert event.actor == purge.JOB and event.production_id == world.production_id
    assert event.detail == {**done.totals, "scenes": 2}
    assert not raw_scan(app.engine, planted)
    with app.session_factory() as session:
        # What remains is scene-level.
        scenes = session.scalars(select(Scene).order_by(Scene.number)).all()
        assert [s.number for s in scenes] == ["42A", "43"]
        assert all(s.synopsis_ct is None and s.in_person == {} for s in scenes)
        assert session.scalar(select(func.count()).select_from(CheckinRound)) == 1
        assert session.scalar(select(func.count()).select_from(PurgeRun)) == 3


def test_retention_counts_from_the_last_shoot_day_in_the_productions_setting(
    session_factory: sessionmaker[Session],
) -> None:
    world = past_production(session_factory)
    with session_scope(session_factory) as session:
        production = session.get(Production, world.production_id)
        assert production is not None
        assert purge.kept_until(session, production).isoformat() == "2026-03-30"
        production.retention_days = 1
        assert purge.kept_until(session, production).isoformat() == "2026-03-01"
        assert not purge.is_due(session, production, now=NOW)
        # London's next day begins at midnight local time (UTC+0 in March, before the 29th).
        assert not purge.is_due(
            session, production, now=datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC)
        )
        assert purge.is_due(session, production, now=datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
        for scene in production.scenes:
            session.delete(scene)
        session.flush()
        # Without scenes: from its creation.
        assert purge.kept_until(session, production).isoformat() == "2026-03-02"


# ------------------------------------------------------------------ the command line


def run_cli(engine: Engine, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "CLOSEDSET_ENCRYPTION_KEY": KEY,
    }
    return subprocess.run(
        [CLOSEDSET, "--env-file", "/nonexistent", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_closedset_purge_dry_run_then_for_real(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    world = past_production(session_factory)
    planted = plant(session_factory, world, "42A", wide=True)
    planted_43 = plant(session_factory, world, "43", wide=False)
    before = content_counts(session_factory)
    dry = run_cli(engine, "purge", "--production", "Night Shift", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "content kept until 2026-03-30" in dry.stdout
    assert "Would delete:" in dry.stdout and "dry run: nothing was changed" in dry.stdout
    assert (
        "scene 42A: 2 answers, 1 notes, 1 checkin answers, 1 closure answers, "
        "1 planned content, 1 synopses, 1 in person"
    ) in dry.stdout
    assert "production-wide: 1 notes, 1 imports" in dry.stdout
    assert content_counts(session_factory) == before
    assert not purge_events(session_factory)
    found = raw_scan(engine, planted) + raw_scan(engine, planted_43)
    assert len(found) >= len(planted.ciphertexts + planted_43.ciphertexts)
    if engine.dialect.name == "sqlite":  # the file scan sees them too, before the purge
        assert any(f.startswith("closedset.db:") for f in found)

    done = run_cli(engine, "purge", "--production", "Night Shift")
    assert done.returncode == 0, done.stderr
    assert "Deleted:" in done.stdout and "scene 43: 2 answers" in done.stdout
    assert "total: 4 answers, 3 notes, 2 checkin answers" in done.stdout
    assert content_counts(session_factory) == dict.fromkeys(before, 0)
    [event] = purge_events(session_factory)
    assert event.actor == "cli" and event.detail["answers"] == 4 and event.detail["scenes"] == 2
    assert not raw_scan(engine, planted) and not raw_scan(engine, planted_43)
    for marker in planted.markers:
        assert marker not in dry.stdout + done.stdout

    again = run_cli(engine, "purge", "--production", "Night Shift")
    assert again.returncode == 0 and "Nothing to purge." in again.stdout
    assert len(purge_events(session_factory)) == 1


def test_closedset_purge_of_an_unknown_production_is_exit_2(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    past_production(session_factory)
    result = run_cli(engine, "purge", "--production", "Day Shift")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "closedset: no production called 'Day Shift'; a coordinator creates it with "
        "/closedset setup in Slack."
    )
    assert not purge_events(session_factory)


# ------------------------------------------------------------------ two at once


def twice_at_once(run: Any) -> list[Any]:
    """`run(session)` in two threads started together, each in its own transaction."""
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = run(i)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_two_daily_purges_at_once_purge_once(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    world = past_production(session_factory)
    planted = plant(session_factory, world, "42A", wide=True)
    later = NOW + timedelta(days=31)

    def daily(i: int) -> list[purge.Purged] | None:
        with session_scope(session_factory) as session:
            return purge.purge_daily(session, now=later, instance=f"instance-{i}")

    results = twice_at_once(daily)
    ran = [r for r in results if r is not None]
    assert len(ran) == 1, results  # the other found the day claimed, or the lock taken
    [done] = ran[0]
    assert done.totals == WHOLE
    assert len(purge_events(session_factory)) == 1
    assert not raw_scan(engine, planted)


def test_two_purges_of_one_production_at_once_count_everything_once(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    world = past_production(session_factory)
    planted = plant(session_factory, world, "42A", wide=True)

    def production_purge(i: int) -> dict[str, int]:
        with session_scope(session_factory) as session:
            production = session.get(Production, world.production_id)
            assert production is not None
            return purge.purge_production(session, production, now=NOW, actor="cli").totals

    first, second = twice_at_once(production_purge)
    total = {k: first.get(k, 0) + second.get(k, 0) for k in {*first, *second}}
    assert total == WHOLE
    assert {} in (first, second)  # one of them found nothing left
    [event] = purge_events(session_factory)
    assert event.detail == {**total, "scenes": 2}
    assert not raw_scan(engine, planted)


# ------------------------------------------------------------------ early, from the modal


@pytest.fixture
def wrapped(app: RunningApp) -> tuple[RunningApp, World, Planted, Planted]:
    """Scene 42A started five hours ago (wrapped: closure after 4 h), 43 is in two days."""
    world = build(
        app.session_factory,
        now=NOW,
        scenes={"42A": (-timedelta(hours=5), ("1", "2")), "43": (timedelta(days=2), ("1",))},
        plan=False,
    )
    return (
        app,
        world,
        plant(app.session_factory, world, "42A", wide=True),
        plant(app.session_factory, world, "43", wide=False),
    )


def status_of(app: RunningApp, number: str) -> dict[str, Any]:
    return open_modal(app, f"status {number}", COORDINATOR)


def click_purge(
    app: RunningApp, user_id: str, value: str, *, team_id: str | None = None
) -> dict[str, Any]:
    before = len(app.standin.calls("views.update"))
    extra = {"team_id": team_id} if team_id else {}
    response = app.slack.block_action(
        user_id=user_id,
        action_id=CoordinatorAction.PURGE,
        value=value,
        view={"id": "V0STATUS", "type": "modal", "blocks": []},
        **extra,
    )
    assert response.status == 200
    view: dict[str, Any] = app.standin.wait_for("views.update", count=before + 1)[-1].json("view")
    return view


def test_a_coordinator_purges_a_wrapped_scene_from_its_status_modal(
    wrapped: tuple[RunningApp, World, Planted, Planted],
) -> None:
    app, world, planted, planted_43 = wrapped
    status = status_of(app, "42A")
    value = button_value({"blocks": status["blocks"]}, CoordinatorAction.PURGE)
    [button] = [
        e
        for b in status["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == CoordinatorAction.PURGE
    ]
    assert button["confirm"]["confirm"]["text"] == "Purge now"  # a confirm dialog first
    updated = click_purge(app, COORDINATOR, value)
    shown = json.dumps(updated)
    assert "Purged:* 9 item(s)" in shown and updated["title"]["text"] == "Scene status"
    [event] = purge_events(app.session_factory)
    assert (event.actor, event.subject) == (COORDINATOR, "scene:42A")
    assert event.detail == {**ONE_SCENE, "imports": 1, "scenes": 1}
    with app.session_factory() as session:
        # Scene 43 and the note about no scene are untouched; the applied file is gone.
        scene_43 = session.get(Scene, world.scene_ids["43"])
        assert scene_43 is not None
        assert unseal(session, scene_43.planned_content_ct) == planted_43.markers[0]
        notes = session.scalars(select(PrivateNote.scene_id)).all()
        assert sorted(notes, key=str) == sorted([world.scene_ids["43"], None], key=str)
        assert session.scalar(select(func.count()).select_from(PendingImport)) == 0
    kept = [i for i, m in enumerate(planted.markers) if "wide-note" in m]
    gone = [i for i in range(len(planted.markers)) if i not in kept]
    assert not raw_scan(
        app.engine,
        Planted([planted.markers[i] for i in gone], [planted.ciphertexts[i] for i in gone]),
    )
    assert len(raw_scan(app.engine, planted_43)) >= len(planted_43.ciphertexts)
    again = click_purge(app, COORDINATOR, value)
    assert "Nothing left to purge" in json.dumps(again)
    assert len(purge_events(app.session_factory)) == 1


def test_an_unwrapped_scene_has_no_purge_button_and_refuses_one(
    wrapped: tuple[RunningApp, World, Planted, Planted],
) -> None:
    app, world, _, _ = wrapped
    status = status_of(app, "43")
    assert CoordinatorAction.PURGE not in json.dumps(status)
    refused = click_purge(app, COORDINATOR, pack("status", s=world.scene_ids["43"]))
    assert "has not wrapped yet" in json.dumps(refused)
    assert not purge_events(app.session_factory)


@pytest.mark.parametrize(
    ("user_id", "team_id", "told"),
    [
        pytest.param(AD, None, "Only a coordinator of Night Shift", id="ad"),
        pytest.param(NOBODY, None, "Only a coordinator of this production", id="outsider"),
        pytest.param(COORDINATOR, "T0ELSEWHERE", "no longer on the schedule", id="other-team"),
    ],
)
def test_the_purge_button_refuses_anyone_but_the_scenes_coordinator(
    wrapped: tuple[RunningApp, World, Planted, Planted],
    user_id: str,
    team_id: str | None,
    told: str,
) -> None:
    app, world, planted, _ = wrapped
    before = content_counts(app.session_factory)
    refused = click_purge(app, user_id, pack("status", s=world.scene_ids["42A"]), team_id=team_id)
    assert told in json.dumps(refused) and refused["title"]["text"] == "Not purged"
    assert content_counts(app.session_factory) == before
    assert not purge_events(app.session_factory)
    assert len(raw_scan(app.engine, planted)) >= len(planted.ciphertexts)


# ------------------------------------------------------------------ the setting


@pytest.mark.parametrize(
    ("typed", "days"),
    [
        pytest.param("", 30, id="empty-default"),
        pytest.param("1", 1, id="min"),
        pytest.param("3650", 3650, id="max"),
        pytest.param("90d", 90, id="with-d"),
        pytest.param(" 45 days ", 45, id="with-days"),
        pytest.param("0", None, id="zero"),
        pytest.param("3651", None, id="over-ten-years"),
        pytest.param("-5", None, id="negative"),
        pytest.param("2w", None, id="not-days"),
        pytest.param("1.5", None, id="fraction"),
    ],
)
def test_retention_days_are_checked(typed: str, days: int | None) -> None:
    setup, errors = check_setup(
        SetupForm(name="Night Shift", zone="Europe/London", coordinators=("U1",), retention=typed)
    )
    if days is None:
        assert setup is None and "from 1 to 3650" in errors[SetupView.RETENTION]
    else:
        assert setup is not None and setup.retention_days == days and not errors


def test_retention_is_shown_and_edited_in_the_setup_modal(app: RunningApp) -> None:
    add_people(app.standin)
    assert open_and_submit_setup(app).json()["response_action"] == "update"
    opened = open_modal(app, "setup", COORDINATOR)
    [field_] = [b for b in opened["blocks"] if b.get("block_id") == SetupView.RETENTION]
    assert field_["element"]["initial_value"] == "30"
    refused = open_and_submit_setup(app, **{SetupView.RETENTION: plain("0")}).json()
    assert refused["response_action"] == "errors" and SetupView.RETENTION in refused["errors"]
    saved = open_and_submit_setup(app, **{SetupView.RETENTION: plain("90")}).json()
    assert saved["response_action"] == "update"
    with app.session_factory() as session:
        production = session.scalar(select(Production))
        assert production is not None and production.retention_days == 90
    opened = open_modal(app, "setup", COORDINATOR)
    [field_] = [b for b in opened["blocks"] if b.get("block_id") == SetupView.RETENTION]
    assert field_["element"]["initial_value"] == "90"
