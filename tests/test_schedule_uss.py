"""Tests for the USS (Universal Schedule Standard) schedule reader.

Fixtures in tests/fixtures/uss/ (all hand-written for these tests; none is a copy):

- `two_stripboards.uss`, `dst_london.uss`: the earlier draft's layout (flat `breakdownIds` with
  strips of type "day", `time`, `version`, categories listing their elements), which the reader
  keeps reading. The main one has two stripboards over one calendar that starts on Thursday
  22 May 2025, with Saturdays and Sundays off and Monday 26 May as a 'dayOff' holiday, so its
  shoot days are Thu 22, Fri 23, Tue 27 and Wed 28 May.
- `published_layout.uss`: laid out like UniversalScheduleStandard/UniversalScheduleStandard
  `samples/small_sample_schedule.uss` at tag 1.0.0
  (commit 7dca23fa9be81dac911cd2fa53132499689c0bdb): a "Script Order" stripboard with a flat
  board and a "First Pass" stripboard whose one day group holds a title banner and part 1 of a
  split scene.
- `commercial_export.uss`: shaped like a scheduling app's 1.0.0 export (as in uss-validator
  `test/large_sample_schedule.uss`, commit 146daf873c6c2c8314960d686d2a980b97acb4dc): "Set"
  numbered 600, "Cast" by that name, day groups closed by "End of Day" banners, lunch, company
  move and call banners, a holiday written as an event, a turnaround 'dayOff', a split scene
  89PT1 / "89 pt 2", the same number twice (115a, 115A), a strip for "42, 43", a strip without
  a scene number, a banner carrying a scene value, and a night shoot with call 18:00 past
  midnight. London shoot days: Mon 2, Tue 3, (Wed 4 holiday) Thu 5, (Fri 6 off) Mon 9 June 2025.
- `night_dst.uss`: one night from 18:00 to 03:00 starting on Saturday 29 March 2025, the night
  the clocks go forward in London.
- `schema/uss-1.0.0.schema.json`: a JSON Schema written from docs/docs.md at tag 1.0.0 with the
  same constraints as uss-validator `schemas/schema_v1.0.0.js` (see its `$comment`). Every
  fixture used as USS 1.0.0 is validated against it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest

from bot.problems import InputRejected, Problem
from bot.schedule.csv_format import parse_schedule_csv
from bot.schedule.model import ImportedScene, ImportedSchedule
from bot.schedule.uss import MAX_BYTES, looks_like_uss, parse_uss
from bot.timeutil import localize

FIXTURES = Path(__file__).parent / "fixtures" / "uss"
SCHEMA = json.loads((FIXTURES / "schema" / "uss-1.0.0.schema.json").read_text(encoding="utf-8"))
LONDON = ZoneInfo("Europe/London")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
WHITE = "White - Shooting Order"
BLUE = "Blue - Weather Cover"
SENSITIVE = ("Simulated kiss", "nudity", "Embrace")
COMMERCIAL = "commercial_export.uss"
NIGHT = "night_dst.uss"

Json = dict[str, object]


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def edited(change: Callable[[Json], None], name: str = "two_stripboards.uss") -> str:
    """The fixture after `change` edited its root object in place."""
    data = json.loads(fixture(name))
    change(data["universalScheduleStandard"])
    return json.dumps(data)


def schema_errors(text: str) -> list[str]:
    validator = jsonschema.Draft7Validator(SCHEMA)
    return [error.message for error in validator.iter_errors(json.loads(text))]


def root_list(root: Json, key: str) -> list[Json]:
    value = root[key]
    assert isinstance(value, list)
    return value


def by_id(root: Json, key: str, ident: str) -> Json:
    return next(item for item in root_list(root, key) if item["id"] == ident)


def by_field(root: Json, key: str, field: str, value: object) -> Json:
    return next(item for item in root_list(root, key) if item[field] == value)


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


def scenes_by_number(schedule: ImportedSchedule) -> dict[str, ImportedScene]:
    return {s.number: s for s in schedule.scenes}


def rejected(text: str, **kwargs: object) -> list[Problem]:
    zone = kwargs.pop("zone", LONDON)
    assert isinstance(zone, ZoneInfo)
    with pytest.raises(InputRejected) as caught:
        parse_uss(text, zone, **kwargs)  # type: ignore[arg-type]
    return caught.value.problems


def messages(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


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

# number, local start, after midnight, strip position, part of
COMMERCIAL_SCENES = [
    ("1", "2025-06-02 07:00", False, 2, None),
    ("89PT1", "2025-06-02 08:30", False, 3, "89"),
    ("115APT1", "2025-06-02 11:30", False, 5, "115A"),  # after a one-hour lunch
    ("3", "2025-06-03 07:00", False, 7, None),
    ("42", "2025-06-03 08:15", False, 9, None),  # after the strip without a scene number
    ("43", "2025-06-03 08:15", False, 9, None),
    ("89PT2", "2025-06-03 10:00", False, 11, "89"),  # after a 45-minute company move
    ("7", "2025-06-05 18:00", False, 14, None),  # Wed 4 is the holiday; crew call 18:00
    ("8", "2025-06-05 20:00", False, 15, None),
    ("9", "2025-06-05 23:30", False, 17, None),  # after a half-hour meal
    ("10", "2025-06-06 00:30", True, 18, None),
    ("11", "2025-06-06 01:30", True, 19, None),
    ("115APT2", "2025-06-09 07:00", False, 21, "115A"),  # Fri 6 is a dayOff (turnaround)
    ("12", "2025-06-09 08:00", False, 23, None),
]


def commercial(**kwargs: object) -> ImportedSchedule:
    return parse_uss(fixture(COMMERCIAL), LONDON, **kwargs)  # type: ignore[arg-type]


def timetable(schedule: ImportedSchedule) -> list[tuple[str, str, bool, int | None, str | None]]:
    return [
        (s.number, s.start_at.strftime("%Y-%m-%d %H:%M"), s.after_midnight, s.row, s.part_of)
        for s in schedule.scenes
    ]


def to_uss_1_0_0(root: Json) -> None:
    """Rewrite the earlier-draft fixture in the USS 1.0.0 layout: day strips become day groups
    (sub-arrays), `time` becomes `duration`, banners get `bannerText`, elements point to their
    category, and the keys docs.md lists for 1.0.0 are filled in."""
    breakdowns = root_list(root, "breakdowns")
    day_ids = {b["id"] for b in breakdowns if b["type"] == "day"}
    root["breakdowns"] = [b for b in breakdowns if b["id"] not in day_ids]
    for b in root_list(root, "breakdowns"):
        b["duration"] = b.pop("time")
        b["bannerText"] = b["description"] if b["type"] == "banner" else None
        if b["type"] == "banner":
            b["description"] = None
    owner: dict[object, object] = {}
    for category in root_list(root, "categories"):
        listed = category.pop("elements")
        assert isinstance(listed, list)
        owner.update(dict.fromkeys(listed, category["id"]))
    renamed = {
        "doodDropAllow": "isDrop",
        "doodDropDays": "dropDayCount",
        "doodHoldAllow": "isHold",
        "doodInclude": "isDood",
        "elementIdLock": "isIdLock",
    }
    for element in root_list(root, "elements"):
        for old, new in renamed.items():
            element[new] = element.pop(old)
        element["category"] = owner[element["id"]]
        element["daysOff"] = []
    root["ussVersion"] = root.pop("version")
    for stripboard in root_list(root, "stripboards"):
        boards = stripboard["boards"]
        assert isinstance(boards, list)
        for board in boards:
            groups: list[list[str]] = [[]]
            for ident in board["breakdownIds"]:
                if ident in day_ids:
                    groups.append([])
                else:
                    groups[-1].append(ident)
            board["breakdownIds"] = groups[:-1] if not groups[-1] else groups


# ---------------------------------------------------------------------------- USS 1.0.0 schema


@pytest.mark.parametrize("name", ["published_layout.uss", COMMERCIAL, NIGHT])
def test_fixtures_used_as_uss_1_0_0_are_valid(name: str) -> None:
    assert schema_errors(fixture(name)) == []


@pytest.mark.parametrize("name", ["two_stripboards.uss", "dst_london.uss"])
def test_earlier_draft_fixtures_are_not_uss_1_0_0(name: str) -> None:
    errors = " ".join(schema_errors(fixture(name)))
    assert "'duration' is a required property" in errors  # they say `time`
    assert "'day' is not one of ['scene', 'banner']" in errors  # 1.0.0 has day groups


def test_same_schedule_in_the_1_0_0_layout_reads_the_same() -> None:
    text = edited(to_uss_1_0_0)
    assert schema_errors(text) == []
    white = parse_uss(text, LONDON, stripboard=WHITE, intimacy_category="Intimacy")
    assert days(white) == WHITE_DAYS
    assert scenes_by_number(white)["6"].cast_refs == ("1", "2", "4")
    assert [s.number for s in white.scenes if s.intimacy] == ["2", "5"]
    assert days(parse_uss(text, LONDON, stripboard=BLUE)) == BLUE_DAYS


# ---------------------------------------------------------------------------- days and times


def test_white_stripboard_day_by_day_in_london() -> None:
    schedule = parse_uss(fixture("two_stripboards.uss"), LONDON, stripboard=WHITE)
    assert days(schedule) == WHITE_DAYS
    assert schedule.source_format == "uss"
    assert all(s.start_at.tzinfo == LONDON for s in schedule.scenes)
    assert all(s.start_estimated for s in schedule.scenes)
    assert not any(s.after_midnight or s.part_of for s in schedule.scenes)


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
    scene = scenes_by_number(schedule)
    assert scene["6"].cast_refs == ("1", "2", "4")
    assert scene["6"].set_name == "BUILDING AND LOAN"
    assert scene["6"].synopsis == "Run on the bank"
    assert scene["7"].cast_refs == ("1",)  # the prop is not cast


def test_boneyard_scene_left_out_with_a_note() -> None:
    schedule = parse_uss(fixture("two_stripboards.uss"), LONDON, stripboard=BLUE)
    assert "8" not in {s.number for s in schedule.scenes}
    assert "1 scene(s) in the boneyard were left out (not scheduled)." in schedule.notes


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


def test_starts_past_midnight_go_on_the_next_date() -> None:
    """A call at 22:00 makes night shoots: what starts after midnight is on the next date.

    (This used to be refused as "past midnight"; a shoot day is a working day.)"""
    schedule = parse_uss(
        fixture("two_stripboards.uss"), LONDON, stripboard=WHITE, default_call=time(22, 0)
    )
    assert timetable(schedule) == [
        ("1", "2025-05-22 22:00", False, 1, None),
        ("2", "2025-05-22 23:30", False, 2, None),
        ("3", "2025-05-23 00:15", True, 3, None),
        ("4", "2025-05-23 22:00", False, 5, None),
        ("5", "2025-05-23 23:00", False, 6, None),
        ("6", "2025-05-27 22:00", False, 8, None),
        ("7", "2025-05-28 01:30", True, 10, None),  # 3 h of scene 6 and a 30-minute move
    ]
    assert all(s.shoot_date == s.start_at.date() for s in schedule.scenes)


# ---------------------------------------------------------------------------- published layout


def test_published_layout_day_group_with_a_title_banner() -> None:
    schedule = parse_uss(fixture("published_layout.uss"), LOS_ANGELES, stripboard="First Pass")
    assert timetable(schedule) == [("14PT1", "2022-06-20 07:00", False, 2, "14")]
    (scene,) = schedule.scenes
    assert scene.set_name == "LIGHTHOUSE - LAMP ROOM"
    assert scene.cast_refs == ("1", "2")
    assert scene.synopsis == "Ada finds the keeper's logbook in the lamp room"
    assert schedule.notes == ()


def test_board_without_day_groups_is_not_a_schedule() -> None:
    problems = rejected(fixture("published_layout.uss"), stripboard="Script Order")
    assert messages(problems) == [
        "The stripboard 'Script Order' is not divided into shooting days, so its scenes have no "
        "dates; choose a scheduled stripboard."
    ]


# ---------------------------------------------------------------------------- a commercial export


def test_commercial_export_day_by_day() -> None:
    schedule = commercial(intimacy_category="Intimacy")
    assert timetable(schedule) == COMMERCIAL_SCENES
    assert all(s.start_at.tzinfo == LONDON for s in schedule.scenes)
    assert all(s.shoot_date == s.start_at.date() for s in schedule.scenes)
    assert schedule.notes == (
        "The calendar's holiday on 2025-06-04 is written as an ordinary event, not a 'dayOff'; "
        "it was taken as a day off.",
        "1 scene(s) in the boneyard were left out (not scheduled).",
        "Strip 8 on the board has no scene number and was skipped.",
        "Scene 115A is on 2 strips; it is imported as parts: 115APT1 (strip 5) and 115APT2 "
        "(strip 21).",
    )


def test_custom_category_numbers_still_give_set_location_and_cast() -> None:
    scene = scenes_by_number(commercial())
    assert scene["1"].set_name == "HARBOUR MASTER'S OFFICE"  # "Set" is numbered 600
    assert scene["3"].set_name == "Portsmouth Historic Dockyard"  # no Set element: Location
    assert scene["1"].cast_refs == ("1", "3")  # the category is called "Cast"
    assert scene["9"].cast_refs == ("2", "DOCKHAND")  # no board ID: the name


def test_category_roles_by_name_whatever_the_numbers() -> None:
    def renumber(root: Json) -> None:
        by_field(root, "categories", "name", "Cast").update(name="Cast Members", ucid=700)
        by_field(root, "categories", "name", "Set").update(ucid=1)  # INT/EXT's number
        by_field(root, "categories", "name", "Location").update(name="Locations", ucid=601)
        by_field(root, "categories", "name", "INT/EXT").update(ucid=0)  # the Set's number

    text = edited(renumber, COMMERCIAL)
    assert schema_errors(text) == []
    scene = scenes_by_number(parse_uss(text, LONDON))
    assert scene["1"].set_name == "HARBOUR MASTER'S OFFICE"
    assert scene["3"].set_name == "Portsmouth Historic Dockyard"
    assert scene["1"].cast_refs == ("1", "3")


def test_intimacy_category_never_shows_as_the_set_or_cast() -> None:
    """An app that numbers its intimacy category 0 (the Set's number) must not put its elements
    in the set name, which ADs see."""

    def collide(root: Json) -> None:
        by_field(root, "categories", "name", "Set").update(name="Scenery")
        by_field(root, "categories", "name", "Intimacy").update(ucid=0)

    schedule = parse_uss(edited(collide, COMMERCIAL), LONDON, intimacy_category="intimacy")
    scene = scenes_by_number(schedule)
    assert scene["11"].planned_content == "Simulated sex, clothed"
    assert all(s.set_name in ("", "Portsmouth Historic Dockyard") for s in schedule.scenes)
    assert not any("Kiss" in s.cast_refs for s in schedule.scenes)


def test_split_scene_parts_each_on_their_shoot_day() -> None:
    scene = scenes_by_number(commercial())
    assert (scene["89PT1"].part_of, scene["89PT1"].shoot_date) == ("89", date(2025, 6, 2))
    assert (scene["89PT2"].part_of, scene["89PT2"].shoot_date) == ("89", date(2025, 6, 3))
    # "115a" and "115A" are the same scene twice: parts in board order
    assert (scene["115APT1"].part_of, scene["115APT1"].row) == ("115A", 5)
    assert (scene["115APT2"].part_of, scene["115APT2"].row) == ("115A", 21)
    assert not {"89", "115A", "115a"} & set(scene)


def test_same_number_twice_becomes_parts_in_board_order() -> None:
    """This used to be refused; USS boards carry split scenes, the samples' 89PT1 and 5PT1."""

    def repeat_scene_3(root: Json) -> None:
        by_id(root, "breakdowns", "6650a10000000000000b0007")["scene"] = "3"

    schedule = parse_uss(edited(repeat_scene_3), LONDON, stripboard=WHITE)
    parts = [(s.number, s.part_of, s.row, s.shoot_date) for s in schedule.scenes if s.part_of]
    assert parts == [
        ("3PT1", "3", 3, date(2025, 5, 22)),
        ("3PT2", "3", 10, date(2025, 5, 27)),
    ]


@pytest.mark.parametrize("written", ["89 pt 2", "89PT2", "89pt2", "89 part 2", "89 (pt 2)"])
def test_part_spellings(written: str) -> None:
    def respell(root: Json) -> None:
        by_field(root, "breakdowns", "scene", "89 pt 2")["scene"] = written

    scene = scenes_by_number(parse_uss(edited(respell, COMMERCIAL), LONDON))
    assert (scene["89PT2"].part_of, scene["89PT2"].row) == ("89", 11)


@pytest.mark.parametrize("written", ["42, 43", "42 & 43", "42;43", "42 and 43", "42\n43"])
def test_several_scenes_spellings(written: str) -> None:
    def respell(root: Json) -> None:
        by_field(root, "breakdowns", "scene", "42, 43")["scene"] = written

    scene = scenes_by_number(parse_uss(edited(respell, COMMERCIAL), LONDON))
    assert scene["42"].row == scene["43"].row == 9


def test_written_part_numbers_are_kept_and_the_others_fill_in() -> None:
    def second_part_first(root: Json) -> None:
        by_field(root, "breakdowns", "scene", "115a")["scene"] = "115a pt2"

    scene = scenes_by_number(parse_uss(edited(second_part_first, COMMERCIAL), LONDON))
    assert (scene["115APT2"].row, scene["115APT1"].row) == (5, 21)


def test_one_part_number_on_two_strips_is_a_problem() -> None:
    def repeat_part(root: Json) -> None:
        by_field(root, "breakdowns", "scene", "89 pt 2")["scene"] = "89PT1"

    assert messages(rejected(edited(repeat_part, COMMERCIAL))) == [
        "Scene 89PT1 is on the board twice (strips 3 and 11); give each part its own number."
    ]


def test_strip_for_several_scenes_gives_one_scene_each() -> None:
    scene = scenes_by_number(commercial())
    assert scene["42"].start_at == scene["43"].start_at
    assert scene["42"].cast_refs == scene["43"].cast_refs == ("1", "2")
    assert scene["42"].row == scene["43"].row == 9


def test_scene_numbers_match_the_csv_importer() -> None:
    """A later CSV of the same schedule must key the same scenes."""
    written = [" 42a ", "Sc. 17", "#12", "a12"]

    def renumber(root: Json) -> None:
        for ident, number in zip(("0001", "0002", "0003", "0004"), written, strict=True):
            by_id(root, "breakdowns", f"6650a10000000000000b{ident}")["scene"] = number

    uss = parse_uss(edited(renumber), LONDON, stripboard=WHITE)
    rows = "".join(f"{n},2025-05-22,07:00\n" for n in written)
    csv = parse_schedule_csv(f"Scene,Shoot Date,Start Time\n{rows}", LONDON)
    assert [s.number for s in uss.scenes[:4]] == [s.number for s in csv.scenes]
    assert [s.number for s in csv.scenes] == ["42A", "17", "12", "A12"]


def test_strip_without_scene_number_is_skipped_with_a_note() -> None:
    schedule = commercial()
    assert sorted(s.row or 0 for s in schedule.scenes) == sorted(
        r for *_, r, _ in COMMERCIAL_SCENES
    )
    assert "Strip 8 on the board has no scene number and was skipped." in schedule.notes


def test_skipped_strip_with_intimacy_elements_gets_a_pointed_note() -> None:
    def add_kiss(root: Json) -> None:
        strip = by_id(root, "breakdowns", "6651b2000000000000000005")
        assert strip["scene"] is None
        kiss = by_field(root, "elements", "name", "Kiss")["id"]
        strip["elements"] = [*strip["elements"], kiss]  # type: ignore[misc]

    schedule = parse_uss(edited(add_kiss, COMMERCIAL), LONDON, intimacy_category="Intimacy")
    assert (
        "Strip 8 lists intimacy elements; give it a scene number so that it is imported."
        in schedule.notes
    )
    assert not any("Kiss" in note for note in schedule.notes)


def test_scene_typed_strip_with_banner_text_is_a_banner() -> None:
    def lunch_as_scene(root: Json) -> None:
        by_field(root, "breakdowns", "bannerText", "LUNCH")["type"] = "scene"

    text = edited(lunch_as_scene, COMMERCIAL)
    schedule = parse_uss(text, LONDON, intimacy_category="Intimacy")
    assert timetable(schedule) == COMMERCIAL_SCENES
    assert "Strip 4" not in " ".join(schedule.notes)


def test_banner_with_a_scene_value_stays_a_banner() -> None:
    """uss-validator's large sample has a banner whose `scene` is "GREECE UNIT"."""
    schedule = commercial()
    assert "2NDUNIT" not in {s.number for s in schedule.scenes}
    assert scenes_by_number(schedule)["12"].start_at.strftime("%H:%M") == "08:00"


def test_holiday_event_moves_shoot_days() -> None:
    """The full sample of USS 1.0.0 writes its holidays as type 'event' named 'holiday'."""

    def no_holiday(root: Json) -> None:
        calendar = root_list(root, "calendars")[0]
        events = calendar["events"]
        assert isinstance(events, list)
        calendar["events"] = [e for e in events if e["name"] != "holiday"]

    with_holiday = scenes_by_number(commercial())
    without = scenes_by_number(parse_uss(edited(no_holiday, COMMERCIAL), LONDON))
    assert with_holiday["7"].shoot_date == date(2025, 6, 5)
    assert without["7"].shoot_date == date(2025, 6, 4)
    assert without["115APT2"].shoot_date == date(2025, 6, 5)


# ---------------------------------------------------------------------------- banners and calls


@pytest.mark.parametrize(
    ("text", "first_at_night"),
    [
        ("Crew call 18:00 - NIGHT SHOOT", "18:00"),
        ("CALL: 6:00 PM", "18:00"),
        ("General call 1800", "18:00"),
        ("Call 6pm", "18:00"),
        ("Crew call 17.30", "17:30"),
        ("Call sheet notes", "07:00"),  # not a call time: the production's call
        ("Crew call 25:00", "07:00"),  # no such time: not a call banner
    ],
)
def test_call_banner_sets_the_days_call(text: str, first_at_night: str) -> None:
    def call(root: Json) -> None:
        by_field(root, "breakdowns", "bannerText", "Crew call 18:00 - NIGHT SHOOT")[
            "bannerText"
        ] = text

    schedule = parse_uss(edited(call, COMMERCIAL), LONDON)
    assert scenes_by_number(schedule)["7"].start_at.strftime("%H:%M") == first_at_night
    assert scenes_by_number(schedule)["1"].start_at.strftime("%H:%M") == "07:00"


def test_meal_and_move_without_duration_count_as_zero_with_a_note() -> None:
    def untimed(root: Json) -> None:
        by_field(root, "breakdowns", "bannerText", "LUNCH")["duration"] = None
        by_field(root, "breakdowns", "bannerText", "Company move to the lighthouse")["duration"] = (
            None
        )

    schedule = parse_uss(edited(untimed, COMMERCIAL), LONDON)
    scene = scenes_by_number(schedule)
    assert scene["115APT1"].start_at.strftime("%H:%M") == "10:30"
    assert scene["89PT2"].start_at.strftime("%H:%M") == "09:15"
    assert (
        "The meal or company move banner(s) at strip(s) 4 and 10 have no duration; they count "
        "as zero, so the scenes after them may start later." in schedule.notes
    )


# ---------------------------------------------------------------------------- night shoots and DST


def test_night_shoot_after_midnight_is_on_the_next_date() -> None:
    schedule = parse_uss(fixture(NIGHT), LOS_ANGELES)
    assert timetable(schedule) == [
        ("50", "2025-03-29 18:00", False, 2, None),
        ("51", "2025-03-30 00:00", True, 3, None),
        ("52", "2025-03-30 01:30", True, 4, None),
        ("53", "2025-03-30 02:30", True, 5, None),
    ]


def test_night_shoot_into_the_london_spring_gap_is_refused() -> None:
    """01:30 exists on the shoot day (Saturday 29 March) but not on the date it falls on."""
    assert localize(date(2025, 3, 29), time(1, 30), LONDON).hour == 1
    assert messages(rejected(fixture(NIGHT))) == [
        "The strip for scene 52 (strip 4 on the board): the estimated start 2025-03-30 01:30 "
        "does not exist in Europe/London (clocks go forward)."
    ]


@pytest.mark.parametrize(
    ("zone", "start", "scene", "what"),
    [
        (LONDON, "2025-10-25", "52", "2025-10-26 01:30 happens twice in Europe/London"),
        (LOS_ANGELES, "2025-03-08", "53", "2025-03-09 02:30 does not exist in America/Los_Angeles"),
        (LOS_ANGELES, "2025-11-01", "52", "2025-11-02 01:30 happens twice in America/Los_Angeles"),
    ],
)
def test_night_shoots_across_other_clock_changes(
    zone: ZoneInfo, start: str, scene: str, what: str
) -> None:
    def start_on(root: Json) -> None:
        events = root_list(root, "calendars")[0]["events"]
        assert isinstance(events, list)
        events[0]["date"] = f"{start}T00:00:00.000Z"

    problems = rejected(edited(start_on, NIGHT), zone=zone)
    assert len(problems) == 1
    assert problems[0].message.startswith(f"The strip for scene {scene} (strip ")
    assert what in problems[0].message


def test_night_shoot_with_the_production_call() -> None:
    def no_call_banner(root: Json) -> None:
        ids = board_ids(root, 0)
        group = ids[0]
        assert isinstance(group, list)
        del group[0]

    schedule = parse_uss(edited(no_call_banner, NIGHT), LOS_ANGELES, default_call=time(18, 0))
    assert [(s.number, s.after_midnight) for s in schedule.scenes] == [
        ("50", False), ("51", True), ("52", True), ("53", True),
    ]  # fmt: skip


def test_strips_taking_a_whole_day_are_a_problem() -> None:
    def long_scene(root: Json) -> None:
        by_field(root, "breakdowns", "scene", "50")["duration"] = 24 * 3_600_000

    problems = messages(rejected(edited(long_scene, NIGHT), zone=LOS_ANGELES))
    assert problems[0] == (
        "The strip for scene 51 (strip 3 on the board): the strips before it on its shoot day "
        "take 24 hours or more, so its start cannot be estimated."
    )
    assert len(problems) == 3


def test_dst_gap_in_london_is_a_problem_on_that_strip() -> None:
    problems = rejected(fixture("dst_london.uss"), default_call=time(0, 30))
    assert messages(problems) == [
        "The strip for scene 31 (strip 2 on the board): the estimated start 2025-03-30 01:30 "
        "does not exist in Europe/London (clocks go forward)."
    ]


def test_same_night_is_fine_in_los_angeles() -> None:
    schedule = parse_uss(fixture("dst_london.uss"), LOS_ANGELES, default_call=time(0, 30))
    assert days(schedule) == {date(2025, 3, 30): [("30", "00:30"), ("31", "01:30")]}


# ---------------------------------------------------------------------------- intimacy


def _rename_intimacy_category(name: str) -> Callable[[Json], None]:
    def change(root: Json) -> None:
        by_field(root, "categories", "name", "Intimacy")["name"] = name

    return change


def test_intimacy_is_unknown_without_an_intimacy_category() -> None:
    schedule = parse_uss(edited(_rename_intimacy_category("Props 2")), LONDON, stripboard=WHITE)
    assert {s.intimacy for s in schedule.scenes} == {None}
    assert {s.planned_content for s in schedule.scenes} == {None}
    assert not any(s.intimacy_undecided for s in schedule.scenes)


@pytest.mark.parametrize("name", ["Intimacy", "Intimacy Coordinator", "IC", "intimate scenes"])
def test_the_files_intimacy_category_is_used_when_the_production_names_none(name: str) -> None:
    """Never silently missed: without a category set for the production, the file's own
    "Intimacy" category marks the scenes, as if the production had named it."""
    schedule = parse_uss(edited(_rename_intimacy_category(name)), LONDON, stripboard=WHITE)
    named = parse_uss(
        edited(_rename_intimacy_category(name)), LONDON, stripboard=WHITE, intimacy_category=name
    )
    assert schedule.scenes == named.scenes
    assert scenes_by_number(schedule)["2"].intimacy is True
    assert f"The category '{name}' marks intimacy." in schedule.notes


def test_two_categories_that_could_mark_intimacy_are_a_problem() -> None:
    def change(root: Json) -> None:
        by_field(root, "categories", "name", "Props")["name"] = "IC Notes (intimacy)"

    problems = rejected(edited(change), stripboard=WHITE)
    assert any("could each mark intimacy" in p.message for p in problems)


def test_intimacy_category_marks_scenes_and_lists_content() -> None:
    schedule = parse_uss(
        fixture("two_stripboards.uss"), LONDON, stripboard=WHITE, intimacy_category="INTIMACY"
    )
    scene = scenes_by_number(schedule)
    assert scene["2"].intimacy is True
    assert scene["2"].planned_content == "Simulated kiss, closed mouth"
    assert scene["5"].intimacy is True
    assert scene["5"].planned_content == "Partial nudity (back); Embrace on bed"
    assert scene["1"].intimacy is False
    assert scene["1"].planned_content is None
    assert not any(word in note for note in schedule.notes for word in SENSITIVE)


def test_intimacy_in_a_commercial_export() -> None:
    scene = scenes_by_number(commercial(intimacy_category="  intimacy "))
    marked = {n: (s.intimacy, s.intimacy_undecided, s.planned_content) for n, s in scene.items()}
    assert marked["89PT1"] == marked["89PT2"] == (True, False, "Kiss")
    assert marked["11"] == (True, False, "Simulated sex, clothed")
    assert marked["8"] == (True, True, None)  # an element called "TBD": ask until decided
    assert marked["1"] == (False, False, None)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Yes", (True, False, None)),
        ("x", (True, False, None)),
        ("No", (False, False, None)),
        ("N/A", (False, False, None)),
        ("?", (True, True, None)),
        ("Maybe", (True, True, None)),
        ("Simulated kiss", (True, False, "Simulated kiss")),
    ],
)
def test_intimacy_marks(name: str, expected: tuple[bool, bool, str | None]) -> None:
    def rename(root: Json) -> None:
        by_field(root, "elements", "name", "TBD")["name"] = name

    schedule = parse_uss(edited(rename, COMMERCIAL), LONDON, intimacy_category="Intimacy")
    scene = scenes_by_number(schedule)["8"]
    assert (scene.intimacy, scene.intimacy_undecided, scene.planned_content) == expected


