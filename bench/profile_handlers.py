"""Where a request's time goes inside `closedset`, without HTTP: the app as `closedset serve`
builds it (create_app + wsgi_app, same middleware, SQLite file, cipher), called directly with
WSGI environs, one request at a time, each request's job run inline right after its
acknowledgement (in `serve` it runs in the worker process). Prints per-kind wall time, SQL
statement counts and times, commits, time in the `response_url` post, and a cProfile top list.

    .venv/bin/python -m bench.profile_handlers [--n 300] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from bench.ack_latency import builders, seed
from tests.slack_standin import SlackStandIn


def environ_for(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "0",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in headers.items():
        if name.lower() == "content-type":
            env["CONTENT_TYPE"] = value
        else:
            env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


@dataclass(frozen=True)
class Seeded:
    """A throw-away SQLite database with the benchmark's productions, and what an app needs
    to run on it in this process."""

    engine: Engine
    session_factory: sessionmaker[Session]
    client: WebClient
    production_id: int


def seeded(tmp: Path, api_url: str) -> Seeded:
    from bot.app import make_client
    from bot.crypto import Cipher, generate_key
    from storage.db import make_engine, make_session_factory, upgrade

    key = generate_key()
    db_url = f"sqlite:///{tmp}/bench.db"
    engine = make_engine(db_url)
    upgrade(engine)
    production_id = seed(db_url, key)
    return Seeded(
        engine,
        make_session_factory(engine, Cipher([key])),
        make_client(token="xoxb-test", base_url=api_url),
        production_id,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)

    from bot.app import create_app
    from bot.clock import SystemClock
    from bot.deps import Deps, Services
    from bot.server import wsgi_app
    from bot.worker import InlineWorker

    tmp = Path(tempfile.mkdtemp(prefix="closedset-prof-"))
    standin = SlackStandIn().start()
    try:
        secret = "profile-secret"
        db = seeded(tmp, standin.api_url)
        engine, production_id = db.engine, db.production_id
        services = Services(db.session_factory, SystemClock())
        app = create_app(
            client=db.client,
            signing_secret=secret,
            deps=Deps(db.session_factory, SystemClock(), InlineWorker(services, db.client)),
        )
        application = wsgi_app(app, engine)
        build = builders(secret, standin.base_url, production_id)

        sql = {"n": 0, "t": 0.0, "commits": 0}

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn: Any, cursor: Any, statement: str, *a: Any) -> None:
            conn.info["t0"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn: Any, cursor: Any, statement: str, *a: Any) -> None:
            sql["n"] += 1
            sql["t"] += time.perf_counter() - conn.info.pop("t0", time.perf_counter())

        @event.listens_for(engine, "commit")
        def _commit(conn: Any) -> None:
            sql["commits"] += 1

        # time in the response_url post (urllib inside Bolt's respond())
        from slack_sdk.webhook import client as webhook_client

        post_t = {"t": 0.0, "n": 0}
        original = webhook_client.WebhookClient.send_dict

        def timed_send(self: Any, *a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(self, *a, **k)
            finally:
                post_t["t"] += time.perf_counter() - t0
                post_t["n"] += 1

        webhook_client.WebhookClient.send_dict = timed_send  # type: ignore[method-assign]

        def one(kind: str) -> float:
            body, headers, _ = build[kind]()
            env = environ_for(body, dict(headers))
            status: list[str] = []
            t0 = time.perf_counter()
            out = b"".join(application(env, lambda s, h, *x: status.append(s)))
            elapsed = time.perf_counter() - t0
            if not status or not status[0].startswith("200"):
                raise RuntimeError(f"{kind}: {status} {out[:200]!r}")
            return elapsed

        for kind in ("help", "button"):
            for _ in range(20):
                one(kind)  # warm caches
            sql.update(n=0, t=0.0, commits=0)
            post_t.update(t=0.0, n=0)
            times = [one(kind) for _ in range(args.n)]
            print(f"\n### {kind}: {args.n} sequential requests, in-process (no HTTP)")
            print(
                f"wall per request: median {statistics.median(times) * 1000:.2f} ms, "
                f"mean {statistics.mean(times) * 1000:.2f} ms, max {max(times) * 1000:.2f} ms"
            )
            print(
                f"SQL statements per request: {sql['n'] / args.n:.1f}, SQL time "
                f"{sql['t'] / args.n * 1000:.2f} ms; commits per request "
                f"{sql['commits'] / args.n:.1f}"
            )
            if post_t["n"]:
                print(
                    f"response_url posts per request {post_t['n'] / args.n:.1f}, "
                    f"{post_t['t'] / post_t['n'] * 1000:.2f} ms each"
                )
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.n):
                one(kind)
            profiler.disable()
            stream = io.StringIO()
            stats = pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats("cumulative")
            stats.print_stats(args.top)
            print(stream.getvalue())
            stream = io.StringIO()
            pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats("tottime").print_stats(
                args.top
            )
            print(stream.getvalue())
        engine.dispose()
    finally:
        standin.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
