"""Time to ack and time to answer of signed Slack requests on `POST /slack/events`:
`closedset serve` against a bare Bolt app on the same stack (Bolt WSGI adapter + waitress,
process_before_response).

    .venv/bin/python -m bench.ack_latency                   # defaults: 3 runs x 5 s, c=1,10,50
    .venv/bin/python -m bench.ack_latency --seconds 2 --runs 1 --concurrency 10
    .venv/bin/python -m bench.ack_latency --switch-ms 5,1 --concurrency 10   # GIL interval
    .venv/bin/python -m bench.ack_latency --think-ms 200 --concurrency 10    # paced clients

Processes (each its own process group, all stopped at the end, also on errors):
  * the Slack stand-in (`bench.standin_server`): answers `auth.test` at start and records the
    `response_url` posts with their arrival time (`time.time()`); `--standin-nice 19` lowers
    its priority (real Slack takes none of this machine's CPU);
  * with `--pin CPUS` the servers run on those CPUs and everything else on the others;
  * `closedset serve` (the real entry point) on a fresh SQLite file, seeded with two
    productions (the benchmark user coordinates one with 14 scenes, assists on the other);
    with `--switch-ms A,B` one `closedset serve` per GIL switch interval instead
    (`bench.switch_serve`, each on its own database);
  * the bare app (`bench.bare_app`): listeners that only `ack()`;
  * with `--stacks`: the bare app under gunicorn gthread too, if gunicorn is importable.

Load: closed-loop clients in this process, one keep-alive HTTP/1.1 connection each; every
request is built and signed (timestamp now) just before it is sent, with a response_url
path of its own, and the ack clock runs from the first byte written to the last byte read.
`--client asyncio` (default: raw asyncio streams, one event loop) or `--client threads`
(`http.client`, one thread per client). `--think-ms` makes each client pause after an answer.
Per server x kind x concurrency: `--warmup` s unmeasured, then `--seconds` s measured;
latency = requests started in the window, req/s = requests completed in the window / window.
Configurations are interleaved (server order alternates per run) so drift hits both alike.

closedset acknowledges at once (empty body) and answers from its background executor through
the response_url, so after each configuration the benchmark waits (up to `--drain-timeout`)
until every request's post has arrived before the next configuration starts, and reports:
time to answer (request sent -> its post at the stand-in, wall clock on both sides, same
machine; requests started in the measured window) and the drain time (end of the load ->
last post).

Checks (the run fails, exit 1, on any): every answer is HTTP 200; closedset's acks have an
empty body; every closedset request that was acked produced exactly one `response_url` post,
with blocks, none an apology, help's with the seeded production's name, and no post went to
a response_url no request used; the bare app posted nothing; every configuration drained in
time; nothing logged at ERROR.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import itertools
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import IO, Any

from tests.signing import SlackSender
from tests.slack_standin import TEAM_ID

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
USER = "UBENCH0001"
PRODUCTION = "Night Shift"
ACTION_ID = "schedule_page_next"
KINDS = ("help", "button")
TARGET_P99_MS = 100.0
TARGET_RATIO = 1.5
REQUEST_TIMEOUT = 15.0
# pause of each client between an answer and its next request (--think-ms); 0 = closed loop
_think_s = 0.0

# A request builder returns the signed body, its headers and the request's response_url path
# (unique per request, so the stand-in's posts can be matched to the requests).
Build = Callable[[], tuple[bytes, Mapping[str, str], str]]
Check = Callable[[bytes], bool]


# ---------------------------------------------------------------- processes


class Proc:
    """A child in its own process group, output to a log file (stdin a pipe if asked)."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        log: Path,
        *,
        stdin_pipe: bool = False,
        stdout_pipe: bool = False,
        cpus: str = "",
    ) -> None:
        self.name = name
        if cpus:
            argv = ["taskset", "--cpu-list", cpus, *argv]  # the worker it spawns inherits it
        self.log_path = log
        self._log: IO[bytes] = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            argv,
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_pipe else self._log,
            stderr=self._log,
            start_new_session=True,
            text=stdout_pipe or stdin_pipe,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        try:
            if self.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGTERM)
                try:
                    self.popen.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.popen.pid, signal.SIGKILL)
                    self.popen.wait(timeout=5)
        finally:
            for stream in (self.popen.stdin, self.popen.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            self._log.close()

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class StandIn:
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
        line = self._readline(timeout=20)
        info = json.loads(line)
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
        result: dict[str, Any] = json.loads(self._readline(timeout=60))
        return result

    def drain(self, expected: int, timeout: float) -> bool:
        """Wait until at least `expected` response_url posts were recorded (or `timeout`)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.ask("count")["response_url"] >= expected:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(proc: Proc, port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited ({proc.popen.returncode}):\n{proc.log_tail()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
                last = str(resp.status)
        except OSError as error:
            last = repr(error)
        time.sleep(0.1)
    raise RuntimeError(f"{proc.name} not healthy after {timeout}s ({last}):\n{proc.log_tail()}")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (and its reaped children), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(x) for x in fields[11:15]) / ticks


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies over all CPUs from /proc/stat."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return total - idle, total


def rss_kib(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


# ---------------------------------------------------------------- seeding


def seed(database_url: str, key: str) -> int:
    """Two productions: USER coordinates 'Night Shift' (4 cast, 14 upcoming scenes, so the
    schedule has a second page) and is an AD on 'Day Shift'. Returns Night Shift's id."""
    from bot.crypto import Cipher
    from bot.setup import ProductionSetup
    from storage.db import make_engine, make_session_factory, session_scope
    from storage.models import CastEntry, Scene
    from storage.productions import save_setup
    from storage.secrets import seal

    engine = make_engine(database_url)
    try:
        factory = make_session_factory(engine, Cipher([key]))
        now = datetime.now(UTC).replace(microsecond=0)

        def setup(name: str, coordinators: tuple[str, ...], ads: tuple[str, ...]) -> Any:
            return ProductionSetup(
                name=name,
                zone="Europe/London",
                coordinators=coordinators,
                ads=ads,
                admins=("UADMIN0001",),
                ad_channel="C0TEST0001",
                lead=timedelta(hours=48),
                nudge=timedelta(hours=24),
                escalation=timedelta(hours=12),
                default_call=dtime(7, 0),
                intimacy_category=None,
            )

        with session_scope(factory) as session:
            night = save_setup(
                session,
                team_id=TEAM_ID,
                production=None,
                setup=setup(PRODUCTION, (USER,), ("UAD0000001",)),
                now=now,
            )
            save_setup(
                session,
                team_id=TEAM_ID,
                production=None,
                setup=setup("Day Shift", ("UCOORD0002",), (USER,)),
                now=now,
            )
            cast = [
                CastEntry(
                    production_id=night.id,
                    cast_number=str(n),
                    character=f"Role {n}",
                    performer_name=f"Performer {n}",
                    slack_user_id=f"UCAST000{n}",
                )
                for n in range(1, 5)
            ]
            session.add_all(cast)
            session.flush()
            for i in range(14):
                start = now + timedelta(days=1 + i // 2, hours=i % 2 * 4)
                session.add(
                    Scene(
                        production_id=night.id,
                        number=f"{10 + i}A",
                        shoot_date=start.date(),
                        start_at=start,
                        set_name=f"INT. FLAT {i}",
                        intimacy=i % 3 == 0,
                        planned_content_ct=seal(session, "kiss" if i % 3 == 0 else None),
                        synopsis_ct=seal(session, f"Scene {i} synopsis"),
                        cast=cast[: 1 + i % 4],
                        created_at=now,
                        updated_at=now,
                    )
                )
            production_id = night.id
        return production_id
    finally:
        engine.dispose()


# ---------------------------------------------------------------- requests


class _Capture(SlackSender):
    """SlackSender that returns the signed (body, headers) instead of posting them."""

    def _post(self, body: bytes, headers: Mapping[str, str]) -> Any:
        return body, dict(headers)


def _captured(response: Any) -> tuple[bytes, Mapping[str, str]]:
    body, headers = response  # what _Capture._post returned
    return body, headers


_request_ids = itertools.count(1)


def builders(secret: str, response_base: str, production_id: int) -> dict[str, Build]:
    """Every request gets its own response_url path, `/<kind>/<team>/bench-<n>/<pid>`."""
    from bot.meta import pack

    sender = _Capture("http://unused", secret, response_base=response_base)
    value = pack("page", p=production_id, o=0)
    base = response_base.rstrip("/")
    pid = os.getpid()

    def path(kind: str) -> str:
        return f"/{kind}/{TEAM_ID}/bench-{next(_request_ids)}/{pid}"

    def help_request() -> tuple[bytes, Mapping[str, str], str]:
        key = path("commands")
        body, headers = _captured(sender.command("help", user_id=USER, response_url=base + key))
        return body, headers, key

    def button_request() -> tuple[bytes, Mapping[str, str], str]:
        key = path("actions")
        body, headers = _captured(
            sender.block_action(
                user_id=USER, action_id=ACTION_ID, value=value, response_url=base + key
            )
        )
        return body, headers, key

    return {"help": help_request, "button": button_request}


def raw_request(port: int, body: bytes, headers: Mapping[str, str]) -> bytes:
    head = [
        "POST /slack/events HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        f"Content-Length: {len(body)}",
    ]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


# ---------------------------------------------------------------- load generators


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # started in the window (seconds)
    completed_in_window: int = 0
    ok: int = 0  # every 200 answer, warm-up included
    errors: list[str] = field(default_factory=list)
    bad_bodies: int = 0
    # response_url path -> (time.time() when sent, started in the measured window), for every
    # request answered 200 (warm-up included)
    sent: dict[str, tuple[float, bool]] = field(default_factory=dict)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            parts.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(p[:-2] for p in parts)
    else:
        body = await reader.read()
        return status, body, True
    close = headers.get("connection", "").lower() == "close"
    return status, body, close


async def _async_client(
    port: int, build: Build, check: Check, t_warm: float, t_end: float, tally: Tally
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while True:
            body, headers, key = build()
            data = raw_request(port, body, headers)
            t0 = time.perf_counter()
            w0 = time.time()
            if t0 >= t_end:
                break
            try:
                writer.write(data)
                status, rbody, close = await asyncio.wait_for(
                    _read_response(reader), REQUEST_TIMEOUT
                )
            except (TimeoutError, OSError, asyncio.IncompleteReadError) as error:
                tally.errors.append(f"{type(error).__name__}: {error}")
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            t1 = time.perf_counter()
            _count(tally, status, rbody, check, t0, t1, t_warm, t_end, key, w0)
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            if _think_s:
                await asyncio.sleep(_think_s)
    finally:
        writer.close()


def _count(
    tally: Tally,
    status: int,
    body: bytes,
    check: Check,
    t0: float,
    t1: float,
    t_warm: float,
    t_end: float,
    key: str,
    w0: float,
) -> None:
    if status != 200:
        tally.errors.append(f"HTTP {status}: {body[:200]!r}")
    else:
        tally.ok += 1
        tally.sent[key] = (w0, t0 >= t_warm)
        if not check(body):
            tally.bad_bodies += 1
    if t0 >= t_warm:
        tally.latencies.append(t1 - t0)
        if t1 <= t_end:
            tally.completed_in_window += 1


def load_asyncio(
    port: int, build: Build, check: Check, clients: int, warmup: float, seconds: float
) -> Tally:
    tally = Tally()

    async def run() -> None:
        start = time.perf_counter()
        t_warm, t_end = start + warmup, start + warmup + seconds
        await asyncio.gather(
            *(_async_client(port, build, check, t_warm, t_end, tally) for _ in range(clients))
        )

    asyncio.run(run())
    return tally


def load_threads(
    port: int, build: Build, check: Check, clients: int, warmup: float, seconds: float
) -> Tally:
    tally = Tally()
    lock = threading.Lock()
    start = time.perf_counter()
    t_warm, t_end = start + warmup, start + warmup + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        try:
            while True:
                body, headers, key = build()
                hdrs = {**headers, "Content-Length": str(len(body))}
                t0 = time.perf_counter()
                w0 = time.time()
                if t0 >= t_end:
                    break
                try:
                    conn.request("POST", "/slack/events", body=body, headers=hdrs)
                    resp = conn.getresponse()
                    rbody = resp.read()
                    status = resp.status
                except (OSError, http.client.HTTPException) as error:
                    with lock:
                        tally.errors.append(f"{type(error).__name__}: {error}")
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
                    continue
                t1 = time.perf_counter()
                with lock:
                    _count(tally, status, rbody, check, t0, t1, t_warm, t_end, key, w0)
                if _think_s:
                    time.sleep(_think_s)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(warmup + seconds + REQUEST_TIMEOUT + 30)
    if any(t.is_alive() for t in threads):
        tally.errors.append("a client thread did not finish")
    return tally


LOADERS = {"asyncio": load_asyncio, "threads": load_threads}


# ---------------------------------------------------------------- statistics


def pct(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 1))))
    return sorted_values[rank - 1]


@dataclass
class RunResult:
    p50: float
    p99: float
    rps: float
    n: int
    errors: int
    cpu_ms: float  # server CPU per request (warm-up and background work until drained included)
    busy: float  # machine CPU busy fraction during the load (drain excluded)
    # closedset only (nan for the bare app): time to answer = request sent -> its response_url
    # post arrived at the stand-in, for requests started in the measured window
    ans_p50: float = float("nan")
    ans_p99: float = float("nan")
    drain_s: float = 0.0  # end of the load -> last response_url post arrived
    answers_per_s: float = float("nan")  # posts / (first request sent -> last post arrived)
    drained: bool = True


def summarize(tally: Tally, seconds: float, cpu_s: float, busy: float) -> RunResult:
    lat = sorted(x * 1000 for x in tally.latencies)
    requests = tally.ok + len(tally.errors)
    return RunResult(
        pct(lat, 0.50),
        pct(lat, 0.99),
        tally.completed_in_window / seconds,
        len(lat),
        len(tally.errors) + tally.bad_bodies,
        cpu_s * 1000 / requests if requests else float("nan"),
        busy,
    )


def med_range(values: list[float], fmt: str = "{:.2f}") -> str:
    if not values:
        return "-"
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(min(values))}–{fmt.format(max(values))})"


# ---------------------------------------------------------------- answers


@dataclass
class Answers:
    """The response_url posts of one configuration, matched to its requests."""

    latencies_ms: list[float]  # measured-window requests: sent -> post arrived
    posts: int
    last_arrival: float  # time.time(); 0 if no post
    problems: list[str]


def match_posts(tally: Tally, data: dict[str, Any], *, expect: bool, need_name: bool) -> Answers:
    """Every 200 request must have produced exactly one post with blocks (with the production's
    name if `need_name`), none an apology; no post may belong to no request. With `expect`
    false (the bare app) there must be no post at all."""
    posts = data["posts"]
    by_path: dict[str, list[list[Any]]] = {}
    for post in posts:
        by_path.setdefault(post[0], []).append(post)
    problems: list[str] = []
    if data.get("standin_errors"):
        problems.append(f"stand-in errors: {data['standin_errors'][:3]}")
    if not expect:
        if posts:
            problems.append(f"{len(posts)} response_url posts, expected none")
        return Answers([], len(posts), 0.0, problems)
    missing = [k for k in tally.sent if k not in by_path]
    unknown = [k for k in by_path if k not in tally.sent]
    dupes = sum(1 for v in by_path.values() if len(v) > 1)
    no_blocks = sum(1 for p in posts if not p[2])
    apologies = sum(1 for p in posts if p[3])
    nameless = sum(1 for p in posts if p[2] and not p[4]) if need_name else 0
    for count, what in (
        (len(missing), f"requests without a response_url post (e.g. {missing[:2]})"),
        (len(unknown), f"posts to a response_url no request used (e.g. {unknown[:2]})"),
        (dupes, "requests with more than one post"),
        (no_blocks, "posts without blocks"),
        (apologies, "apologies ('something went wrong') posted"),
        (nameless, f"help posts without the production name {PRODUCTION!r}"),
    ):
        if count:
            problems.append(f"{count} {what}")
    latencies = [
        (by_path[key][0][1] - sent_at) * 1000
        for key, (sent_at, measured) in tally.sent.items()
        if measured and key in by_path
    ]
    last = max((p[1] for p in posts), default=0.0)
    return Answers(latencies, len(posts), last, problems)


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ack_latency",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds (5)")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds (1)")
    parser.add_argument("--runs", type=int, default=3, help="runs of every configuration (3)")
    parser.add_argument("--concurrency", default="1,10,50", help="client counts (1,10,50)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="help,button")
    parser.add_argument("--client", choices=sorted(LOADERS), default="asyncio")
    parser.add_argument(
        "--stacks", action="store_true", help="also bare Bolt under gunicorn gthread, if importable"
    )
    parser.add_argument(
        "--slack-latency-ms",
        type=float,
        default=0.0,
        help="delay the stand-in's response_url answers (model real Slack)",
    )
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="each client pauses this long after an answer before its next request "
        "(default 0: closed loop at full speed); caps the offered load at about c / think",
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=600.0,
        help="after each configuration, wait at most this long for all its response_url "
        "posts before the next one (600 s: a closed loop of 4 s can leave ~20,000 answers, "
        "which take the worker a minute or two)",
    )
    parser.add_argument(
        "--switch-ms",
        default="",
        help="instead of the `closedset` script, run `closedset serve` once per GIL switch "
        "interval in this list (ms, e.g. 5,1) via bench.switch_serve, each on its own database",
    )
    parser.add_argument(
        "--pin",
        default="",
        metavar="CPUS",
        help="run the servers on these CPUs only (taskset list, e.g. 0) and this load "
        "generator and the stand-in on the others: the server measured alone on its CPU, as "
        "in production where the load (Slack) comes from elsewhere. Default: all share all "
        "CPUs, as in ../shared/BOLT-BASELINE.md",
    )
    parser.add_argument(
        "--standin-nice",
        type=int,
        default=0,
        help="run the Slack stand-in at this niceness, its autogroup's too (0, the default, "
        "as in ../shared/BOLT-BASELINE.md: an equal competitor for the CPUs; 19: it gets "
        "them only when the rest leave some, as real Slack takes none of this machine's)",
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="finish all configurations even after errors (still exit 1)",
    )
    return parser.parse_args(argv)


def lower_priority(pid: int, nice: int) -> None:
    """Renice `pid` and, where the kernel groups each session for fairness (autogroup, on by
    default on desktop and many server kernels), its session's group too: across sessions
    only the group's niceness counts, so a plain renice would change nothing here (each
    child runs in a session of its own)."""
    if nice <= 0:
        return
    os.setpriority(os.PRIO_PROCESS, pid, nice)
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))


def parse_cpus(text: str) -> set[int]:
    """A taskset-style list: `0`, `0,2`, `0-1`."""
    cpus: set[int] = set()
    for part in text.split(","):
        low, _, high = part.partition("-")
        cpus.update(range(int(low), int(high or low) + 1))
    return cpus


def gunicorn_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("gunicorn") is not None


def is_closedset(name: str) -> bool:
    return name.startswith("closedset")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    concurrency = [int(c) for c in args.concurrency.split(",")]
    kinds = [k for k in args.kinds.split(",") if k]
    for kind in kinds:
        if kind not in KINDS:
            raise SystemExit(f"unknown kind {kind!r}")
    switch_ms = [float(x) for x in args.switch_ms.split(",") if x]
    if args.pin:
        servers_cpus = parse_cpus(args.pin)
        world = set(os.sched_getaffinity(0)) - servers_cpus
        if not world or not servers_cpus <= set(os.sched_getaffinity(0)):
            raise SystemExit(
                f"--pin {args.pin}: leaves no CPU for the load, or names a CPU not here"
            )
        os.sched_setaffinity(0, world)  # this process and the stand-in it starts
    global _think_s
    _think_s = args.think_ms / 1000
    from bot.crypto import generate_key

    tmp = Path(tempfile.mkdtemp(prefix="closedset-bench-"))
    procs: list[Proc] = []
    base_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "CLOSEDSET_", "DATABASE_URL", "PORT"))
    }
    # BENCH_EXTRA_PATH: more import paths for the servers, e.g. a sitecustomize that probes.
    base_env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO), os.environ.get("BENCH_EXTRA_PATH")])
    )
    secret = os.urandom(16).hex()
    key = generate_key()
    started = datetime.now(UTC)
    failures: list[str] = []
    try:
        standin = StandIn(tmp, args.slack_latency_ms, base_env)
        lower_priority(standin.proc.pid, args.standin_nice)
        procs.append(standin.proc)

        (tmp / "empty.env").write_text("")
        ports: dict[str, int] = {}
        servers: dict[str, Proc] = {}
        db_urls: dict[str, str] = {}

        variants: list[tuple[str, list[str]]] = (
            [
                (
                    f"closedset@{ms:g}ms",
                    [sys.executable, "-m", "bench.switch_serve", f"{ms:g}"],
                )
                for ms in switch_ms
            ]
            if switch_ms
            else [("closedset", [str(VENV_BIN / "closedset")])]
        )
        for name, command in variants:
            ports[name] = free_port()
            db_urls[name] = f"sqlite:///{tmp}/{name.replace('@', '-')}.db"
            cs_env = {
                **base_env,
                "SLACK_BOT_TOKEN": "xoxb-test",
                "SLACK_SIGNING_SECRET": secret,
                "SLACK_API_URL": standin.api_url,
                "DATABASE_URL": db_urls[name],
                "PORT": str(ports[name]),
                "CLOSEDSET_ENCRYPTION_KEY": key,
            }
            servers[name] = Proc(
                name,
                [*command, "--env-file", str(tmp / "empty.env"), "serve"],
                cs_env,
                tmp / f"{name}.log",
                cpus=args.pin,
            )
            procs.append(servers[name])

        ports["bare"] = free_port()
        servers["bare"] = Proc(
            "bare",
            [sys.executable, "-m", "bench.bare_app", str(ports["bare"]), secret, standin.api_url],
            base_env,
            tmp / "bare.log",
            cpus=args.pin,
        )
        procs.append(servers["bare"])

        if args.stacks:
            if gunicorn_available():
                ports["bare-gunicorn"] = free_port()
                servers["bare-gunicorn"] = Proc(
                    "bare-gunicorn",
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "-k",
                        "gthread",
                        "-w",
                        "2",
                        "--threads",
                        "16",
                        "-b",
                        f"127.0.0.1:{ports['bare-gunicorn']}",
                        "bench.bare_app:make_wsgi()",
                    ],
                    {**base_env, "BARE_SECRET": secret, "BARE_API_URL": standin.api_url},
                    tmp / "gunicorn.log",
                    cpus=args.pin,
                )
                procs.append(servers["bare-gunicorn"])
            else:
                print(
                    "--stacks: gunicorn is not importable in this environment; skipping the "
                    "gunicorn gthread stack (it is deliberately not a project dependency).",
                    file=sys.stderr,
                )

        for name, proc in servers.items():
            wait_healthy(proc, ports[name])
        builds: dict[str, dict[str, Build]] = {}
        bare_build: dict[str, Build] | None = None
        for name in servers:
            if is_closedset(name):
                builds[name] = builders(secret, standin.base_url, seed(db_urls[name], key))
            else:
                bare_build = bare_build or builders(secret, standin.base_url, 1)
                builds[name] = bare_build
        loader = LOADERS[args.client]

        def check_for(name: str) -> Check:
            # closedset acknowledges with an empty body; the answer goes to the response_url
            return _empty if is_closedset(name) else _any

        def measure(
            name: str, kind: str, c: int, warmup: float, seconds: float
        ) -> tuple[Tally, RunResult, list[str]]:
            """One configuration: load, then wait for its response_url posts, then check."""
            standin.ask("clear")
            cpu0, (busy0, all0) = cpu_seconds(servers[name].pid), machine_busy()
            w_start = time.time()
            tally = loader(ports[name], builds[name][kind], check_for(name), c, warmup, seconds)
            w_end = time.time()
            busy1, all1 = machine_busy()
            expect = is_closedset(name)
            drained = standin.drain(len(tally.sent), args.drain_timeout) if expect else True
            if not expect:
                time.sleep(0.05)  # a stray post from the bare app would show here
            cpu1 = cpu_seconds(servers[name].pid)
            answers = match_posts(
                tally, standin.ask("posts"), expect=expect, need_name=kind == "help"
            )
            standin.ask("clear")
            res = summarize(tally, seconds, cpu1 - cpu0, (busy1 - busy0) / max(1, all1 - all0))
            if expect:
                lat = sorted(answers.latencies_ms)
                res.ans_p50, res.ans_p99 = pct(lat, 0.50), pct(lat, 0.99)
                res.drained = drained
                res.drain_s = (
                    max(0.0, answers.last_arrival - w_end) if drained else args.drain_timeout
                )
                if answers.posts and answers.last_arrival > w_start:
                    res.answers_per_s = answers.posts / (answers.last_arrival - w_start)
            problems = list(answers.problems)
            if not drained:
                problems.insert(
                    0,
                    f"not drained: {answers.posts} of {len(tally.sent)} response_url posts "
                    f"after {args.drain_timeout:g} s",
                )
            return tally, res, problems

        # Smoke test: a few requests of every kind to every server, checked.
        for name in servers:
            for kind in kinds:
                tally, _, problems = measure(name, kind, 1, 0.0, 0.05)
                problems += _problems(name, tally, servers[name])
                if problems or not tally.ok:
                    raise RuntimeError(
                        f"smoke test {name}/{kind} failed: {problems} (ok {tally.ok})\n"
                        f"{servers[name].log_tail()}"
                    )

        results: dict[tuple[str, str, int], list[RunResult]] = {}
        order = list(servers)
        total = args.runs * len(concurrency) * len(kinds) * len(order)
        done = 0
        t_bench = time.monotonic()
        for run in range(args.runs):
            for c in concurrency:
                for kind in kinds:
                    for name in order if run % 2 == 0 else order[::-1]:
                        tally, res, problems = measure(name, kind, c, args.warmup, args.seconds)
                        results.setdefault((name, kind, c), []).append(res)
                        done += 1
                        answer = (
                            f"  answer p50 {res.ans_p50:7.2f} p99 {res.ans_p99:8.2f} ms drain "
                            f"{res.drain_s:5.2f} s"
                            if is_closedset(name)
                            else ""
                        )
                        print(
                            f"[{done}/{total} {time.monotonic() - t_bench:5.0f}s] run {run + 1} "
                            f"{name:9} {kind:6} c={c:<3} p50 {res.p50:7.2f} ms  p99 "
                            f"{res.p99:7.2f} ms  {res.rps:7.0f} req/s  n={res.n} "
                            f"errors={res.errors} cpu {res.cpu_ms:.2f} ms/req busy "
                            f"{res.busy:.0%}{answer}",
                            file=sys.stderr,
                            flush=True,
                        )
                        problems += _problems(name, tally, servers[name])
                        if problems:
                            failures.extend(
                                f"run {run + 1} {name}/{kind}/c={c}: {p}" for p in problems
                            )
                            print("\n".join(failures[-len(problems) :]), file=sys.stderr)
                            if not args.keep_going:
                                raise _Abort()
        rss = {name: rss_kib(proc.pid) for name, proc in servers.items()}
        logs = {name: _log_summary(proc) for name, proc in servers.items()}
        print(report(args, results, rss, logs, servers, kinds, concurrency, started))
    except _Abort:
        print("\nABORTED after errors (use --keep-going to collect everything):", file=sys.stderr)
        for proc in procs[1:]:
            print(f"--- {proc.name} log tail ---\n{proc.log_tail()}", file=sys.stderr)
    finally:
        for proc in reversed(procs):
            proc.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"FAILED: {len(failures)} problem(s):\n" + "\n".join(failures), file=sys.stderr)
        return 1
    return 0


class _Abort(Exception):
    pass


def _any(body: bytes) -> bool:
    return True


def _empty(body: bytes) -> bool:
    return body == b""


def _problems(name: str, tally: Tally, proc: Proc) -> list[str]:
    out = []
    if tally.errors:
        out.append(f"{len(tally.errors)} failed requests, e.g. {tally.errors[:3]}")
    if tally.bad_bodies:
        out.append(
            f"{tally.bad_bodies} acks with a non-empty body"
            if is_closedset(name)
            else f"{tally.bad_bodies} answers without the expected content"
        )
    if not proc.alive():
        out.append(f"{name} died:\n{proc.log_tail()}")
    errors = [
        line
        for line in proc.log_path.read_text(errors="replace").splitlines()
        if " ERROR " in line or "Traceback" in line
    ]
    if errors:
        out.append(f"{len(errors)} ERROR lines in the {name} log, e.g. {errors[:2]}")
    return out


def _log_summary(proc: Proc) -> dict[str, int]:
    text = proc.log_path.read_text(errors="replace")
    return {
        "lines": len(text.splitlines()),
        "task queue depth warnings": text.count("Task queue depth"),
        "ERROR": text.count(" ERROR "),
    }


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return out.stdout.strip() or "?"


def _git_dirty() -> str:
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    lines = out.splitlines()
    return ", ".join(
        line[3:] for line in lines if line != "?" and not line[3:].startswith("bench/")
    )


def report(
    args: argparse.Namespace,
    results: dict[tuple[str, str, int], list[RunResult]],
    rss: dict[str, dict[str, int]],
    logs: dict[str, dict[str, int]],
    servers: Mapping[str, Proc],
    kinds: list[str],
    concurrency: list[int],
    started: datetime,
) -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    variants = [name for name in servers if is_closedset(name)]
    out = [
        "## ack latency: `closedset serve` vs bare Bolt (waitress, pbr)",
        "",
        f"- started {started:%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs ({cpu}); Python "
        f"{platform.python_version()}; client `{args.client}`; {args.runs} runs x "
        f"{args.seconds:g} s (+{args.warmup:g} s warm-up); stand-in response_url latency "
        f"{args.slack_latency_ms:g} ms, niceness {args.standin_nice}; servers on CPUs "
        f"{args.pin or 'all (shared)'}; think time "
        f"{args.think_ms:g} ms; load average after "
        "the run "
        f"{os.getloadavg()[0]:.2f}",
        f"- app: commit {_git('rev-parse', '--short', 'HEAD')}; files changed outside bench/: "
        f"{_git_dirty() or 'none'}",
        "- cells: median of the runs (min–max over runs); latency in ms; errors summed; "
        "server CPU = utime+stime of the server process per request, warm-up and the "
        "background work until drained included; machine busy = all CPUs during the load, "
        "load generator and stand-in included",
        "",
        "### Time to ack (the HTTP answer)",
        "",
        "| kind | c | server | p50 ms | p99 ms | req/s | errors | server CPU ms/req | "
        "machine busy |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind in kinds:
        for c in concurrency:
            for name in servers:
                runs = results.get((name, kind, c), [])
                out.append(
                    f"| {kind} | {c} | {name} | {med_range([r.p50 for r in runs])} | "
                    f"{med_range([r.p99 for r in runs])} | "
                    f"{med_range([r.rps for r in runs], '{:.0f}')} | "
                    f"{sum(r.errors for r in runs)} | "
                    f"{med_range([r.cpu_ms for r in runs])} | "
                    f"{statistics.median([r.busy for r in runs]) if runs else 0:.0%} |"
                )
    out += [
        "",
        f"Ratios {' and '.join(variants)} / bare (per run, same run; median (min–max)). "
        f"Target: p99 < {TARGET_P99_MS:g} ms at c=10 and within {TARGET_RATIO}x of the bare app.",
        "",
        "| kind | c | server | p50 ratio | p99 ratio | p99 < 100 ms | p50 and p99 within 1.5x |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in kinds:
        for c in concurrency:
            bare = results.get(("bare", kind, c), [])
            for name in variants:
                cs = results.get((name, kind, c), [])
                r50 = [a.p50 / b.p50 for a, b in zip(cs, bare, strict=False)]
                r99 = [a.p99 / b.p99 for a, b in zip(cs, bare, strict=False)]
                p99 = statistics.median([r.p99 for r in cs]) if cs else float("nan")
                within = (
                    bool(r50)
                    and statistics.median(r50) <= TARGET_RATIO
                    and statistics.median(r99) <= TARGET_RATIO
                )
                out.append(
                    f"| {kind} | {c} | {name} | {med_range(r50)} | {med_range(r99)} | "
                    f"{'yes' if p99 < TARGET_P99_MS else 'NO'} | {'yes' if within else 'NO'} |"
                )
    if 10 in concurrency:
        out += [
            "",
            "Target at c=10, run by run:",
            "",
            "| kind | server | run | p99 ms | bare p99 ms | p50 ratio | p99 ratio | met |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for kind in kinds:
            bare = results.get(("bare", kind, 10), [])
            for name in variants:
                for i, (a, b) in enumerate(
                    zip(results.get((name, kind, 10), []), bare, strict=False)
                ):
                    met = (
                        a.p99 < TARGET_P99_MS
                        and a.p50 / b.p50 <= TARGET_RATIO
                        and a.p99 / b.p99 <= TARGET_RATIO
                    )
                    out.append(
                        f"| {kind} | {name} | {i + 1} | {a.p99:.2f} | {b.p99:.2f} | "
                        f"{a.p50 / b.p50:.2f} | {a.p99 / b.p99:.2f} | {'yes' if met else 'NO'} |"
                    )
    out += [
        "",
        "### Time to answer (request sent -> its response_url post at the stand-in)",
        "",
        "Drain: from the end of the load to the last response_url post of the configuration "
        "(the next configuration starts only after it). Answers/s: posts / (first request "
        "-> last post).",
        "",
        "| kind | c | server | answer p50 ms | answer p99 ms | drain s | answers/s | drained |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind in kinds:
        for c in concurrency:
            for name in variants:
                runs = results.get((name, kind, c), [])
                out.append(
                    f"| {kind} | {c} | {name} | {med_range([r.ans_p50 for r in runs])} | "
                    f"{med_range([r.ans_p99 for r in runs])} | "
                    f"{med_range([r.drain_s for r in runs])} | "
                    f"{med_range([r.answers_per_s for r in runs], '{:.0f}')} | "
                    f"{sum(r.drained for r in runs)}/{len(runs)} |"
                )
    out += [
        "",
        "| server | pid | VmRSS MiB | VmHWM (peak) MiB | threads | log lines | "
        "'Task queue depth' warnings |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, proc in servers.items():
        mem = rss.get(name, {})
        out.append(
            f"| {name} | {proc.pid} | {mem.get('VmRSS', 0) / 1024:.1f} | "
            f"{mem.get('VmHWM', 0) / 1024:.1f} | {mem.get('Threads', '?')} | "
            f"{logs[name]['lines']} | {logs[name]['task queue depth warnings']} |"
        )
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
