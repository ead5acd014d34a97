"""Shooting schedules exported as CSV (and, through `bot.schedule.xlsx`, as .xlsx).

Layouts checked against what the tools print and export (sources, read July 2026):

- Movie Magic Scheduling (Entertainment Partners, mms-docs.ep.com "Strip Display" and "Day
  Breaks"): strip fields Scene #, I/E, Set, Script Day, ID List (cast ids), Pages, Location,
  Unit, Shoot Time, Shooting Date, Shooting Day, D/N, Comments. A Day Break carries the day
  number, its date and the day's page count and comes *after* the day's strips, with a Shoot
  Day strip ("Shoot Day #3 of 20") right above it. "Shoot Time" is a strip's estimated
  *duration* (as StudioBinder's "Est."/"Shoot"), never a start time.
- The one-liner as ADs lay it out (lineproducing.com "Schedule Review"): scene number, I/E,
  set, D/N, pages, cast by number, the synopsis on a second line under the strip, the "End of
  Day N" banner after the day's work with its date, title lines above.
- SceneItAll (sceneitall.pro docs "One-Liner", "Strips and Banners", "Managing Days"):
  shooting-day headers (day, date, unit, crew call) *above* the day, non-shooting day banners
  (Travel, Prep, Hiatus), cast numbers as "#1, #3", an Intimacy flag, a totals footer.
- StudioBinder (support.studiobinder.com "How to Auto-Add Day Breaks": day breaks, Est./Prep/
  Shoot durations), Filmustage (stripboard exported as XLSX with day breaks and banners for
  company moves, meals, end of day), SpellSlate (day breaks, "Week 2" banners, split scenes),
  Gorilla (Jungle Software: stripboard, one-liner and shooting schedule reports). No public
  description of Yamdu's export was found; its layout is assumed to be one of the above.

Columns are found by header, in any order and case, below any title lines; unknown columns
are ignored and named in the notes:

- scene number (required): Scene, Sc., Scene #, Scene No., Scenes... as boards write them:
  `42`, `42A`, `A42`, `42.1`, `42-43`, `Sc. 12`, `#7`, parts `12pt1`, `12 pt 2`, `89PT1`
  (upper-cased, spaces dropped: `12PT2`). A cell of several scenes (`42, 43`, `42 & 43`) gives
  one scene each, with the row's values. A scene on several rows (`89PT1` and `89PT2`, or `89`
  twice) is imported as parts, each with its own day: `part_of` is `89`, `number` the part's
  key; a plain number repeated becomes `89PT1`, `89PT2` in file order, skipping parts written
  out. A part written twice is refused.
- shoot date: Shoot Date, Date, Shooting Date (Day, Shoot Day, Shooting Day give way to these;
  one holding day numbers is no date column). Without dates, day banners give them (below).
- start time: Time, Start, Start Time, Call, Call Time. The day's call: Crew Call, General
  Call, Unit Call, Day Call, or "Call 18:00" in a day banner. Estimated duration: Shoot Time,
  Est. Time, Est., Duration... (`1:30`, `0:45`, `90m`, `1h 30m`).
- set: Set, Set/Location, Set Name, Slugline (a Location column gives way to Set).
- cast: Cast, Cast #, Cast IDs, ID List, Cast Numbers... as boards write them: `1, 2, 5`,
  `1 2 3`, `#1 #3`, `01` (cast number 1), `1.JANE`, `1 LENA`, `LENA (1)` (the cast number
  wins: names are resolved against the roster anyway), or names.
- intimacy: *every* header mentioning intimacy (Intimacy, Intimacy?, Intimacy (Y/N), Intimate,
  IC, IC Required, Intimacy Coordinator...) is the intimacy flag, so none is ever ignored; two
  such columns refuse the file. yes, y, x, ✓, true, 1, alone or starting the cell (`Yes - IC
  on set`), mean yes; empty, no, n, false, 0, -, none, n/a mean no; anything else (`TBD`, `?`,
  `maybe`, `yes?`, free text) makes the scene intimacy undecided (intimate until a coordinator
  decides), noted by scene. A formula whose value an .xlsx file does not carry is refused.
- planned content: Intimacy Notes, IC Notes, or a header mentioning intimacy with notes,
  details, content, description, plan or comments (PRODUCT.md: these, not the Description,
  are the planned content). With no flag column a filled-in note makes the scene intimate; a
  flag of no beside a filled-in note makes it undecided. Placeholders (n/a, none, -) are no
  note.
- synopsis: Description, Synopsis, Scene Description; without a planned-content column an
  intimate scene's synopsis is its planned content.

Layout: title lines above the header and the header repeated on each printed page are skipped
(noted); blank rows keep their row number. "End of Day 3 — Tue 12 Jan 2027" (or "End Day # 3
... Total Pages: 4 3/8") closes the day of the rows above it; "Day 4", "DAY 4 - Wed 13 Jan
2027", "Shoot Day #4 of 20" or a line of just a date opens the day of the rows below it; a day
header right above an End of Day banner (Movie Magic's Shoot Day strip) only labels that day.
Banners bound shoot days; their date serves rows without one, their "Call 18:00" is the
day's call. Other banners (company move, meals, travel, day off, week 2...) and totals lines
("Total pages: 4 3/8", "TOTAL") are skipped, and so, with a note, is any other line holding
one text and no scene number, except one continuing the scene above (text under its set,
description or intimacy notes: a one-liner prints the synopsis on a strip's second line),
which is added to that scene. A row with a time, cast or intimacy value is always a scene,
never a banner.

Dates: ISO `2026-03-14` (or `2026/03/14`, or a date-time `2026-03-14T07:00`, `2026-03-14
07:00:00`, whose time serves a row without one); slashed `14/03/2026` or `3/14/2026`, the order
detected over the whole file, banners included (a first part above 12 is day-first, a second
part above 12 month-first, both in one file refused; otherwise the caller's `date_order` is
used and noted, and without one `AmbiguousDateOrder` is raised with an example cell for the
caller to ask); dotted `14.03.2026` (day first); `14-Mar-2026`, `14 Mar 2026`, `Mar 14, 2026`,
`March 14th 2026`, any after a weekday that must match; two-digit years are 20xx; Excel serial
days (`46399`, a fraction for the time of day) as a CSV saved from Excel writes them.

Times: `14:30`, `14.30`, `1430`, `14:30:00`, `2:30 PM`, `2pm`, `2 p.m.`, `noon`, `midnight`;
Excel day fractions (`0.3125` is 07:30: a leading `0.` marks one, `7.30` is a clock time); a
zone after the time (`7:00 AM PST`, `19:00 GMT`, `07:00+01:00`) must be the production zone's
on that date: PST on a July date in Los Angeles, or PST in London, is refused (`PT`, and UTC
names when the zone is on UTC, pass; `EST` is a zone only in an Eastern production, else an
estimate). `(est)`, `est.`, `approx`, `~7:00`, `7:00 TBC` are estimates. `TBD`, `?` or nothing
is no time: the scene starts at the previous scene's start plus its duration (or its start,
without one), else at the day's call, else at `default_time`, estimated and noted.

Shoot days are working days. A start earlier than the day's call is on the next calendar date
(`after_midnight`; `shoot_date` is that date, as the store keeps it) when that is at most
MAX_NIGHT_SPAN after the call, and refused as a start before call otherwise. Without a call,
the day's first timed scene stands in for it, and a time moves to the next morning only when
the day's rows run in time order around a single wrap past midnight: a sheet sorted by scene
number must not put a morning scene on the next day (this is noted). A date-time written out
is never moved. The daylight-saving checks (a time skipped or repeated by a clock change)
apply to the resolved date and time.

Everything wrong is reported at once as `InputRejected` (nothing else is raised for a bad
file), each problem by row and column with what to do, cut to about MAX_PROBLEM_CHARS with
"and N more"; nothing is returned from a file with any problem. Planned-content, synopsis and
intimacy cells are never quoted in a problem or note (they can describe intimate content, and
people type notes into the flag); other cells are quoted short, and values too long to be a
date, time or number are refused before any pattern runs on them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib import resources
from typing import Literal
from zoneinfo import ZoneInfo

from bot.csvread import (
    Column,
    Record,
    Sheet,
    normalize_header,
    read_records,
    sheet_from_records,
    spellings_text,
)
from bot.problems import InputRejected, Problem
from bot.schedule.model import ImportedScene, ImportedSchedule
from bot.timeutil import AmbiguousLocalTime, NonexistentLocalTime, localize

DateOrder = Literal["dmy", "mdy"]

MAX_NIGHT_SPAN = timedelta(hours=16)
"""Longest a shoot day may run from its call (or first scene) to a start after midnight."""

MAX_PROBLEM_CHARS = 3000
"""The rendered problem list is cut to about this size, ending with "and N more"."""

MAX_PROBLEM_LINES = 20
"""At most this many problems are returned, the last saying how many more there were: as many
as `InputRejected.summary` shows by default, so that it never cuts the list again."""

_NOTES_WORDS = r"\b(?:notes?|details?|content|descr(?:iption)?|plan|planned|comments?|info)\b"
_MENTIONS_INTIMACY = r"(?:intima|\bi\.?\s?c\b)"

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
            "Scenes",
            "Scene(s)",
            "Sc #",
            "Sc No",
            "Scn",
        ),
        required=True,
    ),
    Column(
        "date",
        "shoot date",
        (
            "Shoot Date",
            "Date",
            "Shooting Date",
            "Day",
            "Shoot Day",
            "Shooting Day",
        ),
        weak=("Day", "Shoot Day", "Shooting Day"),
    ),
    Column(
        "time",
        "start time",
        ("Time", "Start", "Start Time", "Scene Start", "Call", "Call Time"),
    ),
    Column(
        "call",
        "day's call",
        ("Crew Call", "General Call", "Unit Call", "Day Call", "Crew Call Time", "Gen Call"),
    ),
    Column(
        "duration",
        "estimated duration",
        (
            "Shoot Time",
            "Est. Time",
            "Est Time",
            "Estimated Time",
            "Est.",
            "Estimate",
            "Duration",
            "Est. Duration",
            "Estimated Duration",
            "Shoot Duration",
        ),
    ),
    Column(
        "set",
        "set",
        ("Set", "Location", "Set/Location", "Set Name", "Slugline", "Scene Heading"),
        weak=("Location",),
    ),
    Column(
        "cast",
        "cast",
        (
            "Cast",
            "Cast Members",
            "Cast IDs",
            "Cast ID",
            "Cast #",
            "Cast #s",
            "Cast Numbers",
            "Cast No",
            "ID List",
            "Cast ID List",
            "Characters",
        ),
        weak=("Characters",),
    ),
    Column(
        "intimacy",
        "intimacy",
        ("Intimacy", "IC", "Intimate", "Intimacy Scene"),
        pattern=re.compile(rf"^(?!.*{_NOTES_WORDS}).*{_MENTIONS_INTIMACY}"),
    ),
    Column(
        "planned",
        "intimacy notes",
        ("Intimacy Notes", "IC Notes"),
        pattern=re.compile(rf"(?=.*{_MENTIONS_INTIMACY}).*{_NOTES_WORDS}"),
    ),
    Column("synopsis", "description", ("Description", "Synopsis", "Scene Description")),
)
_SENSITIVE = ("planned", "synopsis", "intimacy")


class AmbiguousDate(ValueError):
    """A slashed date that reads as a valid date both day-first and month-first."""


class AmbiguousDateOrder(InputRejected):
    """Nothing in the file settles whether its slashed dates are day-first or month-first, and
    no order was given.

    `example` is one such cell as written (at `row`, `column`), `readings` its day-first and
    month-first dates: a caller can ask the person `question` and read the file again with
    `date_order`. `problems` holds every problem found, this one first, so a caller that only
    knows `InputRejected` still shows something a person can act on.
    """

    def __init__(
        self,
        problems: list[Problem],
        *,
        example: str,
        row: int,
        column: str | None,
        readings: tuple[date, date],
    ) -> None:
        super().__init__(problems)
        self.example = example
        self.row = row
        self.column = column
        self.readings = readings

    @property
    def question(self) -> str:
        """'Is 03/04/2027 the 3rd of April or March 4th?', with the file's own cell."""
        dmy, mdy = self.readings
        return (
            f"Is {self.example} the {_ordinal(dmy.day)} of {dmy:%B} or "
            f"{mdy:%B} {_ordinal(mdy.day)}?"
        )


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


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
_SLASHED_IN_TEXT = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?![\d/])")
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})")
_WEEKDAY_PREFIX = re.compile(r"([a-z]+)\.?,?\s+(.+)", re.IGNORECASE)
_DAY_TOKEN = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?", re.IGNORECASE)
_YEAR_TOKEN = re.compile(r"\d{4}|\d{2}")
_SERIAL_DATE = re.compile(r"(\d{5})(?:\.(\d+))?")
_SERIAL_FIRST, _SERIAL_LAST = 36526, 73050  # 2000-01-01 .. 2099-12-31 in Excel's numbering
_EXCEL_EPOCH = date(1899, 12, 30)
_FIRST_YEAR, _LAST_YEAR = 1990, 2199
_MAX_VALUE_CHARS = 60  # longer date, time or duration cells are refused unparsed
_DATE_HELP = "Write dates like 2026-03-14, 14/03/2026, 14 Mar 2026 or Mar 14, 2026."