def test_unknown_intimacy_category_is_a_problem() -> None:
    problems = rejected(
        fixture("two_stripboards.uss"), stripboard=WHITE, intimacy_category="Nudity"
    )
    assert messages(problems) == [
        "There is no category called 'Nudity'; the categories are: 'Set', 'INT/EXT', "
        "'Day/Night', 'Cast Members', 'Props' and 'Intimacy'."
    ]


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
    assert messages(problems) == [
        f"The file has several stripboards; choose one of: '{WHITE}' and '{BLUE}'."
    ]


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

    assert messages(rejected(edited(drop_schedule))) == [
        "The file has no stripboards: it is a breakdown without a schedule."
    ]


# ---------------------------------------------------------------------------- bad input


def test_malformed_json_gives_line_and_column() -> None:
    problems = rejected(fixture("malformed.uss"))
    assert len(problems) == 1
    assert "line 5, column 5" in problems[0].message
    assert "Expecting ',' delimiter" in problems[0].message


def test_json_that_is_not_uss() -> None:
    assert messages(rejected('{"scenes": []}')) == [
        "This is not a USS file: it has no 'universalScheduleStandard' object."
    ]


def test_file_over_the_size_limit() -> None:
    problems = rejected(" " * (MAX_BYTES + 1))
    assert len(problems) == 1 and "10 MB" in problems[0].message


