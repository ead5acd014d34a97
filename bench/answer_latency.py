"""Time to answer (what a user feels) and time to ack, of signed Slack requests on
`POST /slack/events`: the real `closedset serve` against a bare Bolt app on the same stack
(Bolt WSGI adapter + waitress 8 threads, `process_before_response=True`) whose listeners ack
and make the same single Slack call, with the Slack stand-in answering like Slack (100 ms).

    .venv/bin/python -m bench.answer_latency                 # the whole table, 2 runs (~10 min)
    .venv/bin/python -m bench.answer_latency --app HEAD      # the app as committed, not the tree
    .venv/bin/python -m bench.answer_latency --runs 1 --rates 50 --concurrency "" --crowds ""
    .venv/bin/python -m bench.answer_latency --runs 1 --rates "" --concurrency 50 --crowds ""
    .venv/bin/python -m bench.answer_latency --runs 1 --rates "" --concurrency "" --crowds 50
    .venv/bin/python -m bench.answer_latency --kinds modal --seconds 5 --slack-latency-ms 200

Processes (each in its own process group, all stopped at the end, errors included):
  * the Slack stand-in (`bench.standin_server`): every Web API call and `response_url` post
    is answered `--slack-latency-ms` late; it records each answer's arrival (`time.time()`,
    before the delay) under the request's `response_url` path or `trigger_id`;
  * `closedset serve` (the installed entry point; HTTP; SQLite in a temp dir, delivery on, as
    deployed by default), seeded through the app's storage code: the benchmark user
    coordinates "Night Shift" (4 cast, 14 upcoming scenes) and is an AD on "Day Shift";
  * the bare app (`bench.bare_app`): ack, then one Slack call on a 32-thread pool.

Requests, each freshly signed (HMAC v0 over `v0:timestamp:body`, `tests.support.signing`), with a
`response_url` path and a `trigger_id` of its own:
  * `help`: `/closedset help` -> a post to its `response_url` (closedset's names the
    production);
  * `button`: a `schedule_page_next` click (value `pack("page", p=production, o=0)`) -> a post
    to its `response_url` replacing the list;
  * `modal`: a coordinator's View-status click (`coordinator_view_status`, value
    `pack("status", s=scene)`) -> `views.open` with its `trigger_id` (an urgent job in
    closedset).

Phases, servers alternating (closedset, bare; bare, closedset in the next run):
  1. open loop, per kind x `--rates`: requests sent on a fixed schedule (rate/s) whatever the
     answers, over a pool of keep-alive connections (a new one when all are busy); `--warmup`
     s per server, then `--seconds` s measured per server in `--slices` slices, the servers
     taking turns (closedset, bare, bare, closedset, ...: on a shared machine whatever else
     runs then meets both alike). Time to ack = send -> HTTP answer read; time to answer =
     send (`time.time()`) -> the answer's arrival at the stand-in. Target: answer p99 < 300 ms
     and within max(1.5x, +10 ms) of the bare app's p99 in the same run.
  2. closed loop (a burst), per `--concurrency`: c clients on keep-alive connections, each
     sending its next request as soon as the last is acknowledged, for `--seconds` s, the kinds
     in turn (client i starts at kind i). Target: every request acknowledged (HTTP 200), ack
     p99 < 100 ms, every modal click's modal opened within 3 s; the "busy" answers and the
     drain time (end of the load -> last answer) are reported. Such a loop offers whatever the
     acks allow (about 500 requests/s here), more than any server on these 2 vCPUs can answer:
     it shows what gives under overload.
  3. a crowd (a realistic burst), per `--crowds`: that many different people click at the same
     instant (a crew answering one message together), `--waves` times `--gap` s apart, the
     kinds in turn, one server at a time. Target: every request acknowledged, ack p99 < 100
     ms, every click answered right (modal opened, list replaced, help posted) within 3 s and
     none told "busy".

After each configuration the benchmark waits for every answer (up to `--drain-timeout`, or
until none came for 15 s) before the next one starts. Checked on every request (exit 1 on any
failure): acknowledged with HTTP 200 and an empty body (or closedset's "busy" line, for a
command), exactly one answer of the right kind (a post with blocks, help's naming the
production; a modal opened), or one "busy" answer; no answer to a request nobody sent; no
ERROR or traceback in a server's log. Target misses are reported, not failures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.answer_load import PRODUCTION, Requests, Sent, closed_loop, crowd, open_loop, seed
from bench.procs import REPO, Proc, free_port, wait_healthy

VENV_BIN = Path(sys.executable).parent
KINDS = ("help", "button", "modal")
SERVERS = ("closedset", "bare")
ANSWER_P99_MS = 300.0
RATIO, SLACK_MS = 1.5, 10.0  # within max(1.5x, +10 ms) of bare
ACK_P99_MS = 100.0
MODAL_MS = 3000.0  # a trigger_id is good for 3 s
EXPECTED = {"help": "blocks", "button": "blocks", "modal": "modal"}


# ---------------------------------------------------------------- the stand-in


class StandIn:
    """`bench.standin_server` as a child, asked over its stdin/stdout."""

    def __init__(self, tmp: Path, latency_ms: float, env: dict[str, str]) -> None:
        self.proc = Proc(
            "stand-in",
            [
                sys.executable,
                "-m",
                "bench.standin_server",
                "--latency-ms",
                str(latency_ms),
                "--needle",
                PRODUCTION,
            ],
            env,
            tmp / "standin.log",
            stdin_pipe=True,
            stdout_pipe=True,
        )
        info = json.loads(self._readline(timeout=30))
        self.api_url: str = info["api_url"]
        self.base_url: str = info["base_url"]

    def _readline(self, timeout: float) -> str:
        out = self.proc.popen.stdout
        assert out is not None
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(out.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not box or not box[0]:
            raise RuntimeError(f"the stand-in did not answer:\n{self.proc.log_tail()}")
        return box[0]

    def ask(self, command: str) -> dict[str, Any]:
        stdin = self.proc.popen.stdin
        assert stdin is not None
        stdin.write(command + "\n")
        stdin.flush()
        result: dict[str, Any] = json.loads(self._readline(timeout=120))
        return result

    def wait_for(self, expected: int, timeout: float, idle: float = 15.0) -> bool:
        """Wait until at least `expected` answers were recorded; give up after `timeout`, or
        once no answer came for `idle` seconds (an answer the app dropped never comes)."""
        now = time.monotonic()
        deadline, last_change, seen = now + timeout, now, -1
        while (count := self.ask("count")["answers"]) < expected:
            now = time.monotonic()
            if count != seen:
                seen, last_change = count, now
            if now >= deadline or now - last_change >= idle:
                return False
            time.sleep(0.05)
        return True


# ---------------------------------------------------------------- checking


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of `values`; nan when empty."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(1, min(len(ordered), -int(-q * len(ordered) // 1))) - 1]


@dataclass
class KindResult:
    """One kind in one configuration of one run (measured requests only)."""

    n: int = 0
    acks_ms: list[float] = field(default_factory=list)
    answers_ms: list[float] = field(default_factory=list)  # right answers, not "busy"
    busy: int = 0
    lag_ms: list[float] = field(default_factory=list)
    failed: int = 0  # requests (warm-up included) not acknowledged or not answered right

    def p(self, what: str, q: float) -> float:
        return pct(self.acks_ms if what == "ack" else self.answers_ms, q)

    def over(self, limit_ms: float) -> int:
        """Requests not answered within `limit_ms` (busy and failed ones included)."""
        return self.n - sum(1 for x in self.answers_ms if x < limit_ms)


@dataclass
class Config:
    """One configuration of one run: the kinds' results and the configuration's totals."""

    kinds: dict[str, KindResult]
    seconds: float
    requests: int  # all sent, warm-up included
    drain_s: float
    drained: bool  # every acknowledged request got its own answer (busy ones may share one)
    cpu_ms: float  # server CPU per request, drain included
    busy_cpu: float  # machine CPU busy during the load (of all CPUs)
    others_cpu: float  # of it, used by processes not of this benchmark (other users' work)
    problems: list[str]

    def rps(self) -> float:
        return sum(k.n for k in self.kinds.values()) / self.seconds


def check(
    sent: list[Sent], answers: Iterable[Sequence[Any]], server: str
) -> tuple[dict[str, KindResult], list[str]]:
    """Match each request with its answers (by response_url path and trigger_id)."""
    from bot.worker import BUSY

    by_key: dict[str, list[tuple[float, str, bool]]] = {}
    for key, arrival, what, needle in answers:
        by_key.setdefault(key, []).append((arrival, what, needle))
    # A user told "busy" is told once while that notice waits (`bot.worker`): their other
    # clicks meanwhile are answered by it. Such a click counts as busy, not as unanswered.
    user_of = {s.url_key: s.user for s in sent}
    busy_told: dict[str, list[float]] = {}
    for key, found_ in by_key.items():
        for arrival, what, _ in found_:
            if what == "busy" and key in user_of:
                busy_told.setdefault(user_of[key], []).append(arrival)
    used: set[str] = set()
    results: dict[str, KindResult] = {}
    failures: Counter[str] = Counter()
    for s in sent:
        result = results.setdefault(s.kind, KindResult())
        keys = (s.url_key, f"trigger:{s.trigger}")
        used.update(keys)
        found = [a for k in keys for a in by_key.get(k, ())]
        failure = ""
        answer_ms: float | None = None
        busy = False
        if s.error or s.status != 200:
            failure = f"not acknowledged: {s.error or f'HTTP {s.status} {s.body[:80]!r}'}"
        elif s.body and BUSY.encode() in s.body:
            busy = True
            if found:
                failure = f"answered 'busy' in the ack and then {len(found)} more time(s)"
        elif s.body:
            failure = f"ack with a body: {s.body[:80]!r}"
        elif not found and any(t >= s.wall for t in busy_told.get(s.user, ())):
            busy = True  # told once, by the notice to an earlier click of theirs
        elif not found:
            failure = "no answer"
        elif len(found) > 1:
            failure = f"{len(found)} answers: {[w for _, w, _ in found]}"
        else:
            arrival, what, needle = found[0]
            if what == "busy":
                busy = True
            elif what != EXPECTED[s.kind]:
                failure = f"answered {what!r}, not {EXPECTED[s.kind]!r}"
            elif s.kind == "help" and server != "bare" and not needle:
                failure = f"help answer without the production's name {PRODUCTION!r}"
            else:
                answer_ms = (arrival - s.wall) * 1000
        if failure:
            result.failed += 1
            failures[f"{s.kind}: {failure}"] += 1
        if not s.measured:
            continue
        result.n += 1
        result.lag_ms.append(s.lag * 1000)
        if s.ack_s == s.ack_s:  # not nan
            result.acks_ms.append(s.ack_s * 1000)
        result.busy += busy
        if answer_ms is not None:
            result.answers_ms.append(answer_ms)
    problems = [f"{n} x {failure}" for failure, n in failures.most_common()]
    stray = [k for k in by_key if k not in used]
    if stray:
        problems.append(f"{len(stray)} answers to a request of this server never sent: {stray[:2]}")
    return results, problems


# ---------------------------------------------------------------- /proc readings


def cpu_ticks(pids: Iterable[int]) -> int:
    """utime + stime of processes (all their threads), in clock ticks."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total


