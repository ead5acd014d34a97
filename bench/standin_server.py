"""The Slack stand-in (`tests.support.slack_standin.SlackStandIn`) in its own process,
answering like Slack: every request (Web API call or `response_url` post) is answered
`--latency-ms` late, and the arrival of every *answer* an app gives a user is recorded.

    .venv/bin/python -m bench.standin_server --latency-ms 100 --needle "Night Shift"

Prints one JSON line `{"api_url": ..., "base_url": ...}` when ready, then reads commands on
stdin, one a line, and answers each with one JSON line:

    count   -> {"answers": N}: answers recorded so far (cheap; for polling)
    answers -> {"answers": [[key, arrival, what, needle], ...], "methods": {...},
                "errors": [...]}: every answer recorded so far, where
                `key` is the `response_url` path posted to, or `trigger:<trigger_id>` for
                `views.open` / `views.push`, `update:<channel>:<ts>` for `chat.update`,
                `dm:<channel>` for `chat.postMessage`;
                `arrival` is `time.time()` when the request reached the stand-in, before the
                latency (the wall clock: the benchmark compares it with send times taken in
                another process on the same machine);
                `what` is `busy` (the app's "very busy" line), `apology` ("went wrong"),
                `blocks` (a post with blocks), `text` (any other post), `modal` (a view
                opened), `ok` (another call Slack accepted) or `error:<Slack's error>`;
                `needle` says whether the request's JSON contains the `--needle` text;
                `methods` counts every call by method, `auth.test` included
    clear   -> forget what was recorded (bounds memory between configurations)
    install TEAM_ID NAME -> the app installed in a workspace of that name: the answer of
               `oauth.v2.access` (a rotating bot token of that workspace, which `auth.test`
               then answers for; `bench.workspaces` stores it as the OAuth flow would)
    quit / end of input -> stop and exit

`answers` also returns `"teams": {key: team_id}` for the answers made with a token (`views.*`,
`chat.*`): the workspace that token belongs to (`xoxb-test`: `T0TEST0001`; `?`: unknown).

The latency is slept before the request is handled, on the request's own thread
(`ThreadingHTTPServer`: one thread per connection), so many calls wait at once, as they do
on Slack.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from typing import Any

from tests.support.slack_standin import RESPONSE_URL_METHOD, Call, SlackStandIn
from tests.support.standin_calls import BOT_TOKEN, TEAM_ID

BUSY_MARK = "very busy"  # bot.worker.BUSY: "Closed Set is very busy right now. ..."
APOLOGY_MARK = "went wrong"  # bot.worker.run_job's and bot.app._on_error's apology

Answer = tuple[str, float, str, bool]


class AnsweringStandIn(SlackStandIn):
    """The stand-in, `latency_s` late on every request, keeping a list of answers."""

    def __init__(self, latency_s: float, needle: str = "") -> None:
        super().__init__()
        self.latency_s = latency_s
        self.needle = needle
        self._arrived = threading.local()
        self._answers: list[Answer] = []
        self._methods: Counter[str] = Counter()
        self._teams: dict[str, str] = {}  # answer key -> workspace of the call's token
        self._answers_lock = threading.Lock()

    def _handle(self, req: Any, verb: str) -> None:
        self._arrived.at = time.time()
        if self.latency_s > 0:
            time.sleep(self.latency_s)
        super()._handle(req, verb)

    def _record(self, call: Call, *, download: bool = False) -> None:
        super()._record(call, download=download)
        arrived = getattr(self._arrived, "at", call.time)
        answer = self._answer(call, arrived)
        with self._answers_lock:
            self._methods[call.method] += 1
            if answer is not None:
                self._answers.append(answer)
                if call.token:
                    self._teams[answer[0]] = self._team_of(call.token)

    def _team_of(self, token: str) -> str:
        return TEAM_ID if token == BOT_TOKEN else self.team_of_token(token) or "?"

    def install(self, team_id: str, name: str) -> dict[str, Any]:
        """What `oauth.v2.access` answers once the app is allowed in workspace `team_id`."""
        self.add_workspace(team_id, name)
        code = self.authorize(team_id, scopes="commands,chat:write", rotation=True)
        with self._oauth.lock:
            grant = self._oauth.codes.pop(code)
        return {"ok": True, **self._issue(grant, rotation=True, full=True)}

    def _answer(self, call: Call, arrived: float) -> Answer | None:
        params = call.params
        if call.method == RESPONSE_URL_METHOD:
            key = call.path
            text = str(params.get("text", ""))
            what = (
                "busy"
                if BUSY_MARK in text
                else "apology"
                if APOLOGY_MARK in text
                else "blocks"
                if params.get("blocks")
                else "text"
            )
        elif call.method in ("views.open", "views.push"):
            key = f"trigger:{params.get('trigger_id', '')}"
            what = "modal" if call.ok else f"error:{(call.response or {}).get('error')}"
        elif call.method == "chat.update":
            key = f"update:{params.get('channel', '')}:{params.get('ts', '')}"
            what = "ok" if call.ok else f"error:{(call.response or {}).get('error')}"
        elif call.method == "chat.postMessage":
            key = f"dm:{params.get('channel', '')}"
            text = str(params.get("text", ""))
            what = "busy" if BUSY_MARK in text else "ok" if call.ok else "error"
        else:
            return None
        found = bool(self.needle) and self.needle in json.dumps(params)
        return key, arrived, what, found

    def count(self) -> int:
        with self._answers_lock:
            return len(self._answers)

    def report(self) -> dict[str, Any]:
        with self._answers_lock:
            answers, methods = list(self._answers), dict(self._methods)
            teams = dict(self._teams)
        return {
            "answers": answers,
            "methods": methods,
            "teams": teams,
            "errors": [repr(e) for e in self.errors],
        }

    def clear(self) -> None:
        with self._answers_lock:
            self._answers.clear()
            self._methods.clear()
            self._teams.clear()
        super().clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.standin_server")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="answer every request this late (0)"
    )
    parser.add_argument("--needle", default="", help="text to look for in each answer")
    args = parser.parse_args(argv)
    standin = AnsweringStandIn(args.latency_ms / 1000, args.needle)
    standin.start()
    try:
        print(json.dumps({"api_url": standin.api_url, "base_url": standin.base_url}), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "count":
                print(json.dumps({"answers": standin.count()}), flush=True)
            elif command == "answers":
                print(json.dumps(standin.report()), flush=True)
            elif command == "clear":
                standin.clear()
                print(json.dumps({"cleared": True}), flush=True)
            elif command.startswith("install "):
                _, team_id, name = command.split(" ", 2)
                print(json.dumps(standin.install(team_id, name)), flush=True)
            elif command == "quit":
                break
            else:
                print(json.dumps({"error": f"unknown command {command!r}"}), flush=True)
    finally:
        standin.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
