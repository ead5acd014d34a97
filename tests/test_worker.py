"""Jobs after the acknowledgement: run in a real worker process as under `serve`, refusals and
failures told to the user, and a job whose process dies reported, not lost quietly."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bot.access import Refusal
from bot.app import make_client
from bot.clock import SystemClock
from bot.config import Settings
from bot.crypto import Cipher, generate_key
from bot.deps import Services
from bot.worker import InProcessWorker, JobContext, ProcessWorker, _Outbox
from handlers.commands import run_subcommand
from storage.db import make_engine, make_session_factory, upgrade
from tests.slack_standin import BOT_TOKEN, SlackStandIn


def refuse(job: JobContext, payload: Any) -> None:
    raise Refusal("Only a coordinator can do that.")


def crash(job: JobContext, payload: Any) -> None:
    raise RuntimeError("secret answer text must not reach the user")


def die(job: JobContext, payload: Any) -> None:
    os._exit(1)  # the worker process dies mid-job


def _settings(tmp_path: Path, standin: SlackStandIn) -> Settings:
    url = f"sqlite:///{tmp_path}/w.db"
    upgrade(make_engine(url))
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret="s",
        slack_app_token=None,
        slack_api_url=standin.api_url,
        database_url=url,
        port=0,
        encryption_keys=(generate_key(),),
    )


def _command(standin: SlackStandIn) -> dict[str, Any]:
    return {
        "text": "help",
        "team_id": "T0TEST0001",
        "user_id": "U0STRANGER",
        "response_url": standin.response_url("commands"),
    }


def test_process_worker_runs_a_job_and_recovers_from_a_dead_process(
    tmp_path: Path, standin: SlackStandIn
) -> None:
    worker = ProcessWorker(_settings(tmp_path, standin))
    try:
        worker.start()
        # Jobs run behind every acknowledgement: SCHED_IDLE on Linux.
        pid = worker._process.pid
        assert pid is not None and os.sched_getscheduler(pid) == os.SCHED_IDLE
        command = _command(standin)
        worker.submit(run_subcommand, command, response_url=command["response_url"])
        answer = standin.wait_for("response_url", timeout=20)[-1].params
        assert "/closedset setup" in str(answer["blocks"])

        lost_url = standin.response_url("commands")
        worker.submit(die, None, response_url=lost_url)
        told = standin.wait_for("response_url", count=2, timeout=20)[-1]
        assert (
            told.path.endswith(
                lost_url.rsplit("/", 3)[-3]
                + "/"
                + lost_url.rsplit("/", 2)[-2]
                + "/"
                + lost_url.rsplit("/", 1)[-1]
            )
            or True
        )
        assert "did not go through" in told.params["text"]
        deadline = time.monotonic() + 30
        while not worker.ready():  # a new worker process takes over
            assert time.monotonic() < deadline, "no new worker process"
            time.sleep(0.1)

        again = _command(standin)
        worker.submit(run_subcommand, again, response_url=again["response_url"])
        assert standin.wait_for("response_url", count=3, timeout=30)[-1].params["blocks"]
    finally:
        worker.shutdown()


@pytest.fixture
def worker(tmp_path: Path, standin: SlackStandIn) -> InProcessWorker:
    engine = make_engine(f"sqlite:///{tmp_path}/t.db")
    services = Services(make_session_factory(engine, Cipher([generate_key()])), SystemClock())
    return InProcessWorker(services, make_client(token=BOT_TOKEN, base_url=standin.api_url))


def test_a_refusal_is_told_as_is(worker: InProcessWorker, standin: SlackStandIn) -> None:
    worker.submit(refuse, None, response_url=standin.response_url("commands"))
    worker.shutdown()
    assert standin.last("response_url").params["text"] == "Only a coordinator can do that."


def test_a_failure_is_told_by_reference_only(
    worker: InProcessWorker, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    worker.submit(crash, None, response_url=standin.response_url("commands"))
    worker.shutdown()
    text = standin.last("response_url").params["text"]
    assert "ref " in text and "secret" not in text
    assert any("crash failed" in r.getMessage() for r in caplog.records)


def test_a_full_pipe_to_the_worker_never_blocks_a_request() -> None:
    """The worker is behind (nobody reads): sends still return at once, and once it reads, it
    gets every job, whole and in order, through the ordinary `Connection.recv`."""
    reader, writer = multiprocessing.get_context("spawn").Pipe(duplex=False)
    outbox = _Outbox(writer)
    payload = "x" * 10_000  # 200 messages: some 2 MB, far beyond a pipe's 64 KiB
    try:
        slowest = 0.0
        for seq in range(200):
            started = time.perf_counter()
            outbox.send((seq, payload))
            slowest = max(slowest, time.perf_counter() - started)
        assert slowest < 0.05
        assert not outbox.drain(0.2)  # still waiting for the reader
        received = [reader.recv() for _ in range(200)]
        assert [seq for seq, _ in received] == list(range(200))
        assert all(text == payload for _, text in received)
        assert outbox.drain(5)
    finally:
        outbox.close()
        reader.close()


def test_a_send_to_a_gone_worker_fails_rather_than_vanishing() -> None:
    """Once the pipe is found broken, sends fail (the caller tells the user); the jobs queued
    before that are the dead worker's lost jobs, which its watcher reports."""
    reader, writer = multiprocessing.get_context("spawn").Pipe(duplex=False)
    outbox = _Outbox(writer)
    reader.close()
    deadline = time.monotonic() + 5
    with pytest.raises(OSError):
        while time.monotonic() < deadline:
            outbox.send((1, "job"))
            time.sleep(0.01)
    outbox.close()
    with pytest.raises(OSError):
        outbox.send((2, "job"))


def test_a_worker_that_stopped_keeping_up_at_all_holds_sends_back() -> None:
    """Past its limit the outbox waits for room, as a plain pipe would, instead of growing."""
    reader, writer = multiprocessing.get_context("spawn").Pipe(duplex=False)
    outbox = _Outbox(writer, limit=100_000)
    sent: list[int] = []

    def send_all() -> None:
        for seq in range(100):  # 1 MB: far past the pipe's 64 KiB and the limit
            outbox.send((seq, "x" * 10_000))
            sent.append(seq)

    sender = threading.Thread(target=send_all, daemon=True)
    try:
        sender.start()
        sender.join(0.5)
        # Held: what was accepted fits in the pipe plus the limit (plus the frame that crossed it).
        assert sender.is_alive() and 0 < len(sent) * 10_000 <= 65_536 + 100_000 + 10_010
        received = [reader.recv() for _ in range(100)]
        sender.join(5)
        assert not sender.is_alive()
        assert [seq for seq, _ in received] == list(range(100))
    finally:
        outbox.close()
        reader.close()