def test_every_problem_is_reported_together_in_words() -> None:
    def break_things(root: Json) -> None:
        board_ids(root, 0)[4] = "6650a1000000000000000bad"  # scene 4's strip: no breakdown
        scene_2 = by_id(root, "breakdowns", "6650a10000000000000b0002")
        scene_2["elements"] = ["6650a10000000000000e0021", "6650a1000000000000000e99"]
        by_id(root, "breakdowns", "6650a10000000000000b0007")["scene"] = "7??"
        by_id(root, "breakdowns", "6650a10000000000000b0006")["time"] = -1

    problems = messages(rejected(edited(break_things), stripboard=WHITE))
    assert sorted(problems) == [
        "Strip 5 on the board refers to a breakdown that is not in the file "
        "(id '6650a1000000000000000bad').",
        "The strip for scene 2 (strip 2 on the board) lists an element that is not in the file "
        "(id '6650a1000000000000000e99').",
        "The strip for scene 6 (strip 8 on the board): its 'time' must be a number of "
        "milliseconds, 0 or more.",
        "The strip for scene 7?? (strip 10 on the board): '7??' is not a scene number; write it "
        "like 42, 42A, A42 or 89PT1.",
    ]


def test_day_groups_with_bad_items_are_described_not_printed() -> None:
    """The issue: a board's ids printed as a Python list. Items are described in words."""

    def bad_items(root: Json) -> None:
        groups = board_ids(root, 0)
        first, second = groups[0], groups[1]
        assert isinstance(first, list) and isinstance(second, list)
        first.append(["6651b2000000000000000001", "6651b2000000000000000002"])  # type: ignore[arg-type]
        second.insert(0, 42)  # type: ignore[arg-type]
        by_field(root, "breakdowns", "scene", "42, 43")["elements"] = ["x" * 300, "nope"]

    problems = messages(rejected(edited(bad_items, COMMERCIAL)))
    assert problems == [
        "Strip 7 on the board is a list inside a day; a day lists breakdown ids.",
        "Strip 8 on the board is a number, not a breakdown id.",
        "The strip for scenes 42, 43 (strip 11 on the board) lists 2 elements that are not in "
        f"the file (the first: id '{'x' * 39}…').",
    ]
    assert not any("[" in p or "{" in p for p in problems)


