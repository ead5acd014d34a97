"""Jobs: the work done after Slack has been answered, on one bounded pool of threads.

Slack wants an answer within 3 seconds, and with `process_before_response=True` Bolt sends it
when the listener returns; so a listener acknowledges and hands the rest (queries, Web API
calls, posts to `response_url`) to the worker as a *job*: a function and a payload of plain
data (ids and Slack's own request fields), never live objects.

The worker is a pool of threads in the serving process, sized by what a job waits on rather
than by the CPU: nearly all of a job's time is a Slack round trip (~100 ms) or the database, so
answering 50 requests a second needs several jobs in flight at once — 4 threads at 100 ms
each top out at 40 answers a second. It is bounded twice: at most `threads` jobs run, and
work is refused once the oldest waiting job has waited longer than anyone waits for an answer
(or `capacity` jobs wait): `submit` raises `Busy` and the listener tells the user to try
again, rather than let a backlog grow that would be answered minutes late.

Modal openers are *urgent*: a `trigger_id` is good for 3 seconds. Urgent jobs are taken before
others queued up to half a second earlier (so a stream of them never starves the rest), and
`urgent_threads` of the threads take nothing else, so a modal still opens when every other
thread is waiting on a slow Slack.

A job's failure cannot reach Bolt's error handler, so `run_job` handles it the same way: a
refusal is told to the user as is; anything else is logged under a reference and the user is
told that reference.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.access import Refusal
from bot.logs import REQUEST_REF
from bot.services import Services
from bot.slackhosts import is_response_url
from bot.text import mrkdwn_escape

log = logging.getLogger(__name__)

BUSY = "Closed Set is very busy right now. Please try again in a moment."

REQUEST_TEAM: ContextVar[str] = ContextVar("request_team", default="")
"""The workspace of the request being handled (set by `bot.app` after verification): a job
queued while handling it runs with that workspace's Web API client."""


class Busy(Exception):
    """The worker has as many jobs waiting as it may hold."""


@dataclass(frozen=True)
class JobContext:
    """What a job gets: the services, a Web API client, and where to answer the user."""

    services: Services
    client: WebClient
    response_url: str | None
    wake: Callable[[], None] = lambda: None
    """Call after planning deliveries due now: the dispatcher looks at once."""

    def respond(self) -> Respond:
        url = self.response_url
        if not url or not is_response_url(url, api_url=self.client.base_url):
            raise RuntimeError("this job has no response_url on Slack's hosts to answer")
        return Respond(response_url=url)


Job = Callable[[JobContext, Any], None]


def run_job(context: JobContext, job: Job, payload: Any) -> None:
    """Run one job; never raises."""
    try:
        job(context, payload)
    except Refusal as refusal:
        tell(context, mrkdwn_escape(str(refusal)))  # it may quote names people typed
    except Exception as error:
        ref = REQUEST_REF.get() if REQUEST_REF.get() != "-" else uuid.uuid4().hex[:8]
        log.error("%s failed (ref %s, %s)", _name(job), ref, type(error).__name__, exc_info=error)
        tell(
            context,
            f"Sorry, something went wrong on our side (ref {ref}). Please try again; if it "
            "keeps happening, give this reference to your admin.",
        )


def tell(context: JobContext, text: str) -> None:
    """An ephemeral line to the user through the request's `response_url`, if it has one on
    Slack's hosts; a failure to tell is logged, not raised."""
    if not context.response_url:
        return
    try:
        context.respond()(text=text, response_type="ephemeral", replace_original=False)
    except Exception as error:
        log.warning("could not tell the user (%s)", type(error).__name__)


def _name(job: Job) -> str:
    return getattr(job, "__name__", "job")


@dataclass(frozen=True)
class _Entry:
    job: Job
    payload: Any
    response_url: str | None
    ref: str
    queued_at: float
    notice: bool = False
    key: str | None = None
    team: str = ""


