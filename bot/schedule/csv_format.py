"""Shooting schedules exported as CSV (Movie Magic, StudioBinder, Gorilla, any spreadsheet).

One row per scene. Columns are found by header (any order, case-insensitive; extra columns are
ignored and mentioned in the notes):

- scene number (required): Scene, Sc., Sc, Scene #, Scene No, Scene No., Scene Number, Scene Num
- shoot date (required): Shoot Date, Date, Day, Shoot Day, Shooting Date
- start time: Time, Start, Start Time, Call, Call Time
- set: Set, Location, Set/Location, Set Name
- cast: Cast, Cast Members, Cast IDs, Cast ID, Cast #, Cast Numbers
- intimacy: Intimacy, IC, Intimate, Intimacy Scene
- planned content: Intimacy Notes, IC Notes
- synopsis: Description, Synopsis, Scene Description

Dates:

- ISO `2026-03-14` (also `2026/03/14`)
- slashed `14/03/2026` (day first) or `3/14/2026` (month first). The order is taken from the
  caller (`day_first`) or detected over the whole file: a first part above 12 means day-first,
  a second part above 12 means month-first. A file showing both orders, or where every slashed
  date could be read either way, is refused: write ISO dates or state the order.
- dotted `14.03.2026` (always day first)
- with an English month name or abbreviation: `14-Mar-2026`, `14 Mar 2026`, `Mar 14, 2026`,
  `March 14 2026`
- any of these may start with an English weekday, `Sat 14 Mar 2026`,
  `Saturday, March 14, 2026`; it must match the date
- two-digit years mean 20xx: `14/03/26`, `14-Mar-26`

Times: `14:30`, `14.30`, `1430`, `14:30:00`, `2:30 PM`, `2:30pm`, `2pm`, `2 p.m.`, `noon`,
`midnight`. A missing or empty time gives the scene `default_time` (07:00) marked as estimated.

Everything wrong with the file is reported at once (`InputRejected`); nothing is returned from
a file with any problem. Cells of the planned-content and synopsis columns are never quoted in
a problem, since they can describe intimate content.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.csvread import Column, Record, Sheet, read_sheet
from bot.problems import InputRejected, Problem
from bot.schedule.model import ImportedScene, ImportedSchedule
from bot.timeutil import AmbiguousLocalTime, NonexistentLocalTime, localize

COLUMNS = (
    Column(
        "number",
        "scene number",
        (
            "Scene",
            "Sc.",
            "Sc",
            "Scene #",
            "Scene No",
            "Scene No.",
            "Scene Number",
            "Scene Num",
        ),
        required=True,
    ),
    Column(
        "date",
        "shoot date",
        ("Shoot Date", "Date", "Day", "Shoot Day", "Shooting Date"),
        required=True,
        weak=("Day", "Shoot Day"),
    ),
    Column("time", "start time", ("Time", "Start", "Start Time", "Call", "Call Time")),
    Column("set", "set", ("Set", "Location", "Set/Location", "Set Name")),
    Column(
        "cast",
        "cast",
        ("Cast", "Cast Members", "Cast IDs", "Cast ID", "Cast #", "Cast Numbers"),
    ),
    Column("intimacy", "intimacy", ("Intimacy", "IC", "Intimate", "Intimacy Scene")),
    Column("planned", "intimacy notes", ("Intimacy Notes", "IC Notes")),
    Column("synopsis", "description", ("Description", "Synopsis", "Scene Description")),
)


class AmbiguousDate(ValueError):
    """A slashed date that reads as a valid date both day-first and month-first."""


# --- dates -----------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        )
    )
    for name in names
}
_ISO = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})")
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})")
_WEEKDAY_PREFIX = re.compile(r"([a-z]+)\.?,?\s+(.+)", re.IGNORECASE)
_DAY_TOKEN = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?", re.IGNORECASE)
_YEAR_TOKEN = re.compile(r"\d{4}|\d{2}")
_DATE_HELP = "Write dates like 2026-03-14, 14/03/2026, 14 Mar 2026 or Mar 14, 2026."


def parse_date(text: str, *, day_first: bool | None = None) -> date:
    """Parse one date cell in any format listed in the module docstring.

    `day_first` orders slashed dates; None decides from the date itself and raises
    `AmbiguousDate` when both orders give a valid date. Other failures raise ValueError with a
    message fit for the user.
    """
    cleaned = " ".join(text.split())
    if not cleaned:
        raise ValueError("The shoot date is missing.")
    expected_weekday: int | None = None
    rest = cleaned
    prefix = _WEEKDAY_PREFIX.fullmatch(cleaned)
    if prefix and prefix.group(1).lower() in _WEEKDAYS:
        expected_weekday = _WEEKDAYS[prefix.group(1).lower()]
        rest = prefix.group(2)
    day = _parse_plain_date(rest, cleaned, day_first)
    if expected_weekday is not None and day.weekday() != expected_weekday:
        raise ValueError(
            f"'{cleaned}' says {_WEEKDAY_NAMES[expected_weekday]}, but {day.isoformat()} is a "
            f"{_WEEKDAY_NAMES[day.weekday()]}."
        )
    return day


def _parse_plain_date(text: str, original: str, day_first: bool | None) -> date:
    """Parse a date without a weekday in front."""
    if match := _ISO.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
        return _make_date(year, month, day, original)
    if match := _SLASHED.fullmatch(text):
        first, second = int(match.group(1)), int(match.group(2))
        year = _full_year(match.group(3))
        order = day_first if day_first is not None else _slashed_order(first, second, original)
        day, month = (first, second) if order else (second, first)
        return _make_date(year, month, day, original)
    if match := _DOTTED.fullmatch(text):
        day, month = int(match.group(1)), int(match.group(2))
        return _make_date(_full_year(match.group(3)), month, day, original)
    return _parse_named_month(text, original)


def _slashed_order(first: int, second: int, original: str) -> bool:
    """Day-first (True) or month-first (False) for one slashed date on its own evidence."""
    if first > 12 >= second:
        return True
    if second > 12 >= first:
        return False
    if first == second or (first > 12 and second > 12):
        return True  # same date either way, or no date either way (reported as such)
    raise AmbiguousDate(
        f"'{original}' could be {first} {_month_name(second)} or {second} {_month_name(first)}."
    )


def _month_name(number: int) -> str:
    return date(2000, number, 1).strftime("%B")


def _parse_named_month(text: str, original: str) -> date:
    """`14-Mar-2026`, `14 Mar 2026`, `Mar 14, 2026`, `March 14th 2026`."""
    tokens = [token.rstrip(".") for token in re.split(r"[\s,\-]+", text) if token]
    if len(tokens) != 3 or not _YEAR_TOKEN.fullmatch(tokens[2]):
        raise ValueError(f"'{original}' is not a date. {_DATE_HELP}")
    first, second = tokens[0].lower(), tokens[1].lower()
    if first in _MONTHS and (day_match := _DAY_TOKEN.fullmatch(second)):
        month, day = _MONTHS[first], int(day_match.group(1))
    elif second in _MONTHS and (day_match := _DAY_TOKEN.fullmatch(first)):
        month, day = _MONTHS[second], int(day_match.group(1))
    else:
        raise ValueError(f"'{original}' is not a date. {_DATE_HELP}")
    return _make_date(_full_year(tokens[2]), month, day, original)


def _full_year(text: str) -> int:
    """Two-digit years are this century: a schedule is never for 1926."""
    year = int(text)
    return 2000 + year if len(text) == 2 else year


def _make_date(year: int, month: int, day: int, original: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"'{original}' is no such date.") from None


@dataclass(frozen=True)
class _DateOrder:
    """The slashed-date order of a whole file, or the problem that it shows both orders."""

    day_first: bool | None
    problem: Problem | None = None


def _detect_day_first(cells: Iterable[tuple[int, str]], column: str | None = None) -> _DateOrder:
    """Decide the order of slashed dates from every date cell of a file, as (row, text) pairs.

    A single date like 14/03/2026 settles the order for the whole file, because an export uses
    one format throughout; dates like 03/04/2026 are then read the same way.
    """
    day_first_at: tuple[int, str] | None = None
    month_first_at: tuple[int, str] | None = None
    for row, text in cells:
        cleaned = " ".join(text.split())
        prefix = _WEEKDAY_PREFIX.fullmatch(cleaned)
        if prefix and prefix.group(1).lower() in _WEEKDAYS:
            cleaned = prefix.group(2)
        match = _SLASHED.fullmatch(cleaned)
        if not match:
            continue
        first, second = int(match.group(1)), int(match.group(2))
        if 12 < first <= 31 and second <= 12 and day_first_at is None:
            day_first_at = (row, text)
        elif 12 < second <= 31 and first <= 12 and month_first_at is None:
            month_first_at = (row, text)
    if day_first_at and month_first_at:
        later = max(day_first_at, month_first_at)
        return _DateOrder(
            None,
            Problem(
                f"Dates are written both day-first (row {day_first_at[0]}: "
                f"'{day_first_at[1]}') and month-first (row {month_first_at[0]}: "
                f"'{month_first_at[1]}'). Write all dates the same way, best as YYYY-MM-DD.",
                row=later[0],
                column=column,
            ),
        )
    if day_first_at:
        return _DateOrder(True)
    if month_first_at:
        return _DateOrder(False)
    return _DateOrder(None)


# --- times -----------------------------------------------------------------------------------

_TIME_24 = re.compile(r"(\d{1,2})[:.](\d{2})(?::(\d{2}))?")
_TIME_4_DIGITS = re.compile(r"(\d{2})(\d{2})")
_TIME_12 = re.compile(
    r"(\d{1,2})(?:[:.](\d{2})(?::(\d{2}))?)?\s*([ap])\.?\s*(?:m\.?)?", re.IGNORECASE
)
_NAMED_TIMES = {"noon": time(12, 0), "midday": time(12, 0), "midnight": time(0, 0)}
_TIME_HELP = "Write times like 14:30, 1430, 2:30 PM or 2pm."


def parse_time(text: str) -> time:
    """Parse one time cell (formats in the module docstring). Raises ValueError for the user."""
    cleaned = " ".join(text.split()).lower()
    if cleaned in _NAMED_TIMES:
        return _NAMED_TIMES[cleaned]
    if match := _TIME_12.fullmatch(cleaned):
        hour = int(match.group(1))
        minute, second = int(match.group(2) or 0), int(match.group(3) or 0)
        if not 1 <= hour <= 12:
            raise ValueError(f"'{text}' is not a time: a 12-hour clock runs 1 to 12.")
        hour = hour % 12 + (12 if match.group(4) == "p" else 0)
        return _make_time(hour, minute, second, text)
    match = _TIME_24.fullmatch(cleaned) or _TIME_4_DIGITS.fullmatch(cleaned)
    if match is None:
        raise ValueError(f"'{text}' is not a time. {_TIME_HELP}")
    groups = match.groups()
    second = int(groups[2]) if len(groups) > 2 and groups[2] else 0
    return _make_time(int(groups[0]), int(groups[1]), second, text)


def _make_time(hour: int, minute: int, second: int, original: str) -> time:
    try:
        return time(hour, minute, second)
    except ValueError:
        raise ValueError(f"'{original}' is no such time. {_TIME_HELP}") from None


# --- other cells -----------------------------------------------------------------------------

_YES = {"yes", "y", "true", "1", "x", "✓", "✔", "☑"}
_NO = {"no", "n", "false", "0"}
_SCENE_PREFIX = re.compile(r"^(?:#|SCENE|SC)\.?\s*(?=[A-Z]?\d)")
_SCENE_UNIT = r"[A-Z]{0,3}\d+(?:\.\d+)?[A-Z]{0,3}"
_SCENE_NUMBER = re.compile(rf"{_SCENE_UNIT}(?:-{_SCENE_UNIT})?")
_CAST_SPLIT = re.compile(r"[,;/|\r\n]+")


def parse_intimacy(text: str) -> bool:
    """yes/no and the usual spreadsheet marks; empty is no.

    The message does not quote the cell: people sometimes type notes into this column.
    """
    value = text.strip().lower()
    if not value or value in _NO:
        return False
    if value in _YES:
        return True
    raise ValueError("Expected yes or no (also y/n, true/false, 1/0, x or ✓).")


def normalize_scene_number(text: str) -> str:
    """` 42a ` -> `42A`, `Sc. 12` -> `12`, `#7` -> `7`. Raises ValueError if it is none.

    Spaces inside are dropped (`42 A` is `42A`) so that a re-import matches the same scene.
    """
    value = " ".join(text.split()).upper()
    if not value:
        raise ValueError("The scene number is missing.")
    value = _SCENE_PREFIX.sub("", value).replace(" ", "")
    if not _SCENE_NUMBER.fullmatch(value):
        raise ValueError(
            f"'{text.strip()}' is not a scene number. Write it like 42, 42A, A42, 42.1 or 42-43."
        )
    return value


def split_cast(text: str) -> tuple[str, ...]:
    """The file's words for each performer, split on `,` `;` `/` `|` or line breaks."""
    return tuple(part.strip() for part in _CAST_SPLIT.split(text) if part.strip())


