"""Importing a cast list or a shooting schedule: parse, resolve, preview, apply.

Used alike by the CLI and by a file uploaded to the bot. Nothing is written until `apply_*`,
and `apply_*` writes everything or nothing: it re-plans inside its own transaction and refuses
if the schedule changed since the preview the user saw.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.cast.csv_format import COLUMNS as CAST_COLUMNS
from bot.cast.csv_format import parse_cast_csv
from bot.cast.lookup import resolve_cast_rows
from bot.cast.resolve import RosterEntry, resolve_schedule_cast
from bot.csvread import HEADER_SEARCH_ROWS, header_score
from bot.problems import InputRejected, Problem
from bot.schedule.csv_format import COLUMNS as SCHEDULE_COLUMNS
from bot.schedule.csv_format import (
    DateOrder,
    date_order_for,
    parse_schedule_csv,
    read_schedule_records,
)
from bot.schedule.diff import ScheduleDiff, headline, summary_lines
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
class SchedulePlan:
    schedule: ImportedSchedule
    cast: dict[str, tuple[str, ...]]
    diff: ScheduleDiff
    base_digest: str

    def summary(self, zone: ZoneInfo) -> str:
        lines = [headline(self.diff), *summary_lines(self.diff, zone), *self.schedule.notes]
        return "\n".join(lines)


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
    (month-first in a US time zone, else day-first, as PRODUCT.md settles), "dmy" or "mdy" as
    a person said, or None to raise `AmbiguousDateOrder` so that the caller can ask.
    """
    zone = ZoneInfo(production.time_zone)
    order = date_order_for(zone) if date_order == "production" else date_order
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


def plan_schedule_import(
    session: Session, *, production: Production, schedule: ImportedSchedule
) -> SchedulePlan:
    known = roster.roster(session, production_id=production.id)
    cast, problems = resolve_schedule_cast(schedule, known)
    if problems:
        raise InputRejected(problems)
    diff, base = scenes.plan_import(session, production=production, schedule=schedule, cast=cast)
    return SchedulePlan(schedule, cast, diff, base)


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
    roster.apply_roster(session, production_id=production.id, entries=entries)
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
