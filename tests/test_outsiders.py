"""Every button and every modal, clicked and submitted by someone outside the production its ids
name: the coordinator of another production, and a workspace member in none.

Button values and `private_metadata` are built as the app's own messages and modals build
them, with production A's ids (its scenes, answers, notes, requests, check-in rounds, AD
reminders, imports, role notices); a click from a message names a real message of A, so a
handler that answered by updating "the message clicked" would overwrite A's. Each must be
refused and leave no trace: no row of the database changed, nothing sent to A's people or
channels, no modal, Home tab or answer showing anything of A (its name, scene numbers, people,
planned content, request, note), at most a generic refusal to the outsider.
"""

from __future__ import annotations

import enum
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import time, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine, select

import bot.ids
import bot.worker
from bot.cast.resolve import RosterEntry
from bot.checkins import Closure, record_closure, start_round, wrap
from bot.confirmations import answer
from bot.ids import (
    VALUE,
    AdAction,
    AuditAction,
    BoundaryAction,
    ChangesView,
    CheckinAction,
    ChecklistView,
    ClosureAction,
    ConfirmView,
    CoordinatorAction,
    EditRequestView,
    HomeAction,
    ImportAction,
    MyDataAction,
    NoteView,
    RequestAction,
    RequestView,
    RoleAction,
    SceneView,
    ScheduleAction,
    SetupView,
    TodoAction,
)
from bot.meta import pack
from bot.requests import add_note, create
from bot.setup import ProductionSetup
from bot.worker import Busy, Worker
from storage import deliveries
from storage.boundaries import checklist
from storage.db import session_scope
from storage.imports import save_pending
from storage.models import (
    AnswerKind,
    Base,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Production,
    RequestPost,
    Scene,
)
from storage.productions import save_setup
from storage.roster import apply_roster
from storage.secrets import opaque_key
from tests.conftest import NOW, RunningApp
from tests.support.e2e import setup_values
from tests.support.signing import checkboxes, plain, radio, static, timepicker, users
from tests.support.slack_standin import SlackStandIn
from tests.support.world import AD, CAST, COORDINATOR, PLANNED, TEAM, add_scene, build

OTHER_COORDINATOR = "U0HARB0001"
NOBODY = "U0NOBODY01"
OUTSIDER_CHANNEL = "C0HARBOUR1"
AD_CHANNEL = "C0ADS00001"
DEPARTMENT = "C0COSTUME1"
REQUEST_TEXT = "Warm blankets by the door"
NOTE_TEXT = "Please keep the door closed"

A_PEOPLE = {COORDINATOR, AD, *(e.slack_user_id for e in CAST if e.slack_user_id)}
A_CHANNELS = {AD_CHANNEL, DEPARTMENT, *(SlackStandIn.dm_channel_id(p) for p in A_PEOPLE)}
A_WORDS = re.compile(
    "|".join(
        rf"(?<!\w){re.escape(word)}(?!\w)"
        for word in (
            "Night Shift",
            "42A",
            "51B",
            PLANNED,
            REQUEST_TEXT,
            NOTE_TEXT,
            *A_PEOPLE,
            *(w for e in CAST for w in (e.performer_name, e.character)),
        )
    )
)
"""What nobody outside production A may see of it."""
UNTRACKED = ("dispatcher_instance", "processed_event")
"""Bookkeeping of the serving process, not of any production."""


# ------------------------------------------------------------------ the two productions


@dataclass(frozen=True)
class WorldA:
    """Production A, "Night Shift", with something behind every kind of button."""

    production: int
    scene: int  # 42A, tomorrow: its performers asked, one answered
    wrapped: int  # 51B, shot this morning and wrapped: a closure answer in
    revision: int
    answer: int
    note: int
    request: int
    post: int
    round: int
    reminder: int
    failure: int
    pending: int
    item: int
    role_notice: int  # the AD's "you were added" DM
    reminder_at: tuple[str, str]  # the AD reminder's message (channel, ts)


