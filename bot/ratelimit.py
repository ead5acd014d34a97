"""One answer to Slack's "slow down", for the whole process.

When Slack answers HTTP 429 with `Retry-After`, every thread of this process stops calling that
Web API method until then, instead of each thread finding out for itself (and piling up
refused calls: Slack's docs warn that an app that keeps calling while rate limited may be
disabled). The delivery dispatcher waits at the gate before each post; the Web API client's
retry handler closes it on a 429 and waits there too.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from typing import Any

from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState


class RateLimitGate:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}
        self.closed = 0
        """How many times a 429 closed the gate (for benchmarks and tests)."""

    def close(self, method: str, seconds: float) -> None:
        with self._lock:
            self.closed += 1
            until = time.monotonic() + seconds
            self._until[method] = max(self._until.get(method, 0.0), until)

    def wait(self, method: str) -> None:
        while True:
            with self._lock:
                left = self._until.get(method, 0.0) - time.monotonic()
            if left <= 0:
                return
            # A little jitter, so the waiting threads do not all call in the same instant.
            time.sleep(left + random.uniform(0, 0.05))


GATE = RateLimitGate()


def method_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]


class GatedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Slack's own 429 retry, but through the process's gate."""

    def __init__(self, gate: RateLimitGate = GATE, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = gate

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        state.next_attempt_requested = True
        seconds = 1.0
        for name, values in response.headers.items():
            if name.lower() == "retry-after" and values:
                with contextlib.suppress(ValueError):
                    seconds = float(values[0])
        method = method_of(request.url)
        self.gate.close(method, seconds)
        self.gate.wait(method)
        state.increment_current_attempt()
