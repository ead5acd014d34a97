"""Reading the sheets people export from spreadsheets and production software.

The schedule and cast parsers share this: both receive files from a variety of tools (Movie
Magic, StudioBinder, Gorilla, SceneItAll, Excel, Numbers, Google Sheets), which differ in
delimiter, byte order mark, header spelling, and in what sits around the table: title lines
above the header (production name, "ONE-LINE SCHEDULE", the date it was printed), and the
header repeated at the top of every printed page. This module turns such a file (CSV text, or
the rows of a spreadsheet read elsewhere) into a `Sheet` of stripped cells with its columns
identified, and reports problems with the row number a spreadsheet user sees (every record
counts, blank ones included, so the header of a plain file is row 1 and the first data row is
row 2).

The header row is the one among the first rows that names every required column and the most
known columns; a wrong guess is named in the problem it causes ("I took row 3 as the header
row"), so that a person can see what happened.

Nothing here quotes a data cell's content in a problem: some columns hold sensitive text
(planned intimacy content), and the generic code cannot tell which. Header cells are quoted
only when the row names at least one known column, i.e. when it is plausibly a header.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from bot.problems import InputRejected, Problem

MAX_BYTES = 2 * 1024 * 1024
"""Larger files are refused before parsing; a real schedule or cast list is far smaller."""

MAX_ROWS = 5000
"""Most data rows accepted; a feature film has a few hundred scenes."""

MAX_CELL_CHARS = 4000
"""Longest cell accepted; longer text is almost certainly a mis-quoted file, not a real value."""

HEADER_SEARCH_ROWS = 20
"""How far down title lines may push the header (production, episode, director, producers,
draft and schedule dates, revision colour...)."""

MAX_HEADER_CHARS = 80
"""Longer cells are never a header (and are not searched for one: a data cell can be long)."""

_DELIMITERS = (",", ";", "\t")
_QUOTED_HEADER_CHARS = 30


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
    pattern: re.Pattern[str] | None = None
    """Any other header this matches (searched in its `normalize_header` form) names the column
    too: the schedule's intimacy flag is any header that mentions intimacy. Exact spellings of
    every column are tried first."""


@dataclass(frozen=True)
class Record:
    """One non-blank row: its spreadsheet row number and its stripped cells.

    `unreadable` holds the positions of cells whose value the file does not carry (an .xlsx
    formula that was never calculated); such a cell reads as empty.
    """

    row: int
    cells: tuple[str, ...]
    unreadable: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Sheet:
    """A table with its header identified.

    `records` holds the data rows that are fit to parse; rows with a structural fault (too many
    cells, a cell too long) are left out and described in `problems` instead, so a parser does
    not report the same cell twice. The parser is expected to add its own problems and raise
    `InputRejected` if there are any. `header_problems` (a required column missing, a column
    given twice) are only ever non-empty from `sheet_from_records(..., defer_header=True)`.
    """

    header_row: int
    headers: tuple[str, ...]
    records: tuple[Record, ...]
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()
    header_problems: tuple[Problem, ...] = ()
    _indexes: Mapping[str, int] = field(default_factory=dict)
    _headers: Mapping[str, str] = field(default_factory=dict)

    def has(self, key: str) -> bool:
        """Whether the file has the column `key`."""
        return key in self._indexes

    def header(self, key: str) -> str | None:
        """The column's header text as written in the file, or None if the file lacks it."""
        return self._headers.get(key)

    def key_at(self, index: int) -> str | None:
        """The column key at position `index`, if that column is one the parser knows."""
        return next((key for key, at in self._indexes.items() if at == index), None)

    def value(self, record: Record, key: str) -> str:
        """The stripped cell of `record` in column `key`; "" if the column or cell is absent."""
        index = self._indexes.get(key)
        if index is None or index >= len(record.cells):
            return ""
        return record.cells[index]

    def unreadable(self, record: Record, key: str) -> bool:
        """Whether `record`'s cell in column `key` holds a value the file does not carry."""
        index = self._indexes.get(key)
        return index is not None and index in record.unreadable

    def header_guess(self) -> str:
        """'I took row 3 as the header row (...)', for a problem a wrong guess would cause."""
        return took_header(self.header_row, self.headers, set(self._indexes.values()))


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


def took_header(header_row: int, headers: Sequence[str], known: set[int]) -> str:
    """Name the row taken as the header. Its cells are quoted only when it names a known
    column: otherwise it is probably a data row, whose cells may be sensitive."""
    if not known:
        return (
            f"I took row {header_row} as the header row, but it names none of the columns I know."
        )
    names = [_short(headers[i]) for i in sorted(known)]
    others = [_short(h) for i, h in enumerate(headers) if h and i not in known]
    text = f"I took row {header_row} as the header row (it names {', '.join(names)}"
    if others:
        shown = ", ".join(f"'{h}'" for h in others[:6])
        more = f" and {len(others) - 6} more" if len(others) > 6 else ""
        text += f"; other cells: {shown}{more}"
    return text + ")."


