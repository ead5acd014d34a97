"""Who a schedule's cast cell means: cast numbers, character or performer names, Slack IDs,
emails or @handles, matched against the production's roster."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.problems import Problem
from bot.schedule.model import ImportedSchedule
from bot.text import fold


@dataclass(frozen=True)
class RosterEntry:
    cast_number: str
    character: str
    performer_name: str
    slack_user_id: str
    slack_handle: str | None = None
    email: str | None = None


_NUMBERED = re.compile(r"^(\w+)\s*[.)\-:]\s*\S")  # "1.JANE", "2) BOB", "3 - ANNA"
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(\|[^>]*)?>$")


def _keys(entry: RosterEntry) -> list[str]:
    keys = [fold(entry.cast_number), fold(entry.performer_name), entry.slack_user_id.casefold()]
    if entry.character:
        keys.append(fold(entry.character))
    if entry.slack_handle:
        keys.append("@" + fold(entry.slack_handle.lstrip("@")))
    if entry.email:
        keys.append(fold(entry.email))
    return keys


class Roster:
    def __init__(self, entries: Sequence[RosterEntry]) -> None:
        self.entries = list(entries)
        self._by_key: dict[str, list[RosterEntry]] = {}
        for entry in self.entries:
            for key in set(_keys(entry)):
                self._by_key.setdefault(key, []).append(entry)

    def match(self, ref: str) -> list[RosterEntry]:
        """Every roster entry `ref` could mean (one is a match; several is ambiguous)."""
        ref = ref.strip()
        mention = _MENTION.match(ref)
        if mention:
            ref = mention.group(1)
        found = self._by_key.get(fold(ref)) or self._by_key.get(ref.casefold())
        if not found:
            numbered = _NUMBERED.match(ref)
            if numbered:
                found = self._by_key.get(fold(numbered.group(1)))
        # The same person may be keyed twice (e.g. name == character); keep each entry once.
        unique: dict[str, RosterEntry] = {}
        for entry in found or []:
            unique[entry.cast_number] = entry
        return list(unique.values())


def resolve_schedule_cast(
    schedule: ImportedSchedule, roster: Roster, *, cast_column: str = "Cast"
) -> tuple[dict[str, tuple[str, ...]], list[Problem]]:
    """Map each scene number to its cast numbers in roster order, or list what is unknown."""
    order = {e.cast_number: i for i, e in enumerate(roster.entries)}
    resolved: dict[str, tuple[str, ...]] = {}
    problems: list[Problem] = []
    for scene in schedule.scenes:
        numbers: set[str] = set()
        for ref in scene.cast_refs:
            matches = roster.match(ref)
            if len(matches) == 1:
                numbers.add(matches[0].cast_number)
            elif not matches:
                problems.append(
                    Problem(
                        f"scene {scene.number}: '{ref}' is not on the cast list "
                        "(import the cast list first, or use a cast number from it)",
                        scene.row,
                        cast_column,
                    )
                )
            else:
                options = ", ".join(sorted(m.cast_number for m in matches))
                problems.append(
                    Problem(
                        f"scene {scene.number}: '{ref}' could be cast number {options}; "
                        "use the cast number",
                        scene.row,
                        cast_column,
                    )
                )
        resolved[scene.number] = tuple(sorted(numbers, key=lambda n: order[n]))
    return resolved, problems
