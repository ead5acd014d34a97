"""The change a schedule import makes, computed before anything is written.

Both sides are `SceneState`s: the effective state of each scene (what is stored now, and what
would be stored after the import once the coordinator's own settings are laid over the file).
The summary text is safe for a Slack message: scene numbers, times, sets and the *names* of
fields that changed, never planned content or a synopsis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class SceneState:
    """`cast`: cast numbers, those on the cast list in its order, then any it lacks.
    `intimacy_undecided`: the file said neither yes nor no; `intimacy` is then True.
    `after_midnight` and `day_call` place the start on its working day (`bot.schedule.workday`);
    they are kept, not compared: the start time itself is."""

    number: str
    start_at: datetime
    set_name: str
    cast: tuple[str, ...]
    intimacy: bool
    planned_content: str | None
    synopsis: str | None
    start_estimated: bool = False
    intimacy_undecided: bool = False
    after_midnight: bool = False
    day_call: time | None = None


class Kind(StrEnum):
    ADDED = "added"
    MOVED = "moved"
    CHANGED = "changed"
    REMOVED = "removed"
    UNCHANGED = "unchanged"


# Field names as shown to people, in the order they are listed.
_FIELDS = (
    ("start_at", "time"),
    ("start_estimated", "time estimated"),
    ("set_name", "set"),
    ("cast", "cast"),
    ("intimacy", "intimacy"),
    ("intimacy_undecided", "intimacy"),
    ("planned_content", "planned content"),
    ("synopsis", "synopsis"),
)


@dataclass(frozen=True)
class SceneChange:
    number: str
    kind: Kind
    before: SceneState | None
    after: SceneState | None
    fields: tuple[str, ...] = ()

    @property
    def content_changed(self) -> bool:
        return "planned content" in self.fields


@dataclass(frozen=True)
class ScheduleDiff:
    changes: tuple[SceneChange, ...]

    def of(self, kind: Kind) -> list[SceneChange]:
        return [c for c in self.changes if c.kind is kind]

    @property
    def is_empty(self) -> bool:
        return all(c.kind is Kind.UNCHANGED for c in self.changes)

    def counts(self) -> dict[Kind, int]:
        return {kind: len(self.of(kind)) for kind in Kind}


def plan_schedule_change(
    current: Sequence[SceneState], incoming: Sequence[SceneState]
) -> ScheduleDiff:
    """Compare the live schedule with an imported one, scene by scene number.

    A scene whose time changed is MOVED (even if other fields changed too: its `fields` say
    which); one with other changes is CHANGED; scenes missing from the import are REMOVED.
    """
    now_by_number = {s.number: s for s in current}
    changes: list[SceneChange] = []
    for new in incoming:
        old = now_by_number.pop(new.number, None)
        if old is None:
            changes.append(SceneChange(new.number, Kind.ADDED, None, new))
            continue
        fields = tuple(
            dict.fromkeys(
                label for attr, label in _FIELDS if getattr(old, attr) != getattr(new, attr)
            )
        )
        if "time" in fields:
            kind = Kind.MOVED
        elif fields:
            kind = Kind.CHANGED
        else:
            kind = Kind.UNCHANGED
        changes.append(SceneChange(new.number, kind, old, new, fields))
    for old in now_by_number.values():
        changes.append(SceneChange(old.number, Kind.REMOVED, old, None))
    return ScheduleDiff(tuple(changes))


def when(at: datetime, zone: ZoneInfo) -> str:
    """`Sat 14 Mar 14:30` in `zone`."""
    return at.astimezone(zone).strftime("%a %d %b %Y %H:%M")


def starts(state: SceneState, zone: ZoneInfo) -> str:
    """`Wed 13 Jan 2027 01:30, after midnight (estimated)`: the resolved date and time."""
    night = ", after midnight" if state.after_midnight else ""
    estimated = " (estimated)" if state.start_estimated else ""
    return f"{when(state.start_at, zone)}{night}{estimated}"


def intimacy_state(state: SceneState) -> str:
    """The scene's intimacy as scripts read it: "undecided", "yes" or "no"."""
    if state.intimacy_undecided:
        return "undecided"
    return "yes" if state.intimacy else "no"


def summary_lines(diff: ScheduleDiff, zone: ZoneInfo) -> list[str]:
    """One plain line per scene that changes; no planned content or synopsis text."""
    lines: list[str] = []
    for change in diff.changes:
        after = change.after
        if change.kind is Kind.ADDED and after:
            flag = {"yes": " · intimacy", "undecided": " · intimacy undecided", "no": ""}
            lines.append(
                f"+ Scene {change.number} added: {starts(after, zone)}"
                f", {after.set_name or 'no set given'}{flag[intimacy_state(after)]}"
            )
        elif change.kind is Kind.MOVED and change.before and after:
            others = [f for f in change.fields if f not in ("time", "time estimated")]
            extra = f"; also changed: {', '.join(others)}" if others else ""
            lines.append(
                f"~ Scene {change.number} moved: {when(change.before.start_at, zone)} → "
                f"{starts(after, zone)}{extra}"
            )
        elif change.kind is Kind.CHANGED and after:
            undecided = " (now undecided)" if after.intimacy_undecided else ""
            fields = [f"intimacy{undecided}" if f == "intimacy" else f for f in change.fields]
            lines.append(f"~ Scene {change.number} changed: {', '.join(fields)}")
        elif change.kind is Kind.REMOVED and change.before:
            lines.append(
                f"- Scene {change.number} removed (was {when(change.before.start_at, zone)})"
            )
    return lines


def headline(diff: ScheduleDiff) -> str:
    counts = diff.counts()
    if diff.is_empty:
        return "No changes: the schedule already matches this file."
    return (
        f"{counts[Kind.ADDED]} added, {counts[Kind.MOVED]} moved, "
        f"{counts[Kind.CHANGED]} changed, {counts[Kind.REMOVED]} removed, "
        f"{counts[Kind.UNCHANGED]} unchanged"
    )