def _build_a(app: RunningApp) -> WorldA:
    world = build(
        app.session_factory,
        now=NOW,
        scenes={"42A": (timedelta(days=1), ("1", "2")), "51B": (-timedelta(hours=5), ("1",))},
    )
    ids: dict[str, int] = {}
    with session_scope(app.session_factory) as session:
        production = session.get(Production, world.production_id)
        scene = session.get(Scene, world.scene_ids["42A"])
        wrapped = session.get(Scene, world.scene_ids["51B"])
        assert production is not None and scene is not None and wrapped is not None
        production.department_channels = [DEPARTMENT]
        ids["item"] = checklist(session, production.id)[0].id
        answered = answer(
            session,
            scene=scene,
            performer="U0PERF0001",
            kind=AnswerKind.CONFIRMED,
            now=NOW,
            team_id=TEAM,
        ).answer
        assert answered is not None
        ids["answer"] = answered.id
        ids["note"] = add_note(
            session,
            production=production,
            scene=scene,
            performer="U0PERF0002",
            text=NOTE_TEXT,
            now=NOW,
            team_id=TEAM,
        ).id
        request = create(
            session,
            production=production,
            scene=scene,
            text=REQUEST_TEXT,
            channels=[DEPARTMENT],
            post_at=NOW,
            allow_ping=False,
            actor=COORDINATOR,
            now=NOW,
        )
        ids["request"], ids["post"] = request.id, request.posts[0].id
        ids["round"] = start_round(session, scene=scene, by=COORDINATOR, now=NOW).id
        wrap(session, wrapped, by=COORDINATOR, now=NOW)
        deliveries.send_now(
            session,
            key="outsiders:reminder",
            production_id=production.id,
            kind=DeliveryKind.AD_REMINDER,
            recipient=AD_CHANNEL,
            now=NOW,
            scene_id=scene.id,
            revision=scene.revision,
        )
        failed = Delivery(
            key="outsiders:failed",
            production_id=production.id,
            team_id=production.team_id,
            scene_id=scene.id,
            revision=scene.revision,
            kind=DeliveryKind.PROMPT,
            recipient="U0PERF0003",
            due_at=NOW,
            status=DeliveryStatus.FAILED,
            error="user_not_found",
            attempts=1,
            detail={},
            created_at=NOW,
        )
        session.add(failed)
        session.flush()
        ids["failure"] = failed.id
        ids["pending"] = save_pending(
            session,
            production_id=production.id,
            kind="cast",
            payload="[]",
            base_digest="0" * 64,
            requested_by=COORDINATOR,
            now=NOW,
        ).id
        ids["revision"] = scene.revision
        deliveries.send_now(
            session,
            key="outsiders:role",
            production_id=production.id,
            kind=DeliveryKind.ROLE_ADDED,
            recipient=AD,
            now=NOW,
            detail={"by": COORDINATOR, "roles": ["ad"]},
        )
        ids["role_notice"] = session.scalar(
            select(Delivery.id).where(Delivery.key == opaque_key(session, "outsiders:role"))
        )
    app.dispatch()  # the prompts, the request's post, check-ins, closure questions, the reminder
    with session_scope(app.session_factory) as session:
        wrapped = session.get(Scene, world.scene_ids["51B"])
        assert wrapped is not None
        record_closure(session, wrapped, performer="U0PERF0001", answer=Closure.OK, now=NOW)
    app.dispatch()
    with app.session_factory() as session:
        reminder = session.scalar(
            select(Delivery).where(Delivery.key == opaque_key(session, "outsiders:reminder"))
        )
        post = session.get(RequestPost, ids["post"])
        assert reminder is not None and reminder.channel and reminder.ts
        assert post is not None and post.ts, "the request was posted"
        return WorldA(
            production=world.production_id,
            scene=world.scene_ids["42A"],
            wrapped=world.scene_ids["51B"],
            reminder=reminder.id,
            reminder_at=(reminder.channel, reminder.ts),
            **ids,
        )


def _build_b(app: RunningApp, team_id: str = TEAM) -> None:
    """Production B, "Harbour Lights", in workspace `team_id`: its own coordinator, cast and
    scene."""
    with session_scope(app.session_factory) as session:
        production = save_setup(
            session,
            team_id=team_id,
            production=None,
            setup=ProductionSetup(
                name="Harbour Lights",
                zone="Europe/Lisbon",
                coordinators=(OTHER_COORDINATOR,),
                ads=(),
                admins=(),
                ad_channel=None,
                lead=timedelta(hours=48),
                nudge=timedelta(hours=24),
                escalation=timedelta(hours=12),
                default_call=time(8, 0),
                intimacy_category=None,
            ),
            now=NOW,
        )
        cast = [RosterEntry("1", "Sam", "Sam Cole", "U0HARBP001", "sam", "sam@example.com")]
        apply_roster(session, production_id=production.id, entries=cast)
        add_scene(session, production, "7", NOW + timedelta(days=3), ("1",), now=NOW, content="-")
        deliveries.sync_production(session, production, now=NOW)
    app.dispatch()