def test_many_problems_fit_one_slack_message() -> None:
    """A board of unknown ids (2,900 characters of ids in the issue) gives a bounded list."""

    def unknown_ids(root: Json) -> None:
        groups = board_ids(root, 0)
        groups.append([f"{n:060d}" for n in range(400)])  # type: ignore[arg-type]

    with pytest.raises(InputRejected) as caught:
        parse_uss(edited(unknown_ids, COMMERCIAL), LONDON)
    problems = caught.value.problems
    assert len(problems) <= 20
    assert problems[-1].message.startswith("… and ")
    left_out = int(problems[-1].message.split()[2])
    assert left_out + len(problems) - 1 == 400
    summary = caught.value.summary()
    assert len(summary) < 3_000
    assert summary.count("\n") == len(problems) - 1  # summary() adds no second "more" line


def test_long_names_from_the_file_are_quoted_short() -> None:
    def long_name(root: Json) -> None:
        root_list(root, "stripboards")[0]["name"] = "Pink " * 2_000

    (problem,) = rejected(edited(long_name, COMMERCIAL), stripboard="Blue")
    assert len(problem.message) < 200


def test_scene_problems_are_reported_even_when_the_calendar_is_unusable() -> None:
    def break_calendar_and_scene(root: Json) -> None:
        by_id(root, "calendars", "6650a1000000000000ca0002")["daysOff"] = "weekends"
        by_id(root, "breakdowns", "6650a10000000000000b0004")["scene"] = "??"

    problems = messages(rejected(edited(break_calendar_and_scene), stripboard=WHITE))
    assert problems == [
        "The calendar's 'daysOff' must list weekdays as numbers 0 (Sunday) to 6.",
        "The strip for scene ?? (strip 5 on the board): '??' is not a scene number; write it "
        "like 42, 42A, A42 or 89PT1.",
    ]


