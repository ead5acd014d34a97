"""The delivery engine as it runs in production: real `closedset serve` processes (each one a
dispatching instance, in its job worker process, on the system clock) against the Slack
stand-in. Several instances on one PostgreSQL database; an instance killed mid-dispatch and
restarted; a stop mid-dispatch; the scheduler's own timing with lead times of seconds; and (in
process) an instance busy sending for longer than `STALE_AFTER`.

`serve` gets this process's PYTHONPATH, if any, so that it runs the same code as the test."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import make_client
from bot.cast.resolve import RosterEntry
from bot.clock import FixedClock
from bot.delivery.dispatch import Dispatcher
from bot.delivery.plan import Timing
from bot.delivery.scheduler import DeliveryScheduler
from bot.deps import Services
from bot.reminders import Offset
from handlers.blocks.messages import render
from storage import deliveries
from storage.db import make_engine, session_scope, upgrade
from storage.models import Delivery, DeliveryKind, DeliveryStatus, Production, Scene
from storage.roster import apply_roster
from tests.support.processes import database_for, logs_of, serve_env, serving
from tests.support.slack_standin import BOT_TOKEN, Call, SlackStandIn
from tests.support.world import CAST, COORDINATOR, World, add_scene, build

# ------------------------------------------------------------------ databases and worlds


EXTRA = tuple(
    RosterEntry(str(n), f"Role {n}", f"Performer {n}", f"U0PERF{n:04d}") for n in range(4, 20)
)


def crowd(session_factory: sessionmaker[Session], *, now: datetime, scenes: int) -> World:
    """`scenes` intimate scenes in an hour, each with all 19 performers: inside the lead time,
    so every prompt is due at once, and the coordinator gets a short notice for each scene
    (nudge and escalation times have passed: none planned). 20 messages a scene, to 20
    recipients, each (recipient, text) distinct."""
    numbers = tuple(entry.cast_number for entry in CAST + EXTRA)
    start = now + timedelta(hours=1)
    world = build(session_factory, now=now, scenes={"1": (start - now, ("1",))}, plan=False)
    ids = dict(world.scene_ids)
    with session_scope(session_factory) as session:
        production = session.get_one(Production, world.production_id)
        # Only prompts and short notices here: no AD reminders, no automatic closure.
        production.reminder_offsets = ""
        production.closure_after_minutes = 0
        apply_roster(session, production_id=production.id, entries=CAST + EXTRA)
        session.get_one(Scene, ids["1"]).cast = list(production.cast_entries)
        for n in range(2, scenes + 1):
            ids[str(n)] = add_scene(session, production, str(n), start, numbers, now=now).id
        deliveries.sync_production(session, production, now=now)
    return World(world.production_id, ids)


def expected_text(row: Delivery, numbers: dict[int, str]) -> str:
    number = numbers[row.scene_id or 0]
    if row.kind is DeliveryKind.PROMPT:
        return f"Boundary check — scene {number}"
    if row.kind is DeliveryKind.SHORT_NOTICE:
        return f"Short notice — scene {number}"
    raise AssertionError(f"unexpected row {row.kind}")


def all_rows(session_factory: sessionmaker[Session]) -> list[Delivery]:
    with session_scope(session_factory) as session:
        found = list(session.scalars(select(Delivery).order_by(Delivery.id)))
        session.expunge_all()
        return found


def delivered(standin: SlackStandIn) -> list[Call]:
    return [c for c in standin.calls("chat.postMessage") if c.status == 200 and c.ok]


def posted(call: Call) -> tuple[str, str]:
    return str(call.params["channel"]), str(call.params["text"])


# ------------------------------------------------------------------ the tests


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)  # SKIP LOCKED: PostgreSQL
def test_three_instances_on_postgresql_send_a_thousand_due_messages_each_exactly_once(
    engine: Engine, standin: SlackStandIn, tmp_path: Path
) -> None:
    db = database_for(engine)
    with serving(serve_env(standin, db.url, db.key, sweep=0.5), tmp_path, count=3) as serves:
        # All three are up and sweeping before anything is due: then every instance has had
        # its chance to claim, and the rows all appear at once (one transaction).
        world = crowd(db.session_factory, now=datetime.now(UTC), scenes=50)
        started = time.monotonic()
        try:
            standin.wait_for("chat.postMessage", count=1000, timeout=60)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{logs_of(serves)}") from None
        took = time.monotonic() - started
        time.sleep(1.5)  # three more sweeps of each instance: anything sent twice shows up
        logs = logs_of(serves)
    numbers = {scene_id: number for number, scene_id in world.scene_ids.items()}
    rows = all_rows(db.session_factory)
    assert len(rows) == 1000
    assert Counter(r.status for r in rows) == {DeliveryStatus.SENT: 1000}, logs
    expected = {(r.recipient, expected_text(r, numbers)) for r in rows}
    assert len(expected) == 1000
    calls = standin.calls("chat.postMessage")
    assert len(calls) == len(delivered(standin)) == 1000, logs  # no extra posts, none refused
    sent = Counter(posted(c) for c in calls)
    assert set(sent) == expected and set(sent.values()) == {1}
    by_instance = Counter(r.claimed_by for r in rows)
    assert len(by_instance) > 1, f"one instance sent everything: {by_instance}"
    assert "took over" not in logs and "taken over" not in logs, logs
    assert "Traceback" not in logs, logs
    print(f"1000 messages in {took:.1f} s; by instance: {sorted(by_instance.values())}")


IN_FLIGHT_DELAY = 0.05


def _slow_ok() -> Any:
    """A `chat.postMessage` that Slack answers after `IN_FLIGHT_DELAY`, as it normally does."""
    stamps = itertools.count(1)

    def answer(call: Call) -> tuple[int, dict[str, str], dict[str, Any]]:
        time.sleep(IN_FLIGHT_DELAY)
        if "channel" not in call.params:  # cut short by a kill: Slack would refuse it
            return 200, {}, {"ok": False, "error": "invalid_form_data"}
        channel = SlackStandIn.dm_channel_id(str(call.params["channel"]))
        return 200, {}, {"ok": True, "channel": channel, "ts": f"1700000000.{next(stamps):06d}"}

    return answer


def test_an_instance_killed_mid_dispatch_and_restarted_loses_nothing(
    engine: Engine, standin: SlackStandIn, tmp_path: Path
) -> None:
    """300 due messages; Slack answers each post after 50 ms; the instance is killed with
    SIGKILL (its whole process group, so its dispatcher too) once 100 have arrived, and started
    again.

    The window: a post that Slack received (or was receiving) when the instance died, and
    whose row was therefore never recorded SENT, is sent again by the restarted instance, which
    takes over the dead instance's claims at once (same host, its pid gone). So every message
    arrives at least once, and the only duplicates are among those in flight at the kill: at
    most the dispatcher's thread count (16). Nothing else is sent twice, nothing is lost."""
    db = database_for(engine)
    world = crowd(db.session_factory, now=datetime.now(UTC), scenes=15)
    numbers = {scene_id: number for number, scene_id in world.scene_ids.items()}
    expected = {
        (r.recipient, expected_text(r, numbers)): r.id for r in all_rows(db.session_factory)
    }
    assert len(expected) == 300
    standin.respond("chat.postMessage", _slow_ok())
    env = serve_env(standin, db.url, db.key, sweep=0.5)
    with serving(env, tmp_path) as (first,):
        standin.wait_for("chat.postMessage", count=100, timeout=30)
        os.killpg(first.process.pid, signal.SIGKILL)
        at_kill = len(delivered(standin))
        first.kill()
    time.sleep(IN_FLIGHT_DELAY * 4)  # posts in flight at the kill are answered and recorded
    before = Counter(posted(c) for c in delivered(standin))
    statuses = {r.id: r.status for r in all_rows(db.session_factory)}
    unrecorded = {k for k in before if statuses[expected[k]] is not DeliveryStatus.SENT}
    late = sum(before.values()) - at_kill
    cut = len(standin.calls("chat.postMessage")) - sum(before.values())
    assert set(before) <= set(expected)
    assert 100 <= len(before) < 300, "the kill did not come mid-dispatch"
    assert Counter(statuses.values())[DeliveryStatus.CLAIMED] > 0  # claims left behind

    restarted_at = time.monotonic()
    with serving(env, tmp_path) as (second,):
        deadline = time.monotonic() + 30
        while {posted(c) for c in delivered(standin)} != set(expected):
            assert time.monotonic() < deadline, f"not all arrived:\n{second.log()}"
            time.sleep(0.05)
        took = time.monotonic() - restarted_at
        time.sleep(1.5)  # three more sweeps: anything sent again shows up
        log = second.log()
    rows = all_rows(db.session_factory)
    assert Counter(r.status for r in rows) == {DeliveryStatus.SENT: 300}, log
    assert len(standin.calls("chat.postMessage")) - len(delivered(standin)) == cut
    counts = Counter(posted(c) for c in delivered(standin))
    assert set(counts) == set(expected)  # every message arrived
    twice = {k for k, n in counts.items() if n > 1}
    assert all(n <= 2 for n in counts.values())
    assert twice <= unrecorded, "a message recorded SENT was sent again"
    assert len(twice) == len(unrecorded) <= 16
    # Taken over at once, not after STALE_AFTER (30 s) without a heartbeat.
    assert took < deliveries.STALE_AFTER.total_seconds() / 2, f"{took:.1f} s\n{log}"
    assert "took over" in log, log
    assert "Traceback" not in log, log
    print(
        f"{engine.dialect.name}: {len(before)} arrived before the restart ({late} answered "
        f"after the kill, {cut} cut short), {len(unrecorded)} unrecorded, {len(twice)} sent "
        f"twice; all {len(expected)} there {took:.1f} s after the restart"
    )


