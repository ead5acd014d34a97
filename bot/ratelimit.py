"""Slack's rate limits, kept by pacing instead of found by being refused.

Slack limits the Web API "per API method per workspace/team per app", in tiers published on
its rate-limits page (https://docs.slack.dev/apis/web-api/rate-limits): Tier 1 "1+ per minute",
Tier 2 "20+", Tier 3 "50+", Tier 4 "100+", and a "Special" tier whose terms are on the method's
own page. `chat.postMessage` is special: "generally allow[s] an app to post 1 message per second
to a specific channel", with "limits governing your app's relationship with the entire
workspace above that, limiting posting to several hundred messages per minute. Generous burst
behavior is also granted" (https://docs.slack.dev/reference/methods/chat.postMessage). Each
method's tier is on its reference page (collected in slackapi/java-slack-sdk,
`MethodsRateLimits.java`). Over a limit Slack answers HTTP 429 with `Retry-After` (seconds), and
warns that an app which keeps calling while rate limited may be disabled.

So every call a client from `bot.app.make_client` makes first waits here for its turn
(`Pacer.wait`): one token bucket per method for the workspace, and for `chat.postMessage` one
more per channel. The rates are the published minimums (the "+" is never quantified). Slack
publishes no burst sizes, only words; ours are below, with the reading taken. When Slack
answers 429 all the same (another instance of the app spends the same workspace's allowance,
or Slack's burst is smaller than ours), every thread of the process holds that method until
`Retry-After` has passed, and the method then starts again from an empty bucket: no round of
calls that would be refused again.

A bucket is kept as a theoretical arrival time (GCRA, "virtual scheduling"): a caller is given
the earliest instant the bucket allows and the bucket moves on by one interval, all under one
lock, so waiting callers are served in order and each sleeps once, for exactly as long as it
has to.

The limits are shared by every caller of the workspace, so the clients of one process should
share one pacer: `bot.app.make_client` makes a client with a pacer of its own, and the copies
made from it share it (the delivery engine's `single_attempt` copy, and Bolt's per-request
copies, which keep its 429 retry handler and so honour `Retry-After` through it). A pacer is
not a process-wide global: tests each get their own, with no turns left over from another.
Serving several workspaces, each workspace's clients share a pacer of the workspace's
(`bot.installations.Workspaces`): one workspace's traffic never waits for another's.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import SlackResponse


@dataclass(frozen=True)
class Limit:
    """A token bucket: `per_minute` calls a minute on average, at most `burst` at once."""

    per_minute: float
    burst: int = 1

    def __post_init__(self) -> None:
        if self.per_minute <= 0 or self.burst < 1:
            raise ValueError("a Limit needs per_minute > 0 and burst >= 1")


# Bursts are our reading of Slack's words for each tier.
TIER_1 = Limit(1, burst=2)  # "1+ per minute ... A small amount of burst behavior is tolerated"
TIER_2 = Limit(20, burst=3)  # "20+ per minute ... occasional bursts of more requests"
TIER_3 = Limit(50, burst=5)  # "50+ per minute ... Sporadic bursts are welcome"
TIER_4 = Limit(100, burst=10)  # "100+ per minute ... generous burst behavior"

POST_PER_WORKSPACE = Limit(300, burst=20)
"""`chat.postMessage` over the whole workspace. "Several hundred messages per minute": 300 is
the least that can mean. "Generous burst behavior": 20 is one scene's cast at once (a check-in
round reaches 20 performers within a second); if Slack's burst is smaller, its first 429 says
so and the bucket restarts empty, so a fan-out meets at most one round of refusals, at its
start."""

POST_PER_CHANNEL = Limit(60, burst=2)
"""`chat.postMessage` to one channel (a user ID posts to that user's DM): "1 message per second
to a specific channel", and "short bursts >1 allowed": 2 is the least that can mean."""

METHOD_LIMITS: Mapping[str, Limit] = {
    "chat.postMessage": POST_PER_WORKSPACE,
    "chat.postEphemeral": TIER_4,
    "chat.update": TIER_3,
    "chat.delete": TIER_3,
    "views.open": TIER_4,
    "views.update": TIER_4,
    "views.push": TIER_4,
    "views.publish": TIER_4,
    "users.info": TIER_4,
    "users.lookupByEmail": TIER_3,
    "users.list": TIER_2,
    "conversations.open": TIER_3,
    "files.info": TIER_4,
    # Special: "hundreds of requests per minute"; 200 is the least that can mean. Bolt calls
    # it when the app starts.
    "auth.test": Limit(200, burst=20),
    # Socket Mode's client calls it to (re)connect.
    "apps.connections.open": TIER_1,
    # Serving several workspaces: installs, and refreshes of rotating tokens; a refused
    # (org-wide) install's token given back.
    "oauth.v2.access": TIER_4,
    "auth.revoke": TIER_3,
}
"""Every Web API method the app calls (a test checks the code for calls missing here). A
method not listed is not paced, but a 429 for it is honoured all the same."""

PER_CHANNEL_LIMITS: Mapping[str, Limit] = {"chat.postMessage": POST_PER_CHANNEL}


class Stopped(Exception):
    """The caller's stop event was set while it waited for its turn: nothing was sent."""


@dataclass(frozen=True)
class Turn:
    """When a call may go (`at`, on the pacer's clock), and how many times Slack had refused
    the method when the turn was given (a refusal since voids the turn)."""

    at: float
    refusals: int


class _Bucket:
    """A token bucket as a theoretical arrival time `tat`: the bucket allows a call at
    `tat - tolerance` (full when that is in the past), and each call moves `tat` on by one
    interval."""

    __slots__ = ("interval", "tat", "tolerance")

    def __init__(self, limit: Limit, now: float) -> None:
        self.interval = 60.0 / limit.per_minute
        self.tolerance = (limit.burst - 1) * self.interval
        self.tat = now  # full

    def earliest(self) -> float:
        return self.tat - self.tolerance

    def take(self, at: float) -> None:
        self.tat = max(self.tat, at) + self.interval

    def empty_at(self, at: float) -> None:
        """One call allowed at `at`, then one per interval (any turns given are void)."""
        self.tat = at + self.tolerance


class Pacer:
    """Turns for Web API calls to one workspace, by method (and channel), in order of asking.

    `clock` is monotonic seconds (tests pass their own); `turn` and `refused` take `now`
    explicitly, so the schedule can be tested as a function of time, and `wait` is the
    blocking loop around them that the clients use. `scale` multiplies every rate (not the
    bursts): the published rates are minimums ("1+", "50+"), and a workspace known to be
    allowed more, or a test of something other than pacing, may go faster.
    """

    MAX_BUCKETS = 4096
    """Buckets kept (one per channel posted to); beyond that, the full ones are dropped."""

    def __init__(
        self,
        limits: Mapping[str, Limit] = METHOD_LIMITS,
        *,
        per_channel: Mapping[str, Limit] = PER_CHANNEL_LIMITS,
        clock: Callable[[], float] = time.monotonic,
        scale: float = 1.0,
    ) -> None:
        if not scale > 0:
            raise ValueError("a Pacer needs scale > 0")
        self.limits = {m: Limit(x.per_minute * scale, x.burst) for m, x in limits.items()}
        self.per_channel = {m: Limit(x.per_minute * scale, x.burst) for m, x in per_channel.items()}
        self.clock = clock
        self._changed = threading.Condition()
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._held: dict[str, float] = {}
        self._refusals: dict[str, int] = {}

    @property
    def refusals(self) -> int:
        """How many 429s were reported, over all methods (for tests and benchmarks)."""
        with self._changed:
            return sum(self._refusals.values())

    def turn(self, method: str, channel: str | None = None, *, now: float) -> Turn:
        """Take the next turn for `method` (to `channel`) at or after `now`."""
        with self._changed:
            return self._turn(method, channel, now)

    def refused(
        self,
        method: str,
        retry_after: float,
        *,
        channel: str | None = None,
        now: float | None = None,
    ) -> None:
        """Slack answered 429 with `Retry-After: retry_after`: hold `method` for every caller
        until then, and start its buckets again from empty. Slack does not say which limit it
        was (the channel's or the workspace's), so the whole method waits."""
        with self._changed:
            now = self.clock() if now is None else now
            until = now + max(retry_after, 0.0)
            self._held[method] = max(self._held.get(method, until), until)
            self._refusals[method] = self._refusals.get(method, 0) + 1
            for key in ((method, ""), (method, channel or "")):
                bucket = self._buckets.get(key)
                if bucket is not None:
                    bucket.empty_at(until)
            self._changed.notify_all()

    def wait(
        self, method: str, channel: str | None = None, *, stop: threading.Event | None = None
    ) -> float:
        """Block until it is this call's turn; returns the seconds waited. Raises `Stopped`
        if `stop` is set while it waits (`wake` makes it look at once)."""
        with self._changed:
            start = now = self.clock()
            while True:
                turn = self._turn(method, channel, now)
                while now < turn.at and self._refusals.get(method, 0) == turn.refusals:
                    if stop is not None and stop.is_set():
                        raise Stopped(method)
                    self._changed.wait(turn.at - now)
                    now = self.clock()
                if self._refusals.get(method, 0) == turn.refusals:
                    return now - start
                # Slack refused the method while this call waited: its turn is void.

    def wake(self) -> None:
        """Make every waiting caller look again (at its stop event)."""
        with self._changed:
            self._changed.notify_all()

    def _turn(self, method: str, channel: str | None, now: float) -> Turn:
        if len(self._buckets) >= self.MAX_BUCKETS:
            # A full bucket is the same as a new one.
            self._buckets = {k: b for k, b in self._buckets.items() if b.tat > now}
        buckets = []
        if (limit := self.limits.get(method)) is not None:
            buckets.append(self._bucket((method, ""), limit, now))
        if channel and (limit := self.per_channel.get(method)) is not None:
            buckets.append(self._bucket((method, channel), limit, now))
        at = max([now, self._held.get(method, now)] + [b.earliest() for b in buckets])
        for bucket in buckets:
            bucket.take(at)
        return Turn(at, self._refusals.get(method, 0))

    def _bucket(self, key: tuple[str, str], limit: Limit, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(limit, now)
        return bucket


class PacedWebClient(WebClient):
    """A `WebClient` whose every call waits for its turn at `pacer` first, and reports a 429
    that comes back anyway (when it has no retry handler that did already). A call waiting
    for its turn when `stop` is set raises `Stopped` instead of going."""

    def __init__(self, *args: Any, pacer: Pacer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pacer = pacer
        self.stop: threading.Event | None = None

    def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[Any, Any] | None = None,
        data: dict[Any, Any] | None = None,
        params: dict[Any, Any] | None = None,
        json: dict[Any, Any] | None = None,
        headers: dict[Any, Any] | None = None,
        auth: dict[Any, Any] | None = None,
    ) -> SlackResponse:
        channel = _channel_in(json, data, params)
        self.pacer.wait(api_method, channel, stop=self.stop)
        try:
            return super().api_call(
                api_method,
                http_verb=http_verb,
                files=files,
                data=data,
                params=params,
                json=json,
                headers=headers,
                auth=auth,
            )
        except SlackApiError as error:
            if error.response.status_code == 429:
                wait = retry_after(error.response.headers)
                self.pacer.refused(api_method, 1.0 if wait is None else wait, channel=channel)
            raise


def single_attempt(client: WebClient) -> PacedWebClient:
    """A client for a caller that retries by itself: `client`'s token, endpoint, timeout and
    logger, paced by `client`'s pacer (a new one if it has none), and without retry handlers,
    so that each call is one HTTP attempt. (Bolt copies clients the same way.)"""
    pacer = client.pacer if isinstance(client, PacedWebClient) else Pacer()
    return PacedWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=dict(client.headers),
        logger=client.logger,
        retry_handlers=[],
        pacer=pacer,
    )


class GatedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Slack's own 429 retry (`max_retry_count` times), for clients that answer users: the
    429 is reported to the pacer, so every thread holds the method until `Retry-After`, and
    the retry waits for its turn like any call. Bolt gives each request a copy of the app's
    client with the same retry handlers, so its listeners' calls honour `Retry-After` through
    this too."""

    def __init__(self, pacer: Pacer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pacer = pacer

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
        method = method_of(request.url)
        channel = _channel_in_body(request.data)
        wait = retry_after({k: v[0] for k, v in response.headers.items() if v})
        self.pacer.refused(method, 1.0 if wait is None else wait, channel=channel)
        self.pacer.wait(method, channel)
        state.increment_current_attempt()


def method_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]


def retry_after(headers: Mapping[str, Any] | None) -> float | None:
    """Seconds from a `Retry-After` header (any case), or None when absent or unreadable (not
    a finite number: "inf" would hold the method for good)."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            with contextlib.suppress(TypeError, ValueError):
                seconds = float(value)
                return max(seconds, 0.0) if math.isfinite(seconds) else None
    return None


def _channel_in(*bodies: dict[Any, Any] | None) -> str | None:
    for body in bodies:
        if body and isinstance(body.get("channel"), str):
            return str(body["channel"])
    return None


def _channel_in_body(data: bytes | None) -> str | None:
    """The `channel` of a request body as sent (JSON, or a form)."""
    if not data:
        return None
    with contextlib.suppress(ValueError):
        text = data.decode()
        if text.startswith("{"):
            found = json.loads(text).get("channel")
            return found if isinstance(found, str) else None
        return parse_qs(text).get("channel", [None])[0]
    return None
