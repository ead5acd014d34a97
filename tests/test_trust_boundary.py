"""The trust boundary is Bolt's verification, and nothing runs before it.

A request whose signature, timestamp (missing, not a number, older than 5 minutes) or body
does not check out is answered 401 and does nothing else: no listener, no error handler, no
`response_url` post, no log line with its body. Bodies over 1 MiB are refused with 413. The app
posts only to `response_url`s on Slack's hosts (here: the stand-in's origin, as `SLACK_API_URL`
points there). And the bounded worker: full, it refuses politely; busy, it still opens modals
within their 3-second trigger window.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.ids import ScheduleAction
from bot.worker import BUSY, JobContext
from storage.models import AuditEvent, ProcessedEvent
from tests.conftest import SIGNING_SECRET, RunningApp, running_app
from tests.support.e2e import COORDINATOR, add_people
from tests.support.signing import sign
from tests.support.slack_standin import SlackStandIn

MARKER = "zq-private-marker-7731"


@pytest.fixture
def app(http_app: RunningApp) -> RunningApp:
    """Signatures, status codes and bodies are HTTP's: these tests run over HTTP."""
    return http_app


def _command_body(app: RunningApp, text: str = f"help {MARKER}") -> bytes:
    return urlencode(
        {
            "team_id": "T0TEST0001",
            "user_id": COORDINATOR,
            "command": "/closedset",
            "text": text,
            "response_url": app.slack.new_response_url(),
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        }
    ).encode()


def _nothing_happened(app: RunningApp, caplog: pytest.LogCaptureFixture) -> None:
    time.sleep(0.3)  # anything the request had set off would have reached the stand-in by now
    assert app.standin.calls() == []
    assert app.worker.waiting() == 0
    assert not any(MARKER in record.getMessage() for record in caplog.records)
    assert not any("listener failed" in record.getMessage() for record in caplog.records)
    with app.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 0


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="unsigned"),
        pytest.param({"X-Slack-Signature": "v0=" + "0" * 64}, id="no-timestamp"),
        pytest.param({"X-Slack-Request-Timestamp": "", "X-Slack-Signature": "v0=00"}, id="empty"),
    ],
)
def test_a_request_without_a_valid_signature_is_401_and_does_nothing(
    app: RunningApp, caplog: pytest.LogCaptureFixture, headers: dict[str, str]
) -> None:
    caplog.set_level(logging.DEBUG)
    app.standin.clear()
    assert app.slack.raw(_command_body(app), headers).status == 401
    _nothing_happened(app, caplog)


@pytest.mark.parametrize("timestamp", ["abc", "1e9", "", " 1700000000", "17²", "-1", "0x10"])
def test_a_timestamp_that_is_not_a_number_is_401_and_runs_no_error_handler(
    app: RunningApp, caplog: pytest.LogCaptureFixture, timestamp: str
) -> None:
    """Bolt's own check raises on such a timestamp, and its error handler (which answers at
    the request's `response_url`) would then run for a forged request."""
    caplog.set_level(logging.DEBUG)
    app.standin.clear()
    body = _command_body(app)
    headers = sign(SIGNING_SECRET, body)
    headers["X-Slack-Request-Timestamp"] = timestamp
    assert app.slack.raw(body, headers).status == 401
    _nothing_happened(app, caplog)


def test_a_stale_or_tampered_request_is_401_and_does_nothing(
    app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app.standin.clear()
    body = _command_body(app)
    stale = sign(SIGNING_SECRET, body, int(time.time()) - 301)
    assert app.slack.raw(body, stale).status == 401
    fresh = sign(SIGNING_SECRET, body)
    assert app.slack.raw(body.replace(b"help", b"setup"), fresh).status == 401
    wrong = sign("not-the-secret", body)
    assert app.slack.raw(body, wrong).status == 401
    event = json.dumps(
        {"type": "event_callback", "event_id": "Ev0001", "event": {"type": "app_home_opened"}}
    ).encode()
    assert app.slack.raw(event, sign("not-the-secret", event), "application/json").status == 401
    _nothing_happened(app, caplog)


def test_a_body_over_one_mib_is_413_before_it_is_read(
    app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    """The headers say 2 MiB; only the first kilobyte is ever sent, and the answer comes
    anyway: the body was refused from its Content-Length, not read."""
    caplog.set_level(logging.DEBUG)
    app.standin.clear()
    body = _command_body(app, text="help " + MARKER + "x" * (2 * 1024 * 1024))
    headers = sign(SIGNING_SECRET, body)
    host, port = app.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        head = [
            "POST /slack/events HTTP/1.1",
            f"Host: {host}",
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body[:1024])
        answer = conn.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    _nothing_happened(app, caplog)
    assert app.slack.command("help", user_id=COORDINATOR).status == 200  # still serving


@pytest.fixture
def capture() -> Iterator[SlackStandIn]:
    """A second server on another port: a host that is not Slack's, recording what reaches it."""
    with SlackStandIn() as server:
        yield server


def test_a_response_url_off_slacks_hosts_is_never_posted_to(
    app: RunningApp, capture: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    foreign = capture.response_url("commands")
    sent = app.slack.command("help", user_id=COORDINATOR, response_url=foreign)
    assert sent.status == 400
    clicked = app.slack.block_action(
        user_id=COORDINATOR,
        action_id=f"{ScheduleAction.PAGE}_next",
        value="x",
        response_url=capture.response_url("actions"),
    )
    assert clicked.status == 400
    unknown = app.slack.block_action(
        user_id=COORDINATOR, action_id="no_such_button", value="x", response_url=foreign
    )
    assert unknown.status == 400
    time.sleep(0.3)
    assert capture.calls() == []
    assert app.standin.calls("response_url") == []
    # ...while one on Slack's host (the stand-in's origin here) is answered as usual.
    assert app.slack.command("help", user_id=COORDINATOR).status == 200
    app.standin.wait_for("response_url", count=1)


def test_a_listener_error_is_answered_by_a_job_not_in_the_request(
    app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error handler's apology is posted by the worker: a slow `response_url` cannot hold
    up the acknowledgement."""
    from handlers import commands

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(commands, "later", boom)
    app.standin.respond("response_url", lambda call: (time.sleep(2), (200, {}, {"ok": True}))[1])
    started = time.monotonic()
    assert app.slack.command("help", user_id=COORDINATOR).status == 200
    assert time.monotonic() - started < 1
    apology = app.standin.wait_for("response_url", count=1, timeout=5)[-1]
    assert "ref " in apology.params["text"]


def _hold_normal_threads(app: RunningApp, release: threading.Event, count: int) -> None:
    started = threading.Semaphore(0)

    def held(job: JobContext, payload: None) -> None:
        started.release()
        release.wait(20)

    for _ in range(count):
        app.worker.submit(held, None, response_url=None)
    for _ in range(count):
        assert started.acquire(timeout=5)


@pytest.fixture
def small_app(
    engine: Engine, session_factory: sessionmaker[Session], standin: SlackStandIn
) -> Iterator[RunningApp]:
    """The app with a worker of 2 normal threads, 1 urgent-only thread and room for 2 jobs."""
    with running_app(
        engine, session_factory, standin, threads=3, urgent_threads=1, capacity=2
    ) as running:
        yield running


def test_a_full_worker_refuses_politely(small_app: RunningApp) -> None:
    app = small_app
    release = threading.Event()
    try:
        _hold_normal_threads(app, release, 2)
        accepted = [app.slack.command("help", user_id=COORDINATOR) for _ in range(2)]
        assert [r.status for r in accepted] == [200, 200]
        assert app.worker.waiting() == 2
        refused = app.slack.command("help", user_id=COORDINATOR)
        assert refused.status == 200
        assert refused.json()["text"] == BUSY
        # A click has no answer of its own: the notice goes to where it was clicked.
        clicked = app.slack.block_action(
            user_id=COORDINATOR, action_id=f"{ScheduleAction.PAGE}_next", value="x"
        )
        assert clicked.status == 200
        notice = app.standin.wait_for("response_url", count=1, timeout=5)[-1]
        assert notice.params["text"] == BUSY
    finally:
        release.set()
    # What was accepted is still answered once the worker frees up.
    app.standin.wait_for("response_url", count=3, timeout=10)


def test_a_modal_opens_within_its_trigger_window_while_the_worker_is_busy(
    small_app: RunningApp,
) -> None:
    app = small_app
    add_people(app.standin)
    release = threading.Event()
    try:
        _hold_normal_threads(app, release, 2)
        for _ in range(2):
            app.slack.command("help", user_id=COORDINATOR)
        assert app.worker.waiting() == 2  # full: more ordinary work would be refused
        clicked = time.monotonic()
        assert app.slack.command("setup", user_id=COORDINATOR).status == 200
        app.standin.wait_for("views.open", count=1, timeout=3)
        assert time.monotonic() - clicked < 3
    finally:
        release.set()