def test_calendar_without_start_event() -> None:
    def drop_start(root: Json) -> None:
        calendar = by_id(root, "calendars", "6650a1000000000000ca0002")
        events = calendar["events"]
        assert isinstance(events, list)
        calendar["events"] = [e for e in events if e["type"] != "start"]

    assert messages(rejected(edited(drop_start), stripboard=WHITE)) == [
        "The calendar has no 'start' event; it needs exactly one."
    ]


def test_bad_weekly_days_off() -> None:
    def bad_days(root: Json) -> None:
        by_id(root, "calendars", "6650a1000000000000ca0002")["daysOff"] = [0, 7]

    assert messages(rejected(edited(bad_days), stripboard=WHITE)) == [
        "The calendar's 'daysOff' must list weekdays as numbers 0 (Sunday) to 6."
    ]


def test_unknown_calendar_id() -> None:
    def bad_calendar(root: Json) -> None:
        root_list(root, "stripboards")[0]["calendar"] = "nope"

    assert messages(rejected(edited(bad_calendar), stripboard=WHITE)) == [
        "The stripboard's calendar 'nope' is not in the file."
    ]


# ---------------------------------------------------------------------------- earlier drafts


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
    assert scenes_by_number(schedule)["6"].cast_refs == ("1", "2", "4")
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


