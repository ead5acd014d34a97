"""A bare Bolt app on the same stack as `closedset serve`, as `bench.answer_latency`'s baseline.

`App(process_before_response=True)` behind Bolt's WSGI adapter, served by waitress (8 threads),
in its own process. Each listener acknowledges and hands the same single Slack call the real
app's job makes to a thread pool sized like the app's worker (32 threads), and does nothing
else: no database, no checks.

- `/closedset` (any text): a post to the command's `response_url` (ephemeral, with blocks);
- `schedule_page_*` buttons: a post to the click's `response_url` replacing the message;
- `coordinator_view_status` buttons: `views.open` with the click's `trigger_id`.

`GET /healthz` answers 200 so the benchmark can wait for readiness. A failed Slack call is
logged at ERROR with its traceback (the benchmark fails on ERROR lines).

    .venv/bin/python -m bench.bare_app PORT SIGNING_SECRET SLACK_API_URL [THREADS]

`THREADS`: the pool's size (default 32, like the app's worker; `bench.answer_latency
--bare-threads`).
"""

from __future__ import annotations

import logging
import re
import signal
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.ids import Command, CoordinatorAction, ScheduleAction

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

THREADS = 32  # like bot.worker.Worker's default
log = logging.getLogger("bare")


def _blocks(text: str) -> list[dict[str, Any]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


_MODAL = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "Scene status"},
    "blocks": _blocks("Where each performer stands."),
}


def _logged(future: Future[Any]) -> None:
    error = future.exception()
    if error is not None:
        log.error("Slack call failed", exc_info=error)


def make_bolt(secret: str, api_url: str, pool: ThreadPoolExecutor) -> App:
    client = WebClient(base_url=api_url, token="xoxb-test")
    app = App(signing_secret=secret, client=client, process_before_response=True)

    def later(call: Callable[..., Any], **kwargs: Any) -> None:
        pool.submit(call, **kwargs).add_done_callback(_logged)

    @app.command(Command.SLASH)
    def command(ack: Ack, respond: Respond) -> None:
        ack()
        later(respond, blocks=_blocks("Closed Set help"), text="help", response_type="ephemeral")

    @app.action(re.compile(rf"^{re.escape(ScheduleAction.PAGE)}_"))
    def page(ack: Ack, respond: Respond) -> None:
        ack()
        later(respond, blocks=_blocks("Upcoming scenes"), text="scenes", replace_original=True)

    @app.action(CoordinatorAction.VIEW_STATUS)
    def status(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        later(client.views_open, trigger_id=body["trigger_id"], view=_MODAL)

    return app


def make_wsgi(secret: str, api_url: str, pool: ThreadPoolExecutor) -> WSGIApp:
    slack = SlackRequestHandler(make_bolt(secret, api_url, pool))

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
    port, secret, api_url = args[:3]
    threads = int(args[3]) if len(args) > 3 else THREADS
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # as `closedset serve` does
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="job")
    server: Any = create_server(
        make_wsgi(secret, api_url, pool),
        host="127.0.0.1",
        port=int(port),
        threads=8,
        channel_timeout=30,
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
    pool.shutdown(wait=False, cancel_futures=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
