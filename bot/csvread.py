"""Reading the CSV files people export from spreadsheets and production software.

The schedule and cast parsers share this: both receive files from a variety of tools (Movie
Magic, StudioBinder, Gorilla, Excel, Numbers, Google Sheets), which differ in delimiter, byte
order mark, header spelling and whether a title line sits above the header. This module turns
such a file into a `Sheet` of stripped cells with its columns identified, and reports problems
with the row number a spreadsheet user sees (every record counts, blank ones included, so the
header of a plain file is row 1 and the first data row is row 2).

Nothing here quotes a cell's content in a problem: some columns hold sensitive text (planned
intimacy content), and the generic code cannot tell which.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from bot.problems import InputRejected, Problem

MAX_BYTES = 2 * 1024 * 1024
"""Larger files are refused before parsing; a real schedule or cast list is far smaller."""

MAX_ROWS = 5000
"""Most data rows accepted; a feature film has a few hundred scenes."""

MAX_CELL_CHARS = 4000
"""Longest cell accepted; longer text is almost certainly a mis-quoted file, not a real value."""

_DELIMITERS = (",", ";", "\t")
_HEADER_SEARCH_ROWS = 10  # how far down a title/preamble may push the header


@dataclass(frozen=True)
class Column:
    """A column a parser understands: its key, a label for messages, the header spellings."""

    key: str
    label: str
    spellings: tuple[str, ...]
    required: bool = False
    weak: tuple[str, ...] = ()
    """Spellings that give way to any other spelling of the column: exports often carry both
    a `Shoot Day` (day 1, 2, 3…) and a `Date` column, and the date is the one meant."""


@dataclass(frozen=True)
class Record:
    """One non-blank data row: its spreadsheet row number and its stripped cells."""

    row: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Sheet:
    """A CSV file with its header identified.

    `records` holds the data rows that are fit to parse; rows with a structural fault (too many
    cells, a cell too long) are left out and described in `problems` instead, so a parser does
    not report the same cell twice. The parser is expected to add its own problems and raise
    `InputRejected` if there are any.
    """

    header_row: int
    records: tuple[Record, ...]
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()
    _indexes: Mapping[str, int] = field(default_factory=dict)
    _headers: Mapping[str, str] = field(default_factory=dict)

    def has(self, key: str) -> bool:
        """Whether the file has the column `key`."""
        return key in self._indexes

    def header(self, key: str) -> str | None:
        """The column's header text as written in the file, or None if the file lacks it."""
        return self._headers.get(key)

    def value(self, record: Record, key: str) -> str:
        """The stripped cell of `record` in column `key`; "" if the column or cell is absent."""
        index = self._indexes.get(key)
        if index is None or index >= len(record.cells):
            return ""
        return record.cells[index]


def normalize_header(text: str) -> str:
    """Reduce a header to a comparable form: case, repeated or surrounding spaces, underscores,
    spaces around `/` and `#`, and a trailing `:` or `.` do not matter ("Scene No." ==
    "scene no", "Cast#" == "Cast #", "Set / Location" == "Set/Location")."""
    folded = " ".join(text.replace("_", " ").casefold().split())
    folded = re.sub(r"\s*([/#])\s*", r"\1", folded)
    return folded.rstrip(":. ")


def spellings_text(column: Column) -> str:
    """The accepted header spellings of `column`, for a message."""
    return ", ".join(column.spellings)


