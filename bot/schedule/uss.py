"""Read a Universal Schedule Standard (`.uss`) export into an ImportedSchedule.

Sources (the standard is published as Markdown, a JSON schema and samples on GitHub):

- github.com/UniversalScheduleStandard/UniversalScheduleStandard at tag `1.0.0` (commit
  7dca23f, July 2022): `docs/docs.md` (the spec: breakdown, category, element, stripboard,
  board, calendar and event objects; unchanged in substance since v0.9.2),
  `samples/small_sample_schedule.uss` (1.0.0 layout: day groups as sub-arrays, `bannerText`,
  `duration`, elements pointing to their `category`, split scene `89PT1`) and
  `samples/full_sample_schedule.uss` (labelled 1.0.0 but still in an earlier draft's layout:
  `breakdownArrays`, type "strip", holidays as events of type 'event').
- github.com/UniversalScheduleStandard/uss-validator (commit 146daf8, May 2024):
  `schemas/schema_v1.0.0.js` (the official validator's JSON schema for 1.0.0) and
  `test/large_sample_schedule.uss` (a 1.0.0 export from a scheduling app: its "Set" category is
  numbered 50, split scenes `5PT1`/`5PT2` fall on different days, one banner carries a `scene`
  value, 'dayOff' events sit at UTC midnight).
- github.com/UniversalScheduleStandard/UniversalCategoryIdentification, `README.md` (commit
  4dd8bb8; category numbers: 0 Set, 6 Location, 100 Cast Members; 0-49 and 100-499 reserved;
  custom categories 50-99 and 500 up).

What is read, and the readings chosen where the sources are silent or disagree:

- The root is `{"universalScheduleStandard": {...}}` holding `breakdowns`, `categories`,
  `elements`, `stripboards` and `calendars`. A `ussVersion` (earlier drafts: `version`) whose
  major number is not 0 or 1 gets a note; the file is read all the same.
- A stripboard holds `boards`; the board named "stripboard" (any case) is the schedule, else the
  first board not named "boneyard". The boneyard holds unscheduled strips, and any other board
  (e.g. "second unit") is left out too, with a note, because the spec gives it no dates.
- Shoot days (1.0.0): a scheduled board groups its `breakdownIds` into sub-arrays, one per shoot
  day in order; an empty sub-array is a day with nothing on it and still takes a date. Ids
  written between sub-arrays belong to the day after them (a banner heading the day); scenes
  after the last sub-array make one more day, with a note. The full sample's `breakdownArrays`
  is read the same way. Inside day groups, day-break strips and banners are not breaks.
- A board without sub-arrays is read the earlier drafts' way: strips of type "day", or banners
  that read as day breaks ("End of Day 3 -- ...", "Day 4 of 30"), separate the days. "End of
  day" banners (and "day" strips) close a day; "Day N" banners open one; a board of "day"
  strips only that begins with one and does not end with one is read as opening days (noted).
  Scenes after the last closing break go on one more day (noted). A board with no day breaks at
  all is not a schedule (the samples' "Script Order" boards): a problem, not one huge day.
- Breakdown `type` is "scene" or "banner" (the full sample's "strip" is "scene", the earlier
  "day" a day break). A breakdown with `bannerText` and no scene number is a banner whatever
  its type; type "banner" stays a banner even with a `scene` value. A banner reads as a day
  break (above), a call time ("Crew call 18:00", "Call: 6:00 PM"), a meal ("Lunch", "Meal"), a
  company move ("Company move to ...") or just text. A scene strip without a scene number is
  skipped, with a note (pointed, when it has intimacy elements).
- Scene numbers are normalised by the CSV importer's `normalize_scene_number`, and split and
  numbered into parts as that importer does, so that a later CSV of the same schedule updates
  the same scenes. A part (`89PT1`, `89 pt 2`, `89 part 2`) is `<base>PT<digits as written>`
  with `part_of` the base (when `normalize_scene_number` refuses parts, the suffix is split off
  first, with the same result). A strip for several scenes (`42, 43`; also `;`, `&`, `+`,
  "and", a line break) gives one scene per number, at the strip's start. A number on several
  strips is a scene shot in parts: each plain one becomes `<n>PT1`, `<n>PT2`... in board order,
  skipping part numbers written explicitly (noted); one part number on two strips is a problem.
- Durations are `duration` (1.0.0), else `time` (the earlier docs), in milliseconds. A missing
  duration counts as zero and is noted for scenes, meals and company moves (it makes the later
  starts that day early, the safe side for reminders); title banners need none.
- Start times are estimates: the day's call (the first call banner of that day, else the
  production's `default_call`) plus the durations of the strips before it that day (banners
  too; day breaks and call banners take no time). A start at or after midnight belongs to the
  next calendar date (a night shoot): `after_midnight`, and `shoot_date` is that date, as the
  store keeps it (the local date of `start_at`). Starts more than 24 hours after the call are a
  problem. The daylight-saving check runs on that resolved date and time, so 01:30 after a
  London call of 18:00 on Saturday 29 March 2025 is refused (it falls on the 30th, in the gap).
- Category membership comes from an element's `category` id (1.0.0) or a category's
  `elements` list (earlier docs; the first listing wins). A category's role comes from its name
  first ("Set"/"Sets", "Location"/"Locations", "Cast"/"Cast Members"/"Actors"/"Talent"), since
  apps number their own categories (the large sample's Set is 50, others use 600), then from
  its `ucid` (the samples' earlier `catId`) 0, 6 or 100 when no category is named for that role.
  The production's intimacy category is matched by name (case and spacing ignored) and never
  takes a role, so its elements never show as the set or the cast.
- Cast refs are the cast elements' `elementId` (board ID), or the element name when the board ID
  is empty, so that no cast member is lost silently. The set is the Set element's name, else
  the Location element's.
- Intimacy: the production's intimacy category, or, when it names none, the file's category
  called "Intimacy", "Intimacy Coordinator", "IC" (any name mentioning intimacy; noted; two such
  categories are a problem), so that an intimacy category is never silently ignored. The
  scene's elements in that category are the planned content. Elements named like a yes
  ("Yes", "X") mark the scene intimate without content; like a no ("No", "None", "N/A") they
  do not; like an open question ("TBD", "?", "Maybe") and with nothing else they make it
  "intimacy undecided" (intimate until a coordinator decides).
- Calendar: the stripboard's `calendar` id (when it is null and there is exactly one calendar,
  that one, with a note). Exactly one event of type 'start' gives shoot day 1; weekly `daysOff`
  are 0=Sunday..6=Saturday; events of type 'dayOff', and events named as a holiday or a day off
  whatever their type, are skipped dates (the full sample writes its holidays as type 'event';
  those get a note). Other events (rehearsal, travel) are not days off. If the start date is
  itself a day off, day 1 is the next working day (noted).
- Event dates are ISO date-times, typically local midnight written in UTC
  ("2022-06-20T08:00:00.000Z" for Los Angeles). A date-time at exactly midnight in its own
  offset (or without one) is a plain date marker and its written date is used; any other is
  converted to the production's zone first, so that local midnight written in UTC lands on the
  intended day everywhere.
- Problems are sentences that name the strip by scene number and board position ("the strip for
  scene 42 (strip 7 on the board)"), never a list of ids or a Python value; text from the file
  is quoted at most 40 characters long. At most 19 problems and about 2,700 characters are
  returned, then one more saying how many were left out, so the whole refusal fits one Slack
  message. Element names are never quoted (they can describe intimate content).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from bot.problems import InputRejected, Problem
from bot.schedule.csv_format import normalize_scene_number
from bot.schedule.model import ImportedScene, ImportedSchedule
from bot.timeutil import AmbiguousLocalTime, NonexistentLocalTime, localize

MAX_BYTES = 10 * 1024 * 1024
ROOT_KEY = "universalScheduleStandard"
CAST_UCID = 100
SET_UCID = 0
LOCATION_UCID = 6
MAX_PROBLEMS = 19  # one more line says how many were left out: 20, InputRejected.summary's limit
MAX_PROBLEM_CHARS = 2_700  # rendered as "• problem" lines; Slack sections hold 3,000
QUOTE_CHARS = 40
_MS_PER_DAY = 86_400_000
_SNIFF_CHARS = 65_536
_SNIFF = re.compile(r'"universalScheduleStandard"\s*:\s*\{')
_ROLE_NAMES = {
    "cast": CAST_UCID,
    "cast members": CAST_UCID,
    "cast member": CAST_UCID,
    "actors": CAST_UCID,
    "talent": CAST_UCID,
    "set": SET_UCID,
    "sets": SET_UCID,
    "location": LOCATION_UCID,
    "locations": LOCATION_UCID,
}
_ROLE_UCIDS = (SET_UCID, LOCATION_UCID, CAST_UCID)
_TYPES = {"scene": "scene", "strip": "scene", "banner": "banner", "day": "day"}
_DAY_BREAKS = ("day", "day_end", "day_start")
_TIMELESS = (*_DAY_BREAKS, "call")
_NEEDS_DURATION = ("scene", "meal", "move")
_DAY_END = re.compile(r"^\W*(?:end\s+(?:of\s+)?(?:shoot(?:ing)?\s+)?day|eod)\b", re.IGNORECASE)
_DAY_START = re.compile(r"^\W*(?:shoot(?:ing)?\s+)?day\s*#?\s*\d+\b(?!\s*(?:end|wrap))", re.I)
_CALL = re.compile(
    r"^\W*(?:(?:crew|general|company|unit|shooting|first)\s+)?call(?:\s+time)?\s*"
    r"(?:at|@|:|-|–)?\s*(?P<hour>\d{1,2})(?:[:.h]?(?P<minute>\d{2}))?\s*"
    r"(?:(?P<half>[ap])\.?\s*m?\.?)?(?=[\s,;()\-–]|$)",
    re.IGNORECASE,
)
_MEAL = re.compile(r"\b(?:meal|lunch|dinner|breakfast|supper|brunch)\b", re.IGNORECASE)
_MOVE = re.compile(r"\b(?:company|co\.|unit|crew)\s+move\b|\bmove\s+to\b", re.IGNORECASE)
_HOLIDAY = re.compile(r"\bholiday\b|\bday\s*off\b", re.IGNORECASE)
_SCENE_SPLIT = re.compile(r"\s*(?:[,;&+\n]|\band\b)\s*", re.IGNORECASE)  # as the CSV importer
_PART = re.compile(
    r"^\s*(?P<base>.*?\d.*?)\s*[-(]?\s*(?:PT|PART)\.?\s*(?P<part>\d+)\s*\)?\s*$", re.I
)
_WRITTEN_PART = re.compile(r"(.+?)PT(\d+)")
_INTIMACY_YES = {"yes", "y", "true", "x", "✓", "✔", "☑"}
_INTIMACY_NO = {"no", "n", "none", "n/a", "na", "false", "-", "—", "0"}
_INTIMACY_OPEN = {"tbd", "tbc", "?", "??", "maybe", "possibly", "unknown", "pending"}
_INTIMACY_MARKS = _INTIMACY_YES | _INTIMACY_NO | _INTIMACY_OPEN
_INTIMACY_CATEGORY = re.compile(r"intima|^\s*i\.?\s?c\.?\s*$", re.IGNORECASE)
"""A category name that marks intimacy when the production names none: "Intimacy",
"Intimacy Coordinator", "Intimate scenes", "IC"."""

JsonObject = dict[str, object]


@dataclass
class _Report:
    """Problems and notes gathered on the way, so that every problem is reported at once."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def problem(self, message: str) -> None:
        self.problems.append(Problem(message[:1].upper() + message[1:]))

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputRejected(_capped(self.problems))