def test_scenes_after_the_last_day_group_go_on_the_next_day() -> None:
    def loose_scene_at_the_end(root: Json) -> None:
        groups = board_ids(root, 0)
        last = groups.pop()
        assert isinstance(last, list)
        groups.extend(last)

    schedule = parse_uss(edited(loose_scene_at_the_end, COMMERCIAL), LONDON)
    assert timetable(schedule)[-2:] == [
        ("115APT2", "2025-06-09 07:00", False, 21, "115A"),
        ("12", "2025-06-09 08:00", False, 23, None),
    ]
    assert "2 scene(s) after the board's last day were put on shoot day 4." in schedule.notes


def test_board_that_opens_days_with_day_strips() -> None:
    def day_strip_first(root: Json) -> None:
        ids = board_ids(root, 1)
        ids.insert(0, ids.pop())

    schedule = parse_uss(edited(day_strip_first), LONDON, stripboard=BLUE)
    assert days(schedule) == BLUE_DAYS
    assert any("start of a shoot day" in note for note in schedule.notes)


def test_flat_board_with_end_of_day_banners() -> None:
    """Without day groups, "End of Day" banners separate the days, as apps print them."""

    def flatten(root: Json) -> None:
        groups = board_ids(root, 0)
        root_list(root, "stripboards")[0]["boards"][0]["breakdownIds"] = [  # type: ignore[index]
            ident for group in groups for ident in group
        ]

    text = edited(flatten, COMMERCIAL)
    assert schema_errors(text) == []
    assert timetable(parse_uss(text, LONDON)) == COMMERCIAL_SCENES