_WD = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+"
_MON = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE_IN_TEXT = re.compile(
    rf"(?:{_WD})?(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}"
    rf"|\d{{1,2}}/\d{{1,2}}/(?:\d{{4}}|\d{{2}})"
    rf"|\d{{1,2}}\.\d{{1,2}}\.(?:\d{{4}}|\d{{2}})"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?[\s\-]+{_MON},?[\s\-]+(?:\d{{4}}|\d{{2}})"
    rf"|{_MON}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:\d{{4}}|\d{{2}}))(?![\d/.])",
    re.IGNORECASE,
)
_DATE_THEN_TIME = re.compile(
    r"(.*?\d)(?:T|,?\s+)(\d{1,2}(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*(?:[ap]\.?\s*m\.?)?"
    r"(?:\s*(?:Z|[+-]\d{2}:?\d{2}|[A-Za-z]{2,5}))?)",
    re.IGNORECASE,
)


def parse_date(text: str, *, day_first: bool | None = None) -> date:
    """Parse one date cell in any format listed in the module docstring (Excel serials too).

    `day_first` orders slashed dates; None decides from the date itself and raises
    `AmbiguousDate` when both orders give a valid date. Other failures raise ValueError with a
    message fit for the user.
    """
    cleaned = " ".join(text.split())
    if not cleaned:
        raise ValueError("The shoot date is missing. Fill it in, or delete the row.")
    if serial := _SERIAL_DATE.fullmatch(cleaned):
        return _serial_date(int(serial.group(1)), cleaned)
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
            f"{_WEEKDAY_NAMES[day.weekday()]}. Correct the date or the weekday."
        )
    return day


def _serial_date(number: int, original: str) -> date:
    """An Excel serial day number (1900 date system), within this century only: a five-digit
    number outside it is not a schedule date."""
    if not _SERIAL_FIRST <= number <= _SERIAL_LAST:
        raise ValueError(f"'{original}' is not a date. {_DATE_HELP}")
    return _EXCEL_EPOCH + timedelta(days=number)


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


def _bounded(text: str, what: str, help_text: str, most: int = _MAX_VALUE_CHARS) -> str:
    """`text` with spaces collapsed; ValueError, quoting only its start, when it is too long
    to be `what` (and too long to run the patterns on)."""
    cleaned = " ".join(text.split())
    if len(cleaned) > most:
        raise ValueError(f"'{cleaned[:30]}…' is too long to be {what}. {help_text}")
    return cleaned


def _make_date(year: int, month: int, day: int, original: str) -> date:
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise ValueError(f"'{original}' is not a shoot date: check the year. {_DATE_HELP}")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"'{original}' is no such date. {_DATE_HELP}") from None