@dataclass(frozen=True)
class _Element:
    id: str
    name: str
    board_id: str
    role: int | None  # SET_UCID, LOCATION_UCID, CAST_UCID or None
    category_key: str  # the category's name, casefolded with spacing collapsed


@dataclass(frozen=True)
class _Calendar:
    start: date
    weekly_off: frozenset[int]  # Python weekday numbers (Monday=0)
    days_off: frozenset[date]


@dataclass(frozen=True)
class _Entry:
    """One item of a board: `day` is its sub-array's index, or for an item written between
    sub-arrays the index of the next one."""

    row: int
    value: object
    day: int


@dataclass(frozen=True)
class _Strip:
    row: int  # 1-based position on the board, counted through the day groups
    kind: str  # scene | banner | meal | move | call | day | day_end | day_start
    breakdown: JsonObject
    day: int = 0
    call: time | None = None

    @property
    def scene_text(self) -> str:
        return " ".join(_text(self.breakdown.get("scene")).split())

    def where(self) -> str:
        """The strip in words, for problems and notes."""
        scene = self.scene_text
        if self.kind == "scene" and scene:
            label = "scenes" if _SCENE_SPLIT.search(scene) else "scene"
            return f"the strip for {label} {_quote(scene)} (strip {self.row} on the board)"
        return f"strip {self.row} on the board"


