"""A bare Bolt app on the same stack as `closedset serve`, as the benchmark's baseline.

`App(process_before_response=True)` whose `/closedset` command and `schedule_page_*` button
listeners only `ack()`, wrapped by Bolt's WSGI adapter and served by waitress (8 threads), in
its own process. `GET /healthz` answers 200 so the benchmark can wait for readiness.

    python -m bench.bare_app PORT SIGNING_SECRET SLACK_API_URL     # waitress (default)
    BARE_PORT=... BARE_SECRET=... BARE_API_URL=... python -m bench.bare_app

For gunicorn (optional, `--stacks`): `gunicorn 'bench.bare_app:make_wsgi()'` with the BARE_*
environment variables set.
"""

from __future__ import annotations

import os
import re
import signal
import sys
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

StartResponse = Callable[..., Any]


def make_bolt(secret: str, api_url: str) -> App:
    app = App(
        token="xoxb-test",
        signing_secret=secret,
        client=WebClient(base_url=api_url, token="xoxb-test"),
        process_before_response=True,
    )

    @app.command("/closedset")
    def command(ack: Ack) -> None:
        ack()

    @app.action(re.compile("^schedule_page_"))
    def button(ack: Ack) -> None:
        ack()

    return app


def make_wsgi(
    secret: str | None = None, api_url: str | None = None
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    slack = SlackRequestHandler(
        make_bolt(secret or os.environ["BARE_SECRET"], api_url or os.environ["BARE_API_URL"])
    )

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
            return [b"ok\n"]
        result: Iterable[bytes] = slack(environ, start_response)
        return result

    return application


def main(argv: list[str] | None = None) -> int:
    from waitress.server import create_server

    args = sys.argv[1:] if argv is None else argv
    port = int(args[0]) if len(args) > 0 else int(os.environ["BARE_PORT"])
    secret = args[1] if len(args) > 1 else os.environ["BARE_SECRET"]
    api_url = args[2] if len(args) > 2 else os.environ["BARE_API_URL"]
    server: Any = create_server(
        make_wsgi(secret, api_url), host="127.0.0.1", port=port, threads=8, channel_timeout=30
    )

    def stop(signum: int, frame: object) -> None:
        # Same shutdown as bot.server.HttpServer.stop: close sockets from the loop thread.
        server.task_dispatcher.shutdown(timeout=5)

        def close_all() -> None:
            for channel in list(server._map.values()):
                channel.close()

        server.trigger.pull_trigger(close_all)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"bare bolt app serving on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    server.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
