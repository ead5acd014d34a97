"""The delivery engine with 100,000 planned messages: start-up to ready, dispatch lag of a
steady stream falling due while the rest wait, and the memory of `closedset serve`. SQLite
and PostgreSQL.

    .venv/bin/python -m bench.delivery_scale                          # both databases, 2 runs
    .venv/bin/python -m bench.delivery_scale --db sqlite --runs 1 --stream-seconds 30

A run:
  1. a fresh database (SQLite file, or a PostgreSQL database created for the run and dropped
     after it), migrated by the app's migrations;
  2. seeded in bulk (`--productions` productions, each with 2 coordinators, an AD, an admin
     and a roster of `--cast` performers written through the app's storage code; scenes, their
     cast and the delivery rows by multi-row INSERTs): intimate scenes of 4 performers
     starting 3 to 90 days ahead, planned by the app's own planner
     (`bot.delivery.plan.plan_scene`: a PROMPT and a NUDGE per performer, an ESCALATION per
     coordinator = 10 rows a scene), sealed planned content, so every row renders;
     PostgreSQL is then ANALYZEd (as autovacuum would have done on a live database);
  3. then the stream: two-performer scenes whose PROMPTs fall due one scene every
     2 / `--stream-rate` s from S = now + `--lead-in` s for `--stream-seconds` s (the rows
     are counted in the total, which is exactly `--rows`);
  4. `closedset serve` started: (a) start-up = process start to the first `GET /healthz` 200;
  5. until every stream prompt has arrived (or S + duration + 30 s): (c) the resident memory
     of serve and every process below it (the job worker, multiprocessing's helper), sampled
     every 0.25 s from start;
  6. (b) lag of each stream prompt = the stand-in's arrival time of its post (matched by the
     `ts` the stand-in returned and the row stored) - the row's `due_at`.

The stand-in enforces Slack's published rate limits (`--no-limits` to turn them off); the
stream stays under them (3 a second to distinct people vs 5 a second workspace-wide).
Checked (exit 1 otherwise): each stream prompt was posted exactly once, nothing else was
posted, every stream row is SENT and every other row still PLANNED.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from bench.delivery_common import (
    DEFAULT_PG,
    BenchDatabase,
    SlowStandIn,
    bench_database,
    cmdline,
    environment_line,
    free_port,
    log_levels,
    machine_busy,
    percentile,
    serve_env,
    spread,
    start_serve,
    tree_cpu_seconds,
    tree_rss_kib,
    wait_ready,
)
from tests.support.slack_standin import TEAM_ID, RateLimits

TARGET_READY_S = 5.0
TARGET_P99_S = 1.0
TARGET_RSS_MIB = 300.0
LEAD = timedelta(hours=48)
NUDGE = timedelta(hours=24)
ESCALATION = timedelta(hours=12)
SCENE_PERFORMERS = 4
STREAM_PERFORMERS = 2
COORDINATORS = 2
ROWS_PER_SCENE = 2 * SCENE_PERFORMERS + COORDINATORS
ROWS_PER_STREAM_SCENE = 2 * STREAM_PERFORMERS + COORDINATORS
EXPECTED_METHODS = ("chat.postMessage", "auth.test")
SETS = ("INT. BEDROOM", "INT. HOTEL ROOM", "EXT. BEACH", "INT. BATHROOM", "INT. CAR")
CONTENT = (
    "Kiss and embrace; robe between takes",
    "Simulated sex, partial nudity (back), closed set",
    "Shower scene, modesty garments, two crew only",
)


@dataclass
class Run:
    db: str
    n: int
    rows: int = 0
    seed_s: float = float("nan")
    ready_s: float = float("nan")
    ready_before_stream_s: float = float("nan")
    lags: list[float] = field(default_factory=list)
    due_offsets: list[float] = field(default_factory=list)
    rss_peak_mib: float = float("nan")
    rss_end: dict[str, float] = field(default_factory=dict)
    cpu_s: float = float("nan")
    busy: float = float("nan")
    refused: int = 0
    queries_ms: dict[str, float] = field(default_factory=dict)
    warnings: int = 0
    failures: list[str] = field(default_factory=list)
    tmp: str = ""  # logs and the SQLite file; removed after a run that passed


# ---------------------------------------------------------------- seeding


def seed_productions(factory: Any, productions: int, cast: int, now: datetime) -> list[Any]:
    """Productions with people, through the app's own storage code. Returns
    (production id, coordinators, {cast number: (cast entry id, slack id)}) per production."""
    from bot.cast.resolve import RosterEntry
    from bot.setup import ProductionSetup
    from storage.db import session_scope
    from storage.models import CastEntry
    from storage.productions import save_setup
    from storage.roster import apply_roster

    out = []
    with session_scope(factory) as session:
        for p in range(productions):
            coordinators = tuple(f"UCO{p:04d}{c}" for c in "AB"[:COORDINATORS])
            production = save_setup(
                session,
                team_id=TEAM_ID,
                production=None,
                setup=ProductionSetup(
                    name=f"Production {p + 1}",
                    zone=("Europe/London", "America/New_York", "Europe/Berlin")[p % 3],
                    coordinators=coordinators,
                    ads=(f"UAD{p:04d}A",),
                    admins=(f"UAM{p:04d}A",),
                    ad_channel=f"CAD{p:04d}A",
                    lead=LEAD,
                    nudge=NUDGE,
                    escalation=ESCALATION,
                    default_call=dtime(7, 0),
                    intimacy_category=None,
                ),
                now=now,
            )
            apply_roster(
                session,
                production_id=production.id,
                entries=[
                    RosterEntry(
                        str(n + 1),
                        f"Role {n + 1}",
                        f"Performer {p + 1}-{n + 1}",
                        f"UP{p:04d}{n:03d}",
                        f"perf{p}_{n}",
                        f"perf{p}_{n}@example.com",
                    )
                    for n in range(cast)
                ],
            )
            entries = {
                e.cast_number: (e.id, e.slack_user_id)
                for e in session.scalars(
                    select(CastEntry).where(CastEntry.production_id == production.id)
                )
            }
            out.append((production.id, coordinators, entries))
    return out


def insert_scenes(
    factory: Any,
    people: list[Any],
    scenes: list[tuple[int, str, datetime, tuple[str, ...]]],
    now: datetime,
) -> int:
    """Insert `scenes` ((production index, number, start, cast numbers)) with their cast and
    their planned deliveries, in bulk. Returns how many delivery rows were written."""
    from bot.delivery.plan import SceneFacts, Timing, plan_scene
    from storage.db import session_scope
    from storage.models import Delivery, DeliveryStatus, Production, Scene, SceneCast
    from storage.secrets import seal

    timing = Timing(lead=LEAD, nudge=NUDGE, escalation=ESCALATION)
    rows = 0
    chunk = 2000
    with session_scope(factory) as session:
        teams = {p: t for p, t in session.execute(select(Production.id, Production.team_id))}
        for first in range(0, len(scenes), chunk):
            part = scenes[first : first + chunk]
            values = [
                {
                    "production_id": people[p][0],
                    "team_id": teams[people[p][0]],
                    "number": number,
                    "shoot_date": start.date(),
                    "start_at": start,
                    "start_estimated": False,
                    "set_name": SETS[i % len(SETS)],
                    "synopsis_ct": None,
                    "intimacy": True,
                    "intimacy_by_coordinator": False,
                    "planned_content_ct": seal(session, CONTENT[i % len(CONTENT)]),
                    "planned_content_by_coordinator": False,
                    "closed_set": None,
                    "revision": 1,
                    "removed": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for i, (p, number, start, _) in enumerate(part)
            ]
            ids = session.scalars(
                insert(Scene).returning(Scene.id, sort_by_parameter_order=True), values
            ).all()
            links, planned = [], []
            for scene_id, (p, _, start, cast) in zip(ids, part, strict=True):
                production_id, coordinators, entries = people[p]
                team_id = teams[production_id]
                links += [
                    {"scene_id": scene_id, "cast_entry_id": entries[c][0], "team_id": team_id}
                    for c in cast
                ]
                facts = SceneFacts(
                    scene_id=scene_id,
                    revision=1,
                    start_at=start,
                    intimate=True,
                    removed=False,
                    performers=tuple(entries[c][1] for c in cast),
                    coordinators=coordinators,
                )
                for new in plan_scene(facts, timing, [], now).add:
                    planned.append(
                        {
                            "key": new.key,
                            "production_id": production_id,
                            "team_id": team_id,
                            "scene_id": scene_id,
                            "revision": new.revision,
                            "kind": new.kind,
                            "recipient": new.recipient,
                            "due_at": new.due_at,
                            "expires_at": new.expires_at,
                            "status": DeliveryStatus.PLANNED,
                            "attempts": 0,
                            "detail": new.detail,
                            "created_at": now,
                        }
                    )
            session.execute(insert(SceneCast), links)
            for start_at in range(0, len(planned), 5000):
                session.execute(insert(Delivery), planned[start_at : start_at + 5000])
            rows += len(planned)
    return rows


def seed_background(
    db: BenchDatabase, key: str, args: argparse.Namespace, now: datetime, stream_rows: int
) -> tuple[list[Any], int]:
    from bot.crypto import Cipher
    from storage.db import make_session_factory

    factory = make_session_factory(db.engine, Cipher([key]))
    people = seed_productions(factory, args.productions, args.cast, now)
    count = (args.rows - stream_rows) // ROWS_PER_SCENE
    rng = random.Random(42)
    scenes = []
    for i in range(count):
        p = i % args.productions
        start = now + timedelta(days=3) + timedelta(minutes=rng.randrange(87 * 24 * 60))
        cast = tuple(str(n + 1) for n in sorted(rng.sample(range(args.cast), SCENE_PERFORMERS)))
        scenes.append((p, str(i // args.productions + 1), start, cast))
    rows = insert_scenes(factory, people, scenes, now)
    if db.kind == "postgresql":
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return people, rows


def seed_stream(
    db: BenchDatabase, key: str, people: list[Any], start: datetime, args: argparse.Namespace
) -> tuple[int, int]:
    """Two-performer scenes whose prompts fall due evenly over the stream window.
    Returns (stream prompts, rows written)."""
    from bot.crypto import Cipher
    from storage.db import make_session_factory

    factory = make_session_factory(db.engine, Cipher([key]))
    count = stream_scenes(args)
    every = args.stream_seconds / count
    scenes = []
    for i in range(count):
        p = i % len(people)
        due = start + timedelta(seconds=i * every)
        cast = tuple(
            str((STREAM_PERFORMERS * (i // len(people)) + k) % args.cast + 1) for k in (0, 1)
        )
        scenes.append((p, f"S{i + 1}", due + LEAD, cast))
    now = datetime.now(UTC)
    rows = insert_scenes(factory, people, scenes, now)
    return count * STREAM_PERFORMERS, rows


def stream_scenes(args: argparse.Namespace) -> int:
    scenes: float = args.stream_rate * args.stream_seconds / STREAM_PERFORMERS
    return max(1, round(scenes))


# ---------------------------------------------------------------- one run


class Sampler(threading.Thread):
    """RSS of serve and its descendants every `every` s, until stopped."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak_kib = 0
        self.last: dict[int, int] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            sample = tree_rss_kib(self.pid)
            if any(sample.values()):
                self.last = sample
                self.peak_kib = max(self.peak_kib, sum(sample.values()))
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def time_queries(db: BenchDatabase, key: str) -> dict[str, float]:
    """What the dispatcher's periodic queries cost on this table (ms, best of 5)."""
    from bot.crypto import Cipher
    from storage import deliveries
    from storage.db import make_session_factory, session_scope
    from storage.models import Delivery

    factory = make_session_factory(db.engine, Cipher([key]))
    out = {}
    now = datetime.now(UTC)
    probes: dict[str, Callable[[Session], object]] = {
        "next_due": lambda s: deliveries.next_due(s),
        "claim select (none due)": lambda s: s.scalars(
            select(Delivery.id)
            .where(deliveries._due(now))
            .order_by(Delivery.due_at, Delivery.id)
            .limit(200)
        ).all(),
    }
    for name, probe in probes.items():
        best = float("inf")
        for _ in range(5):
            with session_scope(factory) as session:
                t0 = time.perf_counter()
                probe(session)
                best = min(best, time.perf_counter() - t0)
        out[name] = best * 1000
    return out


