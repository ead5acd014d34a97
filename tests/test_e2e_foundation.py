"""The foundation, end to end: signed requests to the real app over HTTP, Slack replaced by
the stand-in, a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from sqlalchemy import select

from bot.ids import ImportAction, SceneView, SetupView
from storage.models import AuditEvent, CastEntry, Member, Role, Scene
from storage.secrets import unseal
from tests.conftest import SIGNING_SECRET, RunningApp
from tests.support.e2e import (
    AD,
    CAST_CSV,
    COORDINATOR,
    SCHEDULE_CSV,
    add_people,
    blocks_text,
    click_import,
    open_and_submit_setup,
    open_modal,
    plain,
    production,
    reply,
    submit,
    upload,
)
from tests.support.signing import checkboxes, timepicker


def _ready(app: RunningApp) -> None:
    add_people(app.standin)
    assert "Night Shift* is set up" in open_and_submit_setup(app).text


def _with_schedule(app: RunningApp) -> None:
    _ready(app)
    click_import(app, upload(app, CAST_CSV, "cast.csv"), ImportAction.APPLY)
    click_import(app, upload(app, SCHEDULE_CSV, "schedule.csv"), ImportAction.APPLY)


def test_healthz_answers_when_database_is_up(http_app: RunningApp) -> None:
    app = http_app
    with urllib.request.urlopen(app.url + "/healthz", timeout=5) as response:
        assert response.status == 200


def test_bad_signature_is_refused(http_app: RunningApp) -> None:
    app = http_app
    assert app.slack.with_secret("wrong").command("help", user_id=COORDINATOR).status == 401
    assert app.slack.with_clock_skew(-600).command("help", user_id=COORDINATOR).status == 401
    assert SIGNING_SECRET  # the right secret is accepted:
    assert app.slack.command("help", user_id=COORDINATOR).status == 200


def test_help_for_someone_in_no_production_explains_setup(app: RunningApp) -> None:
    body = reply(app, "help", "U0STRANGER")
    assert body["response_type"] == "ephemeral"
    assert "/closedset setup" in json.dumps(body["blocks"])


def test_help_shows_what_each_role_can_do(app: RunningApp) -> None:
    _ready(app)
    coordinator = json.dumps(reply(app, "help", COORDINATOR)["blocks"])
    ad = json.dumps(reply(app, "help", AD)["blocks"])
    assert "As a coordinator" in coordinator and "/closedset scene" in coordinator
    assert "As an assistant director" in ad and "/closedset scene" not in ad


def test_unknown_subcommand_says_what_to_do(app: RunningApp) -> None:
    body = app.slack.command("frobnicate", user_id=COORDINATOR).json()
    assert "/closedset help" in body["text"]


def test_setup_creates_production_and_makes_first_person_coordinator(app: RunningApp) -> None:
    add_people(app.standin)
    opened = open_modal(app, "setup", COORDINATOR)
    assert opened["callback_id"] == SetupView.CALLBACK
    zone_block = next(b for b in opened["blocks"] if b.get("block_id") == SetupView.ZONE)
    assert zone_block["element"]["initial_value"] == "Europe/London"  # from the caller's Slack tz

    # The submitter left themselves out of the coordinators; they are added anyway.
    response = open_and_submit_setup(
        app, **{SetupView.COORDINATORS: {"type": "multi_users_select", "selected_users": []}}
    )
    assert response.saving and "Night Shift* is set up" in response.text
    made = production(app)
    assert made.time_zone == "Europe/London" and made.lead_minutes == 48 * 60
    with app.session_factory() as session:
        roles = {(m.slack_user_id, m.role) for m in session.scalars(select(Member))}
        actions = [a.action for a in session.scalars(select(AuditEvent))]
    assert (COORDINATOR, Role.COORDINATOR) in roles and (AD, Role.AD) in roles
    assert "production.create" in actions


def test_setup_errors_are_shown_in_the_modal(app: RunningApp) -> None:
    add_people(app.standin)
    response = open_and_submit_setup(
        app,
        **{
            SetupView.ZONE: plain("Mars/Olympus"),
            SetupView.NUDGE: plain("3d"),
            SetupView.LEAD: plain("48h"),
            SetupView.ESCALATION: plain("soon"),
        },
    )
    errors = response.errors
    assert "Mars/Olympus" in errors[SetupView.ZONE]
    assert "shorter than the lead time" in errors[SetupView.NUDGE]
    assert "not a duration" in errors[SetupView.ESCALATION]
    assert response.view is None and not app.standin.calls("views.update")
    with app.session_factory() as session:
        assert session.scalar(select(Member)) is None  # nothing saved


def test_non_coordinator_is_refused_setup_ephemerally(app: RunningApp) -> None:
    _ready(app)
    click_import(app, upload(app, CAST_CSV, "cast.csv"), ImportAction.APPLY)
    for user_id in (AD, "U0PERF0001"):
        app.standin.clear()
        body = reply(app, "setup", user_id)
        assert body["response_type"] == "ephemeral"
        assert "Only a coordinator or admin" in body["text"]
        assert not app.standin.calls("views.open")


def test_forged_setup_submission_by_non_coordinator_changes_nothing(app: RunningApp) -> None:
    _ready(app)
    made = production(app)
    from bot.meta import pack
    from tests.support.e2e import setup_values

    refused = submit(
        app,
        user_id=AD,
        callback_id=SetupView.CALLBACK,
        private_metadata=pack("setup", p=made.id),
        values=setup_values(**{SetupView.NAME: plain("Hijacked")}),
    )
    assert refused.view is not None and "Only a coordinator or admin" in refused.text
    assert refused.view.get("callback_id") != SetupView.CALLBACK  # a notice, not the form
    assert production(app).name == "Night Shift"


def test_cast_import_by_dm_upload_previews_then_applies(app: RunningApp) -> None:
    _ready(app)
    preview = upload(app, CAST_CSV, "cast.csv")
    text = blocks_text(preview)
    assert "3 added" in text and "Lena" in text
    with app.session_factory() as session:
        assert session.scalar(select(CastEntry)) is None  # preview writes nothing
    done = click_import(app, preview, ImportAction.APPLY)
    assert "Cast list applied" in blocks_text(done)
    with app.session_factory() as session:
        entries = {e.cast_number: e.slack_user_id for e in session.scalars(select(CastEntry))}
        performers = set(
            session.scalars(select(Member.slack_user_id).where(Member.role == Role.PERFORMER))
        )
    # by ID, by email (users.lookupByEmail) and by @handle (users.list)
    assert entries == {"1": "U0PERF0001", "2": "U0PERF0002", "3": "U0PERF0003"}
    assert performers == {"U0PERF0001", "U0PERF0002", "U0PERF0003"}
    assert app.standin.calls("users.lookupByEmail") and app.standin.calls("users.list")


def test_cast_import_with_unknown_people_is_refused_with_rows(app: RunningApp) -> None:
    _ready(app)
    bad = CAST_CSV + "4,Ghost,Nobody,nobody@example.com\n5,Bot,Robot,@nosuchhandle\n"
    answer = blocks_text(upload(app, bad, "cast.csv"))
    assert "nothing was changed" in answer
    assert "Row 5" in answer and "Row 6" in answer
    with app.session_factory() as session:
        assert session.scalar(select(CastEntry)) is None


def test_schedule_import_by_dm_upload_previews_applies_and_reimports(app: RunningApp) -> None:
    _ready(app)
    click_import(app, upload(app, CAST_CSV, "cast.csv"), ImportAction.APPLY)
    preview = upload(app, SCHEDULE_CSV, "schedule.csv")
    text = blocks_text(preview)
    assert "3 added" in text and "Scene 42A added" in text
    # Planned content and synopsis never go into a Slack message.
    assert "Kiss and embrace" not in text and "reconcile" not in text
    with app.session_factory() as session:
        assert session.scalar(select(Scene)) is None
    click_import(app, preview, ImportAction.APPLY)
    with app.session_factory() as session:
        scenes = {s.number: s for s in session.scalars(select(Scene))}
        assert set(scenes) == {"42A", "43", "44"}
        assert [c.cast_number for c in scenes["42A"].cast] == ["1", "2"]
        assert unseal(session, scenes["42A"].planned_content_ct) == "Kiss and embrace"
        assert scenes["42A"].start_at.isoformat() == "2026-03-10T14:30:00+00:00"
        assert scenes["42A"].revision == 1

    revised = (
        "Scene,Shoot Date,Time,Set,Cast,Intimacy,Intimacy Notes,Description\n"
        '42A,2026-03-12,10:00,INT. BEDROOM,"1, 2",yes,Kiss only,Lena and Max reconcile\n'
        '44,2026-03-11,09:00,EXT. BEACH,"1,3",yes,Swimwear scene,Morning swim at dawn\n'
        "45,2026-03-13,08:00,INT. CAR,2,no,,Drive\n"
    )
    preview = upload(app, revised, "schedule-v2.csv")
    text = blocks_text(preview)
    assert "1 added, 1 moved, 1 changed, 1 removed" in text
    assert "Scene 42A moved" in text and "planned content" in text
    assert "Scene 43 removed" in text and "Scene 44 changed: synopsis" in text
    assert "Kiss only" not in text and "dawn" not in text
    click_import(app, preview, ImportAction.APPLY)
    with app.session_factory() as session:
        scenes = {s.number: s for s in session.scalars(select(Scene))}
        assert scenes["42A"].revision == 2  # planned content changed
        assert scenes["44"].revision == 1  # only the synopsis changed
        assert scenes["43"].removed
        assert unseal(session, scenes["42A"].planned_content_ct) == "Kiss only"


def test_bad_schedule_is_refused_whole_with_every_problem(app: RunningApp) -> None:
    _ready(app)
    click_import(app, upload(app, CAST_CSV, "cast.csv"), ImportAction.APPLY)
    bad = (
        "Scene,Shoot Date,Time,Set,Cast,Intimacy\n"
        '42A,2026-03-10,14:30,INT. BEDROOM,"1, 2",yes\n'
        "43,2026-02-30,16:00,INT. KITCHEN,3,no\n"
        "44,2026-03-29,01:30,EXT. BEACH,9,yes\n"
    )
    answer = blocks_text(upload(app, bad, "schedule.csv"))
    assert "nothing was changed" in answer
    assert "Row 3" in answer and "no such date" in answer
    assert "Row 4" in answer  # 01:30 on 29 March does not exist in London
    with app.session_factory() as session:
        assert session.scalar(select(Scene)) is None


def test_unknown_cast_member_rejects_schedule(app: RunningApp) -> None:
    _ready(app)
    click_import(app, upload(app, CAST_CSV, "cast.csv"), ImportAction.APPLY)
    bad = 'Scene,Date,Cast\n1,2026-03-10,"1, Zorro"\n'
    answer = blocks_text(upload(app, bad, "schedule.csv"))
    assert "Zorro" in answer and "Row 2" in answer and "not on the cast list" in answer


def test_cancel_and_stale_preview_change_nothing(app: RunningApp) -> None:
    _ready(app)
    click_import(app, upload(app, CAST_CSV, "cast.csv"), ImportAction.APPLY)
    cancelled = click_import(app, upload(app, SCHEDULE_CSV, "s.csv"), ImportAction.CANCEL)
    assert "cancelled" in blocks_text(cancelled)
    first = upload(app, SCHEDULE_CSV, "s.csv")
    second = upload(app, SCHEDULE_CSV.replace("14:30", "15:30"), "s2.csv")
    click_import(app, second, ImportAction.APPLY)
    stale = click_import(app, first, ImportAction.APPLY)
    assert "changed since this preview" in blocks_text(stale)
    again = click_import(app, second, ImportAction.APPLY)
    assert "already applied" in blocks_text(again)
    with app.session_factory() as session:
        scene = session.scalar(select(Scene).where(Scene.number == "42A"))
        assert scene is not None and scene.start_at.hour == 15


def test_only_coordinators_can_import(app: RunningApp) -> None:
    _ready(app)
    answer = blocks_text(upload(app, CAST_CSV, "cast.csv", user_id=AD))
    assert "Only a coordinator" in answer


def test_retried_event_is_handled_once(http_app: RunningApp) -> None:
    app = http_app
    _ready(app)
    file = app.standin.add_file(CAST_CSV.encode(), "cast.csv", user=COORDINATOR)
    event = {
        "type": "message",
        "subtype": "file_share",
        "channel_type": "im",
        "channel": app.standin.dm_channel_id(COORDINATOR),
        "user": COORDINATOR,
        "text": "",
        "files": [file],
    }

    def answers() -> int:  # in the DM (the AD's "you were added" may go out meanwhile)
        calls = app.standin.calls("chat.postMessage")
        return sum(c.params.get("channel") == event["channel"] for c in calls)

    assert app.slack.event(event, event_id="Ev0001").status == 200
    deadline = time.monotonic() + 5
    while answers() < 1:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert (
        app.slack.event(event, event_id="Ev0001", retry_num=1, retry_reason="http_timeout").status
        == 200
    )
    time.sleep(0.5)
    assert answers() == 1


def test_schedule_command_lists_upcoming_scenes_for_coordinator_and_ad(app: RunningApp) -> None:
    _with_schedule(app)
    for user_id in (COORDINATOR, AD):
        body = reply(app, "schedule", user_id)
        text = json.dumps(body["blocks"])
        assert body["response_type"] == "ephemeral"
        assert "42A" in text and "Tue 10 Mar 14:30" in text and "closed set" in text
        assert "Kiss" not in text
    refused = reply(app, "schedule", "U0PERF0001")
    assert "Only a coordinator" in refused["text"]


def test_scene_intake_sets_content_intimacy_and_exact_time(app: RunningApp) -> None:
    _with_schedule(app)
    app.standin.clear()
    opened = open_modal(app, "scene 43", COORDINATOR)
    assert opened["callback_id"] == SceneView.CALLBACK
    saved = submit(
        app,
        user_id=COORDINATOR,
        callback_id=SceneView.CALLBACK,
        private_metadata=opened["private_metadata"],
        values={
            SceneView.INTIMACY: {"value": checkboxes(["yes"])},
            SceneView.CONTENT: {"value": plain("Simulated sex, modesty garments")},
            SceneView.CLOSED_SET: {"value": checkboxes(["yes"])},
            SceneView.START: {"value": timepicker("17:15")},
        },
    )
    assert saved.saving and "Scene 43 is saved" in saved.text
    # A later import with other values keeps what the coordinator set.
    revised = SCHEDULE_CSV.replace("16:00,INT. KITCHEN,3,no", "16:30,INT. PANTRY,3,no")
    preview = upload(app, revised, "s2.csv")
    assert "Scene 43 changed: set" in blocks_text(preview)
    click_import(app, preview, ImportAction.APPLY)
    with app.session_factory() as session:
        scene = session.scalar(select(Scene).where(Scene.number == "43"))
        assert scene is not None
        assert scene.intimacy and scene.is_closed_set and scene.revision == 2
        assert unseal(session, scene.planned_content_ct) == "Simulated sex, modesty garments"
        assert (scene.start_at.hour, scene.start_at.minute) == (17, 15)
        assert scene.set_name == "INT. PANTRY"
    for call in app.standin.calls():
        assert "modesty garments" not in json.dumps(call.params)
    # Only coordinators.
    assert "Only a coordinator" in reply(app, "scene 43", AD)["text"]


def test_scene_intake_refuses_a_time_skipped_by_dst(app: RunningApp) -> None:
    add_people(app.standin)
    open_and_submit_setup(app)
    click_import(app, upload(app, CAST_CSV, "cast.csv"), ImportAction.APPLY)
    click_import(
        app, upload(app, "Scene,Date,Time\n7,2026-03-29,09:00\n", "s.csv"), ImportAction.APPLY
    )
    opened = open_modal(app, "scene 7", COORDINATOR)
    refused = submit(
        app,
        user_id=COORDINATOR,
        callback_id=SceneView.CALLBACK,
        private_metadata=opened["private_metadata"],
        values={SceneView.START: {"value": timepicker("01:30")}},
    )
    # The time is checked against the scene's day in the job: the form comes back, as entered,
    # saying what to change.
    assert refused.view is not None and refused.view["callback_id"] == SceneView.CALLBACK
    assert "Start time" in refused.text and "does not exist" in refused.text
    start = next(b for b in refused.view["blocks"] if b.get("block_id") == SceneView.START)
    assert start["element"]["initial_time"] == "01:30"
    with app.session_factory() as session:
        scene = session.scalar(select(Scene).where(Scene.number == "7"))
        assert (
            scene is not None and scene.revision == 1 and not scene.planned_content_by_coordinator
        )


USS_CAST = CAST_CSV + "4,Potter,Lionel Bar,U0PERF0004\n"


def test_uss_upload_picks_stripboard_and_estimates_times(app: RunningApp) -> None:
    from pathlib import Path

    _ready(app)
    app.standin.add_user("U0PERF0004", "lionel", real_name="Lionel Bar")
    click_import(app, upload(app, USS_CAST, "cast.csv"), ImportAction.APPLY)
    uss = (Path(__file__).parent / "fixtures" / "uss" / "two_stripboards.uss").read_text()
    refused = blocks_text(upload(app, uss, "film.uss"))
    assert "several stripboards" in refused and "White - Shooting Order" in refused
    preview = upload(app, uss, "film.uss", text="White - Shooting Order")
    text = blocks_text(preview)
    assert "7 added" in text and "(estimated)" in text and "boneyard" in text
    click_import(app, preview, ImportAction.APPLY)
    with app.session_factory() as session:
        scenes = {s.number: s for s in session.scalars(select(Scene))}
        assert len(scenes) == 7 and all(s.start_estimated for s in scenes.values())
        assert scenes["2"].start_at.isoformat() == "2025-05-22T07:30:00+00:00"  # 08:30 BST
    # The coordinator sets the real time of scene 2; a re-import keeps it.
    app.standin.clear()
    opened = open_modal(app, "scene 2", COORDINATOR)
    assert "estimated" in json.dumps(opened["blocks"])
    assert (
        "is saved"
        in submit(
            app,
            user_id=COORDINATOR,
            callback_id=SceneView.CALLBACK,
            private_metadata=opened["private_metadata"],
            values={SceneView.START: {"value": timepicker("11:00")}},
        ).text
    )
    again = blocks_text(upload(app, uss, "film.uss", text="White - Shooting Order"))
    assert "No changes" in again
    with app.session_factory() as session:
        scene = session.scalar(select(Scene).where(Scene.number == "2"))
        assert scene is not None and not scene.start_estimated
        assert scene.start_at.isoformat() == "2025-05-22T10:00:00+00:00"


def test_schedule_paging_buttons(app: RunningApp) -> None:
    _ready(app)
    click_import(app, upload(app, CAST_CSV, "cast.csv"), ImportAction.APPLY)
    rows = "".join(f"{n},2026-03-{10 + n // 10:02d},{8 + n % 10}:00,Set {n},1\n" for n in range(25))
    click_import(app, upload(app, "Scene,Date,Time,Set,Cast\n" + rows, "s.csv"), ImportAction.APPLY)
    first = reply(app, "schedule", AD)
    assert "1–10 of 25" in json.dumps(first["blocks"], ensure_ascii=False)
    later = next(
        e
        for b in first["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id", "").endswith("_next")
    )
    app.standin.clear()
    response = app.slack.block_action(
        user_id=AD, action_id=later["action_id"], value=later["value"]
    )
    assert response.status == 200
    page = app.standin.wait_for("response_url")[-1].params
    assert "11–20 of 25" in json.dumps(page, ensure_ascii=False)
    # A performer replaying an AD's button is refused.
    app.standin.clear()
    app.slack.block_action(user_id="U0PERF0001", action_id=later["action_id"], value=later["value"])
    refused = app.standin.wait_for("response_url")[-1].params
    assert "Only a" in json.dumps(refused)


def test_a_failing_slack_call_gives_the_user_a_reference(
    app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    _ready(app)
    app.standin.fail_next("views.open", error="internal_error")
    response = app.slack.command("setup", user_id=COORDINATOR)
    assert response.status == 200
    told = app.standin.wait_for("response_url")[-1].params
    assert "something went wrong" in told["text"] and "ref " in told["text"]
    ref = told["text"].split("ref ")[1][:8]
    assert any(ref in record.getMessage() for record in caplog.records)


def test_unknown_button_is_acknowledged_and_explained(app: RunningApp) -> None:
    response = app.slack.block_action(user_id=COORDINATOR, action_id="from_an_old_version")
    assert response.status == 200
    told = app.standin.wait_for("response_url")[-1].params
    assert "no longer works" in told["text"]
