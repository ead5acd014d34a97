"""A 429 stops every sender of the process until Retry-After, not just the one that got it."""

from __future__ import annotations

import threading
import time

from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.ratelimit import GatedRateLimitRetryHandler, RateLimitGate, method_of


def test_a_429_closes_the_gate_for_every_thread_until_retry_after() -> None:
    gate = RateLimitGate()
    handler = GatedRateLimitRetryHandler(gate=gate)
    request = HttpRequest(
        method="POST", url="http://127.0.0.1/api/chat.postMessage", headers={}, body_params={}
    )
    response = HttpResponse(status_code=429, headers={"Retry-After": ["0.3"]}, body={}, data=b"")
    waited: list[float] = []

    def other_sender() -> None:
        time.sleep(0.05)  # arrives while the gate is closed
        started = time.monotonic()
        gate.wait("chat.postMessage")
        waited.append(time.monotonic() - started)

    thread = threading.Thread(target=other_sender)
    thread.start()
    state = RetryState()
    handler.prepare_for_next_attempt(state=state, request=request, response=response)
    thread.join()
    assert state.next_attempt_requested and state.current_attempt == 1
    assert 0.2 <= waited[0] <= 0.6 and gate.closed == 1
    started = time.monotonic()
    gate.wait("chat.update")  # other methods are not held up
    assert time.monotonic() - started < 0.05


def test_method_of_a_web_api_url() -> None:
    assert method_of("https://slack.com/api/chat.postMessage") == "chat.postMessage"
    assert method_of("http://127.0.0.1:5000/api/views.open?x=1") == "views.open"