@dataclass(frozen=True)
class _Context:
    zone: ZoneInfo
    default_call: time
    elements: dict[str, _Element]
    intimacy_key: str | None
    report: _Report


# ---------------------------------------------------------------------------- public API


def looks_like_uss(text: str) -> bool:
    """Cheap sniff for a USS file: a JSON object whose top-level key is the USS root object.

    Only the head of the text is looked at, so that a large upload is not parsed twice.
    """
    head = text[:_SNIFF_CHARS].lstrip("\ufeff \t\r\n")
    return head.startswith("{") and _SNIFF.search(head) is not None


def parse_uss(
    text: str,
    zone: ZoneInfo,
    *,
    default_call: time = time(7, 0),
    stripboard: str | None = None,
    intimacy_category: str | None = None,
) -> ImportedSchedule:
    """Read the scenes of one stripboard of a USS file, with estimated start times in `zone`.

    Raises InputRejected with the problems found (capped, see the module docstring); never
    returns a partial schedule.
    """
    root = _load(text)
    report = _Report()
    _version_note(root, report)
    board = _choose_stripboard(root, stripboard)
    calendar = _calendar(root, board, zone, report)
    if intimacy_category is not None:
        _check_category_exists(root, intimacy_category, report)
    else:
        intimacy_category = _intimacy_category_by_name(root, report)
    intimacy_key = _key(intimacy_category) if intimacy_category is not None else None
    elements = _elements(root, intimacy_key, report)
    days = _days(root, board, report)
    context = _Context(zone, default_call, elements, intimacy_key, report)
    dates = _shoot_dates(calendar, len(days), report) if calendar else None
    numbers = _scene_numbers(days, context)
    scenes = _schedule(days, dates, numbers, context)
    if not scenes and not report.problems:
        report.problem("This stripboard has no scenes on its schedule.")
    report.raise_if_any()
    return ImportedSchedule(scenes=tuple(scenes), source_format="uss", notes=tuple(report.notes))


# ---------------------------------------------------------------------------- JSON and words


def _obj(value: object) -> JsonObject | None:
    """The value as a JSON object, or None: keys of parsed JSON are always strings."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return None


def _objects(value: object) -> list[JsonObject]:
    """The JSON objects of a list (anything else in it is ignored; null is an empty list)."""
    if not isinstance(value, list):
        return []
    return [o for o in (_obj(item) for item in value) if o is not None]


def _text(value: object) -> str:
    """A string field, stripped; null and non-strings read as empty."""
    return value.strip() if isinstance(value, str) else ""


def _key(value: object) -> str:
    """A name for comparing: spacing collapsed, case folded."""
    return " ".join(_text(value).split()).casefold()


def _number(value: object) -> float | None:
    """A finite JSON number (booleans are not numbers here), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _quote(text: str) -> str:
    """File text for a message: one line, at most QUOTE_CHARS characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= QUOTE_CHARS else flat[: QUOTE_CHARS - 1] + "…"


def _json_kind(value: object) -> str:
    """What a JSON value is, in words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "text"


def _listing(items: list[str], most: int = 10) -> str:
    """'a, b and c', at most `most` items."""
    shown = items[:most]
    if len(items) > most:
        shown.append(f"{len(items) - most} more")
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def _capped(problems: list[Problem]) -> list[Problem]:
    """The first problems, as many as fit one Slack message, and a last one counting the rest."""
    kept: list[Problem] = []
    size = 0
    for problem in problems:
        line = len(str(problem)) + 3  # "• " and the line break
        if len(kept) == MAX_PROBLEMS or size + line > MAX_PROBLEM_CHARS:
            break
        kept.append(problem)
        size += line
    left = len(problems) - len(kept)
    if left:
        kept.append(
            Problem(f"… and {left} more problem(s) not listed; fix these and import again.")
        )
    return kept


def _fail(message: str) -> InputRejected:
    return InputRejected([Problem(message)])


# ---------------------------------------------------------------------------- loading


