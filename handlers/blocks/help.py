"""`/closedset help`: what the caller's roles let them do."""

from __future__ import annotations

from collections.abc import Set
from typing import Any

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from bot.text import mrkdwn_escape
from storage.models import Role

_BY_ROLE: dict[Role, tuple[str, ...]] = {
    Role.COORDINATOR: (
        "`/closedset setup`: production name, time zone, people, lead times",
        "Upload a cast list or shooting schedule (CSV, .xlsx or .uss) to me in a DM: you get a "
        "preview with Apply / Cancel",
        "`/closedset scene 42A`: intimacy, what is planned, closed set, exact start time",
        "`/closedset schedule`: upcoming scenes",
        "`/closedset status 42A`: where each performer stands for a scene (private to you)",
        "`/closedset checklist`: the boundary items performers answer",
        "`/closedset request`: post a request to departments in your own name, checked so "
        "nobody can tell which performer asked",
        "`/closedset requests`: your requests, who acknowledged them, reminders, edits",
        "`/closedset audit`: who read or changed what, and when (never what was written)",
    ),
    Role.ADMIN: (
        "`/closedset setup`: production settings and roles",
        "`/closedset audit`: who read or changed what, and when (never what was written)",
    ),
    Role.AD: ("`/closedset schedule`: upcoming scenes with their logistics",),
    Role.PERFORMER: (
        "I will message you privately before each of your intimate scenes so you can confirm "
        "or change your boundaries. Only your coordinator sees your answers.",
        "`/closedset boundaries`: review, change or withdraw your answers at any time",
        "`/closedset note`: a private note to your coordinator (only they read it)",
        "`/closedset mydata`: everything Closed Set holds about you, who read it; delete your "
        "notes or ask for the rest to be erased",
    ),
}

_ROLE_TITLES = {
    Role.COORDINATOR: "As a coordinator",
    Role.ADMIN: "As an admin",
    Role.AD: "As an assistant director",
    Role.PERFORMER: "As a performer",
}


def help_blocks(roles: Set[Role], productions: list[str]) -> list[dict[str, Any]]:
    if not roles:
        text = (
            "*Closed Set* helps an intimacy coordinator look after performers: private "
            "boundary check-ins before intimate scenes, requests to departments that never say "
            "who asked, and reminders for ADs that follow the schedule.\n\n"
            "You are not in a production yet. A coordinator starts one with "
            "`/closedset setup`; if you are a performer or AD, your coordinator adds you."
        )
        return [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()]
    where = ", ".join(mrkdwn_escape(name) for name in productions)
    blocks = [SectionBlock(text=MarkdownTextObject(text=f"*Closed Set* · {where}")).to_dict()]
    for role in (Role.COORDINATOR, Role.ADMIN, Role.AD, Role.PERFORMER):
        if role in roles:
            lines = "\n".join(f"• {line}" for line in _BY_ROLE[role])
            blocks.append(
                SectionBlock(
                    text=MarkdownTextObject(text=f"*{_ROLE_TITLES[role]}*\n{lines}")
                ).to_dict()
            )
    return blocks
