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


DISTRIBUTED = json.loads(
    (Path(__file__).parents[1] / "docs" / "manifest-distributed.json").read_text()
)
"""The manifest for "Add to Slack" (README: Distributing to several workspaces)."""


def test_the_usage_hint_names_only_subcommands_that_exist() -> None:
    from handlers.commands import SUBCOMMANDS

    (command,) = MANIFEST["features"]["slash_commands"]
    words = {part.split()[0] for part in command["usage_hint"].split("|")}
    assert words <= set(SUBCOMMANDS)
    assert {"help", "setup", "mydata", "audit"} <= words


def test_the_distributed_manifest_is_the_same_app_over_https_with_oauth() -> None:
    from bot.app import REDIRECT_PATH

    settings = DISTRIBUTED["settings"]
    assert settings["socket_mode_enabled"] is False  # installs need HTTP
    assert settings["token_rotation_enabled"] is True  # tokens refreshed by the app
    (redirect,) = DISTRIBUTED["oauth_config"]["redirect_urls"]
    assert redirect.startswith("https://") and redirect.endswith(REDIRECT_PATH)
    for url in (
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        DISTRIBUTED["features"]["slash_commands"][0]["url"],
    ):
        assert url.startswith("https://") and url.endswith("/slack/events")

    # Everything else is manifest.json's: the same command, scopes, events and Home.
    def without_distribution(manifest: dict[str, object]) -> str:
        copy = json.loads(json.dumps(manifest))
        copy["features"]["slash_commands"][0].pop("url", None)
        copy["oauth_config"].pop("redirect_urls", None)
        copy["settings"]["event_subscriptions"].pop("request_url", None)
        copy["settings"]["interactivity"].pop("request_url", None)
        for key in ("socket_mode_enabled", "token_rotation_enabled"):
            copy["settings"].pop(key)
        return json.dumps(copy, sort_keys=True)

    assert without_distribution(DISTRIBUTED) == without_distribution(MANIFEST)