def find_date(text: str) -> str | None:
    """The first date written inside free text (a day banner), as written, or None."""
    match = _DATE_IN_TEXT.search(text)
    return match.group(0).rstrip(" ,") if match else None


@dataclass(frozen=True)
class _DateOrder:
    """The slashed-date order a file settles, the problem that it shows both orders, or the
    first cell that could be read either way (row, column, text)."""

    day_first: bool | None
    problem: Problem | None = None
    ambiguous: tuple[int, str | None, str] | None = None


def _detect_day_first(cells: Iterable[tuple[int, str | None, str]]) -> _DateOrder:
    """Decide the order of slashed dates from every date text of a file, as (row, column,
    text) triples.

    A single date like 14/03/2026 settles the order for the whole file, because an export uses
    one format throughout; dates like 03/04/2026 are then read the same way.
    """
    day_first_at: tuple[int, str | None, str] | None = None
    month_first_at: tuple[int, str | None, str] | None = None
    ambiguous: tuple[int, str | None, str] | None = None
    for row, column, text in cells:
        for match in _SLASHED_IN_TEXT.finditer(text):
            first, second = int(match.group(1)), int(match.group(2))
            if 12 < first <= 31 and 1 <= second <= 12 and day_first_at is None:
                day_first_at = (row, column, text)
            elif 12 < second <= 31 and 1 <= first <= 12 and month_first_at is None:
                month_first_at = (row, column, text)
            elif 1 <= first <= 12 and 1 <= second <= 12 and first != second and not ambiguous:
                ambiguous = (row, column, match.group(0))
    if day_first_at and month_first_at:
        later = max(day_first_at, month_first_at, key=lambda found: found[0])
        return _DateOrder(
            None,
            Problem(
                f"Dates are written both day-first (row {day_first_at[0]}: "
                f"'{day_first_at[2]}') and month-first (row {month_first_at[0]}: "
                f"'{month_first_at[2]}'). Write all dates the same way, best as YYYY-MM-DD.",
                row=later[0],
                column=later[1],
            ),
        )
    if day_first_at:
        return _DateOrder(True)
    if month_first_at:
        return _DateOrder(False)
    return _DateOrder(None, ambiguous=ambiguous)


_MAIN_US_ZONES = frozenset(
    {
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
    }
)


@cache
def _us_zones() -> frozenset[str]:
    """The zones tzdata's zone.tab gives to the United States (the main ones without it)."""
    try:
        table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, OSError):
        return _MAIN_US_ZONES
    return frozenset(line.split("\t")[2] for line in table.splitlines() if line.startswith("US\t"))


def date_order_for(zone: ZoneInfo) -> DateOrder:
    """The production's date order (PRODUCT.md): month-first in a US time zone, else day-first."""
    key = zone.key
    return "mdy" if key in _us_zones() or key.startswith("US/") else "dmy"


# --- times -----------------------------------------------------------------------------------

_TIME_24 = re.compile(r"(\d{1,2})[:.](\d{2})(?::(\d{2}))?")
_TIME_4_DIGITS = re.compile(r"(\d{2})(\d{2})")
_TIME_12 = re.compile(
    r"(\d{1,2})(?:[:.](\d{2})(?::(\d{2}))?)?\s*([ap])\.?\s*(?:m\.?)?", re.IGNORECASE
)
_NAMED_TIMES = {"noon": time(12, 0), "midday": time(12, 0), "midnight": time(0, 0)}
_TIME_HELP = "Write times like 14:30, 1430, 2:30 PM or 2pm."
_NO_TIME = re.compile(r"\(?\s*(?:tbd|tba|tbc|t\.b\.d\.?|\?+|n/a|-+)\s*\)?", re.IGNORECASE)
_ESTIMATE_BEFORE = re.compile(
    r"^(?:~|approx\.?\s*|ca\.\s*|c\.\s*|est\.\s*|estimated\s*)", re.IGNORECASE
)
_ESTIMATE_AFTER = re.compile(
    r"\s*(?:\(\s*(?:est\.?|estimated|approx\.?|tbc|tbd|\?)\s*\)|est\.|est'd|estimated|"
    r"approx\.?|tbc|tbd|\?+)$",
    re.IGNORECASE,
)
_ZONE_AFTER = re.compile(r"^(.*\d.*?)\s*\(?\b([A-Za-z]{2,5})\)?$")
_OFFSET_AFTER = re.compile(r"^(.*\d)\s*(Z|[+-]\d{2}(?::?\d{2})?)$")
_NOT_ZONES = {"am", "pm", "hrs", "hr", "h", "uhr"}
_FRACTION = re.compile(r"(\d{1,5})?\.(\d+)")
_UTC_NAMES = {"UTC", "GMT", "UT", "Z"}


def parse_time(text: str) -> time:
    """Parse one clock time (formats in the module docstring). Raises ValueError for the user."""
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
        hint = (
            " For a time after midnight write 01:00 and so on: a time earlier than the day's "
            "call is put on the next morning."
            if 24 <= hour <= 30
            else ""
        )
        raise ValueError(f"'{original}' is no such time. {_TIME_HELP}{hint}") from None


@dataclass(frozen=True)
class _TimeCell:
    """What a time cell says: a clock time or none (empty, TBD), whether it is an estimate,
    the zone written after it, and the calendar date when the cell holds a date-time."""

    at: time | None
    estimated: bool = False
    zone: str | None = None
    on: date | None = None


def _zone_names(zone: ZoneInfo, year: int) -> set[str]:
    """The abbreviations `zone` uses in `year` (winter and summer)."""
    return {
        name
        for month in (1, 7)
        if (name := datetime(year, month, 1, 12, tzinfo=zone).tzname()) is not None
    }


def _read_time_cell(text: str, zone: ZoneInfo, day_first: bool | None) -> _TimeCell:
    """Read a start-time cell. Raises ValueError (for the user) or AmbiguousDate."""
    cleaned = _bounded(text, "a time", _TIME_HELP)
    if not cleaned or _NO_TIME.fullmatch(cleaned):
        return _TimeCell(None, estimated=True)
    estimated = False
    for marker in (_ESTIMATE_BEFORE, _ESTIMATE_AFTER):
        stripped = marker.sub("", cleaned).strip()
        if stripped != cleaned:
            estimated, cleaned = True, stripped
    if not cleaned:
        return _TimeCell(None, estimated=True)
    zone_text: str | None = None
    if offset := _OFFSET_AFTER.fullmatch(cleaned):
        cleaned, zone_text = offset.group(1).strip(), offset.group(2).upper()
    elif (named := _ZONE_AFTER.fullmatch(cleaned)) and named.group(2).lower() not in _NOT_ZONES:
        token = named.group(2).upper()
        if token == "EST" and "EST" not in _zone_names(zone, 2000):
            estimated = True  # "7:00 est": estimated, in a production not on Eastern time
        else:
            zone_text = token
        cleaned = named.group(1).strip()
    if (fraction := _FRACTION.fullmatch(cleaned)) and not _is_clock_decimal(cleaned):
        return _serial_time(fraction, cleaned, estimated, zone_text)
    if (both := _DATE_THEN_TIME.fullmatch(cleaned)) and _DATE_IN_TEXT.fullmatch(both.group(1)):
        on = parse_date(both.group(1), day_first=day_first)
        inner = _read_time_cell(both.group(2), zone, day_first)
        return _TimeCell(inner.at, estimated or inner.estimated, zone_text or inner.zone, on)
    return _TimeCell(parse_time(cleaned), estimated, zone_text)


def _is_clock_decimal(text: str) -> bool:
    """`7.30` and `14.30` are clock times; `0.3125`, `0.5` and `.75` are Excel day fractions."""
    hours, _, minutes = text.partition(".")
    return len(minutes) == 2 and hours != "0" and hours != "" and int(hours) <= 23


def _serial_time(
    fraction: re.Match[str], original: str, estimated: bool, zone_text: str | None
) -> _TimeCell:
    """An Excel serial time (a fraction of a day), or a serial date-time."""
    whole = int(fraction.group(1) or 0)
    value = float(f"0.{fraction.group(2)}")
    seconds = round(value * 86_400)
    if seconds >= 86_400 or (whole and not _SERIAL_FIRST <= whole <= _SERIAL_LAST):
        raise ValueError(f"'{original}' is not a time. {_TIME_HELP}")
    at = (datetime.min + timedelta(seconds=seconds)).time()
    on = _EXCEL_EPOCH + timedelta(days=whole) if whole else None
    return _TimeCell(at, estimated, zone_text, on)


