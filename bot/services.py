"""What any unit of work needs, in whichever process runs it: the listener's jobs on the worker
(`bot.worker`) and the delivery dispatcher alike. Listeners get it, with the worker, as
`bot.deps.Deps`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock


@dataclass(frozen=True)
class Services:
    session_factory: sessionmaker[Session]
    clock: Clock
