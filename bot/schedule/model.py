"""What a schedule file says, independent of its format (CSV or USS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class ImportedScene:
    """One scene as a schedule file describes it.

    `cast_refs` are the file's own words for the performers (cast numbers such as "1", character
    or performer names, Slack IDs, emails or @handles); they are resolved against the roster
    later. `start_at` is aware, in the production's zone. `row` is where the scene came from, for
    error messages (CSV: the 1-based line number in the file; USS: the 1-based position of the
    scene's strip in the stripboard).
    """

    number: str
    shoot_date: date
    start_at: datetime
    set_name: str = ""
    cast_refs: tuple[str, ...] = ()
    intimacy: bool | None = None
    planned_content: str | None = None
    synopsis: str | None = None
    start_estimated: bool = False
    row: int | None = None


@dataclass(frozen=True)
class ImportedSchedule:
    """Every scene of a schedule file, in file order, scene numbers unique."""

    scenes: tuple[ImportedScene, ...]
    source_format: str  # "csv" or "uss"
    notes: tuple[str, ...] = field(default=())  # things the reader should know (e.g. skipped)
