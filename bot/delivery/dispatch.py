"""Sending due deliveries: claim, send, record — once each, never dropped.

`Dispatcher.run_due()` claims due rows in batches (see `storage.deliveries` for how a claim
stays exclusive across instances) and sends each batch concurrently on a thread pool, one
recipient's messages one after another. Every post waits for its turn at its client's pacer
(`bot.ratelimit`: Slack's published limits per method, per channel and per workspace), so a
fan-out goes out as fast as Slack allows, not faster, and without being refused. DMs are
posted to the user ID itself, which Slack delivers to the app's DM with that user: no
`conversations.open` first.

Retries live here, and only here: the engine posts through a copy of its client without retry
handlers (`bot.ratelimit.single_attempt`), so each try is one HTTP attempt, and a failed try
puts the row back with a time to try again. (With the Web API client retrying 5xx as well,
the attempts multiplied: up to 16 HTTP attempts for one message through a 60 s outage, against
6 now; `bench.delivery_fanout --outage-seconds 60`.)

Outcomes:
- sent: the row records the channel and `ts` (so it can be updated in place later);
- Slack asks to wait (429): every sender of the process holds the method until `Retry-After`
  (the pacer), and the row goes back to PLANNED with `not_before` at `Retry-After`;
- Slack fails (5xx) or cannot be reached: the row goes back to PLANNED with `not_before` after
  `Retry-After` if Slack sent one, else after a backoff doubling from 2 s (2, 4, 8, 16, 32 s ...
  capped at 5 min), and is tried again until it expires;
- Slack refuses for good (the user left, the channel is gone): the row is FAILED and every
  coordinator of the production is told privately (an UNDELIVERABLE message with a View
  button) — as is a message that could not be delivered before it stopped being useful;
- no longer useful when due (the scene started, changed or was removed, the performer already
  answered): SKIPPED, with the reason.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.delivery import content
from bot.delivery.content import Content, Outgoing
from bot.delivery.kinds import ASKING_KINDS
from bot.deps import Services
from bot.installations import TokenUnavailable, Workspaces
from bot.ratelimit import PacedWebClient, Stopped, retry_after, single_attempt
from storage import audit, deliveries, housekeeping
from storage.db import session_scope
from storage.models import (
    CheckinRound,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Production,
    RequestPost,
    Role,
)
from storage.productions import members_with

log = logging.getLogger(__name__)

TRANSIENT_ERRORS = frozenset(
    {
        "ratelimited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
    }
)
"""Logical errors worth retrying: Slack's own trouble, or our token (fixable by an admin)."""

BACKOFF_START = timedelta(seconds=2)
BACKOFF_CAP = timedelta(minutes=5)
"""A try that failed for Slack's trouble waits 2 s, then 4, 8 ... (at most 5 min): through a
60 s outage a message is tried 6 times (at 0, 2, 6, 14, 30 and 62 s), and after a longer one
it goes at the next try, at most 5 min after Slack is back."""
GIVE_UP_AFTER = timedelta(hours=24)
"""A message with no natural expiry (a notification to a coordinator) is retried this long."""

CHANNEL_KINDS = (DeliveryKind.REQUEST, DeliveryKind.AD_REMINDER, DeliveryKind.DIGEST)
"""What may be posted to a channel (a request, an AD reminder, the digest): audited when it is."""

PERFORMER_KINDS = (
    DeliveryKind.PROMPT,
    DeliveryKind.NUDGE,
    DeliveryKind.LAPSED,
    DeliveryKind.REMOVED,
)


@dataclass(frozen=True)
class Result:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0

    def __add__(self, other: Result) -> Result:
        return Result(
            self.sent + other.sent,
            self.retried + other.retried,
            self.failed + other.failed,
            self.skipped + other.skipped,
        )


