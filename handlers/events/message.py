"""Messages in the bot's DMs. A file shared there is a cast list or schedule to import."""

from __future__ import annotations

from typing import Any

from bot.deps import Deps
from bot.uploads import Upload, process


def handle(event: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    if event.get("channel_type") != "im" or event.get("subtype") != "file_share":
        return  # other messages are not ours to handle (yet)
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
    deps.worker.submit(process, upload, response_url=None)
