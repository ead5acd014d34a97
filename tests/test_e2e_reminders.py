"""AD reminders end to end: the real app, the Slack stand-in, the real database, the clock moved
by hand. What ADs get is scene-level only: never a performer, never a count of them."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.confirmations import answer
from bot.ids import AdAction, CoordinatorAction
from storage import deliveries
from storage.db import session_scope
from storage.models import AnswerKind, Production, Scene
from tests.conftest import NOW, RunningApp
from tests.support.e2e import blocks_text, button_value
from tests.support.world import AD, COORDINATOR, TEAM, build

ADS = "C0ADS00001"
P1, P2 = "U0PERF0001", "U0PERF0002"
START = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)  # 5 days after NOW: 09:00 GMT in London
EVENING_BEFORE = datetime(2026, 3, 5, 18, 0, tzinfo=UTC)


@pytest.fixture
def planned(app: RunningApp) -> RunningApp:
    build(app.session_factory, now=NOW)  # scene 42A, cast 1 and 2, AD channel C0ADS00001
    return app


def to(app: RunningApp, channel: str, starting: str = "") -> list[dict[str, Any]]:
    """The messages posted to `channel`, each with the `ts` Slack gave it."""
    return [
        {**c.params, "ts": c.response["ts"]}
        for c in app.standin.calls("chat.postMessage")
        if c.params.get("channel") == channel
        and c.params.get("text", "").startswith(starting)
        and c.response
        and c.response.get("ok")
    ]


def at(app: RunningApp, moment: datetime) -> None:
    app.clock.advance(moment - app.clock.now())
    app.dispatch()


COUNTS = re.compile(r"\d+\s+(of\s+\d+\s+)?(performer|actor|cast|confirm)", re.IGNORECASE)


def test_reminders_arrive_at_each_offset_with_scene_facts_only(planned: RunningApp) -> None:
    at(planned, EVENING_BEFORE - timedelta(minutes=1))
    assert to(planned, ADS, "Coming up") == []
    at(planned, EVENING_BEFORE)
    [evening] = to(planned, ADS, "Coming up")
    text = blocks_text(evening)
    assert "intimate scene 42A" in text and "Fri 06 Mar 09:00 (Europe/London)" in text
    assert "INT. BEDROOM" in text and "essential crew only" in text
    assert "IC sign-off pending" in text and "Asked of departments" in text
    assert not COUNTS.search(text) and "confirmed" not in text.lower()
    button_value(evening, AdAction.SNOOZE)
    at(planned, START - timedelta(hours=2))
    at(planned, START - timedelta(minutes=30))
    assert len(to(planned, ADS, "Coming up")) == 3
    at(planned, START + timedelta(hours=1))
    assert len(to(planned, ADS, "Coming up")) == 3  # sent once each


def test_the_digest_lists_tomorrows_intimate_scenes(planned: RunningApp) -> None:
    at(planned, EVENING_BEFORE)
    [digest] = to(planned, ADS, "Tomorrow's intimate scenes")
    assert "Fri 06 Mar" in digest["text"] and "Scene 42A" in blocks_text(digest)


def test_sign_off_shows_in_reminders_and_only_the_coordinator_takes_it_back(
    planned: RunningApp,
) -> None:
    with session_scope(planned.session_factory) as session:
        scene = session.scalars(select(Scene)).one()
        for performer in (P1, P2):
            answer(
                session,
                scene=scene,
                performer=performer,
                kind=AnswerKind.CONFIRMED,
                now=NOW,
                team_id=TEAM,
            )
    before = len(planned.standin.calls("views.open"))
    planned.slack.command("status 42A", user_id=COORDINATOR)
    status = planned.standin.wait_for("views.open", count=before + 1)[-1].json("view")
    assert "Every performer has confirmed" in json.dumps(status)
    planned.slack.block_action(
        user_id=COORDINATOR,
        action_id=CoordinatorAction.SIGN_OFF,
        value=button_value({"blocks": status["blocks"]}, CoordinatorAction.SIGN_OFF),
        view={**status, "id": "V0STATUS"},
    )
    updated = planned.standin.wait_for("views.update")[-1]
    assert updated.params["view_id"] == "V0STATUS"
    assert "IC sign-off complete" in json.dumps(updated.json("view"))
    at(planned, EVENING_BEFORE)
    assert "IC sign-off complete" in blocks_text(to(planned, ADS, "Coming up")[0])
    # A performer withdraws: what ADs see does not change by itself (it would tell them who
    # changed their mind); the coordinator is told privately, and takes the sign-off back.
    with session_scope(planned.session_factory) as session:
        scene = session.scalars(select(Scene)).one()
        answer(
            session,
            scene=scene,
            performer=P2,
            kind=AnswerKind.WITHDRAWN,
            now=planned.clock.now(),
            team_id=TEAM,
        )
        assert scene.signed_off
    at(planned, START - timedelta(hours=2))
    assert "IC sign-off complete" in blocks_text(to(planned, ADS, "Coming up")[1])
    before = len(planned.standin.calls("views.open"))
    planned.slack.command("status 42A", user_id=COORDINATOR)
    status = planned.standin.wait_for("views.open", count=before + 1)[-1].json("view")
    planned.slack.block_action(
        user_id=COORDINATOR,
        action_id=CoordinatorAction.TAKE_BACK,
        value=button_value({"blocks": status["blocks"]}, CoordinatorAction.TAKE_BACK),
        view={**status, "id": "V0STATUS"},
    )
    planned.standin.wait_for("views.update", count=2)
    with session_scope(planned.session_factory) as session:
        assert not session.scalars(select(Scene)).one().signed_off
    at(planned, START - timedelta(minutes=30))
    assert "IC sign-off pending" in blocks_text(to(planned, ADS, "Coming up")[2])


def test_sign_off_is_not_offered_before_everyone_confirmed_and_ads_cannot_do_it(
    planned: RunningApp,
) -> None:
    before = len(planned.standin.calls("views.open"))
    planned.slack.command("status 42A", user_id=COORDINATOR)
    status = planned.standin.wait_for("views.open", count=before + 1)[-1].json("view")
    assert CoordinatorAction.SIGN_OFF not in json.dumps(status)
    with session_scope(planned.session_factory) as session:
        scene_id = session.scalar(select(Scene.id))
    planned.slack.block_action(
        user_id=AD,
        action_id=CoordinatorAction.SIGN_OFF,
        value=json.dumps({"v": 1, "k": "status", "s": scene_id}),
        view={**status, "id": "V0STATUS"},
    )
    time.sleep(0.3)
    assert planned.standin.calls("views.update") == []
    with session_scope(planned.session_factory) as session:
        assert not session.scalars(select(Scene)).one().signed_off


def test_snooze_brings_the_reminder_back_in_ten_minutes_and_done_closes_it(
    planned: RunningApp,
) -> None:
    at(planned, EVENING_BEFORE)
    [reminder] = to(planned, ADS, "Coming up")
    planned.slack.block_action(
        user_id=AD,
        action_id=AdAction.SNOOZE,
        value=button_value(reminder, AdAction.SNOOZE),
        channel_id=ADS,
        message={"ts": reminder["ts"], "type": "message", "text": reminder["text"]},
    )
    snoozed = planned.standin.wait_for("chat.update")[-1].params
    assert "snoozed by <@U0ADAD0001> until 18:10" in snoozed["text"]
    at(planned, EVENING_BEFORE + timedelta(minutes=9))
    assert len(to(planned, ADS, "Coming up")) == 1
    at(planned, EVENING_BEFORE + timedelta(minutes=10))
    again = to(planned, ADS, "Coming up")
    assert len(again) == 2
    planned.slack.block_action(
        user_id=AD,
        action_id=AdAction.DONE,
        value=button_value(again[1], AdAction.DONE),
        channel_id=ADS,
        message={"ts": again[1]["ts"], "type": "message", "text": again[1]["text"]},
    )
    done = planned.standin.wait_for("chat.update", count=2)[-1].params
    assert "done — <@U0ADAD0001>" in done["text"]


def test_a_removed_scene_cancels_reminders_with_one_line_if_one_went_out(
    planned: RunningApp,
) -> None:
    at(planned, EVENING_BEFORE)
    with session_scope(planned.session_factory) as session:
        scene = session.scalars(select(Scene)).one()
        scene.removed = True
        deliveries.sync_production(session, scene.production, now=planned.clock.now())
    planned.dispatch()
    [line] = to(planned, ADS, "Scene 42A is taken off the schedule")
    assert "reminders for it are cancelled" in blocks_text(line)
    at(planned, START)
    assert len(to(planned, ADS, "Coming up")) == 1


def test_ads_can_be_reminded_by_dm_instead(planned: RunningApp) -> None:
    with session_scope(planned.session_factory) as session:
        production = session.scalars(select(Production)).one()
        production.reminders_by_dm = True
        deliveries.sync_production(session, production, now=planned.clock.now())
    at(planned, EVENING_BEFORE)
    assert to(planned, ADS, "Coming up") == []
    assert len(to(planned, AD, "Coming up")) == 1
