"""What listeners and background jobs need besides the request.

`Services` is what any unit of work needs, in whichever process runs it. `Deps` adds the
worker that runs jobs after Slack has been answered; middleware puts it on Bolt's context, so
a listener declares a `deps` parameter and gets it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock

if TYPE_CHECKING:
    from bot.worker import Worker


@dataclass(frozen=True)
class Services:
    session_factory: sessionmaker[Session]
    clock: Clock


@dataclass(frozen=True)
class Deps(Services):
    worker: Worker
