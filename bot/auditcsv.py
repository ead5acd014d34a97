"""Audit events written out for `closedset audit export`: CSV or JSON Lines, one event a row.

A row holds ids, an action code, a scene number and a time — never content. Values that come
from people (a scene number from a schedule file, a production's name) can still be formulas
to a spreadsheet: following OWASP's "CSV Injection" guidance
(https://owasp.org/www-community/attacks/CSV_Injection), a CSV value beginning with `=`, `+`,
`-`, `@`, a tab or a carriage return gets a single quote in front, and every value is quoted
(embedded quotes doubled, as RFC 4180 has it). JSON Lines is left as it is: no spreadsheet
reads it as formulas, and a script wants the values unchanged.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from typing import TextIO

FIELDS = ("at", "production", "actor", "action", "scene", "subject", "person")
"""`at`: ISO 8601 in UTC; `actor`: a Slack user id (or `cli`, `app`); `scene`: the number of
the scene the event is about; `subject`: what it names (`scene:42A`, `request:12` ...);
`person`: the performer it is about (whose answers or note were read), if any."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """`value` as a spreadsheet shows it as text, never runs it."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def write_csv(rows: Iterable[Mapping[str, str]], out: TextIO, *, header: bool = True) -> None:
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    if header:
        writer.writerow(FIELDS)
    for row in rows:
        writer.writerow([neutralise(row.get(field, "")) for field in FIELDS])


def write_jsonl(rows: Iterable[Mapping[str, str]], out: TextIO) -> None:
    for row in rows:
        out.write(json.dumps({f: row.get(f, "") for f in FIELDS}, ensure_ascii=False) + "\n")
