"""The app factory: a Bolt `App` built from settings and injected parts, nothing global.

One workspace (a bot token): Bolt checks the token once at start and every request runs with
it. Several workspaces (`OAuth`): Bolt's OAuth flow installs the app (`GET /slack/install`,
`GET /slack/oauth_redirect`, into `bot.installations`' stores) and each request runs with the
token of its own workspace (`_InstalledAuthorize`, from the in-memory `Workspaces` cache).
"""

from __future__ import annotations

import html
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.error import BoltError
from slack_bolt.middleware import Middleware
from slack_bolt.middleware.request_verification import RequestVerification
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy.exc import IntegrityError

from bot.deps import Deps
from bot.installations import STATE_LIFETIME, OrgWideInstall, TokenUnavailable, Workspaces
from bot.logs import REQUEST_REF, new_ref, quiet_slack_loggers
from bot.ratelimit import GatedRateLimitRetryHandler, Pacer
from bot.slackhosts import is_response_url
from bot.worker import BUSY, REQUEST_TEAM, Busy, JobContext, tell
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


def make_client(
    *, token: str | None, base_url: str, rate_scale: float = 1.0, pacer: Pacer | None = None
) -> WebClient:
    """A Web API client that reaches `base_url` (SLACK_API_URL), paced by Slack's published
    rate limits: each call waits for its turn at the client's pacer, and a 429 holds the method
    for every thread using it until Retry-After (`bot.ratelimit`). Make one per process and
    share it: the limits are the workspace's, and copies (Bolt's per request, the delivery
    engine's) share the pacer. For answering users it also retries what Slack asks to be
    retried, a few times: 429 after Retry-After, 5xx, dropped connections. The delivery engine
    posts through a copy without these retries (`bot.ratelimit.single_attempt`): it retries
    from its database rows, and retries on both levels multiplied the attempts. `rate_scale`
    multiplies the published rates (minimums: a workspace may be allowed more). Serving
    several workspaces, each workspace's clients share a `pacer` of the workspace's
    (`bot.installations.Workspaces`)."""
    from bot.ratelimit import PacedWebClient

    pacer = pacer or Pacer(scale=rate_scale)
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


@dataclass(frozen=True)
class OAuth:
    """Serving every workspace that installs the app: its installations, the scopes asked
    for, and the redirect URL registered with Slack (None: the one set in the app's
    settings)."""

    workspaces: Workspaces
    scopes: Sequence[str]
    redirect_uri: str | None = None


def create_app(
    *,
    client: WebClient,
    signing_secret: str | None,
    deps: Deps,
    verify_token: bool = True,
    oauth: OAuth | None = None,
) -> App:
    """The Bolt app with every listener. With a `signing_secret` (HTTP) every request is
    verified first (`Verification`); without one (Socket Mode) Slack's socket is the proof.
    With `oauth`, `client` has no token: the OAuth flow calls Slack (SLACK_API_URL) with it,
    and every request gets its workspace's token."""
    installing: dict[str, Any] = {}
    if oauth is not None:
        installing = {
            "oauth_flow": _install_flow(client, oauth),
            "authorize": _InstalledAuthorize(oauth.workspaces),
        }
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
        **installing,
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
        # The verified request's workspace: its jobs run with that workspace's token.
        REQUEST_TEAM.set(req.context.team_id or "")
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


class _InstalledAuthorize(Authorize):
    """Each request's token from the installation of its workspace, cached in memory
    (`Workspaces`: refreshed before it expires): no query and no `auth.test` per request, as
    Bolt's `InstallationStoreAuthorize` would make. An org-wide install is never stored, so a
    request with no workspace finds nothing."""

    def __init__(self, workspaces: Workspaces) -> None:
        self.workspaces = workspaces

    def __call__(
        self,
        *,
        context: BoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **actor: Any,
    ) -> AuthorizeResult | None:
        try:
            found = self.workspaces.fresh(team_id or "")
        except TokenUnavailable:
            return None
        if found is None:
            return None
        return AuthorizeResult(
            enterprise_id=found.enterprise_id,
            team_id=found.team_id,
            team=found.team_name,
            bot_user_id=found.bot_user_id,
            bot_id=found.bot_id,
            bot_token=found.bot_token,
            bot_scopes=found.bot_scopes,
            user_id=user_id,
        )


