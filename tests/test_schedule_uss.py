"""Tests for the USS (Universal Schedule Standard) schedule reader.

The main fixture has two stripboards over one calendar that starts on Thursday 22 May 2025,
with Saturdays and Sundays off and Monday 26 May as a 'dayOff' holiday, so its shoot days are
Thu 22, Fri 23, Tue 27 and Wed 28 May.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.problems import InputRejected, Problem
from bot.schedule.model import ImportedSchedule
from bot.schedule.uss import MAX_BYTES, looks_like_uss, parse_uss

FIXTURES = Path(__file__).parent / "fixtures" / "uss"
LONDON = ZoneInfo("Europe/London")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
WHITE = "White - Shooting Order"
BLUE = "Blue - Weather Cover"
SENSITIVE = ("Simulated kiss", "nudity", "Embrace")

Json = dict[str, object]


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def edited(change: Callable[[Json], None], name: str = "two_stripboards.uss") -> str:
    """The fixture after `change` edited its root object in place."""
    data = json.loads(fixture(name))
    change(data["universalScheduleStandard"])
    return json.dumps(data)


def root_list(root: Json, key: str) -> list[Json]:
    value = root[key]
    assert isinstance(value, list)
    return value


def by_id(root: Json, key: str, ident: str) -> Json:
    return next(item for item in root_list(root, key) if item["id"] == ident)


def board_ids(root: Json, stripboard: int, board: int = 0) -> list[str]:
    boards = root_list(root, "stripboards")[stripboard]["boards"]
    assert isinstance(boards, list)
    ids = boards[board]["breakdownIds"]
    assert isinstance(ids, list)
    return ids


def days(schedule: ImportedSchedule) -> dict[date, list[tuple[str, str]]]:
    """Scene numbers and estimated local start times, day by day."""
    out: dict[date, list[tuple[str, str]]] = {}
    for scene in schedule.scenes:
        assert scene.start_at.date() == scene.shoot_date
        out.setdefault(scene.shoot_date, []).append(
            (scene.number, scene.start_at.strftime("%H:%M"))
        )
    return out


def rejected(text: str, **kwargs: object) -> list[Problem]:
    zone = kwargs.pop("zone", LONDON)
    assert isinstance(zone, ZoneInfo)
    with pytest.raises(InputRejected) as caught:
        parse_uss(text, zone, **kwargs)  # type: ignore[arg-type]
    return caught.value.problems


WHITE_DAYS = {
    date(2025, 5, 22): [("1", "07:00"), ("2", "08:30"), ("3", "09:15")],
    date(2025, 5, 23): [("4", "07:00"), ("5", "08:00")],
    # Sat 24, Sun 25 (weekly days off) and Mon 26 (dayOff holiday) are skipped; the 30-minute
    # company-move banner after scene 6 delays scene 7.
    date(2025, 5, 27): [("6", "07:00"), ("7", "10:30")],
}

BLUE_DAYS = {
    date(2025, 5, 22): [("7", "07:00"), ("6", "08:00")],
    date(2025, 5, 23): [("5", "07:00"), ("3", "07:30"), ("1", "09:30")],
    date(2025, 5, 27): [("2", "07:00")],
    date(2025, 5, 28): [("4", "07:00")],
}


# ---------------------------------------------------------------------------- days and times


def test_white_stripboard_day_by_day_in_london() -> None:
    schedule = parse_uss(fixture("two_stripboards.uss"), LONDON, stripboard=WHITE)
    assert days(schedule) == WHITE_DAYS
    assert schedule.source_format == "uss"
    assert all(s.start_at.tzinfo == LONDON for s in schedule.scenes)
    assert all(s.start_estimated for s in schedule.scenes)


def test_blue_stripboard_day_by_day_in_london() -> None:
    schedule = parse_uss(fixture("two_stripboards.uss"), LONDON, stripboard=BLUE)
    assert days(schedule) == BLUE_DAYS


@pytest.mark.parametrize(("name", "expected"), [(WHITE, WHITE_DAYS), (BLUE, BLUE_DAYS)])
def test_same_local_days_and_times_in_los_angeles(
    name: str, expected: dict[date, list[tuple[str, str]]]
) -> None:
    schedule = parse_uss(fixture("two_stripboards.uss"), LOS_ANGELES, stripboard=name)
    assert days(schedule) == expected
    first = schedule.scenes[0]
    assert first.start_at.tzinfo == LOS_ANGELES
    assert first.start_at.utcoffset() == timedelta(hours=-7)


def test_default_call_shifts_every_estimate() -> None:
    schedule = parse_uss(
        fixture("two_stripboards.uss"), LONDON, stripboard=WHITE, default_call=time(6, 30)
    )
    assert days(schedule)[date(2025, 5, 27)] == [("6", "06:30"), ("7", "10:00")]


def test_rows_are_strip_positions_on_the_board() -> None:
    schedule = parse_uss(fixture("two_stripboards.uss"), LONDON, stripboard=WHITE)
    assert [(s.number, s.row) for s in schedule.scenes] == [
        ("1", 1), ("2", 2), ("3", 3), ("4", 5), ("5", 6), ("6", 8), ("7", 10),
    ]  # fmt: skip


def test_breakdown_gives_cast_set_and_synopsis() -> None:
    schedule = parse_uss(fixture("two_stripboards.uss"), LONDON, stripboard=WHITE)
    scene = {s.number: s for s in schedule.scenes}
    assert scene["6"].cast_refs == ("1", "2", "4")
    assert scene["6"].set_name == "BUILDING AND LOAN"
    assert scene["6"].synopsis == "Run on the bank"
    assert scene["7"].cast_refs == ("1",)  # the prop is not cast


def test_boneyard_scene_left_out_with_a_note() -> None:
    schedule = parse_uss(fixture("two_stripboards.uss"), LONDON, stripboard=BLUE)
    assert "8" not in {s.number for s in schedule.scenes}
    assert schedule.notes == ("1 scene(s) in the boneyard were left out (not scheduled).",)


def test_calendar_is_the_one_the_stripboard_names() -> None:
    """The first calendar (a June start) is not referenced; using it would move every day."""
    schedule = parse_uss(fixture("two_stripboards.uss"), LONDON, stripboard=WHITE)
    assert schedule.scenes[0].shoot_date == date(2025, 5, 22)


def test_without_the_holiday_monday_is_a_shoot_day() -> None:
    def drop_holiday(root: Json) -> None:
        calendar = by_id(root, "calendars", "6650a1000000000000ca0002")
        events = calendar["events"]
        assert isinstance(events, list)
        calendar["events"] = [e for e in events if e["type"] != "dayOff"]

    schedule = parse_uss(edited(drop_holiday), LONDON, stripboard=WHITE)
    assert schedule.scenes[-1].shoot_date == date(2025, 5, 26)


# ---------------------------------------------------------------------------- intimacy


def test_intimacy_is_unknown_without_a_category() -> None:
    schedule = parse_uss(fixture("two_stripboards.uss"), LONDON, stripboard=WHITE)
    assert {s.intimacy for s in schedule.scenes} == {None}
    assert {s.planned_content for s in schedule.scenes} == {None}


def test_intimacy_category_marks_scenes_and_lists_content() -> None:
    schedule = parse_uss(
        fixture("two_stripboards.uss"), LONDON, stripboard=WHITE, intimacy_category="INTIMACY"
    )
    scene = {s.number: s for s in schedule.scenes}
    assert scene["2"].intimacy is True
    assert scene["2"].planned_content == "Simulated kiss, closed mouth"
    assert scene["5"].intimacy is True
    assert scene["5"].planned_content == "Partial nudity (back); Embrace on bed"
    assert scene["1"].intimacy is False
    assert scene["1"].planned_content is None
    assert not any(word in note for note in schedule.notes for word in SENSITIVE)


def test_unknown_intimacy_category_is_a_problem() -> None:
    problems = rejected(
        fixture("two_stripboards.uss"), stripboard=WHITE, intimacy_category="Nudity"
    )
    assert len(problems) == 1
    assert problems[0].column == "categories"
    assert "'Intimacy'" in problems[0].message and "'Cast Members'" in problems[0].message


def test_sensitive_element_names_stay_out_of_problems() -> None:
    def break_scene_2(root: Json) -> None:
        scene = by_id(root, "breakdowns", "6650a10000000000000b0002")
        scene["elements"] = [*scene["elements"], "no-such-element"]  # type: ignore[misc]
        scene["scene"] = "1"

    problems = rejected(edited(break_scene_2), stripboard=WHITE, intimacy_category="Intimacy")
    assert problems
    assert not any(word in str(p) for p in problems for word in SENSITIVE)


# ---------------------------------------------------------------------------- choosing a board


def test_several_stripboards_and_none_chosen() -> None:
    problems = rejected(fixture("two_stripboards.uss"))
    assert len(problems) == 1
    assert f"'{WHITE}'" in problems[0].message and f"'{BLUE}'" in problems[0].message
    assert problems[0].column == "stripboards"


def test_stripboard_that_does_not_exist() -> None:
    problems = rejected(fixture("two_stripboards.uss"), stripboard="Pink - Revised")
    assert len(problems) == 1
    assert "'Pink - Revised'" in problems[0].message
    assert f"'{WHITE}'" in problems[0].message and f"'{BLUE}'" in problems[0].message


def test_stripboard_name_ignores_case() -> None:
    schedule = parse_uss(fixture("two_stripboards.uss"), LONDON, stripboard=BLUE.upper())
    assert days(schedule) == BLUE_DAYS


def test_only_stripboard_is_used_without_a_name() -> None:
    def keep_blue(root: Json) -> None:
        root["stripboards"] = root_list(root, "stripboards")[1:]

    assert days(parse_uss(edited(keep_blue), LONDON)) == BLUE_DAYS


def test_breakdown_only_file_has_nothing_to_schedule() -> None:
    def drop_schedule(root: Json) -> None:
        root["stripboards"] = []
        root["calendars"] = []

    problems = rejected(edited(drop_schedule))
    assert [p.column for p in problems] == ["stripboards"]


# ---------------------------------------------------------------------------- bad input


def test_malformed_json_gives_line_and_column() -> None:
    problems = rejected(fixture("malformed.uss"))
    assert len(problems) == 1
    assert "line 5, column 5" in problems[0].message
    assert "Expecting ',' delimiter" in problems[0].message


def test_json_that_is_not_uss() -> None:
    problems = rejected('{"scenes": []}')
    assert problems[0].column == "universalScheduleStandard"


def test_file_over_the_size_limit() -> None:
    problems = rejected(" " * (MAX_BYTES + 1))
    assert len(problems) == 1 and "10 MB" in problems[0].message


def test_dst_gap_in_london_is_a_problem_on_that_strip() -> None:
    problems = rejected(fixture("dst_london.uss"), default_call=time(0, 30))
    assert len(problems) == 1
    assert (problems[0].row, problems[0].column) == (2, "time")
    assert "01:30" in problems[0].message and "does not exist" in problems[0].message


def test_same_night_is_fine_in_los_angeles() -> None:
    schedule = parse_uss(fixture("dst_london.uss"), LOS_ANGELES, default_call=time(0, 30))
    assert days(schedule) == {date(2025, 3, 30): [("30", "00:30"), ("31", "01:30")]}


def test_estimate_past_midnight_is_a_problem() -> None:
    problems = rejected(fixture("two_stripboards.uss"), stripboard=WHITE, default_call=time(22, 0))
    # Day 1: 22:00, 23:30, then scene 3 at 00:15; day 3: scene 7 after 3h30 of strips.
    assert [(p.row, p.column) for p in problems] == [(3, "time"), (10, "time")]
    assert "midnight" in problems[0].message


def test_every_problem_is_reported_together() -> None:
    def break_things(root: Json) -> None:
        board_ids(root, 0)[4] = "6650a1000000000000000bad"  # scene 4's strip: no breakdown
        scene_2 = by_id(root, "breakdowns", "6650a10000000000000b0002")
        scene_2["elements"] = ["6650a10000000000000e0021", "6650a1000000000000000e99"]
        by_id(root, "breakdowns", "6650a10000000000000b0007")["scene"] = "3"  # duplicate

    problems = rejected(edited(break_things), stripboard=WHITE)
    assert sorted((p.row, p.column) for p in problems) == [
        (2, "elements"), (5, "breakdownIds"), (10, "scene"),
    ]  # fmt: skip
    messages = " ".join(p.message for p in problems)
    assert "6650a1000000000000000bad" in messages
    assert "6650a1000000000000000e99" in messages
    assert "row 3" in messages


def test_scene_problems_are_reported_even_when_the_calendar_is_unusable() -> None:
    def break_calendar_and_scene(root: Json) -> None:
        by_id(root, "calendars", "6650a1000000000000ca0002")["daysOff"] = "weekends"
        by_id(root, "breakdowns", "6650a10000000000000b0004")["scene"] = ""

    problems = rejected(edited(break_calendar_and_scene), stripboard=WHITE)
    assert sorted((p.row or 0, p.column) for p in problems) == [(0, "daysOff"), (5, "scene")]


def test_calendar_without_start_event() -> None:
    def drop_start(root: Json) -> None:
        calendar = by_id(root, "calendars", "6650a1000000000000ca0002")
        events = calendar["events"]
        assert isinstance(events, list)
        calendar["events"] = [e for e in events if e["type"] != "start"]

    problems = rejected(edited(drop_start), stripboard=WHITE)
    assert [p.column for p in problems] == ["events"]


def test_bad_weekly_days_off() -> None:
    def bad_days(root: Json) -> None:
        by_id(root, "calendars", "6650a1000000000000ca0002")["daysOff"] = [0, 7]

    problems = rejected(edited(bad_days), stripboard=WHITE)
    assert [p.column for p in problems] == ["daysOff"]


def test_unknown_calendar_id() -> None:
    def bad_calendar(root: Json) -> None:
        root_list(root, "stripboards")[0]["calendar"] = "nope"

    problems = rejected(edited(bad_calendar), stripboard=WHITE)
    assert [p.column for p in problems] == ["calendar"]


# ---------------------------------------------------------------------------- spec variants


def test_validator_schema_spelling_reads_the_same() -> None:
    """uss-validator's schema says `duration` (not `time`), `ussVersion`, and puts the category
    id on each element instead of listing elements on the category."""

    def respell(root: Json) -> None:
        root["ussVersion"] = root.pop("version")
        for breakdown in root_list(root, "breakdowns"):
            breakdown["duration"] = breakdown.pop("time")
        owner = {}
        for category in root_list(root, "categories"):
            listed = category.pop("elements")
            assert isinstance(listed, list)
            owner.update(dict.fromkeys(listed, category["id"]))
        for element in root_list(root, "elements"):
            element["category"] = owner[element["id"]]

    text = edited(respell)
    assert '"time"' not in text
    schedule = parse_uss(text, LONDON, stripboard=WHITE, intimacy_category="intimacy")
    assert days(schedule) == WHITE_DAYS
    assert {s.number: s.cast_refs for s in schedule.scenes}["6"] == ("1", "2", "4")
    assert [s.number for s in schedule.scenes if s.intimacy] == ["2", "5"]


def test_breakdown_arrays_give_one_day_per_inner_list() -> None:
    """The official full sample lists each day's strips as an inner list of `breakdownArrays`."""

    def to_arrays(root: Json) -> None:
        ids = board_ids(root, 1)
        board = root_list(root, "stripboards")[1]["boards"][0]  # type: ignore[index]
        del board["breakdownIds"]
        arrays: list[list[str]] = [[]]
        for ident in ids:
            if ident.startswith("6650a10000000000000d"):
                arrays.append([])
            else:
                arrays[-1].append(ident)
        board["breakdownArrays"] = arrays[:-1]

    schedule = parse_uss(edited(to_arrays), LONDON, stripboard=BLUE)
    assert days(schedule) == BLUE_DAYS


