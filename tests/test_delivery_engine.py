"""The delivery engine against the Slack stand-in: sent when due, once, through 429s, 5xx,
timeouts, permanent refusals, dead instances and competing dispatchers. SQLite and PostgreSQL."""

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
from bot.clock import FixedClock
from bot.delivery.dispatch import Dispatcher
from bot.deps import Services
from storage import deliveries
from storage.db import session_scope
from storage.models import Delivery, DeliveryKind, DeliveryStatus, DispatcherInstance
from tests.conftest import NOW
from tests.slack_standin import BOT_TOKEN, Call, SlackStandIn
from tests.world import COORDINATOR, PLANNED, build

P1, P2 = "U0PERF0001", "U0PERF0002"
LEAD = timedelta(hours=48)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def dispatcher_for(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    standin: SlackStandIn,
    *,
    timeout: int = 30,
    instance: str | None = None,
) -> Dispatcher:
    client = make_client(token=BOT_TOKEN, base_url=standin.api_url)
    client.timeout = timeout
    return Dispatcher(Services(session_factory, clock), client, instance=instance, threads=4)


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
    dispatcher = dispatcher_for(session_factory, clock, standin, timeout=1)
    # More 429s than the client retries by itself (3), then 5xx, then a hang past the timeout.
    standin.fail_next("chat.postMessage", "ratelimited", retry_after=1, times=4)
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
    statuses = [c.status for c in standin.calls("chat.postMessage")]
    assert 429 in statuses and 500 in statuses
    assert all(
        r.status is DeliveryStatus.SENT
        for r in rows(session_factory)
        if r.kind is DeliveryKind.PROMPT
    )


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
    scenes = {f"{n}": (timedelta(days=1), ("1", "2", "3")) for n in range(1, 41)}
    build(session_factory, now=NOW, scenes=scenes)  # inside the lead: 120 prompts due now
    dispatchers = [
        dispatcher_for(session_factory, clock, standin, instance=f"i{n}") for n in range(3)
    ]
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
