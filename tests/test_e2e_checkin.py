"""On-set check-ins end to end: the real app, signed requests, the Slack stand-in, the real
database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.ids import (
    VALUE,
    ChangesView,
    CheckinAction,
    ClosureAction,
    CoordinatorAction,
    RequestAction,
)
from storage.db import session_scope
from storage.models import AnswerKind, BoundaryAnswer, CheckinAnswer, ClosureAnswer
from tests.conftest import NOW, RunningApp
from tests.support.e2e import blocks_text, button_value, submit
from tests.support.signing import plain, radio
from tests.support.world import AD, COORDINATOR, build

P1, P2, P3 = "U0PERF0001", "U0PERF0002", "U0PERF0003"
SECOND = "U0COORD002"


@pytest.fixture
def on_set(app: RunningApp) -> RunningApp:
    """Scene 42A today, three performers, two coordinators."""
    build(
        app.session_factory,
        now=NOW,
        scenes={"42A": (timedelta(hours=1), ("1", "2", "3"))},
        coordinators=(COORDINATOR, SECOND),
    )
    app.dispatch()  # the short-notice boundary prompts of the scene, out of the way
    return app


def start(app: RunningApp, user_id: str = COORDINATOR) -> dict[str, Any]:
    before = len(app.standin.calls("response_url"))
    app.slack.command("checkin 42A", user_id=user_id)
    told: dict[str, Any] = app.standin.wait_for("response_url", count=before + 1)[-1].params
    return told


def posts_to(app: RunningApp, user_id: str, starting: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 5
    while True:
        found = [
            c.params
            for c in app.standin.calls("chat.postMessage")
            if c.params.get("channel") == user_id and c.params["text"].startswith(starting)
        ]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def tap(app: RunningApp, user_id: str, action: str, prompt: dict[str, Any]) -> None:
    app.slack.block_action(
        user_id=user_id,
        action_id=action,
        value=button_value(prompt, action),
        channel_id=app.standin.dm_channel_id(user_id),
    )


def test_a_round_with_three_performers_good_adjust_and_pause(on_set: RunningApp) -> None:
    assert "on its way to 3 performers" in start(on_set)["text"]
    prompts = {p: posts_to(on_set, p, "Check-in — scene 42A, take 1")[0] for p in (P1, P2, P3)}
    [live] = posts_to(on_set, COORDINATOR, "Check-in — scene 42A, take 1")
    assert "Answered 0 of 3" in blocks_text(live)
    tap(on_set, P1, CheckinAction.GOOD, prompts[P1])
    before = len(on_set.standin.calls("views.open"))
    tap(on_set, P2, CheckinAction.ADJUST, prompts[P2])
    form = on_set.standin.wait_for("views.open", count=before + 1)[-1].json("view")
    assert form["callback_id"] == ChangesView.CALLBACK
    items = [b for b in form["blocks"] if b.get("block_id", "").startswith(ChangesView.ITEM)]
    submitted = submit(
        on_set,
        user_id=P2,
        callback_id=ChangesView.CALLBACK,
        values={
            **{
                b["block_id"]: {VALUE: radio("not_ok" if i == 0 else "ok")}
                for i, b in enumerate(items)
            },
            ChangesView.NOTE: {VALUE: plain(None)},
        },
        private_metadata=form["private_metadata"],
    )
    assert "Thank you" in submitted.text
    tap(on_set, P3, CheckinAction.PAUSE, prompts[P3])
    # The pause reaches every coordinator at once, by DM; nothing goes to any channel.
    for coordinator in (COORDINATOR, SECOND):
        [alert] = posts_to(on_set, coordinator, "Pause requested — scene 42A")
        assert "Ana" not in blocks_text(alert)
    assert not [
        c for c in on_set.standin.calls("chat.postMessage") if str(c.params["channel"])[:1] in "CG"
    ]
    # One live message per coordinator, updated in place: counts only.
    deadline = time.monotonic() + 5
    final = ""
    while time.monotonic() < deadline:
        updates = [c.params for c in on_set.standin.calls("chat.update")]
        final = blocks_text(updates[-1]) if updates else ""
        if "Answered 3 of 3 · still good 1 · adjust 1 · pause 1" in final:
            break
        time.sleep(0.05)
    assert "Answered 3 of 3 · still good 1 · adjust 1 · pause 1" in final
    # Its View names them, with their answers.
    before = len(on_set.standin.calls("views.open"))
    on_set.slack.block_action(
        user_id=COORDINATOR,
        action_id=CheckinAction.VIEW,
        value=button_value(live, CheckinAction.VIEW),
        channel_id=on_set.standin.dm_channel_id(COORDINATOR),
    )
    modal = json.dumps(on_set.standin.wait_for("views.open", count=before + 1)[-1].json("view"))
    for name, answer in (("Jane Doe", "Still good"), ("Bob Smith", "Want to adjust")):
        assert name in modal and answer in modal
    assert "Need a pause" in modal
    with session_scope(on_set.session_factory) as session:
        assert session.scalar(select(func.count()).select_from(CheckinAnswer)) == 3
        kinds = [a.kind for a in session.scalars(select(BoundaryAnswer))]
    assert kinds == [AnswerKind.CHANGES]  # the adjust form: a new version of P2's boundaries
    assert posts_to(on_set, COORDINATOR, "Boundary update — scene 42A")


def test_a_new_round_closes_the_old_buttons(on_set: RunningApp) -> None:
    start(on_set)
    old = posts_to(on_set, P1, "Check-in — scene 42A, take 1")[0]
    assert "Check-in 2" in start(on_set)["text"]
    tap(on_set, P1, CheckinAction.GOOD, old)
    told = on_set.standin.wait_for("response_url", count=3)[-1].params["text"]
    assert "This check-in has closed" in told
    with session_scope(on_set.session_factory) as session:
        assert session.scalar(select(func.count()).select_from(CheckinAnswer)) == 0


def test_unanswered_prompts_show_as_no_answer_after_the_window(on_set: RunningApp) -> None:
    start(on_set)
    [live] = posts_to(on_set, COORDINATOR, "Check-in — scene 42A, take 1")

    def modal() -> str:
        before = len(on_set.standin.calls("views.open"))
        on_set.slack.block_action(
            user_id=COORDINATOR,
            action_id=CheckinAction.VIEW,
            value=button_value(live, CheckinAction.VIEW),
            channel_id=on_set.standin.dm_channel_id(COORDINATOR),
        )
        return json.dumps(on_set.standin.wait_for("views.open", count=before + 1)[-1].json("view"))

    assert "Waiting" in modal() and "No answer" not in modal()
    on_set.clock.advance(timedelta(minutes=5))
    assert "No answer" in modal()


def test_only_a_coordinator_starts_a_round(on_set: RunningApp) -> None:
    for user_id in (AD, P1):
        assert "Only a coordinator" in start(on_set, user_id)["text"]
    on_set.dispatch()
    assert not [
        c
        for c in on_set.standin.calls("chat.postMessage")
        if c.params["text"].startswith("Check-in")
    ]


def test_marking_the_scene_wrapped_asks_each_performer_how_it_went(on_set: RunningApp) -> None:
    before = len(on_set.standin.calls("views.open"))
    on_set.slack.command("status 42A", user_id=COORDINATOR)
    status = on_set.standin.wait_for("views.open", count=before + 1)[-1].json("view")
    on_set.slack.block_action(
        user_id=COORDINATOR,
        action_id=CoordinatorAction.WRAP,
        value=button_value({"blocks": status["blocks"]}, CoordinatorAction.WRAP),
        view={**status, "id": "V0STATUS"},
    )
    updated = on_set.standin.wait_for("views.update")[-1].json("view")
    assert "closure questions are on their way" in json.dumps(updated)
    on_set.dispatch()
    prompts = {p: posts_to(on_set, p, "How did scene 42A go?") for p in (P1, P2, P3)}
    assert all(len(found) == 1 for found in prompts.values())
    button_value(prompts[P1][0], RequestAction.NOTE)  # and a private note, if they like
    tap(on_set, P1, ClosureAction.NOT_OK, prompts[P1][0])
    told = on_set.standin.wait_for("response_url")[-1].params["text"]
    assert "Thank you for saying so" in told
    for coordinator in (COORDINATOR, SECOND):
        [notice] = posts_to(on_set, coordinator, "Closure — scene 42A")
    before = len(on_set.standin.calls("views.open"))
    on_set.slack.block_action(
        user_id=COORDINATOR,
        action_id=CoordinatorAction.VIEW_CLOSURE,
        value=button_value(notice, CoordinatorAction.VIEW_CLOSURE),
        channel_id=on_set.standin.dm_channel_id(COORDINATOR),
    )
    modal = json.dumps(on_set.standin.wait_for("views.open", count=before + 1)[-1].json("view"))
    assert "Jane Doe" in modal and "Not OK" in modal and "No answer yet" in modal
    with session_scope(on_set.session_factory) as session:
        stored = session.scalars(select(ClosureAnswer)).one()
        assert b"not_ok" not in stored.answer_ct  # encrypted at rest


def test_closure_goes_by_itself_hours_after_the_start(on_set: RunningApp) -> None:
    on_set.clock.advance(timedelta(hours=1, minutes=239))
    on_set.dispatch()  # (dispatch returns once sent: nothing to wait for)
    assert not [
        c
        for c in on_set.standin.calls("chat.postMessage")
        if c.params["text"].startswith("How did scene 42A go?")
    ]
    on_set.clock.advance(timedelta(minutes=1))
    on_set.dispatch()
    assert len(posts_to(on_set, P2, "How did scene 42A go?")) == 1


def test_the_status_modal_starts_a_check_in(on_set: RunningApp) -> None:
    before = len(on_set.standin.calls("views.open"))
    on_set.slack.command("status 42A", user_id=COORDINATOR)
    status = on_set.standin.wait_for("views.open", count=before + 1)[-1].json("view")
    on_set.slack.block_action(
        user_id=COORDINATOR,
        action_id=CoordinatorAction.START_CHECKIN,
        value=button_value({"blocks": status["blocks"]}, CoordinatorAction.START_CHECKIN),
        view={**status, "id": "V0STATUS"},
    )
    assert "Check-in 1 is on its way" in json.dumps(
        on_set.standin.wait_for("views.update")[-1].json("view")
    )
    assert len(posts_to(on_set, P3, "Check-in — scene 42A, take 1")) == 1


def test_a_double_tap_on_a_closure_answer_counts_once(on_set: RunningApp) -> None:
    on_set.clock.advance(timedelta(hours=5))
    on_set.dispatch()
    [prompt] = posts_to(on_set, P1, "How did scene 42A go?")
    tap(on_set, P1, ClosureAction.OK, prompt)
    tap(on_set, P1, ClosureAction.OK, prompt)
    on_set.standin.wait_for("response_url", count=2)
    time.sleep(0.2)
    assert len(posts_to(on_set, COORDINATOR, "Closure — scene 42A")) == 1
    with session_scope(on_set.session_factory) as session:
        assert session.scalar(select(func.count()).select_from(ClosureAnswer)) == 1
