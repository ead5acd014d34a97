"""A modal opener taken while other openers wait behind it (`JobContext.crowded`) spends its
trigger at once on a "Loading…" modal and queues the work that fills it: the content, a
refusal, an apology or "busy" then replaces that modal. Not crowded, it opens the modal with
its content in one call. (End to end, with the real app: `test_e2e_boundaries`.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from bot.access import Refusal
from bot.app import make_client
from bot.clock import SystemClock
from bot.crypto import Cipher, generate_key
from bot.deps import Services
from bot.worker import BUSY, Busy, Job, JobContext
from handlers.blocks.boundaries import notice_modal
from handlers.blocks.saving import LOADING
from handlers.defer import LOADING_VIEW, open_modal, opener
from storage.db import make_engine, make_session_factory
from tests.support.slack_standin import BOT_TOKEN, SlackStandIn

TITLE = "Scene status"
PAYLOAD = {"trigger_id": "1337.42.abcd", "user_id": "U0COORD001", "team_id": "T0TEAM0001"}


def _context(
    standin: SlackStandIn, *, crowded: bool, queue: Callable[[Job, Any], None] | None
) -> JobContext:
    engine = make_engine("sqlite://")
    services = Services(make_session_factory(engine, Cipher([generate_key()])), SystemClock())
    client = make_client(token=BOT_TOKEN, base_url=standin.api_url)
    return JobContext(services, client, None, crowded=crowded, queue=queue)


def shows_status(job: JobContext, payload: dict[str, str]) -> None:
    open_modal(job, payload, notice_modal(TITLE, "Jane Doe: confirmed"))


def refuses(job: JobContext, payload: dict[str, str]) -> None:
    raise Refusal("Only a coordinator of this production can see that.")


def crashes(job: JobContext, payload: dict[str, str]) -> None:
    raise RuntimeError("secret boundary text must not reach the modal")


class Queued:
    """A `JobContext.queue` that keeps what it is given, to run it when the test says."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Job, Any]] = []

    def __call__(self, job: Job, payload: Any) -> None:
        self.jobs.append((job, payload))


def _text(call: Any) -> str:
    return json.dumps(call.json("view"), ensure_ascii=False)


def test_not_crowded_the_modal_opens_with_its_content(standin: SlackStandIn) -> None:
    queued = Queued()
    opener(shows_status, TITLE)(_context(standin, crowded=False, queue=queued), dict(PAYLOAD))
    [opened] = standin.calls("views.open")
    assert opened.params["trigger_id"] == PAYLOAD["trigger_id"]
    assert "Jane Doe" in _text(opened)
    assert not queued.jobs and not standin.calls("views.update")


def test_crowded_a_loading_modal_opens_at_once_and_the_content_replaces_it(
    standin: SlackStandIn,
) -> None:
    queued = Queued()
    context = _context(standin, crowded=True, queue=queued)
    opener(shows_status, TITLE)(context, dict(PAYLOAD))
    [opened] = standin.calls("views.open")
    assert opened.params["trigger_id"] == PAYLOAD["trigger_id"]
    assert LOADING in _text(opened) and "Jane Doe" not in _text(opened)
    assert opened.json("view")["title"]["text"] == TITLE
    assert not standin.calls("views.update")  # nothing of the content ran yet
    [(fill, payload)] = queued.jobs
    view_id = opened.response["view"]["id"]
    assert payload[LOADING_VIEW] == view_id
    fill(context, payload)
    [updated] = standin.calls("views.update")
    assert updated.params["view_id"] == view_id and "Jane Doe" in _text(updated)
    assert len(standin.calls("views.open")) == 1  # the trigger was spent once


def test_crowded_a_refusal_is_shown_in_the_loading_modal(standin: SlackStandIn) -> None:
    queued = Queued()
    context = _context(standin, crowded=True, queue=queued)
    opener(refuses, TITLE)(context, dict(PAYLOAD))
    [(fill, payload)] = queued.jobs
    fill(context, payload)
    [updated] = standin.calls("views.update")
    assert updated.params["view_id"] == payload[LOADING_VIEW]
    assert "Only a coordinator of this production" in _text(updated)


def test_crowded_a_failure_is_shown_by_reference_only(
    standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    queued = Queued()
    context = _context(standin, crowded=True, queue=queued)
    opener(crashes, TITLE)(context, dict(PAYLOAD))
    [(fill, payload)] = queued.jobs
    fill(context, payload)
    text = _text(standin.calls("views.update")[0])
    assert "ref " in text and "secret" not in text
    assert any("crashes failed" in r.getMessage() for r in caplog.records)


def test_crowded_with_the_worker_full_the_loading_modal_says_busy(standin: SlackStandIn) -> None:
    ran: list[str] = []

    def full(job: Job, payload: Any) -> None:
        raise Busy("2000 jobs waiting")

    def content(job: JobContext, payload: dict[str, str]) -> None:
        ran.append("content")

    opener(content, TITLE)(_context(standin, crowded=True, queue=full), dict(PAYLOAD))
    [opened] = standin.calls("views.open")
    [updated] = standin.calls("views.update")
    assert updated.params["view_id"] == opened.response["view"]["id"]
    assert BUSY in _text(updated)
    assert ran == []