def cpu_seconds(pid: int) -> float:
    return cpu_ticks([pid]) / os.sysconf("SC_CLK_TCK")


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    total = sum(values[:8])
    return total - values[3] - values[4], total


def status_kib(pid: int, key: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- running


@dataclass
class Bench:
    args: argparse.Namespace
    standin: StandIn
    servers: dict[str, Proc]
    ports: dict[str, int]
    requests: dict[str, Requests]
    # the last configuration's requests and the stand-in's record (`bench.workspaces` checks
    # which workspace's token each answer was made with)
    last_sent: dict[str, list[Sent]] = field(default_factory=dict)
    last_answers: dict[str, Any] = field(default_factory=dict)

    def measure(
        self, order: Sequence[str], phase: str, x: float, kinds: Sequence[str]
    ) -> dict[str, Config]:
        """One configuration: load, then wait for every answer, then check. `phase` "open":
        `x` req/s of `kinds[0]` to each server in `order`, after a warm-up each, in `--slices`
        slices taking turns (so what else runs on the machine meets both alike); "closed":
        `x` clients over `kinds`, one server; "crowd": waves of `x` people at once over `kinds`,
        one server."""
        args = self.args
        self.standin.ask("clear")
        ours = [os.getpid(), self.standin.proc.pid, *(p.pid for p in self.servers.values())]
        cpu0 = {name: cpu_seconds(self.servers[name].pid) for name in order}
        (busy0, all0), ours0 = machine_jiffies(), cpu_ticks(ours)
        sent: dict[str, list[Sent]] = {name: [] for name in order}
        if phase == "open":
            for name in order:
                warm = open_loop(self.ports[name], self.requests[name], kinds[0], x, args.warmup, 0)
                sent[name] += asyncio.run(warm)
            for i in range(args.slices):
                for name in order if i % 2 == 0 else order[::-1]:
                    load = open_loop(
                        self.ports[name],
                        self.requests[name],
                        kinds[0],
                        x,
                        0,
                        args.seconds / args.slices,
                    )
                    sent[name] += asyncio.run(load)
        elif phase == "closed":
            (name,) = order
            load = closed_loop(self.ports[name], self.requests[name], kinds, int(x), args.seconds)
            sent[name] = asyncio.run(load)
        else:
            (name,) = order
            people = crowd(
                self.ports[name], self.requests[name], kinds, int(x), args.waves, args.gap
            )
            sent[name] = asyncio.run(people)
        (busy1, all1), ours1 = machine_jiffies(), cpu_ticks(ours)
        everything = [s for name in order for s in sent[name]]
        load_end = max((s.wall for s in everything), default=time.time())
        from bot.worker import BUSY

        expected = sum(
            1 for s in everything if s.status == 200 and not (s.body and BUSY.encode() in s.body)
        )
        # At most one answer each: a user told "busy" is told once while that notice waits, so
        # fewer may come. Wait until they stop coming; `check` then finds any request left
        # without an answer (its own, or its user's busy notice).
        drained = self.standin.wait_for(expected, args.drain_timeout, idle=5.0)
        time.sleep(0.3)  # a second answer to the same request would show now
        data = self.standin.ask("answers")
        self.last_sent, self.last_answers = sent, data
        shared = []
        if data["errors"]:
            shared.append(f"stand-in errors: {data['errors'][:3]}")
        owners = {name: self.requests[name].owns for name in order}
        stray = [a[0] for a in data["answers"] if not any(own(a[0]) for own in owners.values())]
        if stray:
            shared.append(f"{len(stray)} answers to no request sent, e.g. {stray[:2]}")
        configs = {}
        for name in order:
            answers = [a for a in data["answers"] if owners[name](a[0])]
            results, problems = check(sent[name], answers, name)
            arrivals = [a[1] for a in answers]
            configs[name] = Config(
                kinds=results,
                seconds=args.waves * args.gap if phase == "crowd" else args.seconds,
                requests=len(sent[name]),
                drain_s=max(0.0, max(arrivals, default=load_end) - load_end),
                drained=drained,
                cpu_ms=(cpu_seconds(self.servers[name].pid) - cpu0[name])
                * 1000
                / max(1, len(sent[name])),
                busy_cpu=(busy1 - busy0) / max(1, all1 - all0),
                others_cpu=max(0, busy1 - busy0 - (ours1 - ours0)) / max(1, all1 - all0),
                problems=shared + problems,
            )
        return configs


def log_problems(proc: Proc) -> list[str]:
    text = proc.log_path.read_text(errors="replace")
    bad = [line for line in text.splitlines() if " ERROR " in line or "Traceback" in line]
    if not bad:
        return []
    return [f"{len(bad)} ERROR/traceback lines in the {proc.name} log, e.g. {bad[:2]}"]


def log_counts(proc: Proc) -> dict[str, int]:
    text = proc.log_path.read_text(errors="replace")
    return {
        "lines": len(text.splitlines()),
        "WARNING": text.count(" WARNING "),
        "notices dropped": text.count("a notice to a user was dropped"),
        "ERROR": text.count(" ERROR "),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.answer_latency",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rates", default="20,50", help="open-loop requests/s (20,50; '' none)")
    parser.add_argument(
        "--concurrency", default="10,50", help="closed-loop clients (10,50; '' none)"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds (10)")
    parser.add_argument(
        "--slices",
        type=int,
        default=5,
        help="open loop: the measured seconds in this many slices, the servers taking turns (5)",
    )
    parser.add_argument(
        "--warmup", type=float, default=1.0, help="open loop: unmeasured seconds first (1)"
    )
    parser.add_argument("--runs", type=int, default=2, help="runs of every configuration (2)")
    parser.add_argument(
        "--slack-latency-ms", type=float, default=100.0, help="the stand-in's latency (100)"
    )
    parser.add_argument("--kinds", default=",".join(KINDS), help="help,button,modal")
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=300.0,
        help="max seconds to wait for a configuration's answers (300)",
    )
    parser.add_argument(
        "--rate-scale",
        type=float,
        default=100.0,
        help="CLOSEDSET_SLACK_RATE_SCALE for closedset (default 100: unpaced against the "
        "stand-in, like the bare app)",
    )
    parser.add_argument(
        "--app",
        metavar="REV",
        help="run closedset (and seed) from bot/, handlers/, storage/ as committed at REV "
        "(e.g. HEAD) instead of the work tree",
    )
    parser.add_argument(
        "--server-path",
        metavar="DIR",
        help="put DIR first on closedset's PYTHONPATH (a sitecustomize.py there that probes or "
        "patches the server, for experiments)",
    )
    parser.add_argument(
        "--crowds", default="25,50", help="people clicking at once, per wave (25,50; '' none)"
    )
    parser.add_argument("--waves", type=int, default=5, help="waves per crowd (5)")
    parser.add_argument("--gap", type=float, default=2.0, help="s between waves (2)")
    parser.add_argument("--keep-logs", type=Path, help="copy the servers' logs to this folder")
    parser.add_argument(
        "--bare-threads",
        type=int,
        default=32,
        help="the bare app's answer pool (32, like closedset's worker; 256: as many answers in "
        "flight as a closed loop offers, what the stack can do when nothing else runs)",
    )
    args = parser.parse_args(argv)
    args.rate_list = [float(r) for r in args.rates.split(",") if r.strip()]
    args.concurrency_list = [int(c) for c in args.concurrency.split(",") if c.strip()]
    args.crowd_list = [int(c) for c in args.crowds.split(",") if c.strip()]
    args.kind_list = [k for k in args.kinds.split(",") if k]
    unknown = set(args.kind_list) - set(KINDS)
    if unknown or not args.kind_list:
        parser.error(f"--kinds: unknown {sorted(unknown)}; choose from {','.join(KINDS)}")
    return args


Results = dict[tuple[str, float, str], list[Config]]  # (phase, rate or c, server) -> runs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupted)  # so `finally` stops the children
    tmp = Path(tempfile.mkdtemp(prefix="closedset-answer-"))
    procs: list[Proc] = []
    env = child_env(args, tmp)
    from bot.crypto import generate_key

    secret, key = os.urandom(16).hex(), generate_key()
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    failures: list[str] = []
    try:
        standin = StandIn(tmp, args.slack_latency_ms, env)
        procs.append(standin.proc)
        ports = {name: free_port() for name in SERVERS}
        database_url = f"sqlite:///{tmp}/closedset.db"
        (tmp / "empty.env").write_text("")
        closedset_env = {
            **env,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": secret,
            "SLACK_API_URL": standin.api_url,
            "DATABASE_URL": database_url,
            "PORT": str(ports["closedset"]),
            "CLOSEDSET_ENCRYPTION_KEY": key,
            # The stand-in enforces no rate limits and the bare app paces nothing: compare the
            # request path, not Slack's limits (at Slack's published Tier 4, 100 views.open a
            # minute, a 20/s stream of modal clicks would queue behind the pacer).
            "CLOSEDSET_SLACK_RATE_SCALE": str(args.rate_scale),
            "HOST": "127.0.0.1",
        }
        if args.server_path:
            path = str(Path(args.server_path).resolve())
            closedset_env["PYTHONPATH"] = os.pathsep.join([path, env["PYTHONPATH"]])
        servers = {
            "closedset": Proc(
                "closedset",
                [str(VENV_BIN / "closedset"), "--env-file", str(tmp / "empty.env"), "serve"],
                closedset_env,
                tmp / "closedset.log",
            ),
            "bare": Proc(
                "bare",
                [
                    sys.executable,
                    "-m",
                    "bench.bare_app",
                    str(ports["bare"]),
                    secret,
                    standin.api_url,
                    str(args.bare_threads),
                ],
                env,
                tmp / "bare.log",
            ),
        }
        procs += servers.values()
        for name, proc in servers.items():
            wait_healthy(proc, ports[name])
        seeded = seed(database_url, key)
        bench = Bench(
            args,
            standin,
            servers,
            ports,
            {name: Requests(secret, ports[name], standin.base_url, seeded) for name in SERVERS},
        )

        # Smoke test: every kind, every server, a few requests, all checked.
        for name in SERVERS:
            for kind in args.kind_list:
                config = _smoke(bench, name, kind)
                problems = config.problems + log_problems(servers[name])
                if problems:
                    raise RuntimeError(
                        f"smoke test {name}/{kind} failed: {problems[:5]}\n"
                        f"{servers[name].log_tail()}"
                    )

        results: Results = {}
        plan: list[tuple[str, float, tuple[str, ...]]] = [
            ("open", rate, (kind,)) for rate in args.rate_list for kind in args.kind_list
        ]
        plan += [("closed", c, tuple(args.kind_list)) for c in args.concurrency_list]
        plan += [("crowd", size, tuple(args.kind_list)) for size in args.crowd_list]
        total, done, t0 = args.runs * len(plan) * len(SERVERS), 0, time.monotonic()
        for run in range(args.runs):
            order = SERVERS if run % 2 == 0 else SERVERS[::-1]
            for phase, x, kinds in plan:
                label = kinds[0] if phase == "open" else "+".join(kinds)
                # open loop: both servers in one configuration, taking turns; others: one each
                groups = [order] if phase == "open" else [[name] for name in order]
                for name, config in (
                    item
                    for group in groups
                    for item in bench.measure(group, phase, x, kinds).items()
                ):
                    problems = config.problems + log_problems(servers[name])
                    if not servers[name].alive():
                        problems.append(f"{name} died:\n{servers[name].log_tail()}")
                    done += 1
                    _progress(done, total, t0, run, name, phase, x, label, config)
                    slot = (f"open:{label}" if phase == "open" else phase, x, name)
                    results.setdefault(slot, []).append(config)
                    failures += [
                        f"run {run + 1} {name} {phase} {x:g} {label}: {p}" for p in problems
                    ]
        memory = {name: status_kib(proc.pid, "VmHWM") for name, proc in servers.items()}
        logs = {name: log_counts(proc) for name, proc in servers.items()}
        print(report(args, results, memory, logs, started, load_before))
    finally:
        for proc in reversed(procs):
            proc.stop()
        if args.keep_logs:
            args.keep_logs.mkdir(parents=True, exist_ok=True)
            for log in tmp.glob("*.log"):
                shutil.copy(log, args.keep_logs / log.name)
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"FAILED: {len(failures)} problem(s):", file=sys.stderr)
        print("\n".join(failures[:50]), file=sys.stderr)
        return 1
    return 0


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def child_env(args: argparse.Namespace, tmp: Path) -> dict[str, str]:
    """The environment the benchmark's children start from: this one without the app's own
    settings (`SLACK_*`, `CLOSEDSET_*`, `DATABASE_URL`, `PORT`), this checkout on PYTHONPATH;
    with `--app REV`, the app as committed at REV first, there and in this process (sets
    `args.app_commit`)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "CLOSEDSET_", "DATABASE_URL", "PORT"))
    }
    env["PYTHONPATH"] = str(REPO)
    if args.app:
        args.app_commit = _git("rev-parse", "--short", args.app)
        app = extract_app(args.app, tmp / "app")
        sys.path.insert(0, str(app))  # before anything here imports bot, handlers, storage
        env["PYTHONPATH"] = os.pathsep.join([str(app), str(REPO)])
    return env


def extract_app(rev: str, into: Path) -> Path:
    """The app's packages as committed at `rev` (`git archive`; the work tree is left alone),
    so a run measures a commit even while the shared work tree is being edited."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", rev, "bot", "handlers", "storage"],
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def _smoke(bench: Bench, name: str, kind: str) -> Config:
    saved = bench.args.seconds, bench.args.warmup, bench.args.slices
    bench.args.seconds, bench.args.warmup, bench.args.slices = 0.25, 0.0, 1
    try:
        return bench.measure([name], "open", 20, [kind])[name]
    finally:
        bench.args.seconds, bench.args.warmup, bench.args.slices = saved