def test_holiday_written_as_an_ordinary_event_still_moves_shoot_days() -> None:
    """This used to be noted and not skipped; USS 1.0.0's full sample writes its holidays
    (2022-09-05, 2022-10-10) as type 'event' named 'holiday'."""

    def holiday_as_event(root: Json) -> None:
        calendar = by_id(root, "calendars", "6650a1000000000000ca0002")
        events = calendar["events"]
        assert isinstance(events, list)
        for event in events:
            if event["type"] == "dayOff":
                event["type"] = "event"

    schedule = parse_uss(edited(holiday_as_event), LONDON, stripboard=WHITE)
    assert days(schedule) == WHITE_DAYS
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


def test_unknown_major_version_is_noted() -> None:
    def future(root: Json) -> None:
        root["ussVersion"] = "2.0.0"

    schedule = parse_uss(edited(future, COMMERCIAL), LONDON)
    assert len(schedule.scenes) == len(COMMERCIAL_SCENES)
    assert any("USS 2.0.0" in note for note in schedule.notes)


# ---------------------------------------------------------------------------- sniffing


def test_looks_like_uss() -> None:
    assert looks_like_uss(fixture("two_stripboards.uss"))
    assert looks_like_uss(fixture(COMMERCIAL))
    assert looks_like_uss("\ufeff" + fixture("dst_london.uss"))
    assert not looks_like_uss("scene,date,start\n1,2025-05-22,07:00\n")
    assert not looks_like_uss('{"scenes": []}')
    assert not looks_like_uss("")
