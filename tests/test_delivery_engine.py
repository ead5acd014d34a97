"""The delivery engine against the Slack stand-in: sent when due, once, through 429s, 5xx,
timeouts, an outage, permanent refusals, dead instances and competing dispatchers; retried by
the engine alone, one HTTP attempt per try. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.app import make_client
from bot.cast.resolve import RosterEntry
from bot.clock import FixedClock
from bot.delivery.dispatch import Dispatcher, Result
from bot.deps import Services
from bot.ratelimit import Limit, PacedWebClient, Pacer
from handlers.blocks.messages import render
from storage import deliveries
from storage.db import session_scope
from storage.models import Delivery, DeliveryKind, DeliveryStatus, DispatcherInstance, Production
from storage.roster import apply_roster
from tests.conftest import NOW
from tests.support.slack_standin import BOT_TOKEN, Call, RateLimits, SlackStandIn
from tests.support.slack_standin import Limit as StandInLimit
from tests.support.world import COORDINATOR, PLANNED, add_scene, build

P1, P2 = "U0PERF0001", "U0PERF0002"
LEAD = timedelta(hours=48)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def quick_pacer() -> Pacer:
    """Posts a hundred times faster than Slack's workspace limit, and none per channel: for
    tests of what the engine does between tries (retrying one recipient at Slack's 1 post a
    second per channel would take seconds); `tests/test_ratelimit.py` tests the pacing."""
    return Pacer({"chat.postMessage": Limit(30_000, burst=20)}, per_channel={})


def dispatcher_for(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    standin: SlackStandIn,
    *,
    timeout: int = 30,
    instance: str | None = None,
    pacer: Pacer | None = None,
) -> Dispatcher:
    client = make_client(token=BOT_TOKEN, base_url=standin.api_url)
    client.timeout = timeout
    dispatcher = Dispatcher(
        Services(session_factory, clock), client, render=render, instance=instance, threads=4
    )
    if pacer is not None:
        assert isinstance(dispatcher.client, PacedWebClient)
        dispatcher.client.pacer = pacer
    return dispatcher


@pytest.fixture
def dispatcher(
    session_factory: sessionmaker[Session], clock: FixedClock, standin: SlackStandIn
) -> Iterator[Dispatcher]:
    d = dispatcher_for(session_factory, clock, standin)
    yield d
    d.close()


def delivered(standin: SlackStandIn) -> list[Call]:
    """Messages Slack accepted."""
    return [
        c
        for c in standin.calls("chat.postMessage")
        if c.status == 200 and c.response and c.response.get("ok")
    ]


def rows(session_factory: sessionmaker[Session]) -> list[Delivery]:
    with session_scope(session_factory) as session:
        found = list(session.scalars(select(Delivery).order_by(Delivery.id)))
        session.expunge_all()
        return found


def test_nothing_is_sent_before_it_is_due_and_each_prompt_once_when_it_is(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    standin: SlackStandIn,
    dispatcher: Dispatcher,
) -> None:
    build(session_factory, now=NOW)
    assert dispatcher.run_due().sent == 0
    assert dispatcher.next_due() == NOW + timedelta(days=5) - LEAD
    clock.advance(timedelta(days=5) - LEAD)
    assert dispatcher.run_due().sent == 2
    assert dispatcher.run_due().sent == 0
    sent = delivered(standin)
    assert sorted(c.params["channel"] for c in sent) == [
        P1,
        P2,
    ]  # to the user: no conversations.open
    assert standin.calls("conversations.open") == []
    body = json.dumps([c.params for c in sent], ensure_ascii=False)
    assert "Boundary check — scene 42A" in body
    assert PLANNED not in body and "Kiss" not in body
    prompts = [r for r in rows(session_factory) if r.kind is DeliveryKind.PROMPT]
    assert all(r.status is DeliveryStatus.SENT and r.ts and r.channel for r in prompts)


def test_rate_limits_server_errors_and_timeouts_are_retried_and_each_message_arrives_once(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    standin: SlackStandIn,
) -> None:
    build(session_factory, now=NOW)
    clock.advance(timedelta(days=3))
    dispatcher = dispatcher_for(session_factory, clock, standin, timeout=1, pacer=quick_pacer())
    # A 429, 5xx, then a hang past the client's timeout: each try is one HTTP attempt.
    standin.fail_next("chat.postMessage", "ratelimited", retry_after=1)
    standin.fail_next("chat.postMessage", status=500, times=3)
    hung = {"left": 2}

    def slow(call: Call) -> tuple[int, dict[str, str], dict[str, Any]]:
        if hung["left"] > 0:
            hung["left"] -= 1
            time.sleep(1.5)  # the client has given up by now: Slack did not post it
            return 503, {}, {"ok": False, "error": "service_unavailable"}
        standin.respond("chat.postMessage", None)
        return 200, {}, {"ok": True, "channel": "D" + call.params["channel"][1:], "ts": "1.1"}

    first = dispatcher.run_due()
    assert first.sent + first.retried == 2
    standin.respond("chat.postMessage", slow)
    for _ in range(20):
        if len(delivered(standin)) == 2:
            break
        clock.advance(timedelta(minutes=6))  # past any backoff or Retry-After
        dispatcher.run_due()
    dispatcher.close()
    sent = delivered(standin)
    assert Counter(c.params["channel"] for c in sent) == {P1: 1, P2: 1}
    # The hung posts are recorded when the stand-in answers them, after the client gave up.
    statuses = [c.status for c in standin.wait_for("chat.postMessage", 8)]
    assert sorted(statuses) == [200, 200, 429, 500, 500, 500, 503, 503]  # nothing retried twice
    assert all(
        r.status is DeliveryStatus.SENT
        for r in rows(session_factory)
        if r.kind is DeliveryKind.PROMPT
    )


def test_the_engine_posts_through_a_paced_client_that_does_not_retry(
    session_factory: sessionmaker[Session], clock: FixedClock, standin: SlackStandIn
) -> None:
    given = make_client(token=BOT_TOKEN, base_url=standin.api_url)
    dispatcher = Dispatcher(Services(session_factory, clock), given, render=render)
    assert isinstance(given, PacedWebClient) and given.retry_handlers
    assert isinstance(dispatcher.client, PacedWebClient)
    assert dispatcher.client.retry_handlers == [] and dispatcher.client.pacer is given.pacer
    dispatcher.close()


def test_a_429_puts_the_row_back_until_retry_after_and_tells_the_pacer(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    standin: SlackStandIn,
    dispatcher: Dispatcher,
) -> None:
    build(session_factory, now=NOW)
    clock.advance(timedelta(days=3))
    standin.fail_next("chat.postMessage", retry_after=1)
    result = dispatcher.run_due()
    assert (result.sent, result.retried) == (1, 1)
    prompts = [r for r in rows(session_factory) if r.kind is DeliveryKind.PROMPT]
    (waiting,) = [r for r in prompts if r.status is DeliveryStatus.PLANNED]
    assert waiting.not_before == clock.now() + timedelta(seconds=1)
    assert waiting.error == "ratelimited"
    assert isinstance(dispatcher.client, PacedWebClient) and dispatcher.client.pacer.refusals == 1
    assert [c.status for c in standin.calls("chat.postMessage")].count(429) == 1
    clock.advance(timedelta(seconds=1))
    assert dispatcher.run_due().sent == 1
    assert Counter(c.params["channel"] for c in delivered(standin)) == {P1: 1, P2: 1}


def test_through_a_60_s_outage_a_message_is_tried_6_times_and_sent_once_after_it(
    session_factory: sessionmaker[Session], clock: FixedClock, standin: SlackStandIn
) -> None:
    """Slack answers every post 503 for 60 s. The engine alone retries, after 2, 4, 8, 16 and
    32 s: six HTTP attempts per message (the Web API client's own retries on top made 16)."""
    build(session_factory, now=NOW)
    clock.advance(timedelta(days=3))
    down_from = clock.now()
    back_at = down_from + timedelta(seconds=60)
    tried: dict[str, list[float]] = {P1: [], P2: []}

    def outage(call: Call) -> tuple[int, dict[str, str], dict[str, Any]]:
        tried[call.params["channel"]].append((clock.now() - down_from).total_seconds())
        if clock.now() < back_at:
            return 503, {}, {"ok": False, "error": "service_unavailable"}
        return 200, {}, {"ok": True, "channel": "D" + call.params["channel"][1:], "ts": "9.9"}

    standin.respond("chat.postMessage", outage)
    dispatcher = dispatcher_for(session_factory, clock, standin, pacer=quick_pacer())
    for _ in range(10):
        dispatcher.run_due()
        due = dispatcher.next_due()
        if len(delivered(standin)) == 2 or due is None:
            break
        clock.advance(max(due - clock.now(), timedelta(0)))
    dispatcher.close()
    assert tried == {P1: [0, 2, 6, 14, 30, 62], P2: [0, 2, 6, 14, 30, 62]}
    assert Counter(c.params["channel"] for c in delivered(standin)) == {P1: 1, P2: 1}
    prompts = [r for r in rows(session_factory) if r.kind is DeliveryKind.PROMPT]
    assert [(r.status, r.attempts) for r in prompts] == [(DeliveryStatus.SENT, 6)] * 2


def thirty_performers_asked_now(session_factory: sessionmaker[Session]) -> None:
    """A scene tomorrow with 30 performers, each their own recipient: inside the lead, so 30
    prompts are due now (and the coordinator's short-notice message)."""
    world = build(session_factory, now=NOW, scenes={}, plan=False)
    cast = [
        RosterEntry(str(n), f"Role {n}", f"Performer {n}", f"U0FAN{n:05d}", f"fan{n}", None)
        for n in range(1, 31)
    ]
    with session_scope(session_factory) as session:
        production = session.get(Production, world.production_id)
        assert production is not None
        apply_roster(session, production_id=production.id, entries=cast)
        numbers = tuple(e.cast_number for e in cast)
        add_scene(session, production, "7", NOW + timedelta(days=1), numbers, now=NOW)
        deliveries.sync_production(session, production, now=NOW)


def test_a_fan_out_goes_at_the_paced_rate_and_slack_refuses_none(
    session_factory: sessionmaker[Session], clock: FixedClock, standin: SlackStandIn
) -> None:
    """30 prompts due at once (and the coordinator's short-notice message), Slack allowing 10
    posts a second with a burst of 10, the engine pacing at the same rate with a burst of 5:
    5 at once, then one every 0.1 s, no 429."""
    thirty_performers_asked_now(session_factory)
    standin.enforce_rate_limits(RateLimits(post_message_per_workspace=StandInLimit(600, burst=10)))
    pacer = Pacer({"chat.postMessage": Limit(600, burst=5)})
    dispatcher = dispatcher_for(session_factory, clock, standin, pacer=pacer)
    started = time.monotonic()
    assert dispatcher.run_due().sent == 31
    took = time.monotonic() - started
    dispatcher.close()
    posts = standin.calls("chat.postMessage")
    assert [c.status for c in posts] == [200] * 31 and pacer.refusals == 0
    assert 2.5 <= took < 5.0  # (31 - 5) x 0.1 s


def test_a_stop_puts_back_what_still_waits_for_its_turn_and_sends_nothing_more(
    session_factory: sessionmaker[Session], clock: FixedClock, standin: SlackStandIn
) -> None:
    """A paced batch can take minutes: a stop does not wait for it. Posts under way finish and
    are recorded; the rows still waiting are put back as they were, their claim not counted."""
    thirty_performers_asked_now(session_factory)
    pacer = Pacer({"chat.postMessage": Limit(60, burst=3)})  # 3 at once, then one a second
    dispatcher = dispatcher_for(session_factory, clock, standin, pacer=pacer)
    results: list[Result] = []
    sending = threading.Thread(target=lambda: results.append(dispatcher.run_due()))
    sending.start()
    standin.wait_for("chat.postMessage", 3)
    stopped_at = time.monotonic()
    dispatcher.stop()
    sending.join(timeout=5)
    assert not sending.is_alive() and time.monotonic() - stopped_at < 0.5
    dispatcher.close()
    posted = len(standin.calls("chat.postMessage"))
    assert 3 <= posted <= 4 and results[0].sent == posted  # the one under way, at most
    states = Counter(
        (r.status, r.attempts, r.claimed_by)
        for r in rows(session_factory)
        if r.kind in (DeliveryKind.PROMPT, DeliveryKind.SHORT_NOTICE)
    )
    assert states[(DeliveryStatus.PLANNED, 0, None)] == 31 - posted
    assert sum(n for (status, _, _), n in states.items() if status is DeliveryStatus.SENT) == posted


def test_a_permanent_refusal_fails_the_row_and_tells_the_coordinator(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    standin: SlackStandIn,
    dispatcher: Dispatcher,
) -> None:
    build(session_factory, now=NOW)
    clock.advance(timedelta(days=3))
    standin.fail_next("chat.postMessage", "user_not_found")
    result = dispatcher.run_due()
    assert result.failed == 1 and result.sent == 2  # the other prompt, and the notice
    failed = [r for r in rows(session_factory) if r.status is DeliveryStatus.FAILED]
    assert [(r.kind, r.error) for r in failed] == [(DeliveryKind.PROMPT, "user_not_found")]
    notice = [c for c in delivered(standin) if c.params["channel"] == COORDINATOR]
    assert len(notice) == 1
    assert notice[0].params["text"] == "A message could not be delivered — scene 42A"
    text = json.dumps(notice[0].params, ensure_ascii=False)
    assert "Jane" not in text and "Bob" not in text and P1 not in text and P2 not in text


def test_rows_due_while_down_are_sent_on_start_if_still_useful(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    standin: SlackStandIn,
    dispatcher: Dispatcher,
) -> None:
    build(
        session_factory,
        now=NOW,
        scenes={"42A": (timedelta(days=5), ("1",)), "43": (timedelta(days=2, hours=1), ("2",))},
    )
    # Down from before both prompts until after scene 43 started.
    clock.advance(timedelta(days=3))
    dispatcher.sweep()
    by_kind = Counter((c.params["channel"], c.params["text"]) for c in delivered(standin))
    # Scene 42A's prompt is still useful; scene 43 has started: not sent, and the coordinator
    # is told that its performer was never asked.
    assert by_kind[(P1, "Boundary check — scene 42A")] == 1
    assert by_kind[(COORDINATOR, "A message could not be delivered — scene 43")] == 1
    assert not [
        c
        for c in delivered(standin)
        if c.params["channel"] == P2 and c.params["text"].startswith("Boundary check")
    ]


def test_claims_of_a_dead_instance_are_taken_over(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    standin: SlackStandIn,
    dispatcher: Dispatcher,
) -> None:
    build(session_factory, now=NOW)
    clock.advance(timedelta(days=3))
    with session_scope(session_factory) as session:
        session.add(
            DispatcherInstance(
                id="gone", host="elsewhere", pid=1, started_at=NOW, seen_at=clock.now()
            )
        )
        session.flush()
        claimed = deliveries.claim_due(session, instance="gone", now=clock.now(), limit=10)
        assert len(claimed) == 2
    assert dispatcher.sweep().sent == 0  # "gone" was seen just now: its claims stand
    clock.advance(deliveries.STALE_AFTER + timedelta(seconds=1))
    assert dispatcher.sweep().sent == 2
    assert Counter(c.params["channel"] for c in delivered(standin)) == {P1: 1, P2: 1}


def test_competing_dispatchers_send_each_message_once(
    session_factory: sessionmaker[Session], clock: FixedClock, standin: SlackStandIn
) -> None:
    scenes: dict[str, tuple[timedelta, tuple[str, ...]]] = {
        f"{n}": (timedelta(days=1), ("1", "2", "3")) for n in range(1, 41)
    }
    build(session_factory, now=NOW, scenes=scenes)  # inside the lead: 120 prompts due now
    dispatchers = [
        dispatcher_for(session_factory, clock, standin, instance=f"i{n}") for n in range(3)
    ]
    # One pacer, as in one process, but quick: 120 posts at Slack's rate would take 20 s.
    quick = quick_pacer()
    for d in dispatchers:
        assert isinstance(d.client, PacedWebClient)
        d.client.pacer = quick
    threads = [threading.Thread(target=d.sweep) for d in dispatchers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for d in dispatchers:
        d.close()
    prompts = [c for c in delivered(standin) if c.params["text"].startswith("Boundary check")]
    assert len(prompts) == 120
    keys = Counter((c.params["channel"], c.params["text"]) for c in prompts)
    assert set(keys.values()) == {1}
    with session_scope(session_factory) as session:
        by = Counter(
            session.scalars(select(Delivery.claimed_by).where(Delivery.kind == DeliveryKind.PROMPT))
        )
    assert sum(by.values()) == 120


def test_a_lost_claim_is_not_recorded_over_the_new_owner(
    session_factory: sessionmaker[Session], clock: FixedClock, standin: SlackStandIn
) -> None:
    build(session_factory, now=NOW)
    clock.advance(timedelta(days=3))
    with session_scope(session_factory) as session:
        claimed = deliveries.claim_due(session, instance="a", now=clock.now(), limit=1)
        session.execute(update(Delivery).where(Delivery.id == claimed[0].id).values(claimed_by="b"))
    with session_scope(session_factory) as session:
        assert not deliveries.finish(
            session,
            delivery_id=claimed[0].id,
            instance="a",
            status=DeliveryStatus.SENT,
            now=clock.now(),
        )


def test_old_event_ids_and_instances_are_tidied_away(
    session_factory: sessionmaker[Session], clock: FixedClock, dispatcher: Dispatcher
) -> None:
    from storage.models import ProcessedEvent

    with session_scope(session_factory) as session:
        session.add(ProcessedEvent(event_id="Ev-old", received_at=NOW - timedelta(days=3)))
        session.add(ProcessedEvent(event_id="Ev-new", received_at=NOW - timedelta(hours=1)))
        session.add(
            DispatcherInstance(
                id="long-gone", host="h", pid=1, started_at=NOW, seen_at=NOW - timedelta(days=2)
            )
        )
    dispatcher.heartbeat()
    dispatcher.tidy()
    with session_scope(session_factory) as session:
        assert list(session.scalars(select(ProcessedEvent.event_id))) == ["Ev-new"]
        assert list(session.scalars(select(DispatcherInstance.id))) == [dispatcher.instance]
