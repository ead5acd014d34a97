"""Shooting schedules saved as Excel workbooks (.xlsx), read directly with openpyxl.

Scheduling tools export to Excel as well as CSV (Filmustage exports the stripboard as XLSX;
Movie Magic, Gorilla and SceneItAll reports are often saved or pasted into Excel; ADs keep
one-liners in Excel or Google Sheets and download them as .xlsx). Such a workbook is read like
the CSV file it would save as (`bot.schedule.csv_format` has the readings), with these
Excel-specific ones:

- The sheet read is the first whose top rows hold a recognised header (a title or cover sheet
  may come first); failing that, the first sheet. Which sheet was read is noted when the
  workbook has several.
- Cells come back typed: a date cell as a date or date-time, a time cell as a time (or a
  duration, for `[h]:mm` formats), TRUE/FALSE as yes/no, numbers as numbers. They are written
  out as text the CSV reader takes unambiguously (ISO dates, 24-hour times), so a date cell never
  raises the day-first question. A date typed into a General cell stays an Excel serial number
  (46399), which the reader takes as a date too.
- A formula's value is the one Excel saved with the file. A formula with no saved value (a
  workbook written by a program and never opened in a spreadsheet) cannot be read; the row and
  column are named so that a person can open and save the file.
- Merged cells (a day banner across the row) hold their text in the first cell, as in CSV.
- Row numbers are the workbook's own, blank rows included.

A file that is not an .xlsx workbook at all (an old .xls, a password-protected workbook, a PDF,
an OpenDocument or Numbers file, an image), a damaged one, or one that unpacks to more than
MAX_UNPACKED_BYTES is refused with `InputRejected` saying what to export instead.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from bot.csvread import HEADER_SEARCH_ROWS, MAX_ROWS, Column, Record, header_score
from bot.problems import InputRejected, Problem
from bot.schedule.csv_format import COLUMNS, DateOrder, read_schedule_records
from bot.schedule.model import ImportedSchedule

MAX_UNPACKED_BYTES = 64 * 1024 * 1024
"""Larger unpacked workbooks are refused unread: a real schedule is well under a megabyte."""

MAX_COLUMNS = 200
"""Columns read per row; a schedule has a few dozen at most."""

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EXPORT_HINT = "Export the schedule as CSV or as an Excel workbook (.xlsx)."
_OLD_EXCEL_DATE = date(1900, 1, 1)


def looks_like_xlsx(data: bytes) -> bool:
    """Whether `data` is a zip archive holding an Excel workbook."""
    if not data.startswith(_ZIP):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def not_a_table(data: bytes) -> str | None:
    """Why `data` is a file the importer cannot take (a PDF, an old .xls, ...), or None when
    it may be text or an .xlsx workbook."""
    head = data[:8]
    if head.startswith(b"%PDF"):
        return f"This is a PDF; a schedule cannot be read from a PDF. {_EXPORT_HINT}"
    if head == _OLE:
        return (
            "This is an old Excel .xls file or a password-protected workbook. Save it as an "
            "Excel workbook (.xlsx) without a password, or as CSV."
        )
    if head.startswith(_ZIP) and not looks_like_xlsx(data):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return f"This Excel workbook is damaged and cannot be read. {_EXPORT_HINT}"
        if "mimetype" in names or "content.xml" in names:
            return f"This is an OpenDocument spreadsheet (.ods). {_EXPORT_HINT}"
        if any(name.startswith("Index/") for name in names):
            return f"This is a Numbers document. {_EXPORT_HINT}"
        return f"This is a zip archive, not a schedule. {_EXPORT_HINT}"
    for magic in (b"\x89PNG", b"\xff\xd8\xff", b"GIF8"):
        if head.startswith(magic):
            return f"This is an image, not a schedule. {_EXPORT_HINT}"
    return None


@dataclass(frozen=True)
class WorkbookSheet:
    """The rows of the sheet read from a workbook, and a note on which one it was."""

    name: str
    records: tuple[Record, ...]
    notes: tuple[str, ...] = ()


def read_workbook(data: bytes, recognise: Sequence[Sequence[Column]]) -> WorkbookSheet:
    """The rows of the sheet to read: the first whose top rows name every required column of
    one of `recognise` (a schedule's columns, a cast list's), else the first sheet.

    Raises `InputRejected` for a file that is not a readable .xlsx workbook.
    """
    _check_archive(data)
    try:
        values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            sheets = [_read_only(s) for s in values.worksheets]  # chart sheets hold no rows
            if not sheets:
                raise InputRejected([Problem(f"The workbook has no sheets. {_EXPORT_HINT}")])
            sheet = next((s for s in sheets if _has_header(s, recognise)), sheets[0])
            chosen = sheet.title
            records = tuple(_records(sheet, _read_only(formulas[chosen])))
        finally:
            values.close()
            formulas.close()
    except InputRejected:
        raise
    except Exception:  # openpyxl raises many kinds of error for a malformed workbook
        raise InputRejected(
            [Problem(f"This Excel workbook is damaged and cannot be read. {_EXPORT_HINT}")]
        ) from None
    if not records:
        raise InputRejected([Problem(f"The sheet '{chosen}' of the workbook is empty.")])
    notes = (f"Read the sheet '{chosen}' of the workbook.",) if len(sheets) > 1 else ()
    return WorkbookSheet(chosen, records, notes)


def parse_schedule_xlsx(
    data: bytes,
    zone: ZoneInfo,
    *,
    date_order: DateOrder | None = None,
    default_time: time = time(7, 0),
) -> ImportedSchedule:
    """Read a schedule workbook like `parse_schedule_csv` reads a CSV file (same arguments,
    same problems; `source_format` is "xlsx")."""
    sheet = read_workbook(data, (COLUMNS,))
    return read_schedule_records(
        sheet.records,
        zone,
        date_order=date_order,
        default_time=default_time,
        source_format="xlsx",
        notes=sheet.notes,
    )


class WorkbookText(str):
    """A workbook's sheet as CSV text, carrying its rows as read.

    Code that takes a file's text (telling a cast list from a schedule, the cast-list reader)
    reads it unchanged; the schedule importer takes `records` and reports "xlsx". Every row of
    the sheet is one CSV record, blank ones included, so row numbers match the workbook's.
    """

    records: tuple[Record, ...]
    sheet: str
    notes: tuple[str, ...]

    def __new__(cls, sheet: WorkbookSheet) -> WorkbookText:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        row = 0
        for record in sheet.records:
            while row < record.row - 1:
                writer.writerow([])
                row += 1
            writer.writerow(record.cells)
            row += 1
        text = super().__new__(cls, buffer.getvalue())
        text.records = sheet.records
        text.sheet = sheet.name
        text.notes = sheet.notes
        return text


def workbook_text(data: bytes, recognise: Sequence[Sequence[Column]]) -> WorkbookText:
    """The sheet `read_workbook` picks, as `WorkbookText`."""
    return WorkbookText(read_workbook(data, recognise))


def cell_text(value: object) -> str:
    """A cell value as the text the CSV readers take: ISO dates, 24-hour times, yes/no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        if value.date() <= _OLD_EXCEL_DATE:  # a time of day on Excel's day zero
            return _clock(value.time())
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return f"{value.date().isoformat()}T{_clock(value.time())}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return _clock(value)
    if isinstance(value, timedelta):
        minutes = round(value.total_seconds() / 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return " ".join(str(value).split()) if isinstance(value, str) else str(value)


def _clock(at: time) -> str:
    return at.strftime("%H:%M:%S" if at.second else "%H:%M")


def _check_archive(data: bytes) -> None:
    """Refuse what is no workbook, or unpacks to too much, before openpyxl sees it."""
    if problem := not_a_table(data):
        raise InputRejected([Problem(problem)])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            present = "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        present, unpacked = False, 0
    if not present:
        raise InputRejected(
            [Problem(f"This Excel workbook is damaged and cannot be read. {_EXPORT_HINT}")]
        )
    if unpacked > MAX_UNPACKED_BYTES:
        raise InputRejected(
            [Problem(f"The workbook unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB.")]
        )


def _read_only(sheet: object) -> ReadOnlyWorksheet:
    """The sheet of a workbook opened read-only (a chart sheet is no table: the file is
    refused as unreadable)."""
    if not isinstance(sheet, ReadOnlyWorksheet):
        raise TypeError(f"not a worksheet: {type(sheet).__name__}")
    return sheet


# The sheets are typed Any below: types-openpyxl gives ReadOnlyWorksheet the iter_rows of
# Worksheet, whose `self` a ReadOnlyWorksheet does not satisfy.


def _has_header(worksheet: Any, recognise: Sequence[Sequence[Column]]) -> bool:
    rows = worksheet.iter_rows(max_row=HEADER_SEARCH_ROWS, max_col=MAX_COLUMNS, values_only=True)
    for values in rows:
        cells = [cell_text(v) for v in values]
        if any(header_score(cells, columns) for columns in recognise):
            return True
    return False


def _records(values: Any, formulas: Any) -> Iterator[Record]:
    """The non-blank rows of a sheet, numbered as in the workbook; a formula without a saved
    value is marked unreadable. Stops a little past MAX_ROWS."""
    values.reset_dimensions()
    formulas.reset_dimensions()
    count = 0
    pairs = zip(
        values.iter_rows(max_col=MAX_COLUMNS),
        formulas.iter_rows(max_col=MAX_COLUMNS),
        strict=False,
    )
    for index, (row, formula_row) in enumerate(pairs, start=1):
        number = next((n for cell in row if (n := getattr(cell, "row", None))), index)
        cells = [cell_text(cell.value) for cell in row]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        unreadable = frozenset(
            i
            for i, cell in enumerate(formula_row)
            if getattr(cell, "data_type", None) == "f" and i < len(row) and row[i].value is None
        )
        yield Record(row=number, cells=tuple(cells), unreadable=unreadable)
        count += 1
        if count > MAX_ROWS + HEADER_SEARCH_ROWS:
            return
