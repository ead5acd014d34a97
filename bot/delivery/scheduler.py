"""APScheduler drives the dispatcher: a wake-up at the next due row, and a periodic sweep.

The database is the schedule: APScheduler holds no state worth keeping (its job store is in
memory) and only decides *when* to look. The wake-up is re-armed after every pass at the
earliest waiting row; `wake()` runs a pass at once (after something was planned for now) and
the sweep, every `sweep_seconds`, picks up what other instances planned, takes over the claims
of instances that died, and refreshes this instance's heartbeat. Every hour the retention purge
looks whether today's run is still to do (`storage.purge.purge_daily`: once a day across
instances, by the injected clock).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from bot.delivery.dispatch import Dispatcher
from storage import purge
from storage.db import session_scope

log = logging.getLogger(__name__)

WAKE = "wake"
SWEEP = "sweep"
TIDY = "tidy"
HEARTBEAT = "heartbeat"
PURGE = "purge"


class DeliveryScheduler:
    def __init__(self, dispatcher: Dispatcher, *, sweep_seconds: float = 5.0) -> None:
        self.dispatcher = dispatcher
        self.sweep_seconds = sweep_seconds
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self._arm_lock = threading.Lock()
        self._stopping = False

    def start(self) -> None:
        self._scheduler.start()
        self._scheduler.add_job(
            self._sweep,
            "interval",
            seconds=self.sweep_seconds,
            id=SWEEP,
            next_run_time=datetime.now(UTC),  # at once: rows due while we were down
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        self._scheduler.add_job(
            self._tidy, "interval", hours=1, id=TIDY, max_instances=1, coalesce=True
        )
        self._scheduler.add_job(
            self._purge,
            "interval",
            hours=1,
            id=PURGE,
            next_run_time=datetime.now(UTC),  # a day missed while down is done at start
            max_instances=1,
            coalesce=True,
        )
        # Separate from the sweep, which may be busy sending for longer than STALE_AFTER.
        self._scheduler.add_job(
            self._heartbeat,
            "interval",
            seconds=min(self.sweep_seconds, 5.0),
            id=HEARTBEAT,
            max_instances=1,
            coalesce=True,
        )

    def _heartbeat(self) -> None:
        try:
            self.dispatcher.heartbeat()
        except Exception as error:
            log.error("heartbeat failed (%s)", type(error).__name__, exc_info=error)

    def _tidy(self) -> None:
        try:
            self.dispatcher.tidy()
        except Exception as error:
            log.error("tidying failed (%s)", type(error).__name__, exc_info=error)

    def _purge(self) -> None:
        try:
            self.purge()
        except Exception as error:
            log.error("retention purge failed (%s)", type(error).__name__, exc_info=error)

    def purge(self) -> list[purge.Purged] | None:
        """Today's retention purge, unless another instance ran it or runs it now (None)."""
        services = self.dispatcher.services
        with session_scope(services.session_factory) as session:
            done = purge.purge_daily(
                session, now=services.clock.now(), instance=self.dispatcher.instance
            )
        if done:
            with services.session_factory() as session:
                purge.checkpoint(session)
            log.info(
                "retention purge: %d production(s), %d item(s)",
                len(done),
                sum(p.total for p in done),
            )
        return done

    def shutdown(self) -> None:
        # APScheduler's shutdown holds its job store lock while it waits for running jobs, and
        # a pass ends by arming the next wake-up (`add_job` takes that lock): stop arming
        # first, or a shutdown during a pass never returns.
        with self._arm_lock:
            self._stopping = True
        self.dispatcher.stop()  # a pass under way ends after its batch
        self._scheduler.shutdown(wait=True)
        self.dispatcher.close()

    def wake(self) -> None:
        """Look for due rows now (something was just planned)."""
        self._arm(datetime.now(UTC))

    def _sweep(self) -> None:
        try:
            self.dispatcher.sweep()
        except Exception as error:
            log.error("delivery sweep failed (%s)", type(error).__name__, exc_info=error)
        self._rearm()

    def _run(self) -> None:
        try:
            self.dispatcher.run_due()
        except Exception as error:
            log.error("delivery pass failed (%s)", type(error).__name__, exc_info=error)
        self._rearm()

    def _rearm(self) -> None:
        try:
            due = self.dispatcher.next_due()
        except Exception as error:
            log.error("could not read the next due delivery (%s)", type(error).__name__)
            return
        if due is not None:
            self._arm(due)

    def _arm(self, at: datetime) -> None:
        with self._arm_lock:
            if self._stopping:
                return
            try:
                self._scheduler.add_job(
                    self._run,
                    "date",
                    run_date=max(at, datetime.now(UTC)),
                    id=WAKE,
                    replace_existing=True,
                    misfire_grace_time=None,
                    coalesce=True,
                    # A pass arms the next wake-up before it returns: with 1, a row that fell
                    # due meanwhile fires while the pass still counts as running, APScheduler
                    # skips (and drops) that one-off run, and the row waits for the sweep.
                    # Passes still run one at a time (`Dispatcher.run_due` holds a lock).
                    max_instances=2,
                )
            except Exception as error:  # shutting down
                log.debug("could not arm the wake-up (%s)", type(error).__name__)
