"""Work done after Slack has been answered.

Slack wants an answer within 3 seconds, and with `process_before_response=True` Bolt sends it
only when the listener returns: so listeners acknowledge first and hand the rest (queries,
Web API calls, posts to `response_url`) to the app's executor. A failure there cannot reach
Bolt's error handler, so it is handled here the same way: logged under a reference, and the
user told that reference (or, for a refusal, why) through `respond`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from slack_bolt import Respond

from bot.access import Refusal
from bot.deps import Deps

log = logging.getLogger(__name__)


def after_ack(deps: Deps, work: Callable[[], None], *, respond: Respond | None) -> None:
    """Run `work` in the background; never lose its failure."""

    def task() -> None:
        try:
            work()
        except Refusal as refusal:
            _tell(respond, str(refusal))
        except Exception as error:
            ref = uuid.uuid4().hex[:8]
            log.error(
                "background work failed (ref %s, %s)", ref, type(error).__name__, exc_info=error
            )
            _tell(
                respond,
                f"Sorry, something went wrong on our side (ref {ref}). Please try again; if "
                "it keeps happening, give this reference to your admin.",
            )

    deps.background.submit(task)


def _tell(respond: Respond | None, text: str) -> None:
    if respond is None:
        return
    try:
        respond(text=text, response_type="ephemeral", replace_original=False)
    except Exception as error:
        log.warning("could not tell the user (%s)", type(error).__name__)
