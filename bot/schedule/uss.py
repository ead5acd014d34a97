"""Read a Universal Schedule Standard (`.uss`) export into an ImportedSchedule.

Sources (the standard is published as Markdown, JSON Schema and samples on GitHub):

- github.com/UniversalScheduleStandard/UniversalScheduleStandard, `docs/docs.md` (the spec:
  breakdown, category, element, stripboard, board, calendar and event objects) and
  `samples/small_sample_schedule.uss`, `samples/full_sample_schedule.uss`.
- github.com/UniversalScheduleStandard/uss-validator, `schemas/schema.js` and
  `schemas/ussFullSchema.js` (the official validator's JSON schemas).
- github.com/UniversalScheduleStandard/UniversalCategoryIdentification, `README.md` (category
  numbers: 0 Set, 6 Location, 100 Cast Members; custom categories 50-99 and 500+).

What is read, and the readings chosen where the sources are silent or disagree:

- The root is `{"universalScheduleStandard": {...}}` holding `breakdowns`, `categories`,
  `elements`, `stripboards` and `calendars`.
- A stripboard holds `boards`; the board named "stripboard" is the schedule (else the first
  board not named "boneyard"); the board named "boneyard" holds unscheduled strips, and any other
  board (e.g. "second unit") is left out too, with a note, because the spec gives it no dates.
  Boards list strips in `breakdownIds`; the full sample instead uses `breakdownArrays`, a list of
  per-day lists, which is read as the same thing with a day break after each inner list.
- Breakdown `type` is "scene", "day" or "banner" (the full sample's "strip" is read as
  "scene"). The docs call the estimated duration `time` and the validator calls it `duration`
  (milliseconds either way); both are read, `time` first. A missing duration counts as zero and
  is noted, since it makes later start times that day early.
- Day strips: the spec says only that the calendar's 'start' event is "the date of the first day
  strip on a board". Stripboards conventionally put the day break *after* the day's strips
  ("End of Day 1"), and the small sample's board is [banner, scene, day], so a day strip closes
  its shoot day. Strips after the last day strip are put on the next shoot day, with a note. A
  board that begins with a day strip and does not end with one is read the other way round
  (each day strip opens a day), with a note, because reading it as "an empty first day and an
  unclosed last day" is implausible.
- Category membership comes from a category's `elements` list (docs, first listing wins) or an
  element's `category` id (validator schema). A category's role comes from its `ucid` (the
  samples spell it `catId`), or from its name ("Cast"/"Cast Members", "Set", "Location") when
  it has no number. Cast refs are the cast elements' `elementId` (board ID), or the element
  name when the board ID is empty, so that no cast member is lost silently. The set is the Set
  element's name, else the Location element's.
- Calendar: the stripboard's `calendar` id (when it is null and there is exactly one calendar,
  that one, with a note). Exactly one event of type 'start' gives shoot day 1; weekly `daysOff`
  are 0=Sunday..6=Saturday; events of type 'dayOff' are skipped dates. Events of type 'event'
  (rehearsal, travel...) are not days off, even when named "holiday" as in the full sample; such
  a holiday gets a note so that a person can check. If the start date is itself a day off, day 1
  is the next working day (noted).
- Event dates are ISO date-times, typically local midnight written in UTC
  ("2022-06-20T07:00:00.000Z" for Los Angeles). A date-time at exactly midnight in its own
  offset (or without one) is a plain date marker and its written date is used; any other is
  converted to the production's zone first, so that local midnight written in UTC lands on the
  intended day everywhere.
- Start times are estimates: the production's call time plus the durations of the earlier strips
  that day (banners with a duration, e.g. a company move, count too).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.problems import InputRejected, Problem
from bot.schedule.model import ImportedScene, ImportedSchedule
from bot.timeutil import AmbiguousLocalTime, NonexistentLocalTime, localize

MAX_BYTES = 10 * 1024 * 1024
ROOT_KEY = "universalScheduleStandard"
CAST_UCID = 100
SET_UCID = 0
LOCATION_UCID = 6
_MS_PER_DAY = 86_400_000
_SNIFF_CHARS = 65_536
_SNIFF = re.compile(r'"universalScheduleStandard"\s*:\s*\{')
_ROLE_NAMES = {
    "cast": CAST_UCID,
    "cast members": CAST_UCID,
    "set": SET_UCID,
    "location": LOCATION_UCID,
}
_KINDS = {"scene": "scene", "strip": "scene", "day": "day", "banner": "banner"}

JsonObject = dict[str, object]


@dataclass
class _Report:
    """Problems and notes gathered on the way, so that every problem is reported at once."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def problem(self, message: str, row: int | None = None, column: str | None = None) -> None:
        self.problems.append(Problem(message, row, column))

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputRejected(self.problems)


