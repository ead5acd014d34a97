"""What a schedule file says, independent of its format (CSV, .xlsx or USS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from bot.problems import Problem


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
    before it), so it was put on the next calendar date (a night shoot): `shoot_date` is that
    date, and the working day the one before.

    `day_call`: the time the scene's working day was reckoned from (its call; in a CSV without
    one, the day's first timed scene; else the default call), so that a start time set by hand
    later is put on the right date the same way (`bot.schedule.workday`).
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
    day_call: time | None = None


@dataclass(frozen=True)
class ImportedSchedule:
    """Every scene of a schedule file, in file order, scene numbers unique."""

    scenes: tuple[ImportedScene, ...]
    source_format: str  # "csv", "xlsx" or "uss"
    notes: tuple[str, ...] = field(default=())  # things the reader should know (e.g. skipped)


def scene_problem(
    scene: ImportedScene, source_format: str, message: str, column: str | None = None
) -> Problem:
    """A problem with one scene of a file, placed as the file's reader places its own: by row
    and column in a CSV or .xlsx file, by strip in a USS file (which has neither)."""
    if source_format == "uss":
        where = f"the strip for scene {scene.number}"
        if scene.row is not None:
            where += f" (strip {scene.row} on the board)"
        return Problem(f"{where[0].upper()}{where[1:]}: {message}")
    return Problem(f"scene {scene.number}: {message}", scene.row, column)
