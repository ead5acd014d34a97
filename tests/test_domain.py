"""Plain domain pieces, tested without Slack or a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.access import split_production
from bot.durations import format_duration, parse_duration
from bot.ids import SetupView
from bot.imports import FileKind, detect_kind, schedule_from_payload, schedule_payload
from bot.meta import pack, unpack, unpack_int
from bot.schedule.diff import Kind, SceneState, plan_schedule_change, summary_lines
from bot.schedule.model import ImportedScene, ImportedSchedule
from bot.setup import SetupForm, check_setup
from bot.timeutil import AmbiguousLocalTime, NonexistentLocalTime, localize

LONDON = ZoneInfo("Europe/London")
LA = ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("90m", 90),
        ("2h", 120),
        ("2d", 2880),
        ("1d 6h", 1800),
        ("1d6h30m", 1830),
        ("48H", 2880),
        (" 6h 1d ", 1800),
        ("1d, 2h", 1560),
    ],
)
def test_durations(text: str, minutes: int) -> None:
    assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["", "soon", "2", "2 weeks", "1h 1h", "0m", "h2", "2h x"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_format_duration() -> None:
    assert format_duration(timedelta(hours=48)) == "2d"
    assert format_duration(timedelta(minutes=1830)) == "1d 6h 30m"
    assert format_duration(timedelta(minutes=90)) == "1h 30m"


@pytest.mark.parametrize(
    ("zone", "day", "at", "error"),
    [
        (LONDON, date(2026, 3, 29), time(1, 30), NonexistentLocalTime),
        (LONDON, date(2026, 10, 25), time(1, 30), AmbiguousLocalTime),
        (LA, date(2026, 3, 8), time(2, 30), NonexistentLocalTime),
        (LA, date(2026, 11, 1), time(1, 30), AmbiguousLocalTime),
    ],
)
def test_localize_refuses_dst_gaps_and_overlaps(
    zone: ZoneInfo, day: date, at: time, error: type[Exception]
) -> None:
    with pytest.raises(error):
        localize(day, at, zone)


@pytest.mark.parametrize(
    ("zone", "day", "at", "utc"),
    [
        (LONDON, date(2026, 3, 29), time(0, 59), datetime(2026, 3, 29, 0, 59, tzinfo=UTC)),
        (LONDON, date(2026, 3, 29), time(2, 0), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        (LONDON, date(2026, 10, 25), time(2, 0), datetime(2026, 10, 25, 2, 0, tzinfo=UTC)),
        (LA, date(2026, 3, 8), time(3, 0), datetime(2026, 3, 8, 10, 0, tzinfo=UTC)),
    ],
)
def test_localize_on_both_sides_of_a_change(
    zone: ZoneInfo, day: date, at: time, utc: datetime
) -> None:
    assert localize(day, at, zone) == utc


def _state(number: str, hour: int = 14, **changes: object) -> SceneState:
    base = SceneState(
        number=number,
        start_at=datetime(2026, 3, 10, hour, tzinfo=UTC),
        set_name="Bedroom",
        cast=("1", "2"),
        intimacy=True,
        planned_content="kiss",
        synopsis="story",
    )
    return SceneState(**{**base.__dict__, **changes})


def test_schedule_diff_kinds() -> None:
    current = [_state("1"), _state("2"), _state("3"), _state("4")]
    incoming = [
        _state("1"),
        _state("2", hour=16, set_name="Kitchen"),
        _state("3", planned_content="kiss and touch"),
        _state("5"),
    ]
    diff = plan_schedule_change(current, incoming)
    kinds = {c.number: c.kind for c in diff.changes}
    assert kinds == {
        "1": Kind.UNCHANGED,
        "2": Kind.MOVED,
        "3": Kind.CHANGED,
        "4": Kind.REMOVED,
        "5": Kind.ADDED,
    }
    changed = next(c for c in diff.changes if c.number == "3")
    assert changed.content_changed and changed.fields == ("planned content",)
    lines = "\n".join(summary_lines(diff, LONDON))
    assert "kiss" not in lines and "story" not in lines  # names of fields, never content
    assert "Scene 2 moved" in lines and "also changed: set" in lines


def test_setup_form_checks() -> None:
    good = SetupForm(name="  Night   Shift ", zone="Europe/London", coordinators=("U1",))
    setup, errors = check_setup(good)
    assert errors == {} and setup is not None
    assert setup.name == "Night Shift" and setup.lead == timedelta(hours=48)
    assert setup.tolerance == timedelta(hours=1)
    tolerant, _ = check_setup(SetupForm(name="N", zone="UTC", coordinators=("U1",), tolerance=""))
    assert tolerant is not None and tolerant.tolerance == timedelta(hours=1)  # empty: default
    tolerant, _ = check_setup(SetupForm(name="N", zone="UTC", coordinators=("U1",), tolerance="2h"))
    assert tolerant is not None and tolerant.tolerance == timedelta(hours=2)
    quiet, _ = check_setup(
        SetupForm(name="N", zone="UTC", coordinators=("U1",), departments=("C1", "C2", "C1"))
    )
    assert quiet is not None and quiet.quiet == timedelta(minutes=15)
    assert quiet.departments == ("C1", "C2")
    assert quiet.checkin_window == timedelta(minutes=5)
    assert quiet.closure_after == timedelta(hours=4)
    assert quiet.reminders == "18:00 evening before, 2h before, 30m before"
    _, errors = check_setup(
        SetupForm(
            name="",
            zone="UTC+2",
            coordinators=(),
            lead="12h",
            nudge="12h",
            escalation="13h",
            default_call="25:00",
            tolerance="soon",
            quiet="later",
            checkin_window="a while",
            reminders="sometime",
        )
    )
    assert set(errors) == {
        SetupView.CHECKIN_WINDOW,
        SetupView.REMINDERS,
        SetupView.QUIET,
        SetupView.TOLERANCE,
        SetupView.NAME,
        SetupView.ZONE,
        SetupView.COORDINATORS,
        SetupView.NUDGE,
        SetupView.ESCALATION,
        SetupView.CALL,
    }


def test_metadata_holds_ids_only_and_checks_kind() -> None:
    value = pack("import", id=12)
    assert unpack(value, "import") == {"id": 12}
    assert unpack_int(value, "import", "id") == 12
    for bad in (
        "",
        "not json",
        pack("page", id=1),
        '{"v":9,"k":"import","id":1}',
        '{"v":1,"k":"import","id":{"name":"Jane"}}',
    ):
        with pytest.raises(ValueError):
            unpack(bad, "import")


def test_split_production() -> None:
    assert split_production("42A in Night Shift") == ("42A", "Night Shift")
    assert split_production("42A") == ("42A", None)


def test_detect_kind() -> None:
    assert detect_kind("Cast #,Character,Performer,Slack\n1,A,B,U1\n") is FileKind.CAST
    assert detect_kind("Scene,Shoot Date,Cast\n1,2026-01-01,1\n") is FileKind.SCHEDULE
    assert detect_kind('{"universalScheduleStandard": {}}') is FileKind.SCHEDULE


def test_schedule_payload_roundtrip() -> None:
    scene = ImportedScene(
        number="42A",
        shoot_date=date(2026, 3, 10),
        start_at=datetime(2026, 3, 10, 14, 30, tzinfo=LONDON),
        set_name="Bedroom",
        cast_refs=("1", "Jane"),
        intimacy=True,
        planned_content="kiss",
        synopsis="s",
        start_estimated=True,
        row=2,
    )
    schedule = ImportedSchedule((scene,), "csv", ("note",))
    from bot.imports import SchedulePlan
    from bot.schedule.diff import ScheduleDiff

    payload = schedule_payload(SchedulePlan(schedule, {}, ScheduleDiff(()), "x"))
    assert schedule_from_payload(payload) == schedule