# --- the file --------------------------------------------------------------------------------


@dataclass
class _Rows:
    """State while reading rows: what has been found, and what is wrong."""

    sheet: Sheet
    zone: ZoneInfo
    day_first: bool | None
    default_time: time
    problems: list[Problem]
    seen: dict[str, int]
    reported_ambiguous_date: bool = False
    estimated: int = 0

    def column(self, key: str) -> str | None:
        return self.sheet.header(key)


def parse_schedule_csv(
    text: str,
    zone: ZoneInfo,
    *,
    day_first: bool | None = None,
    default_time: time = time(7, 0),
) -> ImportedSchedule:
    """Read a schedule CSV into scenes whose start times are aware, in `zone`.

    `day_first` says how slashed dates are ordered; None detects it from the file.
    `default_time` is used, marked as estimated, for scenes without a start time.
    Raises `InputRejected` with every problem found; returns nothing partial.
    """
    sheet = read_sheet(text, COLUMNS, rows_noun="scenes")
    problems = list(sheet.problems)
    if day_first is None:
        order = _detect_day_first(
            ((r.row, sheet.value(r, "date")) for r in sheet.records), sheet.header("date")
        )
        day_first = order.day_first
        if order.problem:
            problems.append(order.problem)
    state = _Rows(sheet, zone, day_first, default_time, problems, seen={})
    scenes = [scene for record in sheet.records if (scene := _scene(state, record))]
    if problems:
        raise InputRejected(sorted(problems, key=lambda p: p.row or 0))
    notes = list(sheet.notes)
    if state.estimated:
        notes.append(
            f"{state.estimated} scene(s) have no start time; they are given "
            f"{default_time.strftime('%H:%M')}, marked as estimated."
        )
    return ImportedSchedule(scenes=tuple(scenes), source_format="csv", notes=tuple(notes))