def _load(text: str) -> JsonObject:
    """Parse the file and return the USS root object; size and syntax problems end here."""
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise _fail(f"The file is larger than the {MAX_BYTES // (1024 * 1024)} MB limit.")
    try:
        data: object = json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as exc:
        raise _fail(
            f"The file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    except RecursionError:
        raise _fail("The file is nested too deeply to be a schedule.") from None
    top = _obj(data)
    root = _obj(top.get(ROOT_KEY)) if top is not None else None
    if root is None:
        raise _fail(f"This is not a USS file: it has no '{ROOT_KEY}' object.")
    return root


def _version_note(root: JsonObject, report: _Report) -> None:
    version = _text(root.get("ussVersion")) or _text(root.get("version"))
    if version and version.split(".")[0] not in ("0", "1"):
        report.notes.append(
            f"The file says it follows USS {_quote(version)}; it was read as USS 1.0.0, so "
            "check the preview."
        )


# ---------------------------------------------------------------------------- stripboard


def _choose_stripboard(root: JsonObject, wanted: str | None) -> JsonObject:
    """The stripboard to import: the one named `wanted`, or the only one.

    Stops at once when none can be chosen, because every later step depends on the choice.
    """
    boards = _objects(root.get("stripboards"))
    if not boards:
        raise _fail("The file has no stripboards: it is a breakdown without a schedule.")
    names = [_text(b.get("name")) or f"(unnamed {i})" for i, b in enumerate(boards, 1)]
    listing = _listing([f"'{_quote(n)}'" for n in names])
    if wanted is None:
        if len(boards) == 1:
            return boards[0]
        raise _fail(f"The file has several stripboards; choose one of: {listing}.")
    matches = [b for b, n in zip(boards, names, strict=True) if n == wanted.strip()]
    if not matches:
        key = _key(wanted)
        matches = [b for b, n in zip(boards, names, strict=True) if _key(n) == key]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise _fail(f"Several stripboards are called '{_quote(wanted)}'; rename one.")
    raise _fail(f"There is no stripboard called '{_quote(wanted)}'; choose one of: {listing}.")


# ---------------------------------------------------------------------------- calendar


def _calendar(
    root: JsonObject, board: JsonObject, zone: ZoneInfo, report: _Report
) -> _Calendar | None:
    """The stripboard's calendar: start date, weekly days off and single days off."""
    found = _find_calendar(root, board, report)
    if found is None:
        return None
    weekly_off = _weekly_days_off(found.get("daysOff"), report)
    start: list[date] = []
    days_off: set[date] = set()
    for event in _objects(found.get("events")):
        kind = _text(event.get("type"))
        holiday = _HOLIDAY.search(_text(event.get("name"))) is not None
        if kind not in ("start", "dayOff") and not holiday:
            continue
        day = _event_date(event.get("date"), zone)
        if day is None:
            label = "start" if kind == "start" else "day off"
            report.problem(f"The calendar's {label} event has no readable ISO date.")
        elif kind == "start":
            start.append(day)
        else:
            days_off.add(day)
            if kind != "dayOff":
                report.notes.append(
                    f"The calendar's holiday on {day.isoformat()} is written as an ordinary "
                    "event, not a 'dayOff'; it was taken as a day off."
                )
    if len(start) != 1:
        many = "several 'start' events" if start else "no 'start' event"
        report.problem(f"The calendar has {many}; it needs exactly one.")
        return None
    if weekly_off is None:
        return None
    return _Calendar(start[0], weekly_off, frozenset(days_off))


def _find_calendar(root: JsonObject, board: JsonObject, report: _Report) -> JsonObject | None:
    """The calendar the stripboard refers to by id (or the only one, when it refers to none)."""
    calendars = _objects(root.get("calendars"))
    wanted = board.get("calendar")
    if wanted is None or wanted == "":
        if len(calendars) == 1:
            report.notes.append("The stripboard names no calendar; the only calendar was used.")
            return calendars[0]
        report.problem("The stripboard names no calendar, so its dates are unknown.")
        return None
    for candidate in calendars:
        if candidate.get("id") == wanted:
            return candidate
    shown = f" '{_quote(wanted)}'" if isinstance(wanted, str) else ""
    report.problem(f"The stripboard's calendar{shown} is not in the file.")
    return None


def _weekly_days_off(value: object, report: _Report) -> frozenset[int] | None:
    """USS weekdays (0=Sunday..6=Saturday) as Python weekdays (0=Monday..6=Sunday)."""
    if value is None:
        return frozenset()
    items = value if isinstance(value, list) else [value]
    days = [_number(item) for item in items]
    if any(d is None or d not in range(7) for d in days):
        report.problem("The calendar's 'daysOff' must list weekdays as numbers 0 (Sunday) to 6.")
        return None
    weekly = frozenset((int(d) + 6) % 7 for d in days if d is not None)
    if len(weekly) == 7:
        report.problem("The calendar's 'daysOff' takes every day of the week off.")
        return None
    return weekly


def _event_date(value: object, zone: ZoneInfo) -> date | None:
    """The local date an event means (see the module docstring for the midnight rule)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None or moment.time() == time(0):
        return moment.date()
    return moment.astimezone(zone).date()


def _shoot_dates(calendar: _Calendar, days: int, report: _Report) -> list[date]:
    """The first `days` working days from the start date."""
    dates: list[date] = []
    for day in _working_days(calendar):
        if len(dates) >= days:
            break
        dates.append(day)
    if dates and dates[0] != calendar.start:
        report.notes.append(
            f"The calendar starts on {calendar.start.isoformat()}, a day off; shoot day 1 is "
            f"{dates[0].isoformat()}."
        )
    return dates


def _working_days(calendar: _Calendar) -> Iterator[date]:
    """Every date from the start that is neither a weekly day off nor a single day off.

    Ends because at least one weekday is a working day and single days off are finitely many.
    """
    day = calendar.start
    while True:
        if day.weekday() not in calendar.weekly_off and day not in calendar.days_off:
            yield day
        day += timedelta(days=1)


# ---------------------------------------------------------------------------- elements


def _categories(root: JsonObject) -> tuple[dict[str, JsonObject], dict[str, str]]:
    """Categories by id, and the category id each category's `elements` list gives (first wins)."""
    by_id: dict[str, JsonObject] = {}
    member_of: dict[str, str] = {}
    for category in _objects(root.get("categories")):
        cat_id = _text(category.get("id"))
        by_id.setdefault(cat_id, category)
        listed = category.get("elements")
        for element_id in listed if isinstance(listed, list) else []:
            if isinstance(element_id, str):
                member_of.setdefault(element_id, cat_id)
    return by_id, member_of


def _roles(categories: dict[str, JsonObject], intimacy_key: str | None) -> dict[str, int]:
    """The role (set, location, cast) of each category id that has one: by name, then number."""
    roles = {
        cat_id: _ROLE_NAMES[_key(c.get("name"))]
        for cat_id, c in categories.items()
        if _key(c.get("name")) in _ROLE_NAMES
    }
    named = set(roles.values())
    for cat_id, category in categories.items():
        ucid = _number(category.get("ucid", category.get("catId")))
        role = int(ucid) if ucid is not None and ucid in _ROLE_UCIDS else None
        if cat_id not in roles and role is not None and role not in named:
            roles[cat_id] = role
    return {
        cat_id: role
        for cat_id, role in roles.items()
        if intimacy_key is None or _key(categories[cat_id].get("name")) != intimacy_key
    }


def _elements(root: JsonObject, intimacy_key: str | None, report: _Report) -> dict[str, _Element]:
    """Every element by id, with its category's role and name."""
    categories, member_of = _categories(root)
    roles = _roles(categories, intimacy_key)
    found: dict[str, _Element] = {}
    for raw in _objects(root.get("elements")):
        element_id = _text(raw.get("id"))
        if not element_id or element_id in found:
            continue
        cat_id = member_of.get(element_id) or _text(raw.get("category"))
        category = categories.get(cat_id)
        found[element_id] = _Element(
            id=element_id,
            name=_text(raw.get("name")),
            board_id=_text(raw.get("elementId")),
            role=roles.get(cat_id),
            category_key=_key(category.get("name")) if category else "",
        )
    if not found:
        report.problem("The file has no elements.")
    return found


def _check_category_exists(root: JsonObject, name: str, report: _Report) -> None:
    """A named intimacy category must exist: a typo would silently mark every scene as none."""
    names = [_text(c.get("name")) for c in _objects(root.get("categories"))]
    if _key(name) not in {_key(n) for n in names}:
        listed = [f"'{_quote(n)}'" for n in names if n]
        listing = _listing(listed, most=20) if listed else "none"
        report.problem(
            f"There is no category called '{_quote(name)}'; the categories are: {listing}."
        )


def _intimacy_category_by_name(root: JsonObject, report: _Report) -> str | None:
    """Without a category named by the production, the file's own category called "Intimacy"
    (or "Intimacy Coordinator", "IC", any name mentioning intimacy) is the intimacy flag, so
    that it is never silently ignored; two such categories are a problem (which one?)."""
    names = [_text(c.get("name")) for c in _objects(root.get("categories"))]
    found = list(dict.fromkeys(n for n in names if _INTIMACY_CATEGORY.search(n)))
    if len(found) > 1:
        listed = _listing([f"'{_quote(n)}'" for n in found])
        report.problem(
            f"The categories {listed} could each mark intimacy. Name the one to use in the "
            "production's setup (USS category that marks intimacy)."
        )
        return None
    if found:
        report.notes.append(f"The category '{_quote(found[0])}' marks intimacy.")
        return found[0]
    return None


# ---------------------------------------------------------------------------- boards and days


def _board_list(board: JsonObject) -> list[object]:
    """The board's items: `breakdownIds`, or the earlier draft's `breakdownArrays`."""
    legacy = "breakdownIds" not in board and "breakdownArrays" in board
    value = board.get("breakdownArrays" if legacy else "breakdownIds")
    return list(value) if isinstance(value, list) else []


def _entries(items: list[object]) -> tuple[list[_Entry], int]:
    """Every item of a board with its position and day group, and the number of day groups."""
    entries: list[_Entry] = []
    row = groups = 0
    for item in items:
        if isinstance(item, list):
            for inner in item:
                row += 1
                entries.append(_Entry(row, inner, groups))
            groups += 1
        else:
            row += 1
            entries.append(_Entry(row, item, groups))
    return entries, groups


def _breakdowns(root: JsonObject) -> dict[str, JsonObject]:
    """Breakdowns by id (the first of a repeated id wins)."""
    found: dict[str, JsonObject] = {}
    for breakdown in _objects(root.get("breakdowns")):
        found.setdefault(_text(breakdown.get("id")), breakdown)
    return found


def _declared_kind(breakdown: JsonObject) -> str | None:
    """scene, banner or day, from the type and (for banners in disguise) the banner text."""
    declared = _TYPES.get(_key(breakdown.get("type")))
    has_banner_text = bool(_text(breakdown.get("bannerText")))
    if declared == "scene" and has_banner_text and not _text(breakdown.get("scene")):
        return "banner"
    if declared is None and has_banner_text:
        return "banner"
    return declared


def _banner(text: str) -> tuple[str, time | None]:
    """What a banner's text says it is, and the call time when it is a call."""
    if _DAY_END.match(text):
        return "day_end", None
    if _DAY_START.match(text):
        return "day_start", None
    call = _CALL.match(text)
    if call:
        at = _call_time(call)
        if at is not None:
            return "call", at
    if _MEAL.search(text):
        return "meal", None
    if _MOVE.search(text):
        return "move", None
    return "banner", None


def _call_time(match: re.Match[str]) -> time | None:
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    half = (match["half"] or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "p" else 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _strip(entry: _Entry, breakdowns: dict[str, JsonObject], report: _Report) -> _Strip | None:
    """The board item as a strip, or None after reporting what is wrong with it."""
    where = f"strip {entry.row} on the board"
    if isinstance(entry.value, list):
        report.problem(f"{where} is a list inside a day; a day lists breakdown ids.")
        return None
    if not isinstance(entry.value, str):
        report.problem(f"{where} is {_json_kind(entry.value)}, not a breakdown id.")
        return None
    breakdown = breakdowns.get(entry.value.strip())
    if breakdown is None:
        report.problem(
            f"{where} refers to a breakdown that is not in the file (id '{_quote(entry.value)}')."
        )
        return None
    kind = _declared_kind(breakdown)
    if kind is None:
        report.problem(
            f"{where} has the type '{_quote(_text(breakdown.get('type')))}'; a strip is a "
            "'scene' or a 'banner'."
        )
        return None
    call = None
    if kind == "banner":
        kind, call = _banner(_text(breakdown.get("bannerText")) or _text(breakdown.get("scene")))
    return _Strip(entry.row, kind, breakdown, entry.day, call)


def _is_scene(item: object, breakdowns: dict[str, JsonObject]) -> bool:
    breakdown = breakdowns.get(item.strip()) if isinstance(item, str) else None
    return breakdown is not None and _declared_kind(breakdown) == "scene"


def _split_boards(
    stripboard: JsonObject, breakdowns: dict[str, JsonObject], report: _Report
) -> JsonObject | None:
    """The scheduled board; scenes on the boneyard and any other boards are counted in notes."""
    boards = _objects(stripboard.get("boards"))
    named = {_key(b.get("name")): b for b in reversed(boards)}
    main = named.get("stripboard") or next(
        (b for b in boards if _key(b.get("name")) != "boneyard"), None
    )
    if main is None:
        report.problem("The stripboard has no board of scheduled strips.")
        return None
    for board in boards:
        if board is main:
            continue
        entries, _ = _entries(_board_list(board))
        left_out = sum(1 for e in entries if _is_scene(e.value, breakdowns))
        label = _text(board.get("name")) or "unnamed"
        if not left_out:
            continue
        if _key(label) == "boneyard":
            report.notes.append(
                f"{left_out} scene(s) in the boneyard were left out (not scheduled)."
            )
        else:
            report.notes.append(
                f"{left_out} scene(s) on the '{_quote(label)}' board were left out; "
                "only the main stripboard is imported."
            )
    return main


def _days(root: JsonObject, stripboard: JsonObject, report: _Report) -> list[list[_Strip]]:
    """The scheduled board's strips grouped into shoot days, in order."""
    breakdowns = _breakdowns(root)
    board = _split_boards(stripboard, breakdowns, report)
    if board is None:
        return []
    entries, groups = _entries(_board_list(board))
    strips = [s for s in (_strip(e, breakdowns, report) for e in entries) if s is not None]
    if groups:
        return _days_from_groups(strips, groups, report)
    name = _text(stripboard.get("name"))
    return _days_from_breaks(strips, name, report)


def _days_from_groups(strips: list[_Strip], groups: int, report: _Report) -> list[list[_Strip]]:
    """USS 1.0.0: one day per sub-array; day breaks inside them are only labels."""
    days: list[list[_Strip]] = [[] for _ in range(groups + 1)]
    for strip in strips:
        if strip.kind not in _DAY_BREAKS:
            days[strip.day].append(strip)
    trailing = sum(1 for s in days[groups] if s.kind == "scene")
    if trailing:
        report.notes.append(
            f"{trailing} scene(s) after the board's last day were put on shoot day {groups + 1}."
        )
        return days
    return days[:groups]


def _days_from_breaks(strips: list[_Strip], name: str, report: _Report) -> list[list[_Strip]]:
    """A board without sub-arrays (earlier drafts): day strips or banners separate the days."""
    kinds = {s.kind for s in strips}
    if "day_end" in kinds:
        return _days_closed_by(strips, ("day", "day_end"), report)
    if "day_start" in kinds:
        return _days_opened_by(strips, ("day", "day_start"))
    if "day" in kinds:
        timed = [s for s in strips if s.kind not in ("banner", "call", "meal", "move")]
        if timed[0].kind == "day" and timed[-1].kind != "day":
            report.notes.append(
                "The board begins with a day strip and does not end with one, so "
                "each day strip was read as the start of a shoot day."
            )
            return _days_opened_by(strips, ("day",))
        return _days_closed_by(strips, ("day",), report)
    if "scene" in kinds:
        label = f"stripboard '{_quote(name)}'" if name else "stripboard"
        report.problem(
            f"The {label} is not divided into shooting days, so its scenes have no dates; "
            "choose a scheduled stripboard."
        )
    return []


def _days_closed_by(
    strips: list[_Strip], breaks: tuple[str, ...], report: _Report
) -> list[list[_Strip]]:
    """Each break ends a day; strips after the last one make one more day (noted)."""
    days: list[list[_Strip]] = []
    current: list[_Strip] = []
    for strip in strips:
        if strip.kind in breaks:
            days.append(current)
            current = []
        elif strip.kind not in _DAY_BREAKS:
            current.append(strip)
    trailing = sum(1 for s in current if s.kind == "scene")
    if trailing:
        days.append(current)
        report.notes.append(
            f"{trailing} scene(s) after the last day strip were put on shoot day {len(days)}."
        )
    return days


def _days_opened_by(strips: list[_Strip], breaks: tuple[str, ...]) -> list[list[_Strip]]:
    """Each break starts a day; strips before the first belong to day 1."""
    days: list[list[_Strip]] = [[]]
    started = False
    for strip in strips:
        if strip.kind in breaks:
            if started:
                days.append([])
            started = True
        elif strip.kind not in _DAY_BREAKS:
            days[-1].append(strip)
    return days


# ---------------------------------------------------------------------------- scene numbers


def _scene_key(piece: str) -> tuple[str, str | None]:
    """The normalised scene number of one number as written, and its part number (digits as
    written) when it is a part; ValueError if it is no scene number.

    `normalize_scene_number` may write a part itself (`12 pt 2` -> `12PT2`); one that refuses
    parts is helped by splitting the suffix off here first, with the same result.
    """
    try:
        number = normalize_scene_number(piece)
    except ValueError:
        suffix = _PART.match(piece)
        if suffix is None:
            raise
        return normalize_scene_number(suffix["base"]), suffix["part"]
    part = _WRITTEN_PART.fullmatch(number)
    return (part[1], part[2]) if part else (number, None)


def _scene_numbers(
    days: list[list[_Strip]], context: _Context
) -> dict[int, list[tuple[str, str | None]]]:
    """Each scene strip's scene numbers and the scene each is a part of, by board position.

    Numbers are unique across the schedule: a number on several strips becomes its parts, as
    the CSV importer numbers a scene on several rows.
    """
    report = context.report
    found: list[tuple[_Strip, str, str | None]] = []
    unnumbered: list[_Strip] = []
    for strip in (s for day in days for s in day if s.kind == "scene"):
        if not strip.scene_text:
            unnumbered.append(strip)
            continue
        keys: dict[tuple[str, str | None], None] = {}
        for piece in _SCENE_SPLIT.split(_text(strip.breakdown.get("scene"))):
            if not piece.strip():
                continue
            try:
                keys.setdefault(_scene_key(piece))
            except ValueError:
                report.problem(
                    f"{strip.where()}: '{_quote(piece)}' is not a scene number; write it like "
                    "42, 42A, A42 or 89PT1."
                )
        found.extend((strip, base, part) for base, part in keys)
    _note_unnumbered(unnumbered, context)
    by_base: dict[str, list[tuple[_Strip, str | None]]] = {}
    for strip, base, part in found:
        by_base.setdefault(base, []).append((strip, part))
    numbers: dict[int, list[tuple[str, str | None]]] = {}
    for base, uses in by_base.items():
        if len(uses) == 1 and uses[0][1] is None:
            numbers.setdefault(uses[0][0].row, []).append((base, None))
            continue
        written: dict[str, int] = {}
        for strip, part in uses:
            if part is not None and part in written:
                report.problem(
                    f"Scene {base}PT{part} is on the board twice (strips {written[part]} and "
                    f"{strip.row}); give each part its own number."
                )
            elif part is not None:
                written[part] = strip.row
        free = (str(n) for n in count(1) if str(n) not in written)
        assigned: list[str] = []
        for strip, part in uses:
            number = f"{base}PT{part if part is not None else next(free)}"
            numbers.setdefault(strip.row, []).append((number, base))
            if part is None:
                assigned.append(f"{number} (strip {strip.row})")
        if assigned:
            report.notes.append(
                f"Scene {base} is on {len(uses)} strips; it is imported as parts: "
                f"{_listing(assigned)}."
            )
    return numbers


def _note_unnumbered(strips: list[_Strip], context: _Context) -> None:
    """One note for the strips skipped for want of a scene number, one more when any of them
    lists intimacy elements (their names are not quoted)."""
    if not strips:
        return
    one = len(strips) == 1
    context.report.notes.append(
        f"{'Strip' if one else 'Strips'} {_listing([str(s.row) for s in strips])} on the board "
        f"{'has' if one else 'have'} no scene number and {'was' if one else 'were'} skipped."
    )
    if context.intimacy_key is None:
        return
    intimate = [
        s for s in strips if any(e.category_key == context.intimacy_key for e in _known(s, context))
    ]
    if intimate:
        rows = _listing([str(s.row) for s in intimate])
        context.report.notes.append(
            f"Strip {rows} lists intimacy elements; give it a scene number so that it is imported."
            if len(intimate) == 1
            else f"Strips {rows} list intimacy elements; give them scene numbers so that they "
            "are imported."
        )


# ---------------------------------------------------------------------------- scenes


def _duration_ms(strip: _Strip, report: _Report) -> float | None:
    """The strip's estimated duration in ms (`duration`, else `time`); None when not given."""
    key = "duration" if strip.breakdown.get("duration") is not None else "time"
    value = strip.breakdown.get(key)
    if value is None:
        return None
    ms = _number(value)
    if ms is None or ms < 0:
        report.problem(f"{strip.where()}: its '{key}' must be a number of milliseconds, 0 or more.")
        return None
    return ms


def _schedule(
    days: list[list[_Strip]],
    dates: list[date] | None,
    numbers: dict[int, list[tuple[str, str | None]]],
    context: _Context,
) -> list[ImportedScene]:
    """Every scene on its shoot date, started after the strips before it that day.

    Without dates (the calendar was unusable) the strips are still checked, so that every
    problem is reported at once.
    """
    scenes: list[ImportedScene] = []
    untimed: list[_Strip] = []
    for index, day_strips in enumerate(days):
        day = dates[index] if dates else None
        call = next((s.call for s in day_strips if s.call is not None), context.default_call)
        elapsed = 0.0
        for strip in day_strips:
            if strip.kind == "scene" and strip.row in numbers:
                start = _start(strip, day, call, elapsed, context)
                scenes.extend(_scenes(strip, numbers[strip.row], start, context, call))
            if strip.kind in _TIMELESS:
                continue
            duration = _duration_ms(strip, context.report)
            if duration is None and strip.kind in _NEEDS_DURATION:
                untimed.append(strip)
            elapsed += duration or 0.0
    _note_untimed(untimed, context.report)
    return scenes


def _note_untimed(strips: list[_Strip], report: _Report) -> None:
    scenes = sum(1 for s in strips if s.kind == "scene")
    if scenes:
        report.notes.append(
            f"{scenes} scene(s) have no estimated duration; they count as zero when estimating "
            "the start of the scenes after them."
        )
    breaks = [str(s.row) for s in strips if s.kind != "scene"]
    if breaks:
        report.notes.append(
            f"The meal or company move banner(s) at strip(s) {_listing(breaks)} have no "
            "duration; they count as zero, so the scenes after them may start later."
        )


def _start(
    strip: _Strip, day: date | None, call: time, elapsed_ms: float, context: _Context
) -> tuple[datetime, bool] | None:
    """Call plus the time the earlier strips take, as an aware time on the date it falls on,
    and whether that is after midnight; None (after reporting, if it is wrong) without a date."""
    if elapsed_ms >= _MS_PER_DAY:
        context.report.problem(
            f"{strip.where()}: the strips before it on its shoot day take 24 hours or more, so "
            "its start cannot be estimated."
        )
        return None
    if day is None:
        return None
    wall = datetime.combine(day, call.replace(tzinfo=None)) + timedelta(milliseconds=elapsed_ms)
    try:
        return localize(wall.date(), wall.time(), context.zone), wall.date() > day
    except (NonexistentLocalTime, AmbiguousLocalTime) as exc:
        context.report.problem(f"{strip.where()}: the estimated start {exc}.")
        return None


def _scenes(
    strip: _Strip,
    numbers: list[tuple[str, str | None]],
    start: tuple[datetime, bool] | None,
    context: _Context,
    call: time,
) -> list[ImportedScene]:
    """The strip's scenes, or none after reporting what is wrong with it (or without a date)."""
    elements = _scene_elements(strip, context)
    if elements is None or start is None:
        return []
    start_at, after_midnight = start
    intimacy, undecided, content = _intimacy(elements, context.intimacy_key)
    return [
        ImportedScene(
            number=number,
            shoot_date=start_at.date(),
            start_at=start_at,
            set_name=_set_name(elements),
            cast_refs=_cast_refs(elements),
            intimacy=intimacy,
            intimacy_undecided=undecided,
            planned_content=content,
            synopsis=_text(strip.breakdown.get("description")) or None,
            start_estimated=True,
            row=strip.row,
            part_of=part_of,
            after_midnight=after_midnight,
            day_call=call.replace(tzinfo=None),
        )
        for number, part_of in numbers
    ]


def _element_ids(strip: _Strip) -> list[object] | None:
    ids = strip.breakdown.get("elements")
    if ids is None:
        return []
    return ids if isinstance(ids, list) else None


def _known(strip: _Strip, context: _Context) -> list[_Element]:
    """The strip's elements that are in the file, quietly."""
    found = (context.elements.get(i) for i in _element_ids(strip) or [] if isinstance(i, str))
    return [e for e in found if e is not None]


def _scene_elements(strip: _Strip, context: _Context) -> list[_Element] | None:
    """The breakdown's elements in order, or None when any id is not an element of the file."""
    ids = _element_ids(strip)
    if ids is None:
        context.report.problem(f"{strip.where()}: its 'elements' must be a list of element ids.")
        return None
    found: list[_Element] = []
    missing: list[object] = []
    for element_id in ids:
        element = context.elements.get(element_id) if isinstance(element_id, str) else None
        if element is None:
            missing.append(element_id)
        elif element not in found:
            found.append(element)
    if not missing:
        return found
    first = missing[0]
    shown = f"id '{_quote(first)}'" if isinstance(first, str) else _json_kind(first)
    if len(missing) == 1:
        what = f"an element that is not in the file ({shown})"
    else:
        what = f"{len(missing)} elements that are not in the file (the first: {shown})"
    context.report.problem(f"{strip.where()} lists {what}.")
    return None


def _cast_refs(elements: list[_Element]) -> tuple[str, ...]:
    """Cast members by board ID (cast number), by name when they have none."""
    refs = [e.board_id or e.name for e in elements if e.role == CAST_UCID]
    return tuple(dict.fromkeys(r for r in refs if r))


def _set_name(elements: list[_Element]) -> str:
    """The Set element's name, else the Location element's (USS keeps the set as an element)."""
    for role in (SET_UCID, LOCATION_UCID):
        names = [e.name for e in elements if e.role == role and e.name]
        if names:
            return " / ".join(names)
    return ""


def _intimacy(
    elements: Iterable[_Element], category_key: str | None
) -> tuple[bool | None, bool, str | None]:
    """(intimacy, undecided, planned content) from the scene's elements in the intimacy
    category; (None, False, None) when there is no intimacy category."""
    if category_key is None:
        return None, False, None
    names = [e.name for e in elements if e.category_key == category_key]
    marks = {_key(n) for n in names}
    content = [n for n in names if n and _key(n) not in _INTIMACY_MARKS]
    if content or marks & _INTIMACY_YES:
        return True, False, "; ".join(content) or None
    if marks & _INTIMACY_OPEN or any(not n for n in names):
        return True, True, None
    return False, False, None
