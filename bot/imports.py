"""Importing a cast list or a shooting schedule: parse, resolve, preview, apply.

Used alike by the CLI and by a file uploaded to the bot. Nothing is written until `apply_*`,
and `apply_*` writes everything or nothing: it re-plans inside its own transaction and refuses
if the schedule changed since the preview the user saw.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import asdict, dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot import roles
from bot.cast.csv_format import COLUMNS as CAST_COLUMNS
from bot.cast.csv_format import parse_cast_csv
from bot.cast.lookup import resolve_cast_rows
from bot.cast.resolve import Roster, RosterEntry, resolve_schedule_cast, unlisted_order
from bot.csvread import HEADER_SEARCH_ROWS, header_score
from bot.problems import InputRejected, Problem
from bot.schedule.csv_format import COLUMNS as SCHEDULE_COLUMNS
from bot.schedule.csv_format import (
    DateOrder,
    date_order_for,
    parse_schedule_csv,
    read_schedule_records,
)
from bot.schedule.diff import (
    Kind,
    SceneState,
    ScheduleDiff,
    headline,
    intimacy_state,
    starts,
    summary_lines,
)
from bot.schedule.model import ImportedScene, ImportedSchedule
from bot.schedule.uss import looks_like_uss, parse_uss
from bot.schedule.xlsx import WorkbookText, looks_like_xlsx, not_a_table, workbook_text
from bot.text import fold
from storage import audit, deliveries, roster, scenes
from storage.models import Production
from storage.roster import CastChange, plan_cast_change

MAX_FILE_BYTES = 10 * 1024 * 1024


class FileKind(StrEnum):
    CAST = "cast"
    SCHEDULE = "schedule"


ASK_DATE_ORDER = "date_order"
"""The kind of a pending import that waits for a person to say how the file's dates read: its
payload is the uploaded file's Slack id and stripboard; the file is read again once they say."""


class StalePreview(Exception):
    """The data changed between the preview and Apply; the user must look again."""