def _read_date_cell(text: str, zone: ZoneInfo, day_first: bool | None) -> tuple[date, _TimeCell]:
    """A shoot-date cell: its date, and the time it carries (an ISO or Excel date-time), if
    any, as a time on that very date (a date-time is never moved past midnight). Raises
    ValueError (for the user) or AmbiguousDate."""
    cleaned = _bounded(text, "a date", _DATE_HELP)
    if serial := _SERIAL_DATE.fullmatch(cleaned):
        day = _serial_date(int(serial.group(1)), cleaned)
        if serial.group(2) and int(serial.group(2)):
            fraction = _FRACTION.fullmatch(f".{serial.group(2)}")
            assert fraction is not None
            return day, replace(_serial_time(fraction, cleaned, False, None), on=day)
        return day, _TimeCell(None)
    if (both := _DATE_THEN_TIME.fullmatch(cleaned)) and _DATE_IN_TEXT.fullmatch(both.group(1)):
        day = parse_date(both.group(1), day_first=day_first)
        return day, replace(_read_time_cell(both.group(2), zone, day_first), on=day)
    return parse_date(cleaned, day_first=day_first), _TimeCell(None)


def _zone_problem(written: str, start: datetime, zone: ZoneInfo) -> str | None:
    """Why the zone written after a time is not the production's at that moment, or None."""
    name = start.tzname() or ""
    offset = start.utcoffset()
    if written[0] in "+-":
        hours, minutes = int(written[1:3]), int(written[3:].lstrip(":") or 0)
        sign = 1 if written[0] == "+" else -1
        if offset == sign * timedelta(hours=hours, minutes=minutes):
            return None
        return (
            f"says {written}, but on {start:%Y-%m-%d} the production's time zone "
            f"({zone.key}) is {_format_offset(offset)}. Give times in the production's zone."
        )
    family = _zone_names(zone, start.year)
    generic = {n[0] + n[2] for n in family if len(n) == 3 and n[1] in "SD"}
    if written == name or written in generic:
        return None
    if written in _UTC_NAMES and offset == timedelta(0):
        return None
    if written in family:
        return (
            f"says {written}, but on {start:%Y-%m-%d} {zone.key} is on {name}. Write {name}, "
            "or leave the zone out."
        )
    return (
        f"is in {written}, which is not the production's time zone ({zone.key}: "
        f"{'/'.join(sorted(family))}). Give times in the production's zone."
    )


def _format_offset(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta(0)).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


_DURATION_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_DURATION_WORDS = re.compile(
    r"(?:(\d+(?:\.\d+)?)\s*h(?:rs?|ours?)?)?\s*(?:(\d+)\s*m(?:ins?|inutes?)?)?", re.IGNORECASE
)
_DURATION_HELP = "Write durations like 1:30, 0:45, 90m or 1h 30m."


def parse_duration(text: str) -> timedelta | None:
    """An estimated shooting duration (`1:30`, `0:45`, `90m`, `1h 30m`, `1.5h`); None when
    empty. Raises ValueError for the user; a clock time (`7:00 PM`) is refused, since this
    column is a duration, not a start."""
    cleaned = _bounded(text, "a duration", _DURATION_HELP)
    if not cleaned:
        return None
    found: timedelta | None = None
    if match := _DURATION_CLOCK.fullmatch(cleaned):
        hours, minutes, seconds = (int(part or 0) for part in match.groups())
        if minutes < 60 and seconds < 60:
            found = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    elif (match := _DURATION_WORDS.fullmatch(cleaned)) and any(match.groups()):
        hours_text, minutes_text = match.group(1) or "0", match.group(2) or "0"
        if len(hours_text) <= 4 and len(minutes_text) <= 5:
            found = timedelta(hours=float(hours_text), minutes=int(minutes_text))
    if found is not None:
        if found > timedelta(hours=24):
            raise ValueError(f"'{cleaned}' is longer than a shoot day. {_DURATION_HELP}")
        return found
    if _TIME_12.fullmatch(cleaned.lower()):
        raise ValueError(
            f"'{cleaned}' is a clock time, but this column is the estimated duration of the "
            f"scene. {_DURATION_HELP}"
        )
    raise ValueError(f"'{cleaned}' is not a duration. {_DURATION_HELP}")


# --- other cells -----------------------------------------------------------------------------

_YES = re.compile(r"(?:yes|y|x|true|1|✓|✔|☑|✅)(?!\w)")
_NO = {"no", "n", "false", "0", "-", "–", "—", "none", "n/a", "na", "nil", "✗", "✘", "❌"}
_PLACEHOLDERS = {"-", "–", "—", "n/a", "na", "none", "no", "nil"}
_SCENE_PREFIX = re.compile(r"^(?:#|SCENE|SC)\.?\s*(?=[A-Z]?\d)")
_PART_SUFFIX = re.compile(r"\s*[-(]?\s*(?:PT|PART)\.?\s*(\d+)\s*\)?$")
_SCENE_UNIT = r"[A-Z]{0,3}\d+(?:\.\d+)?[A-Z]{0,3}"
_SCENE_NUMBER = re.compile(rf"{_SCENE_UNIT}(?:-{_SCENE_UNIT})?(?:PT\d+)?")
_SCENE_PART = re.compile(r"(.+?)PT(\d+)")
_SCENE_LIST = re.compile(r"\s*(?:[,;&+\n]|\band\b)\s*", re.IGNORECASE)
_CAST_SPLIT = re.compile(r"[,;/|\r\n]+")
_MAX_CAST_REF_CHARS = 100
_CAST_NUMBER = r"#?\d{1,4}[A-Za-z]?"
_CAST_NUMBERS = re.compile(rf"{_CAST_NUMBER}(?:\s+{_CAST_NUMBER})*")
_NUMBER_THEN_NAME = re.compile(rf"({_CAST_NUMBER})(?:\s*[.):\-–]\s*|\s+)([^\W\d_].*)")
_NAME_THEN_NUMBER = re.compile(rf"([^\W\d_].*?)\s*(?:\(\s*({_CAST_NUMBER})\s*\)|({_CAST_NUMBER}))")


def parse_intimacy(text: str) -> bool | None:
    """True (yes-like), False (empty or no-like) or None: undecided (`TBD`, `?`, free text).

    Yes-like is yes, y, x, ✓, true or 1, alone or starting the cell (`Yes - IC on set`); a
    question mark anywhere makes it undecided (`yes?`).
    """
    value = " ".join(text.split()).casefold()
    if not value or value in _NO:
        return False
    if "?" in value or value in {"y/n", "yes/no"}:
        return None
    if _YES.match(value):
        return True
    return None


def normalize_scene_number(text: str) -> str:
    """` 42a ` -> `42A`, `Sc. 12` -> `12`, `#7` -> `7`, `12pt1` / `12 pt 1` -> `12PT1`.

    Raises ValueError if it is none. Spaces inside are dropped (`42 A` is `42A`) so that a
    re-import matches the same scene.
    """
    value = " ".join(text.split()).upper()
    if not value:
        raise ValueError("The scene number is missing. Fill it in, or delete the row.")
    value = _SCENE_PREFIX.sub("", value)
    value = _PART_SUFFIX.sub(r"PT\1", value).replace(" ", "")
    if not _SCENE_NUMBER.fullmatch(value):
        raise ValueError(
            f"'{text.strip()}' is not a scene number. Write it like 42, 42A, A42, 42.1, 42-43 "
            "or 42PT1."
        )
    return value


def split_scene_numbers(text: str) -> tuple[str, ...]:
    """Every scene of a scene cell: `42, 43` and `42 & 43` are two. Raises ValueError."""
    _bounded(text, "scene numbers", "Write them like 42, 42A or 42PT1, one row per scene.", 200)
    parts = [part for part in _SCENE_LIST.split(text) if part.strip()]
    if not parts:
        return (normalize_scene_number(text),)
    return tuple(dict.fromkeys(normalize_scene_number(part) for part in parts))


