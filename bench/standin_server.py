"""The Slack stand-in (`tests.slack_standin.SlackStandIn`) in its own process, so the
`response_url` posts the app makes do not compete for the load generator's GIL.

Prints one JSON line `{"api_url": ..., "base_url": ...}` when ready, then reads commands on
stdin, one a line, and answers each with one JSON line:
    stats  -> calls per method, response_url posts with blocks / that carried an error
              message / other, and stand-in errors
    count  -> {"response_url": N}: response_url posts recorded so far (cheap; for polling)
    posts  -> every response_url post recorded so far, as
              {"posts": [[path, arrival, has_blocks, apology, has_needle], ...], ...stats}
              where `arrival` is `time.time()` when the request reached the stand-in (before
              any `--latency-ms` delay) and `has_needle` says whether the post's JSON contains
              the `--needle` text
    clear  -> forget recorded calls (bounds memory between configurations)
    quit / end of input -> stop and exit

`--latency-ms N` delays every answer to a `response_url` by N ms, to model the round trip to
the real Slack (the local stand-in answers in well under a millisecond; Slack does not).
Arrival times use `time.time()` (the wall clock), not `time.monotonic()`: the benchmark
compares them with send times taken in another process on the same machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter, defaultdict
from typing import Any

from tests.slack_standin import RESPONSE_URL_METHOD, SlackStandIn

_RESPONSE_PREFIXES = ("/commands/", "/actions/")


class DelayedStandIn(SlackStandIn):
    def __init__(self, latency_s: float) -> None:
        super().__init__()
        self.latency_s = latency_s
        self._arrivals: dict[str, list[float]] = defaultdict(list)
        self._arrivals_lock = threading.Lock()
        self._answered = 0  # response_url posts handled, for `count`

    def _handle(self, req: Any, verb: str) -> None:
        if not req.path.startswith(_RESPONSE_PREFIXES):
            super()._handle(req, verb)
            return
        arrived = time.time()
        with self._arrivals_lock:
            self._arrivals[req.path.split("?", 1)[0]].append(arrived)
        if self.latency_s > 0:
            time.sleep(self.latency_s)
        super()._handle(req, verb)
        with self._arrivals_lock:
            self._answered += 1

    def answered(self) -> int:
        """Posts to a response_url handled so far: O(1), unlike counting `calls()`, which
        copies every call recorded under the stand-in's lock. The benchmark asks 50 times a
        second while tens of thousands of answers drain; counting them each time had held up
        the very posts it was counting."""
        with self._arrivals_lock:
            return self._answered

    def arrival_times(self) -> dict[str, list[float]]:
        with self._arrivals_lock:
            return {k: list(v) for k, v in self._arrivals.items()}

    def clear(self) -> None:
        with self._arrivals_lock:
            self._arrivals.clear()
            self._answered = 0
        super().clear()


def _apology(params: dict[str, Any]) -> bool:
    return "went wrong" in str(params.get("text", ""))


def stats(standin: SlackStandIn) -> dict[str, Any]:
    calls = standin.calls()
    methods = Counter(c.method for c in calls)
    posts = [c for c in calls if c.method == RESPONSE_URL_METHOD]
    apologies = sum(1 for c in posts if _apology(c.params))
    with_blocks = sum(1 for c in posts if c.params.get("blocks"))
    refusals = sum(1 for c in posts if not c.params.get("blocks") and not _apology(c.params))
    return {
        "methods": dict(methods),
        "response_url_with_blocks": with_blocks,
        "response_url_apologies": apologies,
        "response_url_other": refusals,
        "standin_errors": [repr(e) for e in standin.errors],
    }


def posts(standin: DelayedStandIn, needle: str) -> dict[str, Any]:
    arrivals = standin.arrival_times()
    out = []
    for call in standin.calls(RESPONSE_URL_METHOD):
        times = arrivals.get(call.path)
        arrived = times.pop(0) if times else call.time
        text = json.dumps(call.params)
        out.append(
            [
                call.path,
                arrived,
                bool(call.params.get("blocks")),
                _apology(call.params),
                bool(needle) and needle in text,
            ]
        )
    return {"posts": out, **stats(standin)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--needle", default="", help="text to look for in response_url posts")
    args = parser.parse_args(argv)
    standin = DelayedStandIn(args.latency_ms / 1000)
    standin.start()
    try:
        print(json.dumps({"api_url": standin.api_url, "base_url": standin.base_url}), flush=True)
        for line in sys.stdin:
            cmd = line.strip()
            if cmd == "stats":
                print(json.dumps(stats(standin)), flush=True)
            elif cmd == "count":
                print(json.dumps({"response_url": standin.answered()}), flush=True)
            elif cmd == "posts":
                print(json.dumps(posts(standin, args.needle)), flush=True)
            elif cmd == "clear":
                standin.clear()
                print(json.dumps({"cleared": True}), flush=True)
            elif cmd == "quit":
                break
    finally:
        standin.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
