"""Real schedules end to end, through Slack: an undecided intimacy value from the preview to
the coordinator's decision on the Home tab, cast members without Slack from the cast list to
the coordinator's to-do, and a file whose dates could be read two ways."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bot.ids import ImportAction, SetupView, TodoAction
from storage.models import AuditEvent, Delivery, DeliveryKind, DeliveryStatus, Scene
from tests.conftest import NOW, RunningApp
from tests.support.e2e import (
    CAST_CSV,
    COORDINATOR,
    add_people,
    blocks_text,
    button_value,
    click_import,
    home_view,
    open_and_submit_setup,
    open_modal,
    upload,
)
from tests.support.signing import static
from tests.support.world import build


def _ready(app: RunningApp) -> None:
    """Night Shift with its cast list (cast 1-3 on Slack), no scenes, written straight to the
    database: Home tabs are published only from here on (Slack's limit on `views.publish` is
    a burst of ten, then one every 0.6 s)."""
    add_people(app.standin)
    build(app.session_factory, now=NOW, scenes={})


def _until(done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not done():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def _home(app: RunningApp, shows: Callable[[str], bool]) -> dict[str, Any]:
    """The coordinator's Home tab once it `shows` what the test waits for: opened again until
    it does, as a Home tab refreshed by an earlier job may still be on its way."""
    found: list[dict[str, Any]] = []

    def opened() -> bool:
        found.append(home_view(app, COORDINATOR))
        return shows(json.dumps(found[-1], ensure_ascii=False))

    _until(opened, "the Home tab never showed what was expected")
    assert len(found[-1]["blocks"]) <= 100
    return found[-1]


def _button(view: dict[str, Any], action_id: str, block_id: str | None = None) -> str:
    """The value of the first `action_id` button (in block `block_id`, when given)."""
    for block in view["blocks"]:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


def _click(
    app: RunningApp, view: dict[str, Any], action_id: str, value: str, done: Callable[[], bool]
) -> None:
    """Click a Home tab button as the coordinator, and wait until it is `done`."""
    response = app.slack.block_action(
        user_id=COORDINATOR, action_id=action_id, value=value, view=view
    )
    assert response.status == 200
    _until(done, f"{action_id} did nothing")


def _scenes(app: RunningApp) -> dict[str, Scene]:
    with app.session_factory() as session:
        return {s.number: s for s in session.scalars(select(Scene))}


def test_undecided_intimacy_from_preview_to_the_coordinators_decision(app: RunningApp) -> None:
    _ready(app)
    schedule = (
        "Scene,Shoot Date,Time,Set,Cast,Intimacy\n"
        '50,2026-03-02,14:00,INT. HOTEL ROOM,"1, 2",TBD\n'
        "51,2026-03-06,10:00,INT. CAR,3,?\n"
    )
    preview = upload(app, schedule, "schedule.csv")
    text = blocks_text(preview)
    assert "Scene 50 added: Mon 02 Mar 2026 14:00, INT. HOTEL ROOM · intimacy undecided" in text
    assert "Intimacy undecided in scene(s) 50, 51" in text
    click_import(app, preview, ImportAction.APPLY)
    app.dispatch()  # scene 50 is inside the lead time: treated as intimate, asked at once
    with app.session_factory() as session:
        asked = session.scalars(
            select(Delivery.recipient).where(
                Delivery.kind == DeliveryKind.PROMPT, Delivery.status == DeliveryStatus.SENT
            )
        ).all()
    assert sorted(asked) == ["U0PERF0001", "U0PERF0002"]

    home = _home(app, lambda text: "*To do*" in text and "INT. CAR" in text)
    shown = json.dumps(home, ensure_ascii=False)
    assert "*To do*" in shown and "The schedule left its intimacy undecided" in shown
    scenes = _scenes(app)
    assert _button(home, TodoAction.INTIMATE, f"todo_intimacy_{scenes['51'].id}")
    _click(
        app,
        home,
        TodoAction.NOT_INTIMATE,
        _button(home, TodoAction.NOT_INTIMATE, f"todo_intimacy_{scenes['50'].id}"),
        done=lambda: not _scenes(app)["50"].intimacy,
    )
    app.dispatch()
    scenes = _scenes(app)
    assert not scenes["50"].intimacy and not scenes["50"].intimacy_undecided
    assert scenes["50"].intimacy_by_coordinator
    assert scenes["51"].intimacy and scenes["51"].intimacy_undecided  # still to decide
    with app.session_factory() as session:
        about_50 = session.scalars(select(Delivery).where(Delivery.scene_id == scenes["50"].id))
        kinds = {(d.kind, d.status) for d in about_50}
        decisions = session.scalars(
            select(AuditEvent.subject).where(AuditEvent.action == "scene.intimacy.decide")
        ).all()
    # Nothing more about scene 50 will be sent, and both performers asked were told it is off.
    assert (DeliveryKind.NUDGE, DeliveryStatus.PLANNED) not in kinds
    assert (DeliveryKind.REMOVED, DeliveryStatus.SENT) in kinds
    assert decisions == ["scene:50"]
    # No longer an intimate scene, nor a to-do; scene 51 still is.
    _home(app, lambda text: "INT. HOTEL ROOM" not in text and "INT. CAR" in text)
    # The file still says TBD: the coordinator's word stands.
    assert "No changes" in blocks_text(upload(app, schedule, "schedule.csv"))


def test_cast_without_slack_through_to_the_coordinators_todo(app: RunningApp) -> None:
    _ready(app)
    cast = upload(app, CAST_CSV + "4,Tommy,Tom Kid,\n", "cast.csv")
    assert "1 added, 0 changed, 0 removed, 3 unchanged" in blocks_text(cast)
    assert "4. Tommy: Tom Kid (not on Slack: never asked in Slack)" in blocks_text(cast)
    click_import(app, cast, ImportAction.APPLY)
    schedule = (
        "Scene,Shoot Date,Time,Set,Cast,Intimacy\n"
        '42,2026-03-05,14:30,INT. BEDROOM,"1, 4, 12",yes\n'
        '43,2026-03-05,16:00,INT. KITCHEN,"3, 14",no\n'
    )
    preview = upload(app, schedule, "schedule.csv")
    text = blocks_text(preview)
    assert "2 added" in text  # neither refuses the file
    assert "scene 42: cast 4 is not on Slack, cast 12 is not on the cast list" in text
    assert "Not on the cast list (only in scenes without intimacy): cast 14." in text
    click_import(app, preview, ImportAction.APPLY)

    home = _home(app, lambda text: "*To do*" in text)
    shown = json.dumps(home, ensure_ascii=False)
    assert "Scene 42: cast 4 (Tom Kid) is not on Slack — confirm in person" in shown
    assert "Scene 42: cast 12 is not on the cast list — confirm in person" in shown
    status = json.dumps(open_modal(app, "status 42", COORDINATOR), ensure_ascii=False)
    assert "cast 4 is not on Slack" in status and "cast 12 is not on the cast list" in status
    assert "To confirm in person" in status

    _click(
        app,
        home,
        TodoAction.IN_PERSON,
        _button(home, TodoAction.IN_PERSON),
        done=lambda: bool(_scenes(app)["42"].in_person),
    )
    shown = json.dumps(
        _home(app, lambda text: "confirmed in person" in text and "cast 4 (Tom" not in text),
        ensure_ascii=False,
    )
    assert "Scene 42: cast 12 is not on the cast list — confirm in person" in shown
    assert "cast 4 Tom Kid is not on Slack: confirmed in person" in shown
    with app.session_factory() as session:
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "scene.in_person.confirm")
        )
    assert event is not None and event.detail["cast_number"] == "4"


def test_an_ambiguous_upload_asks_the_date_order_then_the_setting_decides(
    app: RunningApp,
) -> None:
    add_people(app.standin)
    assert "is set up" in open_and_submit_setup(app).text
    schedule = "Scene,Date,Time,Set\n1,03/04/2027,09:00,INT. FLAT\n2,05/04/2027,10:00,EXT. PARK\n"
    question = upload(app, schedule, "schedule.csv")
    text = blocks_text(question)
    assert "`03/04/2027`" in text
    assert "Day first: 3 April 2027" in text and "Month first: March 4, 2027" in text
    preview = click_import(app, question, ImportAction.DAY_FIRST)
    assert "Scene 1 added: Sat 03 Apr 2027 09:00" in blocks_text(preview)
    # A second click (a double click) is told so, privately, and leaves the preview alone.
    updates = len(app.standin.calls("chat.update"))
    answers = len(app.standin.calls("response_url"))
    app.slack.block_action(
        user_id=COORDINATOR,
        action_id=ImportAction.MONTH_FIRST,
        value=button_value(question, ImportAction.MONTH_FIRST),
        channel_id=app.standin.dm_channel_id(COORDINATOR),
    )
    told = app.standin.wait_for("response_url", count=answers + 1)[-1].params
    assert "already answered" in told["text"]
    assert len(app.standin.calls("chat.update")) == updates
    click_import(app, preview, ImportAction.APPLY)
    assert _scenes(app)["1"].start_at.isoformat() == "2027-04-03T08:00:00+00:00"  # 09:00 BST

    # Month-first from now on, set once in the production's setup: no more questions.
    response = open_and_submit_setup(app, **{SetupView.DATE_ORDER: static("mdy")})
    assert "was updated" in response.text
    preview = upload(app, schedule, "schedule.csv")
    assert "Scene 1 moved: Sat 03 Apr 2027 09:00 → Thu 04 Mar 2027 09:00" in blocks_text(preview)
