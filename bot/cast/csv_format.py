"""Cast lists as CSV: one row per cast number, linking it to a performer's Slack account.

Columns are found by header (any order, case-insensitive; extra columns are ignored):

- cast number (required): Cast #, Cast Number, Cast No, Cast ID, #, No., Number, ID
- character: Character, Role, Character Name
- performer name (required): Performer, Actor, Name, Performer Name, Actor Name, Cast Member
- Slack account (the column is required; a cell may be empty): Slack, Slack ID, Slack User,
  Email, Slack Handle, Handle, User

The Slack account is checked only for its form here (a user ID such as U0123ABCD, a mention
`<@U0123ABCD>`, an email or an @handle); whether it names a member of the workspace is decided
later, against Slack. It may be left empty (or say `-`, `n/a`, `none`, `not on Slack`) for
someone who is not on Slack (a child, a day player, background): they are never asked in
Slack, and each of their intimate scenes becomes a to-do for the coordinator. One performer
may hold several cast numbers (doubling), but a cast number may appear only once. Every
problem is reported at once (`InputRejected`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.csvread import Column, Record, Sheet, read_sheet
from bot.problems import InputRejected, Problem

COLUMNS = (
    Column(
        "number",
        "cast number",
        ("Cast #", "Cast Number", "Cast No", "Cast ID", "#", "No.", "Number", "ID"),
        required=True,
    ),
    Column("character", "character", ("Character", "Role", "Character Name")),
    Column(
        "performer",
        "performer name",
        ("Performer", "Actor", "Name", "Performer Name", "Actor Name", "Cast Member"),
        required=True,
    ),
    Column(
        "slack",
        "Slack account",
        ("Slack", "Slack ID", "Slack User", "Email", "Slack Handle", "Handle", "User"),
        required=True,
    ),
)

_USER_ID = re.compile(r"[UW][A-Z0-9]{8,}")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>.]+")
_HANDLE = re.compile(r"@[\w.\-]+")
_SLACK_HELP = "expected a Slack user ID like U0123ABCD, an email or an @handle"


_NOT_ON_SLACK = re.compile(r"-+|—|n/?a|none|no slack|not on slack|no account", re.IGNORECASE)


@dataclass(frozen=True)
class CastRow:
    """One row of a cast list. `slack_ref` is a user ID, an email or an @handle, unresolved;
    empty for someone not on Slack."""

    cast_number: str
    character: str
    performer_name: str
    slack_ref: str
    row: int


def parse_cast_csv(text: str) -> list[CastRow]:
    """Read a cast CSV. Raises `InputRejected` with every problem found; nothing partial."""
    sheet = read_sheet(text, COLUMNS, rows_noun="cast members")
    problems = list(sheet.problems)
    seen: dict[str, int] = {}
    rows: list[CastRow] = []
    for record in sheet.records:
        row = _cast_row(sheet, record, seen, problems)
        if row is not None:
            rows.append(row)
    if problems:
        raise InputRejected(sorted(problems, key=lambda p: p.row or 0))
    return rows


def normalize_slack_ref(text: str) -> str:
    """A mention `<@U0123ABCD>` becomes the ID; an ID, email or @handle is kept as written.

    Raises ValueError when the text is none of these.
    """
    value = text.strip()
    if mention := _MENTION.fullmatch(value):
        return mention.group(1)
    if _USER_ID.fullmatch(value) or _EMAIL.fullmatch(value) or _HANDLE.fullmatch(value):
        return value
    raise ValueError(f"'{value}' is not a Slack account: {_SLACK_HELP}.")


def _cast_number_key(number: str) -> str:
    """Compare cast numbers ignoring case and leading zeros: `01` and `1` are one number."""
    return str(int(number)) if number.isdigit() else number.upper()


def _cast_row(
    sheet: Sheet, record: Record, seen: dict[str, int], problems: list[Problem]
) -> CastRow | None:
    """One row, or None after adding to `problems` what is wrong with it."""
    count = len(problems)
    number = sheet.value(record, "number").removeprefix("#").strip()
    performer = sheet.value(record, "performer")
    slack_cell = sheet.value(record, "slack")

    def report(message: str, key: str) -> None:
        problems.append(Problem(message, row=record.row, column=sheet.header(key)))

    if not number:
        report("The cast number is missing.", "number")
    else:
        first = seen.setdefault(_cast_number_key(number), record.row)
        if first != record.row:
            report(f"Cast number {number} is also on row {first}.", "number")
    if not performer:
        report("The performer name is missing.", "performer")
    slack_ref = ""
    if slack_cell and not _NOT_ON_SLACK.fullmatch(slack_cell.strip()):
        try:
            slack_ref = normalize_slack_ref(slack_cell)
        except ValueError as exc:
            report(str(exc), "slack")
    if len(problems) > count:
        return None
    return CastRow(
        cast_number=number,
        character=sheet.value(record, "character"),
        performer_name=performer,
        slack_ref=slack_ref,
        row=record.row,
    )
