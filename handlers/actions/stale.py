"""A click on a button this version of the app no longer knows (an old message, say).

Acknowledged, so Slack does not show the click as failed, and answered kindly where possible.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.deps import Deps
from bot.worker import JobContext, tell

STALE = "This button no longer works. Type `/closedset help` to see what you can do."


def handle(ack: Ack, body: dict[str, Any], deps: Deps) -> None:
    ack()
    if body.get("response_url"):
        deps.worker.notice(say_stale, None, response_url=body["response_url"])


def say_stale(job: JobContext, payload: None) -> None:
    tell(job, STALE)
