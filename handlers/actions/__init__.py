"""Button clicks."""

from __future__ import annotations

import re

from slack_bolt import App

from bot.ids import ImportAction, ScheduleAction
from handlers.actions import import_decision, schedule_page, stale


def register(app: App) -> None:
    app.action(ImportAction.APPLY)(import_decision.apply)
    app.action(ImportAction.CANCEL)(import_decision.cancel)
    app.action(re.compile(f"^{ScheduleAction.PAGE}_"))(schedule_page.handle)
    # Last: any other action id (Bolt tries listeners in order) is acknowledged, not a 404.
    app.action(re.compile(".*"))(stale.handle)