class _OrgWideRefused(BoltError):
    """Raised from the flow's save so that Bolt shows the failure page, with this reason."""


class _InstallFlow(OAuthFlow):
    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        return _html(
            "Add Closed Set to Slack",
            [
                "Closed Set carries an intimacy coordinator's communication on a production: "
                "private boundary check-ins with performers, depersonalized requests to "
                "departments and reminders for assistant directors.",
                "Install it in your production's workspace (not in a whole Enterprise Grid "
                "organization). A workspace admin may need to approve it.",
            ],
            f'<p><a href="{html.escape(url)}"><img alt="Add to Slack" height="40" width="139" '
            'src="https://platform.slack-edge.com/img/add_to_slack.png"></a></p>',
        )

    def store_installation(self, request: BoltRequest, installation: Any) -> None:
        try:
            super().store_installation(request, installation)
        except OrgWideInstall:
            self._give_back(installation.bot_token)
            raise _OrgWideRefused("org-wide install") from None

    def _give_back(self, token: str | None) -> None:
        """Revoke the token Slack issued for an install we refuse: nothing keeps it."""
        if not token:
            return
        try:
            self.client.auth_revoke(token=token)
        except SlackApiError as error:
            log.warning(
                "could not revoke a refused install's token (%s)", error.response.get("error")
            )


def _install_flow(client: WebClient, oauth: OAuth) -> OAuthFlow:
    workspaces = oauth.workspaces
    return _InstallFlow(
        client=client,
        logger=QUIET_SLACK_LOG,
        settings=OAuthSettings(
            client_id=workspaces.client_id,
            client_secret=workspaces.client_secret,
            scopes=list(oauth.scopes),
            user_scopes=[],
            redirect_uri=oauth.redirect_uri,
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            callback_options=CallbackOptions(success=_installed_page, failure=_failed_page),
            installation_store=workspaces.store,
            installation_store_bot_only=True,
            token_rotation_expiration_minutes=int(workspaces.refresh_before.total_seconds() // 60),
            state_store=workspaces.states,
            state_expiration_seconds=int(STATE_LIFETIME.total_seconds()),
            logger=QUIET_SLACK_LOG,
        ),
    )


INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


def _html(title: str, paragraphs: Sequence[str], extra: str = "") -> str:
    """A small HTML page: `title` and `paragraphs` are plain text, escaped here."""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}{extra}</body></html>"
    )


def _page(title: str, *paragraphs: str, status: int = 200) -> BoltResponse:
    return BoltResponse(
        status=status,
        body=_html(title, paragraphs),
        headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"},
    )


def _installed_page(args: SuccessArgs) -> BoltResponse:
    team = args.installation.team_name or "your workspace"
    log.info("installed in workspace %s", args.installation.team_id)
    return _page(
        "Closed Set is installed",
        f"Closed Set is now installed in {team}.",
        "Next: in Slack, the intimacy coordinator runs /closedset setup to create the "
        "production (its name, time zone, coordinators and ADs), then loads the cast list "
        "and the shooting schedule.",
        "You can close this page.",
    )


def _failed_page(args: FailureArgs) -> BoltResponse:
    log.info("an installation did not complete (%s)", args.reason)
    if isinstance(args.error, _OrgWideRefused):
        return _page(
            "Install Closed Set in a workspace",
            "Closed Set cannot be installed for a whole Enterprise Grid organization: each "
            "production's workspace installs it by itself, so that every workspace's data stays "
            "sealed from the others.",
            "Please go back and choose a single workspace to install it in.",
            status=400,
        )
    if args.reason in ("invalid_state", "invalid_browser"):
        return _page(
            "This installation link has expired",
            "The link was already used, is more than 10 minutes old, or was opened in another "
            "browser. Start again from the Add to Slack page.",
            status=400,
        )
    if args.reason == "access_denied":
        return _page("Closed Set was not installed", "The installation was cancelled.")
    return _page(
        "Closed Set could not be installed",
        "Slack did not complete the installation. Please start again from the Add to Slack page.",
        status=400 if args.suggested_status_code < 500 else 500,
    )
