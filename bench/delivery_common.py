"""What the delivery benchmarks (`bench.delivery_fanout`, `bench.delivery_scale`) share: a
throw-away database (a SQLite file, or a PostgreSQL database created for the run and dropped
after it), the real `closedset serve` as a child process, the Slack stand-in in this process,
and readings of a process tree from /proc.

The stand-in runs on a thread of the benchmark process: while a run is measured this process
only polls a counter every few tens of milliseconds, so it takes little from the app. Arrival
times are the stand-in's `Call.time` (`time.time()` when the request was read), compared with
due times stored by the seeding code of the same process: one clock.
"""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from bench.procs import Proc, free_port
from bot.config import normalize_database_url
from storage.db import make_engine, upgrade
from tests.support.slack_standin import Call, SlackStandIn

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


# ---------------------------------------------------------------- databases


@dataclass
class BenchDatabase:
    """A database migrated to head: `url` for `DATABASE_URL`, `engine` for seeding/reading."""

    kind: str
    url: str
    engine: Engine
    _drop: Any = None

    def close(self) -> None:
        self.engine.dispose()
        if self._drop is not None:
            self._drop()


@contextlib.contextmanager
def bench_database(kind: str, tmp: Path, pg_url: str = DEFAULT_PG) -> Iterator[BenchDatabase]:
    """A fresh SQLite file in `tmp`, or a fresh PostgreSQL database next to `pg_url`'s
    (created here, dropped on exit, errors included)."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        db = BenchDatabase(kind, url, make_engine(url))
    elif kind == "postgresql":
        admin_url = normalize_database_url(pg_url)
        name = f"closedset_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        base = admin_url.rsplit("/", 1)[0]
        url = f"{base}/{name}"

        def drop() -> None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        db = BenchDatabase(kind, url, make_engine(url), drop)
    else:
        raise ValueError(f"unknown database kind {kind!r}")
    try:
        upgrade(db.engine)
        yield db
    finally:
        db.close()


# ---------------------------------------------------------------- the stand-in


class SlowStandIn(SlackStandIn):
    """The stand-in, with every `chat.postMessage` answered `latency_s` late (the local
    stand-in answers in well under a millisecond; Slack does not). The call's arrival time
    (`Call.time`) is taken before the delay."""

    def __init__(self, latency_s: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.latency_s = latency_s

    def _api(self, call: Call) -> tuple[int, dict[str, str], dict[str, Any]]:
        answer = super()._api(call)
        if self.latency_s > 0 and call.method == "chat.postMessage":
            time.sleep(self.latency_s)
        return answer


# ---------------------------------------------------------------- the app


def serve_env(
    standin: SlackStandIn, database_url: str, port: int, key: str, **extra: str
) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "CLOSEDSET_", "DATABASE_URL", "PORT"))
    }
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=os.urandom(16).hex(),
        SLACK_API_URL=standin.api_url,
        DATABASE_URL=database_url,
        PORT=str(port),
        CLOSEDSET_ENCRYPTION_KEY=key,
    )
    env.update(extra)
    return env


@dataclass
class Serve:
    proc: Proc
    port: int
    started: float  # time.monotonic() just before the process was started
    ready_after: float = float("nan")  # seconds from start to the first /healthz 200


def start_serve(env: dict[str, str], tmp: Path, name: str = "serve") -> Serve:
    """`closedset serve` (the installed entry point) in its own process group."""
    empty = tmp / "empty.env"
    empty.write_text("")
    port = int(env["PORT"])
    started = time.monotonic()
    proc = Proc(
        name,
        [str(VENV_BIN / "closedset"), "--env-file", str(empty), "serve"],
        env,
        tmp / f"{name}.log",
    )
    return Serve(proc, port, started)


def wait_ready(serve: Serve, timeout: float = 60.0, poll: float = 0.02) -> float:
    """Poll `/healthz` until it answers 200; returns (and records) seconds since start."""
    deadline = serve.started + timeout
    last = ""
    while time.monotonic() < deadline:
        if not serve.proc.alive():
            raise RuntimeError(f"serve exited:\n{serve.proc.log_tail()}")
        try:
            url = f"http://127.0.0.1:{serve.port}/healthz"
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    serve.ready_after = time.monotonic() - serve.started
                    return serve.ready_after
        except OSError as error:
            last = repr(error)
        time.sleep(poll)
    raise RuntimeError(f"serve not ready after {timeout}s ({last}):\n{serve.proc.log_tail()}")


def log_levels(serve: Serve) -> dict[str, int]:
    """How many lines of the serve log (web process and worker) are WARNING / ERROR."""
    try:
        lines = serve.proc.log_path.read_text(errors="replace").splitlines()
    except OSError:
        return {}
    return {
        level: sum(1 for line in lines if f" {level} " in line or line.startswith(level))
        for level in ("WARNING", "ERROR", "CRITICAL")
    }


# ---------------------------------------------------------------- /proc


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (the worker, multiprocessing helpers)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                todo.extend(int(c) for c in children)
    return out


def status_kib(pid: int, field: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key == field:
                return int(value.split()[0])
    return 0


def tree_rss_kib(pid: int) -> dict[int, int]:
    return {p: status_kib(p, "VmRSS") for p in descendants(pid)}


def cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        raw = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        return raw.strip()
    return "?"


def tree_cpu_seconds(pid: int) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in descendants(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def machine_busy() -> tuple[int, int]:
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return total - idle, total


# ---------------------------------------------------------------- reporting


def accepted_posts(standin: SlackStandIn) -> list[Call]:
    return [c for c in standin.calls("chat.postMessage") if c.status == 200 and c.ok]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    """`median (min–max)` over runs."""
    if not values:
        return "–"
    mid = statistics.median(values)
    if len(values) == 1:
        return fmt.format(mid)
    return f"{fmt.format(mid)} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def environment_line() -> str:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--", "bot", "storage", "handlers"],
        cwd=REPO,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    engine = [
        line[3:]
        for line in changed
        if line[3:].startswith(("bot/delivery/", "storage/deliveries.py", "bot/worker.py"))
    ]
    state = (
        f"{len(changed)} app files differ from the commit; delivery engine: "
        f"{', '.join(engine) or 'as committed'}"
    )
    return (
        f"{os.cpu_count()} CPUs ({cpu}); Python {platform.python_version()}; commit {commit}; "
        f"{state}; load average before {os.getloadavg()[0]:.2f}"
    )


__all__ = [
    "DEFAULT_PG",
    "BenchDatabase",
    "Serve",
    "SlowStandIn",
    "accepted_posts",
    "bench_database",
    "cmdline",
    "descendants",
    "environment_line",
    "free_port",
    "log_levels",
    "machine_busy",
    "percentile",
    "serve_env",
    "spread",
    "start_serve",
    "status_kib",
    "tree_cpu_seconds",
    "tree_rss_kib",
    "wait_ready",
]
