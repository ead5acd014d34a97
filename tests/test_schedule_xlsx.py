"""Schedules (and cast lists) saved as Excel workbooks: typed cells, sheets, formulas, damage.

The committed workbooks in tests/fixtures/xlsx/ are built by make_fixtures.py there; the
smaller cases build their workbook here.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, Reference

from bot.cast.csv_format import CastRow, parse_cast_csv
from bot.imports import FileKind, decode, detect_kind, parse_schedule
from bot.problems import InputRejected
from bot.schedule import xlsx
from bot.schedule.csv_format import AmbiguousDateOrder
from bot.schedule.model import ImportedSchedule
from bot.schedule.xlsx import WorkbookText, cell_text, parse_schedule_xlsx
from storage.models import Production
from tests.fixtures.xlsx import make_fixtures

LONDON = ZoneInfo("Europe/London")
FIXTURES = Path(__file__).parent / "fixtures" / "xlsx"


def saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_of(rows: list[list[object]], title: str = "Schedule") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    return saved(workbook)


def production(zone: str = "Europe/London") -> Production:
    return Production(name="The Long Night", time_zone=zone, default_call=time(7, 0))


def refused(data: bytes) -> str:
    with pytest.raises(InputRejected) as caught:
        parse_schedule_xlsx(data, LONDON)
    [problem] = caught.value.problems
    return str(problem)


@pytest.mark.parametrize("name", sorted(make_fixtures.FIXTURES))
def test_committed_fixtures_match_their_script(name: str) -> None:
    committed = load_workbook(FIXTURES / name)
    built = load_workbook(io.BytesIO(saved(make_fixtures.FIXTURES[name]())))
    assert committed.sheetnames == built.sheetnames
    for sheet in committed.sheetnames:
        assert [[c.value for c in row] for row in committed[sheet].iter_rows()] == [
            [c.value for c in row] for row in built[sheet].iter_rows()
        ]


def test_one_liner_workbook() -> None:
    """The schedule sheet after a cover sheet, title lines, typed date and time cells, a
    General-format serial date and day fraction, TRUE/FALSE intimacy, a merged day break."""
    result = parse_schedule_xlsx((FIXTURES / "one_liner.xlsx").read_bytes(), LONDON)
    assert result.source_format == "xlsx"
    got = [
        (s.number, s.part_of, f"{s.start_at:%Y-%m-%d %H:%M}", s.after_midnight, s.row)
        for s in result.scenes
    ]
    assert got == [
        ("12PT1", "12", "2027-01-11 19:00", False, 6),
        ("13", None, "2027-01-11 23:30", False, 7),
        ("14", None, "2027-01-12 01:30", True, 8),
        ("12PT2", "12", "2027-01-12 18:00", False, 11),
        ("89", None, "2027-01-12 20:30", False, 12),
    ]
    scenes = {s.number: s for s in result.scenes}
    assert [scenes[n].intimacy for n in ("12PT1", "13", "14", "89")] == [True, False, True, False]
    assert scenes["14"].intimacy_undecided and scenes["14"].cast_refs == ("1", "2", "5")
    assert scenes["12PT2"].cast_refs == ("1", "2") and scenes["13"].cast_refs == ("1",)
    assert result.notes[:2] == (
        "Read the sheet 'One-Liner' of the workbook.",
        "Skipped 3 line(s) above the header (row 5).",
    )
    assert "Skipped 1 totals line(s)." in result.notes


def test_an_upload_of_a_workbook_goes_through_the_import_functions() -> None:
    text = decode((FIXTURES / "one_liner.xlsx").read_bytes())
    assert isinstance(text, WorkbookText) and text.sheet == "One-Liner"
    assert detect_kind(text) is FileKind.SCHEDULE
    result = parse_schedule(text, production())
    assert result.source_format == "xlsx"
    assert [s.number for s in result.scenes] == ["12PT1", "13", "14", "12PT2", "89"]
    # The text is the sheet as CSV, one record per workbook row (blank rows too).
    assert text.splitlines()[4].startswith("Scene #,I/E,Set,D/N")


def test_a_cast_list_workbook_reads_as_a_cast_list() -> None:
    text = decode((FIXTURES / "cast_list.xlsx").read_bytes())
    assert detect_kind(text) is FileKind.CAST
    assert parse_cast_csv(text) == [
        CastRow("1", "LENA", "Lena Vos", "U0123ABCD", 3),
        CastRow("2", "MAX", "Max Roe", "max@example.com", 4),
    ]


def test_an_intimacy_formula_without_a_saved_value_refuses_the_file() -> None:
    problem = refused((FIXTURES / "formula_intimacy.xlsx").read_bytes())
    assert problem.startswith("Row 2, column 'Intimacy': This cell holds a formula")
    assert "Open the file in Excel, LibreOffice or Numbers, save it" in problem


def test_a_formula_with_its_saved_value_is_read() -> None:
    data = (FIXTURES / "formula_intimacy.xlsx").read_bytes()
    # What Excel writes: the formula and, beside it, the value it last computed.
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        files = {name: source.read(name) for name in source.namelist()}
    sheet = files["xl/worksheets/sheet1.xml"]
    formula = b'<c r="E2"><f>IF(D2="yes","Y","N")</f><v /></c>'
    assert formula in sheet
    files["xl/worksheets/sheet1.xml"] = sheet.replace(
        formula, b'<c r="E2" t="str"><f>IF(D2="yes","Y","N")</f><v>Y</v></c>'
    )
    first, second = parse_schedule_xlsx(_zip(files), LONDON).scenes
    assert (first.intimacy, second.intimacy) == (True, False)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "yes"),
        (False, "no"),
        (12, "12"),
        (12.0, "12"),
        (42.1, "42.1"),
        (0.3125, "0.3125"),
        (date(2027, 1, 12), "2027-01-12"),
        (datetime(2027, 1, 12), "2027-01-12"),
        (datetime(2027, 1, 12, 18, 30), "2027-01-12T18:30"),
        (datetime(1899, 12, 30, 7, 30), "07:30"),
        (time(7, 5), "07:05"),
        (time(7, 5, 30), "07:05:30"),
        (timedelta(hours=1, minutes=30), "01:30"),
        (timedelta(hours=25, minutes=30), "25:30"),
        ("  INT.\nKITCHEN ", "INT. KITCHEN"),
    ],
)
def test_cell_values_become_unambiguous_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_typed_dates_never_raise_the_date_order_question() -> None:
    """A date cell shown as 03/04/2027 is stored as a date: no question, whatever the format."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Scene", "Date", "Time"])
    sheet.append(["1", date(2027, 4, 3), time(9, 0)])
    sheet["B2"].number_format = "dd/mm/yyyy"
    [scene] = parse_schedule_xlsx(saved(workbook), LONDON).scenes
    assert scene.shoot_date == date(2027, 4, 3)


def test_dates_typed_as_text_follow_the_date_order() -> None:
    data = sheet_of([["Scene", "Date"], ["1", "03/04/2027"]])
    with pytest.raises(AmbiguousDateOrder) as caught:
        parse_schedule_xlsx(data, LONDON)
    assert (caught.value.example, caught.value.row) == ("03/04/2027", 2)
    assert parse_schedule_xlsx(data, LONDON, date_order="mdy").scenes[0].shoot_date.month == 3
    # Through the import functions the production's order is used: day-first in London,
    # month-first in Los Angeles; None asks.
    text = decode(data)
    assert parse_schedule(text, production()).scenes[0].shoot_date == date(2027, 4, 3)
    la = parse_schedule(text, production("America/Los_Angeles"))
    assert la.scenes[0].shoot_date == date(2027, 3, 4)
    with pytest.raises(AmbiguousDateOrder):
        parse_schedule(text, production(), date_order=None)


def test_csv_text_goes_through_parse_schedule_with_the_productions_order() -> None:
    text = decode(b"Scene,Date\r\n1,03/04/2027\r\n")
    assert parse_schedule(text, production()).scenes[0].shoot_date == date(2027, 4, 3)
    assert parse_schedule(text, production(), date_order="mdy").scenes[0].shoot_date.month == 3


def test_day_banners_in_a_workbook_without_a_date_column() -> None:
    data = sheet_of(
        [
            ["Scene", "Start", "IC"],
            ["Day 1 — Mon 11 Jan 2027 — Call 18:00"],
            ["1", time(19, 0), True],
            ["2", time(1, 0), False],
            ["End of Day 1"],
            ["DAY 2 - Tue 12 Jan 2027"],
            ["3", time(19, 0), "TBD"],
        ]
    )
    result = parse_schedule_xlsx(data, LONDON)
    assert [(s.number, f"{s.start_at:%d %H:%M}", s.intimacy) for s in result.scenes] == [
        ("1", "11 19:00", True),
        ("2", "12 01:00", False),
        ("3", "12 19:00", True),
    ]


def test_the_first_sheet_is_read_when_none_has_a_header() -> None:
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.title = "Notes"
    first.append(["just notes"])
    workbook.create_sheet("Other").append(["more notes"])
    problem = refused(saved(workbook))
    assert "There are no scenes below the header" in problem


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: sheet_of([["Scene", "Date"], ["1", "2027-01-11"]])[:200], "damaged"),
        (lambda: b"PK\x05\x06" + b"\x00" * 18, "not text"),
        (lambda: _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), "(.ods)"),
        (lambda: _zip({"Index/Document.iwa": b"x"}), "Numbers"),
        (lambda: _zip({"word/document.xml": b"<w/>"}), "zip archive"),
        (lambda: _zip({"xl/workbook.xml": b"<not xml"}), "damaged"),
        (lambda: sheet_of([]), "empty"),
    ],
    ids=["truncated", "empty-zip", "ods", "numbers", "docx", "bad-xml", "empty-sheet"],
)
def test_files_that_are_no_readable_workbook_are_refused(
    build: Callable[[], bytes], message: str
) -> None:
    with pytest.raises(InputRejected) as caught:
        parse_schedule(decode(build()), production())
    [problem] = caught.value.problems
    assert message in problem.message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "This Excel workbook is damaged"),
        (b"PK\x03\x04" + b"\x00" * 40, "This Excel workbook is damaged"),
        (b"%PDF-1.7", "This is a PDF"),
        (sheet_of([["a"]])[:300], "This Excel workbook is damaged"),
    ],
    ids=["empty", "broken-zip", "pdf", "truncated"],
)
def test_the_xlsx_reader_itself_refuses_what_is_no_workbook(data: bytes, message: str) -> None:
    assert message in refused(data)


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_workbook_that_unpacks_too_large_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "MAX_UNPACKED_BYTES", 1000)
    assert "unpacks to more than" in refused((FIXTURES / "one_liner.xlsx").read_bytes())


def test_row_numbers_are_the_workbooks_own() -> None:
    data = sheet_of([["Scene", "Date", "Time"], [], [], ["1", "2027-02-30", "09:00"]])
    assert refused(data).startswith("Row 4, column 'Date'")


def _schedule(data: bytes) -> ImportedSchedule:
    return parse_schedule_xlsx(data, LONDON)


def test_general_format_serials_and_checkbox_cells() -> None:
    data = sheet_of(
        [
            ["Scene", "Shoot Date", "Time", "Intimacy (Y/N)"],
            ["101", 46399, 0.75, True],
            ["102", 46399, 0.0625, False],
        ]
    )
    first, second = _schedule(data).scenes
    assert first.start_at == datetime(2027, 1, 12, 18, 0, tzinfo=LONDON) and first.intimacy
    assert second.start_at == datetime(2027, 1, 13, 1, 30, tzinfo=LONDON) and second.after_midnight


def test_a_chart_sheet_before_the_schedule_is_passed_over() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Data"
    sheet.append(["Scene", "Date", "Pages"])
    sheet.append(["1", "2027-01-11", 3])
    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=3, min_row=1, max_row=2))
    workbook.create_chartsheet("Pages chart", 0).add_chart(chart)
    assert [s.number for s in _schedule(saved(workbook)).scenes] == ["1"]
