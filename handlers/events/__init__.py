"""Events API listeners."""

from __future__ import annotations

from slack_bolt import App

from handlers.events import home, message, uninstall


def register(app: App) -> None:
    app.event("message")(message.handle)
    app.event("app_home_opened")(home.opened)
    app.event("app_uninstalled")(uninstall.uninstalled)
    app.event("tokens_revoked")(uninstall.tokens_revoked)
