"""The coordinator's modal of a check-in round: who answered what, and when."""

from __future__ import annotations

from typing import Any

from bot.checkins import Line
from bot.delivery.messages import when
from bot.depersonalize import escape_user_text
from storage.models import CheckinRound, Scene


def round_modal(round_: CheckinRound, answers: list[Line]) -> dict[str, Any]:
    zone = round_.scene.production.time_zone
    blocks: list[dict[str, Any]] = [
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"*Scene {round_.scene.number}* · check-in {round_.number}, started "
                    f"{when(round_.started_at, zone)}",
                }
            ],
        }
    ]
    for line in answers[:90]:
        at = f" · {when(line.at, zone)}" if line.at else ""
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{escape_user_text(line.name, allow_channel_ping=False)}* "
                    f"<@{line.user_id}>\n{line.answer}{at}",
                },
            }
        )
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Check-in"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }


def closure_modal(scene: Scene, answers: list[Line]) -> dict[str, Any]:
    zone = scene.production.time_zone
    blocks: list[dict[str, Any]] = [
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"*Scene {scene.number}* · after the scene"}],
        }
    ]
    for line in answers[:90]:
        at = f" · {when(line.at, zone)}" if line.at else ""
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{escape_user_text(line.name, allow_channel_ping=False)}* "
                    f"<@{line.user_id}>\n{line.answer}{at}",
                },
            }
        )
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Closure"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }
