"""A shoot day is a working day, not a calendar day (PRODUCT.md): placing a clock time on it.

The parsers put a start earlier than the day's call on the next calendar date (a night shoot,
`ImportedScene.after_midnight`). A start time a coordinator sets by hand later (the scene
modal, or kept over a re-import) must land the same way: 23:00 for a scene imported at 01:30
after midnight is the evening *before* the 01:30, on the working day, not 22 hours later.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.schedule.csv_format import MAX_NIGHT_SPAN
from bot.timeutil import localize


def working_day(shoot_date: date, *, after_midnight: bool) -> date:
    """The working day of a scene whose start falls on the calendar date `shoot_date`."""
    return shoot_date - timedelta(days=1) if after_midnight else shoot_date


def on_working_day(day: date, at: time, call: time | None, zone: ZoneInfo) -> tuple[datetime, bool]:
    """`at` on the working day `day` whose starts are reckoned from `call`, and whether it is
    after midnight: a time earlier than the call, at most MAX_NIGHT_SPAN after it, is on the
    next calendar date (as the parsers read a night shoot); any other time on `day` itself.
    Without a call (a scene stored before calls were kept) the time is on `day`.

    Raises `NonexistentLocalTime`/`AmbiguousLocalTime` (ValueErrors) for a time a
    daylight-saving change skips or repeats on the date it lands on.
    """
    next_morning = call is not None and at < call and _within_night(call, at)
    calendar = day + timedelta(days=1) if next_morning else day
    return localize(calendar, at, zone), next_morning


def _within_night(call: time, at: time) -> bool:
    later = datetime.combine(date(2000, 1, 2), at) - datetime.combine(date(2000, 1, 1), call)
    return later <= MAX_NIGHT_SPAN
