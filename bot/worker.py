"""Jobs: the work done after Slack has been answered.

Slack wants an answer within 3 seconds, and with `process_before_response=True` Bolt sends it
only when the listener returns; so listeners acknowledge and hand the rest (queries, Web API
calls, posts to `response_url`) to a worker as a *job*: a module-level function and a payload of
plain data (ids and Slack's own request fields), never live objects.

`serve` runs jobs in a separate worker process (`ProcessWorker`): the web process then only
verifies, acknowledges and forwards, so a burst of work cannot hold up the acknowledgements of
later requests on the GIL (measured in `bench/RESULTS.md`). Tests use `InProcessWorker`, which
runs the very same jobs on threads.

A job's failure cannot reach Bolt's error handler, so `run_job` handles it the same way: a
refusal is told to the user as is; anything else is logged under a reference and the user is
told that reference.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any, Protocol

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.access import Refusal
from bot.clock import SystemClock
from bot.config import Settings
from bot.deps import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobContext:
    """What a job gets: the services, a Web API client, and where to answer the user."""

    services: Services
    client: WebClient
    response_url: str | None

    def respond(self) -> Respond:
        if not self.response_url:
            raise RuntimeError("this job has no response_url to answer")
        return Respond(response_url=self.response_url)


Job = Callable[[JobContext, Any], None]


class Worker(Protocol):
    def submit(self, job: Job, payload: Any, *, response_url: str | None) -> None: ...

    def shutdown(self) -> None: ...


def run_job(context: JobContext, job: Job, payload: Any) -> None:
    """Run one job; never raises."""
    try:
        job(context, payload)
    except Refusal as refusal:
        _tell(context, str(refusal))
    except Exception as error:
        ref = uuid.uuid4().hex[:8]
        name = getattr(job, "__name__", "job")
        log.error("%s failed (ref %s, %s)", name, ref, type(error).__name__, exc_info=error)
        _tell(
            context,
            f"Sorry, something went wrong on our side (ref {ref}). Please try again; if it "
            "keeps happening, give this reference to your admin.",
        )


def _tell(context: JobContext, text: str) -> None:
    if not context.response_url:
        return
    try:
        context.respond()(text=text, response_type="ephemeral", replace_original=False)
    except Exception as error:
        log.warning("could not tell the user (%s)", type(error).__name__)


class InProcessWorker:
    """Jobs on a thread pool in this process."""

    def __init__(self, services: Services, client: WebClient, *, threads: int = 4) -> None:
        self._services = services
        self._client = client
        self._pool: Executor = ThreadPoolExecutor(threads, thread_name_prefix="job")

    def submit(self, job: Job, payload: Any, *, response_url: str | None) -> None:
        context = JobContext(self._services, self._client, response_url)
        self._pool.submit(run_job, context, job, payload)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


class ProcessWorker:
    """Jobs in worker processes of their own, started fresh (spawn) from the settings."""

    def __init__(self, settings: Settings, *, processes: int = 1) -> None:
        self._settings = settings
        self._processes = processes
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._processes,
            mp_context=get_context("spawn"),
            initializer=_start_worker_process,
            initargs=(self._settings,),
        )

    def start(self, timeout: float = 60) -> None:
        """Start the processes now and wait until they are ready, so that a worker that cannot
        start (database, key) stops `serve` at once and the first job pays no start-up."""
        self._pool.submit(_ready).result(timeout=timeout)

    def submit(self, job: Job, payload: Any, *, response_url: str | None) -> None:
        with self._lock:
            try:
                self._pool.submit(_run_in_worker_process, job, payload, response_url)
                return
            except BrokenProcessPool:
                # A worker process died (killed, out of memory): start new ones, submit again.
                log.error("worker process died; starting a new one")
                self._pool = self._new_pool()
            self._pool.submit(_run_in_worker_process, job, payload, response_url)

    def shutdown(self) -> None:
        """Finish the jobs already submitted, then stop the processes."""
        self._pool.shutdown(wait=True)


# The worker process's own services, built once by its initializer: the process-wide
# composition root of a process that exists only to run jobs.
_PROCESS: tuple[Services, WebClient] | None = None


def _start_worker_process(settings: Settings) -> None:
    global _PROCESS
    # The parent decides when to stop: a signal to the whole process group must not kill
    # jobs half-way; `shutdown()` lets them finish.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # ...but a parent that was killed outright (SIGKILL) cannot: then go too, not linger.
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    from bot.app import make_client
    from bot.cli import configure_logging
    from bot.crypto import load_cipher
    from storage.db import make_engine, make_session_factory

    configure_logging(verbose=True)
    engine = make_engine(settings.database_url)
    services = Services(make_session_factory(engine, load_cipher(settings)), SystemClock())
    _PROCESS = (
        services,
        make_client(token=settings.slack_bot_token, base_url=settings.slack_api_url),
    )


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _ready() -> bool:
    return _PROCESS is not None


def _run_in_worker_process(job: Job, payload: Any, response_url: str | None) -> None:
    assert _PROCESS is not None, "worker process not initialised"
    services, client = _PROCESS
    run_job(JobContext(services, client, response_url), job, payload)