def test_scenes_after_the_last_day_strip_go_on_the_next_day() -> None:
    def drop_last_day_strip(root: Json) -> None:
        board_ids(root, 0).pop()

    schedule = parse_uss(edited(drop_last_day_strip), LONDON, stripboard=WHITE)
    assert days(schedule) == WHITE_DAYS
    assert "2 scene(s) after the last day strip were put on shoot day 3." in schedule.notes


def test_board_that_opens_days_with_day_strips() -> None:
    def day_strip_first(root: Json) -> None:
        ids = board_ids(root, 1)
        ids.insert(0, ids.pop())

    schedule = parse_uss(edited(day_strip_first), LONDON, stripboard=BLUE)
    assert days(schedule) == BLUE_DAYS
    assert any("start of a shoot day" in note for note in schedule.notes)


def test_holiday_written_as_an_ordinary_event_is_noted_not_skipped() -> None:
    def holiday_as_event(root: Json) -> None:
        calendar = by_id(root, "calendars", "6650a1000000000000ca0002")
        events = calendar["events"]
        assert isinstance(events, list)
        for event in events:
            if event["type"] == "dayOff":
                event["type"] = "event"

    schedule = parse_uss(edited(holiday_as_event), LONDON, stripboard=WHITE)
    assert schedule.scenes[-1].shoot_date == date(2025, 5, 26)
    assert any("2025-05-26" in note and "dayOff" in note for note in schedule.notes)


