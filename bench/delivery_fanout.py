"""Fan-out under Slack's rate limits: 500 performers across 100 scenes (5 per scene), every
prompt due at the same moment, delivered by the real `closedset serve` to a Slack stand-in
that enforces Slack's published limits.

    .venv/bin/python -m bench.delivery_fanout                       # SQLite, 2 runs
    .venv/bin/python -m bench.delivery_fanout --db sqlite,postgresql --runs 2
    .venv/bin/python -m bench.delivery_fanout --no-limits --runs 1  # the engine unthrottled
    .venv/bin/python -m bench.delivery_fanout --outage-seconds 60   # Slack down for 60 s at T

Why the real process (not an in-process `Dispatcher`): it is the path production runs -- the
delivery dispatcher in `serve` with its paced, single-attempt `WebClient` (`bot.ratelimit`),
APScheduler's wake-up at the next due row with the system clock -- and the benchmark process
then only hosts the stand-in, so the app and "Slack" do not share one GIL.

A run:
  1. a fresh database (SQLite file, or a PostgreSQL database created for the run), migrated;
  2. seeded through the app's own storage code: `--productions` productions with their
     coordinator, AD and roster, `--scenes` intimate scenes of `--per-scene` distinct
     performers each, planned with `storage.deliveries.sync_production`: every PROMPT is due
     at T = now + `--lead-in` s (scenes start at T + 48 h, the production's lead time);
     nudges and escalations wait for later;
  3. `closedset serve` started (SLACK_API_URL = the stand-in), ready before T;
  4. from T, wait until every prompt was accepted by the stand-in (or `--timeout`), then 3 s
     more to catch duplicates.

Reported: time from T to the last accepted post, the lower bound the enforced limits allow
for this workload (derived in the output), the ratio, refusals (429) per accepted post and
retries. Checked (exit 1 otherwise): each performer got exactly one accepted post, nobody else
got any, and every PROMPT row is SENT.

With `--outage-seconds S`, Slack is down from T to T + S: every `chat.postMessage` is answered
HTTP 503 `service_unavailable` (taking nothing from the rate-limit buckets), then it is back.
The lower bound moves by S (nothing can be accepted before Slack returns); reported as well:
HTTP attempts per message (the most any one message cost, and the median) and the time from
Slack's return to the last accepted post. Checked besides: no more than `--max-attempts` HTTP
attempts for any message.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.delivery_common import (
    DEFAULT_PG,
    BenchDatabase,
    accepted_posts,
    bench_database,
    environment_line,
    free_port,
    log_levels,
    machine_busy,
    serve_env,
    spread,
    start_serve,
    tree_cpu_seconds,
    tree_rss_kib,
    wait_ready,
)
from tests.support.slack_standin import TEAM_ID, Call, Limit, RateLimits, SlackStandIn

TARGET_RATIO = 1.05
TARGET_429_PER_POST = 0.05
# Bolt checks the token with auth.test when serve starts; the rest must be the prompts.
EXPECTED_METHODS = ("chat.postMessage", "auth.test")
LEAD = timedelta(hours=48)


@dataclass
class Run:
    db: str
    n: int
    expected: int
    ready_s: float
    ready_before_due_s: float
    first_s: float = float("nan")
    last_s: float = float("nan")
    accepted: int = 0
    refused: int = 0
    attempts: int = 0
    claims_max: int = 0
    retried_rows: int = 0
    cpu_s: float = float("nan")
    busy: float = float("nan")
    rss_mib: float = float("nan")
    per_10s: list[int] = field(default_factory=list)
    warnings: int = 0
    errors: int = 0
    failures: list[str] = field(default_factory=list)
    tmp: str = ""  # logs and the SQLite file; removed after a run that passed
    outage_s: float = 0.0
    unavailable: int = 0  # posts answered 503 during the outage
    attempts_max: int = 0  # HTTP attempts of the message that needed the most
    attempts_median: float = float("nan")
    return_to_last_s: float = float("nan")


class OutageStandIn(SlackStandIn):
    """The stand-in, down for `chat.postMessage` between `down_from` and `down_until`
    (`time.time()`): every post is answered HTTP 503 `service_unavailable`, as Slack does when
    it is down, and takes nothing from the rate-limit buckets (a Slack that is down counts
    nothing). Set the window once the due time is known."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.down_from = self.down_until = 0.0

    def _api(self, call: Call) -> tuple[int, dict[str, str], dict[str, Any]]:
        if call.method == "chat.postMessage" and self.down_from <= call.time < self.down_until:
            return 503, {}, {"ok": False, "error": "service_unavailable"}
        return super()._api(call)