def split_cast(text: str) -> tuple[str, ...]:
    """The file's words for each performer, split on `,` `;` `/` `|` or line breaks, and on
    spaces between cast numbers (`1 2 3`). A cast number with a name (`1 LENA`, `1.LENA`,
    `LENA (1)`) gives the number; leading zeros and `#` are dropped (`01`, `#1` are `1`)."""
    refs: list[str] = []
    for raw in _CAST_SPLIT.split(text):
        part = " ".join(raw.split())
        if not part:
            continue
        if len(part) > _MAX_CAST_REF_CHARS:  # no name is this long; resolving will say so
            refs.append(part)
        elif _CAST_NUMBERS.fullmatch(part):
            refs.extend(_cast_number(number) for number in part.split())
        elif match := _NUMBER_THEN_NAME.fullmatch(part):
            refs.append(_cast_number(match.group(1)))
        elif match := _NAME_THEN_NUMBER.fullmatch(part):
            refs.append(_cast_number(match.group(2) or match.group(3)))
        else:
            refs.append(part)
    return tuple(dict.fromkeys(refs))


def _cast_number(text: str) -> str:
    match = re.fullmatch(r"#?0*(\d+)([A-Za-z]?)", text)
    assert match is not None
    return match.group(1) + match.group(2).upper()


def _is_scene_number(text: str) -> bool:
    try:
        split_scene_numbers(text)
    except ValueError:
        return False
    return bool(text.strip())


# --- layout: banners, totals, continuation lines ---------------------------------------------

_END_OF_DAY = re.compile(
    r"^\W*end\s+(?:of\s+)?(?:shoot(?:ing)?\s+)?day\b\s*(?:#|no\.?)?\s*(\d+)?", re.IGNORECASE
)
_DAY_HEADER = re.compile(
    r"^\W*(?:shoot(?:ing)?\s+)?day\s*(?:#|no\.?)?\s*(\d+)\b(?:\s*(?:of|/)\s*\d+)?", re.IGNORECASE
)
_OTHER_BANNER = re.compile(
    r"^\W*(?:company\s+(?:move|travel)|unit\s+move|move\b|moving\b|lunch|meal|dinner|"
    r"breakfast|break\b|wrap\b|travel|hiatus|days?\s+off|off\s+day|weekend|holiday|prep\b|"
    r"rehearsals?\b|week\s+\d+|second\s+unit|2nd\s+unit|splinter|dark\s+day|rest\s+day|"
    r"down\s+day|weather|rain\s+cover|camera\s+tests?|fittings?\b)",
    re.IGNORECASE,
)
_TOTALS = re.compile(r"^\W*(?:grand\s+)?totals?\b", re.IGNORECASE)
_BANNER_CALL = re.compile(
    r"\b(?:crew\s+|general\s+|unit\s+)?call(?:\s+time)?\s*[:@\-–]?\s*"
    r"(\d{1,2}(?:[:.]\d{2})?\s*(?:[ap]\.?\s*m\.?|[ap]\b)?)",
    re.IGNORECASE,
)
_DAY_NUMBER_CELL = re.compile(r"(?:day\s*)?(?:#|no\.?)?\s*\d{1,3}(?:\s*(?:of|/)\s*\d{1,3})?", re.I)
_CONTINUES = ("synopsis", "planned", "set")
_SCENE_DATA = ("date", "time", "call", "cast", "intimacy")


@dataclass(frozen=True)
class _Banner:
    """A day banner: `opens` the day of the rows below it, or closes the day of those above;
    `label` when it only labels a day that an End of Day banner right below closes."""

    row: int
    text: str
    opens: bool
    label: bool = False


@dataclass
class _SceneLine:
    """A row taken as a scene, with the text of the continuation lines under it, by column."""

    record: Record
    more: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class _Layout:
    lines: list[_SceneLine | _Banner] = field(default_factory=list)
    totals: int = 0
    other_banners: int = 0
    unknown: list[tuple[int, str | None]] = field(default_factory=list)


def _layout(sheet: Sheet) -> _Layout:
    """Sort the data rows into scenes, day banners, continuation lines and skipped lines."""
    layout = _Layout()
    for record in sheet.records:
        values = [(i, cell) for i, cell in enumerate(record.cells) if cell]
        first_at, first = values[0]
        scene_cell = sheet.value(record, "number")
        has_scene = scene_cell != first and _is_scene_number(scene_cell)
        banner = not has_scene and not _has_scene_data(sheet, record)
        if banner and _TOTALS.match(first):
            layout.totals += 1
            continue
        if banner and _END_OF_DAY.match(first):
            layout.lines.append(_Banner(record.row, _joined(values), opens=False))
            continue
        if banner and _DAY_HEADER.match(first):
            layout.lines.append(_Banner(record.row, _joined(values), opens=True))
            continue
        if banner and _OTHER_BANNER.match(first) and not _is_scene_number(scene_cell):
            layout.other_banners += 1
            continue
        if len({cell for _, cell in values}) == 1 and not _is_scene_number(scene_cell):
            key = sheet.key_at(first_at)
            previous = layout.lines[-1] if layout.lines else None
            if key not in _SCENE_DATA and _DATE_IN_TEXT.fullmatch(first):
                layout.lines.append(_Banner(record.row, first, opens=True))
                continue
            if key in _CONTINUES and isinstance(previous, _SceneLine):
                # A one-liner prints the synopsis on a second line, under the set.
                if key == "set" and not sheet.has("synopsis"):
                    key = "synopsis"
                previous.more.setdefault(key, []).append(first)
                continue
            if key not in _SCENE_DATA:
                shown = None if key in _SENSITIVE else first
                layout.unknown.append((record.row, shown))
                continue
        layout.lines.append(_SceneLine(record))
    _mark_labels(layout.lines)
    return layout


def _joined(values: Sequence[tuple[int, str]]) -> str:
    return " ".join(dict.fromkeys(cell for _, cell in values))


def _has_scene_data(sheet: Sheet, record: Record) -> bool:
    """Whether a row fills a time, cast or intimacy cell: then it is a scene (missing its
    number, perhaps), whatever its first cell says, and never skipped as a banner."""
    return any(sheet.value(record, key) for key in ("time", "cast", "intimacy"))


def _mark_labels(lines: list[_SceneLine | _Banner]) -> None:
    """A day header followed, with no scene between, by an End of Day banner labels that day
    (Movie Magic puts its "Shoot Day #3 of 20" strip right above the Day Break)."""
    for index, line in enumerate(lines):
        if not isinstance(line, _Banner) or not line.opens:
            continue
        following = lines[index + 1] if index + 1 < len(lines) else None
        if isinstance(following, _Banner) and not following.opens:
            lines[index] = _Banner(line.row, line.text, opens=True, label=True)


# --- the file --------------------------------------------------------------------------------


@dataclass
class _Day:
    """A shoot day as the layout bounds it: its banners and its scene lines."""

    lines: list[_SceneLine] = field(default_factory=list)
    banners: list[_Banner] = field(default_factory=list)
    day_number: str | None = None


@dataclass
class _Row:
    """A scene row read into values (before its day is known)."""

    record: Record
    numbers: tuple[str, ...]
    on: date | None
    when: _TimeCell
    call: time | None
    duration: timedelta | None
    intimacy: bool | None
    undecided: bool
    planned: str | None
    synopsis: str | None
    set_name: str
    cast: tuple[str, ...]


@dataclass
class _Reading:
    """State while reading a file: its sheet, settings, problems and what to note."""

    sheet: Sheet
    zone: ZoneInfo
    day_first: bool | None
    default_time: time
    dates_from_column: bool
    problems: list[Problem] = field(default_factory=list)
    ambiguous: bool = False
    undecided: list[str] = field(default_factory=list)
    conflicting: list[str] = field(default_factory=list)
    estimated: list[str] = field(default_factory=list)
    after_midnight: list[str] = field(default_factory=list)
    unordered_days: list[date] = field(default_factory=list)

    def column(self, key: str) -> str | None:
        return self.sheet.header(key)

    def report(self, message: str, row: int | None, key: str | None = None) -> None:
        self.problems.append(Problem(message, row=row, column=self.column(key) if key else None))


