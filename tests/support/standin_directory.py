"""The Slack stand-in's user directory: the users ``users.info``, ``users.lookupByEmail`` and
``users.list`` answer with, shaped like Slack's user objects.

:class:`Directory` is a mixin of :class:`tests.support.slack_standin.SlackStandIn`.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tests.support.standin_calls import BOT_ID, BOT_USER_ID, TEAM_ID

_TZ_LABELS = {
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "UTC": "Coordinated Universal Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
}


def tz_fields(tz: str) -> tuple[str, int]:
    """Slack's ``tz_label``/``tz_offset`` for an IANA zone, as of now."""
    try:
        now = datetime.now(ZoneInfo(tz))
    except (ZoneInfoNotFoundError, ValueError):
        return tz, 0
    offset = now.utcoffset()
    abbrev = now.tzname() or tz
    return _TZ_LABELS.get(abbrev, abbrev), int(offset.total_seconds()) if offset else 0


class Directory:
    """Users by id (a mixin: the stand-in holds ``_lock`` and ``_users``)."""

    _lock: threading.Condition
    _users: dict[str, dict[str, Any]]

    def add_user(
        self,
        id: str,
        name: str,
        real_name: str | None = None,
        display_name: str | None = None,
        email: str | None = None,
        tz: str = "Europe/London",
        is_bot: bool = False,
        deleted: bool = False,
    ) -> dict[str, Any]:
        """Add (or replace) a user in the directory; returns the Slack user object.

        The object is what ``users.info``, ``users.lookupByEmail`` and
        ``users.list`` answer with.  It is returned by reference, so a test may
        tweak it afterwards.
        """
        real = real_name if real_name is not None else name
        display = display_name if display_name is not None else ""
        tz_label, tz_offset = tz_fields(tz)
        profile: dict[str, Any] = {
            "real_name": real,
            "real_name_normalized": real,
            "display_name": display,
            "display_name_normalized": display,
            "first_name": real.split(" ")[0] if real else "",
            "last_name": " ".join(real.split(" ")[1:]) if real else "",
            "team": TEAM_ID,
        }
        if email is not None:
            profile["email"] = email
        if is_bot:
            profile["bot_id"] = BOT_ID if id == BOT_USER_ID else f"B{id[1:]}"
        user: dict[str, Any] = {
            "id": id,
            "team_id": TEAM_ID,
            "name": name,
            "deleted": deleted,
            "color": "9f69e7",
            "real_name": real,
            "tz": tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
            "is_email_confirmed": email is not None,
        }
        with self._lock:
            self._users[id] = user
        return user

    def users(self) -> list[dict[str, Any]]:
        """The user directory, in insertion order."""
        with self._lock:
            return list(self._users.values())
