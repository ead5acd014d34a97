"""The skipped wake-up, reproduced in one process: a row that falls due while a pass is
re-arming the wake-up.

    .venv/bin/python -m bench.wake_race                      # the engine as it is
    .venv/bin/python -m bench.wake_race --wake-instances 1   # the wake-up as it was before

`DeliveryScheduler` (APScheduler, system clock) and a `Dispatcher` on a temporary SQLite
database, against the Slack stand-in; `--rows` prompts to three performers fall due one
every `--gap-ms` ms. Two patches widen the window that a loaded machine opens by chance:
`--next-due-ms` is added to every `Dispatcher.next_due` (the query that re-arms the wake-up:
60–95 ms on SQLite at 100k planned rows, see RESULTS.md), and `--preempt-ms` delays
APScheduler's bookkeeping at the end of a run (the job thread losing the CPU just after
arming). With the wake-up job limited to one running instance, the run armed by a pass for a
row already due fires while that pass still counts as running; APScheduler skips it (and,
as a one-off job, drops it) and the row waits for the sweep.

Prints the skipped runs (APScheduler's EVENT_JOB_MAX_INSTANCES) and the lag of each post
(stand-in arrival - due time); exit 1 if any run was skipped or any post was over 1 s late.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.executors.base import BaseExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from bench.delivery_common import SlowStandIn, accepted_posts, percentile
from bot.app import make_client
from bot.clock import SystemClock
from bot.crypto import Cipher, generate_key
from bot.delivery import scheduler as scheduler_module
from bot.delivery.dispatch import Dispatcher
from bot.delivery.scheduler import DeliveryScheduler
from bot.deps import Services
from handlers.blocks.messages import render
from storage.db import make_engine, make_session_factory, session_scope, upgrade
from storage.models import Delivery, DeliveryKind
from tests.support.world import build


def patch(args: argparse.Namespace) -> None:
    if args.next_due_ms:
        real_next_due = Dispatcher.next_due

        def slow_next_due(self: Dispatcher) -> datetime | None:
            time.sleep(args.next_due_ms / 1000)
            return real_next_due(self)

        Dispatcher.next_due = slow_next_due  # type: ignore[method-assign]
    if args.preempt_ms:
        real_success = BaseExecutor._run_job_success

        def late_success(self: BaseExecutor, job_id: str, events: Any) -> None:
            time.sleep(args.preempt_ms / 1000)
            real_success(self, job_id, events)

        BaseExecutor._run_job_success = late_success
    if args.wake_instances:
        real_add = BackgroundScheduler.add_job

        def add_job(self: BackgroundScheduler, *a: Any, **kw: Any) -> Any:
            if kw.get("id") == scheduler_module.WAKE:
                kw["max_instances"] = args.wake_instances
            return real_add(self, *a, **kw)

        BackgroundScheduler.add_job = add_job


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=25)
    parser.add_argument("--gap-ms", type=float, default=300)
    parser.add_argument("--next-due-ms", type=float, default=350)
    parser.add_argument("--preempt-ms", type=float, default=20)
    parser.add_argument("--slack-latency-ms", type=float, default=10)
    parser.add_argument(
        "--wake-instances", type=int, default=0, help="force the wake-up job's max_instances"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    patch(args)
    tmp = Path(tempfile.mkdtemp(prefix="closedset-wake-"))
    engine = make_engine(f"sqlite:///{tmp / 'wake.db'}")
    upgrade(engine)
    factory = make_session_factory(engine, Cipher([generate_key()]))
    now = datetime.now(UTC)
    first = timedelta(seconds=3)
    gap = timedelta(milliseconds=args.gap_ms)
    lead = timedelta(hours=48)
    build(
        factory,
        now=now,
        scenes={f"{i + 1}": (first + i * gap + lead, (str(i % 3 + 1),)) for i in range(args.rows)},
    )
    skipped: list[JobSubmissionEvent] = []
    with SlowStandIn(args.slack_latency_ms / 1000) as standin:
        client = make_client(token="xoxb-test", base_url=standin.api_url)
        scheduler = DeliveryScheduler(
            Dispatcher(Services(factory, SystemClock()), client, render=render), sweep_seconds=5
        )
        scheduler._scheduler.add_listener(skipped.append, EVENT_JOB_MAX_INSTANCES)
        scheduler.start()
        try:
            time.sleep((first + args.rows * gap).total_seconds() + 7)  # past the next sweep
        finally:
            scheduler.shutdown()
        arrivals = {str(c.response["ts"]): c.time for c in accepted_posts(standin) if c.response}
    with session_scope(factory) as session:
        rows = session.execute(
            select(Delivery.ts, Delivery.due_at).where(Delivery.kind == DeliveryKind.PROMPT)
        ).all()
    engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    lags = [arrivals[ts] - due.timestamp() for ts, due in rows if ts in arrivals]
    wake = [e for e in skipped if e.job_id == scheduler_module.WAKE]
    print(
        f"wake-up max_instances {args.wake_instances or 'as in the code'}; rows {len(rows)}, "
        f"one every {args.gap_ms:g} ms; next_due +{args.next_due_ms:g} ms; preempt "
        f"{args.preempt_ms:g} ms: sent {len(lags)}/{len(rows)}; skipped wake-ups {len(wake)}; "
        f"lag p50 {percentile(lags, 50) * 1000:.0f} ms, max {max(lags) * 1000:.0f} ms"
    )
    return 1 if wake or len(lags) < len(rows) or max(lags) > 1 else 0


if __name__ == "__main__":
    raise SystemExit(main())