def _scene(state: _Rows, record: Record) -> ImportedScene | None:
    """One scene, or None after adding to `state.problems` what is wrong with the row."""
    count = len(state.problems)
    number = _scene_number(state, record)
    shoot_date = _shoot_date(state, record)
    start_time, estimated = _start_time(state, record)
    intimacy = _intimacy(state, record)
    if len(state.problems) > count or number is None or shoot_date is None:
        return None
    if start_time is None:  # pragma: no cover - a bad time always adds a problem
        return None
    start_at = _start_at(state, record, shoot_date, start_time)
    if start_at is None:
        return None
    state.estimated += estimated
    sheet = state.sheet
    synopsis = sheet.value(record, "synopsis") or None
    if sheet.has("planned"):
        planned = sheet.value(record, "planned") or None
    else:
        planned = synopsis if intimacy else None
    return ImportedScene(
        number=number,
        shoot_date=shoot_date,
        start_at=start_at,
        set_name=sheet.value(record, "set"),
        cast_refs=split_cast(sheet.value(record, "cast")),
        intimacy=intimacy,
        planned_content=planned,
        synopsis=synopsis,
        start_estimated=estimated,
        row=record.row,
    )


def _scene_number(state: _Rows, record: Record) -> str | None:
    column = state.column("number")
    try:
        number = normalize_scene_number(state.sheet.value(record, "number"))
    except ValueError as exc:
        state.problems.append(Problem(str(exc), row=record.row, column=column))
        return None
    first = state.seen.setdefault(number, record.row)
    if first != record.row:
        state.problems.append(
            Problem(f"Scene {number} is also on row {first}.", row=record.row, column=column)
        )
    return number


def _shoot_date(state: _Rows, record: Record) -> date | None:
    try:
        return parse_date(state.sheet.value(record, "date"), day_first=state.day_first)
    except AmbiguousDate as exc:
        if not state.reported_ambiguous_date:
            state.reported_ambiguous_date = True
            state.problems.append(
                Problem(
                    f"{exc} No date in the file settles whether dates are day-first or "
                    "month-first. Write dates as YYYY-MM-DD, or say which order the file uses.",
                    row=record.row,
                    column=state.column("date"),
                )
            )
        return None
    except ValueError as exc:
        state.problems.append(Problem(str(exc), row=record.row, column=state.column("date")))
        return None


def _start_time(state: _Rows, record: Record) -> tuple[time | None, bool]:
    """The row's time and whether it is the default (estimated)."""
    cell = state.sheet.value(record, "time")
    if not cell:
        return state.default_time, True
    try:
        return parse_time(cell), False
    except ValueError as exc:
        state.problems.append(Problem(str(exc), row=record.row, column=state.column("time")))
        return None, False


def _intimacy(state: _Rows, record: Record) -> bool | None:
    if not state.sheet.has("intimacy"):
        return None
    try:
        return parse_intimacy(state.sheet.value(record, "intimacy"))
    except ValueError as exc:
        state.problems.append(Problem(str(exc), row=record.row, column=state.column("intimacy")))
        return None


def _start_at(state: _Rows, record: Record, day: date, at: time) -> datetime | None:
    """Localise, refusing a time a daylight-saving change skips or repeats: guessing could put
    a closed-set scene an hour off."""
    try:
        return localize(day, at, state.zone)
    except (NonexistentLocalTime, AmbiguousLocalTime) as exc:
        if isinstance(exc, AmbiguousLocalTime):
            advice = "Give a time outside the repeated hour, so the call is not ambiguous."
        else:
            advice = "Give a time before or after the change."
        state.problems.append(
            Problem(
                f"The start time falls in a daylight-saving change: {exc}. {advice}",
                row=record.row,
                column=state.column("time") or state.column("date"),
            )
        )
        return None