def _progress(
    done: int,
    total: int,
    t0: float,
    run: int,
    name: str,
    phase: str,
    x: float,
    label: str,
    config: Config,
) -> None:
    parts = []
    for kind, r in config.kinds.items():
        parts.append(
            f"{kind}: ack p99 {r.p('ack', 0.99):.1f} answer p50 {r.p('answer', 0.5):.1f} "
            f"p99 {r.p('answer', 0.99):.1f} max {r.p('answer', 1.0):.1f} ms busy {r.busy}"
        )
    what = {"open": f"{x:g}/s", "closed": f"c={x:g}"}.get(phase, f"{x:g} at once")
    print(
        f"[{done}/{total} {time.monotonic() - t0:4.0f}s] run {run + 1} {name:9} {phase} {what} "
        f"{label}: {config.requests} req, drain {config.drain_s:.1f} s, cpu "
        f"{config.cpu_ms:.2f} ms/req, machine {config.busy_cpu:.0%} (others "
        f"{config.others_cpu:.0%}); "
        + "; ".join(parts)
        + (f"  PROBLEMS: {config.problems[:3]}" if config.problems else ""),
        file=sys.stderr,
        flush=True,
    )


# ---------------------------------------------------------------- report


def spread(values: Sequence[float], fmt: str = "{:.1f}") -> str:
    """`median (min–max)` over runs."""
    values = [v for v in values if v == v]
    if not values:
        return "–"
    mid = statistics.median(values)
    if len(values) == 1:
        return fmt.format(mid)
    return f"{fmt.format(mid)} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return out.stdout.rstrip()


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "?"


