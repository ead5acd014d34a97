"""A check-in round for a scene of 20 performers: time from the signed `/closedset checkin`
request to the last of the 20 prompts posted, against the real `closedset serve` and the local
Slack stand-in.

    .venv/bin/python -m bench.checkin_latency                    # SQLite, 5 rounds x 2 runs
    .venv/bin/python -m bench.checkin_latency --db sqlite,postgresql --rounds 5 --runs 2
    .venv/bin/python -m bench.checkin_latency --slack-latency-ms 100   # Slack-like answers

Path measured: signed HTTP request → waitress → Bolt → acknowledged; job to the worker
process → round and 20 CHECKIN rows (+ a live message per coordinator) committed → wake-up →
the dispatcher claims them and posts them on its 16 threads. The stand-in enforces no rate
limit by default ("when Slack's limits allow": 20 DMs to 20 channels are one burst of the
per-channel limit; the workspace-wide figure Slack does not publish — see the fan-out
benchmark); `--limits` turns the stand-in's limits on, for reference.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bench.delivery_common import (
    SlowStandIn,
    accepted_posts,
    bench_database,
    environment_line,
    percentile,
    serve_env,
    spread,
    start_serve,
    wait_ready,
)
from bench.procs import free_port
from bot.cast.resolve import RosterEntry
from bot.crypto import Cipher, generate_key
from bot.setup import ProductionSetup
from storage.db import make_session_factory, session_scope
from storage.models import Scene
from storage.productions import save_setup
from storage.roster import apply_roster
from tests.support.signing import SlackSender
from tests.support.slack_standin import TEAM_ID, Call, RateLimits, SlackStandIn

COORDINATOR = "U0COORD001"


def seed(session_factory: sessionmaker[Session], performers: int) -> None:
    now = datetime.now(UTC)
    with session_scope(session_factory) as session:
        production = save_setup(
            session,
            team_id=TEAM_ID,
            production=None,
            setup=ProductionSetup(
                name="Bench",
                zone="Europe/London",
                coordinators=(COORDINATOR,),
                ads=(),
                admins=(),
                ad_channel=None,
                lead=timedelta(hours=48),
                nudge=timedelta(hours=24),
                escalation=timedelta(hours=12),
                default_call=datetime.now(UTC).time().replace(microsecond=0),
                intimacy_category=None,
                reminders="",
            ),
            now=now,
        )
        entries = [
            RosterEntry(str(n), f"Role {n}", f"Performer {n}", f"U0BENCH{n:03d}")
            for n in range(1, performers + 1)
        ]
        apply_roster(session, production_id=production.id, entries=entries)
        scene = Scene(
            production_id=production.id,
            team_id=production.team_id,
            number="42A",
            shoot_date=now.date(),
            start_at=now + timedelta(hours=100),  # no boundary prompts in the way
            set_name="Stage 2",
            intimacy=True,
            revision=1,
            created_at=now,
            updated_at=now,
        )
        scene.cast = list(production.cast_entries)
        session.add(scene)


def one_run(kind: str, args: argparse.Namespace, tmp: Path) -> list[float]:
    standin = SlowStandIn(latency_s=args.slack_latency_ms / 1000.0)
    if args.limits:
        standin.enforce_rate_limits(RateLimits())
    standin.start()
    key = generate_key()
    try:
        with bench_database(kind, tmp) as db:
            seed(make_session_factory(db.engine, Cipher([key])), args.performers)
            port = free_port()
            env = serve_env(standin, db.url, port, key)
            serve = start_serve(env, tmp, name=f"checkin-{kind}")
            try:
                wait_ready(serve)
                sender = SlackSender(
                    f"http://127.0.0.1:{port}",
                    env["SLACK_SIGNING_SECRET"],
                    response_base=standin.base_url,
                )
                times = []
                for _ in range(args.rounds):
                    before = len(prompts(standin))
                    started = time.time()
                    response = sender.command("checkin 42A", user_id=COORDINATOR)
                    assert response.status == 200, response.text
                    deadline = time.monotonic() + 30
                    while len(prompts(standin)) < before + args.performers:
                        if time.monotonic() > deadline:
                            raise RuntimeError(f"prompts missing:\n{serve.proc.log_tail()}")
                        time.sleep(0.002)
                    last = max(c.time for c in prompts(standin)[before:])
                    times.append(last - started)
                    time.sleep(args.gap)
                print(f"  {kind} run, rounds in order: {[round(t * 1000) for t in times]} ms")
                return times
            finally:
                serve.proc.stop()
    finally:
        standin.stop()


def prompts(standin: SlackStandIn) -> list[Call]:
    return [
        c for c in accepted_posts(standin) if str(c.params.get("text", "")).startswith("Check-in —")
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--gap",
        type=float,
        default=5.0,
        help="seconds between rounds (default 5: a round per take is minutes apart on a set; "
        "closer than ~4 s the 20 DMs of a round wait for Slack's workspace limit, 300/min, "
        "which the app now paces by)",
    )
    parser.add_argument("--performers", type=int, default=20)
    parser.add_argument("--slack-latency-ms", type=float, default=0.0)
    parser.add_argument("--limits", action="store_true")
    args = parser.parse_args()
    print(f"- {environment_line()}")
    print(
        f"- {args.performers} performers, {args.rounds} rounds per run, {args.runs} runs; "
        f"stand-in latency {args.slack_latency_ms:.0f} ms; limits {'on' if args.limits else 'off'}"
    )
    print("\n| db | rounds | command → last prompt, median | p90 | max | under 1 s |")
    print("|---|---|---|---|---|---|")
    for kind in args.db.split(","):
        times: list[float] = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="closedset-checkin-") as tmp:
                times += one_run(kind, args, Path(tmp))
        under = sum(t < 1.0 for t in times)
        print(
            f"| {kind} | {len(times)} | {percentile(times, 50) * 1000:.0f} ms | "
            f"{percentile(times, 90) * 1000:.0f} ms | {max(times) * 1000:.0f} ms | "
            f"{under}/{len(times)} |"
        )
        print(f"  each: {spread([t * 1000 for t in times], '{:.0f}')} ms")


if __name__ == "__main__":
    main()
