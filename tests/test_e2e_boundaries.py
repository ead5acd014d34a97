"""Boundary confirmations end to end: the real app over HTTP, signed requests, the Slack
stand-in, the real database (SQLite and PostgreSQL), and the clock moved by hand."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.ids import (
    VALUE,
    BoundaryAction,
    ChangesView,
    ChecklistView,
    ConfirmView,
    CoordinatorAction,
    SceneView,
)
from storage.db import session_scope
from storage.models import AnswerKind, BoundaryAnswer, ChecklistItem, Delivery, DeliveryKind, Scene
from tests.conftest import NOW, RunningApp
from tests.support import privacy
from tests.support.e2e import Submitted, blocks_text, button_value, submit
from tests.support.signing import checkboxes, plain, radio, timepicker
from tests.support.world import AD, COORDINATOR, PLANNED, build

P1, P2, P3 = "U0PERF0001", "U0PERF0002", "U0PERF0003"
DUE = timedelta(days=3)  # the scene is in 5 days, the lead is 48 h


@pytest.fixture
def asked(app: RunningApp) -> RunningApp:
    """Scene 42A (cast 1 and 2) whose prompts have just gone out."""
    app.standin.add_user(COORDINATOR, "coord", real_name="Cora Ordinator")
    for user_id, (name, handle, _) in privacy.PERFORMERS.items():
        app.standin.add_user(user_id, handle, real_name=name)
    build(app.session_factory, now=NOW)
    app.clock.advance(DUE)
    assert app.dispatch().sent == 2
    return app


def messages_to(app: RunningApp, user_id: str, starting: str = "") -> list[dict[str, Any]]:
    return [
        c.params
        for c in app.standin.calls("chat.postMessage")
        if c.params.get("channel") == user_id
        and c.params.get("text", "").startswith(starting)
        and c.response
        and c.response.get("ok")
    ]


def prompt(app: RunningApp, user_id: str) -> dict[str, Any]:
    found = messages_to(app, user_id, "Boundary check")
    assert len(found) == 1, found
    return found[0]


def click(
    app: RunningApp, user_id: str, action: str, message: dict[str, Any], *, ts: str = "1.1"
) -> None:
    response = app.slack.block_action(
        user_id=user_id,
        action_id=action,
        value=button_value(message, action),
        channel_id=app.standin.dm_channel_id(user_id),
        message={"ts": ts, "type": "message", "text": message.get("text", "")},
    )
    assert response.status == 200


def opened(app: RunningApp, before: int) -> dict[str, Any]:
    view: dict[str, Any] = app.standin.wait_for("views.open", count=before + 1)[-1].json("view")
    return view


def review_and_confirm(app: RunningApp, user_id: str) -> Submitted:
    before = len(app.standin.calls("views.open"))
    click(app, user_id, BoundaryAction.REVIEW, prompt(app, user_id))
    view = opened(app, before)
    assert view["callback_id"] == ConfirmView.CALLBACK
    return submit(
        app,
        user_id=user_id,
        callback_id=ConfirmView.CALLBACK,
        values={},
        private_metadata=view["private_metadata"],
    )


def coordinator_notices(app: RunningApp, count: int) -> list[dict[str, Any]]:
    """The coordinator's "Boundary update" notices, once `count` have arrived (the job after
    an answer wakes the dispatcher, which sends them)."""
    deadline = time.monotonic() + 5
    while len(found := messages_to(app, COORDINATOR, "Boundary update")) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} notices, got {found}")
        time.sleep(0.05)
    return found


def view_as_coordinator(app: RunningApp, notice: dict[str, Any], action: str) -> str:
    before = len(app.standin.calls("views.open"))
    click(app, COORDINATOR, action, notice)
    return json.dumps(opened(app, before), ensure_ascii=False)


def answers(app: RunningApp) -> list[tuple[str, AnswerKind]]:
    with session_scope(app.session_factory) as session:
        return [
            (a.performer_id, a.kind)
            for a in session.scalars(select(BoundaryAnswer).order_by(BoundaryAnswer.id))
        ]


def test_the_prompt_names_the_scene_and_times_and_nothing_private(asked: RunningApp) -> None:
    message = prompt(asked, P1)
    text = blocks_text(message)
    assert "scene 42A" in text and "INT. BEDROOM" in text
    assert "<!date^" in text  # the reader's own zone, rendered by Slack
    assert "Europe/London production time" in text
    assert PLANNED not in text
    for action in (BoundaryAction.REVIEW, BoundaryAction.CHANGES, BoundaryAction.TALK):
        button_value(message, action)


def test_a_performer_confirms_and_the_coordinator_sees_who_only_in_the_modal(
    asked: RunningApp,
) -> None:
    before = len(asked.standin.calls("views.open"))
    click(asked, P1, BoundaryAction.REVIEW, prompt(asked, P1))
    review = json.dumps(opened(asked, before), ensure_ascii=False)
    assert PLANNED in review  # what is planned: in the modal, for the performer
    answer = submit(
        asked,
        user_id=P1,
        callback_id=ConfirmView.CALLBACK,
        values={},
        private_metadata=json.loads(review)["private_metadata"],
    )
    assert answer.saving and "Thank you" in answer.text
    assert answers(asked) == [(P1, AnswerKind.CONFIRMED)]
    # The prompt is updated in place, saying the same whatever the answer was.
    update = asked.standin.wait_for("chat.update")[-1].params
    assert "your answer is saved" in blocks_text(update)
    [notice] = coordinator_notices(asked, 1)
    assert notice["text"] == "Boundary update — scene 42A"
    modal = view_as_coordinator(asked, notice, CoordinatorAction.VIEW_ANSWER)
    assert "Jane Doe" in modal and "confirmed the scene" in modal
    # The nudge for P1 is cancelled; P2's stays.
    with session_scope(asked.session_factory) as session:
        nudges = dict(
            session.execute(
                select(Delivery.recipient, Delivery.status).where(
                    Delivery.kind == DeliveryKind.NUDGE
                )
            ).all()
        )
    assert nudges == {P1: "cancelled", P2: "planned"}


def test_confirming_twice_records_once_and_says_so(asked: RunningApp) -> None:
    review_and_confirm(asked, P1)
    second = review_and_confirm(asked, P1)
    assert "already confirmed" in second.text
    assert answers(asked) == [(P1, AnswerKind.CONFIRMED)]
    coordinator_notices(asked, 1)
    asked.dispatch()
    assert len(messages_to(asked, COORDINATOR, "Boundary update")) == 1


def test_asking_for_changes_records_a_new_version_and_the_coordinator_sees_the_diff(
    asked: RunningApp,
) -> None:
    privacy.sensitive("I'd rather keep my shirt on")

    def send(choices: dict[int, str], note: str) -> None:
        before = len(asked.standin.calls("views.open"))
        click(asked, P2, BoundaryAction.CHANGES, prompt(asked, P2))
        view = opened(asked, before)
        assert view["callback_id"] == ChangesView.CALLBACK
        items = [b for b in view["blocks"] if b.get("block_id", "").startswith(ChangesView.ITEM)]
        values: dict[str, Any] = {
            b["block_id"]: {VALUE: radio(choices.get(i, "ok"))} for i, b in enumerate(items)
        }
        values[ChangesView.NOTE] = {VALUE: plain(note)}
        response = submit(
            asked,
            user_id=P2,
            callback_id=ChangesView.CALLBACK,
            values=values,
            private_metadata=view["private_metadata"],
        )
        assert "Thank you" in response.text

    send({0: "not_ok", 3: "talk"}, "I'd rather keep my shirt on")
    [first] = coordinator_notices(asked, 1)
    modal = view_as_coordinator(asked, first, CoordinatorAction.VIEW_ANSWER)
    assert "Bob Smith" in modal and "Kissing: Not OK" in modal
    assert "Nudity as planned: Let's talk" in modal and "keep my shirt on" in modal
    # A second version: the modal opens with the first one's answers, and the diff shows.
    send({0: "ok", 3: "talk"}, "I'd rather keep my shirt on")
    second = coordinator_notices(asked, 2)[1]
    modal = view_as_coordinator(asked, second, CoordinatorAction.VIEW_ANSWER)
    assert "Kissing: Not OK → OK" in modal
    assert answers(asked) == [(P2, AnswerKind.CHANGES), (P2, AnswerKind.CHANGES)]


def test_a_changes_form_with_an_item_unanswered_is_refused_in_the_modal(
    asked: RunningApp,
) -> None:
    before = len(asked.standin.calls("views.open"))
    click(asked, P2, BoundaryAction.CHANGES, prompt(asked, P2))
    view = opened(asked, before)
    first = next(b for b in view["blocks"] if b.get("block_id", "").startswith(ChangesView.ITEM))
    response = asked.slack.view_submission(
        user_id=P2,
        callback_id=ChangesView.CALLBACK,
        values={first["block_id"]: {VALUE: radio(None)}},
        private_metadata=view["private_metadata"],
    ).json()
    assert response == {"response_action": "errors", "errors": {first["block_id"]: "Choose one."}}
    assert answers(asked) == []


def test_talk_to_the_coordinator_privately(asked: RunningApp) -> None:
    click(asked, P1, BoundaryAction.TALK, prompt(asked, P1))
    told = asked.standin.wait_for("response_url")[-1].params
    assert "told, privately" in told["text"] and told["response_type"] == "ephemeral"
    [notice] = coordinator_notices(asked, 1)
    modal = view_as_coordinator(asked, notice, CoordinatorAction.VIEW_ANSWER)
    assert "would like to talk to you privately" in modal
    assert f"<@{P1}>" in modal and "Message" in modal  # one click from a direct message
    # A double click records nothing more.
    click(asked, P1, BoundaryAction.TALK, prompt(asked, P1))
    again = asked.standin.wait_for("response_url", count=2)[-1].params
    assert "already knows" in again["text"]
    assert answers(asked) == [(P1, AnswerKind.TALK)]


def test_withdrawing_after_confirming_alerts_the_coordinator(asked: RunningApp) -> None:
    review_and_confirm(asked, P1)
    coordinator_notices(asked, 1)
    updated = asked.standin.wait_for("chat.update")[-1].params
    click(asked, P1, BoundaryAction.WITHDRAW, updated)
    told = asked.standin.wait_for("response_url")[-1].params
    assert "withdrawn" in told["text"]
    second = coordinator_notices(asked, 2)[1]
    assert second["text"] == "Boundary update — scene 42A"  # the same words as any answer
    modal = view_as_coordinator(asked, second, CoordinatorAction.VIEW_ANSWER)
    assert "withdrew their confirmation" in modal
    assert answers(asked) == [(P1, AnswerKind.CONFIRMED), (P1, AnswerKind.WITHDRAWN)]
    # From /closedset boundaries too: nothing more to withdraw, said kindly.
    asked.slack.command("boundaries", user_id=P1)
    listing = asked.standin.wait_for("response_url", count=2)[-1].params
    click(asked, P1, BoundaryAction.WITHDRAW, listing)
    third = asked.standin.wait_for("response_url", count=3)[-1].params
    assert "already withdrew" in third["text"]


def test_a_stale_button_is_answered_politely_and_records_nothing(asked: RunningApp) -> None:
    old = prompt(asked, P1)
    # The coordinator changes what is planned: revision 2, the old buttons are stale.
    with session_scope(asked.session_factory) as session:
        scene_id = session.scalar(select(Scene.id))
    submit(
        asked,
        user_id=COORDINATOR,
        callback_id=SceneView.CALLBACK,
        values={
            SceneView.INTIMACY: {VALUE: checkboxes(["yes"])},
            SceneView.CONTENT: {VALUE: plain("Kiss only")},
            SceneView.CLOSED_SET: {VALUE: checkboxes(["yes"])},
            SceneView.START: {VALUE: timepicker("09:00")},
        },
        private_metadata=json.dumps({"v": 1, "k": "scene", "s": scene_id}),
    )
    click(asked, P1, BoundaryAction.TALK, old)
    told = asked.standin.wait_for("response_url")[-1].params
    assert "has changed since this message" in told["text"]
    assert answers(asked) == []
    # Inside the lead: both performers are asked again at once, told what changed, and the
    # coordinator hears that the notice was short.
    asked.dispatch()
    again = messages_to(asked, P1, "Boundary check")
    assert len(again) == 2 and "has changed (what is planned)" in blocks_text(again[1])
    assert messages_to(asked, COORDINATOR, "Short notice — scene 42A")
    # The old prompt lost its buttons.
    closed = [c.params for c in asked.standin.calls("chat.update")]
    assert any("replaced by a newer one" in blocks_text(c) for c in closed)


def test_a_retried_event_and_a_double_clicked_button_do_nothing_twice(
    asked: RunningApp,
) -> None:
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": asked.standin.dm_channel_id(P1),
        "user": P1,
        "text": "hello",
        "ts": "1700000001.000100",
    }
    first = asked.slack.event(event, event_id="Ev0BOUND1")
    retried = asked.slack.event(event, event_id="Ev0BOUND1", retry_num=1, retry_reason="timeout")
    assert first.status == retried.status == 200
    with session_scope(asked.session_factory) as session:
        from storage.models import ProcessedEvent

        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 1
    message = prompt(asked, P2)
    click(asked, P2, BoundaryAction.TALK, message)
    click(asked, P2, BoundaryAction.TALK, message)
    asked.standin.wait_for("response_url", count=2)
    assert answers(asked) == [(P2, AnswerKind.TALK)]
    coordinator_notices(asked, 1)
    asked.dispatch()
    assert len(messages_to(asked, COORDINATOR, "Boundary update")) == 1


def test_nudge_then_escalation_to_the_coordinator_only(asked: RunningApp) -> None:
    review_and_confirm(asked, P1)
    coordinator_notices(asked, 1)
    asked.clock.advance(timedelta(hours=24))  # 24 h before: the nudge
    asked.dispatch()
    assert len(messages_to(asked, P2, "Boundary check")) == 2  # prompt and nudge (P2 only)
    assert "gentle reminder" in blocks_text(messages_to(asked, P2, "Boundary check")[1])
    assert len(messages_to(asked, P1, "Boundary check")) == 1
    asked.clock.advance(timedelta(hours=12))  # 12 h before: the escalation
    asked.dispatch()
    [escalation] = messages_to(asked, COORDINATOR, "Confirmations still missing")
    assert not messages_to(asked, AD)
    modal = view_as_coordinator(asked, escalation, CoordinatorAction.VIEW_STATUS)
    assert "Jane Doe" in modal and "Confirmed" in modal
    assert "Bob Smith" in modal and "Asked, no answer yet" in modal


def test_status_is_for_coordinators_and_opens_a_modal(asked: RunningApp) -> None:
    review_and_confirm(asked, P1)
    asked.slack.command("status 42A", user_id=AD)
    refused = asked.standin.wait_for("response_url")[-1].params
    assert "Only a coordinator" in refused["text"]
    asked.slack.command("status 42A", user_id=P2)
    assert (
        "Only a coordinator" in asked.standin.wait_for("response_url", count=2)[-1].params["text"]
    )
    before = len(asked.standin.calls("views.open"))
    asked.slack.command("status 42A", user_id=COORDINATOR)
    modal = json.dumps(opened(asked, before), ensure_ascii=False)
    assert "Jane Doe" in modal and "Confirmed" in modal and "Bob Smith" in modal


def test_the_coordinator_edits_the_checklist(asked: RunningApp) -> None:
    before = len(asked.standin.calls("views.open"))
    asked.slack.command("checklist", user_id=COORDINATOR)
    view = opened(asked, before)
    assert "Kissing" in json.dumps(view)

    def save(text: str) -> Submitted:
        return submit(
            asked,
            user_id=COORDINATOR,
            callback_id=ChecklistView.CALLBACK,
            values={ChecklistView.ITEMS: {VALUE: plain(text)}},
            private_metadata=view["private_metadata"],
        )

    duplicate = save("Kissing\nkissing")
    assert "twice" in duplicate.errors[ChecklistView.ITEMS] and duplicate.view is None
    assert "Saved: 3 item(s)" in save("Kissing\n- Touch above the waist\nStage combat").text
    with session_scope(asked.session_factory) as session:
        active = list(
            session.scalars(
                select(ChecklistItem.label)
                .where(ChecklistItem.active.is_(True))
                .order_by(ChecklistItem.position)
            )
        )
    assert active == ["Kissing", "Touch above the waist", "Stage combat"]
    # A performer's form now asks exactly these.
    before = len(asked.standin.calls("views.open"))
    click(asked, P1, BoundaryAction.CHANGES, prompt(asked, P1))
    labels = [
        b["label"]["text"]
        for b in opened(asked, before)["blocks"]
        if b.get("block_id", "").startswith(ChangesView.ITEM)
    ]
    assert labels == active
    # A performer cannot edit it.
    asked.slack.command("checklist", user_id=P1)
    assert (
        "Only a coordinator or admin" in asked.standin.wait_for("response_url")[-1].params["text"]
    )


def test_boundaries_lists_a_performers_scenes_with_their_buttons(asked: RunningApp) -> None:
    asked.slack.command("boundaries", user_id=P1)
    listing = asked.standin.wait_for("response_url")[-1].params
    text = blocks_text(listing)
    assert "Scene 42A" in text and PLANNED not in text
    button_value(listing, BoundaryAction.REVIEW)
    asked.slack.command("boundaries", user_id=P3)  # cast, but in no intimate scene
    assert (
        "no upcoming intimate scenes"
        in asked.standin.wait_for("response_url", count=2)[-1].params["text"]
    )


def test_a_removed_scene_tells_who_was_asked_and_cancels_the_rest(asked: RunningApp) -> None:
    from storage import deliveries

    with session_scope(asked.session_factory) as session:
        scene = session.scalars(select(Scene)).one()
        scene.removed = True
        deliveries.sync_production(session, scene.production, now=asked.clock.now())
    asked.dispatch()
    for user_id in (P1, P2):
        [notice] = messages_to(asked, user_id, "Scene 42A is taken off the schedule")
        assert "Nothing is needed from you" in blocks_text(notice)
    with session_scope(asked.session_factory) as session:
        waiting = session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.status == "planned")
        )
    assert waiting == 0
    click(asked, P1, BoundaryAction.REVIEW, prompt(asked, P1))
    assert "no longer on the schedule" in asked.standin.wait_for("response_url")[-1].params["text"]