def report(
    args: argparse.Namespace,
    results: Results,
    memory: Mapping[str, int],
    logs: Mapping[str, Mapping[str, int]],
    started: datetime,
    load_before: tuple[float, float, float],
) -> str:
    if args.app:
        app = f"bot/, handlers/, storage/ as committed at {args.app} ({args.app_commit})"
    else:
        changed = _git("status", "--porcelain", "--", "bot", "handlers", "storage").splitlines()
        app = f"the work tree at {_git('rev-parse', '--short', 'HEAD')}" + (
            f", {len(changed)} files of bot/, handlers/, storage/ changed: "
            f"{', '.join(line[3:] for line in changed[:8])}{' …' if len(changed) > 8 else ''}"
            if changed
            else ""
        )
    out = [
        "## Time to answer: `closedset serve` vs a bare Bolt app (waitress 8 threads, pbr)",
        "",
        f"- started {started:%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs ({_cpu_model()}), "
        f"shared by the load generator, the stand-in and both servers (and by whatever else "
        f"ran: load average {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after); "
        f"Python {platform.python_version()}",
        f"- app: {app}",
        f"- {args.runs} run(s), servers alternating; open loop {args.warmup:g} s warm-up + "
        f"{args.seconds:g} s measured per kind and rate, in {args.slices} slices, the servers "
        f"taking turns; closed loop {args.seconds:g} s per "
        f"concurrency, kinds in turn; stand-in latency {args.slack_latency_ms:g} ms on every "
        "call",
        "- cells: median over runs (min–max); ms unless said",
        "",
        "### Open loop: time to answer (request sent -> answer at the stand-in)",
        "",
        "Send lag: how late the load generator sent on its schedule. Others' CPU: the share "
        "of both CPUs used by processes not of this benchmark during the load.",
        "",
        "| kind | rate/s | server | n | ack p50 | ack p99 | answer p50 | answer p99 | "
        "answer max | busy | send lag p99 | server CPU ms/req | others' CPU % |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    verdicts = [
        "",
        f"Target: answer p99 < {ANSWER_P99_MS:g} ms and within max({RATIO}x, +{SLACK_MS:g} ms) "
        "of the bare app's p99 in the same run.",
        "",
        "| kind | rate/s | closedset p99 per run | bare p99 per run | ratio per run | "
        "limit per run | p99 < 300 | within limit | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for rate in args.rate_list:
        for kind in args.kind_list:
            configs = {name: results.get((f"open:{kind}", rate, name), []) for name in SERVERS}
            runs = {name: [c.kinds[kind] for c in configs[name]] for name in SERVERS}
            for name in SERVERS:
                rs = runs[name]
                out.append(
                    f"| {kind} | {rate:g} | {name} | {spread([r.n for r in rs], '{:.0f}')} | "
                    f"{spread([r.p('ack', 0.5) for r in rs])} | "
                    f"{spread([r.p('ack', 0.99) for r in rs])} | "
                    f"{spread([r.p('answer', 0.5) for r in rs])} | "
                    f"{spread([r.p('answer', 0.99) for r in rs])} | "
                    f"{spread([r.p('answer', 1.0) for r in rs])} | "
                    f"{sum(r.busy for r in rs)} | {spread([pct(r.lag_ms, 0.99) for r in rs])} | "
                    f"{spread([c.cpu_ms for c in configs[name]], '{:.2f}')} | "
                    f"{spread([c.others_cpu * 100 for c in configs[name]], '{:.0f}')} |"
                )
            cs = [r.p("answer", 0.99) for r in runs["closedset"]]
            bare = [r.p("answer", 0.99) for r in runs["bare"]]
            limits = [max(RATIO * b, b + SLACK_MS) for b in bare]
            under = [c < ANSWER_P99_MS for c in cs]
            within = [c <= lim for c, lim in zip(cs, limits, strict=False)]
            met = sum(u and w for u, w in zip(under, within, strict=False))
            verdicts.append(
                f"| {kind} | {rate:g} | {_each(cs)} | {_each(bare)} | "
                f"{_each([c / b for c, b in zip(cs, bare, strict=False)], '{:.2f}x')} | "
                f"{_each(limits)} | {sum(under)}/{len(cs)} | {sum(within)}/{len(cs)} | "
                f"{'**met**' if cs and met == len(cs) else f'**missed** ({met}/{len(cs)} runs)'} |"
            )
    out += verdicts
    if args.concurrency_list:
        out += _bursts(
            results,
            "closed",
            args.concurrency_list,
            args.kind_list,
            "### Closed loop (a burst): acks, and answers under it",
            "Kinds in turn on each client.",
            "c",
        )
    if args.crowd_list:
        out += _bursts(
            results,
            "crowd",
            args.crowd_list,
            args.kind_list,
            "### A crowd (a realistic burst): people clicking at the same instant",
            f"{args.waves} waves {args.gap:g} s apart, each of that many different people at "
            "once, the kinds in turn. Target: every request acknowledged, ack p99 < "
            f"{ACK_P99_MS:g} ms, every click answered right within {MODAL_MS / 1000:g} s, none "
            "told busy.",
            "people",
        )
    out += [
        "",
        "| server | peak RSS (VmHWM) MiB | log lines | WARNING | notices dropped | ERROR |",
        "|---|---|---|---|---|---|",
    ]
    for name in SERVERS:
        log = logs.get(name, {})
        out.append(
            f"| {name} | {memory.get(name, 0) / 1024:.0f} | {log.get('lines', 0)} | "
            f"{log.get('WARNING', 0)} | {log.get('notices dropped', 0)} | {log.get('ERROR', 0)} |"
        )
    return "\n".join(out)


def _bursts(
    results: Results,
    phase: str,
    sizes: Sequence[int],
    kinds: Sequence[str],
    title: str,
    intro: str,
    x_label: str,
) -> list[str]:
    """The tables of a closed-loop or crowd phase: per server and kind, the totals, and the
    verdicts against the burst targets (for a crowd, every click answered within 3 s and
    none busy as well)."""
    out = [
        "",
        title,
        "",
        intro + " Answer: request sent -> its answer at the stand-in (busy answers not "
        "included); > 3 s counts requests not answered right within 3 s (busy ones included); "
        "failed: not acknowledged, or no (or a wrong) answer, summed over runs. Drain: end of "
        "the load -> last answer.",
        "",
        f"| {x_label} | server | kind | requests | not acked | ack p50 | ack p99 | ack max | "
        "busy | failed | answer p50 | answer p99 | answer max | > 3 s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    totals = [
        "",
        f"| {x_label} | server | req/s acked | drain s | server CPU ms/req | machine busy % | "
        "others' CPU % |",
        "|---|---|---|---|---|---|---|",
    ]
    crowd = phase == "crowd"
    verdicts = [
        "",
        f"Target: every request acknowledged, ack p99 < {ACK_P99_MS:g} ms, every "
        + (
            f"click answered right within {MODAL_MS / 1000:g} s, none told busy."
            if crowd
            else f"modal opened within {MODAL_MS / 1000:g} s."
        ),
        "",
        f"| {x_label} | kind | not acked | ack p99 per run | "
        + ("not answered within 3 s" if crowd else "modals not opened within 3 s")
        + " | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for x in sizes:
        for name in SERVERS:
            burst = results.get((phase, x, name), [])
            for kind in kinds:
                rs = [cf.kinds[kind] for cf in burst if kind in cf.kinds]
                out.append(
                    f"| {x} | {name} | {kind} | {spread([r.n for r in rs], '{:.0f}')} | "
                    f"{sum(r.n - len(r.acks_ms) for r in rs)} | "
                    f"{spread([r.p('ack', 0.5) for r in rs])} | "
                    f"{spread([r.p('ack', 0.99) for r in rs])} | "
                    f"{spread([r.p('ack', 1.0) for r in rs])} | "
                    f"{spread([r.busy for r in rs], '{:.0f}')} | "
                    f"{sum(r.failed for r in rs)} | "
                    f"{spread([r.p('answer', 0.5) for r in rs])} | "
                    f"{spread([r.p('answer', 0.99) for r in rs])} | "
                    f"{spread([r.p('answer', 1.0) for r in rs])} | "
                    f"{spread([r.over(MODAL_MS) for r in rs], '{:.0f}')} |"
                )
                if name != "closedset":
                    continue
                not_acked = sum(r.n - len(r.acks_ms) for r in rs)
                p99s = [r.p("ack", 0.99) for r in rs]
                late = [r.over(MODAL_MS) for r in rs] if crowd or kind == "modal" else []
                ok = rs and not not_acked and all(p < ACK_P99_MS for p in p99s) and not any(late)
                verdicts.append(
                    f"| {x} | {kind} | {not_acked} | {_each(p99s)} | "
                    f"{_each(late, '{:.0f}') if late else 'n/a'} | "
                    f"{'**met**' if ok else '**missed**'} |"
                )
            totals.append(
                f"| {x} | {name} | {spread([cf.rps() for cf in burst], '{:.0f}')} | "
                f"{spread([cf.drain_s for cf in burst])} | "
                f"{spread([cf.cpu_ms for cf in burst], '{:.2f}')} | "
                f"{spread([cf.busy_cpu * 100 for cf in burst], '{:.0f}')} | "
                f"{spread([cf.others_cpu * 100 for cf in burst], '{:.0f}')} |"
            )
    return out + totals + verdicts


def _each(values: Sequence[float], fmt: str = "{:.1f}") -> str:
    return ", ".join(fmt.format(v) for v in values) or "–"


if __name__ == "__main__":
    raise SystemExit(main())
