"""The coordinator's modal of a check-in round: who answered what, and when."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.checkins import Line
from bot.text import mrkdwn_escape
from handlers.blocks.messages import context, section, when
from storage.models import CheckinRound, Scene


def round_modal(round_: CheckinRound, answers: list[Line]) -> dict[str, Any]:
    zone = round_.scene.production.time_zone
    about = f"check-in {round_.number}, started {when(round_.started_at, zone)}"
    return _answers_modal("Check-in", round_.scene, about, answers)


def closure_modal(scene: Scene, answers: list[Line]) -> dict[str, Any]:
    return _answers_modal("Closure", scene, "after the scene", answers)


def _answers_modal(title: str, scene: Scene, about: str, answers: list[Line]) -> dict[str, Any]:
    """Each performer by name, with their answer and when they gave it (at most 90: a modal
    holds 100 blocks)."""
    zone = scene.production.time_zone
    blocks: list[Block] = [context(f"*Scene {scene.number}* · {about}")]
    for line in answers[:90]:
        at = f" · {when(line.at, zone)}" if line.at else ""
        blocks.append(section(f"*{mrkdwn_escape(line.name)}* <@{line.user_id}>\n{line.answer}{at}"))
    return View(
        type="modal",
        title=title,
        close="Close",
        blocks=blocks,
    ).to_dict()
