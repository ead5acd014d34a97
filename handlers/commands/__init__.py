"""`/closedset SUBCOMMAND ...`: one Slack command, routed by its first word.

Slack is answered at once (an empty acknowledgement); the subcommand then runs in the
background in one database transaction and answers through `respond` (ephemeral messages)
or `client.views_open` (modals; a trigger stays valid for 3 seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.background import after_ack
from bot.deps import Deps
from bot.ids import Command
from handlers.commands import help, scene, schedule, setup
from storage.db import session_scope

Subcommand = Callable[..., None]

SUBCOMMANDS: dict[str, Subcommand] = {
    "help": help.run,
    "setup": setup.run,
    "schedule": schedule.run,
    "scene": scene.run,
}


def dispatch(
    ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    word, _, rest = (command.get("text") or "").strip().partition(" ")
    handler = SUBCOMMANDS.get(word.lower() or "help")
    if handler is None:
        ack(
            text=f"I don't know `{word[:30]}`. Try `/closedset help` for what you can do.",
            response_type="ephemeral",
        )
        return
    ack()

    def work() -> None:
        with session_scope(deps.session_factory) as db_session:
            handler(
                command=command,
                args=rest.strip(),
                client=client,
                respond=respond,
                db_session=db_session,
                deps=deps,
            )

    after_ack(deps, work, respond=respond)


def register(app: App) -> None:
    app.command(Command.SLASH)(dispatch)
