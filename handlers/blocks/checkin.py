"""The coordinator's modal of a check-in round: who answered what, and when."""

from __future__ import annotations

from typing import Any

from bot.checkins import Line
from bot.delivery.messages import when
from bot.text import mrkdwn_escape
from storage.models import CheckinRound, Scene


def round_modal(round_: CheckinRound, answers: list[Line]) -> dict[str, Any]:
    zone = round_.scene.production.time_zone
    about = f"check-in {round_.number}, started {when(round_.started_at, zone)}"
    return _answers_modal("Check-in", round_.scene, about, answers)


def closure_modal(scene: Scene, answers: list[Line]) -> dict[str, Any]:
    return _answers_modal("Closure", scene, "after the scene", answers)


def _answers_modal(title: str, scene: Scene, about: str, answers: list[Line]) -> dict[str, Any]:
    """Each performer by name, with their answer and when they gave it."""
    zone = scene.production.time_zone
    blocks: list[dict[str, Any]] = [
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"*Scene {scene.number}* · {about}"}],
        }
    ]
    for line in answers[:90]:
        at = f" · {when(line.at, zone)}" if line.at else ""
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{mrkdwn_escape(line.name)}* <@{line.user_id}>\n{line.answer}{at}",
                },
            }
        )
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }
