"""A performer's own data (`/closedset mydata`) end to end: the real app, signed requests, the
Slack stand-in, the real database (SQLite and PostgreSQL). The builders' limits are tested
without Slack at the end."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.home import home_for
from bot.ids import CheckinAction, CoordinatorAction, MyDataAction
from bot.meta import pack
from handlers.blocks.mydata import (
    PAGE_BLOCKS,
    erasure_todo_blocks,
    my_data_modal,
)
from storage import audit, boundaries
from storage.db import session_scope
from storage.models import (
    AnswerKind,
    AuditEvent,
    BoundaryAnswer,
    CheckinAnswer,
    CheckinRound,
    ClosureAnswer,
    PrivateNote,
    Scene,
)
from storage.mydata import (
    ERASE_REQUEST,
    ERASED,
    NoteLine,
    PendingErasure,
    ProductionData,
)
from storage.productions import team_of
from storage.secrets import seal
from tests.conftest import NOW, RunningApp
from tests.support import privacy
from tests.support.e2e import home_view
from tests.support.world import AD, COORDINATOR, TEAM, build

P1, P2 = "U0PERF0001", "U0PERF0002"
OUTSIDER = "U0OUTSIDE1"
OTHER_TEAM = "T0OTHER001"

ANSWER_1 = "MYDATA-FIRST-VERSION robe please"
ANSWER_2 = "MYDATA-SECOND-VERSION no closeups"
NOTE_1 = "MYDATA-NOTE <!channel> ask about the lighting"
P2_NOTE = "MYDATA-OTHER-PERFORMER note"
P2_ANSWER = "MYDATA-OTHER-PERFORMER answer"
OTHER_WS_NOTE = "MYDATA-OTHER-WORKSPACE note"
privacy.sensitive(ANSWER_1, ANSWER_2, NOTE_1, P2_NOTE, P2_ANSWER, OTHER_WS_NOTE)


def _note(session: Session, production_id: int, scene_id: int | None, who: str, text: str) -> int:
    note = PrivateNote(
        production_id=production_id,
        team_id=team_of(session, production_id),
        scene_id=scene_id,
        performer_id=who,
        text_ct=seal(session, text),
        at=NOW - timedelta(minutes=50),
    )
    session.add(note)
    session.flush()
    return note.id


def _seed(app: RunningApp) -> dict[str, int]:
    """Night Shift (scene 42A in an hour: P1 and P2) with P1's two answer versions, a note,
    a check-in and a closure answer, and P2's own; and another workspace where P1 has a note."""
    world = build(
        app.session_factory,
        now=NOW - timedelta(hours=2),
        scenes={"42A": (timedelta(hours=3), ("1", "2"))},
        plan=False,
    )
    other = build(
        app.session_factory,
        now=NOW - timedelta(hours=2),
        name="Other Show",
        team_id=OTHER_TEAM,
        scenes={"7": (timedelta(hours=3), ("1",))},
        plan=False,
    )
    with session_scope(app.session_factory) as session:
        scene = session.get(Scene, world.scene_ids["42A"])
        assert scene is not None
        earlier = NOW - timedelta(hours=1)
        boundaries.record(
            session,
            scene=scene,
            performer=P1,
            kind=AnswerKind.CHANGES,
            now=earlier,
            boundaries=boundaries.Boundaries(items={1: ("Kissing", "not_ok")}, note=ANSWER_1),
        )
        boundaries.record(
            session,
            scene=scene,
            performer=P1,
            kind=AnswerKind.CHANGES,
            now=earlier + timedelta(minutes=5),
            boundaries=boundaries.Boundaries(items={1: ("Kissing", "ok")}, note=ANSWER_2),
        )
        boundaries.record(
            session,
            scene=scene,
            performer=P2,
            kind=AnswerKind.CHANGES,
            now=earlier,
            boundaries=boundaries.Boundaries(items={1: ("Kissing", "ok")}, note=P2_ANSWER),
        )
        note_id = _note(session, world.production_id, scene.id, P1, NOTE_1)
        _note(session, world.production_id, None, P2, P2_NOTE)
        _note(session, other.production_id, None, P1, OTHER_WS_NOTE)
        round_ = CheckinRound(
            production_id=world.production_id,
            team_id=scene.team_id,
            scene_id=scene.id,
            number=1,
            started_by=COORDINATOR,
            started_at=earlier,
            closes_at=earlier + timedelta(minutes=5),
            performers=[P1, P2],
            live={},
        )
        session.add(round_)
        session.flush()
        for who, tap in ((P1, "good"), (P2, "pause")):
            session.add(
                CheckinAnswer(
                    round_id=round_.id,
                    team_id=round_.team_id,
                    performer_id=who,
                    answer_ct=seal(session, tap),
                    at=earlier,
                )
            )
        session.add(
            ClosureAnswer(
                production_id=world.production_id,
                team_id=scene.team_id,
                scene_id=scene.id,
                performer_id=P1,
                answer_ct=seal(session, "not_ok"),
                at=earlier,
            )
        )
        # Reads that name the performer they were about (`audit.PERFORMER`), of P1 and of P2.
        for who, number in ((P1, "99"), (P2, "98")):
            audit.record(
                session,
                at=NOW - timedelta(minutes=30),
                team_id=TEAM,
                actor=COORDINATOR,
                action="boundaries.read",
                production_id=world.production_id,
                subject=f"scene:{number}",
                detail={audit.PERFORMER: who},
            )
        return {
            "production": world.production_id,
            "scene": scene.id,
            "note": note_id,
            "round": round_.id,
            "other": other.production_id,
        }


def _open_mydata(app: RunningApp, user_id: str) -> dict[str, Any]:
    before = len(app.standin.calls("views.open"))
    assert app.slack.command("mydata", user_id=user_id).status == 200
    view: dict[str, Any] = app.standin.wait_for("views.open", count=before + 1)[-1].json("view")
    return view


def _click_in_modal(
    app: RunningApp, user_id: str, modal: dict[str, Any], action: str, value: str
) -> dict[str, Any]:
    before = len(app.standin.calls("views.update"))
    response = app.slack.block_action(
        user_id=user_id, action_id=action, value=value, view={**modal, "id": "V0MYDATA"}
    )
    assert response.status == 200
    call = app.standin.wait_for("views.update", count=before + 1)[-1]
    assert call.params["view_id"] == "V0MYDATA"
    view: dict[str, Any] = call.json("view")
    return view


def _button(view: dict[str, Any], action_id: str) -> dict[str, Any]:
    for block in view["blocks"]:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return dict(element)
    raise AssertionError(f"no {action_id} in {json.dumps(view)[:500]}")


def _coordinator_reads(app: RunningApp, ids: dict[str, int]) -> None:
    """The coordinator reads the scene's status, P1's note and the check-in (audited)."""
    opened = len(app.standin.calls("views.open"))
    app.slack.command("status 42A", user_id=COORDINATOR)
    for action, value in (
        (CoordinatorAction.VIEW_NOTE, pack("note", n=ids["note"])),
        (CheckinAction.VIEW, pack("checkin", r=ids["round"])),
    ):
        app.slack.block_action(user_id=COORDINATOR, action_id=action, value=value)
    app.standin.wait_for("views.open", count=opened + 3)


def _count(app: RunningApp, model: Any, *where: Any) -> int:
    with session_scope(app.session_factory) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _eventually(app: RunningApp, expected: int, model: Any, *where: Any) -> int:
    """The count once it reaches `expected`, or after 5 seconds (a command's job commits just
    after its Slack call)."""
    deadline = time.monotonic() + 5
    while (found := _count(app, model, *where)) != expected and time.monotonic() < deadline:
        time.sleep(0.02)
    return found


def _dms(app: RunningApp, user_id: str, starting: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 5
    while True:
        found = [
            c.params
            for c in app.standin.calls("chat.postMessage")
            if c.params.get("channel") == user_id and str(c.params["text"]).startswith(starting)
        ]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _no_channel_posts_or_files(app: RunningApp) -> None:
    calls = app.standin.calls()
    assert not [
        c
        for c in calls
        if c.method == "chat.postMessage" and str(c.params.get("channel", ""))[:1] in "CG"
    ]
    assert not [c for c in calls if c.method.startswith("files.")]
    for c in calls:
        if c.method.startswith("chat.") or c.method == "response_url":
            text = json.dumps(c.params, ensure_ascii=False, default=str)
            for marker in (ANSWER_1, ANSWER_2, "MYDATA-NOTE", P2_NOTE, P2_ANSWER, OTHER_WS_NOTE):
                assert marker not in text


def test_mydata_shows_everything_of_theirs_and_erasure_end_to_end(app: RunningApp) -> None:
    ids = _seed(app)
    _coordinator_reads(app, ids)
    modal = _open_mydata(app, P1)
    text = json.dumps(modal, ensure_ascii=False)
    # Everything of theirs: the production and roles, the cast line, the scene, both answer
    # versions with their items, the note (escaped), check-in and closure answers.
    for expected in (
        "Night Shift",
        "performer",
        "Jane Doe",
        "jane@example.com",
        "Scene 42A",
        ANSWER_1,
        ANSWER_2,
        "Kissing: Not OK",
        "Kissing: OK",
        "Set out your boundaries",
        "at the scene's revision 1",
        "MYDATA-NOTE &lt;!channel&gt; ask about the lighting",
        "Still good",
        "Scene 42A: Not OK",
    ):
        assert expected in text, expected
    assert "<!channel>" not in text
    # Who read them: the coordinator's status, note and check-in reads.
    assert "<@U0COORD001> looked at where performers stand" in text
    assert "<@U0COORD001> read your note" in text
    assert "<@U0COORD001> read the check-in answers" in text
    assert "<@U0COORD001> read your boundary answer (scene 99)" in text
    assert "scene 98" not in text
    # Nothing of another performer, nothing of another workspace.
    for foreign in (P2_NOTE, P2_ANSWER, OTHER_WS_NOTE, "Other Show", "Bob Smith", "Need a pause"):
        assert foreign not in text, foreign
    assert (
        _eventually(app, 1, AuditEvent, AuditEvent.action == "mydata.read", AuditEvent.actor == P1)
        == 1
    )

    # Delete my notes: P1's notes in this workspace are gone; P2's and the other workspace's stay.
    delete = _button(modal, MyDataAction.DELETE_NOTES)
    assert "confirm" in delete
    after = _click_in_modal(app, P1, modal, MyDataAction.DELETE_NOTES, delete["value"])
    assert "Your 1 note is deleted." in json.dumps(after)
    assert "MYDATA-NOTE" not in json.dumps(after)
    assert _count(app, PrivateNote, PrivateNote.id == ids["note"]) == 0
    assert _count(app, PrivateNote, PrivateNote.performer_id == P2) == 1
    assert _count(app, PrivateNote, PrivateNote.production_id == ids["other"]) == 1
    assert _count(app, AuditEvent, AuditEvent.action == "mydata.notes.delete") == 1

    # Ask to erase the rest: the coordinators get a DM that names nobody, and a to-do.
    ask = _button(after, MyDataAction.ASK_ERASE)
    assert "confirm" in ask
    asked = _click_in_modal(app, P1, after, MyDataAction.ASK_ERASE, ask["value"])
    assert "Your coordinator is asked to erase the rest" in json.dumps(asked)
    [dm] = _dms(app, COORDINATOR, "Data erasure asked for — Night Shift")
    assert P1 not in json.dumps(dm) and "Jane" not in json.dumps(dm)
    with session_scope(app.session_factory) as session:
        [home] = home_for(session, team_id=TEAM, user_id=COORDINATOR, now=NOW)
        [todo] = home.erasures
        assert todo.performer_id == P1 and todo.name == "Jane Doe"
        request = session.scalar(select(AuditEvent).where(AuditEvent.action == ERASE_REQUEST))
        assert request is not None and request.actor == P1 and request.detail == {}
    # The to-do is on the coordinator's Home tab, with its Erase button.
    erase = _button(home_view(app, COORDINATOR), MyDataAction.ERASE)
    assert "confirm" in erase
    # Asking twice asks once.
    again = _click_in_modal(app, P1, asked, MyDataAction.ASK_ERASE, ask["value"])
    assert "already asked" in json.dumps(again)
    assert _count(app, AuditEvent, AuditEvent.action == ERASE_REQUEST) == 1

    # The coordinator's Erase, from the Home tab: P1's rows are gone, P2's stay.
    home = {"id": "V0HOME", "type": "home", "blocks": [], "private_metadata": ""}
    app.slack.block_action(
        user_id=COORDINATOR, action_id=MyDataAction.ERASE, value=erase["value"], view=home
    )
    [told] = _dms(app, P1, "Your data in Night Shift was erased")
    assert "erased" in json.dumps(told)
    scene_rows = BoundaryAnswer.production_id == ids["production"]
    assert _count(app, BoundaryAnswer, scene_rows, BoundaryAnswer.performer_id == P1) == 0
    assert _count(app, BoundaryAnswer, scene_rows, BoundaryAnswer.performer_id == P2) == 1
    assert _count(app, CheckinAnswer, CheckinAnswer.performer_id == P1) == 0
    assert _count(app, CheckinAnswer, CheckinAnswer.performer_id == P2) == 1
    assert _count(app, ClosureAnswer, ClosureAnswer.performer_id == P1) == 0
    with session_scope(app.session_factory) as session:
        done = session.scalar(select(AuditEvent).where(AuditEvent.action == ERASED))
        assert done is not None and done.actor == COORDINATOR
        assert done.detail == {
            "answers": 2,
            "notes": 0,
            "checkins": 1,
            "closures": 1,
            "performer": P1,
        }
        [home] = home_for(session, team_id=TEAM, user_id=COORDINATOR, now=NOW)
        assert home.erasures == []
    # What is left to see: the roles, the cast line and the scene, no answers.
    left = json.dumps(_open_mydata(app, P1), ensure_ascii=False)
    assert "Night Shift" in left and ANSWER_1 not in left and "Still good" not in left
    _no_channel_posts_or_files(app)


@pytest.mark.parametrize("who", [OUTSIDER, AD, P2, "other workspace"])
def test_erase_is_refused_to_anyone_but_a_coordinator_of_the_production(
    http_app: RunningApp, who: str
) -> None:
    app = http_app
    ids = _seed(app)
    modal = _open_mydata(app, P1)
    _click_in_modal(
        app, P1, modal, MyDataAction.ASK_ERASE, _button(modal, MyDataAction.ASK_ERASE)["value"]
    )
    with session_scope(app.session_factory) as session:
        request = session.scalar(select(AuditEvent.id).where(AuditEvent.action == ERASE_REQUEST))
    # Crafted or clicked, the payload names the request; the clicker is what is checked.
    team, user = (OTHER_TEAM, COORDINATOR) if who == "other workspace" else (TEAM, who)
    before = len(app.standin.calls("views.open"))
    app.slack.block_action(
        user_id=user,
        team_id=team,
        action_id=MyDataAction.ERASE,
        value=pack("erase", e=int(request or 0)),
        view={"id": "V0HOME", "type": "home", "blocks": []},
    )
    refused = json.dumps(app.standin.wait_for("views.open", count=before + 1)[-1].json("view"))
    assert "Only a coordinator" in refused or "no longer exists" in refused
    assert "Night Shift" not in refused or who in (AD, P2)  # named only to its members
    assert _count(app, BoundaryAnswer, BoundaryAnswer.performer_id == P1) == 2
    assert _count(app, CheckinAnswer, CheckinAnswer.performer_id == P1) == 1
    assert _count(app, ClosureAnswer, ClosureAnswer.performer_id == P1) == 1
    assert _count(app, AuditEvent, AuditEvent.action == ERASED) == 0
    app.dispatch()  # anything planned would go now
    assert not [c for c in app.standin.calls("chat.postMessage") if c.params["channel"] == P1]
    assert ids["production"]


def test_the_home_button_opens_the_same_modal_and_pages(http_app: RunningApp) -> None:
    app = http_app
    ids = _seed(app)
    with session_scope(app.session_factory) as session:
        for i in range(PAGE_BLOCKS + 5):
            _note(session, ids["production"], None, P1, f"MYDATA-MANY note {i}")
    button = _button(home_view(app, P1), MyDataAction.OPEN)
    assert button["text"]["text"] == "My data"
    before = len(app.standin.calls("views.open"))
    app.slack.block_action(
        user_id=P1,
        action_id=button["action_id"],
        value=button["value"],
        view={"id": "V0HOME", "type": "home", "blocks": []},
    )
    first = app.standin.wait_for("views.open", count=before + 1)[-1].json("view")
    assert len(first["blocks"]) <= 100
    older = _button(first, MyDataAction.PAGE)
    assert "Older" in older["text"]["text"]
    second = _click_in_modal(app, P1, first, MyDataAction.PAGE, older["value"])
    assert len(second["blocks"]) <= 100
    assert "Newer" in json.dumps(second) and "Page 2 of" in json.dumps(second)
    assert json.dumps(second["blocks"]) != json.dumps(first["blocks"])
    # Paging reads the data again: each page is an audit event.
    assert (
        _eventually(app, 2, AuditEvent, AuditEvent.action == "mydata.read", AuditEvent.actor == P1)
        == 2
    )


def test_someone_with_nothing_stored_is_told_so(http_app: RunningApp) -> None:
    _seed(http_app)
    text = json.dumps(_open_mydata(http_app, OUTSIDER))
    assert "holds nothing about you" in text
    assert "Night Shift" not in text and MyDataAction.ASK_ERASE not in text
    # Nothing of what performers said was read: no audit event (once the job has finished).
    http_app.worker.shutdown()
    assert _count(http_app, AuditEvent, AuditEvent.actor == OUTSIDER) == 0


# ------------------------------------------------------------------ builders, without Slack


def _long_data(notes: int, size: int) -> ProductionData:
    at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    data = ProductionData(1, "Night <!here> Shift", "Europe/London", roles=["performer"])
    data.notes = [NoteLine(i, "42A", f"<@U0EVIL> & {'x' * size} {i}", at) for i in range(notes)]
    return data


def _sections(view: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]


def test_every_page_is_within_slacks_limits_and_escaped() -> None:
    data = _long_data(notes=120, size=5000)
    first = my_data_modal([data])
    seen = 0
    page = 0
    while True:
        view = my_data_modal([data], page=page)
        assert len(view["blocks"]) <= 100
        assert all(len(text) <= 3000 for text in _sections(view))
        assert len(json.dumps(view)) < 60_000
        body = json.dumps(view)
        shown = "\n".join(privacy.mrkdwn_texts("views.open", {"view": view}))
        assert "<@U0EVIL>" not in shown and "<!here>" not in shown
        seen += body.count("&lt;@U0EVIL&gt;")
        pages = [b for b in view["blocks"] if b.get("block_id") == "mydata_pages"]
        labels = [e["text"]["text"] for b in pages for e in b["elements"]]
        if not any("Older" in label for label in labels):
            break
        page += 1
    assert page > 0 and seen == 120  # every note shown once, over several pages
    assert my_data_modal([data], page=999)["blocks"] == view["blocks"]  # clamped to the last
    assert first["private_metadata"] == pack("mydata", page=0)


def test_the_erase_todo_names_the_performer_and_asks_first() -> None:
    todo = PendingErasure(7, P1, "Jane <b> Doe", datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    [block] = [b.to_dict() for b in erasure_todo_blocks(todo, zone="Europe/London")]
    assert "<@U0PERF0001> (Jane &lt;b&gt; Doe)" in block["text"]["text"]
    button = block["accessory"]
    assert button["action_id"] == MyDataAction.ERASE and button["value"] == pack("erase", e=7)
    assert button["confirm"]["confirm"]["text"] == "Erase"


def test_long_text_is_cut_between_escapes() -> None:
    data = _long_data(notes=0, size=0)
    at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    data.notes = [NoteLine(1, None, "&" * 4000, at)]
    texts = [t for t in _sections(my_data_modal([data])) if "&amp;" in t]
    assert len(texts) > 1
    assert all(t.replace("&amp;", "") == "" for t in texts)
    assert sum(t.count("&amp;") for t in texts) == 4000