# ---------------------------------------------------------------- seeding


def seed(
    db: BenchDatabase,
    key: str,
    *,
    productions: int,
    scenes: int,
    per_scene: int,
    due: datetime,
    now: datetime,
) -> set[str]:
    """Plan `scenes` scenes of `per_scene` distinct performers over `productions`
    productions, every prompt due at `due`. Returns the performers' Slack IDs."""
    from bot.cast.resolve import RosterEntry
    from bot.crypto import Cipher
    from bot.setup import ProductionSetup
    from storage import deliveries
    from storage.db import make_session_factory, session_scope
    from storage.models import Delivery, DeliveryKind
    from storage.productions import save_setup
    from storage.roster import apply_roster
    from tests.support.world import add_scene

    factory = make_session_factory(db.engine, Cipher([key]))
    performers: set[str] = set()
    per_production = [
        scenes // productions + (1 if p < scenes % productions else 0) for p in range(productions)
    ]
    start = due + LEAD
    for p, count in enumerate(per_production):
        with session_scope(factory) as session:
            production = save_setup(
                session,
                team_id=TEAM_ID,
                production=None,
                setup=ProductionSetup(
                    name=f"Fan-out {p + 1}",
                    zone="Europe/London",
                    coordinators=(f"UCO{p:04d}A",),
                    ads=(f"UAD{p:04d}A",),
                    admins=(),
                    ad_channel=f"CAD{p:04d}A",
                    lead=LEAD,
                    nudge=timedelta(hours=24),
                    escalation=timedelta(hours=12),
                    default_call=dtime(7, 0),
                    intimacy_category=None,
                ),
                now=now,
            )
            roster = [
                RosterEntry(
                    str(n + 1),
                    f"Role {n + 1}",
                    f"Performer {p + 1}-{n + 1}",
                    f"UP{p:04d}{n:04d}",
                    f"perf{p}_{n}",
                    f"perf{p}_{n}@example.com",
                )
                for n in range(count * per_scene)
            ]
            apply_roster(session, production_id=production.id, entries=roster)
            performers.update(r.slack_user_id for r in roster if r.slack_user_id)
            for s in range(count):
                cast = tuple(str(s * per_scene + k + 1) for k in range(per_scene))
                add_scene(session, production, f"{s + 1}A", start, cast, now=now)
            deliveries.sync_production(session, production, now=now)
    with session_scope(factory) as session:
        prompts = session.scalars(
            select(Delivery.due_at).where(Delivery.kind == DeliveryKind.PROMPT)
        ).all()
        assert len(prompts) == len(performers) and set(prompts) == {due}, "seeding"
    return performers


# ---------------------------------------------------------------- one run