# ------------------------------------------------------------------ what is clicked


@dataclass(frozen=True)
class Click:
    value: str
    where: str = "a_message"  # A's AD reminder message; "own_channel"; "home" (the Home tab);
    # "modal": a modal whose `private_metadata` is the value


def clicks(a: WorldA) -> dict[str, Click]:
    """Every action id, with the value the app's own message puts on that button, for A."""
    prompt = pack("prompt", s=a.scene, r=a.revision)
    status = pack("status", s=a.scene)
    request = pack("request", r=a.request)
    checkin = pack("checkin", r=a.round)
    closure = pack("closure", s=a.wrapped)
    home = pack("home", p=a.production)
    return {
        ImportAction.APPLY: Click(pack("import", id=a.pending)),
        ImportAction.CANCEL: Click(pack("import", id=a.pending)),
        ImportAction.DAY_FIRST: Click(pack("import", id=a.pending)),
        ImportAction.MONTH_FIRST: Click(pack("import", id=a.pending)),
        f"{ScheduleAction.PAGE}_next": Click(pack("page", p=a.production, o=0)),
        BoundaryAction.REVIEW: Click(prompt),
        BoundaryAction.CHANGES: Click(prompt),
        BoundaryAction.TALK: Click(prompt),
        BoundaryAction.WITHDRAW: Click(prompt),
        CoordinatorAction.VIEW_ANSWER: Click(pack("answer", a=a.answer)),
        CoordinatorAction.VIEW_FAILURE: Click(pack("failure", d=a.failure)),
        CoordinatorAction.VIEW_STATUS: Click(status),
        CoordinatorAction.VIEW_NOTE: Click(pack("note", n=a.note)),
        CoordinatorAction.SIGN_OFF: Click(status),
        CoordinatorAction.TAKE_BACK: Click(status),
        CoordinatorAction.START_CHECKIN: Click(status),
        CoordinatorAction.WRAP: Click(status),
        CoordinatorAction.PURGE: Click(pack("status", s=a.wrapped)),  # 51B has wrapped
        CoordinatorAction.VIEW_CLOSURE: Click(closure),
        CoordinatorAction.TURN_INTO_REQUEST: Click(pack("note", n=a.note)),
        RequestAction.ACKNOWLEDGE: Click(pack("ack", p=a.post), "own_channel"),
        RequestAction.REMIND: Click(request),
        RequestAction.EDIT: Click(request),
        RequestAction.WITHDRAW: Click(request),
        RequestAction.NOTE: Click(pack("note", s=a.scene)),
        AdAction.SNOOZE: Click(pack("adrem", d=a.reminder)),
        AdAction.DONE: Click(pack("adrem", d=a.reminder)),
        HomeAction.PAGE: Click(pack("home", page=0), "home"),
        HomeAction.REQUEST: Click(home, "home"),
        HomeAction.CHECKLIST: Click(home, "home"),
        HomeAction.SETUP: Click(home, "home"),
        CheckinAction.GOOD: Click(checkin),
        CheckinAction.ADJUST: Click(checkin),
        CheckinAction.PAUSE: Click(checkin),
        CheckinAction.VIEW: Click(checkin),
        ClosureAction.OK: Click(closure),
        ClosureAction.NOT_OK: Click(closure),
        ClosureAction.TALK: Click(closure),
        RoleAction.NOT_RIGHT: Click(pack("role", d=a.role_notice)),
        TodoAction.INTIMATE: Click(pack("todo", s=a.scene)),
        TodoAction.NOT_INTIMATE: Click(pack("todo", s=a.scene)),
        TodoAction.IN_PERSON: Click(pack("todo", s=a.scene, c="1")),
        # A performer's own data: whatever the value, the clicker's own (nothing of A).
        MyDataAction.OPEN: Click(pack("mydata", page=0), "home"),
        MyDataAction.PAGE: Click(pack("mydata", page=1)),
        MyDataAction.DELETE_NOTES: Click(pack("mydata", page=0)),
        MyDataAction.ASK_ERASE: Click(pack("mydata", page=0)),
        MyDataAction.ERASE: Click(pack("erase", e=a.answer), "home"),  # no request: refused
        # The audit log modal keeps its state in the modal's metadata, not in a value.
        **{
            action: Click(pack("audit", p=a.production, t=0, o=0, s=a.scene, u=""), "modal")
            for action in AuditAction
        },
        "an_old_button": Click(prompt),  # the catch-all for buttons of older versions
    }


