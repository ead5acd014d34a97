"""What the CLI's import and show commands do (the same services the Slack handlers use)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.app import make_client
from bot.auditcsv import write_csv, write_jsonl
from bot.clock import SystemClock
from bot.config import Settings
from bot.confirmations import offline_states
from bot.imports import (
    apply_cast_plan,
    apply_schedule_plan,
    decode,
    parse_schedule,
    plan_cast_import,
    plan_json,
    plan_schedule_import,
)
from bot.installations import TokenUnavailable, Workspaces
from bot.problems import CliError, InputRejected
from bot.schedule.csv_format import DateOrder
from bot.schedule.diff import when
from bot.schedule.workday import working_day
from storage import audit
from storage.db import session_scope
from storage.models import AuditEvent, Production, Scene
from storage.productions import find_production_anywhere
from storage.purge import KINDS, PRODUCTION_WIDE, Purged, checkpoint, kept_until
from storage.purge import purge_production as purge
from storage.scenes import upcoming

ACTOR = "cli"


def _production(session: Session, name: str) -> Production:
    found = find_production_anywhere(session, name=name)
    if not found:
        raise CliError(
            f"no production called '{name}'; a coordinator creates it with "
            "/closedset setup in Slack."
        )
    if len(found) > 1:
        raise CliError(f"several workspaces have a production called '{name}'.")
    return found[0]


def _read(path: Path) -> str:
    """The file's text (an .xlsx workbook's schedule or cast sheet as `decode` reads it);
    raises InputRejected for a file that is no table, CliError for one that cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror}") from None
    return decode(data)


def _rejected(path: Path, rejected: InputRejected, *, as_json: bool = False) -> int:
    print(f"closedset: {path} was not imported; nothing was changed:", file=sys.stderr)
    for problem in rejected.problems:
        print(f"  {problem}", file=sys.stderr)
    if as_json:
        problems = [
            {"row": p.row, "column": p.column, "message": p.message} for p in rejected.problems
        ]
        print(json.dumps({"applied": False, "problems": problems}, ensure_ascii=False, indent=2))
    return 1


def import_schedule(
    factory: sessionmaker[Session],
    path: Path,
    name: str,
    dry_run: bool,
    *,
    stripboard: str | None = None,
    date_order: DateOrder | None = None,
    as_json: bool = False,
) -> int:
    """Print the change (as text, or as JSON for scripts: `bot.imports.plan_json`) and apply
    it unless `dry_run`. A bad file prints its problems and exits 1, never a traceback."""
    try:
        text = _read(path)
        with session_scope(factory) as session:
            production = _production(session, name)
            schedule = parse_schedule(
                text, production, stripboard=stripboard, date_order=date_order or "production"
            )
            plan = plan_schedule_import(session, production=production, schedule=schedule)
            applied = False
            if not dry_run and not plan.diff.is_empty:
                plan = apply_schedule_plan(
                    session,
                    production=production,
                    schedule=schedule,
                    base_digest=plan.base_digest,
                    now=SystemClock().now(),
                    actor=ACTOR,
                )
                applied = True
            if as_json:
                out = plan_json(plan, production, applied=applied)
                print(json.dumps(out, ensure_ascii=False, indent=2))
            else:
                print(plan.summary(ZoneInfo(production.time_zone)))
    except InputRejected as rejected:
        return _rejected(path, rejected, as_json=as_json)
    if not as_json:
        print("(dry run: nothing was changed)" if dry_run else "Applied.")
    return 0


