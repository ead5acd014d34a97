"""Messages in the bot's DMs. A file shared there is a cast list or schedule to import; text
typed there is not kept (see `typed_text_notice`)."""

from __future__ import annotations

from typing import Any

from bot.deps import Deps
from bot.worker import JobContext
from handlers.blocks.messages import typed_text_message
from handlers.defer import after
from handlers.uploads import Upload, process
from storage.db import insert_once, session_scope
from storage.models import DmNotice


def handle(event: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    if event.get("channel_type") != "im":
        return
    if event.get("subtype") is None and event.get("user") and not event.get("bot_id"):
        # Text typed to the bot: never stored or logged. Say once why, and offer the note.
        who = {"team_id": body.get("team_id") or event.get("team", ""), "user_id": event["user"]}
        after(deps, typed_text_notice, who)
        return
    if event.get("subtype") != "file_share":
        return
    files = event.get("files") or []
    if not files:
        return
    upload = Upload(
        team_id=body.get("team_id") or event.get("team", ""),
        user_id=event["user"],
        channel_id=event["channel"],
        file_id=files[0]["id"],
        text=event.get("text") or "",
    )
    # Fetching and parsing can take longer than Slack's 3 seconds: acknowledge now.
    after(deps, process, upload)


def typed_text_notice(job: JobContext, who: dict[str, str]) -> None:
    """Once per person: why text typed to the bot is not kept, and the note button."""
    with session_scope(job.services.session_factory) as session:
        first = insert_once(
            session,
            DmNotice,
            team_id=who["team_id"],
            user_id=who["user_id"],
            at=job.services.clock.now(),
        )
    if not first:
        return  # told before
    out = typed_text_message()
    job.client.chat_postMessage(channel=who["user_id"], text=out.text, blocks=out.blocks)