def _short(text: str) -> str:
    return text if len(text) <= _QUOTED_HEADER_CHARS else text[: _QUOTED_HEADER_CHARS - 1] + "…"


def read_sheet(text: str, columns: Sequence[Column], *, rows_noun: str = "rows") -> Sheet:
    """Read `text` as a CSV file whose header names some of `columns`.

    Raises `InputRejected` when the file cannot be used at all: too big, empty, unreadable, a
    required column missing, a column given twice, no data rows, too many rows. Problems in
    individual rows are returned in `Sheet.problems` so the caller reports them together with
    its own.
    """
    return sheet_from_records(read_records(text, columns), columns, rows_noun=rows_noun)


def read_records(text: str, columns: Sequence[Column]) -> list[Record]:
    """The non-blank records of CSV `text`, in a delimiter chosen with `columns` in mind.

    Raises `InputRejected` for a file too big, empty, or not readable as CSV.
    """
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise InputRejected([Problem(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")])
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise InputRejected([Problem("The file is empty.")])
    return _read_rows(text, _choose_delimiter(text, columns))


def sheet_from_records(
    records: Sequence[Record],
    columns: Sequence[Column],
    *,
    rows_noun: str = "rows",
    defer_header: bool = False,
) -> Sheet:
    """Identify the header among `records` (CSV or spreadsheet rows) and build the `Sheet`.

    Raises `InputRejected` for no rows, no data rows or too many. Header problems are raised
    too, unless `defer_header`: then they are returned in `Sheet.header_problems`, for a parser
    that has more to say about a file it cannot read (the schedule reader tells whether day
    banners could stand in for a missing date column).
    """
    if not records:
        raise InputRejected([Problem("The file is empty.")])
    header_at = _find_header(records, columns)
    header = records[header_at]
    headers = header.cells
    indexes, header_problems = _match_headers(headers, header.row, columns)
    if header_problems and not defer_header:
        raise InputRejected(header_problems)

    repeated = _normalized_row(headers)
    data = [r for r in records[header_at + 1 :] if _normalized_row(r.cells) != repeated]
    repeats = len(records) - header_at - 1 - len(data)
    if not data:
        raise InputRejected(
            [Problem(f"There are no {rows_noun} below the header.", row=header.row)]
        )
    if len(data) > MAX_ROWS:
        raise InputRejected(
            [Problem(f"The file has more than {MAX_ROWS} {rows_noun}, the most accepted.")]
        )

    kept, row_problems = _check_records(data, headers)
    notes = _notes(header.row, header_at, headers, indexes, data)
    if repeats:
        notes.insert(1 if header_at else 0, f"Skipped {repeats} repeated header row(s).")
    return Sheet(
        header_row=header.row,
        headers=headers,
        records=tuple(kept),
        problems=tuple(row_problems),
        notes=tuple(notes),
        header_problems=tuple(header_problems),
        _indexes=indexes,
        _headers={key: headers[index] for key, index in indexes.items()},
    )


def _normalized_row(cells: Sequence[str]) -> tuple[str, ...]:
    """A row's cells for comparing with the header, trailing empty cells dropped."""
    folded = [normalize_header(c) for c in cells]
    while folded and not folded[-1]:
        folded.pop()
    return tuple(folded)


def _choose_delimiter(text: str, columns: Sequence[Column]) -> str:
    """Pick `,`, `;` or tab.

    csv.Sniffer guesses wrongly on short or irregular files, so instead: the delimiter under
    which one of the first lines names every required column, and the most known columns, wins;
    failing that, the one that occurs most often (outside quotes) on the first non-blank line;
    failing that, a comma.
    """
    lines = [line for line in text.splitlines() if line.strip()][:HEADER_SEARCH_ROWS]
    counts = {d: _count_unquoted(lines[0], d) for d in _DELIMITERS} if lines else {}
    by_count = sorted(_DELIMITERS, key=lambda d: -counts.get(d, 0))
    best: tuple[int, str] | None = None
    for delimiter in by_count:
        for line in lines:
            try:
                cells = next(csv.reader([line], delimiter=delimiter), [])
            except csv.Error:  # reported with its row when the file is read
                continue
            score = header_score(cells, columns)
            if score is not None and (best is None or score > best[0]):
                best = (score, delimiter)
    if best:
        return best[1]
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


def _recognised(cells: Sequence[str], columns: Sequence[Column]) -> dict[int, str]:
    """Position -> column key for every cell of `cells` that names a known column."""
    exact = _lookup(columns)
    found: dict[int, str] = {}
    for index, cell in enumerate(cells):
        if len(cell) > MAX_HEADER_CHARS:
            continue
        normalized = normalize_header(cell)
        if not normalized:
            continue
        key = exact.get(normalized)
        if key is None:
            key = next((c.key for c in columns if c.pattern and c.pattern.search(normalized)), None)
        if key is not None:
            found[index] = key
    return found


def header_score(cells: Sequence[str], columns: Sequence[Column]) -> int | None:
    """How many known columns `cells` name, read as a header; None unless it names every
    required column (so a truthy score means "this can be the header")."""
    keys = set(_recognised(cells, columns).values())
    if not all(column.key in keys for column in columns if column.required):
        return None
    return len(keys)


def _lookup(columns: Sequence[Column]) -> dict[str, str]:
    """Normalised spelling -> column key."""
    return _lookup_of(tuple(columns))


@cache
def _lookup_of(columns: tuple[Column, ...]) -> dict[str, str]:
    return {normalize_header(s): column.key for column in columns for s in column.spellings}


def _read_rows(text: str, delimiter: str) -> list[Record]:
    """Every non-blank record with its spreadsheet row number, cells stripped.

    A blank line or a record of empty cells still takes a row number, as it would in a
    spreadsheet, but is not returned. Reading stops a little past MAX_ROWS so that a huge file
    costs no more than needed to refuse it.
    """
    rows: list[Record] = []
    # strict: a stray quote or an unclosed one is refused rather than silently merging cells.
    reader: Iterator[list[str]] = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, strict=True
    )
    row = 0
    while len(rows) <= MAX_ROWS + HEADER_SEARCH_ROWS:
        row += 1
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputRejected([_csv_error_problem(exc, row)]) from None
        cells = tuple(cell.strip() for cell in raw)
        if any(cells):
            rows.append(Record(row=row, cells=cells))
    if not rows:
        raise InputRejected([Problem("The file is empty.")])
    return rows


def _csv_error_problem(exc: csv.Error, row: int) -> Problem:
    """Explain a csv module error without quoting the file (its messages hold no content)."""
    if "field larger than field limit" in str(exc):
        return Problem(f"A cell is longer than {MAX_CELL_CHARS} characters (too long).", row=row)
    return Problem(
        f"The file could not be read as CSV ({exc}); check for an unclosed quote.", row=row
    )


def _find_header(records: Sequence[Record], columns: Sequence[Column]) -> int:
    """Index in `records` of the header: of the top rows naming every required column, the one
    naming the most known columns (exports put a title block above it); failing that, the top
    row naming the most known columns; failing that, the first row."""
    top = records[:HEADER_SEARCH_ROWS]
    qualified = [
        (score, -i) for i, r in enumerate(top) if (score := header_score(r.cells, columns))
    ]
    if qualified:
        return -max(qualified)[1]
    partial = [(len(set(_recognised(r.cells, columns).values())), -i) for i, r in enumerate(top)]
    best = max(partial)
    return -best[1] if best[0] else 0


def _match_headers(
    headers: Sequence[str], header_row: int, columns: Sequence[Column]
) -> tuple[dict[str, int], list[Problem]]:
    """Map column keys to positions; report a column given twice and missing required ones."""
    recognised = _recognised(headers, columns)
    weak = {normalize_header(s) for column in columns for s in column.weak}
    indexes: dict[str, int] = {}
    problems: list[Problem] = []
    labels = {column.key: column.label for column in columns}
    for index, key in recognised.items():
        header = headers[index]
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
    missing = [column for column in columns if column.required and column.key not in indexes]
    for column in missing:
        problems.append(
            Problem(
                f"The {column.label} column is missing. Name it one of: "
                f"{spellings_text(column)}. " + took_header(header_row, headers, set(recognised)),
                row=header_row,
            )
        )
    return indexes, problems


def _check_records(
    data: Sequence[Record], headers: Sequence[str]
) -> tuple[list[Record], list[Problem]]:
    """Keep rows fit to parse; describe the others (without quoting them)."""
    records: list[Record] = []
    problems: list[Problem] = []
    for record in data:
        cells, row = record.cells, record.row
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
                    "are accepted (too long). Shorten it.",
                    row=row,
                    column=headers[index] or f"column {index + 1}",
                )
            )
        if not too_long:
            records.append(record)
    return records, problems


def _notes(
    header_row: int,
    header_at: int,
    headers: Sequence[str],
    indexes: Mapping[str, int],
    data: Sequence[Record],
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
        elif any(index < len(r.cells) and r.cells[index] for r in data):
            notes.append(f"Ignored unnamed column {index + 1}")
    return notes
