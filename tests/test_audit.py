"""The audit log: every read of a performer's answers or notes, every post to a channel and
every change of settings, roster, roles and schedule is an event (driven through the app),
none carries content; `/closedset audit` shows them to admins and coordinators, filtered and
paged; `closedset audit export` writes them as CSV (formulas neutralised) or JSON Lines."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.auditcsv import neutralise
from bot.commands_cli import export_audit
from bot.crypto import Cipher, generate_key
from bot.ids import (
    VALUE,
    AuditAction,
    AuditModal,
    BoundaryAction,
    CheckinAction,
    ClosureAction,
    ConfirmView,
    CoordinatorAction,
    ImportAction,
    NoteView,
    RequestView,
)
from handlers.blocks.audit import PAGE, Line, SceneChoice, audit_modal, label
from storage import audit
from storage.db import make_engine, make_session_factory, session_scope, upgrade
from storage.models import AuditEvent, Production, Role, Scene
from storage.productions import set_members
from tests.conftest import NOW, RunningApp
from tests.support import privacy
from tests.support.e2e import (
    AD,
    CAST_CSV,
    COORDINATOR,
    add_people,
    blocks_text,
    button_value,
    click_import,
    open_and_submit_setup,
    open_modal,
    reply,
    upload,
)
from tests.support.signing import checkboxes, plain, static
from tests.support.world import TEAM, build

P1, P2 = "U0PERF0001", "U0PERF0002"
ADMIN = "U0ADMIN001"
WARDROBE = "C0WARDROBE"

MARKERS = {
    "planned": "Zq7-PLANNED-CONTENT-MARKER",
    "synopsis": "Zq7-SYNOPSIS-MARKER",
    "note": "Zq7 note marker: keep the robe close",
    "request": "Zq7 request marker: warm robes between takes",
}
SCHEDULE = (
    "Scene,Shoot Date,Time,Set,Cast,Intimacy,Intimacy Notes,Description\n"
    f'42A,2026-03-10,14:30,INT. BEDROOM,"1, 2",yes,{MARKERS["planned"]},{MARKERS["synopsis"]}\n'
    "43,2026-03-10,16:00,INT. KITCHEN,3,no,,Ines cooks\n"
)


# ------------------------------------------------------------------ helpers

CLOSEDSET = str(Path(sys.executable).with_name("closedset"))


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`closedset ARGS` as an operator runs it: a real process, its real exit code."""
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd)}
    return subprocess.run(
        [CLOSEDSET, *args], env={**base, **env}, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def events_of(app_or_factory: RunningApp | sessionmaker[Session]) -> list[AuditEvent]:
    factory = (
        app_or_factory.session_factory if isinstance(app_or_factory, RunningApp) else app_or_factory
    )
    with session_scope(factory) as session:
        found = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        session.expunge_all()
        return found


def wait_for_action(app: RunningApp, action: str, count: int = 1) -> list[AuditEvent]:
    """The events of `action`, once there are `count` (jobs record them after the ack)."""
    deadline = time.monotonic() + 5
    while len(found := [e for e in events_of(app) if e.action == action]) < count:
        assert time.monotonic() < deadline, (
            f"no {action} event: {[e.action for e in events_of(app)]}"
        )
        time.sleep(0.05)
    return found


def dm_posts(app: RunningApp, user_id: str, starting: str) -> list[dict[str, Any]]:
    return [
        c.params
        for c in app.standin.calls("chat.postMessage")
        if c.params.get("channel") == user_id and c.params.get("text", "").startswith(starting)
    ]


def wait_for_dm(app: RunningApp, user_id: str, starting: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while not (found := dm_posts(app, user_id, starting)):
        assert time.monotonic() < deadline, f"no {starting!r} to {user_id}"
        time.sleep(0.05)
        app.dispatch()
    return found[-1]


def click_in_dm(app: RunningApp, user_id: str, action: str, message: dict[str, Any]) -> None:
    response = app.slack.block_action(
        user_id=user_id,
        action_id=action,
        value=button_value(message, action),
        channel_id=app.standin.dm_channel_id(user_id),
        message={"ts": "1.1", "type": "message", "text": message.get("text", "")},
    )
    assert response.status == 200


def opened_after(app: RunningApp, before: int, method: str = "views.open") -> dict[str, Any]:
    view: dict[str, Any] = app.standin.wait_for(method, count=before + 1)[-1].json("view")
    return view


def scene_id(factory: sessionmaker[Session], number: str) -> int:
    with session_scope(factory) as session:
        found = session.scalar(select(Scene.id).where(Scene.number == number))
        assert found is not None
        return found


def request_values(text: str, scene: int | None) -> dict[str, Any]:
    return {
        RequestView.CHANNELS: {
            VALUE: {"type": "multi_conversations_select", "selected_conversations": [WARDROBE]}
        },
        RequestView.SCENE: {VALUE: static(str(scene) if scene else None)},
        RequestView.TEXT: {VALUE: plain(text)},
        RequestView.POST_AT: {VALUE: {"type": "datetimepicker", "selected_date_time": None}},
        RequestView.PING: {VALUE: checkboxes([])},
    }


# ------------------------------------------------------------------ coverage


def test_every_read_post_and_change_is_an_event_and_none_carries_content(
    app: RunningApp, capsys: pytest.CaptureFixture[str]
) -> None:
    privacy.sensitive(MARKERS["planned"], MARKERS["synopsis"], MARKERS["note"])
    add_people(app.standin)
    # Settings, roles, roster and schedule, as a coordinator does them in Slack.
    assert open_and_submit_setup(app).status == 200
    wait_for_action(app, "production.create")
    click_import(app, upload(app, CAST_CSV, "cast.csv"), ImportAction.APPLY)
    click_import(app, upload(app, SCHEDULE, "schedule.csv"), ImportAction.APPLY)
    wait_for_action(app, "schedule.import")
    assert open_and_submit_setup(app).status == 200  # saved again: a settings change
    wait_for_action(app, "production.update")

    # What is planned, and where performers stand: coordinator reads.
    shown = json.dumps(open_modal(app, "scene 42A", COORDINATOR), ensure_ascii=False)
    assert MARKERS["planned"] in shown
    open_modal(app, "status 42A", COORDINATOR)

    # The prompts go out; one performer reads and confirms, the coordinator reads the answer.
    app.clock.advance(timedelta(days=7, hours=6))
    app.dispatch()
    before = len(app.standin.calls("views.open"))
    click_in_dm(app, P1, BoundaryAction.REVIEW, wait_for_dm(app, P1, "Boundary check"))
    review = opened_after(app, before)
    assert (
        app.slack.view_submission(
            user_id=P1,
            callback_id=ConfirmView.CALLBACK,
            values={},
            private_metadata=review["private_metadata"],
        ).status
        == 200
    )
    update = wait_for_dm(app, COORDINATOR, "Boundary update")
    before = len(app.standin.calls("views.open"))
    click_in_dm(app, COORDINATOR, CoordinatorAction.VIEW_ANSWER, update)
    opened_after(app, before)

    # A performer's note, read by the coordinator and turned into a request.
    before = len(app.standin.calls("views.open"))
    app.slack.command("note", user_id=P2)
    form = opened_after(app, before)
    assert (
        app.slack.view_submission(
            user_id=P2,
            callback_id=NoteView.CALLBACK,
            values={
                NoteView.SCENE: {VALUE: static(str(scene_id(app.session_factory, "42A")))},
                NoteView.TEXT: {VALUE: plain(MARKERS["note"])},
            },
            private_metadata=form["private_metadata"],
        ).status
        == 200
    )
    notice = wait_for_dm(app, COORDINATOR, "New private note")
    before = len(app.standin.calls("views.open"))
    click_in_dm(app, COORDINATOR, CoordinatorAction.VIEW_NOTE, notice)
    note_modal = opened_after(app, before)
    app.slack.block_action(
        user_id=COORDINATOR,
        action_id=CoordinatorAction.TURN_INTO_REQUEST,
        value=button_value({"blocks": note_modal["blocks"]}, CoordinatorAction.TURN_INTO_REQUEST),
        view={**note_modal, "id": "V0NOTE"},
    )
    app.standin.wait_for("views.push")

    # A request posted to a channel.
    request_form = open_modal(app, "request", COORDINATOR)
    answer = app.slack.view_submission(
        user_id=COORDINATOR,
        callback_id=RequestView.CALLBACK,
        values=request_values(MARKERS["request"], None),
        private_metadata=request_form["private_metadata"],
    )
    assert answer.status == 200
    app.dispatch()
    wait_for_action(app, "channel.post")

    # The coordinator's Home tab shows where each performer stands.
    assert (
        app.slack.event({"type": "app_home_opened", "user": COORDINATOR, "tab": "home"}).status
        == 200
    )
    wait_for_action(app, "home.status.read")
    open_modal(app, "audit", COORDINATOR)
    wait_for_action(app, "audit.read")

    recorded = events_of(app)
    actions = {e.action for e in recorded}
    expected = {
        "production.create",
        "production.update",
        "roles.change",
        "cast.preview",
        "cast.import",
        "schedule.preview",
        "schedule.import",
        "scene.planned_content.read",
        "boundaries.status.read",
        "boundaries.read_own",
        "boundaries.answered",
        "boundaries.read",
        "note.create",
        "note.read",
        "note.to_request",
        "request.create",
        "channel.post",
        "home.status.read",
        "audit.read",
    }
    assert expected <= actions, expected - actions
    by_action = {e.action: e for e in recorded}
    assert by_action["boundaries.read"].detail[audit.PERFORMER] == P1
    assert by_action["note.read"].detail[audit.PERFORMER] == P2
    assert by_action["channel.post"].detail["channel"] == WARDROBE
    assert all(e.production_id is not None for e in recorded if e.action in expected)
    # No row carries content: every column of every event, as stored.
    with app.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT * FROM audit_event").fetchall()
    dump = json.dumps([[str(v) for v in row] for row in rows], ensure_ascii=False)
    for marker in (*MARKERS.values(), "Kiss", "robe", "Jane Doe", "Lena"):
        assert marker not in dump, marker
    # The export: a note's read names the note's scene and whose note it was; no content.
    capsys.readouterr()
    assert export_audit(app.session_factory, "Night Shift", since=None, fmt="jsonl") == 0
    out = capsys.readouterr().out
    exported = [json.loads(line) for line in out.splitlines()]
    [read] = [r for r in exported if r["action"] == "note.read"]
    assert (read["scene"], read["person"], read["actor"]) == ("42A", P2, COORDINATOR)
    # (Home tabs refreshed by jobs still running may have added reads since.)
    assert len(exported) >= len([e for e in recorded if e.production_id is not None])
    for marker in (*MARKERS.values(), "Kiss", "robe", "Jane Doe", "Lena"):
        assert marker not in out, marker


def test_on_set_reads_and_changes_are_events(app: RunningApp) -> None:
    """Check-ins, wrapping and closure: what performers answer, and the coordinator's reads
    of it, each an event about the scene."""
    build(app.session_factory, now=NOW, scenes={"42A": (timedelta(hours=1), ("1", "2"))})
    app.dispatch()  # the short-notice prompts, out of the way
    reply(app, "schedule", COORDINATOR)
    reply(app, "checkin 42A", COORDINATOR)
    prompt = wait_for_dm(app, P1, "Check-in — scene 42A")
    click_in_dm(app, P1, CheckinAction.GOOD, prompt)
    wait_for_action(app, "checkin.answer")
    live = wait_for_dm(app, COORDINATOR, "Check-in — scene 42A")
    before = len(app.standin.calls("views.open"))
    click_in_dm(app, COORDINATOR, CheckinAction.VIEW, live)
    opened_after(app, before)
    status = open_modal(app, "status 42A", COORDINATOR)
    app.slack.block_action(
        user_id=COORDINATOR,
        action_id=CoordinatorAction.WRAP,
        value=button_value({"blocks": status["blocks"]}, CoordinatorAction.WRAP),
        view={**status, "id": "V0STATUS"},
    )
    app.standin.wait_for("views.update")
    app.dispatch()
    closure = wait_for_dm(app, P1, "How did scene 42A go?")
    click_in_dm(app, P1, ClosureAction.OK, closure)
    notice = wait_for_dm(app, COORDINATOR, "Closure — scene 42A")
    before = len(app.standin.calls("views.open"))
    click_in_dm(app, COORDINATOR, CoordinatorAction.VIEW_CLOSURE, notice)
    opened_after(app, before)
    wait_for_action(app, "closure.read")
    recorded = events_of(app)
    expected = {
        "schedule.read",
        "checkin.start",
        "checkin.answer",
        "checkin.read",
        "boundaries.status.read",
        "scene.wrap",
        "closure.answer",
        "closure.read",
    }
    assert expected <= {e.action for e in recorded}
    about_scene = [e for e in recorded if e.action in expected - {"schedule.read"}]
    assert {e.subject for e in about_scene} == {"scene:42A"}
    actors = {e.action: e.actor for e in about_scene}
    assert actors["checkin.answer"] == actors["closure.answer"] == P1
    assert actors["checkin.read"] == actors["closure.read"] == COORDINATOR


# ------------------------------------------------------------------ the modal


@pytest.fixture
def logged(app: RunningApp) -> RunningApp:
    """Night Shift with scenes 42A and 50, an admin, and 45 events: one every minute,
    alternating between scene 42A read by the coordinator (about P1) and scene 50 changed by
    the admin; plus one event of another production."""
    world = build(
        app.session_factory,
        now=NOW,
        scenes={"42A": (timedelta(days=5), ("1", "2")), "50": (timedelta(days=6), ("1",))},
    )
    other = build(
        app.session_factory,
        now=NOW,
        name="Day Shift",
        coordinators=("U0OTHER001",),
        plan=False,
        scenes={},
    )
    with session_scope(app.session_factory) as session:
        set_members(session, production_id=world.production_id, role=Role.ADMIN, user_ids=[ADMIN])
        for n in range(45):
            read = n % 2 == 0
            audit.record(
                session,
                at=NOW - timedelta(minutes=45 - n),
                team_id=TEAM,
                actor=COORDINATOR if read else ADMIN,
                action="boundaries.read" if read else "scene.update",
                production_id=world.production_id,
                subject="scene:42A" if read else "scene:50",
                detail={audit.PERFORMER: P1} if read else {"revision": n},
            )
        audit.record(
            session,
            at=NOW,
            team_id=TEAM,
            actor=COORDINATOR,
            action="schedule.read",
            production_id=other.production_id,
        )
    return app


def lines_of(view: dict[str, Any]) -> list[str]:
    return [
        b["text"]["text"]
        for b in view["blocks"]
        if b["type"] == "section" and b["text"]["text"].startswith("*")
    ]


def act(
    app: RunningApp,
    view: dict[str, Any],
    action: AuditAction,
    user_id: str = COORDINATOR,
    **fields: Any,
) -> dict[str, Any]:
    before = len(app.standin.calls("views.update"))
    kind = {
        AuditAction.SCENE: "static_select",
        AuditAction.PERSON: "users_select",
    }.get(action, "button")
    response = app.slack.block_action(
        user_id=user_id,
        action_id=action,
        block_id=AuditModal.FILTERS if kind != "button" else AuditModal.PAGES,
        view={**view, "id": "V0AUDIT", "hash": "1.abc"},
        action_type=kind,
        action_fields=fields,
    )
    assert response.status == 200
    call = app.standin.wait_for("views.update", count=before + 1)[-1]
    assert call.params["view_id"] == "V0AUDIT"
    updated: dict[str, Any] = call.json("view")
    return updated


def test_only_admins_and_coordinators_open_the_audit_log(logged: RunningApp) -> None:
    for outsider in (AD, P1, "U0STRANGER"):
        answer = reply(logged, "audit", outsider)
        assert "Only a coordinator or admin can read the audit log" in answer["text"]
    assert not logged.standin.calls("views.open")
    assert not [e for e in events_of(logged) if e.action == "audit.read"]
    view = open_modal(logged, "audit", ADMIN)
    assert view["callback_id"] == AuditModal.CALLBACK
    assert len(lines_of(view)) == PAGE


def test_the_modal_lists_newest_first_with_who_what_scene_and_when(logged: RunningApp) -> None:
    view = open_modal(logged, "audit in Night Shift", COORDINATOR)
    lines = lines_of(view)
    assert len(lines) == PAGE and len(view["blocks"]) <= 100
    # Its own opening is the newest event; then the planted ones, newest first.
    assert lines[0].startswith("*Sun 01 Mar 2026 09:00*")
    assert f"<@{COORDINATOR}> · read the audit log" in lines[0]
    assert (
        lines[1]
        == f"*Sun 01 Mar 2026 08:59* · <@{COORDINATOR}> · read answers · scene 42A · about <@{P1}>"
    )
    assert lines[2] == f"*Sun 01 Mar 2026 08:58* · <@{ADMIN}> · changed a scene · scene 50"
    text = json.dumps(view)
    assert "Day Shift" not in text and "read the schedule" not in text
    [event] = wait_for_action(logged, "audit.read")
    assert event.actor == COORDINATOR and event.production_id is not None


def test_filters_by_scene_and_person_and_pages_with_newer_and_older(
    logged: RunningApp,
) -> None:
    view = open_modal(logged, "audit", COORDINATOR)
    assert AuditAction.NEWER not in json.dumps(view)
    # Older: events 21-40, then 41-46 (45 planted and the opening), then back.
    older = act(logged, view, AuditAction.OLDER)
    assert len(lines_of(older)) == PAGE and AuditAction.NEWER in json.dumps(older)
    last = act(logged, older, AuditAction.OLDER)
    assert len(lines_of(last)) == 6 and AuditAction.OLDER not in json.dumps(last)
    assert lines_of(act(logged, last, AuditAction.NEWER)) == lines_of(older)

    scene_50 = str(scene_id(logged.session_factory, "50"))
    only_50 = act(logged, view, AuditAction.SCENE, selected_option={"value": scene_50})
    assert len(lines_of(only_50)) == PAGE
    assert all("scene 50" in line and "changed a scene" in line for line in lines_of(only_50))
    rest = act(logged, only_50, AuditAction.OLDER)
    assert len(lines_of(rest)) == 2  # 22 changes to scene 50 in all
    select = rest["blocks"][1]["elements"][0]
    assert select["initial_option"]["text"]["text"].startswith("Scene 50 ·")

    about = act(logged, view, AuditAction.PERSON, selected_user=P1)
    assert all(f"about <@{P1}>" in line for line in lines_of(about))
    both = act(logged, about, AuditAction.SCENE, selected_option={"value": scene_50})
    assert lines_of(both) == []
    assert "Nothing recorded matches these filters." in blocks_text(both)
    cleared = act(logged, both, AuditAction.CLEAR)
    assert len(lines_of(cleared)) == PAGE and "scene 50" in json.dumps(lines_of(cleared))
    by_admin = act(logged, cleared, AuditAction.PERSON, selected_user=ADMIN)
    assert all(line.split(" · ")[1] == f"<@{ADMIN}>" for line in lines_of(by_admin))


def test_a_click_from_someone_else_changes_nothing(logged: RunningApp) -> None:
    view = open_modal(logged, "audit", COORDINATOR)
    response = logged.slack.block_action(
        user_id=AD,
        action_id=AuditAction.OLDER,
        block_id=AuditModal.PAGES,
        view={**view, "id": "V0AUDIT"},
    )
    assert response.status == 200
    time.sleep(0.5)
    assert logged.standin.calls("views.update") == []


def test_the_builder_keeps_to_slack_limits_and_escapes_scene_numbers() -> None:
    long_number = "<!channel>&" * 10
    lines = [Line(NOW, COORDINATOR, "some.new.action", long_number, P1) for _ in range(PAGE + 5)]
    scenes = [SceneChoice(n, f"{n}X" * 20, NOW) for n in range(150)]
    view = audit_modal(
        production="<@U0BAD> & Co",
        zone="Europe/London",
        lines=lines,
        scenes=scenes,
        scene_id=3,
        person=P1,
        offset=PAGE,
        more=True,
        metadata="{}",
    )
    assert len(view["blocks"]) <= 100
    text = json.dumps(view)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text and "<@U0BAD>" not in text
    select = view["blocks"][1]["elements"][0]
    assert len(select["options"]) <= 100
    assert all(len(o["text"]["text"]) <= 75 for o in select["options"])
    assert all(len(b["text"]["text"]) <= 3000 for b in view["blocks"] if b["type"] == "section")
    assert label("some.new.action") == "some new action"
    assert label("boundaries.read") == "read answers"


# ------------------------------------------------------------------ the export


@pytest.fixture
def hostile(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """A production whose name and a scene number are spreadsheet formulas, with events on
    2026-02-27 and 2026-03-01."""
    world = build(
        session_factory,
        now=NOW,
        name='=HYPERLINK("http://evil.example","x")',
        scenes={"@SUM(1)": (timedelta(days=5), ("1",))},
        plan=False,
    )
    with session_scope(session_factory) as session:
        for at, action, subject, detail in (
            (NOW - timedelta(days=2), "schedule.import", "", {"added": 1}),
            (NOW, "boundaries.read", "scene:@SUM(1)", {audit.PERFORMER: P1}),
            (NOW + timedelta(minutes=1), "scene.update", "scene:-2+3", {}),
        ):
            audit.record(
                session,
                at=at,
                team_id=TEAM,
                actor=COORDINATOR,
                action=action,
                production_id=world.production_id,
                subject=subject,
                detail=detail,
            )
    return session_factory


NAME = '=HYPERLINK("http://evil.example","x")'


def test_export_csv_neutralises_formulas(
    hostile: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    assert export_audit(hostile, NAME, since=None, fmt="csv") == 0
    out = capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["at", "production", "actor", "action", "scene", "subject", "person"]
    assert len(rows) == 4
    assert rows[1][0] == "2026-02-27T09:00:00Z" and rows[1][3] == "schedule.import"
    read = rows[2]
    assert read == [
        "2026-03-01T09:00:00Z",
        "'" + NAME,
        COORDINATOR,
        "boundaries.read",
        "'@SUM(1)",
        "scene:@SUM(1)",
        P1,
    ]
    assert rows[3][4] == "'-2+3"
    # Every value quoted, and no cell a spreadsheet would run.
    assert all(line.startswith('"') for line in out.splitlines())
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@")]
    # The export is itself on the log.
    assert events_of(hostile)[-1].action == "audit.export"


def test_export_jsonl_and_since(
    hostile: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    assert export_audit(hostile, NAME, since=date(2026, 3, 1), fmt="jsonl") == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["action"] for r in rows] == ["boundaries.read", "scene.update"]
    assert rows[0] == {
        "at": "2026-03-01T09:00:00Z",
        "production": NAME,
        "actor": COORDINATOR,
        "action": "boundaries.read",
        "scene": "@SUM(1)",
        "subject": "scene:@SUM(1)",
        "person": P1,
    }
    # From 2 March on: only the first export itself (recorded by the real clock, later).
    assert export_audit(hostile, NAME, since=date(2026, 3, 2), fmt="csv") == 0
    header, *rest = capsys.readouterr().out.splitlines()
    assert header == '"at","production","actor","action","scene","subject","person"'
    assert [row[3] for row in csv.reader(rest)] == ["audit.export"]


def test_neutralise_follows_owasp() -> None:
    for risky in ("=1+1", "+1", "-1", "@SUM(1)", "\t=1", "\r=1"):
        assert neutralise(risky) == "'" + risky
    for fine in ("42A", "scene:42A", "U0COORD001", "", " =1"):
        assert neutralise(fine) == fine


def test_export_cli_unknown_production_bad_date_and_a_real_run(tmp_path: Path) -> None:
    key = generate_key()
    url = f"sqlite:///{tmp_path}/cs.db"
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine, Cipher([key]))
    world = build(factory, now=NOW, plan=False)
    with session_scope(factory) as session:
        audit.record(
            session,
            at=NOW,
            team_id=TEAM,
            actor=COORDINATOR,
            action="boundaries.status.read",
            production_id=world.production_id,
            subject="scene:42A",
        )
    engine.dispose()
    env = {"DATABASE_URL": url, "CLOSEDSET_ENCRYPTION_KEY": key}

    unknown = run(["audit", "export", "--production", "Nope"], env, tmp_path)
    assert unknown.returncode == 2
    assert unknown.stderr.strip().splitlines() == [
        "closedset: no production called 'Nope'; a coordinator creates it with /closedset "
        "setup in Slack."
    ]
    bad = run(
        ["audit", "export", "--production", "Night Shift", "--since", "1/3/2026"], env, tmp_path
    )
    assert bad.returncode == 2 and "is not a day written YYYY-MM-DD" in bad.stderr
    done = run(
        ["audit", "export", "--production", "Night Shift", "--since", "2026-03-01"], env, tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1] == (
        '"2026-03-01T09:00:00Z","Night Shift","U0COORD001","boundaries.status.read","42A",'
        '"scene:42A",""'
    )
    with make_session_factory(make_engine(url), Cipher([key]))() as session:
        names = session.scalars(select(Production.name)).all()
        assert names == ["Night Shift"]