@dataclass(frozen=True)
class _Element:
    id: str
    name: str
    board_id: str
    role: int | None  # the ucid of its category (possibly inferred from the name)
    category_name: str


@dataclass(frozen=True)
class _Calendar:
    start: date
    weekly_off: frozenset[int]  # Python weekday numbers (Monday=0)
    days_off: frozenset[date]


@dataclass(frozen=True)
class _Strip:
    row: int
    kind: str  # "scene" | "day" | "banner"
    breakdown: JsonObject


@dataclass(frozen=True)
class _Context:
    zone: ZoneInfo
    default_call: time
    elements: dict[str, _Element]
    intimacy_category: str | None
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

    Raises InputRejected with every problem found; never returns a partial schedule.
    """
    root = _load(text)
    report = _Report()
    board = _choose_stripboard(root, stripboard)
    calendar = _calendar(root, board, zone, report)
    elements = _elements(root, report)
    if intimacy_category is not None:
        _check_category_exists(root, intimacy_category, report)
    days = _days(root, board, report)
    context = _Context(zone, default_call, elements, intimacy_category, report)
    dates = _shoot_dates(calendar, len(days), report) if calendar else None
    _check_unique_numbers(days, report)
    scenes = _schedule(days, dates, context)
    if not scenes and not report.problems:
        report.problem("This stripboard has no scenes on its schedule.", column="boards")
    report.raise_if_any()
    return ImportedSchedule(scenes=tuple(scenes), source_format="uss", notes=tuple(report.notes))


# ---------------------------------------------------------------------------- JSON helpers


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


def _number(value: object) -> float | None:
    """A finite JSON number (booleans are not numbers here), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _fail(message: str, column: str | None = None) -> InputRejected:
    return InputRejected([Problem(message, None, column)])


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
        raise _fail(f"This is not a USS file: it has no '{ROOT_KEY}' object.", ROOT_KEY)
    return root


# ---------------------------------------------------------------------------- stripboard


def _choose_stripboard(root: JsonObject, wanted: str | None) -> JsonObject:
    """The stripboard to import: the one named `wanted`, or the only one.

    Stops at once when none can be chosen, because every later step depends on the choice.
    """
    boards = _objects(root.get("stripboards"))
    if not boards:
        raise _fail(
            "The file has no stripboards: it is a breakdown without a schedule.", "stripboards"
        )
    names = [_text(b.get("name")) or f"(unnamed {i})" for i, b in enumerate(boards, 1)]
    listing = ", ".join(f"'{n}'" for n in names)
    if wanted is None:
        if len(boards) == 1:
            return boards[0]
        raise _fail(f"The file has several stripboards; choose one of: {listing}.", "stripboards")
    matches = [b for b, n in zip(boards, names, strict=True) if n == wanted.strip()]
    if not matches:
        key = wanted.strip().casefold()
        matches = [b for b, n in zip(boards, names, strict=True) if n.casefold() == key]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise _fail(f"Several stripboards are called '{wanted}'; rename one.", "stripboards")
    raise _fail(
        f"There is no stripboard called '{wanted}'; choose one of: {listing}.", "stripboards"
    )


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
        if kind not in ("start", "dayOff") and _text(event.get("name")).casefold() != "holiday":
            continue
        day = _event_date(event.get("date"), zone)
        if day is None:
            report.problem(
                f"The calendar's '{kind}' event has no readable ISO date.", column="events"
            )
        elif kind == "start":
            start.append(day)
        elif kind == "dayOff":
            days_off.add(day)
        else:
            report.notes.append(
                f"The calendar's holiday on {day.isoformat()} is an ordinary event, not a "
                "'dayOff', so shooting was not moved off it."
            )
    if len(start) != 1:
        many = "several 'start' events" if start else "no 'start' event"
        report.problem(f"The calendar has {many}; it needs exactly one.", column="events")
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
        report.problem(
            "The stripboard names no calendar, so its dates are unknown.", column="calendar"
        )
        return None
    for candidate in calendars:
        if candidate.get("id") == wanted:
            return candidate
    report.problem(f"The stripboard's calendar '{wanted}' is not in the file.", column="calendar")
    return None


