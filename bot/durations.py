"""Durations written the way people write them on set: `90m`, `2h`, `2d`, `1d 6h`."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)\s*(d|h|m)", re.IGNORECASE)
_UNITS = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}


def parse_duration(text: str) -> timedelta:
    """Parse `1d 6h`, `90m`, `2h`, `2d` (units d, h, m; parts in any order, each once).

    Raises ValueError with a message fit to show a user.
    """
    cleaned = text.strip().lower().replace(",", " ")
    if not cleaned:
        raise ValueError("Enter a duration such as 48h, 90m, 2d or 1d 6h.")
    total = timedelta()
    seen: set[str] = set()
    pos = 0
    for match in _PART.finditer(cleaned):
        if cleaned[pos : match.start()].strip():
            break
        unit = match.group(2).lower()
        if unit in seen:
            raise ValueError(f"'{text.strip()}' gives '{unit}' twice.")
        seen.add(unit)
        total += int(match.group(1)) * _UNITS[unit]
        pos = match.end()
    if not seen or cleaned[pos:].strip():
        raise ValueError(
            f"'{text.strip()}' is not a duration. Write it like 48h, 90m, 2d or 1d 6h."
        )
    if total <= timedelta():
        raise ValueError("A duration must be longer than zero.")
    return total


def format_duration(value: timedelta) -> str:
    """The shortest readable form: `2d`, `1d 6h`, `90m` → `1h 30m`."""
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (mins, "m")) if n]
    return " ".join(parts) or "0m"
