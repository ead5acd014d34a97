"""Depersonalized coordinator requests and private notes, end to end: the real app over HTTP,
signed requests, the Slack stand-in, the real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.ids import (
    VALUE,
    CoordinatorAction,
    EditRequestView,
    NoteView,
    RequestAction,
    RequestView,
)
from storage.db import session_scope
from storage.models import (
    AuditEvent,
    CoordinatorRequest,
    DmNotice,
    PrivateNote,
    Production,
    RequestAck,
    RequestVersion,
    Scene,
)
from storage.secrets import unseal
from tests.conftest import NOW, RunningApp
from tests.support import privacy
from tests.support.e2e import Submitted, blocks_text, button_value
from tests.support.e2e import submit as submit_view
from tests.support.signing import checkboxes, plain, radio, static
from tests.support.world import AD, COORDINATOR, build

P1, P2 = "U0PERF0001", "U0PERF0002"
WARDROBE, CAMERA = "C0WARDROBE", "C0CAMERA01"


@pytest.fixture
def ready(app: RunningApp) -> RunningApp:
    """Scene 42A with three performers, scene 50 with two."""
    build(
        app.session_factory,
        now=NOW,
        scenes={
            "42A": (timedelta(days=5), ("1", "2", "3")),
            "50": (timedelta(days=6), ("1", "2")),
        },
    )
    return app


def scene_id(app: RunningApp, number: str) -> int:
    with session_scope(app.session_factory) as session:
        found = session.scalar(select(Scene.id).where(Scene.number == number))
        assert found is not None
        return found


def open_request(app: RunningApp, user_id: str = COORDINATOR) -> dict[str, Any]:
    before = len(app.standin.calls("views.open"))
    assert app.slack.command("request", user_id=user_id).status == 200
    view: dict[str, Any] = app.standin.wait_for("views.open", count=before + 1)[-1].json("view")
    return view


def values(
    text: str, *, channels: tuple[str, ...] = (WARDROBE, CAMERA), scene: int | None = None
) -> dict[str, Any]:
    return {
        RequestView.CHANNELS: {
            VALUE: {"type": "multi_conversations_select", "selected_conversations": list(channels)}
        },
        RequestView.SCENE: {VALUE: static(str(scene) if scene else None)},
        RequestView.TEXT: {VALUE: plain(text)},
        RequestView.POST_AT: {VALUE: {"type": "datetimepicker", "selected_date_time": None}},
        RequestView.PING: {VALUE: checkboxes([])},
    }


def submit(app: RunningApp, view: dict[str, Any], state: dict[str, Any]) -> Submitted:
    return submit_view(
        app,
        user_id=COORDINATOR,
        callback_id=RequestView.CALLBACK,
        values=state,
        private_metadata=view["private_metadata"],
    )


def form_again(submitted: Submitted, text: str) -> str:
    """The request form shown again, as it was filled in, with what to fix above it."""
    assert submitted.view is not None and submitted.view["callback_id"] == RequestView.CALLBACK
    problem = submitted.view["blocks"][0]
    assert problem["type"] == "context"
    field = next(b for b in submitted.view["blocks"] if b.get("block_id") == RequestView.TEXT)
    assert field["element"]["initial_value"] == text
    return json.dumps(problem, ensure_ascii=False)


def channel_posts(app: RunningApp, wait_for: int = 0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 5
    while True:
        found = [
            {**c.params, "ts": c.response["ts"]}
            for c in app.standin.calls("chat.postMessage")
            if str(c.params.get("channel", "")).startswith("C") and c.response and c.response["ok"]
        ]
        if len(found) >= wait_for or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def requests_in_db(app: RunningApp) -> int:
    with session_scope(app.session_factory) as session:
        return session.scalar(select(func.count()).select_from(CoordinatorRequest)) or 0


def test_a_coordinator_posts_to_two_channels_as_the_intimacy_coordinator(
    ready: RunningApp,
) -> None:
    with session_scope(ready.session_factory) as session:
        session.scalars(select(Production)).one().department_channels = [WARDROBE, CAMERA]
    view = open_request(ready)
    channels = next(b for b in view["blocks"] if b.get("block_id") == RequestView.CHANNELS)
    assert channels["element"]["initial_conversations"] == [WARDROBE, CAMERA]
    answer = submit(ready, view, values("Closed-set robes ready between takes, please."))
    assert answer.saving and "being posted" in answer.text
    posts = channel_posts(ready, 2)
    assert sorted(p["channel"] for p in posts) == [CAMERA, WARDROBE]
    for post in posts:
        text = blocks_text(post)
        assert "Intimacy coordinator request" in text and "Standing production requirement" in text
        assert "Closed-set robes ready between takes" in text and "Not acknowledged yet" in text
        button_value(post, RequestAction.ACKNOWLEDGE)
        assert COORDINATOR not in text  # in the coordinator's name, not by name


def test_only_a_coordinator_can_post_a_request(ready: RunningApp) -> None:
    for user_id in (AD, P1):
        before = len(ready.standin.calls("response_url"))
        ready.slack.command("request", user_id=user_id)
        told = ready.standin.wait_for("response_url", count=before + 1)[-1].params["text"]
        assert "Only a coordinator" in told
    assert ready.standin.calls("views.open") == []


def test_a_request_naming_a_performer_is_refused_with_the_form_kept(ready: RunningApp) -> None:
    view = open_request(ready)
    typed = "Please have a robe ready for Jane after the take."
    answer = submit(ready, view, values(typed))
    assert answer.saving  # names are the cast's, read from the database after the ack
    assert "'Jane' is the name of a performer" in form_again(answer, typed)
    for text in ("A robe for Lena's scene", "ping <@U0PERF0002> about it", "mail bob@example.com"):
        refused = submit(ready, view, values(text))
        assert "performer" in form_again(refused, text), text
    assert requests_in_db(ready) == 0
    assert channel_posts(ready) == []


def test_a_pronoun_warning_is_acknowledged_and_then_posted(ready: RunningApp) -> None:
    view = open_request(ready)
    state = values("She would like the monitors turned away.", scene=scene_id(ready, "42A"))
    shown = submit(ready, view, state)
    again = shown.view
    assert again is not None and "may point at one performer" in json.dumps(again)
    assert RequestView.CONFIRM in [b.get("block_id") for b in again["blocks"]]
    # Not ticked: the form again, saying to tick the box.
    unticked = submit(ready, again, state)
    assert "Post anyway" in form_again(unticked, state[RequestView.TEXT][VALUE]["value"])
    assert unticked.view is not None
    assert RequestView.CONFIRM in [b.get("block_id") for b in unticked.view["blocks"]]
    assert requests_in_db(ready) == 0
    ticked = submit(ready, again, {**state, RequestView.CONFIRM: {VALUE: checkboxes(["yes"])}})
    assert "being posted" in ticked.text
    posts = channel_posts(ready, 2)
    assert len(posts) == 2 and "scene 42A" in blocks_text(posts[0])


def test_a_small_cast_is_offered_a_standing_requirement(ready: RunningApp) -> None:
    view = open_request(ready)
    state = values("Robes warmed before each take.", scene=scene_id(ready, "50"))
    shown = submit(ready, view, state)
    assert shown.view is not None and "The scene has 2 performers" in shown.text
    submit(
        ready,
        shown.view,
        {**state, RequestView.STANDING: {VALUE: radio("standing")}},
    )
    posts = channel_posts(ready, 2)
    assert all("Standing production requirement" in blocks_text(p) for p in posts)
    assert all("scene 50" not in blocks_text(p) for p in posts)


def note_from(app: RunningApp, text: str, scene: int | None) -> None:
    """A performer's note. (Not registered as private: this test's coordinator chooses to
    post its words, in their own name, which is what turning a note into a request is.)"""
    before = len(app.standin.calls("views.open"))
    app.slack.command("note", user_id=P1)
    view = app.standin.wait_for("views.open", count=before + 1)[-1].json("view")
    assert view["callback_id"] == NoteView.CALLBACK
    response = submit_view(
        app,
        user_id=P1,
        callback_id=NoteView.CALLBACK,
        values={
            NoteView.SCENE: {VALUE: static(str(scene) if scene else None)},
            NoteView.TEXT: {VALUE: plain(text)},
        },
        private_metadata=view["private_metadata"],
    )
    assert response.saving and "only with them" in response.text


def coordinator_message(app: RunningApp, starting: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for call in app.standin.calls("chat.postMessage"):
            if call.params.get("channel") == COORDINATOR and call.params["text"].startswith(
                starting
            ):
                return call.params
        time.sleep(0.05)
    raise AssertionError(f"no {starting!r} to the coordinator")


def test_a_note_becomes_a_request_without_the_performer_and_is_held_back(
    ready: RunningApp,
) -> None:
    note = "Could the camera crew keep the monitors covered between setups?"
    note_from(ready, note, scene_id(ready, "42A"))
    notice = coordinator_message(ready, "New private note — scene 42A")
    assert note not in json.dumps(notice)
    before = len(ready.standin.calls("views.open"))
    ready.slack.block_action(
        user_id=COORDINATOR,
        action_id=CoordinatorAction.VIEW_NOTE,
        value=button_value(notice, CoordinatorAction.VIEW_NOTE),
        channel_id=ready.standin.dm_channel_id(COORDINATOR),
    )
    modal = ready.standin.wait_for("views.open", count=before + 1)[-1].json("view")
    shown = json.dumps(modal, ensure_ascii=False)
    assert "Jane Doe" in shown and "monitors covered" in shown
    ready.slack.block_action(
        user_id=COORDINATOR,
        action_id=CoordinatorAction.TURN_INTO_REQUEST,
        value=button_value({"blocks": modal["blocks"]}, CoordinatorAction.TURN_INTO_REQUEST),
        view={**modal, "id": "V0NOTE"},
    )
    pushed = ready.standin.wait_for("views.push")[-1].json("view")
    prefilled = json.dumps(pushed, ensure_ascii=False)
    assert "monitors covered" in prefilled and "Jane" not in prefilled and P1 not in prefilled
    state = values(note, scene=scene_id(ready, "42A"))
    shown_again = submit(ready, pushed, state)
    # The note was written moments ago about this scene: hold it back (the default choice).
    assert shown_again.view is not None and "Hold it back until" in shown_again.text
    held = submit(ready, shown_again.view, {**state, RequestView.HOLD: {VALUE: radio("hold")}})
    assert "will be posted at" in held.text
    ready.dispatch()
    assert channel_posts(ready) == []
    ready.clock.advance(timedelta(minutes=31))  # past the quiet time and its random minutes
    ready.dispatch()
    posts = channel_posts(ready, 2)
    assert len(posts) == 2
    for post in posts:
        text = blocks_text(post)
        assert "monitors covered" in text
        for identity in ("Jane", "Doe", "jane", P1, "jane@example.com", "Lena"):
            assert identity not in text
    with session_scope(ready.session_factory) as session:
        assert session.scalar(select(func.count()).select_from(PrivateNote)) == 1


def acknowledge(app: RunningApp, post: dict[str, Any], user_id: str) -> None:
    app.slack.block_action(
        user_id=user_id,
        action_id=RequestAction.ACKNOWLEDGE,
        value=button_value(post, RequestAction.ACKNOWLEDGE),
        channel_id=post["channel"],
        message={"ts": post["ts"], "type": "message", "text": post["text"]},
    )


def test_acknowledgements_count_once_per_person_and_the_coordinator_sees_who(
    ready: RunningApp,
) -> None:
    submit(ready, open_request(ready), values("Closed-set robes ready between takes, please."))
    wardrobe = next(p for p in channel_posts(ready, 2) if p["channel"] == WARDROBE)
    acknowledge(ready, wardrobe, "U0CREW0001")
    acknowledge(ready, wardrobe, "U0CREW0002")
    acknowledge(ready, wardrobe, "U0CREW0001")  # twice: recorded once
    ready.standin.wait_for("response_url")  # "already acknowledged", to that person only
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        updates = [
            c.params
            for c in ready.standin.calls("chat.update")
            if c.params.get("channel") == WARDROBE
        ]
        if updates and "Acknowledged by 2 people" in blocks_text(updates[-1]):
            break
        time.sleep(0.05)
    assert "Acknowledged by 2 people" in blocks_text(updates[-1])
    with session_scope(ready.session_factory) as session:
        assert session.scalar(select(func.count()).select_from(RequestAck)) == 2
    ready.slack.command("requests", user_id=COORDINATOR)
    listing = blocks_text(ready.standin.wait_for("response_url", count=2)[-1].params)
    assert "<@U0CREW0001>" in listing and "<@U0CREW0002>" in listing
    assert f"<#{CAMERA}>: not acknowledged yet" in listing
    # Remind the channel that has not acknowledged: a thread reply there only.
    listing_params = ready.standin.calls("response_url")[-1].params
    ready.slack.block_action(
        user_id=COORDINATOR,
        action_id=RequestAction.REMIND,
        value=button_value(listing_params, RequestAction.REMIND),
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(channel_posts(ready)) < 3:
        time.sleep(0.05)
    reminder = channel_posts(ready)[-1]
    assert reminder["channel"] == CAMERA and reminder.get("thread_ts")
    assert "Reminder" in reminder["text"]


def test_editing_and_withdrawing_update_the_posts_and_keep_history(ready: RunningApp) -> None:
    submit(ready, open_request(ready), values("Robes ready between takes."))
    channel_posts(ready, 2)
    ready.slack.command("requests", user_id=COORDINATOR)
    listing = ready.standin.wait_for("response_url")[-1].params
    before = len(ready.standin.calls("views.open"))
    ready.slack.block_action(
        user_id=COORDINATOR,
        action_id=RequestAction.EDIT,
        value=button_value(listing, RequestAction.EDIT),
    )
    edit = ready.standin.wait_for("views.open", count=before + 1)[-1].json("view")
    refused = submit_view(
        ready,
        user_id=COORDINATOR,
        callback_id=EditRequestView.CALLBACK,
        values={EditRequestView.TEXT: {VALUE: plain("Robes for Bob")}},
        private_metadata=edit["private_metadata"],
    )
    # The edit form again, the new text kept, the refusal above it.
    assert refused.view is not None and refused.view["callback_id"] == EditRequestView.CALLBACK
    assert refused.view["blocks"][0]["type"] == "context" and "Bob" in refused.text
    field = next(b for b in refused.view["blocks"] if b.get("block_id") == EditRequestView.TEXT)
    assert field["element"]["initial_value"] == "Robes for Bob"
    saved = submit_view(
        ready,
        user_id=COORDINATOR,
        callback_id=EditRequestView.CALLBACK,
        values={EditRequestView.TEXT: {VALUE: plain("Warm robes ready between takes.")}},
        private_metadata=edit["private_metadata"],
    )
    assert "Saved" in saved.text
    updated = ready.standin.wait_for("chat.update", count=2)
    assert all("Warm robes" in blocks_text(u.params) for u in updated[-2:])
    assert "edited" in blocks_text(updated[-1].params)
    ready.slack.block_action(
        user_id=COORDINATOR,
        action_id=RequestAction.WITHDRAW,
        value=button_value(listing, RequestAction.WITHDRAW),
    )
    withdrawn = ready.standin.wait_for("chat.update", count=4)
    assert all(
        "Withdrawn by the intimacy coordinator" in blocks_text(u.params) for u in withdrawn[-2:]
    )
    with session_scope(ready.session_factory) as session:
        actions = list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.like("request.%"))
                .order_by(AuditEvent.id)
            )
        )
    assert actions == ["request.create", "request.edit", "request.withdraw"]
    # Every version is kept, encrypted.
    with session_scope(ready.session_factory) as session:
        versions = list(session.scalars(select(RequestVersion).order_by(RequestVersion.number)))
        assert [unseal(session, v.text_ct) for v in versions] == [
            "Robes ready between takes.",
            "Warm robes ready between takes.",
        ]
        assert all(b"robes" not in v.text_ct for v in versions)


def test_a_held_request_withdrawn_before_its_time_is_never_posted(ready: RunningApp) -> None:
    view = open_request(ready)
    state = values("Robes ready between takes.")
    state[RequestView.POST_AT] = {
        VALUE: {
            "type": "datetimepicker",
            "selected_date_time": int((NOW + timedelta(hours=2)).timestamp()),
        }
    }
    assert "will be posted at" in submit(ready, view, state).text
    ready.slack.command("requests", user_id=COORDINATOR)
    listing = ready.standin.wait_for("response_url")[-1].params
    ready.slack.block_action(
        user_id=COORDINATOR,
        action_id=RequestAction.WITHDRAW,
        value=button_value(listing, RequestAction.WITHDRAW),
    )
    ready.standin.wait_for("response_url", count=2)
    ready.clock.advance(timedelta(hours=3))
    ready.dispatch()
    assert channel_posts(ready) == []


def test_channel_pings_typed_by_people_show_as_text_unless_allowed(ready: RunningApp) -> None:
    submit(
        ready,
        open_request(ready),
        values("<!channel> robes ready <@U0SOMEONE>", channels=(WARDROBE,)),
    )
    [post] = channel_posts(ready, 1)
    text = blocks_text(post)
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text and "<@U0SOMEONE>" not in text
    state = values("@here robes ready", channels=(CAMERA,))
    state[RequestView.PING] = {VALUE: checkboxes(["yes"])}
    submit(ready, open_request(ready), state)
    pinged = channel_posts(ready, 2)[-1]
    assert "<!here>" in blocks_text(pinged)


def test_text_typed_to_the_bot_is_not_kept_and_answered_once(ready: RunningApp) -> None:
    typed = "I am not comfortable with the new kiss"
    privacy.sensitive(typed)
    for n in range(2):
        event = {
            "type": "message",
            "channel_type": "im",
            "channel": ready.standin.dm_channel_id(P2),
            "user": P2,
            "text": typed,
            "ts": f"170000000{n}.000100",
        }
        assert ready.slack.event(event, event_id=f"Ev0TYPED{n}").status == 200
    notice = ready.standin.wait_for("chat.postMessage")[-1].params
    assert notice["channel"] == P2 and "can be exported" in blocks_text(notice)
    button_value(notice, RequestAction.NOTE)
    time.sleep(0.3)
    assert (
        len([c for c in ready.standin.calls("chat.postMessage") if c.params["channel"] == P2]) == 1
    )
    with session_scope(ready.session_factory) as session:
        assert session.scalar(select(func.count()).select_from(DmNotice)) == 1
        assert session.scalar(select(func.count()).select_from(PrivateNote)) == 0
    raw = _raw_database_text(ready)
    assert typed not in raw


def _raw_database_text(app: RunningApp) -> str:
    from sqlalchemy import inspect, text

    chunks: list[str] = []
    with app.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                chunks.append(repr(tuple(row)))
    return "\n".join(chunks)


def test_a_channel_the_app_is_not_in_tells_the_coordinator_what_to_do(ready: RunningApp) -> None:
    ready.standin.fail_next("chat.postMessage", "not_in_channel")
    submit(ready, open_request(ready), values("Robes ready between takes.", channels=(CAMERA,)))
    notice = coordinator_message(ready, "A message could not be delivered")
    assert notice["text"] == "A message could not be delivered"  # a standing request: no scene
    before = len(ready.standin.calls("views.open"))
    ready.slack.block_action(
        user_id=COORDINATOR,
        action_id=CoordinatorAction.VIEW_FAILURE,
        value=button_value(notice, CoordinatorAction.VIEW_FAILURE),
        channel_id=ready.standin.dm_channel_id(COORDINATOR),
    )
    modal = json.dumps(ready.standin.wait_for("views.open", count=before + 1)[-1].json("view"))
    assert f"<#{CAMERA}>" in modal and "invite it" in modal