def test_sigterm_mid_dispatch_stops_serve_promptly_and_leaves_no_claim_behind(
    standin: SlackStandIn, tmp_path: Path
) -> None:
    """A stop (SIGTERM to serve, as a service manager sends it) while a pass is sending: serve
    exits cleanly within seconds, the claims it made are all recorded, and what was posted was
    posted once."""
    engine = make_engine(f"sqlite:///{tmp_path / 'stop.db'}")
    upgrade(engine)
    db = database_for(engine)
    now = datetime.now(UTC)
    world = crowd(db.session_factory, now=now, scenes=15)
    numbers = {scene_id: number for number, scene_id in world.scene_ids.items()}
    with session_scope(db.session_factory) as session:  # and rows waiting for later, as ever
        production = session.get_one(Production, world.production_id)
        add_scene(session, production, "LATER", now + timedelta(days=5), ("1",), now=now)
        deliveries.sync_production(session, production, now=now)
    standin.respond("chat.postMessage", _slow_ok())
    with serving(serve_env(standin, db.url, db.key, sweep=0.5), tmp_path) as (serve,):
        standin.wait_for("chat.postMessage", count=50, timeout=30)
        serve.process.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        try:
            code = serve.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            code = None
        took = time.monotonic() - asked
        serve.kill()
        log = serve.log()
    engine.dispose()
    assert code == 0 and took < 15, f"exit {code} after {took:.1f} s\n{log[-4000:]}"
    rows = all_rows(db.session_factory)
    assert {r.status for r in rows} <= {DeliveryStatus.SENT, DeliveryStatus.PLANNED}, log
    sent = Counter(posted(c) for c in delivered(standin))
    assert set(sent.values()) == {1}
    assert set(sent) == {
        (r.recipient, expected_text(r, numbers)) for r in rows if r.status is DeliveryStatus.SENT
    }
    assert "Traceback" not in log, log
    assert Counter(r.status for r in rows)[DeliveryStatus.PLANNED] >= 3  # the later ones
    print(f"stopped {took:.1f} s after SIGTERM; {len(sent)} of 300 sent")


