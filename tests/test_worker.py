"""The job worker: one bounded pool in the serving process. Refusals and failures are told to
the user; a full worker refuses new work instead of growing; modal openers go first and have
threads of their own; a `response_url` off Slack's hosts is never posted to."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.access import Refusal
from bot.app import make_client
from bot.clock import SystemClock
from bot.crypto import Cipher, generate_key
from bot.deps import Services
from bot.worker import Busy, JobContext, Worker, tell
from storage.db import make_engine, make_session_factory
from tests.support.slack_standin import BOT_TOKEN, SlackStandIn


def refuse(job: JobContext, payload: Any) -> None:
    raise Refusal("Only a coordinator can do that.")


def crash(job: JobContext, payload: Any) -> None:
    raise RuntimeError("secret answer text must not reach the user")


def wait_for(job: JobContext, event: threading.Event) -> None:
    event.wait(10)


def hold(pool: Worker, release: threading.Event, *, urgent: bool = False) -> None:
    """Occupy one thread of `pool` until `release` is set (returns once it is occupied)."""
    started = threading.Event()

    def held(job: JobContext, payload: None) -> None:
        started.set()
        release.wait(10)

    pool.submit(held, None, response_url=None, urgent=urgent)
    assert started.wait(5)


def _services() -> Services:
    engine = make_engine("sqlite://")
    return Services(make_session_factory(engine, Cipher([generate_key()])), SystemClock())


def _worker(standin: SlackStandIn, **kwargs: Any) -> Worker:
    return Worker(_services(), make_client(token=BOT_TOKEN, base_url=standin.api_url), **kwargs)


@pytest.fixture
def worker(standin: SlackStandIn) -> Iterator[Worker]:
    pool = _worker(standin, threads=3, urgent_threads=1)
    yield pool
    pool.shutdown()


def test_a_refusal_is_told_as_is(worker: Worker, standin: SlackStandIn) -> None:
    worker.submit(refuse, None, response_url=standin.response_url("commands"))
    worker.shutdown()
    assert standin.last("response_url").params["text"] == "Only a coordinator can do that."


def test_a_failure_is_told_by_reference_only(
    worker: Worker, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    worker.submit(crash, None, response_url=standin.response_url("commands"))
    worker.shutdown()
    text = standin.last("response_url").params["text"]
    assert "ref " in text and "secret" not in text
    assert any("crash failed" in r.getMessage() for r in caplog.records)


def test_a_full_worker_refuses_new_work_and_runs_what_it_accepted(standin: SlackStandIn) -> None:
    release = threading.Event()
    pool = _worker(standin, threads=2, urgent_threads=1, capacity=3)
    ran: list[int] = []

    def count(job: JobContext, n: int) -> None:
        ran.append(n)

    try:
        hold(pool, release)  # the one normal thread
        for n in range(3):
            pool.submit(count, n, response_url=None)
        with pytest.raises(Busy):
            pool.submit(count, 99, response_url=None)
        assert pool.waiting() == 3
    finally:
        release.set()
        pool.shutdown()
    assert sorted(ran) == [0, 1, 2]


def test_modal_openers_run_while_every_other_thread_is_held(standin: SlackStandIn) -> None:
    release = threading.Event()
    opened = threading.Event()
    pool = _worker(standin, threads=3, urgent_threads=1, capacity=50)

    def open_modal(job: JobContext, payload: None) -> None:
        opened.set()

    try:
        for _ in range(10):  # more slow work than threads: the normal threads are all held
            pool.submit(wait_for, release, response_url=None)
        started = time.monotonic()
        pool.submit(open_modal, None, response_url=None, urgent=True)
        assert opened.wait(3), "the modal opener waited behind slow work"
        assert time.monotonic() - started < 1
    finally:
        release.set()
        pool.shutdown()


def test_urgent_jobs_are_taken_before_waiting_ones(standin: SlackStandIn) -> None:
    release = threading.Event()
    pool = _worker(standin, threads=2, urgent_threads=1, capacity=50)
    order: list[str] = []
    done = threading.Event()

    def note(job: JobContext, name: str) -> None:
        order.append(name)
        if len(order) == 4:
            done.set()

    try:
        hold(pool, release)  # the normal thread
        hold(pool, release, urgent=True)  # and the urgent one
        pool.submit(note, "normal-1", response_url=None)
        pool.submit(note, "normal-2", response_url=None)
        pool.submit(note, "urgent-1", response_url=None, urgent=True)
        pool.submit(note, "urgent-2", response_url=None, urgent=True)
        release.set()
        assert done.wait(5)
    finally:
        release.set()
        pool.shutdown()
    assert order.index("urgent-1") < order.index("normal-1")
    assert order.index("urgent-2") < order.index("normal-1")


def test_a_stream_of_urgent_jobs_does_not_starve_one_that_waited_longer(
    standin: SlackStandIn,
) -> None:
    release_general, release_urgent = threading.Event(), threading.Event()
    pool = _worker(standin, threads=2, urgent_threads=1, capacity=50)
    order: list[str] = []
    done = threading.Event()

    def note(job: JobContext, name: str) -> None:
        order.append(name)
        if len(order) == 3:
            done.set()

    try:
        hold(pool, release_general)
        hold(pool, release_urgent, urgent=True)  # the urgent-only thread stays held
        pool.submit(note, "normal", response_url=None)
        time.sleep(Worker.NORMAL_SLACK + 0.2)
        pool.submit(note, "urgent-1", response_url=None, urgent=True)
        pool.submit(note, "urgent-2", response_url=None, urgent=True)
        release_general.set()  # one thread, three jobs: the one that waited longest first
        assert done.wait(5)
    finally:
        release_general.set()
        release_urgent.set()
        pool.shutdown()
    assert order == ["normal", "urgent-1", "urgent-2"]


def test_a_notice_goes_out_even_when_the_worker_is_full(standin: SlackStandIn) -> None:
    release = threading.Event()
    pool = _worker(standin, threads=2, urgent_threads=1, capacity=1)

    def busy(job: JobContext, payload: None) -> None:
        tell(job, "busy, try again")

    try:
        hold(pool, release)
        pool.submit(wait_for, release, response_url=None)  # waits: the worker is full
        with pytest.raises(Busy):
            pool.submit(wait_for, release, response_url=None)
        assert pool.notice(busy, None, response_url=standin.response_url("actions"))
        standin.wait_for("response_url", count=1, timeout=5)
    finally:
        release.set()
        pool.shutdown()
    assert standin.last("response_url").params["text"] == "busy, try again"


def test_a_response_url_off_slacks_hosts_is_never_posted_to(
    worker: Worker, standin: SlackStandIn
) -> None:
    for url in (
        "https://evil.example.com/commands/1",
        "http://hooks.slack.com/commands/1",  # not https
        "https://hooks.slack.com.evil.example/commands/1",
        "https://user:pw@hooks.slack.com/commands/1",
        standin.response_url("x").replace("127.0.0.1", "localhost"),  # another origin
    ):
        worker.submit(refuse, None, response_url=url)
    worker.shutdown()
    assert standin.calls("response_url") == []


def test_shutdown_finishes_accepted_jobs(standin: SlackStandIn) -> None:
    pool = _worker(standin, threads=2, urgent_threads=1)
    ran: list[int] = []

    def slow(job: JobContext, n: int) -> None:
        time.sleep(0.01)
        ran.append(n)

    for n in range(20):
        pool.submit(slow, n, response_url=None)
    pool.shutdown()
    assert sorted(ran) == list(range(20))
    with pytest.raises(Busy):
        pool.submit(slow, 21, response_url=None)


def test_work_is_refused_once_the_oldest_waiting_job_waited_too_long(
    standin: SlackStandIn,
) -> None:
    """Busy by waiting time: an answer later than anyone waits for is not worth queueing."""
    release = threading.Event()
    pool = _worker(standin, threads=2, urgent_threads=1, capacity=100, max_wait=0.2)
    try:
        hold(pool, release)
        pool.submit(wait_for, release, response_url=None)  # waits behind the held thread
        pool.submit(wait_for, release, response_url=None)  # still young: accepted
        time.sleep(0.3)
        with pytest.raises(Busy):
            pool.submit(wait_for, release, response_url=None)
        # An urgent job is judged by its own queue: the urgent thread is free.
        opened = threading.Event()
        pool.submit(lambda job, p: opened.set(), None, response_url=None, urgent=True)
        assert opened.wait(2)
    finally:
        release.set()
        pool.shutdown()


def test_work_is_refused_when_the_backlog_would_take_too_long_at_the_pace_jobs_go(
    standin: SlackStandIn,
) -> None:
    """A burst is refused by its expected wait (backlog over pace), not only once the oldest
    job is already late: with one thread doing ten jobs a second and one second allowed,
    about ten wait, not thousands."""
    pool = _worker(standin, threads=2, urgent_threads=1, capacity=1000, max_wait=1.0)

    def tenth(job: JobContext, payload: None) -> None:
        time.sleep(0.1)

    try:
        for _ in range(5):
            pool.submit(tenth, None, response_url=None)
        time.sleep(0.35)  # a few taken: the pace is known
        accepted = 0
        with pytest.raises(Busy):
            for _ in range(1000):
                pool.submit(tenth, None, response_url=None)
                accepted += 1
        assert accepted < 20
    finally:
        pool.shutdown()


def test_a_user_told_busy_is_told_once_while_the_notice_waits(standin: SlackStandIn) -> None:
    release = threading.Event()
    pool = _worker(standin, threads=2, urgent_threads=1, capacity=1)
    told: list[str] = []

    def note(job: JobContext, who: str) -> None:
        told.append(who)

    try:
        hold(pool, release)  # the normal thread
        hold(pool, release, urgent=True)  # and the urgent one: notices wait
        for _ in range(20):
            assert pool.notice(note, "U1", response_url=None, key="busy:U1")
        assert pool.notice(note, "U2", response_url=None, key="busy:U2")
        assert pool.waiting() == 2
    finally:
        release.set()
        pool.shutdown()
    assert sorted(told) == ["U1", "U2"]
