"""The pacer: calls go at Slack's published rates, in order, and a 429 holds every caller of
the method until Retry-After, after which the method starts again from an empty bucket.

The schedule is tested as a function of time (`Pacer.turn(now=...)`); the blocking `wait`
and the clients against the Slack stand-in, with limits fast enough to keep tests short."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError

from bot.app import make_client
from bot.ratelimit import (
    METHOD_LIMITS,
    Limit,
    PacedWebClient,
    Pacer,
    method_of,
    retry_after,
    single_attempt,
)
from tests.support.slack_standin import BOT_TOKEN, RateLimits, SlackStandIn
from tests.support.slack_standin import Limit as StandInLimit

ROOT = Path(__file__).resolve().parent.parent
ONE_A_SECOND_THREE_AT_ONCE = Limit(60, burst=3)


def pacer(**limits: Limit) -> Pacer:
    return Pacer({name.replace("_", "."): limit for name, limit in limits.items()}, per_channel={})


def turns(p: Pacer, method: str, now: float, count: int, channel: str | None = None) -> list[float]:
    return [p.turn(method, channel, now=now).at for _ in range(count)]


# ------------------------------------------------------------------ the schedule


def test_a_burst_goes_at_once_then_one_call_per_interval() -> None:
    p = pacer(views_open=ONE_A_SECOND_THREE_AT_ONCE)
    assert turns(p, "views.open", 100.0, 5) == [100.0, 100.0, 100.0, 101.0, 102.0]


def test_an_idle_bucket_fills_up_again_but_never_beyond_its_burst() -> None:
    p = pacer(views_open=ONE_A_SECOND_THREE_AT_ONCE)
    turns(p, "views.open", 100.0, 3)
    assert turns(p, "views.open", 101.5, 2) == [101.5, 102.0]  # 1.5 s refilled 1.5 calls
    assert turns(p, "views.open", 200.0, 4) == [200.0, 200.0, 200.0, 201.0]


def test_methods_have_buckets_of_their_own() -> None:
    p = pacer(views_open=Limit(60, burst=1), chat_update=Limit(60, burst=1))
    assert turns(p, "views.open", 100.0, 2) == [100.0, 101.0]
    assert turns(p, "chat.update", 100.0, 1) == [100.0]


@pytest.mark.parametrize(
    ("case", "channels", "expected"),
    [
        ("one channel: two at once, then one a second", ["U1"] * 4, [0.0, 0.0, 1.0, 2.0]),
        ("twenty channels: one burst of the workspace", [f"U{n}" for n in range(20)], [0.0] * 20),
        (
            "twenty-two channels: then 5 a second for the workspace",
            [f"U{n}" for n in range(22)],
            [0.0] * 20 + [0.2, 0.4],
        ),
        ("a busy channel holds no other up", ["U1", "U1", "U1", "U2"], [0.0, 0.0, 1.0, 0.0]),
    ],
)
def test_posts_wait_for_their_channel_and_for_the_workspace(
    case: str, channels: list[str], expected: list[float]
) -> None:
    p = Pacer()  # Slack's published limits
    got = [p.turn("chat.postMessage", c, now=0.0).at for c in channels]
    assert got == pytest.approx(expected), case


def test_a_429_holds_the_method_until_retry_after_then_restarts_it_empty() -> None:
    p = pacer(views_open=ONE_A_SECOND_THREE_AT_ONCE, chat_update=ONE_A_SECOND_THREE_AT_ONCE)
    assert p.turn("views.open", now=100.0).at == 100.0
    p.refused("views.open", 5.0, now=100.5)
    # Held until 105.5; then no burst, though the bucket had two calls left.
    assert turns(p, "views.open", 101.0, 3) == [105.5, 106.5, 107.5]
    assert turns(p, "chat.update", 101.0, 1) == [101.0]  # other methods go on
    assert p.refusals == 1


def test_a_429_for_one_post_holds_every_channel() -> None:
    """Slack does not say whether the channel's or the workspace's limit was hit."""
    p = Pacer()
    p.turn("chat.postMessage", "U1", now=0.0)
    p.refused("chat.postMessage", 2.0, channel="U1", now=0.1)
    # From 2.1 on: U1's channel one a second, the workspace one each 0.2 s, neither a burst.
    assert p.turn("chat.postMessage", "U2", now=0.2).at == 2.1
    assert p.turn("chat.postMessage", "U1", now=0.2).at == pytest.approx(2.3)
    assert p.turn("chat.postMessage", "U3", now=0.2).at == pytest.approx(2.5)
    assert p.turn("chat.postMessage", "U1", now=0.2).at == pytest.approx(3.1)


def test_a_turn_given_before_a_429_is_void() -> None:
    p = pacer(views_open=ONE_A_SECOND_THREE_AT_ONCE)
    before = p.turn("views.open", now=100.0)
    p.refused("views.open", 1.0, now=100.0)
    after = p.turn("views.open", now=100.0)
    assert before.refusals == 0 and after.refusals == 1 and after.at == 101.0


def test_a_scale_multiplies_the_rates_not_the_bursts(standin: SlackStandIn) -> None:
    p = Pacer({"views.open": ONE_A_SECOND_THREE_AT_ONCE}, scale=4)
    assert turns(p, "views.open", 100.0, 5) == [100.0, 100.0, 100.0, 100.25, 100.5]
    fast = make_client(token=BOT_TOKEN, base_url=standin.api_url, rate_scale=100)
    assert isinstance(fast, PacedWebClient)
    assert fast.pacer.per_channel["chat.postMessage"] == Limit(6000, burst=2)
    with pytest.raises(ValueError):
        Pacer(scale=0)


def test_a_method_without_a_tier_is_not_paced_but_honours_a_429() -> None:
    p = pacer()
    assert turns(p, "team.info", 100.0, 50) == [100.0] * 50
    p.refused("team.info", 3.0, now=100.0)
    assert turns(p, "team.info", 100.0, 2) == [103.0, 103.0]


def test_quiet_channels_are_forgotten_when_there_are_many() -> None:
    p = Pacer()
    p.MAX_BUCKETS = 5
    for n in range(4):
        p.turn("chat.postMessage", f"U{n}", now=0.0)
    p.turn("chat.postMessage", "U9", now=10.0)  # the others are full again by now: dropped
    assert sorted(channel for _, channel in p._buckets) == ["", "U9"]
    assert turns(p, "chat.postMessage", 10.0, 2, channel="U9") == [10.0, 11.0]


# ------------------------------------------------------------------ waiting


def test_waiting_callers_go_in_order_one_interval_apart() -> None:
    p = pacer(views_open=Limit(600, burst=1))  # one every 0.1 s
    went: list[tuple[int, float]] = []
    start = time.monotonic()

    def call(n: int) -> None:
        p.wait("views.open")
        went.append((n, time.monotonic() - start))

    threads = []
    for n in range(4):
        threads.append(threading.Thread(target=call, args=(n,)))
        threads[-1].start()
        time.sleep(0.01)  # ask in this order
    for t in threads:
        t.join()
    assert [n for n, _ in went] == [0, 1, 2, 3]
    for k, (_, at) in enumerate(went):
        assert k * 0.1 - 0.005 <= at <= k * 0.1 + 0.25  # not before its turn; late if busy


def test_a_429_while_others_wait_holds_them_until_retry_after() -> None:
    p = pacer(chat_update=Limit(60, burst=1))
    p.wait("chat.update")  # the bucket is empty: the next turn is a second away
    waited: list[float] = []
    thread = threading.Thread(target=lambda: waited.append(p.wait("chat.update")))
    thread.start()
    time.sleep(0.05)
    p.refused("chat.update", 0.3)  # the waiting turn is void; the method is held for 0.3 s
    thread.join()
    assert 0.3 <= waited[0] < 0.8  # not its voided turn, a second away


# ------------------------------------------------------------------ the clients


def test_copies_of_a_client_share_its_pacer(standin: SlackStandIn) -> None:
    a = make_client(token=BOT_TOKEN, base_url=standin.api_url)
    b = make_client(token=BOT_TOKEN, base_url=standin.api_url)
    assert isinstance(a, PacedWebClient) and isinstance(b, PacedWebClient)
    assert single_attempt(a).pacer is a.pacer and a.pacer is not b.pacer


def test_a_paced_client_is_not_refused_where_an_unpaced_one_is(standin: SlackStandIn) -> None:
    standin.enforce_rate_limits(RateLimits(methods={"views.publish": StandInLimit(600, burst=3)}))
    client = single_attempt(make_client(token=BOT_TOKEN, base_url=standin.api_url))
    client.pacer = Pacer({"views.publish": Limit(600, burst=2)})  # inside the stand-in's
    started = time.monotonic()
    for n in range(8):
        client.views_publish(user_id=f"U{n}", view={"type": "home", "blocks": []})
    assert time.monotonic() - started >= 0.55  # 6 of them one every 0.1 s
    assert {c.status for c in standin.calls("views.publish")} == {200}

    unpaced = single_attempt(client)
    unpaced.pacer = Pacer({})
    with pytest.raises(SlackApiError) as refused:
        for n in range(8):
            unpaced.views_publish(user_id=f"U{n}", view={"type": "home", "blocks": []})
    assert refused.value.response.status_code == 429


def test_a_429_all_the_same_is_reported_and_holds_the_next_call(standin: SlackStandIn) -> None:
    client = single_attempt(make_client(token=BOT_TOKEN, base_url=standin.api_url))
    client.pacer = Pacer()
    standin.fail_next("chat.postMessage", retry_after=1)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="refused")
    assert client.pacer.refusals == 1
    started = time.monotonic()
    client.chat_postMessage(channel="C2", text="after Retry-After")
    assert 0.9 <= time.monotonic() - started < 1.5
    assert [c.status for c in standin.calls("chat.postMessage")] == [429, 200]


def test_the_interactive_client_retries_a_429_through_the_pacer(standin: SlackStandIn) -> None:
    client = make_client(token=BOT_TOKEN, base_url=standin.api_url)
    assert isinstance(client, PacedWebClient)
    standin.fail_next("views.publish", retry_after=1)
    started = time.monotonic()
    assert client.views_publish(user_id="U1", view={"type": "home", "blocks": []})["ok"]
    assert 0.9 <= time.monotonic() - started < 1.5
    assert client.pacer.refusals == 1
    assert [c.status for c in standin.calls("views.publish")] == [429, 200]


def test_single_attempt_makes_one_http_attempt(standin: SlackStandIn) -> None:
    """The interactive client retries 5xx (twice) by itself; its single-attempt copy, the
    delivery engine's, leaves retrying to its caller."""
    interactive = make_client(token=BOT_TOKEN, base_url=standin.api_url)
    interactive.timeout = 7
    once = single_attempt(interactive)
    assert once.retry_handlers == [] and interactive.retry_handlers
    assert (once.token, once.base_url, once.timeout) == (BOT_TOKEN, standin.api_url, 7)
    standin.fail_next("chat.postMessage", status=503)
    with pytest.raises(SlackApiError) as error:
        once.chat_postMessage(channel="C1", text="once")
    assert error.value.response.status_code == 503
    assert [c.status for c in standin.calls("chat.postMessage")] == [503]


def test_every_method_the_app_calls_has_its_published_limit() -> None:
    """A new Web API call without an entry in `METHOD_LIMITS` would go unpaced."""
    called = {"auth.test"}  # Bolt's, when the app starts
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py")]:
        for name in re.findall(r"client\.([a-z]+_[A-Za-z_]+)\(", path.read_text()):
            called.add(name.replace("_", "."))
    assert "chat.postMessage" in called and "views.open" in called  # the scan works
    assert sorted(called - set(METHOD_LIMITS)) == []


def test_retry_after_and_method_of() -> None:
    assert retry_after({"Retry-After": "3"}) == 3.0
    assert retry_after({"retry-after": "1.5"}) == 1.5
    assert retry_after({"Retry-After": "soon"}) is None and retry_after(None) is None
    assert (
        retry_after({"Retry-After": "inf"}) is None and retry_after({"Retry-After": "nan"}) is None
    )
    assert method_of("https://slack.com/api/chat.postMessage") == "chat.postMessage"
    assert method_of("http://127.0.0.1:5000/api/views.open?x=1") == "views.open"