def parse_schedule_csv(
    text: str,
    zone: ZoneInfo,
    *,
    date_order: DateOrder | None = None,
    default_time: time = time(7, 0),
) -> ImportedSchedule:
    """Read a schedule CSV into scenes whose start times are aware, in `zone`.

    `date_order` says how slashed dates are ordered when the file does not settle it; None
    raises `AmbiguousDateOrder` for such a file. `default_time` is used, marked as estimated,
    for scenes without a start time, a previous scene that day or a day's call.
    Raises `InputRejected` with every problem found; returns nothing partial.
    """
    records = read_records(text, COLUMNS)
    return read_schedule_records(
        records, zone, date_order=date_order, default_time=default_time, source_format="csv"
    )


def read_schedule_records(
    records: Sequence[Record],
    zone: ZoneInfo,
    *,
    date_order: DateOrder | None,
    default_time: time,
    source_format: str,
    notes: Sequence[str] = (),
) -> ImportedSchedule:
    """Read the rows of a CSV file or spreadsheet (see `parse_schedule_csv`). `notes` are put
    first in the schedule's notes (which sheet of a workbook was read)."""
    sheet = sheet_from_records(records, COLUMNS, rows_noun="scenes", defer_header=True)
    day_numbers = _holds_day_numbers(sheet)
    dates_from_column = sheet.has("date") and not day_numbers
    if sheet.header_problems:
        refused = list(sheet.header_problems)
        if not dates_from_column and not any(_dated_banner(r) for r in records):
            refused.append(_no_dates_problem(sheet))
        raise InputRejected(refused)

    layout = _layout(sheet)
    order = _detect_day_first(_date_texts(sheet, layout))
    day_first = order.day_first
    notes_out = [*notes, *sheet.notes]
    problems = list(sheet.problems)
    if order.problem:
        problems.append(order.problem)
    if order.ambiguous and day_first is None and date_order is not None:
        day_first = date_order == "dmy"
        notes_out.append(_order_note(order.ambiguous[2], day_first))
    state = _Reading(sheet, zone, day_first, default_time, dates_from_column, problems)
    if day_numbers:
        notes_out.append(
            f"Column '{sheet.header('date')}' holds shoot-day numbers, not dates; the dates "
            "come from the day banners."
        )
    if not dates_from_column and not any(
        isinstance(line, _Banner) and find_date(line.text) for line in layout.lines
    ):
        state.problems.append(_no_dates_problem(sheet))
        raise InputRejected(_fit(state.problems))

    days = _days(layout, sheet if day_numbers else None)
    scenes: list[ImportedScene] = []
    for day in days:
        scenes.extend(_day_scenes(state, day))
    scenes = _number_parts(state, scenes, notes_out)

    if order.ambiguous and day_first is None:
        row, column, example = order.ambiguous
        raise _ambiguous_order(state.problems, example, row, column)
    if state.ambiguous:  # a date the file-wide detection missed: never skip a row in silence
        state.report(
            "A date could be read day-first or month-first. Write dates as YYYY-MM-DD.", None
        )
    if state.problems:
        raise InputRejected(_fit(sorted(state.problems, key=lambda p: p.row or 0)))
    notes_out.extend(_layout_notes(layout))
    notes_out.extend(_reading_notes(state, default_time))
    return ImportedSchedule(
        scenes=tuple(scenes), source_format=source_format, notes=tuple(notes_out)
    )


def _holds_day_numbers(sheet: Sheet) -> bool:
    """Whether the date column is a Shoot Day column holding day numbers (1, Day 2, #3)."""
    header = sheet.header("date")
    if header is None or normalize_header(header) not in {"day", "shoot day", "shooting day"}:
        return False
    rows = [r for r in sheet.records if len({c for c in r.cells if c}) > 1]  # not banners
    filled = [c for r in rows if (c := sheet.value(r, "date"))]
    return bool(filled) and all(_DAY_NUMBER_CELL.fullmatch(c) for c in filled)


def _dated_banner(record: Record) -> bool:
    first = next((cell for cell in record.cells if cell), "")
    is_day = _END_OF_DAY.match(first) or _DAY_HEADER.match(first)
    return bool(is_day and find_date(" ".join(record.cells)))


def _no_dates_problem(sheet: Sheet) -> Problem:
    column = next(c for c in COLUMNS if c.key == "date")
    numbers = (
        f"(column '{sheet.header('date')}' holds day numbers, not dates) "
        if sheet.has("date")
        else ""
    )
    return Problem(
        f"The shoot date column is missing {numbers}"
        "and no day banner gives a date (like 'End of Day 1 "
        f"— Mon 11 Jan 2027'). Add a date column named one of: {spellings_text(column)}; or "
        "export the schedule with its day breaks. " + sheet.header_guess(),
        row=sheet.header_row,
    )


def _date_texts(sheet: Sheet, layout: _Layout) -> Iterable[tuple[int, str | None, str]]:
    """Every text that may hold a slashed date: date and time cells, banners."""
    for line in layout.lines:
        if isinstance(line, _Banner):
            yield line.row, None, line.text
            continue
        for key in ("date", "time"):
            if value := sheet.value(line.record, key):
                yield line.record.row, sheet.header(key), value


def _order_note(example: str, day_first: bool) -> str:
    order = "day-first" if day_first else "month-first"
    return (
        f"No date in the file says whether dates are day-first or month-first; dates like "
        f"'{example}' were read {order}, the order given for this import."
    )


def _ambiguous_order(
    problems: list[Problem], example: str, row: int, column: str | None
) -> AmbiguousDateOrder:
    match = _SLASHED_IN_TEXT.search(example)
    assert match is not None
    first, second, year = int(match.group(1)), int(match.group(2)), _full_year(match.group(3))
    readings = (date(year, second, first), date(year, first, second))
    problem = Problem(
        f"'{example}' could be {first} {_month_name(second)} or {second} {_month_name(first)}, "
        "and no date in the file settles whether dates are day-first or month-first. Say "
        "which order the file uses, or write dates as YYYY-MM-DD.",
        row=row,
        column=column,
    )
    others = sorted(problems, key=lambda p: p.row or 0)
    return AmbiguousDateOrder(
        _fit([problem, *others]), example=example, row=row, column=column, readings=readings
    )


def _days(layout: _Layout, day_number_sheet: Sheet | None) -> list[_Day]:
    """Group the scene lines into shoot days, as the banners (and a day-number column) bound
    them."""
    days: list[_Day] = []
    current = _Day()

    def close() -> None:
        nonlocal current
        if current.lines or current.banners:
            days.append(current)
        current = _Day()

    for line in layout.lines:
        if isinstance(line, _Banner):
            if line.opens and not line.label:
                close()
            current.banners.append(line)
            if not line.opens:
                close()
            continue
        if day_number_sheet is not None:
            number = day_number_sheet.value(line.record, "date")
            if number and current.day_number not in (None, number) and current.lines:
                close()
            current.day_number = number or current.day_number
        current.lines.append(line)
    close()
    return days


def _day_date(state: _Reading, day: _Day) -> tuple[date | None, time | None, bool]:
    """The date and call its banners give a day, and whether a banner's date could not be
    read (then its rows are not reported again as undated). Reports banners that disagree."""
    found: tuple[int, date] | None = None
    call: time | None = None
    reported = False
    for banner in day.banners:
        if call is None and (match := _BANNER_CALL.search(banner.text)):
            try:
                call = parse_time(match.group(1))
            except ValueError as exc:
                state.report(f"The day's call: {exc}", banner.row)
        written = find_date(banner.text)
        if written is None:
            continue
        try:
            on = parse_date(written, day_first=state.day_first)
        except AmbiguousDate:
            state.ambiguous = reported = True
            continue
        except ValueError as exc:
            state.report(f"{exc} (in a day banner)", banner.row)
            reported = True
            continue
        if found and found[1] != on:
            state.report(
                f"This day banner says {on:%a %d %b %Y}, but the banner on row {found[0]} for "
                f"the same day says {found[1]:%a %d %b %Y}. Correct one of them.",
                banner.row,
            )
        found = found or (banner.row, on)
    return (found[1] if found else None), call, reported