def _weekly_days_off(value: object, report: _Report) -> frozenset[int] | None:
    """USS weekdays (0=Sunday..6=Saturday) as Python weekdays (0=Monday..6=Sunday)."""
    if value is None:
        return frozenset()
    items = value if isinstance(value, list) else [value]
    days = [_number(item) for item in items]
    if any(d is None or d not in range(7) for d in days):
        report.problem(
            "'daysOff' must list weekdays as numbers 0 (Sunday) to 6 (Saturday).", column="daysOff"
        )
        return None
    weekly = frozenset((int(d) + 6) % 7 for d in days if d is not None)
    if len(weekly) == 7:
        report.problem("'daysOff' takes every day of the week off.", column="daysOff")
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


def _shoot_dates(calendar: _Calendar, count: int, report: _Report) -> list[date]:
    """The first `count` working days from the start date."""
    dates: list[date] = []
    for day in _working_days(calendar):
        if len(dates) >= count:
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
    """Categories by id, and each element's category id (a category's list wins, first first)."""
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


def _role(category: JsonObject | None) -> int | None:
    """The category's universal category number, else one guessed from its usual name."""
    if category is None:
        return None
    ucid = _number(category.get("ucid", category.get("catId")))
    if ucid is not None and ucid.is_integer():
        return int(ucid)
    return _ROLE_NAMES.get(_text(category.get("name")).casefold())


def _elements(root: JsonObject, report: _Report) -> dict[str, _Element]:
    """Every element by id, with its category's role and name."""
    categories, member_of = _categories(root)
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
            role=_role(category),
            category_name=_text(category.get("name")) if category else "",
        )
    if not found:
        report.problem("The file has no elements.", column="elements")
    return found


def _check_category_exists(root: JsonObject, name: str, report: _Report) -> None:
    """A named intimacy category must exist: a typo would silently mark every scene as none."""
    names = [_text(c.get("name")) for c in _objects(root.get("categories"))]
    if name.strip().casefold() not in {n.casefold() for n in names}:
        listing = ", ".join(f"'{n}'" for n in names if n) or "none"
        report.problem(
            f"There is no category called '{name}'; the categories are: {listing}.",
            column="categories",
        )


# ---------------------------------------------------------------------------- boards and days


def _board_items(board: JsonObject) -> list[str | None]:
    """The board's breakdown ids in order; None marks a day break implied by `breakdownArrays`."""
    if "breakdownIds" in board or "breakdownArrays" not in board:
        value = board.get("breakdownIds")
        return list(value) if isinstance(value, list) else []
    items: list[str | None] = []
    arrays = board.get("breakdownArrays")
    for entry in arrays if isinstance(arrays, list) else []:
        if isinstance(entry, list):
            items.extend(entry)
            items.append(None)
        else:
            items.append(entry)
    return items


def _breakdowns(root: JsonObject) -> dict[str, JsonObject]:
    """Breakdowns by id (the first of a repeated id wins)."""
    found: dict[str, JsonObject] = {}
    for breakdown in _objects(root.get("breakdowns")):
        found.setdefault(_text(breakdown.get("id")), breakdown)
    return found


def _is_scene(breakdown: JsonObject | None) -> bool:
    return breakdown is not None and _KINDS.get(_text(breakdown.get("type")).casefold()) == "scene"


