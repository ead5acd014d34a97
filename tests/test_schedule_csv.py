"""Schedule CSV parsing: headers, date and time formats, errors with their row and column, DST,
and the layouts real scheduling tools export (fixtures in tests/fixtures/csv/)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.csvread import MAX_CELL_CHARS, MAX_ROWS
from bot.imports import FileKind, decode, detect_kind
from bot.problems import InputRejected, Problem
from bot.schedule.csv_format import (
    AmbiguousDateOrder,
    DateOrder,
    date_order_for,
    normalize_scene_number,
    parse_date,
    parse_duration,
    parse_intimacy,
    parse_schedule_csv,
    parse_time,
    split_cast,
)
from bot.schedule.model import ImportedScene, ImportedSchedule

LONDON = ZoneInfo("Europe/London")
LA = ZoneInfo("America/Los_Angeles")
FIXTURES = Path(__file__).parent / "fixtures" / "csv"


def parse(
    text: str,
    zone: ZoneInfo = LONDON,
    *,
    date_order: DateOrder | None = None,
    default_time: time = time(7, 0),
) -> ImportedSchedule:
    return parse_schedule_csv(text, zone, date_order=date_order, default_time=default_time)


def problems(text: str, zone: ZoneInfo = LONDON) -> list[Problem]:
    with pytest.raises(InputRejected) as caught:
        parse(text, zone)
    return caught.value.problems


def where(found: list[Problem]) -> list[tuple[int | None, str | None]]:
    return [(p.row, p.column) for p in found]


def by_number(schedule: ImportedSchedule) -> dict[str, ImportedScene]:
    return {scene.number: scene for scene in schedule.scenes}


def fixture(name: str, zone: ZoneInfo, date_order: DateOrder | None = None) -> ImportedSchedule:
    """A fixture file read as an upload is: bytes decoded, then parsed."""
    text = decode((FIXTURES / name).read_bytes())
    return parse_schedule_csv(text, zone, date_order=date_order)


# --- headers ---------------------------------------------------------------------------------

HEADER_SPELLINGS = [
    *[("number", s) for s in ("Scene", "Sc.", "Sc", "Scene #", "Scene No", "Scene No.")],
    *[("number", s) for s in ("Scene Number", "Scene Num", "  SCENE   number: ", "scene_no")],
    *[("date", s) for s in ("Shoot Date", "Date", "Day", "Shoot Day", "Shooting Date")],
    *[("time", s) for s in ("Time", "Start", "Start Time", "Call", "Call Time", "CALL TIME:")],
    *[("set", s) for s in ("Set", "Location", "Set/Location", "Set / Location", "Set Name")],
    *[("cast", s) for s in ("Cast", "Cast Members", "Cast IDs", "Cast ID", "Cast #")],
    ("cast", "Cast Numbers"),
    ("cast", "cast#"),
    *[("cast", s) for s in ("ID List", "Cast ID List", "Cast #s")],
    *[("number", s) for s in ("Scenes", "Scene(s)", "Sc #")],
    ("time", "Scene Start"),
    ("set", "Slugline"),
    *[("intimacy", s) for s in ("Intimacy", "IC", "Intimate", "Intimacy Scene", "ic")],
    *[("planned", s) for s in ("Intimacy Notes", "IC Notes")],
    *[("synopsis", s) for s in ("Description", "Synopsis", "Scene Description")],
]
BASE = {"number": "Scene", "date": "Date"}
VALUES = {
    "number": "12",
    "date": "2026-03-14",
    "time": "09:15",
    "set": "INT. KITCHEN",
    "cast": "1, 2",
    "intimacy": "yes",
    "planned": "kiss",
    "synopsis": "they talk",
}


@pytest.mark.parametrize(
    ("key", "spelling"), HEADER_SPELLINGS, ids=[f"{k}:{s.strip()}" for k, s in HEADER_SPELLINGS]
)
def test_header_spelling_maps_to_its_field(key: str, spelling: str) -> None:
    headers = {**BASE, key: spelling}
    text = ",".join(headers.values()) + "\n" + ",".join(f'"{VALUES[k]}"' for k in headers)
    result = parse(text)
    scene = result.scenes[0]
    assert not [note for note in result.notes if note.startswith("Ignored")]
    got = {
        "number": scene.number,
        "date": scene.shoot_date.isoformat(),
        "time": scene.start_at.strftime("%H:%M"),
        "set": scene.set_name,
        "cast": ", ".join(scene.cast_refs),
        "intimacy": "yes" if scene.intimacy else scene.intimacy,
        "planned": scene.planned_content,
        "synopsis": scene.synopsis,
    }
    assert got[key] == VALUES[key]


def test_unknown_columns_are_ignored_and_noted() -> None:
    result = parse("Scene,Episode,Date,Pages\n1,101,2026-03-14,1 2/8\n")
    assert [s.number for s in result.scenes] == ["1"]
    assert result.notes[:2] == ("Ignored column 'Episode'", "Ignored column 'Pages'")


def test_title_lines_above_the_header_are_skipped() -> None:
    result = parse("My Film - Shooting Schedule\n\nScene,Date\n1,2026-03-14\n")
    assert result.scenes[0].row == 4
    assert result.notes[0] == "Skipped 1 line(s) above the header (row 3)."


@pytest.mark.parametrize(
    ("header", "label", "spelling"),
    [
        ("Date,Time\n2026-03-14,09:00", "scene number", "Scene Number"),
        ("Scene,Time\n1,09:00", "shoot date", "Shooting Date"),
    ],
    ids=["no-scene-column", "no-date-column"],
)
def test_missing_required_column(header: str, label: str, spelling: str) -> None:
    [problem] = problems(header + "\n")
    assert (problem.row, problem.column) == (1, None)
    assert f"The {label} column is missing" in problem.message
    assert spelling in problem.message


def test_missing_both_required_columns_reports_both() -> None:
    found = problems("Time,Set\n09:00,Kitchen\n")
    assert len(found) == 2
    assert "scene number" in found[0].message and "shoot date" in found[1].message


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Scene,Date,Sc.", "Sc."),
        ("Scene,Date,Time,Call Time", "Call Time"),
        ("Scene,Shoot Date,Date", "Date"),
        ("Scene,Date,Description,Synopsis", "Synopsis"),
    ],
    ids=["scene-twice", "time-twice", "date-twice", "synopsis-twice"],
)
def test_duplicate_column(header: str, column: str) -> None:
    [problem] = problems(header + "\n1,2026-03-14,x,y\n")
    assert (problem.row, problem.column) == (1, column)
    assert "Two columns" in problem.message


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "\ufeffScene,Date,Time\n1,2026-03-14,09:00\n",
        "Scene;Date;Time\n1;2026-03-14;09:00\n",
        "\ufeffScene;Date;Time\r\n1;2026-03-14;09:00\r\n",
        "Scene\tDate\tTime\n1\t2026-03-14\t09:00\n",
        "  Scene , Date ,Time \n\n   1 ,  2026-03-14 , 09:00  \n\n,,\n",
    ],
    ids=["bom", "semicolon", "bom-semicolon-crlf", "tab", "spaces-and-blank-lines"],
)
def test_bom_delimiters_whitespace(text: str) -> None:
    [scene] = parse(text).scenes
    assert (scene.number, scene.shoot_date, scene.start_at.hour) == ("1", date(2026, 3, 14), 9)


def test_semicolon_file_with_commas_inside_cells() -> None:
    text = "Scene;Date;Cast;Description\n1;14.03.2026;1, 2, 5;Jane, Bob talk\n"
    [scene] = parse(text).scenes
    assert scene.cast_refs == ("1", "2", "5")
    assert scene.synopsis == "Jane, Bob talk"


def test_row_numbers_count_blank_lines_and_quoted_line_breaks() -> None:
    text = 'Scene,Date,Cast\n1,2026-03-14,"1\n2"\n\n2,2026-03-14,3\n3,bad,\n'
    found = problems(text)
    assert where(found) == [(5, "Date")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("\ufeff  \n\n", "empty"),
        ("Scene,Date\n", "no scenes"),
        ("Scene,Date\n,,\n\n", "no scenes"),
    ],
    ids=["empty", "bom-and-blank", "header-only", "header-and-empty-rows"],
)
def test_empty_files(text: str, message: str) -> None:
    [problem] = problems(text)
    assert message in problem.message


def test_cell_too_long_is_not_quoted() -> None:
    secret = "s" * (MAX_CELL_CHARS + 1)
    [problem] = problems(f"Scene,Date,Intimacy Notes\n1,2026-03-14,{secret}\n")
    assert (problem.row, problem.column) == (2, "Intimacy Notes")
    assert "too long" in problem.message and "sss" not in problem.message


def test_cell_beyond_the_csv_module_limit_is_too_long() -> None:
    huge = "s" * 200_000
    [problem] = problems(f'Scene,Date,Description\n1,2026-03-14,ok\n2,2026-03-14,"{huge}"\n')
    assert problem.row == 3 and "too long" in problem.message and "sss" not in problem.message


def test_too_many_rows() -> None:
    rows = "".join(f"{n},2026-03-14\n" for n in range(MAX_ROWS + 1))
    [problem] = problems("Scene,Date\n" + rows)
    assert str(MAX_ROWS) in problem.message


def test_file_too_big() -> None:
    [problem] = problems("Scene,Date\n" + "1,2026-03-14," + "x" * (2 * 1024 * 1024) + "\n")
    assert "MB" in problem.message


def test_row_with_more_cells_than_the_header() -> None:
    [problem] = problems("Scene,Date,Set\n1,2026-03-14,Kitchen,Hall\n")
    assert problem.row == 2 and "quotes" in problem.message


def test_unclosed_quote_is_reported() -> None:
    [problem] = problems('Scene,Date,Set\n1,2026-03-14,"Kitchen\n2,2026-03-14,Hall\n')
    assert problem.row == 2 and "quote" in problem.message


def test_stray_quote_is_reported() -> None:
    [problem] = problems('Scene,Date,Set\n1,2026-03-14,Hall\n2,2026-03-14,"Kit"chen\n')
    assert problem.row == 3 and "quote" in problem.message


# --- dates -----------------------------------------------------------------------------------

DATES = [
    ("2026-03-14", None),
    ("2026/03/14", None),
    ("14/03/2026", True),
    ("3/14/2026", False),
    ("14.03.2026", None),
    ("14-Mar-2026", None),
    ("14 Mar 2026", None),
    ("Mar 14, 2026", None),
    ("March 14 2026", None),
    ("Sat 14 Mar 2026", None),
    ("Saturday, March 14, 2026", None),
    ("sat. 14 mar. 2026", None),
    ("March 14th, 2026", None),
    ("14/03/26", True),
    ("14-Mar-26", None),
    ("Sat 14/03/2026", True),
]


@pytest.mark.parametrize(("text", "day_first"), DATES, ids=[t for t, _ in DATES])
def test_date_formats(text: str, day_first: bool | None) -> None:
    assert parse_date(text, day_first=day_first) == date(2026, 3, 14)
    [scene] = parse(f'Scene,Date\n1,"{text}"\n').scenes
    assert scene.shoot_date == date(2026, 3, 14)


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (["14/03/2026", "03/04/2026"], [date(2026, 3, 14), date(2026, 4, 3)]),
        (["03/04/2026", "3/14/2026"], [date(2026, 3, 4), date(2026, 3, 14)]),
        (["05/05/2026"], [date(2026, 5, 5)]),
    ],
    ids=["day-first-detected", "month-first-detected", "same-either-way"],
)
def test_slashed_date_order_detected_over_the_file(dates: list[str], expected: list[date]) -> None:
    rows = "".join(f"{n},{d}\n" for n, d in enumerate(dates, start=1))
    result = parse("Scene,Date\n" + rows)
    assert [s.shoot_date for s in result.scenes] == expected


@pytest.mark.parametrize(
    ("order", "expected"), [("dmy", date(2026, 4, 3)), ("mdy", date(2026, 3, 4))]
)
def test_date_order_given_by_caller(order: DateOrder, expected: date) -> None:
    result = parse("Scene,Date\n1,03/04/2026\n", date_order=order)
    assert result.scenes[0].shoot_date == expected
    reading = "day-first" if order == "dmy" else "month-first"
    assert any(f"'03/04/2026' were read {reading}" in note for note in result.notes)


def test_a_file_that_settles_the_order_overrules_the_caller() -> None:
    result = parse("Scene,Date\n1,03/04/2026\n2,3/14/2026\n", date_order="dmy")
    assert [s.shoot_date for s in result.scenes] == [date(2026, 3, 4), date(2026, 3, 14)]
    assert not any("were read" in note for note in result.notes)


def test_ambiguous_slashed_dates_without_an_order_raise_a_question() -> None:
    with pytest.raises(AmbiguousDateOrder) as caught:
        parse("Scene,Shoot Date\n1,2026-03-14\n2,03/04/2026\n3,04/05/2026\n")
    ambiguous = caught.value
    assert isinstance(ambiguous, InputRejected)  # callers that only know InputRejected work
    assert (ambiguous.example, ambiguous.row, ambiguous.column) == ("03/04/2026", 3, "Shoot Date")
    assert ambiguous.readings == (date(2026, 4, 3), date(2026, 3, 4))
    assert ambiguous.question == "Is 03/04/2026 the 3rd of April or March 4th?"
    [problem] = ambiguous.problems  # the first ambiguous cell only, not one per row
    assert (problem.row, problem.column) == (3, "Shoot Date")
    assert "3 April or 4 March" in problem.message and "YYYY-MM-DD" in problem.message


def test_ambiguous_order_comes_first_among_other_problems() -> None:
    with pytest.raises(AmbiguousDateOrder) as caught:
        parse("Scene,Date,Time\n1,2026-02-30,09:00\n2,03/04/2026,09:00\n")
    assert where(caught.value.problems) == [(3, "Date"), (2, "Date")]
    assert "day-first or month-first" in caught.value.problems[0].message


def test_a_day_banner_can_settle_the_date_order() -> None:
    text = "Scene,Time\n1,09:00\nEnd of Day 1 - 03/04/2027\n2,09:00\nEnd of Day 2 - 13/04/2027\n"
    assert [s.shoot_date for s in parse(text).scenes] == [date(2027, 4, 3), date(2027, 4, 13)]


def test_both_slashed_orders_in_one_file() -> None:
    [problem] = problems("Scene,Date\n1,14/03/2026\n2,3/15/2026\n")
    assert (problem.row, problem.column) == (3, "Date")
    assert "day-first" in problem.message and "month-first" in problem.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Sun 14 Mar 2026", "says Sunday, but 2026-03-14 is a Saturday"),
        ("Friday, March 14, 2026", "says Friday, but 2026-03-14 is a Saturday"),
    ],
    ids=["abbreviated", "full"],
)
def test_weekday_mismatch(text: str, message: str) -> None:
    [problem] = problems(f'Scene,Date\n1,2026-03-13\n2,"{text}"\n')
    assert (problem.row, problem.column) == (3, "Date")
    assert message in problem.message


BAD_DATES = [
    ("2026-02-30", "no such date"),
    ("30/02/2026", "no such date"),
    ("31 Apr 2026", "no such date"),
    ("29.02.2027", "no such date"),
    ("2026-13-01", "no such date"),
    ("tomorrow", "is not a date"),
    ("Day 3", "is not a date"),
    ("14 Foo 2026", "is not a date"),
    ("14/03", "is not a date"),
]


@pytest.mark.parametrize(("text", "message"), BAD_DATES, ids=[t for t, _ in BAD_DATES])
def test_bad_dates(text: str, message: str) -> None:
    [problem] = problems(f"Scene,Date\n1,{text}\n")
    assert (problem.row, problem.column) == (2, "Date")
    assert message in problem.message and text in problem.message


def test_missing_date() -> None:
    [problem] = problems("Scene,Date\n1,\n")
    assert (problem.row, problem.column) == (2, "Date")
    assert problem.message == "The shoot date is missing. Fill it in, or delete the row."


# --- times -----------------------------------------------------------------------------------

TIMES = [
    ("14:30", time(14, 30)),
    ("14.30", time(14, 30)),
    ("1430", time(14, 30)),
    ("0730", time(7, 30)),
    ("7:05", time(7, 5)),
    ("2:30 PM", time(14, 30)),
    ("2:30pm", time(14, 30)),
    ("2pm", time(14, 0)),
    ("2 p.m.", time(14, 0)),
    ("11:45 am", time(11, 45)),
    ("12am", time(0, 0)),
    ("12:15 PM", time(12, 15)),
    ("14:30:00", time(14, 30)),
    ("7:00:00 AM", time(7, 0)),
    ("noon", time(12, 0)),
    ("Noon", time(12, 0)),
    ("midnight", time(0, 0)),
]


@pytest.mark.parametrize(("text", "expected"), TIMES, ids=[t for t, _ in TIMES])
def test_time_formats(text: str, expected: time) -> None:
    assert parse_time(text) == expected
    [scene] = parse(f"Scene,Date,Time\n1,2026-03-14,{text}\n").scenes
    assert scene.start_at.timetz().replace(tzinfo=None) == expected
    assert not scene.start_estimated


BAD_TIMES = ["25:00", "14:60", "13pm", "0am", "14", "930", "2:3", "soon", "14:30 PM"]


@pytest.mark.parametrize("text", BAD_TIMES)
def test_bad_times(text: str) -> None:
    [problem] = problems(f"Scene,Date,Call Time\n1,2026-03-14,{text}\n")
    assert (problem.row, problem.column) == (2, "Call Time")
    assert text in problem.message


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("Scene,Date\n1,2026-03-14\n", None, time(7, 0)),
        ("Scene,Date,Time\n1,2026-03-14,\n", None, time(7, 0)),
        ("Scene,Date,Time\n1,2026-03-14,\n", time(6, 30), time(6, 30)),
    ],
    ids=["no-time-column", "empty-time-cell", "caller-default"],
)
def test_missing_time_uses_the_default_marked_estimated(
    text: str, default: time | None, expected: time
) -> None:
    result = parse(text, default_time=default) if default else parse(text)
    [scene] = result.scenes
    assert scene.start_at.timetz().replace(tzinfo=None) == expected
    assert scene.start_estimated
    assert "1 scene(s) have no start time" in result.notes[-1]


# --- daylight saving -------------------------------------------------------------------------

DST_CASES = [
    (LONDON, "2026-03-29", "01:30", "does not exist"),
    (LONDON, "2026-10-25", "01:30", "happens twice"),
    (LA, "2026-03-08", "02:30", "does not exist"),
    (LA, "2026-11-01", "01:30", "happens twice"),
]


@pytest.mark.parametrize(
    ("zone", "day", "at", "message"), DST_CASES, ids=[f"{z.key}-{d}" for z, d, _, _ in DST_CASES]
)
def test_daylight_saving_gaps_and_overlaps(zone: ZoneInfo, day: str, at: str, message: str) -> None:
    text = f"Scene,Date,Start Time\n1,{day},09:00\n2,{day},{at}\n"
    [problem] = problems(text, zone)
    assert (problem.row, problem.column) == (3, "Start Time")
    assert message in problem.message and "daylight-saving" in problem.message


NORMAL_TIMES = [
    (LONDON, "2026-03-14", "09:00", timedelta(0)),
    (LONDON, "2026-03-29", "09:00", timedelta(hours=1)),
    (LONDON, "2026-10-25", "09:00", timedelta(0)),
    (LA, "2026-03-07", "09:00", timedelta(hours=-8)),
    (LA, "2026-03-08", "09:00", timedelta(hours=-7)),
    (LA, "2026-11-01", "09:00", timedelta(hours=-8)),
]


@pytest.mark.parametrize(
    ("zone", "day", "at", "offset"),
    NORMAL_TIMES,
    ids=[f"{z.key}-{d}" for z, d, _, _ in NORMAL_TIMES],
)
def test_normal_times_are_aware_with_the_right_offset(
    zone: ZoneInfo, day: str, at: str, offset: timedelta
) -> None:
    [scene] = parse(f"Scene,Date,Time\n1,{day},{at}\n", zone).scenes
    assert scene.start_at.tzinfo is zone
    assert scene.start_at.utcoffset() == offset


# --- scene numbers, cast, intimacy -----------------------------------------------------------

SCENE_NUMBERS = [
    (" 42a ", "42A"),
    ("Sc. 12", "12"),
    ("sc12", "12"),
    ("#7", "7"),
    ("Scene 9", "9"),
    ("A42", "A42"),
    ("42AB", "42AB"),
    ("42.1", "42.1"),
    ("42-43", "42-43"),
    ("42 A", "42A"),
    ("12pt1", "12PT1"),
    ("12 pt 2", "12PT2"),
    ("89PT1", "89PT1"),
    ("12 Pt. 3", "12PT3"),
    ("12 part 2", "12PT2"),
    ("12 (pt 1)", "12PT1"),
    ("A12", "A12"),
    ("115a", "115A"),
]


@pytest.mark.parametrize(("text", "expected"), SCENE_NUMBERS, ids=[t for t, _ in SCENE_NUMBERS])
def test_scene_numbers_are_normalised(text: str, expected: str) -> None:
    assert normalize_scene_number(text) == expected  # the USS importer calls it too
    [scene] = parse(f'Scene,Date\n"{text}",2026-03-14\n').scenes
    assert scene.number == expected


@pytest.mark.parametrize("text", ["hello world", "42/43", "42--43", "--"])
def test_bad_scene_numbers(text: str) -> None:
    [problem] = problems(f"Sc.,Date\n{text},2026-03-14\n")
    assert (problem.row, problem.column) == (2, "Sc.")
    assert "is not a scene number" in problem.message


def test_missing_scene_number() -> None:
    [problem] = problems("Scene No.,Date\n1,2026-03-14\n,2026-03-14\n")
    assert (problem.row, problem.column) == (3, "Scene No.")
    assert problem.message == "The scene number is missing. Fill it in, or delete the row."


def test_a_part_written_twice_names_the_first_row() -> None:
    text = "Scene,Date\n12APT1,2026-03-14\n13,2026-03-14\nsc 12a pt 1,2026-03-15\n"
    [problem] = problems(text)
    assert (problem.row, problem.column) == (4, "Scene")
    assert problem.message.startswith("Scene 12APT1 is also on row 2. Give each part its own")


def test_a_scene_number_on_two_rows_is_a_scene_in_parts() -> None:
    # Was refused as a duplicate; the issue reads a repeated number as one scene shot in parts.
    text = "Scene,Date\n12A,2026-03-14\n13,2026-03-14\nsc 12a,2026-03-15\n"
    result = parse(text)
    assert [(s.number, s.part_of, s.shoot_date.day) for s in result.scenes] == [
        ("12APT1", "12A", 14),
        ("13", None, 14),
        ("12APT2", "12A", 15),
    ]
    assert "Scene 12A is on 2 rows; it is imported as parts: 12APT1 (row 2), 12APT2 (row 4)." in (
        result.notes
    )


def test_written_parts_keep_their_numbers_and_plain_repeats_take_the_free_ones() -> None:
    text = "Scene,Date\n89,2027-01-11\n89 pt 1,2027-01-12\n89,2027-01-13\n89PT3,2027-01-14\n"
    scenes = parse(text).scenes
    assert [(s.number, s.part_of) for s in scenes] == [
        ("89PT2", "89"),
        ("89PT1", "89"),
        ("89PT4", "89"),
        ("89PT3", "89"),
    ]


@pytest.mark.parametrize("cell", ["42, 43", "42 & 43", "42 and 43", "42; 43", "42,43"])
def test_a_row_with_several_scenes_gives_one_scene_each(cell: str) -> None:
    text = f'Scene,Date,Time,Set,Cast,Intimacy\n"{cell}",2027-01-11,09:00,INT. CAR,"1, 2",yes\n'
    first, second = parse(text).scenes
    assert (first.number, second.number) == ("42", "43")
    for scene in (first, second):
        assert (scene.row, scene.set_name, scene.cast_refs, scene.intimacy) == (
            2,
            "INT. CAR",
            ("1", "2"),
            True,
        )
        assert scene.start_at == datetime(2027, 1, 11, 9, 0, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1, 2, 5", ("1", "2", "5")),
        ("1.JANE, 2.BOB", ("1", "2")),
        ("Jane; Bob | Ann / Tom", ("Jane", "Bob", "Ann", "Tom")),
        ("1\n2\n\n3", ("1", "2", "3")),
        (" , ;", ()),
        ("", ()),
        ("1 2 3", ("1", "2", "3")),
        ("1 LENA", ("1",)),
        ("LENA (1), MAX (2)", ("1", "2")),
        ("01, 02", ("1", "2")),
        ("#1, #3", ("1", "3")),
        ("1 LENA, 1", ("1",)),
        ("12A 3", ("12A", "3")),
        ("Lena Vos, Max", ("Lena Vos", "Max")),
    ],
    ids=[
        "numbers",
        "movie-magic",
        "mixed-separators",
        "newlines",
        "only-separators",
        "empty",
        "spaces",
        "number-then-name",
        "name-then-number",
        "leading-zero",
        "hash",
        "same-performer-twice",
        "lettered-number",
        "names",
    ],
)
def test_cast_cell(cell: str, expected: tuple[str, ...]) -> None:
    # "1.JANE" gave "1.JANE" before; the cast number now wins in every form (names are
    # resolved against the roster anyway), so "1.JANE" and "1 LENA" read alike.
    assert split_cast(cell) == expected
    [scene] = parse(f'Scene,Date,Cast\n1,2026-03-14,"{cell}"\n').scenes
    assert scene.cast_refs == expected


INTIMACY = [
    *[(v, True) for v in ("yes", "Y", "TRUE", "1", "x", "X", "✓")],
    *[(v, False) for v in ("no", "N", "false", "0", "")],
]


@pytest.mark.parametrize(("cell", "expected"), INTIMACY, ids=[v or "empty" for v, _ in INTIMACY])
def test_intimacy_values(cell: str, expected: bool) -> None:
    [scene] = parse(f"Scene,Date,Intimacy\n1,2026-03-14,{cell}\n").scenes
    assert scene.intimacy is expected


def test_intimacy_is_none_without_the_column() -> None:
    [scene] = parse("Scene,Date\n1,2026-03-14\n").scenes
    assert scene.intimacy is None


def test_an_unclear_intimacy_value_is_undecided_and_not_quoted() -> None:
    # Was refused; the issue makes it "intimacy undecided" (asked until a coordinator decides).
    result = parse("Scene,Date,IC\n1,2026-03-14,maybe nudity\n")
    [scene] = result.scenes
    assert (scene.intimacy, scene.intimacy_undecided) == (True, True)
    [note] = [n for n in result.notes if "undecided" in n]
    assert "1 (row 2)" in note and "nudity" not in note


# --- planned content vs synopsis -------------------------------------------------------------


def test_intimacy_notes_column_gives_planned_content() -> None:
    text = (
        "Scene,Date,Intimacy,Intimacy Notes,Description\n"
        "1,2026-03-14,yes,Simulated sex; closed set,They make up\n"
        "2,2026-03-14,no,,They argue\n"
    )
    first, second = parse(text).scenes
    assert (first.planned_content, first.synopsis) == ("Simulated sex; closed set", "They make up")
    assert (second.planned_content, second.synopsis) == (None, "They argue")


def test_description_alone_is_planned_content_for_intimacy_scenes_only() -> None:
    text = "Scene,Date,IC,Synopsis\n1,2026-03-14,x,They kiss\n2,2026-03-14,,They argue\n"
    first, second = parse(text).scenes
    assert (first.planned_content, first.synopsis) == ("They kiss", "They kiss")
    assert (second.planned_content, second.synopsis) == (None, "They argue")


def test_description_without_intimacy_column_is_only_synopsis() -> None:
    [scene] = parse("Scene,Date,Description\n1,2026-03-14,They kiss\n").scenes
    assert (scene.intimacy, scene.planned_content, scene.synopsis) == (None, None, "They kiss")


# --- everything at once ----------------------------------------------------------------------


def test_full_row_and_order() -> None:
    text = (
        "Sc.;Shoot Date;Call;Set/Location;Cast #;Intimacy;IC Notes;Scene Description\n"
        "5;Sat 14 Mar 2026;2:30 PM;INT. BEDROOM - NIGHT;1.JANE, 2.BOB;✓;Kiss only;Reunion\n"
        "3;2026-03-15;0700;EXT. PARK;3;;;Walk\n"
    )
    result = parse(text)
    assert result.source_format == "csv"
    first, second = result.scenes
    assert first.number == "5" and second.number == "3"
    assert first.start_at.isoformat() == "2026-03-14T14:30:00+00:00"
    assert first.set_name == "INT. BEDROOM - NIGHT"
    assert first.cast_refs == ("1", "2")
    assert (first.intimacy, first.planned_content, first.synopsis) == (True, "Kiss only", "Reunion")
    assert (first.row, second.row) == (2, 3)
    assert second.intimacy is False and second.planned_content is None


def test_all_problems_are_reported_together_in_row_order() -> None:
    text = (
        "Scene,Date,Time,Intimacy,Intimacy Notes\n"
        "1PT1,2026-02-30,09:00,yes,secret words\n"
        ",2026-03-14,9am,no,\n"
        "1pt1,2026-03-14,25:00,perhaps,secret words\n"
        "4,2026-03-29,01:30,,\n"
        "5,2026-03-30,10:00,,\n"
    )
    found = problems(text)
    assert where(found) == [
        (2, "Date"),
        (3, "Scene"),
        (4, "Time"),
        (5, "Time"),
    ]
    assert all("secret" not in p.message for p in found)


def test_a_date_column_wins_over_a_shoot_day_column() -> None:
    text = "Scene,Shoot Day,Date,Time\n1,1,2026-03-10,09:00\n2,2,2026-03-11,09:00\n"
    schedule = parse_schedule_csv(text, ZoneInfo("Europe/London"))
    assert [s.shoot_date.isoformat() for s in schedule.scenes] == ["2026-03-10", "2026-03-11"]
    text = "Scene,Date,Day,Time\n1,2026-03-10,Tue,09:00\n"
    assert parse_schedule_csv(text, ZoneInfo("Europe/London")).scenes[0].shoot_date.day == 10


# --- intimacy is never silently missed -------------------------------------------------------

INTIMACY_HEADERS = [
    "Intimacy?",
    "Intimacy (Y/N)",
    "IC",
    "IC?",
    "IC Required",
    "IC (Y/N)",
    "Intimacy Coordinator",
    "Intimate Scene",
    "I.C.",
    "INTIMACY - CLOSED SET",
]


@pytest.mark.parametrize("header", INTIMACY_HEADERS)
def test_any_header_mentioning_intimacy_is_the_intimacy_flag(header: str) -> None:
    result = parse(f'Scene,Date,"{header}"\n1,2027-01-11,yes\n2,2027-01-11,\n')
    assert [s.intimacy for s in result.scenes] == [True, False]
    assert not [note for note in result.notes if note.startswith("Ignored")]


@pytest.mark.parametrize("header", ["Intimacy Notes", "IC Notes", "Intimacy details", "IC plan"])
def test_intimacy_notes_headers_are_planned_content_not_the_flag(header: str) -> None:
    text = f'Scene,Date,IC,"{header}"\n1,2027-01-11,yes,Kiss only\n'
    [scene] = parse(text).scenes
    assert (scene.intimacy, scene.planned_content) == (True, "Kiss only")


@pytest.mark.parametrize(
    "headers", [("Intimacy", "IC Required"), ("Intimacy?", "Intimate"), ("IC", "Intimacy (Y/N)")]
)
def test_two_intimacy_columns_refuse_the_file(headers: tuple[str, str]) -> None:
    [problem] = problems(f'Scene,Date,"{headers[0]}","{headers[1]}"\n1,2027-01-11,yes,no\n')
    assert (problem.row, problem.column) == (1, headers[1])
    assert "Two columns give the intimacy" in problem.message and "Keep one" in problem.message


YES_VALUES = ["yes", "Y", "x", "X", "✓", "✔", "TRUE", "1", "Yes - IC on set", "y (closed set)"]
NO_VALUES = ["", "no", "N", "false", "0", "-", "N/A", "none"]
UNDECIDED_VALUES = ["TBD", "?", "maybe", "yes?", "Y/N", "Kissing", "10", "pending"]


@pytest.mark.parametrize(
    ("cell", "intimacy", "undecided"),
    [
        *[(v, True, False) for v in YES_VALUES],
        *[(v, False, False) for v in NO_VALUES],
        *[(v, True, True) for v in UNDECIDED_VALUES],
    ],
    ids=[v or "empty" for v in (*YES_VALUES, *NO_VALUES, *UNDECIDED_VALUES)],
)
def test_intimacy_values_as_boards_write_them(cell: str, intimacy: bool, undecided: bool) -> None:
    assert parse_intimacy(cell) is (None if undecided else intimacy)
    result = parse(f'Scene,Date,Intimacy?\n12,2027-01-11,"{cell}"\n')
    [scene] = result.scenes
    assert (scene.intimacy, scene.intimacy_undecided) == (intimacy, undecided)
    notes = [n for n in result.notes if "Intimacy undecided" in n]
    assert len(notes) == (1 if undecided else 0)
    if undecided:
        assert "12 (row 2)" in notes[0]
        assert cell not in notes[0].replace("12 (row 2)", "")  # the cell is never quoted


def test_undecided_scenes_are_all_named_in_one_note() -> None:
    text = "Scene,Date,IC\n12,2027-01-11,TBD\n13,2027-01-11,no\n14,2027-01-11,?\n"
    [note] = [n for n in parse(text).notes if "Intimacy undecided" in n]
    assert "12 (row 2); 14 (row 4)" in note and "until a coordinator decides" in note


def test_a_filled_in_intimacy_note_without_a_flag_column_makes_the_scene_intimate() -> None:
    text = (
        "Scene,Date,Intimacy Notes\n1,2027-01-11,Simulated sex\n2,2027-01-11,\n3,2027-01-11,n/a\n"
    )
    scenes = parse(text).scenes
    assert [(s.intimacy, s.planned_content) for s in scenes] == [
        (True, "Simulated sex"),
        (None, None),
        (None, None),
    ]


def test_no_in_the_flag_beside_a_filled_in_note_is_undecided() -> None:
    result = parse("Scene,Date,IC,IC Notes\n1,2027-01-11,no,Kiss\n")
    [scene] = result.scenes
    assert (scene.intimacy, scene.intimacy_undecided, scene.planned_content) == (True, True, "Kiss")
    assert any("says no, but the intimacy notes are filled in" in n for n in result.notes)


# --- times after midnight (night shoots) ------------------------------------------------------

NIGHT = (
    "Scene,Date,Crew Call,Time\n"
    "1,2027-01-11,18:00,19:00\n"
    "2,2027-01-11,,23:30\n"
    "3,2027-01-11,,01:30\n"
    "4,2027-01-11,,03:00\n"
    "5,2027-01-12,18:00,18:30\n"
)


def test_times_before_the_days_call_are_on_the_next_calendar_date() -> None:
    result = parse(NIGHT)
    got = [
        (s.number, s.start_at.isoformat(), s.shoot_date.day, s.after_midnight)
        for s in result.scenes
    ]
    assert got == [
        ("1", "2027-01-11T19:00:00+00:00", 11, False),
        ("2", "2027-01-11T23:30:00+00:00", 11, False),
        ("3", "2027-01-12T01:30:00+00:00", 12, True),
        ("4", "2027-01-12T03:00:00+00:00", 12, True),
        ("5", "2027-01-12T18:30:00+00:00", 12, False),
    ]
    assert any("3 (row 4); 4 (row 5) start after midnight" in n for n in result.notes)


def test_the_call_in_a_day_banner_counts_for_that_day() -> None:
    text = "Scene,Time\nDay 1 - Mon 11 Jan 2027 - Crew Call 6:00 PM\n1,01:30\n2,19:00\n"
    first, second = parse(text).scenes
    assert first.start_at == datetime(2027, 1, 12, 1, 30, tzinfo=LONDON) and first.after_midnight
    assert second.start_at == datetime(2027, 1, 11, 19, 0, tzinfo=LONDON)


def test_without_a_call_the_first_scene_stands_in_for_it() -> None:
    text = "Scene,Date,Time\n1,2027-01-11,20:00\n2,2027-01-11,23:00\n3,2027-01-11,00:30\n"
    assert [s.after_midnight for s in parse(text).scenes] == [False, False, True]


def test_a_sheet_out_of_time_order_moves_no_morning_scene() -> None:
    # Sorted by scene number, not shooting order: 09:00 is the same morning, not the next one.
    text = "Scene,Date,Time\n1,2027-01-11,14:00\n2,2027-01-11,09:00\n3,2027-01-11,11:00\n"
    result = parse(text)
    assert [s.start_at.day for s in result.scenes] == [11, 11, 11]
    assert not any(s.after_midnight for s in result.scenes)


def test_a_night_shoot_out_of_time_order_is_not_guessed_but_noted() -> None:
    text = "Scene,Date,Time\n1,2027-01-11,22:00\n2,2027-01-11,01:00\n3,2027-01-11,23:00\n"
    result = parse(text)
    assert not any(s.after_midnight for s in result.scenes)
    assert any(
        "Mon 11 Jan 2027 are not in time order" in n and "Crew Call" in n for n in result.notes
    )


def test_a_start_long_before_the_call_is_refused() -> None:
    [problem] = problems("Scene,Date,Crew Call,Time\n1,2027-01-11,07:00,06:00\n")
    assert (problem.row, problem.column) == (2, "Time")
    assert (
        "before the day's call (07:00)" in problem.message and "Check the time" in problem.message
    )


def test_a_date_time_in_the_time_column_says_its_own_date() -> None:
    text = "Scene,Date,Time\n1,2027-01-12,2027-01-12T22:00\n2,2027-01-12,2027-01-13T01:30\n"
    first, second = parse(text).scenes
    assert (first.after_midnight, second.after_midnight) == (False, True)
    assert second.start_at == datetime(2027, 1, 13, 1, 30, tzinfo=LONDON)
    [problem] = problems("Scene,Date,Time\n1,2027-01-12,2027-01-15T01:30\n")
    assert "neither the shoot date" in problem.message


DST_NIGHTS = [
    # Clocks go forward at 01:00 on Sunday 28 March 2027 in London: 01:30 does not exist.
    (LONDON, "2027-03-27", "18:00", "01:30", "2027-03-28 01:30 does not exist"),
    # Clocks go back at 02:00 on Sunday 31 October 2027: 01:30 happens twice.
    (LONDON, "2027-10-30", "20:00", "01:30", "2027-10-31 01:30 happens twice"),
    (LA, "2027-03-13", "19:00", "02:30", "2027-03-14 02:30 does not exist"),
]


@pytest.mark.parametrize(
    ("zone", "day", "call", "at", "message"),
    DST_NIGHTS,
    ids=["london-spring", "london-autumn", "la"],
)
def test_a_night_shoot_across_a_daylight_saving_change(
    zone: ZoneInfo, day: str, call: str, at: str, message: str
) -> None:
    text = f"Scene,Date,Crew Call,Time\n1,{day},{call},{call}\n2,{day},,{at}\n"
    [problem] = problems(text, zone)
    assert (problem.row, problem.column) == (3, "Time")
    assert message in problem.message and "daylight-saving" in problem.message


def test_a_night_shoot_across_a_daylight_saving_change_after_it() -> None:
    text = "Scene,Date,Crew Call,Time\n1,2027-03-27,18:00,23:00\n2,2027-03-27,,02:30\n"
    before, after = parse(text).scenes
    assert before.start_at.utcoffset() == timedelta(0)
    assert after.start_at.isoformat() == "2027-03-28T02:30:00+01:00" and after.after_midnight


# --- times: zones, estimates, Excel serials, durations ----------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("7:00 AM PST", time(7, 0)),
        ("7:00 AM PT", time(7, 0)),
        ("19:00 (PST)", time(19, 0)),
        ("07:00-08:00", time(7, 0)),
    ],
)
def test_a_zone_after_the_time_matching_the_production(cell: str, expected: time) -> None:
    [scene] = parse(f"Scene,Date,Time\n1,2027-01-11,{cell}\n", LA).scenes
    assert scene.start_at.timetz().replace(tzinfo=None) == expected
    assert not scene.start_estimated


@pytest.mark.parametrize(
    ("zone", "day", "cell", "message"),
    [
        (LA, "2027-07-12", "7:00 AM PST", "on 2027-07-12 America/Los_Angeles is on PDT"),
        (LA, "2027-01-12", "7:00 AM PDT", "on 2027-01-12 America/Los_Angeles is on PST"),
        (LONDON, "2027-01-12", "7:00 AM PST", "not the production's time zone (Europe/London"),
        (LONDON, "2027-07-12", "07:00 GMT", "Europe/London is on BST"),
        (LONDON, "2027-07-12", "07:00+00:00", "is UTC+01:00"),
    ],
    ids=["pst-in-summer", "pdt-in-winter", "pst-in-london", "gmt-in-summer", "offset"],
)
def test_a_zone_that_is_not_the_productions_then(
    zone: ZoneInfo, day: str, cell: str, message: str
) -> None:
    [problem] = problems(f"Scene,Date,Time\n1,{day},{cell}\n", zone)
    assert (problem.row, problem.column) == (2, "Time")
    assert message in problem.message and cell in problem.message


def test_utc_names_are_accepted_when_the_zone_is_on_utc() -> None:
    [scene] = parse("Scene,Date,Time\n1,2027-01-12,07:00 UTC\n").scenes
    assert scene.start_at == datetime(2027, 1, 12, 7, 0, tzinfo=LONDON)


@pytest.mark.parametrize(
    "cell", ["7:00 (est)", "07:00 est.", "est. 7:00", "~7:00", "approx 7:00", "7:00 TBC", "7:00?"]
)
def test_estimated_times(cell: str) -> None:
    [scene] = parse(f"Scene,Date,Time\n1,2027-01-11,{cell}\n").scenes
    assert scene.start_at.hour == 7 and scene.start_estimated


def test_est_is_eastern_time_only_in_an_eastern_production() -> None:
    new_york = ZoneInfo("America/New_York")
    [scene] = parse("Scene,Date,Time\n1,2027-01-11,7:00 AM EST\n", new_york).scenes
    assert not scene.start_estimated and scene.start_at.utcoffset() == timedelta(hours=-5)
    [scene] = parse("Scene,Date,Time\n1,2027-01-11,7:00 est\n").scenes
    assert scene.start_estimated


def test_tbd_takes_the_previous_scenes_time_or_the_days_call() -> None:
    text = (
        "Scene,Date,Crew Call,Time\n"
        "1,2027-01-11,18:00,TBD\n"
        "2,2027-01-11,,20:00\n"
        "3,2027-01-11,,?\n"
        "4,2027-01-12,,\n"
    )
    result = parse(text, default_time=time(6, 30))
    got = [(s.number, f"{s.start_at:%d %H:%M}", s.start_estimated) for s in result.scenes]
    assert got == [
        ("1", "11 18:00", True),
        ("2", "11 20:00", False),
        ("3", "11 20:00", True),
        ("4", "12 06:30", True),
    ]
    [note] = [n for n in result.notes if "no start time" in n]
    assert note.startswith("3 scene(s) have no start time (empty or TBD)")
    assert "1 (row 2) at 18:00 (the day's call)" in note
    assert "3 (row 4) at 20:00 (the previous scene's time)" in note
    assert "4 (row 5) at 06:30 (the default call)" in note


def test_estimated_durations_give_the_next_estimate() -> None:
    text = (
        "Scene,Date,Time,Shoot Time\n1,2027-01-11,22:00,1:30\n2,2027-01-11,,2:00\n3,2027-01-11,,\n"
    )
    starts = [s.start_at for s in parse(text).scenes]
    assert starts == [
        datetime(2027, 1, 11, 22, 0, tzinfo=LONDON),
        datetime(2027, 1, 11, 23, 30, tzinfo=LONDON),
        datetime(2027, 1, 12, 1, 30, tzinfo=LONDON),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1:30", timedelta(hours=1, minutes=30)),
        ("0:45", timedelta(minutes=45)),
        ("90m", timedelta(minutes=90)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("1.5 hrs", timedelta(hours=1, minutes=30)),
        ("45 mins", timedelta(minutes=45)),
        ("", None),
    ],
)
def test_durations(text: str, expected: timedelta | None) -> None:
    assert parse_duration(text) == expected


def test_a_clock_time_in_the_duration_column_is_refused() -> None:
    [problem] = problems("Scene,Date,Shoot Time\n1,2027-01-11,7:00 PM\n")
    assert (problem.row, problem.column) == (2, "Shoot Time")
    assert "estimated duration" in problem.message


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("0.75", time(18, 0)), ("0.3125", time(7, 30)), ("0.5", time(12, 0)), (".25", time(6, 0))],
)
def test_excel_serial_times(cell: str, expected: time) -> None:
    [scene] = parse(f"Scene,Date,Time\n1,2027-01-11,{cell}\n").scenes
    assert scene.start_at.timetz().replace(tzinfo=None) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("46399", datetime(2027, 1, 12, 7, 0)), ("46399.75", datetime(2027, 1, 12, 18, 0))],
)
def test_excel_serial_dates(cell: str, expected: datetime) -> None:
    [scene] = parse(f"Scene,Date\n1,{cell}\n").scenes
    assert scene.start_at == expected.replace(tzinfo=LONDON)


@pytest.mark.parametrize(
    "cell", ["2027-01-12T18:00", "2027-01-12 18:00:00", "12 Jan 2027 6:00 PM", "Jan 12, 2027 18:00"]
)
def test_date_times_in_the_date_column(cell: str) -> None:
    [scene] = parse(f'Scene,Date\n1,"{cell}"\n').scenes
    assert scene.start_at == datetime(2027, 1, 12, 18, 0, tzinfo=LONDON)
    assert not scene.start_estimated


def test_a_time_past_24_hours_says_how_to_write_it() -> None:
    [problem] = problems("Scene,Date,Time\n1,2027-01-12,25:30\n")
    assert "For a time after midnight write 01:00" in problem.message


def test_the_productions_date_order() -> None:
    assert date_order_for(LA) == "mdy"
    assert date_order_for(ZoneInfo("US/Eastern")) == "mdy"
    assert date_order_for(LONDON) == "dmy"
    assert date_order_for(ZoneInfo("America/Toronto")) == "dmy"


# --- layouts as exported ---------------------------------------------------------------------


def test_movie_magic_one_liner() -> None:
    """Title lines, day breaks after the day ("End Day # 1 ...") with the Shoot Day strip
    above them, synopsis on a second line, a repeated page header, totals, no date column,
    "Shoot Time" as the estimated duration; UTF-8 with BOM and CRLF as saved on Windows."""
    raw = (FIXTURES / "mms_one_liner.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    result = fixture("mms_one_liner.csv", LONDON)
    scenes = by_number(result)
    assert list(scenes) == ["12PT1", "13", "14", "15", "12PT2", "89PT1", "89PT2", "42", "43"]
    # Day 1 (Mon 11 Jan, call 18:00 from the day break): estimates from the call and durations.
    assert [f"{scenes[n].start_at:%d %H:%M}" for n in ("12PT1", "13", "14", "15")] == [
        "11 18:00",
        "11 21:00",
        "11 23:30",
        "12 00:30",
    ]
    assert scenes["15"].after_midnight and scenes["15"].cast_refs == ("1",)
    assert all(s.start_estimated for s in result.scenes)
    # Day 2 (Tue 12 Jan, call 19:00).
    assert f"{scenes['12PT2'].start_at:%d %H:%M}" == "12 19:00"
    assert (scenes["12PT1"].part_of, scenes["12PT2"].part_of) == ("12", "12")
    assert (scenes["89PT1"].row, scenes["89PT2"].row) == (18, 20)
    assert scenes["42"].cast_refs == ("1", "2") and scenes["43"].start_at == scenes["42"].start_at
    # "Intimacy (Y/N)": Y, N, and TBD (undecided).
    assert [scenes[n].intimacy for n in ("12PT1", "13", "14")] == [True, False, True]
    assert scenes["14"].intimacy_undecided
    assert scenes["12PT1"].synopsis == "Lena and Max make up after the party"
    assert scenes["12PT1"].set_name == "LENA'S FLAT - BEDROOM"
    assert result.notes[:2] == (
        "Skipped 3 line(s) above the header (row 5).",
        "Skipped 1 repeated header row(s).",
    )
    assert "Skipped 5 banner line(s) (day breaks, moves, meals)." in result.notes
    assert "Skipped 1 totals line(s)." in result.notes


def test_sceneitall_one_liner() -> None:
    """Shooting-day headers above the day (with the crew call), a travel-day banner, cast as
    "#1, #3", ticks in the Intimacy column, start times past midnight, a footer summary."""
    result = fixture("sceneitall_one_liner.csv", LONDON)
    scenes = by_number(result)
    got = [(n, f"{s.start_at:%d %H:%M}", s.after_midnight) for n, s in scenes.items()]
    assert got == [
        ("31", "11 19:00", False),
        ("32", "11 23:30", False),
        ("33", "12 01:30", True),
        ("34", "12 03:00", True),
        ("35", "13 18:00", False),
        ("36", "13 18:00", False),
    ]
    assert scenes["31"].cast_refs == ("1", "3")
    assert [scenes[n].intimacy for n in ("31", "33", "35")] == [True, False, True]
    assert (scenes["36"].intimacy_undecided, scenes["36"].start_estimated) == (True, True)
    assert "Skipped 1 totals line(s)." in result.notes


def test_excel_semicolon_csv_in_windows_1252() -> None:
    raw = (FIXTURES / "excel_semicolon_cp1252.csv").read_bytes()
    assert b"\x96" in raw and b"\xc9" in raw and b"\r\n" in raw  # cp1252 en dash and É, CRLF
    scenes = by_number(fixture("excel_semicolon_cp1252.csv", ZoneInfo("Europe/Berlin")))
    first = scenes["7"]
    assert first.set_name == "INT. CAFÉ – NACHT"
    assert first.start_at.isoformat() == "2027-03-14T19:30:00+01:00"
    assert (first.intimacy, first.planned_content) == (True, "Kuss, bekleidet")
    assert first.cast_refs == ("1", "2")
    assert scenes["8"].synopsis == "Zoë wartet (5 €)" and scenes["8"].intimacy is False


def test_csv_saved_from_excel_with_serial_dates_and_times() -> None:
    scenes = by_number(fixture("excel_serials.csv", LONDON))
    assert {n: f"{s.start_at:%Y-%m-%d %H:%M}" for n, s in scenes.items()} == {
        "101": "2027-01-12 18:00",
        "102": "2027-01-12 22:30",
        "103": "2027-01-13 01:30",
        "104": "2027-01-13 07:30",
    }
    assert scenes["103"].after_midnight and not scenes["104"].after_midnight


def test_us_spreadsheet_with_zones_estimates_and_the_date_order() -> None:
    with pytest.raises(AmbiguousDateOrder) as caught:
        fixture("us_spreadsheet.csv", LA)
    assert caught.value.question == "Is 01/11/2027 the 1st of November or January 11th?"
    result = fixture("us_spreadsheet.csv", LA, date_order="mdy")
    scenes = by_number(result)
    assert list(scenes) == ["5", "5A", "5B", "6", "7"]
    assert scenes["5"].start_at.isoformat() == "2027-01-11T07:00:00-08:00"
    assert scenes["5A"].start_estimated and scenes["5B"].start_at == scenes["5A"].start_at
    assert f"{scenes['6'].start_at:%H:%M}" == "09:30" and scenes["6"].start_estimated
    assert scenes["7"].shoot_date == date(2027, 1, 12) and scenes["7"].intimacy


def test_day_banners_give_dates_when_there_is_no_date_column() -> None:
    text = (
        "Scene,Time\n"
        "1,09:00\n"
        "2,10:00\n"
        "End of Day 3 — Tue 12 Jan 2027 — 4 3/8 pages\n"
        "DAY 4\n"
        "3,09:00\n"
        "Company move\n"
        "4,14:00\n"
        "End of Day 4 — Wed 13 Jan 2027\n"
        '"Tuesday, January 19, 2027"\n'
        "5,08:00\n"
    )
    result = parse(text)
    assert [(s.number, s.shoot_date.day) for s in result.scenes] == [
        ("1", 12),
        ("2", 12),
        ("3", 13),
        ("4", 13),
        ("5", 19),
    ]


def test_banners_that_disagree_are_refused() -> None:
    text = "Scene,Time\nDay 1 - Mon 11 Jan 2027\n1,09:00\nEnd of Day 1 - Tue 12 Jan 2027\n"
    [problem] = problems(text)
    assert problem.row == 4 and "banner on row 2" in problem.message


def test_a_banner_weekday_must_match_its_date() -> None:
    [problem] = problems("Scene,Time\n1,09:00\nEnd of Day 1 - Wed 12 Jan 2027\n")  # only one
    assert problem.row == 3 and "says Wednesday, but 2027-01-12 is a Tuesday" in problem.message


def test_rows_after_the_last_day_break_have_no_date() -> None:
    text = "Scene,Time\n1,09:00\nEnd of Day 1 - Mon 11 Jan 2027\n2,09:00\n"
    [problem] = problems(text)
    assert problem.row == 4 and "No shoot date for this row" in problem.message


def test_a_shoot_day_column_of_day_numbers_is_not_a_date_column() -> None:
    text = (
        "Shoot Day,Scene,Time\n"
        "1,10,09:00\n"
        "1,11,10:00\n"
        "End of Day 1 — Mon 11 Jan 2027\n"
        "2,12,09:00\n"
        "End of Day 2 — Tue 12 Jan 2027\n"
    )
    result = parse(text)
    assert [(s.number, s.shoot_date.day) for s in result.scenes] == [
        ("10", 11),
        ("11", 11),
        ("12", 12),
    ]
    assert any("holds shoot-day numbers" in note for note in result.notes)


def test_unknown_one_cell_lines_are_skipped_and_noted() -> None:
    result = parse("Scene,Date,Description\n1,2027-01-11,They talk\nPRE-RIG CREW ONLY,,\n")
    assert [s.number for s in result.scenes] == ["1"]
    assert "Skipped row 3 ('PRE-RIG CREW ONLY'): a line without a scene number." in result.notes


def test_a_continuation_line_of_intimacy_notes_is_added_and_never_quoted() -> None:
    text = "Scene,Date,IC,Intimacy Notes\n1,2027-01-11,yes,Kiss\n,,,closed set\n"
    result = parse(text)
    assert result.scenes[0].planned_content == "Kiss\nclosed set"
    assert not any("closed set" in note for note in result.notes)


def test_a_line_with_only_an_intimacy_mark_is_a_scene_row_missing_its_number() -> None:
    [problem] = problems("Scene,Date,IC\n1,2027-01-11,no\n,,yes\n")
    assert (problem.row, problem.column) == (3, "Scene")


def test_set_and_location_columns_together() -> None:
    result = parse("Scene,Date,Set,Location\n1,2027-01-11,INT. KITCHEN,Stage 3\n")
    assert result.scenes[0].set_name == "INT. KITCHEN"
    assert "Ignored column 'Location'" in result.notes


# --- errors a person can act on ---------------------------------------------------------------


def test_a_wrong_header_guess_names_the_row_it_took() -> None:
    text = "My Film\nDate,Set,Szene,Pages\n2027-01-11,KITCHEN,1,1/8\n"
    [problem] = problems(text)
    assert problem.row == 2 and "The scene number column is missing" in problem.message
    assert problem.message.startswith("The scene number column is missing. Name it one of: Scene,")
    assert (
        "I took row 2 as the header row (it names Date, Set; other cells: 'Szene', 'Pages')."
        in problem.message
    )


def test_a_header_guess_quotes_no_cell_of_a_row_that_names_no_column() -> None:
    found = problems("12,2027-01-11,Simulated sex\n13,2027-01-12,Kiss\n")
    assert [p.row for p in found] == [1, 1]  # the scene number and the shoot date columns
    assert all("names none of the columns I know" in p.message for p in found)
    assert not any("Simulated" in p.message for p in found)


def test_no_date_column_and_no_dated_banner() -> None:
    [problem] = problems("Title\nScene,Set,Cast\n1,KITCHEN,1\nEnd of Day 1\n")
    assert problem.row == 2 and problem.message.startswith("The shoot date column is missing")
    assert "Shoot Date" in problem.message and "I took row 2 as the header row" in problem.message


def test_a_long_problem_list_is_cut_with_a_count() -> None:
    rows = "".join(f"{n},2027-02-30\n" for n in range(1, 301))
    found = problems("Scene,Date\n" + rows)
    rendered = "\n".join(f"• {p}" for p in found)
    assert len(rendered) < 3000 and len(found) == 20
    with pytest.raises(InputRejected) as caught:
        parse("Scene,Date\n" + rows)
    assert caught.value.summary() == rendered  # the upload path shows the very same list
    assert found[-1].message.startswith("… and ") and "more problem(s)" in found[-1].message
    shown = len(found) - 1
    assert f"and {300 - shown} more" in found[-1].message
    assert found[0].row == 2 and "Write dates like" in found[0].message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf\r\n\r\n", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "image"),
        (b"PK\x03\x04" + b"\x00" * 50, "damaged"),
        (bytes(range(256)) * 4, "not text"),
    ],
    ids=["empty", "bom-only", "pdf", "xls", "png", "broken-zip", "binary"],
)
def test_files_that_are_no_schedule_are_refused_with_what_to_do(data: bytes, message: str) -> None:
    with pytest.raises(InputRejected) as caught:
        parse(decode(data))
    [problem] = caught.value.problems
    assert message in problem.message


def test_utf16_unicode_text_from_excel() -> None:
    text = "Scene\tDate\tTime\n1\t2027-01-11\t09:00\n"
    [scene] = parse(decode(text.encode("utf-16"))).scenes
    assert scene.start_at == datetime(2027, 1, 11, 9, 0, tzinfo=LONDON)


def test_a_cast_list_below_a_title_line_is_told_from_a_schedule() -> None:
    assert detect_kind(
        "Cast List - The Long Night\nCast #,Character,Performer,Slack\n1,A,B,U1\n"
    ) is (FileKind.CAST)
    assert detect_kind("THE LONG NIGHT\nONE-LINER\nScene #,Set,ID List\n1,A,1\n") is (
        FileKind.SCHEDULE
    )


def test_a_row_with_scene_data_is_never_skipped_as_a_banner() -> None:
    [problem] = problems(
        "Set,Scene,Date,Time\nKITCHEN,1,2027-01-11,09:00\nWRAP PARTY,,2027-01-11,22:00\n"
    )
    assert (problem.row, problem.column) == (3, "Scene") and "missing" in problem.message


def test_a_date_time_in_the_date_column_is_never_moved_past_midnight() -> None:
    text = "Scene,Date\n1,2027-01-12T22:00\n2,2027-01-12T01:30\n"
    first, second = parse(text).scenes
    assert second.start_at == datetime(2027, 1, 12, 1, 30, tzinfo=LONDON)
    assert not first.after_midnight and not second.after_midnight


@pytest.mark.parametrize(
    ("header", "cell", "message"),
    [
        ("Time", "1 " * 500, "is too long to be a time"),
        ("Date", "1 " * 500, "is too long to be a date"),
        ("Scene", "1 and " * 100, "is too long to be scene numbers"),
        ("Shoot Time", "9" * 100, "is too long to be a duration"),
        ("Shoot Time", "30h", "longer than a shoot day"),
        ("Date", "9999-12-31", "check the year"),
    ],
    ids=["time", "date", "scene", "duration", "long-duration", "year"],
)
def test_values_that_cannot_be_what_their_column_says(header: str, cell: str, message: str) -> None:
    base = {"Scene": "1", "Date": "2027-01-11"}
    headers = {**base, header: cell}
    text = ",".join(headers) + "\n" + ",".join(f'"{v}"' for v in headers.values()) + "\n"
    [problem] = problems(text)
    assert (problem.row, problem.column) == (2, header)
    assert message in problem.message and len(problem.message) < 200


def _mangled(data: bytes, rng: random.Random) -> bytes:
    """`data` cut short, with bytes changed, or with cells of the schedule's own vocabulary
    dropped in (delimiters, quotes, dates, times, banners)."""
    pieces = [
        b",",
        b";",
        b'"',
        b"\r\n",
        b"\n",
        b"\x00",
        b"\xff",
        b"31/02/2027",
        b"25:99",
        b"End of Day 9",
        b"Day 0",
        b"TBD",
        b"12pt",
        b"#",
        b"0.9999",
        b"99999",
        b"PST",
    ]
    out = bytearray(data[: rng.randrange(len(data) + 1)] if rng.random() < 0.3 else data)
    for _ in range(rng.randrange(1, 6)):
        at = rng.randrange(len(out) + 1)
        if rng.random() < 0.5 and out:
            out[min(at, len(out) - 1)] = rng.randrange(256)
        else:
            out[at:at] = rng.choice(pieces)
    return bytes(out)


def test_mangled_files_raise_nothing_but_input_rejected() -> None:
    rng = random.Random(20270111)
    sources = [p.read_bytes() for p in sorted(FIXTURES.glob("*.csv"))]
    sources += [p.read_bytes() for p in sorted(FIXTURES.parent.joinpath("xlsx").glob("*.xlsx"))]
    outcomes: Counter[str] = Counter()
    for source in sources:
        for _ in range(60):
            try:
                text = decode(_mangled(source, rng))
                parse_schedule_csv(text, LONDON, date_order=rng.choice(["dmy", "mdy", None]))
                outcomes["read"] += 1
            except InputRejected:
                outcomes["refused"] += 1
    assert outcomes["read"] and outcomes["refused"]  # both kinds were exercised
