"""Jobs: the work done after Slack has been answered.

Slack wants an answer within 3 seconds, and with `process_before_response=True` Bolt sends it
only when the listener returns; so listeners acknowledge and hand the rest (queries, Web API
calls, posts to `response_url`) to a worker as a *job*: a module-level function and a payload of
plain data (ids and Slack's own request fields), never live objects.

`serve` runs jobs in a separate worker process (`ProcessWorker`), at the lowest CPU priority:
the web process then only verifies, acknowledges and forwards, so a burst of work holds up
neither the acknowledgements of later requests on the GIL nor, as much, their share of the CPU
(measured in `bench/RESULTS.md`). Over HTTP, commands and clicks are forwarded before Bolt
even sees them (`bot.frontdoor`): their job is the request itself, which the worker runs
through Bolt. Tests use `InProcessWorker`, which runs the very same jobs on threads.

A job's failure cannot reach Bolt's error handler, so `run_job` handles it the same way: a
refusal is told to the user as is; anything else is logged under a reference and the user is
told that reference.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from typing import Any, Protocol

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.access import Refusal
from bot.clock import SystemClock
from bot.config import Settings
from bot.deps import Services
from bot.frontdoor import RequestRunner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobContext:
    """What a job gets: the services, a Web API client, and where to answer the user."""

    services: Services
    client: WebClient
    response_url: str | None
    wake: Callable[[], None] = lambda: None
    """Call after planning deliveries due now: the dispatcher looks at once."""
    requests: RequestRunner | None = None
    """Runs requests the front door acknowledged (`bot.frontdoor`)."""

    def respond(self) -> Respond:
        if not self.response_url:
            raise RuntimeError("this job has no response_url to answer")
        return Respond(response_url=self.response_url)


Job = Callable[[JobContext, Any], None]


class Worker(Protocol):
    def submit(self, job: Job, payload: Any, *, response_url: str | None) -> None: ...

    def wake(self) -> None:
        """Have the delivery dispatcher look for due rows now."""

    def ready(self) -> bool: ...

    def shutdown(self) -> None: ...


def run_job(context: JobContext, job: Job, payload: Any) -> None:
    """Run one job; never raises."""
    try:
        job(context, payload)
    except Refusal as refusal:
        _tell(context.response_url, str(refusal))
    except Exception as error:
        ref = uuid.uuid4().hex[:8]
        log.error("%s failed (ref %s, %s)", _name(job), ref, type(error).__name__, exc_info=error)
        _tell(
            context.response_url,
            f"Sorry, something went wrong on our side (ref {ref}). Please try again; if it "
            "keeps happening, give this reference to your admin.",
        )


WORKER_NICENESS = 19


def yield_the_cpu() -> None:
    """Put this thread, and the threads it starts from now on, behind every other process.

    Jobs yield the CPU to acknowledgements: Slack allows 3 seconds to acknowledge, while an
    answer can wait its turn for the moments of a burst; an idle machine loses nothing. Linux's
    SCHED_IDLE class gives way at once when an acknowledging thread wakes up; a low-priority
    thread of the normal class (niceness 19, elsewhere) may first finish its time slice. With
    the web process and the worker on one CPU, ack p99 measured 1.2-1.7x the bare app's at
    niceness 19 and 1.1-1.6x under SCHED_IDLE (`bench/RESULTS.md`). The price, the same in
    kind for both: on a CPU kept fully busy by other work, jobs wait until it eases.
    """
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        os.nice(WORKER_NICENESS)


LOST = "Sorry, that did not go through on our side. Please try again."


def _name(job: Job) -> str:
    return getattr(job, "__name__", "job")


def _tell(response_url: str | None, text: str) -> None:
    if not response_url:
        return
    try:
        Respond(response_url=response_url)(
            text=text, response_type="ephemeral", replace_original=False
        )
    except Exception as error:
        log.warning("could not tell the user (%s)", type(error).__name__)


class InProcessWorker:
    """Jobs on a thread pool in this process; `wake` runs `on_wake` there too (tests pass a
    dispatcher's `run_due`, or a scheduler's `wake`)."""

    def __init__(
        self,
        services: Services,
        client: WebClient,
        *,
        threads: int = 4,
        on_wake: Callable[[], object] | None = None,
    ) -> None:
        self._services = services
        self._client = client
        self._pool: Executor = ThreadPoolExecutor(threads, thread_name_prefix="job")
        self._on_wake = on_wake
        self._runner = RequestRunner(services, client, self.wake)

    def ready(self) -> bool:
        return True

    def submit(self, job: Job, payload: Any, *, response_url: str | None) -> None:
        context = JobContext(self._services, self._client, response_url, self.wake, self._runner)
        self._pool.submit(run_job, context, job, payload)

    def wake(self) -> None:
        if self._on_wake is not None:
            self._pool.submit(_call_logged, self._on_wake)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


class InlineWorker:
    """Runs each job at once, on the calling thread: the worker that listeners see when they
    already run in the worker (`bot.frontdoor.RequestRunner`), and the benchmarks' profiler's."""

    def __init__(
        self,
        services: Services,
        client: WebClient,
        *,
        wake: Callable[[], None] = lambda: None,
        requests: RequestRunner | None = None,
    ) -> None:
        self._services, self._client = services, client
        self._wake, self._requests = wake, requests

    def submit(self, job: Job, payload: Any, *, response_url: str | None) -> None:
        context = JobContext(self._services, self._client, response_url, self._wake, self._requests)
        run_job(context, job, payload)

    def wake(self) -> None:
        self._wake()

    def ready(self) -> bool:
        return True

    def shutdown(self) -> None:
        pass


class WorkerFailed(Exception):
    """The worker process could not start (its own error is in the log)."""


class ProcessWorker:
    """Jobs in a worker process of its own, started fresh (spawn) from the settings.

    The web process only pickles a job into a pipe (a few microseconds, no helper threads that
    would compete for the GIL with the next request), and never waits for it: see `_Outbox`.
    The worker runs jobs on a few threads and publishes, in shared memory, the sequence number
    up to which every job has finished. If the worker dies, the jobs past that mark are the
    ones lost: each user is told, and a new worker is started.
    """

    def __init__(self, settings: Settings, *, threads: int = 4) -> None:
        self._settings = settings
        self._threads = threads
        self._context = get_context("spawn")
        self._lock = threading.Lock()
        self._seq = 0
        self._sent: deque[tuple[int, str | None]] = deque()  # (sequence, response_url)
        self._stopping = False
        self._launch()
        threading.Thread(target=self._watch, name="worker-watch", daemon=True).start()

    def _launch(self) -> None:
        reader, writer = self._context.Pipe(duplex=False)
        self._outbox = _Outbox(writer)
        self._done = self._context.Value("q", self._seq, lock=False)
        self._ready = self._context.Event()
        self._process = self._context.Process(
            target=_worker_main,
            args=(self._settings, reader, self._done, self._ready, self._threads),
            name="closedset-worker",
            daemon=False,
        )
        self._process.start()
        reader.close()

    def start(self, timeout: float = 60) -> None:
        """Wait until the worker is ready, so a worker that cannot start (database, key)
        stops `serve` at once."""
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.1):
            if not self._process.is_alive() or time.monotonic() > deadline:
                raise WorkerFailed("the job worker process did not start")

    def ready(self) -> bool:
        """Whether a worker process is up and taking jobs."""
        with self._lock:
            return self._process.is_alive() and self._ready.is_set()

    def submit(self, job: Job, payload: Any, *, response_url: str | None) -> None:
        with self._lock:
            self._seq += 1
            try:
                self._outbox.send((self._seq, job, payload, response_url))
            except OSError:
                sent = False  # no worker right now (it died and is being replaced)
            else:
                sent = True
                self._sent.append((self._seq, response_url))
                done = self._done.value
                while self._sent and self._sent[0][0] <= done:
                    self._sent.popleft()
        if not sent:
            log.error("job %s not sent: the worker process is down", _name(job))
            _tell(response_url, LOST)

    def wake(self) -> None:
        self.submit(_wake, None, response_url=None)

    def _watch(self) -> None:
        """Wait for the worker to exit; unless we are stopping, tell the users whose jobs it
        lost, and start another (after a pause, so a worker that keeps failing does not spin)."""
        while True:
            wait([self._process.sentinel])
            with self._lock:
                if self._stopping:
                    return
                done = self._done.value
                lost = [url for seq, url in self._sent if seq > done]
                self._sent.clear()
                self._outbox.close()
            log.error("the job worker process died; %d job(s) lost; starting another", len(lost))
            for url in lost:
                _tell(url, LOST)
            time.sleep(1)
            with self._lock:
                if self._stopping:
                    return
                self._launch()

    def shutdown(self, timeout: float = 60) -> None:
        """Finish the jobs already submitted, then stop the process."""
        with self._lock:
            self._stopping = True
        self._outbox.drain(timeout)
        dropped = self._outbox.close()  # the worker finishes what it has received, then exits
        if dropped:
            log.error("%d job(s) never reached the worker before it stopped", dropped)
        self._process.join(timeout)
        if self._process.is_alive():
            log.error("the job worker did not stop within %s s; terminating it", timeout)
            self._process.terminate()
            self._process.join(5)


class _Outbox:
    """The web process's end of the job pipe: a request thread only queues its job here and
    goes on; a thread of the outbox's own writes what is queued into the pipe, in order,
    batched, as the pipe has room.

    Measured under a saturating load (`bench/RESULTS.md`): a request thread that wrote the
    pipe itself was held up to 45 ms by a full pipe (a worker behind, at the lowest priority),
    and threads waiting on one another's writes (each write lets go of the GIL, and with it,
    of the lock around the pipe) cut throughput at 50 concurrent requests by half.

    Messages are framed as `multiprocessing.Connection.send` frames them (a 4-byte big-endian
    length, then the pickle), so the worker reads them with `Connection.recv`. The queue is
    bounded: past `limit` bytes (tens of thousands of jobs: a worker that has stopped keeping
    up at all) a send waits for room, as a plain pipe would, rather than let the web process
    grow without end.
    """

    LIMIT = 64 * 1024 * 1024
    BATCH = 1024 * 1024
    """Bytes taken from the queue for one write: the pipe holds 64 KiB, so a bigger batch
    would only wait, after copying a backlog of up to `LIMIT` bytes into one buffer."""

    def __init__(self, conn: Connection, *, limit: int = LIMIT) -> None:
        self._conn = conn
        self._fd = conn.fileno()
        os.set_blocking(self._fd, False)
        self._limit = limit
        self._queue: deque[bytes] = deque()
        self._queued = 0  # bytes queued or being written
        self._changed = threading.Condition()
        self._closed = False
        self._broken = False
        threading.Thread(target=self._feed, name="worker-feed", daemon=True).start()

    def send(self, message: Any) -> None:
        """Queue `message`; raises OSError once the worker's end is known to be gone."""
        data = ForkingPickler.dumps(message)  # a view of the pickle: copied once, below
        if len(data) > 0x7FFFFFFF:
            raise ValueError("a job's payload must be well under 2 GiB")
        frame = struct.pack("!i", len(data)) + data
        with self._changed:
            self._changed.wait_for(lambda: self._queued < self._limit or self._closed)
            if self._closed or self._broken:
                raise OSError("the job pipe is closed")
            self._queue.append(frame)
            self._queued += len(frame)
            self._changed.notify_all()

    def _feed(self) -> None:
        """The only user of the pipe's descriptor, and the one to close it: so it is never
        closed (and its number reused by a new worker's pipe) under a write."""
        try:
            while True:
                with self._changed:
                    while not self._queue and not self._closed:
                        self._changed.wait()
                    if self._closed:
                        return
                    batch, size = [], 0
                    while self._queue and size < self.BATCH:
                        batch.append(self._queue.popleft())
                        size += len(batch[-1])
                written = self._write(memoryview(b"".join(batch)))
                with self._changed:
                    self._queued -= written
                    if self._broken or self._closed:
                        self._queue.clear()  # the worker is gone; its watcher tells the users
                        self._queued = 0
                    self._changed.notify_all()
                    if self._broken or self._closed:
                        return
        finally:
            self._conn.close()

    def _write(self, data: memoryview) -> int:
        """Write all of `data` unless the pipe breaks or the outbox closes meanwhile."""
        done = 0
        while done < len(data) and not self._closed:
            try:
                done += os.write(self._fd, data[done:])
            except BlockingIOError:
                select.select([], [self._fd], [], 0.1)  # room, or a look at `_closed`
            except OSError:
                self._broken = True
                break
        return done

    def drain(self, timeout: float) -> bool:
        """Wait until everything queued is in the pipe."""
        with self._changed:
            return self._changed.wait_for(
                lambda: self._queued == 0 or self._closed or self._broken, timeout
            )

    def close(self) -> int:
        """Drop what is still queued (returns how many jobs that was); the feeding thread
        closes the pipe (within 0.1 s)."""
        with self._changed:
            self._closed = True
            dropped = len(self._queue)
            self._queue.clear()
            self._queued = 0
            self._changed.notify_all()
        return dropped


