"""Schedule CSV parsing: headers, date and time formats, errors with their row and column, DST."""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.csvread import MAX_CELL_CHARS, MAX_ROWS
from bot.problems import InputRejected, Problem
from bot.schedule.csv_format import (
    parse_date,
    parse_schedule_csv,
    parse_time,
)
from bot.schedule.model import ImportedSchedule

LONDON = ZoneInfo("Europe/London")
LA = ZoneInfo("America/Los_Angeles")


def parse(
    text: str,
    zone: ZoneInfo = LONDON,
    *,
    day_first: bool | None = None,
    default_time: time = time(7, 0),
) -> ImportedSchedule:
    return parse_schedule_csv(text, zone, day_first=day_first, default_time=default_time)


def problems(text: str, zone: ZoneInfo = LONDON) -> list[Problem]:
    with pytest.raises(InputRejected) as caught:
        parse(text, zone)
    return caught.value.problems


def where(found: list[Problem]) -> list[tuple[int | None, str | None]]:
    return [(p.row, p.column) for p in found]


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
    ("day_first", "expected"), [(True, date(2026, 4, 3)), (False, date(2026, 3, 4))]
)
def test_day_first_given_by_caller(day_first: bool, expected: date) -> None:
    [scene] = parse("Scene,Date\n1,03/04/2026\n", day_first=day_first).scenes
    assert scene.shoot_date == expected


def test_ambiguous_slashed_dates_report_the_first_row_only() -> None:
    [problem] = problems("Scene,Shoot Date\n1,2026-03-14\n2,03/04/2026\n3,04/05/2026\n")
    assert (problem.row, problem.column) == (3, "Shoot Date")
    assert "3 April or 4 March" in problem.message and "YYYY-MM-DD" in problem.message


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
    assert (problem.row, problem.column, problem.message) == (
        2,
        "Date",
        "The shoot date is missing.",
    )


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
]


@pytest.mark.parametrize(("text", "expected"), SCENE_NUMBERS, ids=[t for t, _ in SCENE_NUMBERS])
def test_scene_numbers_are_normalised(text: str, expected: str) -> None:
    [scene] = parse(f'Scene,Date\n"{text}",2026-03-14\n').scenes
    assert scene.number == expected


@pytest.mark.parametrize("text", ["hello world", "42/43", "42--43", "--"])
def test_bad_scene_numbers(text: str) -> None:
    [problem] = problems(f"Sc.,Date\n{text},2026-03-14\n")
    assert (problem.row, problem.column) == (2, "Sc.")
    assert "is not a scene number" in problem.message


def test_missing_scene_number() -> None:
    [problem] = problems("Scene No.,Date\n1,2026-03-14\n,2026-03-14\n")
    assert (problem.row, problem.column, problem.message) == (
        3,
        "Scene No.",
        "The scene number is missing.",
    )


def test_duplicate_scene_names_the_first_row() -> None:
    text = "Scene,Date\n12A,2026-03-14\n13,2026-03-14\nsc 12a,2026-03-15\n"
    [problem] = problems(text)
    assert (problem.row, problem.column) == (4, "Scene")
    assert problem.message == "Scene 12A is also on row 2."


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1, 2, 5", ("1", "2", "5")),
        ("1.JANE, 2.BOB", ("1.JANE", "2.BOB")),
        ("Jane; Bob | Ann / Tom", ("Jane", "Bob", "Ann", "Tom")),
        ("1\n2\n\n3", ("1", "2", "3")),
        (" , ;", ()),
        ("", ()),
    ],
    ids=["numbers", "movie-magic", "mixed-separators", "newlines", "only-separators", "empty"],
)
def test_cast_cell(cell: str, expected: tuple[str, ...]) -> None:
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


def test_bad_intimacy_value_is_not_quoted() -> None:
    [problem] = problems("Scene,Date,IC\n1,2026-03-14,maybe nudity\n")
    assert (problem.row, problem.column) == (2, "IC")
    assert "nudity" not in problem.message and "yes or no" in problem.message


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
    assert first.cast_refs == ("1.JANE", "2.BOB")
    assert (first.intimacy, first.planned_content, first.synopsis) == (True, "Kiss only", "Reunion")
    assert (first.row, second.row) == (2, 3)
    assert second.intimacy is False and second.planned_content is None


def test_all_problems_are_reported_together_in_row_order() -> None:
    text = (
        "Scene,Date,Time,Intimacy,Intimacy Notes\n"
        "1,2026-02-30,09:00,yes,secret words\n"
        ",2026-03-14,9am,no,\n"
        "1,2026-03-14,25:00,perhaps,secret words\n"
        "4,2026-03-29,01:30,,\n"
    )
    found = problems(text)
    assert where(found) == [
        (2, "Date"),
        (3, "Scene"),
        (4, "Scene"),
        (4, "Time"),
        (4, "Intimacy"),
        (5, "Time"),
    ]
    assert all("secret" not in p.message for p in found)


def test_a_date_column_wins_over_a_shoot_day_column() -> None:
    text = "Scene,Shoot Day,Date,Time\n1,1,2026-03-10,09:00\n2,2,2026-03-11,09:00\n"
    schedule = parse_schedule_csv(text, ZoneInfo("Europe/London"))
    assert [s.shoot_date.isoformat() for s in schedule.scenes] == ["2026-03-10", "2026-03-11"]
    text = "Scene,Date,Day,Time\n1,2026-03-10,Tue,09:00\n"
    assert parse_schedule_csv(text, ZoneInfo("Europe/London")).scenes[0].shoot_date.day == 10
