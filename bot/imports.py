"""Importing a cast list or a shooting schedule: parse, resolve, preview, apply.

Used alike by the CLI and by a file uploaded to the bot. Nothing is written until `apply_*`,
and `apply_*` writes everything or nothing: it re-plans inside its own transaction and refuses
if the schedule changed since the preview the user saw.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.cast.csv_format import parse_cast_csv
from bot.cast.lookup import resolve_cast_rows
from bot.cast.resolve import RosterEntry, resolve_schedule_cast
from bot.problems import InputRejected, Problem
from bot.schedule.csv_format import parse_schedule_csv
from bot.schedule.diff import ScheduleDiff, headline, summary_lines
from bot.schedule.model import ImportedScene, ImportedSchedule
from bot.schedule.uss import looks_like_uss, parse_uss
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
    """Text of an uploaded file: UTF-8 (with or without BOM), else Windows-1252 (Excel)."""
    if len(data) > MAX_FILE_BYTES:
        raise InputRejected([Problem(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise InputRejected(
                [Problem("the file is not text; export the schedule as CSV (UTF-8)")]
            ) from None


def detect_kind(text: str) -> FileKind:
    """A cast list names people's Slack accounts; anything else is taken as a schedule."""
    if looks_like_uss(text):
        return FileKind.SCHEDULE
    header = fold(text.lstrip("\ufeff").splitlines()[0] if text.strip() else "")
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
    text: str, production: Production, *, stripboard: str | None = None
) -> ImportedSchedule:
    """A CSV or USS schedule, told apart by content. `stripboard` picks one of a USS file's
    stripboards (it is ignored for CSV)."""
    zone = ZoneInfo(production.time_zone)
    if looks_like_uss(text):
        return parse_uss(
            text,
            zone,
            default_call=production.default_call,
            stripboard=stripboard,
            intimacy_category=production.intimacy_category,
        )
    return parse_schedule_csv(text, zone, default_time=production.default_call)


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
