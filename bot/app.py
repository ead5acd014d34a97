"""The app factory: a Bolt `App` built from settings and injected parts, nothing global."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_bolt.middleware.request_verification import RequestVerification
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy.exc import IntegrityError

from bot.deps import Deps
from bot.logs import REQUEST_REF, new_ref, quiet_slack_loggers
from bot.ratelimit import GatedRateLimitRetryHandler
from bot.slackhosts import is_response_url
from bot.worker import BUSY, Busy, JobContext, tell
from storage.db import session_scope
from storage.models import ProcessedEvent

log = logging.getLogger(__name__)


QUIET_SLACK_LOG = logging.getLogger("closedset.slack")
"""slack_sdk and Bolt log whole request and response bodies at DEBUG — modals with planned
content and answers among them. Their loggers are this one, which never goes below INFO,
whatever the root level (`bot.logs`): private text cannot reach a log by turning up
verbosity."""
quiet_slack_loggers()


class _NoBodies(logging.Filter):
    """Bolt's warning about a request no listener took quotes the request's body: keep the
    warning, drop the body."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Unhandled request"):
            record.msg, record.args = "Unhandled request (no listener took it)", ()
        return True


QUIET_SLACK_LOG.addFilter(_NoBodies())


def make_client(*, token: str | None, base_url: str, rate_scale: float = 1.0) -> WebClient:
    """A Web API client that reaches `base_url` (SLACK_API_URL), paced by Slack's published
    rate limits: each call waits for its turn at the client's pacer, and a 429 holds the method
    for every thread using it until Retry-After (`bot.ratelimit`). Make one per process and
    share it: the limits are the workspace's, and copies (Bolt's per request, the delivery
    engine's) share the pacer. For answering users it also retries what Slack asks to be
    retried, a few times: 429 after Retry-After, 5xx, dropped connections. The delivery engine
    posts through a copy without these retries (`bot.ratelimit.single_attempt`): it retries
    from its database rows, and retries on both levels multiplied the attempts. `rate_scale`
    multiplies the published rates (minimums: a workspace may be allowed more)."""
    from bot.ratelimit import PacedWebClient, Pacer

    pacer = Pacer(scale=rate_scale)
    return PacedWebClient(
        token=token,
        base_url=base_url,
        logger=QUIET_SLACK_LOG,
        pacer=pacer,
        retry_handlers=[
            GatedRateLimitRetryHandler(pacer, max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_app(
    *,
    client: WebClient,
    signing_secret: str | None,
    deps: Deps,
    verify_token: bool = True,
) -> App:
    """The Bolt app with every listener. With a `signing_secret` (HTTP) every request is
    verified first (`Verification`); without one (Socket Mode) Slack's socket is the proof."""
    app = App(
        client=client,
        logger=QUIET_SLACK_LOG,
        signing_secret=signing_secret or "socket-mode-unused",
        process_before_response=True,
        token_verification_enabled=verify_token,
        # Bolt's own check, replaced by a stricter copy in the same place of the chain.
        request_verification_enabled=False,
        before_authorize=Verification(signing_secret) if signing_secret else None,
        ignoring_self_events_enabled=True,
    )
    app.use(_Prepare(deps))
    app.error(_on_error)

    from handlers import actions, commands, events, views

    commands.register(app)
    actions.register(app)
    views.register(app)
    events.register(app)
    return app


class Verification(RequestVerification):
    """Bolt's request verification (the signature over the timestamp and the raw body, the
    timestamp at most 5 minutes old), stricter in two ways: a timestamp that is not a number
    is refused with the same 401 (Bolt's raises, and its error handler would then run for a
    forged request), and a refusal is logged without the request's body or headers."""

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        if self._can_skip(req.mode, req.body):
            return next()
        timestamp = req.headers.get("x-slack-request-timestamp", [""])[0]
        signature = req.headers.get("x-slack-signature", [""])[0]
        if timestamp.isascii() and timestamp.isdigit():
            try:
                if self.verifier.is_valid(req.raw_body, timestamp, signature):
                    return next()
            except (ValueError, UnicodeError):
                pass
        log.info("refused a request that is not signed by Slack (401)")
        return self._build_error_response()


class _Prepare(Middleware):
    """Before every listener: an Events API delivery seen before (Slack's retries, a second
    instance's copy) is acknowledged and stops here, once per `event_id`; then `deps` goes on
    the context for listeners to name.

    One class-based middleware, which Bolt calls as is, rather than functions, whose arguments
    Bolt works out anew on each request: measurable on the acknowledgement path. (Bolt runs
    global middleware to the end before any listener, so a session opened here would be closed
    before the listener used it: listeners open their own unit of work with `session_scope`.)
    """

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        new_ref()  # this request's reference, on its log lines and its jobs'
        body = req.body
        if not _response_urls_on_slack(body, api_url=req.context.client.base_url):
            log.warning("refused a request whose response_url is not on Slack's hosts")
            return BoltResponse(status=400, body="")
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            try:
                with session_scope(self.deps.session_factory) as session:
                    session.add(
                        ProcessedEvent(event_id=str(event_id), received_at=self.deps.clock.now())
                    )
            except IntegrityError:
                return BoltResponse(status=200, body="")
        req.context["deps"] = self.deps
        return next()


def _response_urls_on_slack(body: dict[str, Any], *, api_url: str) -> bool:
    """Whether every `response_url` in the request (a command's or a message button's, or a
    modal's `response_urls`) is on Slack's hosts."""
    urls = [body["response_url"]] if "response_url" in body else []
    for item in body.get("response_urls") or ():
        urls.append(item.get("response_url") if isinstance(item, dict) else None)
    return all(is_response_url(str(url or ""), api_url=api_url) for url in urls)


def _on_error(
    error: Exception, body: dict[str, Any], context: dict[str, Any]
) -> BoltResponse | None:
    """Log the traceback under a reference and tell the user only that reference.

    Where the request has a `response_url` (commands, message buttons) the user is told there,
    by a job (a slow Slack must not hold up this answer), and Slack gets a 200, so it shows no
    second, vaguer error. A failed modal submission keeps Bolt's 500: Slack then keeps the
    modal open with an error, so nothing typed is lost.
    """
    ref = REQUEST_REF.get() if REQUEST_REF.get() != "-" else uuid.uuid4().hex[:8]
    log.error("listener failed (ref %s, %s)", ref, type(error).__name__, exc_info=error)
    deps: Deps | None = context.get("deps")
    url = body.get("response_url")
    api_url = context["client"].base_url
    if deps is None or not url or not is_response_url(str(url), api_url=api_url):
        return None
    text = (
        f"Sorry, something went wrong on our side (ref {ref}). Please try again; if it keeps "
        "happening, give this reference to your admin."
    )
    try:
        deps.worker.submit(_apologise, text, response_url=str(url))
    except Busy:
        log.warning("could not tell the user about ref %s: %s", ref, BUSY)
    return BoltResponse(status=200, body="")


def _apologise(job: JobContext, text: str) -> None:
    tell(job, text)