def run_once(args: argparse.Namespace, kind: str, n: int) -> Run:
    from bot.crypto import Cipher, generate_key
    from storage.db import make_session_factory, session_scope
    from storage.models import Delivery, DeliveryStatus

    key = generate_key()
    tmp = Path(tempfile.mkdtemp(prefix="closedset-scale-"))
    limits = None if args.no_limits else RateLimits()
    run = Run(kind, n, tmp=str(tmp))
    standin = SlowStandIn(args.slack_latency_ms / 1000, rate_limits=limits)
    with standin, bench_database(kind, tmp, args.pg_url) as db:
        t0 = time.monotonic()
        now = datetime.now(UTC).replace(microsecond=0)
        stream_rows = stream_scenes(args) * ROWS_PER_STREAM_SCENE
        people, rows = seed_background(db, key, args, now, stream_rows)
        stream_start = datetime.now(UTC) + timedelta(seconds=args.lead_in)
        expected, more = seed_stream(db, key, people, stream_start, args)
        run.rows = rows + more
        run.seed_s = time.monotonic() - t0
        print(f"[{kind} run {n}] seeded {run.rows} rows in {run.seed_s:.1f} s", flush=True)
        extra = {}
        if args.sweep_seconds:
            extra["CLOSEDSET_DELIVERY_SWEEP_SECONDS"] = str(args.sweep_seconds)
        serve = start_serve(serve_env(standin, db.url, free_port(), key, **extra), tmp)
        sampler = Sampler(serve.proc.pid)
        sampler.start()
        try:
            run.ready_s = wait_ready(serve)
            run.ready_before_stream_s = stream_start.timestamp() - time.time()
            if run.ready_before_stream_s < 0:
                run.failures.append("serve was ready after the stream began")
            while time.time() < stream_start.timestamp():
                time.sleep(0.01)
            cpu0, busy0 = tree_cpu_seconds(serve.proc.pid), machine_busy()
            deadline = stream_start.timestamp() + args.stream_seconds + 30
            while time.time() < deadline:
                if sum(1 for c in standin.calls("chat.postMessage") if c.ok) >= expected:
                    break
                time.sleep(0.1)
            cpu1, busy1 = tree_cpu_seconds(serve.proc.pid), machine_busy()
            run.cpu_s = cpu1 - cpu0
            run.busy = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
            time.sleep(2)
            sampler.stop()
            run.rss_peak_mib = sampler.peak_kib / 1024
            run.rss_end = {
                _role(pid, serve.proc.pid): kib / 1024 for pid, kib in sampler.last.items()
            }
        finally:
            sampler.stop()
            serve.proc.stop()
        run.warnings = log_levels(serve).get("WARNING", 0)
        errors = log_levels(serve).get("ERROR", 0)
        if errors:
            run.failures.append(f"{errors} ERROR line(s) in {serve.proc.log_path}")
        calls = standin.calls("chat.postMessage")
        run.refused = sum(1 for c in calls if c.status == 429)
        arrivals = {str(c.response.get("ts")): c for c in calls if c.ok and c.response}
        factory = make_session_factory(db.engine, Cipher([key]))
        with session_scope(factory) as session:
            due_rows = session.execute(
                select(Delivery.status, Delivery.ts, Delivery.due_at, Delivery.recipient).where(
                    Delivery.due_at <= datetime.now(UTC)
                )
            ).all()
            statuses = Counter(
                session.scalars(select(Delivery.status).where(Delivery.due_at > datetime.now(UTC)))
            )
        if len(due_rows) != expected:
            run.failures.append(f"{len(due_rows)} rows fell due, expected {expected}")
        for status, ts, due_at, recipient in due_rows:
            call = arrivals.get(str(ts))
            if status is not DeliveryStatus.SENT or call is None:
                run.failures.append(f"row for {recipient} due {due_at:%H:%M:%S}: {status}")
                continue
            if call.params.get("channel") != recipient:
                run.failures.append(f"ts {ts} went to {call.params.get('channel')}")
            run.lags.append(call.time - due_at.timestamp())
            run.due_offsets.append(due_at.timestamp() - stream_start.timestamp())
        posted = Counter(str(c.params.get("channel")) for c in calls if c.ok)
        if len(arrivals) != expected or any(k > 1 for k in posted.values()):
            run.failures.append(f"{len(arrivals)} posts accepted for {expected} due rows")
        if set(statuses) - {DeliveryStatus.PLANNED}:
            run.failures.append(f"rows not yet due: {dict(statuses)}")
        other = [c.method for c in standin.calls() if c.method not in EXPECTED_METHODS]
        if other:
            run.failures.append(f"unexpected calls: {Counter(other)}")
        run.queries_ms = time_queries(db, key)
    return run