def _worker_main(
    settings: Settings, reader: Connection, done: Any, ready: Any, threads: int
) -> None:
    """The worker process: run jobs from `reader` until it closes, then finish and exit."""
    # The parent decides when to stop: a signal to the whole process group must not kill
    # jobs half-way; the parent closes the pipe and the jobs already sent are finished.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # ...but a parent that was killed outright (SIGKILL) cannot: then go too, not linger.
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    yield_the_cpu()
    from bot.app import make_client
    from bot.cli import configure_logging
    from bot.crypto import load_cipher
    from bot.delivery.dispatch import Dispatcher
    from bot.delivery.scheduler import DeliveryScheduler
    from storage.db import make_engine, make_session_factory

    configure_logging(verbose=True)
    engine = make_engine(settings.database_url)
    services = Services(make_session_factory(engine, load_cipher(settings)), SystemClock())
    client = make_client(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    scheduler = DeliveryScheduler(
        Dispatcher(services, client), sweep_seconds=settings.delivery_sweep_seconds
    )
    runner = RequestRunner(services, client, scheduler.wake)
    mark = _Watermark(done)
    pool = ThreadPoolExecutor(threads, thread_name_prefix="job")
    scheduler.start()
    from bot.heap import freeze_startup_heap

    freeze_startup_heap()
    ready.set()
    while True:
        try:
            seq, job, payload, response_url = reader.recv()
        except EOFError:
            break
        context = JobContext(services, client, response_url, scheduler.wake, runner)
        pool.submit(_run_and_mark, context, job, payload, mark, seq)
    pool.shutdown(wait=True)
    scheduler.shutdown()
    engine.dispose()


def _wake(job: JobContext, payload: None) -> None:
    job.wake()


def _call_logged(fn: Callable[[], object]) -> None:
    try:
        fn()
    except Exception as error:
        log.error("wake-up failed (%s)", type(error).__name__, exc_info=error)


class _Watermark:
    """Publishes the highest sequence number up to which every job has finished."""

    def __init__(self, shared: Any) -> None:
        self._shared = shared
        self._finished: set[int] = set()
        self._lock = threading.Lock()

    def finished(self, seq: int) -> None:
        with self._lock:
            self._finished.add(seq)
            mark = self._shared.value
            while mark + 1 in self._finished:
                mark += 1
                self._finished.discard(mark)
            self._shared.value = mark


def _run_and_mark(context: JobContext, job: Job, payload: Any, mark: _Watermark, seq: int) -> None:
    try:
        run_job(context, job, payload)
    finally:
        mark.finished(seq)


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)
