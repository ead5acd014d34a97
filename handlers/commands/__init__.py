"""`/closedset SUBCOMMAND ...`: one Slack command, routed by its first word."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.access import Refusal
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


def dispatch(ack: Ack, command: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """Run the subcommand in one database transaction (rolled back on a refusal)."""
    word, _, rest = (command.get("text") or "").strip().partition(" ")
    handler = SUBCOMMANDS.get(word.lower() or "help")
    if handler is None:
        ack(
            text=f"I don't know `{word[:30]}`. Try `/closedset help` for what you can do.",
            response_type="ephemeral",
        )
        return
    try:
        with session_scope(deps.session_factory) as db_session:
            handler(
                ack=ack,
                command=command,
                args=rest.strip(),
                client=client,
                db_session=db_session,
                deps=deps,
            )
    except Refusal as refusal:
        ack(text=str(refusal), response_type="ephemeral")


def register(app: App) -> None:
    app.command(Command.SLASH)(dispatch)
