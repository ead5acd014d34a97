"""Web and delivery in separate processes (`closedset serve --no-deliver` plus `closedset
deliver`), as larger deployments run them on PostgreSQL: requests are answered by the web
process alone, planned messages are sent by the delivery process, and something planned for
now (a check-in) is sent at once, on the web process's PostgreSQL notification, not at the
next sweep."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from bot.delivery.kinds import DeliveryKind, DeliveryStatus
from storage.db import session_scope
from storage.models import Delivery
from storage.wakeups import DueListener, notify_due
from tests.support.processes import (
    Database,
    Serve,
    database_for,
    serve_env,
    start,
    wait_healthy,
)
from tests.support.signing import SlackSender
from tests.support.slack_standin import SlackStandIn
from tests.support.world import COORDINATOR, build

SWEEP = 60.0  # far longer than the test waits: only the notification can explain a send


def _wait_for_line(process: Serve, line: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while line not in process.log():
        if process.process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"no {line!r}:\n{process.log()}")
        time.sleep(0.05)


def _rows(db: Database, kind: DeliveryKind) -> list[Delivery]:
    with session_scope(db.session_factory) as session:
        rows = list(session.scalars(select(Delivery).where(Delivery.kind == kind)))
        session.expunge_all()
        return rows


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)  # NOTIFY: PostgreSQL
def test_a_check_in_planned_by_the_web_process_is_sent_by_the_delivery_process_at_once(
    engine: Engine, standin: SlackStandIn, tmp_path: Path
) -> None:
    db = database_for(engine)
    build(
        db.session_factory,
        now=datetime.now(UTC),
        scenes={"42A": (timedelta(hours=1), ("1", "2"))},
    )
    env = serve_env(standin, db.url, db.key, sweep=SWEEP)
    web = start(env, tmp_path, ("serve", "--no-deliver"))
    delivery = start(env, tmp_path, ("deliver",))
    try:
        wait_healthy([web])
        _wait_for_line(delivery, "listening for delivery wake-ups")
        # The scene's short-notice prompts were due at start: the first sweep sends them.
        _wait_for_line(delivery, "delivering planned messages")
        deadline = time.monotonic() + 20
        while any(r.status is not DeliveryStatus.SENT for r in _rows(db, DeliveryKind.PROMPT)):
            assert time.monotonic() < deadline, delivery.log()
            time.sleep(0.1)

        slack = SlackSender(web.url, env["SLACK_SIGNING_SECRET"], response_base=standin.base_url)
        started = time.monotonic()
        assert slack.command("checkin 42A", user_id=COORDINATOR).status == 200
        while (
            len([r for r in _rows(db, DeliveryKind.CHECKIN) if r.status is DeliveryStatus.SENT]) < 2
        ):
            assert time.monotonic() - started < 10, f"{web.log()}\n{delivery.log()}"
            time.sleep(0.05)
        assert time.monotonic() - started < 10 < SWEEP
        assert "delivering" not in web.log()  # the web process sent nothing itself
    finally:
        web.kill()
        delivery.kill()


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_notification_wakes_a_listener_and_a_dropped_connection_is_reopened(
    engine: Engine,
) -> None:
    woken = threading.Event()
    listener = DueListener(engine, woken.set)
    listener.start()
    try:
        assert listener.wait_listening(10)
        notify_due(engine)
        assert woken.wait(5)
        # Drop the listener's connection from the server's side: it reconnects and listens on.
        woken.clear()
        with engine.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE query LIKE 'LISTEN closedset_due%' AND pid <> pg_backend_pid()"
                )
            )
        deadline = time.monotonic() + 10
        while not woken.is_set():
            assert time.monotonic() < deadline
            notify_due(engine)
            time.sleep(0.2)
    finally:
        listener.stop()