def _day_scenes(state: _Reading, day: _Day) -> list[ImportedScene]:
    """The scenes of one banner-bounded day: each row read, dated, and its time resolved
    within its shoot day."""
    banner_date, banner_call, reported = _day_date(state, day)
    rows: list[_Row] = []
    for line in day.lines:
        row = _read_row(state, line)
        if row is None:
            continue
        if row.on is None:
            row.on = banner_date
            if row.on is None:
                if not reported:
                    _report_undated(state, line.record)
                continue
        rows.append(row)
    scenes: list[ImportedScene] = []
    # One banner-bounded day may still hold several dates (a file with a date column).
    run: list[_Row] = []
    for row in rows:
        if run and run[-1].on != row.on:
            scenes.extend(_resolve_day(state, run, banner_call))
            run = []
        run.append(row)
    if run:
        scenes.extend(_resolve_day(state, run, banner_call))
    return scenes


def _report_undated(state: _Reading, record: Record) -> None:
    if state.dates_from_column:
        state.report(
            "The shoot date is missing. Fill it in, or delete the row.", record.row, "date"
        )
    else:
        state.report(
            "No shoot date for this row: no day banner with a date closes or opens its day "
            "(like 'End of Day 3 — Tue 12 Jan 2027'). Add the day break, or a date column.",
            record.row,
        )


def _read_row(state: _Reading, line: _SceneLine) -> _Row | None:
    """Read a scene row's cells; None after reporting what is wrong with it."""
    sheet, record = state.sheet, line.record
    count = len(state.problems)
    for key in ("number", "date", "time", "call", "duration", "set", "cast", "intimacy"):
        if sheet.unreadable(record, key):
            state.report(
                "This cell holds a formula whose result is not saved in the file. Open the "
                "file in Excel, LibreOffice or Numbers, save it, and import it again.",
                record.row,
                key,
            )
    numbers = _scene_numbers(state, record)
    try:
        on, date_time = _row_date(state, record)
    except AmbiguousDate:
        state.ambiguous = True  # reported once, for the whole file
        return None
    when = _row_time(state, record, date_time)
    call = _row_call(state, record)
    duration = _row_duration(state, record)
    if len(state.problems) > count or not numbers:
        return None
    planned, synopsis = _texts(sheet, line)
    intimacy, undecided = _intimacy(state, record, planned, numbers)
    return _Row(
        record=record,
        numbers=numbers,
        on=on,
        when=when,
        call=call,
        duration=duration,
        intimacy=intimacy,
        undecided=undecided,
        planned=planned if sheet.has("planned") else (synopsis if intimacy else None),
        synopsis=synopsis,
        set_name=" ".join([sheet.value(record, "set"), *line.more.get("set", [])]).strip(),
        cast=split_cast(sheet.value(record, "cast")),
    )


def _scene_numbers(state: _Reading, record: Record) -> tuple[str, ...]:
    try:
        return split_scene_numbers(state.sheet.value(record, "number"))
    except ValueError as exc:
        state.report(str(exc), record.row, "number")
        return ()


def _row_date(state: _Reading, record: Record) -> tuple[date | None, _TimeCell]:
    """The row's own date (None: none written, or unreadable and reported) and the time its
    date cell carries. Raises AmbiguousDate when the file's date order is not known."""
    cell = state.sheet.value(record, "date") if state.dates_from_column else ""
    if not cell:
        return None, _TimeCell(None)
    try:
        return _read_date_cell(cell, state.zone, state.day_first)
    except AmbiguousDate:
        raise
    except ValueError as exc:
        state.report(str(exc), record.row, "date")
        return None, _TimeCell(None)


def _row_time(state: _Reading, record: Record, from_date: _TimeCell) -> _TimeCell:
    cell = state.sheet.value(record, "time")
    if not cell:
        return from_date if from_date.at is not None else _TimeCell(None, estimated=True)
    try:
        return _read_time_cell(cell, state.zone, state.day_first)
    except AmbiguousDate:
        state.ambiguous = True
    except ValueError as exc:
        state.report(str(exc), record.row, "time")
    return _TimeCell(None, estimated=True)


def _row_call(state: _Reading, record: Record) -> time | None:
    cell = state.sheet.value(record, "call")
    if not cell:
        return None
    try:
        return parse_time(cell)
    except ValueError as exc:
        state.report(str(exc), record.row, "call")
        return None


def _row_duration(state: _Reading, record: Record) -> timedelta | None:
    try:
        return parse_duration(state.sheet.value(record, "duration"))
    except ValueError as exc:
        state.report(str(exc), record.row, "duration")
        return None


def _texts(sheet: Sheet, line: _SceneLine) -> tuple[str | None, str | None]:
    """Planned content (placeholders like "n/a" read as none) and synopsis, continuation lines
    added."""
    planned = "\n".join(
        text
        for text in [sheet.value(line.record, "planned"), *line.more.get("planned", [])]
        if text and text.casefold() not in _PLACEHOLDERS
    )
    synopsis = "\n".join(
        text
        for text in [sheet.value(line.record, "synopsis"), *line.more.get("synopsis", [])]
        if text
    )
    return planned or None, synopsis or None


def _intimacy(
    state: _Reading, record: Record, planned: str | None, numbers: Sequence[str]
) -> tuple[bool | None, bool]:
    """(intimacy, undecided) for a row, noting undecided and contradictory rows."""
    label = f"{', '.join(numbers)} (row {record.row})"
    if not state.sheet.has("intimacy"):
        # A filled-in intimacy note says there is intimacy even without a flag column.
        return (True, False) if planned else (None, False)
    value = parse_intimacy(state.sheet.value(record, "intimacy"))
    if value is None:
        state.undecided.append(label)
        return True, True
    if value is False and planned:
        state.conflicting.append(label)
        return True, True
    return value, False


def _resolve_day(
    state: _Reading, rows: list[_Row], banner_call: time | None
) -> list[ImportedScene]:
    """Start times for one shoot day's rows, in file (shooting) order.

    A time earlier than the day's call is on the next calendar date, when that is at most
    MAX_NIGHT_SPAN after the call; earlier still is a time before call (a problem). Without a
    call, the first timed scene stands in for it, and times move to the next morning only when
    the rows run in time order around a single wrap past midnight. A row without a time takes
    the previous scene's, else the call, else the default, as an estimate.
    """
    shoot_date = rows[0].on
    assert shoot_date is not None
    call = banner_call or next((r.call for r in rows if r.call is not None), None)
    next_morning = _after_midnight(state, rows, call, shoot_date)
    # What the day is reckoned from, kept with each scene so that a time set by hand later is
    # put on the same working day the same way (`bot.schedule.workday`).
    anchor = (
        call
        or next((r.when.at for r in rows if r.when.at and r.when.on is None), None)
        or state.default_time
    )
    scenes: list[ImportedScene] = []
    previous: tuple[datetime, timedelta | None] | None = None
    for index, row in enumerate(rows):
        when = row.when
        if when.at is None:
            if previous is None:
                start = datetime.combine(shoot_date, call or state.default_time)
                source = "the day's call" if call else "the default call"
            elif previous[1] is not None:
                start = previous[0] + previous[1]
                source = "the previous scene's start and duration"
            else:
                start, source = previous[0], "the previous scene's time"
            day, at = start.date(), start.time()
            state.estimated.append(
                f"{', '.join(row.numbers)} (row {row.record.row}) at {at:%H:%M} ({source})"
            )
            estimated = True
        else:
            day, at, estimated = when.on or shoot_date, when.at, when.estimated
            if when.on is not None and not 0 <= (when.on - shoot_date).days <= 1:
                state.report(
                    f"The start time is dated {when.on:%d %b %Y}, neither the shoot date "
                    f"({shoot_date:%d %b %Y}) nor the morning after. Correct the date.",
                    row.record.row,
                    "time",
                )
                continue
            if when.on is None and index in next_morning:
                day = shoot_date + timedelta(days=1)
            elif when.on is None and call is not None and at < call:
                span = _span(call, at)
                state.report(
                    f"The start time {at:%H:%M} is before the day's call ({call:%H:%M}), and "
                    f"{span} after it is too late to be the next morning. Check the time, or "
                    "the day's call.",
                    row.record.row,
                    "time",
                )
                continue
        previous = (datetime.combine(day, at), row.duration)
        start_at = _start_at(state, row, day, at)
        if start_at is None:
            continue
        if when.zone and (problem := _zone_problem(when.zone, start_at, state.zone)):
            key = "time" if state.sheet.value(row.record, "time") else "date"
            state.report(f"'{state.sheet.value(row.record, key)}' {problem}", row.record.row, key)
            continue
        after = day > shoot_date
        if after:
            state.after_midnight.append(f"{', '.join(row.numbers)} (row {row.record.row})")
        for number in row.numbers:
            scenes.append(
                ImportedScene(
                    number=number,
                    shoot_date=day,
                    start_at=start_at,
                    set_name=row.set_name,
                    cast_refs=row.cast,
                    intimacy=row.intimacy,
                    intimacy_undecided=row.undecided,
                    planned_content=row.planned,
                    synopsis=row.synopsis,
                    start_estimated=estimated,
                    row=row.record.row,
                    after_midnight=after,
                    day_call=anchor,
                )
            )
    return scenes


