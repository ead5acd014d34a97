"""Turning the Slack reference of each cast-list row into a Slack user, through the Web API:
`users.info` for IDs, `users.lookupByEmail` for emails, `users.list` (once) for @handles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.cast.csv_format import CastRow
from bot.cast.resolve import RosterEntry
from bot.problems import InputRejected, Problem
from bot.text import fold

SLACK_COLUMN = "Slack"


@dataclass
class _Directory:
    """The workspace's members by handle, fetched on first need."""

    client: WebClient
    _by_handle: dict[str, list[dict[str, Any]]] | None = None

    def by_handle(self, handle: str) -> list[dict[str, Any]]:
        if self._by_handle is None:
            self._by_handle = {}
            for page in self.client.users_list(limit=200):
                for user in page.get("members", []):
                    profile = user.get("profile", {})
                    names = {user.get("name"), profile.get("display_name")}
                    for name in names - {None, ""}:
                        self._by_handle.setdefault(fold(str(name)), []).append(user)
        return self._by_handle.get(fold(handle.lstrip("@")), [])


def _usable(user: dict[str, Any], row: CastRow) -> Problem | None:
    if user.get("deleted"):
        return Problem(
            f"the Slack account for '{row.slack_ref}' is deactivated", row.row, SLACK_COLUMN
        )
    if user.get("is_bot"):
        return Problem(f"'{row.slack_ref}' is a bot, not a person", row.row, SLACK_COLUMN)
    return None


def _find(client: WebClient, directory: _Directory, row: CastRow) -> dict[str, Any] | Problem:
    ref = row.slack_ref
    try:
        if "@" in ref and not ref.startswith("@"):
            return dict(client.users_lookupByEmail(email=ref)["user"])
        if ref.startswith("@"):
            matches = directory.by_handle(ref)
            if len(matches) == 1:
                return matches[0]
            if not matches:
                return Problem(
                    f"nobody in this workspace has the handle {ref}", row.row, SLACK_COLUMN
                )
            return Problem(
                f"{len(matches)} people answer to {ref}; use their email or member ID",
                row.row,
                SLACK_COLUMN,
            )
        return dict(client.users_info(user=ref)["user"])
    except SlackApiError as error:
        code = error.response.get("error", "")
        if code in ("users_not_found", "user_not_found"):
            return Problem(f"no Slack user found for '{ref}'", row.row, SLACK_COLUMN)
        raise


def resolve_cast_rows(client: WebClient, rows: Sequence[CastRow]) -> list[RosterEntry]:
    """Look every row up in Slack; raise InputRejected listing every row that fails."""
    directory = _Directory(client)
    entries: list[RosterEntry] = []
    problems: list[Problem] = []
    for row in rows:
        if not row.slack_ref:  # not on Slack: kept, never looked up
            entries.append(RosterEntry(row.cast_number, row.character, row.performer_name, None))
            continue
        found = _find(client, directory, row)
        if isinstance(found, Problem):
            problems.append(found)
            continue
        problem = _usable(found, row)
        if problem:
            problems.append(problem)
            continue
        profile = found.get("profile", {})
        entries.append(
            RosterEntry(
                cast_number=row.cast_number,
                character=row.character,
                performer_name=row.performer_name,
                slack_user_id=str(found["id"]),
                slack_handle=found.get("name"),
                email=profile.get("email"),
                real_name=found.get("real_name") or profile.get("real_name"),
                display_name=profile.get("display_name"),
            )
        )
    if problems:
        raise InputRejected(problems)
    return entries
