"""The `closedset` command: serve, deliver, db upgrade, keygen, cast import, schedule
import/show, purge, audit export."""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import logs
from bot.config import ConfigError, Settings, environment, load_settings, log_settings
from bot.crypto import generate_key, load_cipher
from bot.problems import CliError
from storage.db import session_scope

EXIT_CONFIG = 2
EXIT_INPUT = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="closedset",
        description="Closed Set: boundary check-ins, depersonalized requests and AD reminders "
        "for intimate scenes, in Slack.",
    )
    parser.add_argument(
        "--env-file",
        default=".env",
        help="read settings from this file (default: .env; the real environment wins)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="run the bot (Socket Mode if SLACK_APP_TOKEN is set, else HTTP)",
        description="Run the bot. Socket Mode when SLACK_APP_TOKEN is set, otherwise "
        "HTTP on PORT with POST /slack/events and GET /healthz. Planned messages (prompts, "
        "reminders) are sent by the same process unless --no-deliver.",
    )
    serve.add_argument(
        "--no-deliver",
        action="store_true",
        help="answer Slack only; run `closedset deliver` (one or more) to send planned messages",
    )
    sub.add_parser(
        "deliver",
        help="send planned messages only (for deployments that run `serve --no-deliver`)",
        description="Run the delivery dispatcher alone: prompts, nudges and reminders are "
        "sent when due. Several can share a PostgreSQL database with several `serve "
        "--no-deliver` processes; each message is still sent once.",
    )

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser(
        "upgrade",
        help="apply pending migrations",
        description="Apply pending database migrations (DATABASE_URL).",
    )
    db_sub.add_parser(
        "reencrypt",
        help="re-encrypt stored data with the newest key",
        description="Re-encrypt every encrypted value with the first key of "
        "CLOSEDSET_ENCRYPTION_KEY, after which older keys can be removed from it.",
    )

    sub.add_parser(
        "keygen",
        help="print a new encryption key",
        description="Print a new key for CLOSEDSET_ENCRYPTION_KEY. To rotate, put "
        "the new key first: KEY_NEW,KEY_OLD (the newest encrypts, all decrypt).",
    )

    cast = sub.add_parser("cast", help="the cast list")
    cast_sub = cast.add_subparsers(dest="cast_command", required=True, metavar="ACTION")
    cast_import = cast_sub.add_parser(
        "import",
        help="import a cast list (CSV or .xlsx)",
        description="Import a cast list (CSV or .xlsx: cast number, character, performer, "
        "Slack ID, email or @handle). Slack references are looked up through the Web API; "
        "leave the Slack account empty for someone not on Slack (never asked in Slack: a "
        "to-do for the coordinator instead).",
    )
    cast_import.add_argument("file", type=Path, help="the CSV or .xlsx file")
    cast_import.add_argument("--production", required=True, help="production name")
    cast_import.add_argument("--dry-run", action="store_true", help="show the change only")

    schedule = sub.add_parser("schedule", help="the shooting schedule")
    schedule_sub = schedule.add_subparsers(dest="schedule_command", required=True, metavar="ACTION")
    schedule_import = schedule_sub.add_parser(
        "import",
        help="import a schedule (CSV, .xlsx or .uss)",
        description="Import a shooting schedule: CSV, an Excel workbook (.xlsx) or USS "
        "(.uss), told apart by content. Prints the change; applies it unless --dry-run. Any "
        "bad row rejects the whole file, with every problem by row and column.",
    )
    schedule_import.add_argument("file", type=Path, help="the CSV, .xlsx or .uss file")
    schedule_import.add_argument("--production", required=True, help="production name")
    schedule_import.add_argument(
        "--dry-run", action="store_true", help="print the change without applying it"
    )
    schedule_import.add_argument(
        "--stripboard", help="USS only: the stripboard to import when the file has several"
    )
    schedule_import.add_argument(
        "--date-order",
        choices=("dmy", "mdy"),
        help="how to read dates like 03/04/2027 when the file does not settle it: dmy (3 "
        "April) or mdy (March 4); default: the production's setting, else its time zone's "
        "country (mdy in the US)",
    )
    schedule_import.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="json: the preview (or the problems) as one JSON object on standard output",
    )
    show = schedule_sub.add_parser(
        "show",
        help="print the upcoming schedule",
        description="Print the upcoming scenes of a production.",
    )
    show.add_argument("--production", required=True, help="production name")
    show.add_argument("--all", action="store_true", help="include past scenes")
    show.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="json: the stored schedule as one JSON object on standard output",
    )

    purge = sub.add_parser(
        "purge",
        help="delete a production's answers, notes and planned content now",
        description="Run the retention purge for one production now, whatever its retention "
        "setting: boundary answers, private notes, check-in and closure answers, planned "
        "content and synopses, and kept schedule files are deleted for good. Scenes, "
        "sign-offs, requests and the audit log stay. Prints what was (or would be) deleted, "
        "per scene.",
    )
    purge.add_argument("--production", required=True, help="production name")
    purge.add_argument("--dry-run", action="store_true", help="print what would be deleted only")

    audit = sub.add_parser("audit", help="the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    export = audit_sub.add_parser(
        "export",
        help="print a production's audit log (CSV or JSON Lines)",
        description="Print a production's audit events, oldest first: time (ISO 8601, UTC), "
        "production, actor (Slack user id), action, scene number, subject and the performer "
        "an event is about. Never content. CSV values that a spreadsheet would run as a "
        "formula are prefixed with a single quote.",
    )
    export.add_argument("--production", required=True, help="production name")
    export.add_argument(
        "--since",
        type=_day,
        help="only events from this day on (YYYY-MM-DD, in the production's time zone)",
    )
    export.add_argument("--format", choices=("csv", "jsonl"), default="csv", help="default: csv")
    return parser


