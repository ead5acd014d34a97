"""Wall-clock times in a production's zone, refusing the ones a daylight-saving change removes
or repeats instead of guessing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


class NonexistentLocalTime(ValueError):
    """The wall-clock time is skipped by a daylight-saving change (spring forward)."""


class AmbiguousLocalTime(ValueError):
    """The wall-clock time happens twice because of a daylight-saving change (fall back)."""


def localize(day: date, at: time, zone: ZoneInfo) -> datetime:
    """Return the aware datetime for a wall-clock time in `zone`, or raise if it does not exist
    or is ambiguous there."""
    first = datetime.combine(day, at, tzinfo=zone)
    second = first.replace(fold=1)
    if first.utcoffset() != second.utcoffset():
        # Both folds round-trip for a repeated time; neither does for a skipped one.
        roundtrip = first.astimezone(UTC).astimezone(zone)
        if roundtrip.replace(tzinfo=None) != first.replace(tzinfo=None):
            raise NonexistentLocalTime(
                f"{day.isoformat()} {at.strftime('%H:%M')} does not exist in {zone.key} "
                "(clocks go forward)"
            )
        raise AmbiguousLocalTime(
            f"{day.isoformat()} {at.strftime('%H:%M')} happens twice in {zone.key} (clocks go back)"
        )
    return first


def zone_or_none(name: str) -> ZoneInfo | None:
    """The IANA zone called `name`, or None when there is no such zone."""
    name = name.strip()
    if not name or name not in available_timezones():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