def submissions(a: WorldA) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every modal callback: A's `private_metadata` and a well-formed form."""
    scene = static(str(a.scene))
    return {
        SetupView.CALLBACK: (
            pack("setup", p=a.production),
            setup_values(NAME=plain("Taken over"), COORDINATORS=users([OTHER_COORDINATOR])),
        ),
        SceneView.CALLBACK: (
            pack("scene", s=a.scene),
            {
                SceneView.INTIMACY: {VALUE: checkboxes(["yes"])},
                SceneView.CONTENT: {VALUE: plain("Something else")},
                SceneView.CLOSED_SET: {VALUE: checkboxes([])},
                SceneView.START: {VALUE: timepicker("10:00")},
            },
        ),
        ConfirmView.CALLBACK: (pack("confirm", s=a.scene, r=a.revision), {}),
        ChangesView.CALLBACK: (
            pack("changes", s=a.scene, r=a.revision),
            {
                f"{ChangesView.ITEM}{a.item}": {VALUE: radio("not_ok")},
                ChangesView.NOTE: {VALUE: plain("No")},
            },
        ),
        ChecklistView.CALLBACK: (
            pack("checklist", p=a.production),
            {ChecklistView.ITEMS: {VALUE: plain("Kissing\nNudity")}},
        ),
        RequestView.CALLBACK: (
            pack("request", p=a.production),
            {
                RequestView.CHANNELS: {
                    VALUE: {
                        "type": "multi_conversations_select",
                        "selected_conversations": [DEPARTMENT],
                    }
                },
                RequestView.SCENE: {VALUE: scene},
                RequestView.TEXT: {VALUE: plain("Robes ready")},
            },
        ),
        EditRequestView.CALLBACK: (
            pack("request", r=a.request),
            {EditRequestView.TEXT: {VALUE: plain("Robes ready, please")}},
        ),
        NoteView.CALLBACK: (
            pack("note", p=a.production),
            {NoteView.SCENE: {VALUE: scene}, NoteView.TEXT: {VALUE: plain("Hello")}},
        ),
    }


def _ids_of(suffix: str) -> set[str]:
    enums = [
        value
        for name, value in vars(bot.ids).items()
        if name.endswith(suffix) and isinstance(value, type) and issubclass(value, enum.Enum)
    ]
    return {str(member) for cls in enums for member in cls}


def test_the_tables_cover_every_action_id_and_every_modal() -> None:
    a = WorldA(**{f.name: 1 for f in fields(WorldA)} | {"reminder_at": ("C", "1")})
    actions = {i for i in clicks(a) if i != "an_old_button"}
    actions = {ScheduleAction.PAGE if i.startswith(ScheduleAction.PAGE) else i for i in actions}
    assert actions == _ids_of("Action")
    assert set(submissions(a)) == {
        str(cls.CALLBACK) for name, cls in vars(bot.ids).items() if name.endswith("View")
    }


# ------------------------------------------------------------------ watching the app


