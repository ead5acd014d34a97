"""What listeners and background jobs need besides the request.

`Services` (defined in `bot.services`, below the worker) is what any unit of work needs, in
whichever process runs it. `Deps` adds the worker that runs jobs after Slack has been
answered; middleware puts it on Bolt's context, so a listener declares a `deps` parameter and
gets it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.services import Services

if TYPE_CHECKING:
    from bot.worker import Worker

__all__ = ["Deps", "Services"]


@dataclass(frozen=True)
class Deps(Services):
    worker: Worker
