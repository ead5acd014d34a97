"""A click on a button this version of the app no longer knows (an old message, say).

Acknowledged, so Slack does not show the click as failed, and answered kindly where possible.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond


def handle(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    ack()
    if body.get("response_url"):
        respond(
            text="This button no longer works. Type `/closedset help` to see what you can do.",
            response_type="ephemeral",
            replace_original=False,
        )