class Jobs:
    """Counts the jobs the worker accepts and the jobs it has run, so that a test can wait
    until everything a request set off (follow-up jobs and wake-ups included) is done."""

    def __init__(self, worker: Worker, monkeypatch: pytest.MonkeyPatch) -> None:
        self._changed = threading.Condition()
        self._accepted = self._finished = 0
        submit, notice, run = worker.submit, worker.notice, bot.worker.run_job

        def counted_submit(job: Any, payload: Any, **kwargs: Any) -> None:
            self._count(accepted=1)
            try:
                submit(job, payload, **kwargs)
            except Busy:
                self._count(accepted=-1)
                raise

        def counted_notice(job: Any, payload: Any, **kwargs: Any) -> bool:
            self._count(accepted=1)
            queued = notice(job, payload, **kwargs)
            if not queued:
                self._count(accepted=-1)
            return queued

        def counted_run(context: Any, job: Any, payload: Any) -> None:
            try:
                run(context, job, payload)
            finally:
                self._count(finished=1)

        monkeypatch.setattr(worker, "submit", counted_submit)
        monkeypatch.setattr(worker, "notice", counted_notice)
        monkeypatch.setattr(bot.worker, "run_job", counted_run)

    def _count(self, *, accepted: int = 0, finished: int = 0) -> None:
        with self._changed:
            self._accepted += accepted
            self._finished += finished
            self._changed.notify_all()

    def settle(self, timeout: float = 10) -> None:
        with self._changed:
            done = self._changed.wait_for(lambda: self._finished >= self._accepted, timeout)
        assert done, "the app's jobs did not finish"


def snapshot(engine: Engine, a: int | None = None) -> dict[str, list[str]]:
    """Every row of every table (but the serving process's bookkeeping), comparable. With
    `a`, audit events of other productions are left out: an outsider who coordinates B reads
    B's statuses on their own Home tab (a page click), and that read is rightly recorded."""
    with engine.connect() as connection:
        return {
            table.name: sorted(
                repr(tuple(row))
                for row in connection.execute(table.select())
                if a is None or table.name != "audit_event" or row.production_id in (a, None)
            )
            for table in Base.metadata.sorted_tables
            if table.name not in UNTRACKED
        }


def _changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def _leaks(app: RunningApp, since: int) -> list[str]:
    """What the calls since `since` did wrong: a message to A's people or channels, or
    anything of A shown to anyone."""
    problems = []
    for call in app.standin.calls()[since:]:
        params = call.params
        where = str(params.get("channel") or params.get("user_id") or params.get("user") or "")
        if call.method.startswith("chat.") and where in A_CHANNELS | A_PEOPLE:
            problems.append(f"{call.method} to {where}")
        if call.method.startswith(("chat.", "views.")) or call.method == "response_url":
            shown = json.dumps(params, ensure_ascii=False)
            found = A_WORDS.search(shown)
            if found:
                problems.append(f"{call.method} shows {found.group(0)!r}: {shown[:200]}")
    return problems


# ------------------------------------------------------------------ the test


@pytest.mark.parametrize("outsider", [OTHER_COORDINATOR, NOBODY])
def test_every_button_and_modal_refuses_an_outsider_with_another_productions_ids(
    http_app: RunningApp, monkeypatch: pytest.MonkeyPatch, outsider: str
) -> None:
    app = http_app
    a = _build_a(app)
    _build_b(app)
    jobs = Jobs(app.worker, monkeypatch)
    problems: list[str] = []

    def attempt(name: str, send: Callable[[], Any]) -> None:
        before, since = snapshot(app.engine, a.production), len(app.standin.calls())
        response = send()
        jobs.settle()
        if response.status != 200:
            problems.append(f"{name}: HTTP {response.status}")
        found = A_WORDS.search(response.text)
        if found:
            problems.append(f"{name}: the acknowledgement shows {found.group(0)!r}")
        changed = _changed(before, snapshot(app.engine, a.production))
        if changed:
            problems.append(f"{name}: changed {', '.join(changed)}")
        problems.extend(f"{name}: {p}" for p in _leaks(app, since))

    for action_id, click in clicks(a).items():
        if click.where == "home":
            where: dict[str, Any] = {"view": {"id": "VHOME00001", "type": "home"}}
        elif click.where == "modal":
            modal = {"id": "VMODAL0001", "type": "modal", "private_metadata": click.value}
            where = {"view": modal}
        elif click.where == "own_channel":
            where = {"channel_id": OUTSIDER_CHANNEL}
        else:
            channel, ts = a.reminder_at
            where = {"channel_id": channel, "message": {"ts": ts, "type": "message", "text": ""}}
        click_it = partial(app.slack.block_action, user_id=outsider, action_id=action_id)
        attempt(action_id, partial(click_it, value=click.value, **where))
    for callback_id, (metadata, values) in submissions(a).items():
        submit = partial(app.slack.view_submission, user_id=outsider, callback_id=callback_id)
        attempt(callback_id, partial(submit, private_metadata=metadata, values=values))
    assert not problems, "\n".join(problems)
