"""Real `closedset` processes for tests: `closedset serve` (or `deliver`) started in a process
group of its own, its output drained and kept for failure messages, waited for until healthy,
and always killed with everything it started; and a throw-away database with its key."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.crypto import Cipher, generate_key
from storage.db import make_session_factory
from tests.support.slack_standin import BOT_TOKEN, SlackStandIn


def start_serve(
    env: dict[str, str], cwd: Path, args: tuple[str, ...] = ("serve",)
) -> subprocess.Popen[str]:
    """`closedset serve` (or other `args`) as its own process, in its own session so that a
    failed test can stop it with everything it started (`os.killpg`)."""
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("closedset")), *args],
        env={"PATH": os.environ.get("PATH", ""), **env},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@dataclass
class Serve:
    """One `closedset serve` process group; its output is drained (a full pipe would block
    it) and kept for failure messages."""

    process: subprocess.Popen[str]
    url: str
    output: list[str] = field(default_factory=list)
    _readers: list[threading.Thread] = field(default_factory=list)

    def log(self) -> str:
        return "".join(self.output)

    def kill(self) -> None:
        # The whole group, even if serve itself is gone: its job worker may not be yet.
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        for reader in self._readers:
            reader.join(timeout=5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _drain(stream: Any, into: list[str]) -> None:
    for line in stream:
        into.append(line)


def serve_env(
    standin: SlackStandIn, database_url: str, key: str, sweep: float | None
) -> dict[str, str]:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "processes-secret",
        "SLACK_API_URL": standin.api_url,
        "DATABASE_URL": database_url,
        "CLOSEDSET_ENCRYPTION_KEY": key,
        # thousands of posts in seconds, to a stand-in that does not limit them
        "CLOSEDSET_SLACK_RATE_SCALE": "100",
    }
    if sweep is not None:
        env["CLOSEDSET_DELIVERY_SWEEP_SECONDS"] = str(sweep)
    if os.environ.get("PYTHONPATH"):  # serve runs the same code as the test
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def start(env: dict[str, str], cwd: Path, args: tuple[str, ...] = ("serve",)) -> Serve:
    port = free_port()
    process = start_serve({**env, "PORT": str(port)}, cwd, args)
    serve = Serve(process, f"http://127.0.0.1:{port}")
    for stream in (process.stdout, process.stderr):
        reader = threading.Thread(target=_drain, args=(stream, serve.output), daemon=True)
        reader.start()
        serve._readers.append(reader)
    return serve


def wait_healthy(serves: list[Serve], timeout: float = 60) -> None:
    """Until every instance answers /healthz (its job worker, and so its dispatcher, is up)."""
    deadline = time.monotonic() + timeout
    for serve in serves:
        while True:
            if serve.process.poll() is not None:
                serve.kill()
                raise AssertionError(f"serve exited:\n{serve.log()}")
            try:
                with urllib.request.urlopen(serve.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"serve did not become healthy:\n{serve.log()}")
            time.sleep(0.1)


@contextmanager
def serving(env: dict[str, str], cwd: Path, count: int = 1) -> Iterator[list[Serve]]:
    """`count` instances of `closedset serve`, healthy; always killed (process group) after."""
    serves: list[Serve] = []
    try:
        for _ in range(count):
            serves.append(start(env, cwd))
        wait_healthy(serves)
        yield serves
    finally:
        for serve in serves:
            serve.kill()


def logs_of(serves: list[Serve]) -> str:
    return "\n".join(f"--- instance {n}:\n{s.log()[-4000:]}" for n, s in enumerate(serves))


@dataclass(frozen=True)
class Database:
    url: str
    session_factory: sessionmaker[Session]
    key: str


def database_for(engine: Engine) -> Database:
    key = generate_key()
    return Database(
        url=engine.url.render_as_string(hide_password=False),
        session_factory=make_session_factory(engine, Cipher([key])),
        key=key,
    )