def decode(data: bytes) -> str:
    """Text of an uploaded file.

    An Excel workbook (.xlsx) becomes `WorkbookText`: its schedule or cast-list sheet as CSV
    text, carrying the rows as read. Text is UTF-8 (with or without BOM), UTF-16 with a BOM
    (Excel's "Unicode Text"), else Windows-1252 (Excel's CSV on Windows). Anything else (a PDF,
    an old .xls, an image, other binary data) is refused saying what to export instead.
    """
    if len(data) > MAX_FILE_BYTES:
        raise InputRejected([Problem(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")])
    if looks_like_xlsx(data):
        return workbook_text(data, (SCHEDULE_COLUMNS, CAST_COLUMNS))
    if problem := not_a_table(data):
        raise InputRejected([Problem(problem)])
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data[:65536]:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                return data.decode("cp1252")
            except UnicodeDecodeError:
                pass
    raise InputRejected(
        [Problem("the file is not text; export the schedule as CSV (UTF-8) or as .xlsx")]
    )


def detect_kind(text: str) -> FileKind:
    """A cast list names people's Slack accounts; anything else is taken as a schedule.

    The header may sit below title lines, so the first rows are searched for one that names a
    cast list's or a schedule's columns; failing that, the first line's words decide.
    """
    if looks_like_uss(text):
        return FileKind.SCHEDULE
    lines = [line for line in text.lstrip("\ufeff").splitlines() if line.strip()]
    for line in lines[:HEADER_SEARCH_ROWS]:
        for delimiter in (",", ";", "\t"):
            cells = [cell.strip().strip('"') for cell in line.split(delimiter)]
            if header_score(cells, SCHEDULE_COLUMNS):
                return FileKind.SCHEDULE
            if header_score(cells, CAST_COLUMNS):
                return FileKind.CAST
    header = fold(lines[0] if lines else "")
    cast_words = ("slack", "email", "handle", "performer", "actor")
    schedule_words = ("date", "day", "shoot")
    if any(w in header for w in cast_words) and not any(w in header for w in schedule_words):
        return FileKind.CAST
    return FileKind.SCHEDULE


# --- schedules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unreachable:
    """A cast number in a scene that nobody can ask in Slack, and why."""

    cast_number: str
    listed: bool
    """On the cast list (without a Slack account), or not on the cast list at all."""

    @property
    def why(self) -> str:
        return "is not on Slack" if self.listed else "is not on the cast list"


@dataclass(frozen=True)
class SchedulePlan:
    schedule: ImportedSchedule
    cast: dict[str, tuple[str, ...]]
    diff: ScheduleDiff
    base_digest: str
    unreachable: dict[str, tuple[Unreachable, ...]] = dataclass_field(default_factory=dict)
    """By scene number, for every scene of the file: who in it cannot be asked in Slack."""

    def incoming(self) -> list[SceneState]:
        """Each scene of the file as it will be stored, in file order."""
        return [c.after for c in self.diff.changes if c.after is not None]

    def attention(self, most: int | None = None) -> list[str]:
        """What the coordinator must act on: scenes whose intimacy is undecided, and who in
        each intimate scene cannot be asked in Slack (at most `most` scenes listed). Scene
        and cast numbers only: nothing here names a performer."""
        incoming = self.incoming()
        lines: list[str] = []
        undecided = [s.number for s in incoming if s.intimacy_undecided]
        if undecided:
            lines.append(
                f"Intimacy undecided in scene(s) {', '.join(undecided)}: their performers are "
                "asked as for an intimate scene until you decide, on your Home tab."
            )
        intimate = [s for s in incoming if s.intimacy and self.unreachable.get(s.number)]
        if intimate:
            lines.append(
                "Cannot be asked in Slack (each is a to-do on your Home tab: confirm in person):"
            )
            shown = intimate if most is None else intimate[:most]
            lines += [
                f"  scene {s.number}: "
                + ", ".join(f"cast {u.cast_number} {u.why}" for u in self.unreachable[s.number])
                for s in shown
            ]
            if len(shown) < len(intimate):
                lines.append(f"  … and {len(intimate) - len(shown)} more scene(s).")
        others = sorted(
            {
                u.cast_number
                for s in incoming
                if not s.intimacy
                for u in self.unreachable.get(s.number, ())
                if not u.listed
            },
            key=unlisted_order,
        )
        if others:
            lines.append(
                f"Not on the cast list (only in scenes without intimacy): cast {', '.join(others)}."
            )
        return lines

    def warnings(self) -> list[str]:
        """Every line beyond the changes: `attention`, then the reader's notes."""
        return [*self.attention(), *self.schedule.notes]

    def summary(self, zone: ZoneInfo) -> str:
        """The preview: what needs the coordinator comes before the changes, so that a long
        preview cut to fit a Slack message never loses it."""
        lines = [
            headline(self.diff),
            *self.attention(most=15),
            *summary_lines(self.diff, zone),
            *self.schedule.notes,
        ]
        return "\n".join(lines)


def unreachable_of(
    roster: Roster, cast: dict[str, tuple[str, ...]]
) -> dict[str, tuple[Unreachable, ...]]:
    """Who in each scene cannot be asked in Slack: cast numbers the roster lacks, and roster
    entries without a Slack account."""
    by_number = {e.cast_number: e for e in roster.entries}
    found: dict[str, tuple[Unreachable, ...]] = {}
    for scene, numbers in cast.items():
        missing = tuple(
            Unreachable(n, n in by_number)
            for n in numbers
            if n not in by_number or not by_number[n].slack_user_id
        )
        if missing:
            found[scene] = missing
    return found


def parse_schedule(
    text: str,
    production: Production,
    *,
    stripboard: str | None = None,
    date_order: DateOrder | Literal["production"] | None = "production",
) -> ImportedSchedule:
    """A CSV, .xlsx (`WorkbookText` from `decode`) or USS schedule, told apart by content.
    `stripboard` picks one of a USS file's stripboards (it is ignored for CSV and .xlsx).

    `date_order` orders slashed dates the file does not settle: by default the production's
    (its setting; without one, month-first in a US time zone, else day-first, as PRODUCT.md
    settles), "dmy" or "mdy" as a person said, or None to raise `AmbiguousDateOrder` so that
    the caller can ask.
    """
    zone = ZoneInfo(production.time_zone)
    order = production_date_order(production) if date_order == "production" else date_order
    if isinstance(text, WorkbookText):
        return read_schedule_records(
            text.records,
            zone,
            date_order=order,
            default_time=production.default_call,
            source_format="xlsx",
            notes=text.notes,
        )
    if looks_like_uss(text):
        return parse_uss(
            text,
            zone,
            default_call=production.default_call,
            stripboard=stripboard,
            intimacy_category=production.intimacy_category,
        )
    return parse_schedule_csv(text, zone, date_order=order, default_time=production.default_call)


def production_date_order(production: Production) -> DateOrder:
    """The production's date order: as set, else as its time zone's country writes dates."""
    if production.date_order in ("dmy", "mdy"):
        return "dmy" if production.date_order == "dmy" else "mdy"
    return date_order_for(ZoneInfo(production.time_zone))


def plan_schedule_import(
    session: Session, *, production: Production, schedule: ImportedSchedule
) -> SchedulePlan:
    known = roster.roster(session, production_id=production.id)
    cast, problems = resolve_schedule_cast(schedule, known)
    if problems:
        raise InputRejected(problems)
    diff, base = scenes.plan_import(session, production=production, schedule=schedule, cast=cast)
    return SchedulePlan(schedule, cast, diff, base, unreachable_of(known, cast))


def plan_json(plan: SchedulePlan, production: Production, *, applied: bool) -> dict[str, Any]:
    """The preview for scripts and spreadsheets: every scene of the file and every removed one,
    with its change, resolved start, estimated flag, set, cast, intimacy state and who cannot
    be asked, then every warning. Never planned content or a synopsis."""
    zone = ZoneInfo(production.time_zone)
    scenes_out: list[dict[str, Any]] = []
    for change in plan.diff.changes:
        state = change.after or change.before
        assert state is not None
        item = {
            "number": change.number,
            "change": change.kind.value,
            "fields": list(change.fields),
            **_state_json(state, zone),
            "cannot_be_asked": [
                {"cast_number": u.cast_number, "why": u.why}
                for u in plan.unreachable.get(change.number, ())
            ]
            if change.kind is not Kind.REMOVED
            else [],
        }
        if change.before is not None and change.kind is Kind.MOVED:
            item["before"] = _state_json(change.before, zone)
        scenes_out.append(item)
    return {
        "production": production.name,
        "time_zone": zone.key,
        "format": plan.schedule.source_format,
        "applied": applied,
        "counts": {kind.value: count for kind, count in plan.diff.counts().items()},
        "scenes": scenes_out,
        "warnings": plan.warnings(),
    }


def _state_json(state: SceneState, zone: ZoneInfo) -> dict[str, Any]:
    local = state.start_at.astimezone(zone)
    return {
        "start": local.isoformat(),
        "start_text": starts(state, zone),
        "estimated": state.start_estimated,
        "after_midnight": state.after_midnight,
        "set": state.set_name,
        "cast": list(state.cast),
        "intimacy": intimacy_state(state),
    }


def apply_schedule_plan(
    session: Session,
    *,
    production: Production,
    schedule: ImportedSchedule,
    base_digest: str,
    now: datetime,
    actor: str,
) -> SchedulePlan:
    """Apply a previewed schedule, refusing if the schedule or roster changed since the
    preview was made (`base_digest` is the previewed plan's)."""
    fresh = plan_schedule_import(session, production=production, schedule=schedule)
    if fresh.base_digest != base_digest:
        raise StalePreview(
            "The schedule changed since this preview. Upload the file again to see the "
            "current changes."
        )
    grew = scenes.apply_diff(session, production=production, diff=fresh.diff, now=now)
    deliveries.sync_production(session, production, now=now, changed=grew)
    audit.record(
        session,
        at=now,
        team_id=production.workspace.team_id,
        actor=actor,
        action="schedule.import",
        production_id=production.id,
        detail={k.value: v for k, v in fresh.diff.counts().items()},
    )
    return fresh


def _scene_to_json(scene: ImportedScene) -> dict[str, Any]:
    data = asdict(scene)
    data["shoot_date"] = scene.shoot_date.isoformat()
    data["start_at"] = scene.start_at.isoformat()
    data["cast_refs"] = list(scene.cast_refs)
    data["day_call"] = scene.day_call.isoformat() if scene.day_call else None
    return data


def schedule_payload(plan: SchedulePlan) -> str:
    return json.dumps(
        {
            "format": plan.schedule.source_format,
            "notes": list(plan.schedule.notes),
            "scenes": [_scene_to_json(s) for s in plan.schedule.scenes],
        }
    )


def schedule_from_payload(payload: str) -> ImportedSchedule:
    data = json.loads(payload)
    scenes_ = tuple(
        ImportedScene(
            **{
                **s,
                "shoot_date": date.fromisoformat(s["shoot_date"]),
                "start_at": datetime.fromisoformat(s["start_at"]),
                "cast_refs": tuple(s["cast_refs"]),
                "day_call": time.fromisoformat(s["day_call"]) if s.get("day_call") else None,
            }
        )
        for s in data["scenes"]
    )
    return ImportedSchedule(scenes_, data["format"], tuple(data["notes"]))


# --- cast lists -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CastPlan:
    entries: list[RosterEntry]
    change: CastChange
    base_digest: str

    def summary(self) -> str:
        return "\n".join([self.change.headline(), *self.change.lines()])


def plan_cast_import(
    session: Session, *, production: Production, text: str, client: WebClient
) -> CastPlan:
    entries = resolve_cast_rows(client, parse_cast_csv(text))
    current = roster.roster_entries(session, production_id=production.id)
    return CastPlan(entries, plan_cast_change(current, entries), roster.digest(current))


def apply_cast_plan(
    session: Session,
    *,
    production: Production,
    entries: list[RosterEntry],
    base_digest: str,
    now: datetime,
    actor: str,
) -> CastChange:
    current = roster.roster_entries(session, production_id=production.id)
    if roster.digest(current) != base_digest:
        raise StalePreview(
            "The cast list changed since this preview. Upload the file again to see the "
            "current changes."
        )
    change = plan_cast_change(current, entries)
    before = roles.snapshot(session, production.id)
    roster.apply_roster(session, production_id=production.id, entries=entries)
    roles.announce(session, production=production, before=before, by=actor, now=now)
    deliveries.sync_production(session, production, now=now)
    audit.record(
        session,
        at=now,
        team_id=production.workspace.team_id,
        actor=actor,
        action="cast.import",
        production_id=production.id,
        detail={
            "added": len(change.added),
            "changed": len(change.changed),
            "removed": len(change.removed),
        },
    )
    return change


def cast_payload(plan: CastPlan) -> str:
    return json.dumps([asdict(e) for e in plan.entries])


def cast_from_payload(payload: str) -> list[RosterEntry]:
    return [RosterEntry(**e) for e in json.loads(payload)]