def _client_for(factory: sessionmaker[Session], settings: Settings, team_id: str) -> WebClient:
    """The bot token's client; serving several workspaces, the production's workspace's."""
    if not settings.oauth:
        return make_client(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    workspaces = Workspaces(
        factory,
        SystemClock(),
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        oauth=make_client(token=None, base_url=settings.slack_api_url),
        make=lambda token, pacer: make_client(
            token=token, base_url=settings.slack_api_url, pacer=pacer
        ),
    )
    try:
        client = workspaces.client(team_id)
    except TokenUnavailable:
        raise CliError(
            "the workspace's bot token has expired and Slack did not refresh it; try again later."
        ) from None
    if client is None:
        raise CliError("Closed Set is not installed in this production's workspace any more.")
    return client


def import_cast(
    factory: sessionmaker[Session], settings: Settings, path: Path, name: str, dry_run: bool
) -> int:
    try:
        text = _read(path)
        with session_scope(factory) as session:
            production = _production(session, name)
            client = _client_for(factory, settings, production.workspace.team_id)
            plan = plan_cast_import(session, production=production, text=text, client=client)
            print(plan.summary())
            if not dry_run and not plan.change.is_empty:
                apply_cast_plan(
                    session,
                    production=production,
                    entries=plan.entries,
                    base_digest=plan.base_digest,
                    now=SystemClock().now(),
                    actor=ACTOR,
                )
    except InputRejected as rejected:
        return _rejected(path, rejected)
    print("(dry run: nothing was changed)" if dry_run else "Applied.")
    return 0


def show_schedule(
    factory: sessionmaker[Session], name: str, *, include_past: bool, as_json: bool = False
) -> int:
    with session_scope(factory) as session:
        production = _production(session, name)
        zone = ZoneInfo(production.time_zone)
        since = SystemClock().now()
        if include_past:
            since = since.replace(year=1970)
        scenes, total = upcoming(session, production_id=production.id, since=since, limit=10_000)
        if as_json:
            out = {
                "production": production.name,
                "time_zone": zone.key,
                "scenes": [_scene_json(scene, zone) for scene in scenes],
            }
            print(json.dumps(out, ensure_ascii=False, indent=2))
            return 0
        print(f"{production.name} ({zone.key}): {total} scene(s)")
        for scene in scenes:
            intimacy = "intimacy undecided" if scene.intimacy_undecided else "intimacy"
            flags = [
                f
                for f, on in ((intimacy, scene.intimacy), ("closed set", scene.is_closed_set))
                if on
            ]
            cast = ",".join(c.cast_number for c in scene.cast) or "-"
            night = ", after midnight" if scene.after_midnight else ""
            print(
                f"{scene.number:>6}  {when(scene.start_at, zone)}{night}"
                f"{' (est.)' if scene.start_estimated else ''}  {scene.set_name or '-'}  "
                f"cast {cast}  {' · '.join(flags)}".rstrip()
            )
    return 0


def _scene_json(scene: Scene, zone: ZoneInfo) -> dict[str, Any]:
    """One stored scene for scripts: when, where, who, and the coordinator's open decisions.
    No planned content, synopsis or answer."""
    local = scene.start_at.astimezone(zone)
    intimacy = "undecided" if scene.intimacy_undecided else "yes" if scene.intimacy else "no"
    return {
        "number": scene.number,
        "start": local.isoformat(),
        "start_text": when(scene.start_at, zone)
        + (", after midnight" if scene.after_midnight else ""),
        "working_day": working_day(
            scene.shoot_date, after_midnight=scene.after_midnight
        ).isoformat(),
        "estimated": scene.start_estimated,
        "after_midnight": scene.after_midnight,
        "set": scene.set_name,
        "cast": [c.cast_number for c in scene.cast] + list(scene.unlisted_cast),
        "intimacy": intimacy,
        "intimacy_set_by_coordinator": scene.intimacy_by_coordinator,
        "closed_set": scene.is_closed_set,
        "signed_off": scene.signed_off,
        "cannot_be_asked": [
            {"cast_number": o.cast_number, "why": o.why, "confirmed_in_person": o.confirmed}
            for o in offline_states(scene)
        ],
    }


def purge_production(factory: sessionmaker[Session], name: str, dry_run: bool) -> int:
    """`closedset purge`: the retention purge of one production, now. An unknown production
    is a usage error (exit 2), like a bad option."""
    try:
        with session_scope(factory) as session:
            production = _production(session, name)
            until = kept_until(session, production)
            purged = purge(
                session, production, now=SystemClock().now(), actor=ACTOR, dry_run=dry_run
            )
    except CliError as error:
        print(f"closedset: {error}", file=sys.stderr)
        return 2
    if not dry_run and purged.total:
        with factory() as session:
            checkpoint(session)
    print(f"{purged.production}: content kept until {until.isoformat()} by its retention setting")
    print(_purge_report(purged, dry_run=dry_run))
    return 0


def _purge_report(purged: Purged, *, dry_run: bool) -> str:
    if not purged.total:
        return "Nothing to purge." + (" (dry run: nothing was changed)" if dry_run else "")
    lines = ["Would delete:" if dry_run else "Deleted:"]
    for scene in sorted(purged.scenes, key=lambda s: (s == PRODUCTION_WIDE, s)):
        counts = purged.scenes[scene]
        what = ", ".join(f"{counts[k]} {k.replace('_', ' ')}" for k in KINDS if counts[k])
        lines.append(f"  {'scene ' + scene if scene else 'production-wide'}: {what}")
    totals = purged.totals
    lines.append("  total: " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in totals.items()))
    if dry_run:
        lines.append("(dry run: nothing was changed)")
    return "\n".join(lines)


AUDIT_BATCH = 1000


def export_audit(factory: sessionmaker[Session], name: str, *, since: date | None, fmt: str) -> int:
    """`closedset audit export`: the production's audit events, oldest first, as CSV or JSON
    Lines on standard output (`bot.auditcsv`); `since` is a day in the production's time zone.
    The export is itself recorded. An unknown production is a usage error (exit 2)."""
    try:
        with session_scope(factory) as session:
            production = _production(session, name)
            start = None
            if since is not None:
                start = datetime.combine(since, time(0), tzinfo=ZoneInfo(production.time_zone))
            header, count = fmt == "csv", 0
            while batch := audit.events(
                session,
                production_id=production.id,
                since=start,
                offset=count,
                limit=AUDIT_BATCH,
                newest_first=False,
            ):
                rows = _audit_rows(session, production.name, batch)
                if fmt == "csv":
                    write_csv(rows, sys.stdout, header=header)
                else:
                    write_jsonl(rows, sys.stdout)
                header, count = False, count + len(batch)
            if header:
                write_csv([], sys.stdout)
            audit.record(
                session,
                at=SystemClock().now(),
                team_id=production.workspace.team_id,
                actor=ACTOR,
                action="audit.export",
                production_id=production.id,
                detail={"events": count, "format": fmt},
            )
    except CliError as error:
        print(f"closedset: {error}", file=sys.stderr)
        return 2
    return 0


def _audit_rows(
    session: Session, production: str, events: list[AuditEvent]
) -> list[dict[str, str]]:
    numbers = audit.scene_numbers(session, events)
    rows = []
    for event in events:
        person = (event.detail or {}).get(audit.PERFORMER)
        rows.append(
            {
                "at": event.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                "production": production,
                "actor": event.actor,
                "action": event.action,
                "scene": numbers.get(event.id, ""),
                "subject": event.subject,
                "person": person if isinstance(person, str) else "",
            }
        )
    return rows