def _split_boards(
    stripboard: JsonObject, breakdowns: dict[str, JsonObject], report: _Report
) -> JsonObject | None:
    """The scheduled board; scenes on the boneyard and any other boards are counted in notes."""
    boards = _objects(stripboard.get("boards"))
    named = {_text(b.get("name")).casefold(): b for b in reversed(boards)}
    main = named.get("stripboard") or next(
        (b for b in boards if _text(b.get("name")).casefold() != "boneyard"), None
    )
    if main is None:
        report.problem("The stripboard has no board of scheduled strips.", column="boards")
        return None
    for board in boards:
        if board is main:
            continue
        left_out = sum(
            1
            for item in _board_items(board)
            if isinstance(item, str) and _is_scene(breakdowns.get(item))
        )
        label = _text(board.get("name")) or "unnamed"
        if label.casefold() == "boneyard":
            report.notes.append(
                f"{left_out} scene(s) in the boneyard were left out (not scheduled)."
            )
        elif left_out:
            report.notes.append(
                f"{left_out} scene(s) on the '{label}' board were left out; "
                "only the main stripboard is imported."
            )
    return main


def _strips(board: JsonObject, breakdowns: dict[str, JsonObject], report: _Report) -> list[_Strip]:
    """The board's strips in order, each with its breakdown and kind."""
    strips: list[_Strip] = []
    row = 0
    for item in _board_items(board):
        if item is None:
            strips.append(_Strip(row, "day", {}))
            continue
        row += 1
        breakdown = breakdowns.get(item) if isinstance(item, str) else None
        if breakdown is None:
            report.problem(f"There is no breakdown with id '{item}'.", row, "breakdownIds")
            continue
        kind = _KINDS.get(_text(breakdown.get("type")).casefold())
        if kind is None:
            report.problem("The strip's type must be 'scene', 'day' or 'banner'.", row, "type")
            continue
        strips.append(_Strip(row, kind, breakdown))
    return strips


def _days(root: JsonObject, stripboard: JsonObject, report: _Report) -> list[list[_Strip]]:
    """The scheduled board's strips grouped into shoot days, in order."""
    breakdowns = _breakdowns(root)
    board = _split_boards(stripboard, breakdowns, report)
    if board is None:
        return []
    strips = _strips(board, breakdowns, report)
    timed = [s for s in strips if s.kind != "banner"]
    if timed and timed[0].kind == "day" and timed[-1].kind != "day":
        report.notes.append(
            "The board begins with a day strip and does not end with one, so "
            "each day strip was read as the start of a shoot day."
        )
        return _days_opened_by_strips(strips)
    return _days_closed_by_strips(strips, report)


def _days_closed_by_strips(strips: list[_Strip], report: _Report) -> list[list[_Strip]]:
    """Each day strip ends a day; strips after the last one make one more day (noted)."""
    days: list[list[_Strip]] = []
    current: list[_Strip] = []
    for strip in strips:
        if strip.kind == "day":
            days.append(current)
            current = []
        else:
            current.append(strip)
    trailing = sum(1 for s in current if s.kind == "scene")
    if trailing:
        days.append(current)
        report.notes.append(
            f"{trailing} scene(s) after the last day strip were put on shoot day {len(days)}."
        )
    return days


def _days_opened_by_strips(strips: list[_Strip]) -> list[list[_Strip]]:
    """Each day strip starts a day; strips before the first belong to day 1."""
    days: list[list[_Strip]] = [[]]
    started = False
    for strip in strips:
        if strip.kind == "day":
            if started:
                days.append([])
            started = True
        else:
            days[-1].append(strip)
    return days


# ---------------------------------------------------------------------------- scenes


def _duration_ms(strip: _Strip, report: _Report) -> float | None:
    """The strip's estimated duration in ms (`time`, else `duration`); None when not given."""
    key = "time" if strip.breakdown.get("time") is not None else "duration"
    value = strip.breakdown.get(key)
    if value is None:
        return None
    ms = _number(value)
    if ms is None or ms < 0:
        report.problem("The duration must be a number of milliseconds, 0 or more.", strip.row, key)
        return None
    return ms


