"""The Slack stand-in (`tests.slack_standin.SlackStandIn`) in its own process, so the
`response_url` posts the app makes do not compete for the load generator's GIL.

Prints one JSON line `{"api_url": ..., "base_url": ...}` when ready, then reads commands on
stdin, one a line:
    stats  -> one JSON line: calls per method, response_url posts that carried an error
              message, and stand-in errors
    clear  -> forget recorded calls (bounds memory between configurations)
    quit / end of input -> stop and exit

`--latency-ms N` delays every answer to a `response_url` by N ms, to model the round trip to
the real Slack (the local stand-in answers in well under a millisecond; Slack does not).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from typing import Any

from tests.slack_standin import RESPONSE_URL_METHOD, SlackStandIn


class DelayedStandIn(SlackStandIn):
    def __init__(self, latency_s: float) -> None:
        super().__init__()
        self.latency_s = latency_s

    def _handle(self, req: Any, verb: str) -> None:
        if self.latency_s > 0 and req.path.startswith(("/actions/", "/commands/")):
            time.sleep(self.latency_s)
        super()._handle(req, verb)


def stats(standin: SlackStandIn) -> dict[str, Any]:
    calls = standin.calls()
    methods = Counter(c.method for c in calls)
    posts = [c for c in calls if c.method == RESPONSE_URL_METHOD]
    apologies = sum(1 for c in posts if "went wrong" in str(c.params.get("text", "")))
    with_blocks = sum(1 for c in posts if c.params.get("blocks"))
    refusals = sum(
        1 for c in posts if not c.params.get("blocks") and "went wrong" not in str(c.params)
    )
    return {
        "methods": dict(methods),
        "response_url_with_blocks": with_blocks,
        "response_url_apologies": apologies,
        "response_url_other": refusals,
        "standin_errors": [repr(e) for e in standin.errors],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    standin = DelayedStandIn(args.latency_ms / 1000).start()
    try:
        print(json.dumps({"api_url": standin.api_url, "base_url": standin.base_url}), flush=True)
        for line in sys.stdin:
            cmd = line.strip()
            if cmd == "stats":
                print(json.dumps(stats(standin)), flush=True)
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
