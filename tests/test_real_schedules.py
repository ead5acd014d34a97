"""Real schedules from real tools, after the parsers: cast numbers as boards write them, people
who cannot be asked in Slack, undecided intimacy, night shoots and the coordinator's start
times, a USS file followed by a CSV of the same schedule. Pure functions first, then the
import services on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cast.resolve import Roster, RosterEntry, resolve_schedule_cast
from bot.confirmations import all_confirmed, offline_states
from bot.decisions import confirm_in_person, decide_intimacy
from bot.imports import apply_schedule_plan, parse_schedule, plan_json, plan_schedule_import
from bot.schedule.diff import Kind
from bot.schedule.model import ImportedScene, ImportedSchedule
from bot.schedule.workday import on_working_day, working_day
from bot.setup import ProductionSetup
from storage.db import session_scope
from storage.models import AuditEvent, Delivery, DeliveryKind, DeliveryStatus, Production, Scene
from storage.productions import save_setup
from storage.roster import apply_roster

FIXTURES = Path(__file__).parent / "fixtures"
LA = ZoneInfo("America/Los_Angeles")
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2025, 5, 20, 9, tzinfo=UTC)
ROSTER = (
    RosterEntry("1", "Rose", "Rose Player", "U0ROSE0001"),
    RosterEntry("2", "Tom", "Tom Player", "U0TOMP0002"),
    RosterEntry("3", "Harbour Master", "Hal Player", "U0HALP0003"),
    RosterEntry("4", "Dockhand", "Day Player", None),  # not on Slack
)


def scene(number: str, *refs: str, row: int = 2) -> ImportedScene:
    start = datetime(2027, 1, 12, 9, tzinfo=LONDON)
    return ImportedScene(number, start.date(), start, cast_refs=refs, row=row)


# ------------------------------------------------------------------ cast references


def test_cast_numbers_match_ignoring_leading_zeros_and_case() -> None:
    roster = Roster([RosterEntry("01", "Lena", "Jane Doe", "U1"), RosterEntry("5a", "", "B", "U2")])
    for ref in ("1", "01", "001", "#1", "1.LENA", "Lena"):
        assert [e.cast_number for e in roster.match(ref)] == ["01"], ref
    assert [e.cast_number for e in roster.match("5A")] == ["5a"]
    assert roster.match("10") == []


def test_a_cast_number_missing_from_the_list_is_kept_but_a_name_is_refused() -> None:
    schedule = ImportedSchedule(
        (scene("42", "1", "012", "12.TOMMY", "4"), scene("43", "Zorro", row=3)), "csv"
    )
    cast, problems = resolve_schedule_cast(schedule, Roster(ROSTER))
    # On the list in its order (cast 4 has no Slack account, but is on it), then the missing.
    assert cast["42"] == ("1", "4", "12")
    assert [str(p) for p in problems] == [
        "Row 3, column 'Cast': scene 43: 'Zorro' is not on the cast list (import the cast "
        "list first, or use a cast number from it)"
    ]


def test_uss_cast_problems_name_the_strip_and_the_list_is_capped() -> None:
    scenes = tuple(scene(str(n), f"Stranger {n}", row=n) for n in range(1, 41))
    _, problems = resolve_schedule_cast(ImportedSchedule(scenes, "uss"), Roster(ROSTER))
    assert str(problems[0]).startswith("The strip for scene 1 (strip 1 on the board): ")
    assert "Row" not in str(problems[0]) and "column" not in str(problems[0])
    shown = len(problems) - 1
    assert shown <= 19 and problems[-1].message == f"… and {40 - shown} more problem(s) like these."
    assert sum(len(str(p)) + 3 for p in problems) < 3000


# ------------------------------------------------------------------ the working day


@pytest.mark.parametrize(
    ("day", "at", "call", "expected", "after"),
    [
        # A night shoot called at 18:00 on Tue 12 Jan 2027.
        pytest.param(date(2027, 1, 12), time(23), time(18), "2027-01-12T23:00", False, id="23:00"),
        pytest.param(date(2027, 1, 12), time(18), time(18), "2027-01-12T18:00", False, id="call"),
        pytest.param(date(2027, 1, 12), time(2), time(18), "2027-01-13T02:00", True, id="02:00"),
        pytest.param(
            date(2027, 1, 12), time(10), time(18), "2027-01-13T10:00", True, id="16h-after"
        ),
        pytest.param(
            date(2027, 1, 12), time(10, 1), time(18), "2027-01-12T10:01", False, id="too-early"
        ),
        # A day shoot, and a scene stored before calls were kept.
        pytest.param(
            date(2027, 1, 12), time(6), time(7), "2027-01-12T06:00", False, id="before-call"
        ),
        pytest.param(date(2027, 1, 12), time(1), None, "2027-01-12T01:00", False, id="no-call"),
    ],
)
def test_a_time_set_by_hand_lands_on_the_working_day(
    day: date, at: time, call: time | None, expected: str, after: bool
) -> None:
    start, after_midnight = on_working_day(day, at, call, LONDON)
    assert start.replace(tzinfo=None).isoformat(timespec="minutes") == expected
    assert after_midnight is after


def test_the_working_day_of_a_scene_after_midnight_is_the_day_before() -> None:
    assert working_day(date(2027, 1, 13), after_midnight=True) == date(2027, 1, 12)
    assert working_day(date(2027, 1, 13), after_midnight=False) == date(2027, 1, 13)


def test_a_time_set_by_hand_refuses_a_time_skipped_by_daylight_saving() -> None:
    with pytest.raises(ValueError, match="does not exist"):
        on_working_day(date(2025, 3, 29), time(1, 30), time(18), LONDON)  # 30 March, 01:30


# ------------------------------------------------------------------ on a database


def _production(session: Session, zone: str = "America/Los_Angeles") -> Production:
    production = save_setup(
        session,
        team_id="T1",
        production=None,
        now=NOW,
        setup=ProductionSetup(
            name="Harbour",
            zone=zone,
            coordinators=("UC",),
            ads=("UA",),
            admins=(),
            ad_channel="C1",
            lead=timedelta(hours=48),
            nudge=timedelta(hours=24),
            escalation=timedelta(hours=12),
            default_call=time(7),
            intimacy_category=None,
        ),
    )
    apply_roster(session, production_id=production.id, entries=ROSTER)
    return production


def _import(session: Session, production: Production, text: str, now: datetime = NOW) -> Kinds:
    schedule = parse_schedule(text, production)
    plan = plan_schedule_import(session, production=production, schedule=schedule)
    apply_schedule_plan(
        session,
        production=production,
        schedule=schedule,
        base_digest=plan.base_digest,
        now=now,
        actor="UC",
    )
    return {c.number: c.kind for c in plan.diff.changes}


Kinds = dict[str, Kind]


def _scenes(session: Session) -> dict[str, Scene]:
    return {s.number: s for s in session.scalars(select(Scene))}


def test_a_uss_file_then_a_csv_of_the_same_schedule_touch_the_same_scenes(
    session_factory: sessionmaker[Session],
) -> None:
    """The USS board's `89PT1`, `115A` on two strips and `42, 43` on one strip, and the
    one-liner's `89pt1`, `115A pt 1`, `115a pt2` and `"42, 43"` are the same scenes: the CSV
    re-import moves and changes them, and adds or removes none."""
    uss = (FIXTURES / "uss" / "commercial_export.uss").read_text(encoding="utf-8")
    csv = (FIXTURES / "csv" / "harbour_one_liner.csv").read_text(encoding="utf-8")
    with session_scope(session_factory) as session:
        production = _production(session)
        first = _import(session, production, uss)
        assert set(first.values()) == {Kind.ADDED} and len(first) == 14
        second = _import(session, production, csv)
        assert set(second) == set(first)
        assert Kind.ADDED not in second.values() and Kind.REMOVED not in second.values()
        assert second["1"] is Kind.MOVED  # 07:00 estimated → 7:30 AM
        stored = _scenes(session)
        assert len(stored) == 14 and not any(s.removed for s in stored.values())
        # Cast 4 (the dockhand, not on Slack) matched by character, cast "01, 02" by number.
        assert [c.cast_number for c in stored["115APT1"].cast] == ["2", "4"]
        assert [c.cast_number for c in stored["89PT1"].cast] == ["1", "2"]
        night = stored["11"]
        assert night.after_midnight and night.day_call == time(18)
        assert night.start_at.astimezone(LA).isoformat() == "2025-06-07T01:30:00-07:00"
        assert stored["8"].intimacy and stored["8"].intimacy_undecided


def test_the_coordinators_start_time_for_a_night_scene_stays_on_its_working_day(
    session_factory: sessionmaker[Session],
) -> None:
    """Scene 11 is at 01:30 after midnight (call 18:00). The coordinator moves it to 23:00:
    re-importing keeps 23:00 on the working day, the evening before, not the next night."""
    csv = (FIXTURES / "csv" / "harbour_one_liner.csv").read_text(encoding="utf-8")
    with session_scope(session_factory) as session:
        production = _production(session)
        _import(session, production, csv)
        for number, override in (("11", time(23)), ("10", time(2))):
            stored = _scenes(session)[number]
            stored.start_time_override = override
        kinds = _import(session, production, csv)
        assert kinds["11"] is Kind.MOVED and kinds["10"] is Kind.MOVED
        stored = _scenes(session)
        assert stored["11"].start_at.astimezone(LA).isoformat() == "2025-06-06T23:00:00-07:00"
        assert not stored["11"].after_midnight and stored["11"].shoot_date == date(2025, 6, 6)
        assert stored["10"].start_at.astimezone(LA).isoformat() == "2025-06-07T02:00:00-07:00"
        assert stored["10"].after_midnight


def test_undecided_intimacy_is_asked_about_until_the_coordinator_decides(
    session_factory: sessionmaker[Session],
) -> None:
    csv = (FIXTURES / "csv" / "harbour_one_liner.csv").read_text(encoding="utf-8")
    with session_scope(session_factory) as session:
        production = _production(session)
        schedule = parse_schedule(csv, production)
        plan = plan_schedule_import(session, production=production, schedule=schedule)
        summary = plan.summary(LA)
        assert (
            "+ Scene 8 added: Fri 06 Jun 2025 20:00, ROSE'S FLAT - BEDROOM · intimacy undecided"
            in (summary)
        )
        assert "Intimacy undecided in scene(s) 8: their performers are asked" in summary
        assert "+ Scene 11 added: Sat 07 Jun 2025 01:30, after midnight, ROSE'S FLAT" in summary
        _import(session, production, csv)
        undecided = _scenes(session)["8"]
        prompts = session.scalars(
            select(Delivery).where(
                Delivery.scene_id == undecided.id, Delivery.kind == DeliveryKind.PROMPT
            )
        ).all()
        assert {p.recipient for p in prompts} == {"U0ROSE0001", "U0TOMP0002"}

        decide_intimacy(session, scene=undecided, intimate=False, actor="UC", team_id="T1", now=NOW)
        session.flush()
        assert {p.status for p in prompts} == {DeliveryStatus.CANCELLED}
        assert not undecided.intimacy and not undecided.intimacy_undecided
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "scene.intimacy.decide")
        )
        assert event is not None and event.actor == "UC" and event.subject == "scene:8"
        assert event.detail["intimate"] is False
        # A re-import that still says TBD keeps the coordinator's word.
        assert _import(session, production, csv)["8"] is Kind.UNCHANGED
        assert not _scenes(session)["8"].intimacy

        decide_intimacy(session, scene=undecided, intimate=True, actor="UC", team_id="T1", now=NOW)
        session.flush()
        waiting = session.scalars(
            select(Delivery).where(
                Delivery.scene_id == undecided.id,
                Delivery.kind == DeliveryKind.PROMPT,
                Delivery.status == DeliveryStatus.PLANNED,
            )
        ).all()
        assert undecided.intimacy and len(waiting) == 2


def test_people_who_cannot_be_asked_are_listed_and_confirmed_in_person(
    session_factory: sessionmaker[Session],
) -> None:
    text = (
        "Scene,Date,Time,Set,Cast,Intimacy\n"
        '42,2025-06-10,14:30,INT. BEDROOM,"1, 4, 12",yes\n'
        '43,2025-06-10,16:00,INT. KITCHEN,"3, 14",no\n'
    )
    with session_scope(session_factory) as session:
        production = _production(session)
        schedule = parse_schedule(text, production)
        plan = plan_schedule_import(session, production=production, schedule=schedule)
        summary = plan.summary(LA)
        assert "  scene 42: cast 4 is not on Slack, cast 12 is not on the cast list" in summary
        assert "Not on the cast list (only in scenes without intimacy): cast 14." in summary
        assert "Day Player" not in summary  # cast numbers only, never a name
        out = plan_json(plan, production, applied=False)
        row = next(s for s in out["scenes"] if s["number"] == "42")
        assert row["cast"] == ["1", "4", "12"] and row["intimacy"] == "yes"
        assert row["cannot_be_asked"] == [
            {"cast_number": "4", "why": "is not on Slack"},
            {"cast_number": "12", "why": "is not on the cast list"},
        ]
        _import(session, production, text)
        stored = _scenes(session)["42"]
        assert [(o.cast_number, o.listed, o.confirmed) for o in offline_states(stored)] == [
            ("4", True, False),
            ("12", False, False),
        ]
        prompts = session.scalars(
            select(Delivery.recipient).where(
                Delivery.scene_id == stored.id, Delivery.kind == DeliveryKind.PROMPT
            )
        ).all()
        assert prompts == ["U0ROSE0001"]  # nobody without Slack is messaged
        confirm_in_person(
            session, scene=stored, cast_number="12", actor="UC", team_id="T1", now=NOW
        )
        assert [o.confirmed for o in offline_states(stored)] == [False, True]
        assert not all_confirmed(session, stored)
        # Cast 12 joins the cast list (on Slack): they join the scene and are asked from now on.
        apply_roster(
            session,
            production_id=production.id,
            entries=[*ROSTER, RosterEntry("12", "Tommy", "Tom Kid", "U0TOMK0012")],
        )
        session.refresh(stored)
        assert [c.cast_number for c in stored.cast] == ["1", "4", "12"]
        assert stored.unlisted_cast == []
        # Cast 4 leaves the cast list: still in the scene, as not on the cast list.
        apply_roster(
            session,
            production_id=production.id,
            entries=[*ROSTER[:3], RosterEntry("12", "Tommy", "Tom Kid", "U0TOMK0012")],
        )
        session.refresh(stored)
        assert [c.cast_number for c in stored.cast] == ["1", "12"]
        assert stored.unlisted_cast == ["4"]


def test_only_a_coordinator_of_the_production_decides(
    session_factory: sessionmaker[Session],
) -> None:
    from bot.access import Refusal
    from bot.decisions import coordinators_scene

    text = "Scene,Date,Time,Cast,Intimacy\n42,2025-06-10,14:30,1,TBD\n"
    with session_scope(session_factory) as session:
        production = _production(session)
        _import(session, production, text)
        scene_id = _scenes(session)["42"].id
        for outsider in ("UA", "U0ROSE0001", "U0STRANGER"):  # the AD, a performer, nobody
            with pytest.raises(Refusal, match="Only a coordinator"):
                coordinators_scene(
                    session, scene_id=scene_id, team_id="T1", user_id=outsider, doing="decide"
                )
        with pytest.raises(Refusal, match="no longer on the schedule"):  # from another workspace
            coordinators_scene(session, scene_id=scene_id, team_id="T2", user_id="UC", doing="d")
        assert coordinators_scene(
            session, scene_id=scene_id, team_id="T1", user_id="UC", doing="decide"
        )


# ------------------------------------------------------------------ builders and forms


def test_the_date_order_question_shows_one_date_read_both_ways() -> None:
    from bot.ids import ImportAction
    from bot.meta import unpack_int
    from handlers.blocks.import_preview import date_order_blocks

    blocks = date_order_blocks(
        title="Schedule: s.csv",
        production="Night Shift",
        example="03/04/2027",
        where="row 2, column 'Date'",
        day_first=date(2027, 4, 3),
        month_first=date(2027, 3, 4),
        pending_id=7,
    )
    buttons = {e["action_id"]: e for e in blocks[1]["elements"]}
    assert buttons[ImportAction.DAY_FIRST]["text"]["text"] == "Day first: 3 April 2027"
    assert buttons[ImportAction.MONTH_FIRST]["text"]["text"] == "Month first: March 4, 2027"
    assert {unpack_int(b["value"], "import", "id") for b in buttons.values()} == {7}
    assert "`03/04/2027` (row 2, column 'Date')" in blocks[0]["text"]["text"]


def test_the_setup_form_keeps_the_date_order() -> None:
    from bot.ids import SetupView
    from bot.setup import SetupForm, check_setup

    form = SetupForm(name="Harbour", zone="America/Los_Angeles", coordinators=("UC",))
    for chosen, stored in (("ask", None), ("dmy", "dmy"), ("mdy", "mdy")):
        setup, errors = check_setup(SetupForm(**{**form.__dict__, "date_order": chosen}))
        assert setup is not None and setup.date_order == stored and not errors
    _, errors = check_setup(SetupForm(**{**form.__dict__, "date_order": "ymd"}))
    assert SetupView.DATE_ORDER in errors