SECONDS = Timing(
    lead=timedelta(seconds=3), nudge=timedelta(seconds=2), escalation=timedelta(seconds=1)
)
LATE_BY_AT_MOST = 1.5


def test_the_scheduler_sends_prompts_nudges_and_escalations_when_due(
    standin: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lead times of seconds on the real clock: the two prompts 3 s before the scene, the
    nudges 2 s before (nobody answers), the escalation to the coordinator 1 s before; each
    no earlier than due, and at most 1.5 s late.

    A production keeps its lead times in whole minutes, so the rows are planned here by the
    real planner with a `Timing` of seconds. The instance runs with the default sweep (5 s):
    it learns of the rows on a sweep, and the wake-ups armed at each next due row send them."""
    engine = make_engine(f"sqlite:///{tmp_path / 'timing.db'}")
    upgrade(engine)
    db = database_for(engine)
    monkeypatch.setattr(deliveries, "timing_of", lambda production: SECONDS)
    with serving(serve_env(standin, db.url, db.key, sweep=None), tmp_path) as (serve,):
        # 6 s to the prompts: the first sweep after this (5 s at most) sees the rows in time.
        world = build(
            db.session_factory,
            now=datetime.now(UTC),
            scenes={"42A": (timedelta(seconds=9), ("1", "2"))},
        )
        try:
            standin.wait_for("chat.postMessage", count=5, timeout=15)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{serve.log()}") from None
        time.sleep(1)
        log = serve.log()
    engine.dispose()
    rows = [r for r in all_rows(db.session_factory) if r.scene_id == world.scene_ids["42A"]]
    assert sorted((r.kind, r.recipient) for r in rows) == sorted(
        [
            (DeliveryKind.PROMPT, "U0PERF0001"),
            (DeliveryKind.PROMPT, "U0PERF0002"),
            (DeliveryKind.NUDGE, "U0PERF0001"),
            (DeliveryKind.NUDGE, "U0PERF0002"),
            (DeliveryKind.ESCALATION, COORDINATOR),
        ]
    )
    assert all(r.status is DeliveryStatus.SENT for r in rows), log
    calls = delivered(standin)
    assert len(calls) == len(standin.calls("chat.postMessage")) == 5
    by_recipient: dict[str, list[Call]] = {}
    for call in calls:
        by_recipient.setdefault(str(call.params["channel"]), []).append(call)
    lateness: dict[tuple[str, str], float] = {}
    for row in rows:
        mine = by_recipient[row.recipient]
        if row.kind is DeliveryKind.ESCALATION:
            (call,) = mine
            assert call.params["text"] == "Confirmations still missing — scene 42A"
        else:
            prompt, nudge = mine
            call = prompt if row.kind is DeliveryKind.PROMPT else nudge
            assert call.params["text"] == "Boundary check — scene 42A"
            assert ("gentle reminder" in str(call.params["blocks"])) is (
                row.kind is DeliveryKind.NUDGE
            )
        lateness[(row.kind.value, row.recipient)] = call.time - row.due_at.timestamp()
    report = ", ".join(f"{k}→{r}: {s * 1000:.0f} ms" for (k, r), s in sorted(lateness.items()))
    assert all(0 <= s <= LATE_BY_AT_MOST for s in lateness.values()), report
    print(f"lateness: {report}")


def test_an_instance_busy_sending_for_longer_than_stale_after_is_not_taken_for_dead(
    session_factory: sessionmaker[Session], standin: SlackStandIn
) -> None:
    """A long pass (a big batch, or Slack pacing one recipient) holds up the instance's sweep,
    and so the heartbeat the sweep writes. Another instance must not take it for dead after
    `STALE_AFTER` and send again what it is still sending: the scheduler beats on its own.
    (In process, on a fixed clock moved past `STALE_AFTER` while a post hangs.)"""
    clock = FixedClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    build(session_factory, now=clock.now())
    clock.advance(timedelta(days=3))  # both prompts due
    held, lock = threading.Event(), threading.Lock()
    hung: list[Call] = []

    def hang_the_first_two(call: Call) -> tuple[int, dict[str, str], dict[str, Any]]:
        with lock:
            hang = not held.is_set() and len(hung) < 2
            if hang:
                hung.append(call)
        if hang:
            held.wait(10)
        channel = SlackStandIn.dm_channel_id(str(call.params["channel"]))
        return 200, {}, {"ok": True, "channel": channel, "ts": f"{time.time():.6f}"}

    standin.respond("chat.postMessage", hang_the_first_two)
    services = Services(session_factory, clock)

    def dispatcher(instance: str) -> Dispatcher:
        client = make_client(token=BOT_TOKEN, base_url=standin.api_url)
        return Dispatcher(services, client, render=render, instance=instance, threads=4)

    busy = DeliveryScheduler(dispatcher("busy"), sweep_seconds=0.2)
    other = dispatcher("other")
    busy.start()
    try:
        deadline = time.monotonic() + 10
        while len(hung) < 2:  # both prompts are being posted (one thread a recipient)
            assert time.monotonic() < deadline, "the prompts were not sent"
            time.sleep(0.01)
        clock.advance(deliveries.STALE_AFTER + timedelta(seconds=1))
        time.sleep(1)  # several sweep periods: the sweep itself is held up by the pass
        taken = other.sweep()
    finally:
        held.set()
        stopping = threading.Thread(target=busy.shutdown, daemon=True)
        stopping.start()
        stopping.join(15)  # a shutdown during a pass once never returned
        other.close()
    assert not stopping.is_alive(), "the scheduler did not shut down"
    assert taken.sent == 0
    sent = Counter(posted(c) for c in delivered(standin))
    assert sent == {
        ("U0PERF0001", "Boundary check — scene 42A"): 1,
        ("U0PERF0002", "Boundary check — scene 42A"): 1,
    }


def test_ad_reminders_arrive_on_time_and_once_across_a_restart(
    standin: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two AD reminders, 14 s and 6 s before a scene 20 s away, on the real scheduler and
    clock: the first arrives on time; serve is stopped and started again between the two; the
    second arrives on time, and the first is not sent again by the new instance."""
    engine = make_engine(f"sqlite:///{tmp_path / 'reminders.db'}")
    upgrade(engine)
    db = database_for(engine)
    timing = Timing(
        lead=timedelta(hours=48),
        nudge=timedelta(hours=24),
        escalation=timedelta(hours=12),
        reminders=(Offset(before=timedelta(seconds=14)), Offset(before=timedelta(seconds=6))),
    )
    monkeypatch.setattr(deliveries, "timing_of", lambda production: timing)
    env = serve_env(standin, db.url, db.key, sweep=1.0)

    def reminders() -> list[Call]:
        return [c for c in delivered(standin) if str(c.params["text"]).startswith("Coming up")]

    with serving(env, tmp_path) as (serve,):
        world = build(
            db.session_factory,
            now=datetime.now(UTC),
            scenes={"42A": (timedelta(seconds=20), ("1", "2"))},
        )
        deadline = time.monotonic() + 15
        while not reminders() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reminders(), serve.log()
        serve.process.send_signal(signal.SIGTERM)
        serve.process.wait(timeout=20)
    with serving(env, tmp_path) as (again,):
        deadline = time.monotonic() + 20
        while len(reminders()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1)
        log = again.log()
    engine.dispose()
    rows = [
        r
        for r in all_rows(db.session_factory)
        if r.kind is DeliveryKind.AD_REMINDER and r.scene_id == world.scene_ids["42A"]
    ]
    sent = reminders()
    assert len(rows) == 2 and all(r.status is DeliveryStatus.SENT for r in rows), log
    assert len(sent) == 2 and {c.params["channel"] for c in sent} == {"C0ADS00001"}
    lateness = sorted(c.time for c in sent)
    due = sorted(r.due_at.timestamp() for r in rows)
    late = [round(got - want, 3) for got, want in zip(lateness, due, strict=True)]
    assert all(0 <= s <= LATE_BY_AT_MOST for s in late), late
    print(f"AD reminders late by {late} s (one before and one after a restart)")