def run_once(args: argparse.Namespace, kind: str, n: int, limits: RateLimits | None) -> Run:
    from bot.crypto import Cipher, generate_key
    from storage.db import make_session_factory, session_scope
    from storage.models import Delivery, DeliveryKind, DeliveryStatus

    key = generate_key()
    tmp = Path(tempfile.mkdtemp(prefix="closedset-fanout-"))
    standin = OutageStandIn(rate_limits=limits)
    with standin, bench_database(kind, tmp, args.pg_url) as db:
        now = datetime.now(UTC).replace(microsecond=0)
        due = now + timedelta(seconds=args.lead_in)
        standin.down_from = due.timestamp()
        standin.down_until = due.timestamp() + args.outage_seconds
        performers = seed(
            db,
            key,
            productions=args.productions,
            scenes=args.scenes,
            per_scene=args.per_scene,
            due=due,
            now=now,
        )
        extra = {}
        if args.sweep_seconds:
            extra["CLOSEDSET_DELIVERY_SWEEP_SECONDS"] = str(args.sweep_seconds)
        serve = start_serve(serve_env(standin, db.url, free_port(), key, **extra), tmp)
        try:
            ready = wait_ready(serve)
            due_ts = due.timestamp()
            run = Run(kind, n, len(performers), ready, due_ts - time.time())
            run.tmp = str(tmp)
            run.outage_s = args.outage_seconds
            if run.ready_before_due_s < 0:
                run.failures.append(f"serve was ready {-run.ready_before_due_s:.1f} s after T")
            while time.time() < due_ts:
                time.sleep(0.01)
            cpu0, busy0 = tree_cpu_seconds(serve.proc.pid), machine_busy()
            deadline = due_ts + args.timeout
            rss_peak = 0
            while len(accepted_posts(standin)) < len(performers) and time.time() < deadline:
                rss_peak = max(rss_peak, sum(tree_rss_kib(serve.proc.pid).values()))
                time.sleep(0.05)
            cpu1, busy1 = tree_cpu_seconds(serve.proc.pid), machine_busy()
            time.sleep(3)  # anything sent twice, or to someone else, arrives meanwhile
            run.cpu_s = cpu1 - cpu0
            run.busy = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
            run.rss_mib = rss_peak / 1024
        finally:
            serve.proc.stop()
        levels = log_levels(serve)
        run.warnings, run.errors = levels.get("WARNING", 0), levels.get("ERROR", 0)
        calls = standin.calls("chat.postMessage")
        ok = accepted_posts(standin)
        run.accepted, run.attempts = len(ok), len(calls)
        run.refused = sum(1 for c in calls if c.status == 429)
        run.unavailable = sum(1 for c in calls if c.status == 503)
        if ok:
            times = sorted(c.time - due_ts for c in ok)
            run.first_s, run.last_s = times[0], times[-1]
            run.return_to_last_s = run.last_s - args.outage_seconds
            buckets = Counter(int(t // 10) for t in times)
            run.per_10s = [buckets.get(b, 0) for b in range(max(buckets) + 1)]
        tries = Counter(str(c.params.get("channel")) for c in calls)
        per_message = sorted(tries[p] for p in performers)
        run.attempts_max = per_message[-1] if per_message else 0
        run.attempts_median = float(per_message[len(per_message) // 2]) if per_message else 0.0
        if args.outage_seconds and run.attempts_max > args.max_attempts:
            run.failures.append(
                f"a message cost {run.attempts_max} HTTP attempts (at most {args.max_attempts})"
            )
        early = [c for c in ok if c.time < standin.down_until]
        if early:
            run.failures.append(f"{len(early)} post(s) accepted while Slack was down")
        got = Counter(str(c.params.get("channel")) for c in ok)
        twice = sorted(r for r, k in got.items() if k > 1)
        missing = sorted(performers - set(got))
        strangers = sorted(set(got) - performers)
        if twice:
            run.failures.append(f"{len(twice)} performer(s) got more than one post: {twice[:5]}")
        if missing:
            run.failures.append(f"{len(missing)} performer(s) got nothing: {missing[:5]}")
        if strangers:
            run.failures.append(f"posts to {len(strangers)} non-performers: {strangers[:5]}")
        other = [c.method for c in standin.calls() if c.method not in EXPECTED_METHODS]
        if other:
            run.failures.append(f"unexpected calls: {Counter(other)}")
        factory = make_session_factory(db.engine, Cipher([key]))
        with session_scope(factory) as session:
            prompts = session.execute(
                select(Delivery.status, Delivery.attempts).where(
                    Delivery.kind == DeliveryKind.PROMPT
                )
            ).all()
        statuses = Counter(s for s, _ in prompts)
        if statuses != {DeliveryStatus.SENT: len(performers)}:
            run.failures.append(f"PROMPT rows: {dict(statuses)}")
        run.claims_max = max((a for _, a in prompts), default=0)
        run.retried_rows = sum(1 for _, a in prompts if a > 1)
        if run.errors:
            run.failures.append(
                f"{run.errors} ERROR line(s) in the serve log ({serve.proc.log_path})"
            )
        return run


# ---------------------------------------------------------------- output


def bound_text(limits: RateLimits | None, n: int, outage: float = 0.0) -> tuple[float, list[str]]:
    if limits is None:
        return 0.0, ["no limits enforced: the lower bound is 0 s (ratio not defined)"]
    ch, ws = limits.post_message_per_channel, limits.post_message_per_workspace
    drain = limits.lower_bound([1] * n)
    bound = outage + drain
    ws_time = max(0, n - ws.burst) * 60 / ws.per_minute
    start = f"T + {outage:g} s (Slack back)" if outage else "T"
    lines = [
        f"- workload: {n} `chat.postMessage`, one per performer, each to its own DM channel "
        "(the dispatcher posts to the user ID), all due at the same instant T",
        *(
            [f"- Slack down from T to T + {outage:g} s: nothing can be accepted before then"]
            if outage
            else []
        ),
        f"- per channel ({ch.per_minute:g}/min, burst {ch.burst}): 1 post per channel <= burst, "
        "so this limit costs 0 s",
        f"- workspace-wide ({ws.per_minute:g}/min = {ws.per_minute / 60:g}/s, burst {ws.burst}): "
        f"the first {min(n, ws.burst)} at {start}, the other {max(0, n - ws.burst)} one every "
        f"{60 / ws.per_minute:g} s -> last at {start} + {max(0, n - ws.burst)} x "
        f"{60 / ws.per_minute:g} = {ws_time:.1f} s",
        f"- **lower bound = {outage:g} + max(0, {ws_time:.1f}) = {bound:.1f} s** (T to the last "
        f"accepted post); target: within {TARGET_RATIO}x = {bound * TARGET_RATIO:.1f} s, at most "
        f"{TARGET_429_PER_POST} HTTP 429 per accepted post",
    ]
    return bound, lines


def report(args: argparse.Namespace, runs: list[Run], limits: RateLimits | None) -> str:
    n = runs[0].expected if runs else 0
    bound, lines = bound_text(limits, n, args.outage_seconds)
    outage = (
        f"; Slack down (every post answered 503) for {args.outage_seconds:g} s from T"
        if args.outage_seconds
        else ""
    )
    out = [
        "## Delivery fan-out under Slack's rate limits (`bench.delivery_fanout`)",
        "",
        f"- {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {environment_line()}",
        f"- {args.productions} productions, {args.scenes} scenes x {args.per_scene} performers; "
        f"real `closedset serve` (sweep {args.sweep_seconds or 5:g} s); stand-in in the "
        f"benchmark process{outage}",
        "",
        "Lower bound:",
        "",
        *lines,
        "",
        "| db | run | ready s | T to first s | T to last s | ratio to bound | accepted | "
        "429s | 429s per post | 503s | HTTP attempts | per message max (median) | "
        "rows claimed >1x | max claims | serve CPU s | machine busy | RSS MiB | checks |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        ratio = r.last_s / bound if bound else float("nan")
        out.append(
            f"| {r.db} | {r.n} | {r.ready_s:.2f} | {r.first_s:.2f} | {r.last_s:.2f} | "
            f"{ratio:.3f} | {r.accepted}/{r.expected} | {r.refused} | "
            f"{r.refused / max(1, r.accepted):.3f} | {r.unavailable} | {r.attempts} | "
            f"{r.attempts_max} ({r.attempts_median:g}) | {r.retried_rows} | {r.claims_max} | "
            f"{r.cpu_s:.1f} | {r.busy:.0%} | {r.rss_mib:.0f} | "
            f"{'ok' if not r.failures else 'FAILED'} |"
        )
    out.append("")
    for db in dict.fromkeys(r.db for r in runs):
        mine = [r for r in runs if r.db == db]
        lasts = [r.last_s for r in mine]
        ratios = [r.last_s / bound for r in mine] if bound else []
        per_post = [r.refused / max(1, r.accepted) for r in mine]
        met = bool(ratios) and max(ratios) <= TARGET_RATIO
        polite = max(per_post, default=0.0) <= TARGET_429_PER_POST
        verdict = ("yes" if met else "NO") if bound else "n/a (no limits)"
        out.append(
            f"- {db}: T to last post {spread(lasts)} s; ratio {spread(ratios, '{:.3f}')} "
            f"(median (min–max) over {len(mine)} runs); within {TARGET_RATIO}x in every run: "
            f"{verdict}; 429s per accepted post {spread(per_post, '{:.3f}')}, at most "
            f"{TARGET_429_PER_POST} in every run: {'yes' if polite else 'NO'}"
        )
        if args.outage_seconds:
            out.append(
                f"  - outage: HTTP attempts per message, most {max(r.attempts_max for r in mine)}"
                f" (at most {args.max_attempts}); Slack's return to the last accepted post "
                f"{spread([r.return_to_last_s for r in mine])} s"
            )
    out.append("")
    for r in runs:
        out.append(f"- {r.db} run {r.n}: accepted per 10 s from T: {r.per_10s}")
        for failure in r.failures:
            out.append(f"  - FAILED: {failure}")
    return "\n".join(out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite", help="sqlite,postgresql (comma-separated)")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--productions", type=int, default=10)
    parser.add_argument("--scenes", type=int, default=100)
    parser.add_argument("--per-scene", type=int, default=5)
    parser.add_argument("--lead-in", type=float, default=15.0, help="seconds from seeding to T")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds after T")
    parser.add_argument("--sweep-seconds", type=float, default=0.0, help="0: the app default")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="where to create the database")
    parser.add_argument("--workspace-per-minute", type=float, default=300.0)
    parser.add_argument("--workspace-burst", type=int, default=10)
    parser.add_argument("--channel-per-minute", type=float, default=60.0)
    parser.add_argument("--channel-burst", type=int, default=2)
    parser.add_argument("--no-limits", action="store_true", help="the stand-in refuses nothing")
    parser.add_argument(
        "--outage-seconds",
        type=float,
        default=0.0,
        help="every post answered 503 from T for this long",
    )
    parser.add_argument(
        "--max-attempts", type=int, default=10, help="outage: HTTP attempts allowed per message"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    limits = (
        None
        if args.no_limits
        else RateLimits(
            post_message_per_channel=Limit(args.channel_per_minute, args.channel_burst),
            post_message_per_workspace=Limit(args.workspace_per_minute, args.workspace_burst),
        )
    )
    runs: list[Run] = []
    for n in range(1, args.runs + 1):
        for kind in [k for k in args.db.split(",") if k]:
            run = run_once(args, kind, n, limits)
            runs.append(run)
            if not run.failures:
                shutil.rmtree(run.tmp, ignore_errors=True)
            print(
                f"[{kind} run {n}] ready {run.ready_s:.2f} s; T->last {run.last_s:.2f} s; "
                f"{run.accepted}/{run.expected} accepted, {run.refused} refused (429), "
                f"{run.unavailable} unavailable (503), attempts per message <= {run.attempts_max}; "
                f"{'ok' if not run.failures else run.failures}",
                flush=True,
            )
    print()
    print(report(args, runs, limits))
    return 1 if any(r.failures for r in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