def _schedule(
    days: list[list[_Strip]], dates: list[date] | None, context: _Context
) -> list[ImportedScene]:
    """Every scene on its shoot date, started after the strips before it that day.

    Without dates (the calendar was unusable) the strips are still checked, so that every
    problem is reported at once.
    """
    scenes: list[ImportedScene] = []
    untimed = 0
    for index, day_strips in enumerate(days):
        day = dates[index] if dates else None
        elapsed = 0.0
        for strip in day_strips:
            if strip.kind == "scene":
                scene = _scene(strip, day, elapsed, context)
                if scene is not None:
                    scenes.append(scene)
            duration = _duration_ms(strip, context.report)
            if duration is None and strip.kind == "scene":
                untimed += 1
            elapsed += duration or 0.0
    if untimed:
        context.report.notes.append(
            f"{untimed} scene(s) have no estimated duration; they count as zero when estimating "
            "the start of the scenes after them."
        )
    return scenes


def _start(strip: _Strip, day: date, elapsed_ms: float, context: _Context) -> datetime | None:
    """Call time plus the time the earlier strips take, as an aware time, or a problem."""
    call = context.default_call
    call_ms = ((call.hour * 60 + call.minute) * 60 + call.second) * 1000 + call.microsecond / 1000
    if call_ms + elapsed_ms >= _MS_PER_DAY:
        context.report.problem(
            "The estimated start is past midnight: the strips before it that day take too long.",
            strip.row,
            "time",
        )
        return None
    estimated = datetime.combine(day, call.replace(tzinfo=None)) + timedelta(
        milliseconds=elapsed_ms
    )
    try:
        return localize(day, estimated.time(), context.zone)
    except (NonexistentLocalTime, AmbiguousLocalTime) as exc:
        context.report.problem(f"The estimated start {exc}.", strip.row, "time")
        return None


def _scene(
    strip: _Strip, day: date | None, elapsed_ms: float, context: _Context
) -> ImportedScene | None:
    """One scheduled scene, or None after reporting what is wrong with it (or without a date)."""
    number = _text(strip.breakdown.get("scene"))
    if not number:
        context.report.problem("The scene strip has no scene number.", strip.row, "scene")
    elements = _scene_elements(strip, context)
    start_at = _start(strip, day, elapsed_ms, context) if day else None
    if not number or elements is None or start_at is None or day is None:
        return None
    sensitive = _intimacy_names(elements, context.intimacy_category)
    return ImportedScene(
        number=number,
        shoot_date=day,
        start_at=start_at,
        set_name=_set_name(elements),
        cast_refs=_cast_refs(elements),
        intimacy=None if sensitive is None else bool(sensitive),
        planned_content="; ".join(sensitive) if sensitive else None,
        synopsis=_text(strip.breakdown.get("description")) or None,
        start_estimated=True,
        row=strip.row,
    )


def _scene_elements(strip: _Strip, context: _Context) -> list[_Element] | None:
    """The breakdown's elements in order, or None when any id is not an element of the file."""
    ids = strip.breakdown.get("elements")
    if ids is None:
        return []
    if not isinstance(ids, list):
        context.report.problem("'elements' must be a list of element ids.", strip.row, "elements")
        return None
    found: list[_Element] = []
    ok = True
    for element_id in ids:
        element = context.elements.get(element_id) if isinstance(element_id, str) else None
        if element is None:
            context.report.problem(
                f"The element id '{element_id}' is not in the file.", strip.row, "elements"
            )
            ok = False
        elif element not in found:
            found.append(element)
    return found if ok else None


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


def _intimacy_names(elements: list[_Element], category: str | None) -> list[str] | None:
    """Names of the scene's elements in the caller's intimacy category; None when not asked."""
    if category is None:
        return None
    key = category.strip().casefold()
    return [e.name or "(unnamed)" for e in elements if e.category_name.casefold() == key]


def _check_unique_numbers(days: list[list[_Strip]], report: _Report) -> None:
    """A scene number may be scheduled once: later steps key scenes by number."""
    first_row: dict[str, int] = {}
    for strip in (s for day in days for s in day if s.kind == "scene"):
        number = _text(strip.breakdown.get("scene"))
        if number in first_row:
            report.problem(
                f"Scene {number} is already on the board at row {first_row[number]}.",
                strip.row,
                "scene",
            )
        elif number:
            first_row[number] = strip.row
