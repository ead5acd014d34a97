"""Who a schedule's cast cell means: cast numbers, character or performer names, Slack IDs,
emails or @handles, matched against the production's roster.

Cast numbers compare as numbers: `01` and `1` are one cast member, as in the cast list
(`bot.cast.csv_format`). A cast number the cast list does not have (a child, a day player, a
background artist nobody put on the list) does not refuse the file: it is kept with the scene,
after the listed cast, as someone who cannot be asked in Slack (the coordinator's to-do). Any
other reference that matches nobody, or several people, is a problem: a misspelt name must not
quietly leave someone out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.problems import Problem
from bot.schedule.model import ImportedSchedule, scene_problem
from bot.text import fold

MAX_PROBLEMS = 19
"""Problems listed; one more line says how many were left out (20 in all, as many as
`InputRejected.summary` shows)."""
MAX_PROBLEM_CHARS = 2700
"""About this many characters of problems, so that the refusal fits one Slack message."""


@dataclass(frozen=True)
class RosterEntry:
    """One line of the cast list. `slack_user_id` is None for someone not on Slack."""

    cast_number: str
    character: str
    performer_name: str
    slack_user_id: str | None
    slack_handle: str | None = None
    email: str | None = None
    # The Slack profile's names, refreshed whenever the roster is resolved: only the
    # depersonalization check reads them, so they are no part of a cast change or its digest.
    real_name: str | None = field(default=None, compare=False, repr=False)
    display_name: str | None = field(default=None, compare=False, repr=False)


_NUMBERED = re.compile(r"^(\w+)\s*[.)\-:]\s*\S")  # "1.JANE", "2) BOB", "3 - ANNA"
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(\|[^>]*)?>$")
_CAST_NUMBER = re.compile(r"^#?\s*(\d{1,5}[A-Za-z]?)$")


def number_key(number: str) -> str:
    """A cast number for comparing: leading zeros and case ignored (`01` is `1`), as
    `bot.cast.csv_format` compares them."""
    number = number.strip().removeprefix("#").strip()
    digits = number.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    if digits.isdigit():
        return str(int(digits)) + number[len(digits) :].upper()
    return fold(number)


def _keys(entry: RosterEntry) -> list[str]:
    keys = [number_key(entry.cast_number), fold(entry.performer_name)]
    if entry.slack_user_id:
        keys.append(entry.slack_user_id.casefold())
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
        found = (
            self._by_key.get(number_key(ref))
            or self._by_key.get(fold(ref))
            or self._by_key.get(ref.casefold())
        )
        if not found:
            numbered = _NUMBERED.match(ref)
            if numbered:
                found = self._by_key.get(number_key(numbered.group(1)))
        # The same person may be keyed twice (e.g. name == character); keep each entry once.
        unique: dict[str, RosterEntry] = {}
        for entry in found or []:
            unique[entry.cast_number] = entry
        return list(unique.values())


def unlisted_number(ref: str) -> str | None:
    """The cast number `ref` names (`12`, `#12`, `012`, `12.TOMMY`), normalised, or None when
    it is not a cast number."""
    ref = ref.strip()
    match = _CAST_NUMBER.match(ref)
    if match is None:
        numbered = _NUMBERED.match(ref)
        if numbered is None or not _CAST_NUMBER.match(numbered.group(1)):
            return None
        return number_key(numbered.group(1))
    return number_key(match.group(1))


def resolve_schedule_cast(
    schedule: ImportedSchedule, roster: Roster, *, cast_column: str = "Cast"
) -> tuple[dict[str, tuple[str, ...]], list[Problem]]:
    """Map each scene number to its cast numbers (those on the roster in roster order, then
    the numbers the roster lacks), or list what matches nobody or several people."""
    order = {e.cast_number: i for i, e in enumerate(roster.entries)}
    resolved: dict[str, tuple[str, ...]] = {}
    problems: list[Problem] = []
    for scene in schedule.scenes:
        numbers: set[str] = set()
        unlisted: set[str] = set()
        for ref in scene.cast_refs:
            matches = roster.match(ref)
            if len(matches) == 1:
                numbers.add(matches[0].cast_number)
            elif not matches and (number := unlisted_number(ref)) is not None:
                unlisted.add(number)
            elif not matches:
                problems.append(
                    scene_problem(
                        scene,
                        schedule.source_format,
                        f"'{ref}' is not on the cast list (import the cast list first, or use "
                        "a cast number from it)",
                        cast_column,
                    )
                )
            else:
                options = ", ".join(sorted(m.cast_number for m in matches))
                problems.append(
                    scene_problem(
                        scene,
                        schedule.source_format,
                        f"'{ref}' could be cast number {options}; use the cast number",
                        cast_column,
                    )
                )
        resolved[scene.number] = tuple(sorted(numbers, key=lambda n: order[n])) + tuple(
            sorted(unlisted, key=unlisted_order)
        )
    return resolved, capped(problems)


def unlisted_order(number: str) -> tuple[int, str]:
    """How the cast numbers missing from the cast list are ordered: by number."""
    digits = number.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return (int(digits) if digits.isdigit() else 0, number)


def capped(problems: list[Problem]) -> list[Problem]:
    """At most MAX_PROBLEMS problems and about MAX_PROBLEM_CHARS characters, then one saying
    how many more there were."""
    kept: list[Problem] = []
    size = 0
    for problem in problems:
        size += len(str(problem)) + 3  # "• " and the line break
        if len(kept) == MAX_PROBLEMS or size > MAX_PROBLEM_CHARS:
            break
        kept.append(problem)
    if len(kept) < len(problems):
        kept.append(Problem(f"… and {len(problems) - len(kept)} more problem(s) like these."))
    return kept
