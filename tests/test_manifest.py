"""manifest.json creates the app the code expects: its command, events and the least scopes."""

from __future__ import annotations

import json
from pathlib import Path

MANIFEST = json.loads((Path(__file__).parents[1] / "manifest.json").read_text())

# Web API methods the app calls, and the bot scope each needs (docs.slack.dev/reference).
SCOPE_OF = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "files.info": "files:read",
    "users.info": "users:read",
    "users.list": "users:read",
    "users.lookupByEmail": "users:read.email",
}


def test_command_interactivity_and_home() -> None:
    (command,) = MANIFEST["features"]["slash_commands"]
    assert command["command"] == "/closedset"
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert MANIFEST["settings"]["socket_mode_enabled"] is True


def test_scopes_are_exactly_what_the_app_uses() -> None:
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    # commands for the slash command; im:history to receive message.im (files shared in DMs);
    # chat:write.public to post requests to public department channels without joining them
    assert scopes == set(SCOPE_OF.values()) | {"commands", "im:history", "chat:write.public"}


def test_events_are_the_ones_handled() -> None:
    assert MANIFEST["settings"]["event_subscriptions"]["bot_events"] == [
        "app_home_opened",
        "message.im",
        "app_uninstalled",  # erase the workspace's data
        "tokens_revoked",
    ]
