"""Modal submissions answer at once. The listener checks only the submitted values themselves
and acknowledges with "Saving…"; the job does the database work and shows its outcome in place
of that (`views.update` of the submitted view): done, the form again saying what to fix, or why
not. A full worker leaves the form as it was typed, with "busy, try again" under a field.

The session factory the app runs with is guarded: while a test arms it, opening a session
fails and is recorded, so an acknowledgement that needed the database could not arrive.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.ids import VALUE, ChecklistView, ConfirmView, NoteView, RequestView, SceneView, SetupView
from bot.meta import pack
from bot.worker import BUSY, JobContext
from handlers.blocks.saving import SAVING, saving_modal, with_problem
from storage.models import BoundaryAnswer, ChecklistItem, CoordinatorRequest, PrivateNote
from tests.conftest import NOW, RunningApp, running_app
from tests.support.e2e import outcome, setup_values, submit
from tests.support.signing import Response, checkboxes, plain, static, timepicker
from tests.support.slack_standin import SlackStandIn
from tests.support.world import AD, COORDINATOR, World, build

P1 = "U0PERF0001"
WARDROBE = "C0WARDROBE"


class Guarded:
    """A session factory that, while `armed`, refuses to open a session and records who
    asked (the thread's name)."""

    def __init__(self, real: sessionmaker[Session]) -> None:
        self.real = real
        self.armed = False
        self.opened: list[str] = []

    def __call__(self, **kwargs: Any) -> Session:
        if self.armed:
            self.opened.append(threading.current_thread().name)
            raise RuntimeError("a session was opened before the acknowledgement")
        return self.real(**kwargs)


@pytest.fixture
def guard(session_factory: sessionmaker[Session]) -> Guarded:
    return Guarded(session_factory)


def _serve(
    request: pytest.FixtureRequest,
    engine: Engine,
    guard: Guarded,
    standin: SlackStandIn,
    **worker: Any,
) -> Iterator[RunningApp]:
    for user_id, name in ((COORDINATOR, "coord"), (AD, "ad"), (P1, "jane")):
        standin.add_user(user_id, name)
    with running_app(engine, guard, standin, request.param, **worker) as running:  # type: ignore[arg-type]
        yield running


@pytest.fixture(params=["http", "socket"])
def app(
    request: pytest.FixtureRequest, engine: Engine, guard: Guarded, standin: SlackStandIn
) -> Iterator[RunningApp]:
    """The app over each transport, on the guarded session factory (6 job threads, 2 of
    them for modal openers only)."""
    yield from _serve(request, engine, guard, standin)


@pytest.fixture(params=["http", "socket"])
def small_app(
    request: pytest.FixtureRequest, engine: Engine, guard: Guarded, standin: SlackStandIn
) -> Iterator[RunningApp]:
    """The app with 2 normal job threads, 1 for modal openers, and room for 2 waiting jobs."""
    yield from _serve(request, engine, guard, standin, threads=3, urgent_threads=1, capacity=2)


def _hold(app: RunningApp, release: threading.Event, threads: int, waiting: int = 0) -> None:
    """Keep `threads` job threads busy until `release`, and `waiting` more jobs queued."""
    started = threading.Semaphore(0)

    def held(job: JobContext, payload: None) -> None:
        started.release()
        release.wait(20)

    for _ in range(threads):
        app.worker.submit(held, None, response_url=None)
    for _ in range(threads):
        assert started.acquire(timeout=5)
    for _ in range(waiting):
        app.worker.submit(held, None, response_url=None)


def _send(
    app: RunningApp, view_id: str, user_id: str, callback_id: str, metadata: str, values: Any
) -> Response:
    return app.slack.view_submission(
        user_id=user_id,
        callback_id=callback_id,
        values=values,
        private_metadata=metadata,
        view_id=view_id,
    )


def _count(guard: Guarded, model: Any) -> int:
    with guard.real() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


Form = Callable[[World], tuple[str, str, str, dict[str, Any]]]
"""A submission: who sends it, its callback, its metadata and its values, for a world."""

FORMS: dict[str, tuple[Form, str]] = {
    "setup": (
        lambda w: (
            COORDINATOR,
            SetupView.CALLBACK,
            pack("setup", p=0),
            setup_values(**{SetupView.NAME: plain("Day Shift")}),
        ),
        "Day Shift* is set up",
    ),
    "scene": (
        lambda w: (
            COORDINATOR,
            SceneView.CALLBACK,
            pack("scene", s=w.scene_ids["42A"]),
            {SceneView.START: {VALUE: timepicker("10:00")}},
        ),
        "Scene 42A is saved",
    ),
    "checklist": (
        lambda w: (
            COORDINATOR,
            ChecklistView.CALLBACK,
            pack("checklist", p=w.production_id),
            {ChecklistView.ITEMS: {VALUE: plain("Kissing\nStage combat")}},
        ),
        "Saved: 2 item(s)",
    ),
    "request": (
        lambda w: (
            COORDINATOR,
            RequestView.CALLBACK,
            pack("request", p=w.production_id),
            {
                RequestView.CHANNELS: {
                    VALUE: {
                        "type": "multi_conversations_select",
                        "selected_conversations": [WARDROBE],
                    }
                },
                RequestView.SCENE: {VALUE: static(None)},
                RequestView.TEXT: {VALUE: plain("Robes ready between takes.")},
                RequestView.PING: {VALUE: checkboxes([])},
            },
        ),
        "being posted",
    ),
    "note": (
        lambda w: (
            P1,
            NoteView.CALLBACK,
            pack("note", p=w.production_id),
            {NoteView.TEXT: {VALUE: plain("Could we talk before the rehearsal?")}},
        ),
        "only with them",
    ),
    "confirm": (
        lambda w: (P1, ConfirmView.CALLBACK, pack("confirm", s=w.scene_ids["42A"], r=1), {}),
        "Thank you",
    ),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_a_submission_is_acknowledged_before_the_database_is_touched(
    app: RunningApp, guard: Guarded, form: str
) -> None:
    world = build(guard.real, now=NOW)
    make, done = FORMS[form]
    user_id, callback_id, metadata, values = make(world)
    release = threading.Event()
    try:
        _hold(app, release, threads=4)  # every thread that would take the job is busy
        guard.armed = True
        ack = _send(app, f"VACK{form}", user_id, callback_id, metadata, values)
        guard.armed = False
        assert ack.status == 200
        assert ack.json()["response_action"] == "update"
        assert SAVING in json.dumps(ack.json(), ensure_ascii=False)
        assert guard.opened == []
        assert not app.standin.calls("views.update")  # nothing more until the job runs
    finally:
        guard.armed = False
        release.set()
    assert done in json.dumps(outcome(app, f"VACK{form}"), ensure_ascii=False)


def test_a_refusal_arrives_in_place_of_saving(app: RunningApp, guard: Guarded) -> None:
    world = build(guard.real, now=NOW)
    items = _count(guard, ChecklistItem)
    refused = submit(
        app,
        user_id=AD,
        callback_id=ChecklistView.CALLBACK,
        private_metadata=pack("checklist", p=world.production_id),
        values={ChecklistView.ITEMS: {VALUE: plain("Nothing at all")}},
    )
    assert refused.saving and refused.view is not None
    assert refused.view["title"]["text"] == "Boundary checklist"
    assert "Only a coordinator or admin" in refused.text
    assert not refused.view.get("callback_id")  # a notice, not a form to submit again
    assert _count(guard, ChecklistItem) == items


def test_a_job_that_fails_shows_an_apology_with_its_reference(
    app: RunningApp, guard: Guarded, caplog: pytest.LogCaptureFixture
) -> None:
    world = build(guard.real, now=NOW)
    failed = submit(
        app,
        user_id=COORDINATOR,
        callback_id=RequestView.CALLBACK,
        private_metadata=pack("note", p=world.production_id),  # not a request's metadata
        values=FORMS["request"][0](world)[3],
    )
    assert failed.view is not None and "something went wrong on our side (ref" in failed.text
    logged = [r.getMessage() for r in caplog.records if "post_request failed" in r.getMessage()]
    assert logged and logged[0].split("(ref ")[1].split(",")[0] in failed.text
    assert _count(guard, CoordinatorRequest) == 0


def test_a_full_worker_keeps_the_form_as_typed(small_app: RunningApp, guard: Guarded) -> None:
    app = small_app
    world = build(guard.real, now=NOW)
    release = threading.Event()
    try:
        _hold(app, release, threads=2, waiting=2)
        guard.armed = True
        note = _send(app, "VBUSYNOTE", *FORMS["note"][0](world)[:4])
        confirm = _send(app, "VBUSYCONF", *FORMS["confirm"][0](world)[:4])
        guard.armed = False
        # The note stays as typed, told under its text to try again.
        assert note.json() == {"response_action": "errors", "errors": {NoteView.TEXT: BUSY}}
        # The Confirm form has no field: the notice goes on top of it (closing it goes back).
        pushed = confirm.json()
        assert pushed["response_action"] == "push" and BUSY in json.dumps(pushed["view"])
        assert guard.opened == []
    finally:
        guard.armed = False
        release.set()
    app.worker.shutdown()  # the held jobs finish; nothing else was queued
    assert _count(guard, PrivateNote) == 0 and _count(guard, BoundaryAnswer) == 0
    assert not app.standin.calls("views.update")


def test_the_saving_modal_and_a_form_shown_again_are_built_within_slacks_limits() -> None:
    saving = saving_modal("A production title far over Slack's 24 characters")
    assert len(saving["title"]["text"]) == 24 and SAVING in json.dumps(saving, ensure_ascii=False)
    form = {"type": "modal", "callback_id": "x", "blocks": [{"type": "divider"}] * 100}
    again = with_problem(form, "'<!channel>' is the name of a performer")
    assert again["callback_id"] == "x" and len(again["blocks"]) == 100
    problem = again["blocks"][0]
    assert problem["type"] == "context" and "&lt;!channel&gt;" in json.dumps(problem)
    assert form["blocks"][0] == {"type": "divider"}  # the form itself is left as it was
