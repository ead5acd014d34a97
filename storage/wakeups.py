""" "Something is due now", from a web process to delivery processes, through PostgreSQL.

When `serve --no-deliver` plans a message for now (a check-in, a pause, an answer's notice), the
`deliver` processes should not wait for their next sweep: the web process sends a PostgreSQL
`NOTIFY` on `CHANNEL`, and each delivery process, listening on a connection of its own, looks
for due rows at once. A missed notification costs only time: the sweep still finds the rows.

SQLite has no such thing; one SQLite database is served by one process, which delivers itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

CHANNEL = "closedset_due"


def can_notify(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def notify_due(engine: Engine) -> None:
    """Tell every listening delivery process to look for due rows now (best effort)."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
            connection.commit()
    except Exception as error:
        log.warning("could not notify the delivery processes (%s)", type(error).__name__)


class DueListener:
    """Calls `on_due` for every notification on `CHANNEL`, on a thread of its own, with a
    connection of its own (reconnecting after a second if it drops), until `stop()`."""

    POLL_SECONDS = 1.0

    def __init__(self, engine: Engine, on_due: Callable[[], object]) -> None:
        url = engine.url.set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._on_due = on_due
        self._stopped = threading.Event()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name="due-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wait_listening(self, timeout: float) -> bool:
        """Whether the listener is connected and listening (for tests and start-up)."""
        return self._listening.wait(timeout)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(self.POLL_SECONDS * 3)

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    log.info("listening for delivery wake-ups")
                    while not self._stopped.is_set():
                        if any(True for _ in connection.notifies(timeout=self.POLL_SECONDS)):
                            self._on_due()
            except psycopg.Error as error:
                self._listening.clear()
                log.warning("delivery wake-ups: connection lost (%s)", type(error).__name__)
                self._stopped.wait(1)
            except Exception as error:
                log.error("delivery wake-up failed (%s)", type(error).__name__, exc_info=error)
                self._stopped.wait(1)
