"""What every listener may need besides the request: put on Bolt's context by middleware,
so a listener declares `deps` (or `db_session`) as a parameter and gets it."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock


@dataclass(frozen=True)
class Deps:
    session_factory: sessionmaker[Session]
    clock: Clock
    background: Executor  # work that must not hold up Slack's 3-second acknowledgement