def _day(text: str) -> date:
    """A day written YYYY-MM-DD (and only so)."""
    with contextlib.suppress(ValueError):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
    raise argparse.ArgumentTypeError(f"'{text}' is not a day written YYYY-MM-DD")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logs.configure("WARNING")  # until the settings say otherwise
    try:
        if args.command == "keygen":
            print(generate_key())
            return 0
        env = environment(args.env_file)
        level, fmt = log_settings(env, serving=args.command in ("serve", "deliver"))
        logs.configure(level, fmt)
        settings = load_settings(
            env,
            need_slack=args.command in ("serve", "deliver", "cast"),
            serving=args.command == "serve",
        )
        if args.command == "serve":
            from bot.serve import serve

            return serve(settings, deliver=not args.no_deliver)
        if args.command == "deliver":
            from bot.serve import deliver

            return deliver(settings)
        return _run(args, settings)
    except ConfigError as error:
        print(f"closedset: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except CliError as error:
        print(f"closedset: {error}", file=sys.stderr)
        return EXIT_INPUT


def _database(settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    from storage.db import make_session_factory, open_database

    cipher = load_cipher(settings)
    return (engine := open_database(settings, cipher)), make_session_factory(engine, cipher)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "db" and args.db_command == "reencrypt":
        from storage.secrets import reencrypt_all

        with session_scope(_database(settings)[1]) as session:
            count = reencrypt_all(session)
        print(f"closedset: re-encrypted {count} value(s) with the newest key")
        return 0
    if args.command == "db":
        from sqlalchemy.exc import OperationalError

        from storage.db import make_engine, upgrade

        try:
            # The key, where one is configured: some migrations seal stored values (0010).
            try:
                cipher = load_cipher(settings, create=False)
            except ConfigError:
                cipher = None
            upgrade(make_engine(settings.database_url), cipher=cipher)
        except OperationalError as error:
            raise CliError(
                f"cannot open the database ({error.orig}); check DATABASE_URL."
            ) from None
        print("closedset: database is up to date")
        return 0
    _, factory = _database(settings)
    if args.command == "audit":
        from bot.commands_cli import export_audit

        return export_audit(factory, args.production, since=args.since, fmt=args.format)
    if args.command == "purge":
        from bot.commands_cli import purge_production

        return purge_production(factory, args.production, args.dry_run)
    if args.command == "cast":
        from bot.commands_cli import import_cast

        return import_cast(factory, settings, args.file, args.production, args.dry_run)
    if args.schedule_command == "import":
        from bot.commands_cli import import_schedule

        return import_schedule(
            factory,
            args.file,
            args.production,
            args.dry_run,
            stripboard=args.stripboard,
            date_order=args.date_order,
            as_json=args.format == "json",
        )
    from bot.commands_cli import show_schedule

    return show_schedule(
        factory, args.production, include_past=args.all, as_json=args.format == "json"
    )
