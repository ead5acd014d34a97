"""What the CLI's import and show commands do (the same services the Slack handlers use)."""

from __future__ import annotations

import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.app import make_client
from bot.clock import SystemClock
from bot.config import Settings
from bot.imports import (
    apply_cast_plan,
    apply_schedule_plan,
    decode,
    parse_schedule,
    plan_cast_import,
    plan_schedule_import,
)
from bot.problems import CliError, InputRejected
from bot.schedule.diff import when
from storage.db import session_scope
from storage.models import Production
from storage.productions import find_production_anywhere
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
    try:
        return decode(path.read_bytes())
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror}") from None


def _rejected(path: Path, rejected: InputRejected) -> int:
    print(f"closedset: {path} was not imported; nothing was changed:", file=sys.stderr)
    for problem in rejected.problems:
        print(f"  {problem}", file=sys.stderr)
    return 1


def import_schedule(
    factory: sessionmaker[Session],
    path: Path,
    name: str,
    dry_run: bool,
    *,
    stripboard: str | None = None,
) -> int:
    text = _read(path)
    try:
        with session_scope(factory) as session:
            production = _production(session, name)
            schedule = parse_schedule(text, production, stripboard=stripboard)
            plan = plan_schedule_import(session, production=production, schedule=schedule)
            if not dry_run and not plan.diff.is_empty:
                plan = apply_schedule_plan(
                    session,
                    production=production,
                    schedule=schedule,
                    base_digest=plan.base_digest,
                    now=SystemClock().now(),
                    actor=ACTOR,
                )
            print(plan.summary(ZoneInfo(production.time_zone)))
    except InputRejected as rejected:
        return _rejected(path, rejected)
    print("(dry run: nothing was changed)" if dry_run else "Applied.")
    return 0


def import_cast(
    factory: sessionmaker[Session], settings: Settings, path: Path, name: str, dry_run: bool
) -> int:
    text = _read(path)
    client = make_client(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    try:
        with session_scope(factory) as session:
            production = _production(session, name)
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


def show_schedule(factory: sessionmaker[Session], name: str, *, include_past: bool) -> int:
    with session_scope(factory) as session:
        production = _production(session, name)
        zone = ZoneInfo(production.time_zone)
        since = SystemClock().now()
        if include_past:
            since = since.replace(year=1970)
        scenes, total = upcoming(session, production_id=production.id, since=since, limit=10_000)
        print(f"{production.name} ({zone.key}): {total} scene(s)")
        for scene in scenes:
            flags = [
                f
                for f, on in (("intimacy", scene.intimacy), ("closed set", scene.is_closed_set))
                if on
            ]
            cast = ",".join(c.cast_number for c in scene.cast) or "-"
            print(
                f"{scene.number:>6}  {when(scene.start_at, zone)}"
                f"{' (est.)' if scene.start_estimated else ''}  {scene.set_name or '-'}  "
                f"cast {cast}  {' · '.join(flags)}".rstrip()
            )
    return 0
