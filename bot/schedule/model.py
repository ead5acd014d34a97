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

    `intimacy`: True or False as the file says; None when the file does not say (no intimacy
    column or category), so a re-import keeps what is stored. `intimacy_undecided`: the file's
    value was neither yes-like nor no-like (`TBD`, `?`, `maybe`); `intimacy` is then True, so the
    performers are asked until a coordinator decides.

    `part_of`: a scene shot over several strips or rows (`89PT1`, `89PT2`, or `89` twice) is
    imported as one ImportedScene per part, each with its own shoot day; `number` is then the
    part's own key (`89PT1`) and `part_of` the scene's number (`89`).

    `after_midnight`: the start time was earlier than the shoot day's call (or than the scene
    before it), so it was put on the next calendar date (a night shoot).
    """

    number: str
    shoot_date: date
    start_at: datetime
    set_name: str = ""
    cast_refs: tuple[str, ...] = ()
    intimacy: bool | None = None
    intimacy_undecided: bool = False
    planned_content: str | None = None
    synopsis: str | None = None
    start_estimated: bool = False
    row: int | None = None
    part_of: str | None = None
    after_midnight: bool = False


@dataclass(frozen=True)
class ImportedSchedule:
    """Every scene of a schedule file, in file order, scene numbers unique."""

    scenes: tuple[ImportedScene, ...]
    source_format: str  # "csv" or "uss"
    notes: tuple[str, ...] = field(default=())  # things the reader should know (e.g. skipped)