class Worker:
    """The bounded pool. `on_wake` runs, as a job, when something asks the delivery
    dispatcher to look now (`serve` passes its scheduler's `wake`; tests a dispatcher's
    `run_due`).

    Two queues, each first in, first out: urgent jobs (modal openers, and notices to users)
    and the rest; a thread takes an urgent job first unless the oldest ordinary job has waited
    `NORMAL_SLACK` longer than it (earliest deadline first, the urgent ones' deadline being
    sooner), and `urgent_threads` take nothing else.
    "Busy" is decided by waiting time, not only by length: once the oldest waiting job has
    waited `max_wait` seconds (2 s for an urgent one, whose trigger lasts 3), new work of that
    kind is refused, since its answer would come later than anyone waits for; `capacity` caps
    the memory all the same. Notices have a budget of their own (`NOTICES`), so refusing work
    never stops the refusals from being told.
    """

    NOTICES = 1000
    URGENT_MAX_WAIT = 2.0
    NORMAL_SLACK = 0.5
    """How much longer than the oldest urgent job an ordinary job waits before it goes first."""

    def __init__(
        self,
        services: Services,
        client: WebClient,
        *,
        threads: int = 32,
        urgent_threads: int = 4,
        capacity: int = 2000,
        max_wait: float = 3.0,
        on_wake: Callable[[], object] | None = None,
        clients: Callable[[str], WebClient | None] | None = None,
    ) -> None:
        """`clients`: serving several workspaces, a job's client is its workspace's
        (`bot.installations.Workspaces.client`); else every job gets `client`."""
        if not 0 < urgent_threads < threads:
            raise ValueError("urgent_threads must be at least 1 and fewer than threads")
        self._services = services
        self._client = client
        self._clients = clients
        self._capacity = capacity
        self._max_wait = max_wait
        self._on_wake = on_wake
        self._urgent: deque[_Entry] = deque()  # urgent jobs and notices, in order
        self._urgent_jobs: deque[_Entry] = deque()  # the same urgent jobs, without notices
        self._normal: deque[_Entry] = deque()
        # When jobs were last taken, per queue: the pace the queue drains at.
        self._taken_urgent: deque[float] = deque(maxlen=64)
        self._taken_normal: deque[float] = deque(maxlen=64)
        self._few = 2 * threads  # a backlog this short is always taken: it starts at once
        self._notices = 0
        self._notice_keys: set[str] = set()
        self._lock = threading.Lock()
        self._for_any = threading.Condition(self._lock)
        self._for_urgent = threading.Condition(self._lock)
        self._stopping = False
        self._threads = [
            threading.Thread(
                target=self._run, args=(i < urgent_threads,), name=f"job-{i}", daemon=True
            )
            for i in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def submit(
        self, job: Job, payload: Any, *, response_url: str | None, urgent: bool = False
    ) -> None:
        """Queue `job`; raises `Busy` when its queue is backed up (see the class)."""
        now = time.monotonic()
        entry = _Entry(job, payload, response_url, REQUEST_REF.get(), now, team=REQUEST_TEAM.get())
        with self._lock:
            if self._stopping:
                raise Busy("the worker is stopping")
            if urgent:
                waiting = self._urgent_jobs
                wait = self._expected_wait(waiting, self._taken_urgent, now)
                if len(waiting) >= max(10, self._capacity // 10) or wait > self.URGENT_MAX_WAIT:
                    raise Busy(f"{len(waiting)} urgent jobs waiting, ~{wait:.1f} s")
                self._urgent.append(entry)
                self._urgent_jobs.append(entry)
                self._for_urgent.notify()
            else:
                wait = self._expected_wait(self._normal, self._taken_normal, now)
                if len(self._normal) >= self._capacity or wait > self._max_wait:
                    raise Busy(f"{len(self._normal)} jobs waiting, ~{wait:.1f} s")
                self._normal.append(entry)
            self._for_any.notify()

    def _expected_wait(self, waiting: Sequence[_Entry], taken: deque[float], now: float) -> float:
        """How long a job queued now would wait: at least as long as the oldest has, and the
        backlog divided by the pace jobs were taken at over the last seconds."""
        if not waiting:
            return 0.0
        oldest = now - waiting[0].queued_at
        if len(waiting) <= self._few:
            return oldest
        recent = [t for t in taken if now - t <= 5.0]
        if len(recent) < 2:
            return oldest  # no pace yet (a burst just began): the oldest job's wait decides
        pace = len(recent) / max(now - recent[0], 0.05)
        return max(oldest, len(waiting) / pace)

    def notice(
        self, job: Job, payload: Any, *, response_url: str | None, key: str | None = None
    ) -> bool:
        """Queue a short job that tells a user something (that we are busy, that something
        failed), ahead of other work and outside `capacity`; past `NOTICES` waiting it is
        dropped (and logged). With a `key`, a notice is not queued while one with the same key
        still waits (someone clicking twenty times while we are busy is told once). Returns
        whether the user will be told."""
        now = time.monotonic()
        entry = _Entry(
            job, payload, response_url, REQUEST_REF.get(), now, True, key, REQUEST_TEAM.get()
        )
        with self._lock:
            if key is not None and key in self._notice_keys:
                return True
            if self._stopping or self._notices >= self.NOTICES:
                log.warning("a notice to a user was dropped: %d already waiting", self.NOTICES)
                return False
            self._notices += 1
            if key is not None:
                self._notice_keys.add(key)
            self._urgent.append(entry)
            self._for_urgent.notify()
            self._for_any.notify()
        return True

    def wake(self) -> None:
        """Have the delivery dispatcher look for due rows now (a wake-up is never refused:
        were it dropped, the sweep would still find the rows within seconds)."""
        if self._on_wake is None:
            return
        try:
            self.submit(_wake, self._on_wake, response_url=None)
        except Busy:
            log.warning("wake-up not queued: the worker is full; the sweep will find the rows")

    def ready(self) -> bool:
        return not self._stopping and all(thread.is_alive() for thread in self._threads)

    def waiting(self) -> int:
        with self._lock:
            return len(self._urgent) + len(self._normal)

    def shutdown(self, timeout: float = 30) -> None:
        """Finish the jobs already accepted (up to `timeout` seconds), then stop."""
        with self._lock:
            self._stopping = True
            self._for_any.notify_all()
            self._for_urgent.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        left = self.waiting()
        if left:
            log.error("%d job(s) were not run before the worker stopped", left)

    def _take(self, urgent_only: bool) -> _Entry | None:
        ready = self._for_urgent if urgent_only else self._for_any
        with self._lock:
            while True:
                if self._urgent and (urgent_only or not self._normal_is_due()):
                    entry = self._urgent.popleft()
                    if entry.notice:
                        self._notices -= 1
                        self._notice_keys.discard(entry.key or "")
                    else:
                        self._urgent_jobs.popleft()  # FIFO in both: this very entry
                        self._taken_urgent.append(time.monotonic())
                    return entry
                if self._normal and not urgent_only:
                    self._taken_normal.append(time.monotonic())
                    return self._normal.popleft()
                if self._stopping:
                    return None
                ready.wait()

    def _normal_is_due(self) -> bool:
        """Whether the oldest ordinary job goes before the oldest urgent one: once it has
        waited `NORMAL_SLACK` longer. Urgent work first, but a steady stream of it (a crew
        opening modals) cannot hold a command's answer back until the stream ends."""
        return bool(self._normal) and (
            self._normal[0].queued_at + self.NORMAL_SLACK < self._urgent[0].queued_at
        )

    def _run(self, urgent_only: bool) -> None:
        while (entry := self._take(urgent_only)) is not None:
            REQUEST_REF.set(entry.ref)  # the job's lines carry its request's reference
            REQUEST_TEAM.set(entry.team)  # and what it queues runs in its workspace too
            context = JobContext(
                self._services, self._client_for(entry), entry.response_url, self.wake
            )
            run_job(context, entry.job, entry.payload)

    def _client_for(self, entry: _Entry) -> WebClient:
        """The job's workspace's client; where there is none (the app was removed from the
        workspace meanwhile), `client`, without a token there: the job's database work (an
        erasure) still runs, and Slack refuses its calls."""
        if self._clients is None or not entry.team:
            return self._client
        try:
            return self._clients(entry.team) or self._client
        except Exception as error:  # the database is down: the job's own work fails anyway
            log.error("no client for a job (%s)", type(error).__name__, exc_info=error)
            return self._client


def _wake(job: JobContext, on_wake: Callable[[], object]) -> None:
    on_wake()
