"""AD reminder times: the production's offsets, parsed and placed on the calendar. No Slack, no
SQL.

An offset is written one of two ways, and a production has a comma-separated list of them
(default `18:00 evening before, 2h, 30m`):

- a duration before the start (`2h`, `30m`, `1d 6h`): exact elapsed time, so across a
  daylight-saving change it is still two real hours before;
- a clock time, `HH:MM evening before` (or `HH:MM day before`) or `HH:MM same day`: that wall
  clock time in the production's zone, so "18:00 the evening before" stays at 18:00 local
  across a change. A clock time that falls in a skipped hour (spring forward) moves on by the
  length of the gap; one that happens twice (fall back) is the first of the two.

The daily digest is a clock time too: at that time, the next day's intimate scenes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.durations import format_duration, parse_duration

DEFAULT_OFFSETS = "18:00 evening before, 2h, 30m"
DEFAULT_DIGEST = time(18, 0)
MAX_OFFSETS = 6

_CLOCK = re.compile(
    r"^(?P<h>\d{1,2})[:.h](?P<m>\d{2})\s*(?P<day>(the\s+)?(evening|day|night)\s+before|"
    r"(the\s+)?same\s+day|on\s+the\s+day)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Offset:
    """When, relative to a scene, one reminder goes."""

    before: timedelta | None = None
    clock: time | None = None
    day_before: bool = True

    @property
    def label(self) -> str:
        """Stable and readable: also part of each reminder's key."""
        if self.before is not None:
            seconds = int(self.before.total_seconds())
            if seconds % 60:
                return f"{seconds}s"
            return format_duration(self.before).replace(" ", "")
        assert self.clock is not None
        return f"{self.clock:%H%M}{'prev' if self.day_before else 'same'}"

    def describe(self) -> str:
        if self.before is not None:
            return f"{format_duration(self.before)} before"
        assert self.clock is not None
        return f"{self.clock:%H:%M} {'evening before' if self.day_before else 'same day'}"

    def due(self, start: datetime, zone: ZoneInfo) -> datetime:
        """The reminder's time for a scene starting at `start` (aware), in UTC."""
        if self.before is not None:
            return (start - self.before).astimezone(UTC)
        assert self.clock is not None
        day = start.astimezone(zone).date() - timedelta(days=1 if self.day_before else 0)
        return wall_clock(day, self.clock, zone)


def wall_clock(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`at` on `day` in `zone`, in UTC. A time skipped by a change is moved on by the length
    of the gap (01:30 on a spring-forward night is 02:30); a repeated time is the first of its
    two occurrences. (Both are what `fold=0` means to zoneinfo.)"""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def parse_offsets(text: str) -> list[Offset]:
    """`18:00 evening before, 2h, 30m` → offsets; ValueError with a message fit for a user."""
    items = [part.strip() for part in text.split(",") if part.strip()]
    if not items:
        return []
    if len(items) > MAX_OFFSETS:
        raise ValueError(f"At most {MAX_OFFSETS} reminders per scene (there are {len(items)}).")
    offsets: list[Offset] = []
    for item in items:
        match = _CLOCK.match(item)
        if match:
            hour, minute = int(match["h"]), int(match["m"])
            if hour > 23 or minute > 59:
                raise ValueError(f"'{item}' is not a time of day.")
            day = (match["day"] or "evening before").lower()
            offsets.append(Offset(clock=time(hour, minute), day_before="before" in day))
            continue
        try:
            duration = re.sub(r"\s+before$", "", item, flags=re.IGNORECASE)
            offsets.append(Offset(before=parse_duration(duration)))
        except ValueError:
            raise ValueError(
                f"'{item}' is neither a duration before the scene (2h, 30m, 1d 6h) nor a clock "
                "time (18:00 evening before, 07:30 same day)."
            ) from None
    labels = [o.label for o in offsets]
    if len(set(labels)) != len(labels):
        raise ValueError("The same reminder is listed twice.")
    return offsets


def format_offsets(offsets: list[Offset]) -> str:
    return ", ".join(o.describe() for o in offsets)
