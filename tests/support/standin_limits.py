"""Slack's rate limits as the stand-in enforces them: a :class:`Limit` is a token bucket,
:class:`RateLimits` the set of them (Slack's published tiers by default), and
:class:`RateLimiting` the stand-in's side (a mixin of
:class:`tests.support.slack_standin.SlackStandIn`): a call over its method's limit gets HTTP 429,
``Retry-After: <seconds>`` and ``{"ok": false, "error": "ratelimited"}``, as Slack answers.
Enforcing is off until a test calls :meth:`RateLimiting.enforce_rate_limits`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from tests.support.standin_calls import Call, channel_for


@dataclass(frozen=True)
class Limit:
    """A token bucket: ``per_minute`` calls a minute on average, at most ``burst`` at once.

    A bucket starts full (``burst`` calls may go at once), refills at ``per_minute / 60``
    calls a second up to ``burst``, and each accepted call takes one; a call that finds it
    empty is refused with ``Retry-After`` = the seconds until one is back, rounded up (Slack
    sends whole seconds).
    """

    per_minute: float
    burst: int = 1

    def __post_init__(self) -> None:
        if self.per_minute <= 0 or self.burst < 1:
            raise ValueError("a Limit needs per_minute > 0 and burst >= 1")


# Slack's published limits. Sources:
# [R] https://docs.slack.dev/apis/web-api/rate-limits -- limits apply "per API method per
#     workspace/team per app"; Tier 1 "1+ per minute", Tier 2 "20+ per minute", Tier 3 "50+ per
#     minute", Tier 4 "100+ per minute"; "Posting messages: 1 per second. Short bursts >1
#     allowed"; over a limit Slack answers HTTP 429 with a Retry-After header (seconds).
# [P] https://docs.slack.dev/reference/methods/chat.postMessage, "Rate limiting": "It will
#     generally allow an app to post 1 message per second to a specific channel. There are
#     limits governing your app's relationship with the entire workspace above that, limiting
#     posting to several hundred messages per minute. Generous burst behavior is also granted."
# [M] each method's tier as listed on its page docs.slack.dev/reference/methods/<method>
#     ("Rate limits" fact), also collected in slackapi/java-slack-sdk,
#     slack-api-client/src/main/java/com/slack/api/methods/MethodsRateLimits.java.
# The per-minute figures are the tier minimums (the "+" is never quantified), so they are the
# conservative reading. Slack describes bursts only in words ("a small amount", "occasional",
# "sporadic", "generous"): every `burst` below is our choice, not a published number.
TIER_1 = Limit(1, burst=1)  # [R] "1+ per minute ... a small amount of burst behavior"
TIER_2 = Limit(20, burst=3)  # [R] "20+ per minute ... occasional bursts"
TIER_3 = Limit(50, burst=5)  # [R] "50+ per minute ... sporadic bursts are welcome"
TIER_4 = Limit(100, burst=10)  # [R] "100+ per minute ... generous burst behavior"

#: chat.postMessage to one channel (a DM is a channel): [P] "1 message per second to a specific
#: channel", [R] "short bursts >1 allowed" -- 2 is the smallest burst that is "> 1".
POST_MESSAGE_PER_CHANNEL = Limit(60, burst=2)
#: chat.postMessage over the whole workspace: [P] "several hundred messages per minute" with
#: "generous burst behavior" -- no number is published; 300 a minute (5 a second) is the least
#: that "several hundred" can mean, and a burst of 10 (two seconds' worth) is our choice.
POST_MESSAGE_PER_WORKSPACE = Limit(300, burst=10)

#: Per-method limits of the methods this stand-in answers ([M] for the tiers).
METHOD_LIMITS: Mapping[str, Limit] = {
    # [M] auth.test: special tier, "hundreds of requests per minute"; 200 is the least
    # "hundreds" can mean (java-slack-sdk assumes 600).
    "auth.test": Limit(200, burst=20),
    "chat.postEphemeral": TIER_4,  # [M]
    "chat.update": TIER_3,  # [M]
    "chat.delete": TIER_3,  # [M]
    "views.open": TIER_4,  # [M]
    "views.update": TIER_4,  # [M]
    "views.push": TIER_4,  # [M]
    "views.publish": TIER_4,  # [M]
    "conversations.open": TIER_3,  # [M]
    "users.info": TIER_4,  # [M]
    "users.lookupByEmail": TIER_3,  # [M]
    "users.list": TIER_2,  # [M]
    "files.info": TIER_4,  # [M]
    "apps.connections.open": TIER_1,  # [M]
}


@dataclass(frozen=True)
class RateLimits:
    """What :meth:`SlackStandIn.enforce_rate_limits` enforces; defaults are Slack's published
    limits (see the sources above ``TIER_1``). Override any with :func:`dataclasses.replace`,
    e.g. ``RateLimits(post_message_per_workspace=Limit(600, burst=20))``.

    Attributes:
        post_message_per_channel: ``chat.postMessage`` per channel (a user ID counts as
            that user's DM channel).
        post_message_per_workspace: ``chat.postMessage`` over all channels; a post must
            find room in both buckets, and only an accepted post takes from them.
        methods: Other methods, one bucket per method for the whole workspace.
        unlisted: The limit of a method not in ``methods`` (``None``: no limit).
    """

    post_message_per_channel: Limit = POST_MESSAGE_PER_CHANNEL
    post_message_per_workspace: Limit = POST_MESSAGE_PER_WORKSPACE
    methods: Mapping[str, Limit] = field(default_factory=lambda: dict(METHOD_LIMITS))
    unlisted: Limit | None = None

    def lower_bound(self, posts_per_channel: Iterable[int]) -> float:
        """The least time (s) in which these limits let ``chat.postMessage`` deliver posts
        that are all ready at once, ``posts_per_channel`` of them to each channel, starting
        from full buckets: the first ``burst`` go at once, then one per ``60 / per_minute`` s,
        in each bucket; the slowest bucket decides."""
        counts = [n for n in posts_per_channel if n > 0]

        def drain(n: int, limit: Limit) -> float:
            return max(0, n - limit.burst) * 60 / limit.per_minute

        channel = max((drain(n, self.post_message_per_channel) for n in counts), default=0.0)
        return max(channel, drain(sum(counts), self.post_message_per_workspace))


@dataclass
class Bucket:
    tokens: float
    at: float


@dataclass
class LimitState:
    limits: RateLimits | None = None
    buckets: dict[tuple[str, str], Bucket] = field(default_factory=dict)


class RateLimiting:
    """Rate limits on the stand-in (a mixin: the stand-in holds ``_lock``, ``_limiting`` and
    ``_clock``)."""

    _lock: threading.Condition
    _limiting: LimitState
    _clock: Callable[[], float]

    def enforce_rate_limits(
        self,
        limits: RateLimits | None = RateLimits(),
        *,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Refuse calls over Slack's rate limits, as Slack does: HTTP 429 with
        ``Retry-After: <whole seconds>`` and ``{"ok": false, "error": "ratelimited"}``.

        ``limits`` defaults to Slack's published limits (:class:`RateLimits`); ``None``
        stops enforcing. Buckets start full each time this is called. ``clock`` (seconds,
        monotonic; default ``time.monotonic``) lets a test move time by hand. Refused calls
        are recorded like any other (status 429); they take nothing from the buckets.
        Posts to a ``response_url`` are not limited.
        """
        with self._lock:
            self._limiting.limits = limits
            self._limiting.buckets.clear()
            if clock is not None:
                self._clock = clock

    @property
    def rate_limits(self) -> RateLimits | None:
        """The limits enforced now, or ``None``."""
        with self._lock:
            return self._limiting.limits

    def _rate_limited(self, call: Call) -> int | None:
        """None if the call may go (its buckets are charged), else the Retry-After seconds."""
        with self._lock:
            limits = self._limiting.limits
            if limits is None:
                return None
            if call.method == "chat.postMessage":
                channel = channel_for(call.params.get("channel"))
                wanted = [(("chat.postMessage", ""), limits.post_message_per_workspace)]
                if channel:
                    wanted.append((("chat.postMessage", channel), limits.post_message_per_channel))
            else:
                limit = limits.methods.get(call.method, limits.unlisted)
                if limit is None:
                    return None
                wanted = [((call.method, ""), limit)]
            now = self._clock()
            buckets = [(self._bucket(key, limit, now), limit) for key, limit in wanted]
            waits = [
                (1 - bucket.tokens) * 60 / limit.per_minute
                for bucket, limit in buckets
                if bucket.tokens < 1
            ]
            if waits:
                return max(1, math.ceil(max(waits) - 1e-9))
            for bucket, _ in buckets:
                bucket.tokens -= 1
            return None

    def _bucket(self, key: tuple[str, str], limit: Limit, now: float) -> Bucket:
        """The bucket for ``key``, refilled up to ``now`` (caller holds the lock)."""
        bucket = self._limiting.buckets.get(key)
        if bucket is None:
            bucket = self._limiting.buckets[key] = Bucket(float(limit.burst), now)
        elapsed = max(0.0, now - bucket.at)
        bucket.tokens = min(float(limit.burst), bucket.tokens + elapsed * limit.per_minute / 60)
        bucket.at = now
        return bucket