def read_sheet(text: str, columns: Sequence[Column], *, rows_noun: str = "rows") -> Sheet:
    """Read `text` as a CSV file whose header names some of `columns`.

    Raises `InputRejected` when the file cannot be used at all: too big, empty, unreadable, a
    required column missing, a column given twice, no data rows, too many rows. Problems in
    individual rows are returned in `Sheet.problems` so the caller reports them together with
    its own.
    """
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise InputRejected([Problem(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")])
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise InputRejected([Problem("The file is empty.")])

    delimiter = _choose_delimiter(text, columns)
    rows = _read_rows(text, delimiter)
    if not rows:
        raise InputRejected([Problem("The file is empty.")])

    header_at = _find_header(rows, columns)
    header_row, headers = rows[header_at]
    indexes, problems = _match_headers(headers, header_row, columns)
    if problems:
        raise InputRejected(problems)

    data = rows[header_at + 1 :]
    if not data:
        raise InputRejected(
            [Problem(f"There are no {rows_noun} below the header.", row=header_row)]
        )
    if len(data) > MAX_ROWS:
        raise InputRejected(
            [Problem(f"The file has more than {MAX_ROWS} {rows_noun}, the most accepted.")]
        )

    records, row_problems = _check_records(data, headers)
    notes = _notes(header_row, header_at, headers, indexes, data)
    return Sheet(
        header_row=header_row,
        records=tuple(records),
        problems=tuple(row_problems),
        notes=tuple(notes),
        _indexes=indexes,
        _headers={key: headers[index] for key, index in indexes.items()},
    )


def _choose_delimiter(text: str, columns: Sequence[Column]) -> str:
    """Pick `,`, `;` or tab.

    csv.Sniffer guesses wrongly on short or irregular files, so instead: the delimiter under
    which one of the first lines names every required column wins; failing that, the one that
    occurs most often (outside quotes) on the first non-blank line; failing that, a comma.
    """
    lines = [line for line in text.splitlines() if line.strip()][:_HEADER_SEARCH_ROWS]
    counts = {d: _count_unquoted(lines[0], d) for d in _DELIMITERS} if lines else {}
    by_count = sorted(_DELIMITERS, key=lambda d: -counts.get(d, 0))
    for delimiter in by_count:
        for line in lines:
            cells = next(csv.reader([line], delimiter=delimiter), [])
            if _names_required(cells, columns):
                return delimiter
    return by_count[0] if counts.get(by_count[0], 0) else ","


def _count_unquoted(line: str, delimiter: str) -> int:
    """How often `delimiter` occurs in `line` outside double quotes."""
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count


def _names_required(cells: Sequence[str], columns: Sequence[Column]) -> bool:
    """Whether `cells`, read as a header, name every required column."""
    found = {_lookup(columns).get(normalize_header(cell)) for cell in cells}
    return all(column.key in found for column in columns if column.required)


def _lookup(columns: Sequence[Column]) -> dict[str, str]:
    """Normalised spelling -> column key."""
    return {normalize_header(s): column.key for column in columns for s in column.spellings}


def _read_rows(text: str, delimiter: str) -> list[tuple[int, tuple[str, ...]]]:
    """Every non-blank record with its spreadsheet row number, cells stripped.

    A blank line or a record of empty cells still takes a row number, as it would in a
    spreadsheet, but is not returned. Reading stops a little past MAX_ROWS so that a huge file
    costs no more than needed to refuse it.
    """
    rows: list[tuple[int, tuple[str, ...]]] = []
    # strict: a stray quote or an unclosed one is refused rather than silently merging cells.
    reader: Iterator[list[str]] = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, strict=True
    )
    row = 0
    while len(rows) <= MAX_ROWS + _HEADER_SEARCH_ROWS:
        row += 1
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputRejected([_csv_error_problem(exc, row)]) from None
        cells = tuple(cell.strip() for cell in raw)
        if any(cells):
            rows.append((row, cells))
    return rows


def _csv_error_problem(exc: csv.Error, row: int) -> Problem:
    """Explain a csv module error without quoting the file (its messages hold no content)."""
    if "field larger than field limit" in str(exc):
        return Problem(f"A cell is longer than {MAX_CELL_CHARS} characters (too long).", row=row)
    return Problem(
        f"The file could not be read as CSV ({exc}); check for an unclosed quote.", row=row
    )


def _find_header(rows: Sequence[tuple[int, tuple[str, ...]]], columns: Sequence[Column]) -> int:
    """Index in `rows` of the header: the first of the top rows naming every required column
    (exports often put a title or production name above it), else the first row."""
    for index, (_, cells) in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        if _names_required(cells, columns):
            return index
    return 0


def _match_headers(
    headers: Sequence[str], header_row: int, columns: Sequence[Column]
) -> tuple[dict[str, int], list[Problem]]:
    """Map column keys to positions; report a column given twice and missing required ones."""
    lookup = _lookup(columns)
    weak = {normalize_header(s) for column in columns for s in column.weak}
    indexes: dict[str, int] = {}
    problems: list[Problem] = []
    labels = {column.key: column.label for column in columns}
    for index, header in enumerate(headers):
        key = lookup.get(normalize_header(header))
        if key is None:
            continue
        if key in indexes:
            holder_weak = normalize_header(headers[indexes[key]]) in weak
            if normalize_header(header) in weak and not holder_weak:
                continue
            if holder_weak and normalize_header(header) not in weak:
                indexes[key] = index
                continue
            first = headers[indexes[key]]
            problems.append(
                Problem(
                    f"Two columns give the {labels[key]}: '{first}' and '{header}'. "
                    "Keep one of them (or rename the other).",
                    row=header_row,
                    column=header,
                )
            )
            continue
        indexes[key] = index
    for column in columns:
        if column.required and column.key not in indexes:
            problems.append(
                Problem(
                    f"The {column.label} column is missing. Name it one of: "
                    f"{spellings_text(column)}.",
                    row=header_row,
                )
            )
    return indexes, problems


def _check_records(
    data: Sequence[tuple[int, tuple[str, ...]]], headers: Sequence[str]
) -> tuple[list[Record], list[Problem]]:
    """Keep rows fit to parse; describe the others (without quoting them)."""
    records: list[Record] = []
    problems: list[Problem] = []
    for row, cells in data:
        extra = cells[len(headers) :]
        if any(extra):
            problems.append(
                Problem(
                    f"This row has {len(cells)} cells but the header has {len(headers)}; "
                    "a value containing the delimiter probably needs quotes.",
                    row=row,
                )
            )
            continue
        too_long = [i for i, cell in enumerate(cells) if len(cell) > MAX_CELL_CHARS]
        for index in too_long:
            problems.append(
                Problem(
                    f"This cell has {len(cells[index])} characters; at most {MAX_CELL_CHARS} "
                    "are accepted (too long).",
                    row=row,
                    column=headers[index] or f"column {index + 1}",
                )
            )
        if not too_long:
            records.append(Record(row=row, cells=cells))
    return records, problems


def _notes(
    header_row: int,
    header_at: int,
    headers: Sequence[str],
    indexes: Mapping[str, int],
    data: Sequence[tuple[int, tuple[str, ...]]],
) -> list[str]:
    """Things the importer should be told: skipped lines above the header, ignored columns."""
    notes: list[str] = []
    if header_at:
        notes.append(f"Skipped {header_at} line(s) above the header (row {header_row}).")
    used = set(indexes.values())
    for index, header in enumerate(headers):
        if index in used:
            continue
        if header:
            notes.append(f"Ignored column '{header}'")
        elif any(index < len(cells) and cells[index] for _, cells in data):
            notes.append(f"Ignored unnamed column {index + 1}")
    return notes