class Dispatcher:
    """Sends due rows through `client`'s endpoint and token, paced, one HTTP attempt per try
    (the client's own retry handlers are dropped: see the module docstring)."""

    def __init__(
        self,
        services: Services,
        client: WebClient,
        *,
        render: Callable[[Content], Outgoing],
        instance: str | None = None,
        batch: int = 200,
        threads: int = 16,
        workspaces: Workspaces | None = None,
    ) -> None:
        self.services = services
        self.workspaces = workspaces
        """Serving several workspaces: each row goes out with its workspace's token; a row
        of a workspace the app is no longer installed in is dropped (SKIPPED, "uninstalled")."""
        self._copies: dict[str, PacedWebClient] = {}
        self.render = render
        """Turns what a row is about into its message (`handlers.blocks.messages.render`,
        handed in by the serving layer: the engine does not import handlers)."""
        self.instance = instance or deliveries.new_instance_id()
        self.batch = batch
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="deliver")
        self._lock = threading.Lock()
        self._lock_copies = threading.Lock()
        self._stopping = threading.Event()
        self.client = single_attempt(client)
        self.client.stop = self._stopping  # a post still waiting for its turn is not sent
        self.after_send: Callable[[int], None] | None = None
        """Called with a row's id once it is recorded sent (tests and benchmarks watch it)."""

    def stop(self) -> None:
        """Claim nothing more, and send nothing more: the posts under way are finished and
        recorded, the rest of the batch (paced, it could take minutes) is put back as it was,
        for the next start or another instance."""
        self._stopping.set()
        self.client.pacer.wake()
        for copy in list(self._copies.values()):
            copy.pacer.wake()

    def close(self) -> None:
        self.stop()
        self._pool.shutdown(wait=True)

    def _now(self) -> datetime:
        return self.services.clock.now()

    def heartbeat(self) -> None:
        """Say this instance is alive (its claims stand). Done before every batch it claims and
        by the scheduler every few seconds, also while a long pass is sending."""
        with session_scope(self.services.session_factory) as session:
            deliveries.heartbeat(session, instance=self.instance, now=self._now())

    def sweep(self) -> Result:
        """The periodic pass: take over the claims of instances that are gone, then send
        whatever is due."""
        self.heartbeat()
        with session_scope(self.services.session_factory) as session:
            taken = deliveries.take_over(session, instance=self.instance, now=self._now())
        if taken:
            log.warning("took over %d delivery(ies) claimed by an instance that is gone", taken)
        return self.run_due()

    def tidy(self) -> None:
        with session_scope(self.services.session_factory) as session:
            gone = housekeeping.tidy(session, now=self._now())
        if gone:
            log.info("tidied %d old row(s)", gone)

    def run_due(self) -> Result:
        """Send every row due now, batch after batch, until none is left."""
        total = Result()
        with self._lock:
            while not self._stopping.is_set():
                self.heartbeat()
                with session_scope(self.services.session_factory) as session:
                    claimed = deliveries.claim_due(
                        session, instance=self.instance, now=self._now(), limit=self.batch
                    )
                    recipients = dict(
                        session.execute(
                            select(Delivery.id, Delivery.recipient).where(
                                Delivery.id.in_([c.id for c in claimed])
                            )
                        ).all()
                    )
                if not claimed:
                    return total
                # One recipient's messages go one after another (Slack paces each channel);
                # different recipients go at once.
                by_recipient: dict[str, list[int]] = defaultdict(list)
                for row in claimed:
                    by_recipient[recipients[row.id]].append(row.id)
                for result in self._pool.map(self._deliver_all, by_recipient.values()):
                    total += result
        return total

    def next_due(self) -> datetime | None:
        with session_scope(self.services.session_factory) as session:
            return deliveries.next_due(session)

    def _deliver_all(self, ids: Sequence[int]) -> Result:
        total = Result()
        for n, delivery_id in enumerate(ids):
            if self._stopping.is_set():
                self._release(ids[n:])
                break
            try:
                total += self._deliver(delivery_id)
            except Exception as error:  # a bug must not stop the other rows
                log.error(
                    "delivery %s failed unexpectedly (%s)",
                    delivery_id,
                    type(error).__name__,
                    exc_info=error,
                )
                self._retry(delivery_id, error="internal", wait=None)
                total += Result(retried=1)
        return total

    def _deliver(self, delivery_id: int) -> Result:
        now = self._now()
        with session_scope(self.services.session_factory) as session:
            row = session.get(Delivery, delivery_id)
            if row is None or row.claimed_by != self.instance:
                return Result()
            about = content.gather(session, row, now=now)
            recipient, kind, attempts = row.recipient, row.kind, row.attempts
            expired = _give_up_at(row) <= now
            team_id = row.team_id if self.workspaces else ""  # whose token sends it
        if isinstance(about, content.Skip):
            if about.reason == "expired" and (attempts > 1 or kind is DeliveryKind.PROMPT):
                # Not merely late: Slack kept refusing, or a performer was never asked.
                self._fail(delivery_id, "expired")
                return Result(failed=1)
            self._finish(delivery_id, DeliveryStatus.SKIPPED, error=about.reason[:64])
            return Result(skipped=1)
        try:
            client = self._client_for(team_id)
        except TokenUnavailable:  # its token expired and Slack did not refresh it: later
            if expired:
                self._fail(delivery_id, "token_expired")
                return Result(failed=1)
            self._retry(delivery_id, error="token_expired", wait=None, attempts=attempts)
            return Result(retried=1)
        if client is None:
            self._finish(delivery_id, DeliveryStatus.SKIPPED, error="uninstalled")
            return Result(skipped=1)
        out = self.render(about)
        try:  # waits for its turn at the pacer first (Slack's rate limits)
            response = client.chat_postMessage(
                channel=recipient,
                text=out.text,
                blocks=out.blocks,
                thread_ts=out.thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            )
        except Stopped:  # stopping while the post waited for its turn: it was not sent
            self._release([delivery_id])
            return Result()
        except SlackApiError as error:
            code = str(error.response.get("error") or f"http_{error.response.status_code}")
            transient = error.response.status_code == 429 or error.response.status_code >= 500
            if code in AUTH_ERRORS and self._uninstalled(team_id):
                self._finish(delivery_id, DeliveryStatus.SKIPPED, error="uninstalled")
                return Result(skipped=1)
            if (transient or code in TRANSIENT_ERRORS) and not expired:
                log.warning("delivery %s: Slack said %s; will retry", delivery_id, code)
                self._retry(delivery_id, error=code, wait=_retry_after(error), attempts=attempts)
                return Result(retried=1)
            self._fail(delivery_id, code)
            return Result(failed=1)
        except Exception as error:  # network: timeouts, refused or dropped connections
            if expired:
                self._fail(delivery_id, "unreachable")
                return Result(failed=1)
            log.warning("delivery %s: %s; will retry", delivery_id, type(error).__name__)
            self._retry(delivery_id, error=type(error).__name__[:64], wait=None, attempts=attempts)
            return Result(retried=1)
        self._finish(
            delivery_id,
            DeliveryStatus.SENT,
            channel=str(response.get("channel") or ""),
            ts=str(response.get("ts") or ""),
        )
        if kind in PERFORMER_KINDS:
            self._close_older_prompts(delivery_id, client)
        if kind is DeliveryKind.REQUEST:
            self._record_post(delivery_id, response)
        if kind in CHANNEL_KINDS and recipient[:1] in ("C", "G"):
            self._audit_post(delivery_id)
        if kind is DeliveryKind.CHECKIN_LIVE:
            self._record_live(delivery_id, response)
        if self.after_send is not None:
            self.after_send(delivery_id)
        return Result(sent=1)

    def _finish(
        self,
        delivery_id: int,
        status: DeliveryStatus,
        *,
        channel: str | None = None,
        ts: str | None = None,
        error: str | None = None,
    ) -> None:
        with session_scope(self.services.session_factory) as session:
            kept = deliveries.finish(
                session,
                delivery_id=delivery_id,
                instance=self.instance,
                status=status,
                now=self._now(),
                channel=channel,
                ts=ts,
                error=error,
            )
        if not kept:
            log.warning("delivery %s: the claim was taken over before it was recorded", delivery_id)

    def _retry(
        self, delivery_id: int, *, error: str, wait: timedelta | None, attempts: int = 1
    ) -> None:
        if wait is None:
            wait = min(BACKOFF_START * 2 ** max(attempts - 1, 0), BACKOFF_CAP)
        with session_scope(self.services.session_factory) as session:
            deliveries.retry_later(
                session,
                delivery_id=delivery_id,
                instance=self.instance,
                at=self._now() + wait,
                error=error,
            )

    def _release(self, ids: Sequence[int]) -> None:
        """Put claimed rows back untried, as they were before the claim (which then does not
        count as an attempt: attempts set the backoff, and tell "Slack kept refusing" from
        "late")."""
        with session_scope(self.services.session_factory) as session:
            deliveries.release(session, ids=ids, instance=self.instance)

    def _fail(self, delivery_id: int, error: str) -> None:
        """Slack will not take it: record that, and tell the production's coordinators."""
        log.error("delivery %s could not be delivered: %s", delivery_id, error)
        now = self._now()
        with session_scope(self.services.session_factory) as session:
            row = session.get(Delivery, delivery_id)
            if row is None:
                return
            deliveries.finish(
                session,
                delivery_id=delivery_id,
                instance=self.instance,
                status=DeliveryStatus.FAILED,
                now=now,
                error=error[:64],
            )
            if row.kind is DeliveryKind.UNDELIVERABLE:
                return  # telling about a failed notice of a failure: stop here
            for person in _told_about_failures(session, row.production_id):
                deliveries.send_now(
                    session,
                    key=f"undeliverable:{delivery_id}:{person}",
                    production_id=row.production_id,
                    kind=DeliveryKind.UNDELIVERABLE,
                    recipient=person,
                    now=now,
                    scene_id=row.scene_id,
                    revision=row.revision,
                    detail={"delivery": delivery_id},
                )

    def _audit_post(self, delivery_id: int) -> None:
        """A post to a channel goes on the audit log: which kind, where, about which scene."""
        with session_scope(self.services.session_factory) as session:
            row = session.get(Delivery, delivery_id)
            production = session.get(Production, row.production_id) if row else None
            if row is None or production is None:
                return
            audit.record(
                session,
                at=self._now(),
                team_id=production.workspace.team_id,
                actor="app",
                action="channel.post",
                production_id=production.id,
                subject=f"scene:{row.scene.number}" if row.scene is not None else "",
                detail={"kind": row.kind.value, "channel": row.recipient, "delivery": row.id},
            )

    def _record_post(self, delivery_id: int, response: Any) -> None:
        """A request's channel message: keep where it is, to count acknowledgements on it and
        to edit or withdraw it later."""
        with session_scope(self.services.session_factory) as session:
            row = session.get(Delivery, delivery_id)
            if row is None or row.detail.get("remind"):
                return
            post = session.get(RequestPost, int(row.detail["post"]))
            if post is not None:
                post.ts = str(response.get("ts") or "")
                post.posted_at = self._now()

    def _record_live(self, delivery_id: int, response: Any) -> None:
        """A check-in round's live message: kept, to be updated as answers come in."""
        with session_scope(self.services.session_factory) as session:
            row = session.get(Delivery, delivery_id)
            round_ = session.get(CheckinRound, int(row.detail["round"])) if row else None
            if row is None or round_ is None:
                return
            session.execute(  # the row lock first: a tap may be updating `live` too
                update(CheckinRound)
                .where(CheckinRound.id == round_.id)
                .values(number=CheckinRound.number)
            )
            session.refresh(round_)
            round_.live = {
                **round_.live,
                row.recipient: [str(response.get("channel") or ""), str(response.get("ts") or "")],
            }

    def _client_for(self, team_id: str) -> PacedWebClient | None:
        """The client to post with: the one client, or the row's workspace's (one HTTP
        attempt per call, stopping with the dispatcher), None if the app is not installed
        there."""
        if self.workspaces is None:
            return self.client
        found = self.workspaces.client(team_id)
        if found is None:
            return None
        with self._lock_copies:
            copy = self._copies.get(team_id)
            if copy is None or copy.token != found.token:
                copy = self._copies[team_id] = single_attempt(found)
                copy.stop = self._stopping
            return copy

    def _uninstalled(self, team_id: str) -> bool:
        """Slack refused the workspace's token: whether the app was removed from it (its
        installation is gone, maybe deleted by another process). Read afresh."""
        if self.workspaces is None:
            return False
        self.workspaces.forget(team_id)
        return self.workspaces.installed(team_id) is None

    def _close_older_prompts(self, delivery_id: int, client: WebClient) -> None:
        """Take the buttons off the performer's earlier prompts for the scene that a newer
        message replaces (best effort: a stale button is refused when clicked anyway)."""
        with session_scope(self.services.session_factory) as session:
            row = session.get(Delivery, delivery_id)
            if row is None or row.scene_id is None or row.scene is None:
                return
            older = session.scalars(
                select(Delivery).where(
                    Delivery.scene_id == row.scene_id,
                    Delivery.recipient == row.recipient,
                    Delivery.kind.in_(ASKING_KINDS),
                    Delivery.status == DeliveryStatus.SENT,
                    Delivery.id != row.id,
                    Delivery.ts.is_not(None),
                    (Delivery.revision < row.revision)
                    if row.kind is not DeliveryKind.REMOVED
                    else Delivery.revision <= row.revision,
                )
            )
            targets = [(d.channel, d.ts) for d in older if d.channel and d.ts]
            why = (
                "This scene is no longer on the schedule."
                if row.kind is DeliveryKind.REMOVED
                else "This request was replaced by a newer one below."
            )
            out = self.render(content.Closed(row.scene.number, why))
        for channel, ts in targets:
            try:
                client.chat_update(channel=channel, ts=ts, text=out.text, blocks=out.blocks)
            except Exception as error:
                log.warning("could not close an older prompt (%s)", type(error).__name__)


AUTH_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)
"""Slack refused the token: serving several workspaces, the workspace may have removed the
app."""


def _give_up_at(row: Delivery) -> datetime:
    return row.expires_at or (row.due_at + GIVE_UP_AFTER)


def _retry_after(error: SlackApiError) -> timedelta | None:
    """Slack's `Retry-After` (429, and sometimes 503), at least a second."""
    seconds = retry_after(error.response.headers)
    return None if seconds is None else timedelta(seconds=max(seconds, 1.0))


def _told_about_failures(session: Session, production_id: int) -> list[str]:
    """The coordinators; a production without one has its admins told instead."""
    return members_with(session, production_id=production_id, role=Role.COORDINATOR) or (
        members_with(session, production_id=production_id, role=Role.ADMIN)
    )