def _span(call: time, at: time) -> str:
    minutes = (at.hour * 60 + at.minute) + 24 * 60 - (call.hour * 60 + call.minute)
    return f"{minutes // 60} h {minutes % 60:02d}" if minutes % 60 else f"{minutes // 60} h"


def _within_night(anchor: time, at: time) -> bool:
    later = datetime.combine(date(2000, 1, 2), at) - datetime.combine(date(2000, 1, 1), anchor)
    return later <= MAX_NIGHT_SPAN


def _after_midnight(
    state: _Reading, rows: Sequence[_Row], call: time | None, shoot_date: date
) -> set[int]:
    """Indexes of the rows whose own clock time is on the morning after the shoot date."""
    timed = [(i, r.when.at) for i, r in enumerate(rows) if r.when.at and r.when.on is None]
    if call is not None:
        return {i for i, at in timed if at < call and _within_night(call, at)}
    if not timed:
        return set()
    anchor = timed[0][1]
    wrap = next((k for k, (_, at) in enumerate(timed) if at < anchor), None)
    if wrap is None:
        return set()
    before, after = [at for _, at in timed[:wrap]], [at for _, at in timed[wrap:]]
    in_order = before == sorted(before) and after == sorted(after)
    if in_order and all(at < anchor and _within_night(anchor, at) for at in after):
        return {i for i, _ in timed[wrap:]}
    state.unordered_days.append(shoot_date)
    return set()


def _start_at(state: _Reading, row: _Row, day: date, at: time) -> datetime | None:
    """Localise, refusing a time a daylight-saving change skips or repeats: guessing could put
    a closed-set scene an hour off."""
    try:
        return localize(day, at, state.zone)
    except (NonexistentLocalTime, AmbiguousLocalTime) as exc:
        if isinstance(exc, AmbiguousLocalTime):
            advice = "Give a time outside the repeated hour, so the call is not ambiguous."
        else:
            advice = "Give a time before or after the change."
        key = "time" if state.sheet.has("time") else "date"
        state.report(
            f"The start time falls in a daylight-saving change: {exc}. {advice}",
            row.record.row,
            key,
        )
        return None


def _number_parts(
    state: _Reading, scenes: list[ImportedScene], notes: list[str]
) -> list[ImportedScene]:
    """Number the parts of a scene shot over several rows: `89PT1` and `89PT2` as written, a
    plain `89` on two rows as `89PT1`, `89PT2` in file order. A part written twice is a
    problem."""
    explicit: dict[str, int] = {}
    taken: set[str] = set()
    for scene in scenes:
        if _SCENE_PART.fullmatch(scene.number):
            if scene.number in explicit and explicit[scene.number] != scene.row:
                state.report(
                    f"Scene {scene.number} is also on row {explicit[scene.number]}. Give each "
                    "part its own number (like 89PT1 and 89PT2).",
                    scene.row,
                    "number",
                )
            explicit.setdefault(scene.number, scene.row or 0)
            taken.add(scene.number)
    plain = Counter(s.number for s in scenes if not _SCENE_PART.fullmatch(s.number))
    bases = {m.group(1) for n in taken if (m := _SCENE_PART.fullmatch(n))}
    split = {number for number, count in plain.items() if count > 1 or number in bases}
    numbered: list[ImportedScene] = []
    parts: dict[str, list[str]] = {}
    for scene in scenes:
        if match := _SCENE_PART.fullmatch(scene.number):
            numbered.append(replace(scene, part_of=match.group(1)))
            continue
        if scene.number not in split:
            numbered.append(scene)
            continue
        part = next(
            f"{scene.number}PT{n}" for n in range(1, 1000) if f"{scene.number}PT{n}" not in taken
        )
        taken.add(part)
        parts.setdefault(scene.number, []).append(f"{part} (row {scene.row})")
        numbered.append(replace(scene, number=part, part_of=scene.number))
    for number, keys in parts.items():
        notes.append(
            f"Scene {number} is on {len(keys)} rows; it is imported as parts: {', '.join(keys)}."
        )
    return numbered


def _layout_notes(layout: _Layout) -> list[str]:
    notes: list[str] = []
    banners = sum(isinstance(line, _Banner) for line in layout.lines) + layout.other_banners
    if banners:
        notes.append(f"Skipped {banners} banner line(s) (day breaks, moves, meals).")
    if layout.totals:
        notes.append(f"Skipped {layout.totals} totals line(s).")
    for row, text in layout.unknown:
        shown = f" ('{text[:60]}')" if text else ""
        notes.append(f"Skipped row {row}{shown}: a line without a scene number.")
    return notes


def _reading_notes(state: _Reading, default_time: time) -> list[str]:
    notes: list[str] = []
    if state.undecided:
        notes.append(
            "Intimacy undecided (the intimacy value is neither yes nor no) for scene(s) "
            f"{_listed(state.undecided)}: their performers are asked as for an intimate scene "
            "until a coordinator decides."
        )
    if state.conflicting:
        notes.append(
            "Intimacy undecided (the intimacy column says no, but the intimacy notes are filled "
            f"in) for scene(s) {_listed(state.conflicting)}."
        )
    if state.after_midnight:
        notes.append(
            f"Scene(s) {_listed(state.after_midnight)} start after midnight (night shoot): they "
            "are put on the calendar day after their shoot day."
        )
    for day in dict.fromkeys(state.unordered_days):
        notes.append(
            f"The rows of {day:%a %d %b %Y} are not in time order, so no time that day was read "
            "as after midnight. If it is a night shoot, give the day's call (a Crew Call "
            "column, or 'Call 18:00' in the day banner)."
        )
    if state.estimated:
        notes.append(
            f"{len(state.estimated)} scene(s) have no start time (empty or TBD), so it is "
            f"estimated: {_listed(state.estimated)} (the default call is {default_time:%H:%M})."
        )
    return notes


def _listed(items: Sequence[str], most: int = 20) -> str:
    shown = "; ".join(items[:most])
    return f"{shown}; and {len(items) - most} more" if len(items) > most else shown


def _fit(problems: list[Problem]) -> list[Problem]:
    """The first problems, as many as render in about MAX_PROBLEM_CHARS and at most
    MAX_PROBLEM_LINES lines, then one saying how many more there are."""
    kept: list[Problem] = []
    size = 0
    for index, problem in enumerate(problems):
        size += len(str(problem)) + 3
        last = index == len(problems) - 1
        full = size > MAX_PROBLEM_CHARS - 120 or len(kept) == MAX_PROBLEM_LINES - 1
        if full and not last:
            rest = len(problems) - index
            kept.append(
                Problem(f"… and {rest} more problem(s) like these; fix these and import again.")
            )
            break
        kept.append(problem)
    return kept