def _role(pid: int, serve_pid: int) -> str:
    if pid == serve_pid:
        return "serve (web)"
    line = cmdline(pid)
    if "resource_tracker" in line:
        return "resource tracker"
    if "multiprocessing" in line or "spawn_main" in line:
        return "job worker"
    return line[:40]


# ---------------------------------------------------------------- output


def report(args: argparse.Namespace, runs: list[Run]) -> str:
    out = [
        "## Delivery engine at 100k planned rows (`bench.delivery_scale`)",
        "",
        f"- {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {environment_line()}",
        f"- {runs[0].rows if runs else 0} planned rows over {args.productions} productions "
        f"({args.cast} performers, 2 coordinators each); stream: "
        f"{stream_scenes(args) * STREAM_PERFORMERS} prompts due at {args.stream_rate:g}/s for "
        f"{args.stream_seconds:g} s; stand-in answers posts after "
        f"{args.slack_latency_ms:g} ms; limits "
        f"{'off' if args.no_limits else 'on (Slack published)'}; sweep "
        f"{args.sweep_seconds or 5:g} s",
        "",
        "| db | run | seed s | (a) ready s | (b) lag p50 ms | p99 ms | max ms | n | "
        "(c) RSS peak MiB | RSS at end MiB | serve CPU during stream | machine busy | "
        "next_due ms | claim select ms | checks |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lags = r.lags or [float("nan")]
        end = ", ".join(f"{k} {v:.0f}" for k, v in sorted(r.rss_end.items()))
        out.append(
            f"| {r.db} | {r.n} | {r.seed_s:.1f} | {r.ready_s:.2f} | "
            f"{percentile(lags, 50) * 1000:.0f} | {percentile(lags, 99) * 1000:.0f} | "
            f"{max(lags) * 1000:.0f} | {len(r.lags)} | {r.rss_peak_mib:.0f} | {end} | "
            f"{r.cpu_s:.1f} s ({r.cpu_s / args.stream_seconds:.0%}) | {r.busy:.0%} | "
            f"{r.queries_ms.get('next_due', float('nan')):.1f} | "
            f"{r.queries_ms.get('claim select (none due)', float('nan')):.1f} | "
            f"{'ok' if not r.failures else 'FAILED'} |"
        )
    out += [
        "",
        "Targets: ready < 5 s, p99 lag < 1 s, RSS < 300 MiB (median (min–max) over runs):",
        "",
    ]
    for db in dict.fromkeys(r.db for r in runs):
        mine = [r for r in runs if r.db == db]
        ready = [r.ready_s for r in mine]
        p50 = [percentile(r.lags, 50) * 1000 for r in mine if r.lags]
        p99 = [percentile(r.lags, 99) * 1000 for r in mine if r.lags]
        rss = [r.rss_peak_mib for r in mine]
        out.append(
            f"- {db}: ready {spread(ready)} s ({_met(max(ready) < TARGET_READY_S)}); "
            f"lag p50 {spread(p50, '{:.0f}')} ms, p99 {spread(p99, '{:.0f}')} ms "
            f"({_met(bool(p99) and max(p99) < TARGET_P99_S * 1000)}); RSS peak "
            f"{spread(rss, '{:.0f}')} MiB ({_met(max(rss) < TARGET_RSS_MIB)})"
        )
    for r in runs:
        late = sorted(
            ((lag, due) for lag, due in zip(r.lags, r.due_offsets, strict=True)), reverse=True
        )
        over = [x for x in late if x[0] > TARGET_P99_S]
        worst = ", ".join(f"{lag * 1000:.0f} ms (due at S+{due:.1f} s)" for lag, due in late[:3])
        out.append(f"  - {r.db} run {r.n}: {len(over)} post(s) later than 1 s; worst: {worst}")
        for failure in r.failures[:10]:
            out.append(f"  - {r.db} run {r.n} FAILED: {failure}")
    return "\n".join(out)


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--productions", type=int, default=200)
    parser.add_argument("--cast", type=int, default=25, help="performers per production")
    parser.add_argument("--stream-rate", type=float, default=3.0, help="prompts due a second")
    parser.add_argument("--stream-seconds", type=float, default=60.0)
    parser.add_argument("--lead-in", type=float, default=20.0, help="seeding end to the stream")
    parser.add_argument("--sweep-seconds", type=float, default=0.0, help="0: the app default")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="where to create the database")
    parser.add_argument("--no-limits", action="store_true", help="the stand-in refuses nothing")
    parser.add_argument(
        "--slack-latency-ms", type=float, default=0.0, help="chat.postMessage answers this late"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    runs: list[Run] = []
    for n in range(1, args.runs + 1):
        for kind in [k for k in args.db.split(",") if k]:
            run = run_once(args, kind, n)
            runs.append(run)
            if not run.failures:
                shutil.rmtree(run.tmp, ignore_errors=True)
            lags = run.lags or [float("nan")]
            print(
                f"[{kind} run {n}] ready {run.ready_s:.2f} s; lag p50 "
                f"{percentile(lags, 50) * 1000:.0f} ms p99 {percentile(lags, 99) * 1000:.0f} ms; "
                f"RSS peak {run.rss_peak_mib:.0f} MiB; "
                f"{'ok' if not run.failures else run.failures[:3]}",
                flush=True,
            )
    print()
    print(report(args, runs))
    return 1 if any(r.failures for r in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
