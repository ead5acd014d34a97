"""CPU per acknowledgement inside the web process, without HTTP: the bare Bolt app, closedset
through Bolt (as Socket Mode and the requests the front door leaves to Bolt go) and closedset
through the front door (`bot.frontdoor`). Each request is a freshly signed WSGI environ passed
straight to the app; jobs are pickled as `ProcessWorker` would pickle them, then dropped.

    .venv/bin/python -m bench.ack_path [--n 1000] [--rounds 7]

The servers take turns, round after round, and each cell is the median over rounds (min–max):
single passes of a few thousand requests moved by 2x from one to the next on this VM.
"""

from __future__ import annotations

import argparse
import pickle
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bench.ack_latency import builders
from bench.profile_handlers import environ_for, seeded
from tests.slack_standin import SlackStandIn

WSGI = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class PickleAndDrop:
    """A worker that does what the web process does with a job, and no more."""

    def submit(self, job: Any, payload: Any, *, response_url: str | None) -> None:
        pickle.dumps((1, job, payload, response_url), protocol=pickle.HIGHEST_PROTOCOL)

    def wake(self) -> None: ...

    def ready(self) -> bool:
        return True

    def shutdown(self) -> None: ...


def cpu_per_request(application: WSGI, environs: list[dict[str, Any]]) -> float:
    """Mean CPU seconds per request of this process."""
    start = time.process_time()
    for environ in environs:
        b"".join(application(environ, lambda status, headers, *exc: None))
    return (time.process_time() - start) / len(environs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000, help="requests per server and round")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)

    from bench.bare_app import make_wsgi
    from bot.app import create_app
    from bot.clock import SystemClock
    from bot.deps import Deps
    from bot.frontdoor import FrontDoor
    from bot.server import wsgi_app
    from handlers import commands

    tmp = Path(tempfile.mkdtemp(prefix="closedset-ackpath-"))
    standin = SlackStandIn().start()
    try:
        secret = "ack-path-secret"
        db = seeded(tmp, standin.api_url)
        engine, production_id = db.engine, db.production_id
        worker = PickleAndDrop()
        app = create_app(
            client=db.client,
            signing_secret=secret,
            deps=Deps(db.session_factory, SystemClock(), worker),
        )
        door = FrontDoor(secret, worker, takes_text=commands.is_known)
        servers: dict[str, WSGI] = {
            "bare Bolt app": make_wsgi(secret, standin.api_url),
            "closedset through Bolt": wsgi_app(app, engine),
            "closedset through the front door": wsgi_app(app, engine, front_door=door),
        }
        build = builders(secret, standin.base_url, production_id)
        kinds = ("help", "button")

        def environs(kind: str, n: int) -> list[dict[str, Any]]:
            return [
                environ_for(body, dict(headers))
                for body, headers, _ in (build[kind]() for _ in range(n))
            ]

        for application in servers.values():  # warm up: imports, first auth.test, caches
            for kind in kinds:
                cpu_per_request(application, environs(kind, 200))
        seen: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for name, application in servers.items():
                for kind in kinds:
                    cpu = cpu_per_request(application, environs(kind, args.n))
                    seen.setdefault((name, kind), []).append(cpu * 1e6)
        print(
            f"CPU per request in microseconds: median over {args.rounds} rounds of {args.n} "
            "requests (min–max)\n"
        )
        print("| server | help | button |\n|---|---|---|")
        for name in servers:
            cells = [
                f"{statistics.median(seen[name, kind]):.0f} "
                f"({min(seen[name, kind]):.0f}–{max(seen[name, kind]):.0f})"
                for kind in kinds
            ]
            print(f"| {name} | {' | '.join(cells)} |")
        engine.dispose()
    finally:
        standin.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