def test_start_on_a_weekend_moves_to_the_next_working_day() -> None:
    def start_saturday(root: Json) -> None:
        calendar = by_id(root, "calendars", "6650a1000000000000ca0002")
        events = calendar["events"]
        assert isinstance(events, list)
        events[0]["date"] = "2025-05-17T07:00:00.000Z"

    schedule = parse_uss(edited(start_saturday), LONDON, stripboard=WHITE)
    assert schedule.scenes[0].shoot_date == date(2025, 5, 19)
    assert any("2025-05-17" in note for note in schedule.notes)


def test_scene_without_duration_counts_as_zero_with_a_note() -> None:
    def untimed(root: Json) -> None:
        by_id(root, "breakdowns", "6650a10000000000000b0001")["time"] = None

    schedule = parse_uss(edited(untimed), LONDON, stripboard=WHITE)
    assert days(schedule)[date(2025, 5, 22)] == [("1", "07:00"), ("2", "07:00"), ("3", "07:45")]
    assert any("no estimated duration" in note for note in schedule.notes)


# ---------------------------------------------------------------------------- sniffing


def test_looks_like_uss() -> None:
    assert looks_like_uss(fixture("two_stripboards.uss"))
    assert looks_like_uss("\ufeff" + fixture("dst_london.uss"))
    assert not looks_like_uss("scene,date,start\n1,2025-05-22,07:00\n")
    assert not looks_like_uss('{"scenes": []}')
    assert not looks_like_uss("")
