"""The front door: slash commands and button clicks acknowledged without Bolt, run by the worker.

Everything `/closedset` and every button does happens after Slack has been answered (see
`bot.worker`), and Slack wants nothing in those answers but a 200. So over HTTP the web
process need not run Bolt for them at all: it checks Slack's signature exactly as Bolt would
(`slack_sdk`'s `SignatureVerifier`: HMAC-SHA256 of the body with the signing secret, at most
5 minutes old), answers 200, and hands the verified request, as received, to the job worker,
whose own Bolt app (`RequestRunner`) runs the listeners there. What the web process does per
request is then less than a bare Bolt app's, so acknowledgements stay fast while the worker is
busy with the answers (`bench/RESULTS.md`).

Only requests recognised with certainty take this way: a form post whose `command` is
`/closedset` with a known subcommand, or an interactive `payload` whose JSON object starts
with `"type": "block_actions"` (the first key of the object, read from its start, cannot be
anything else). Everything else goes to Bolt as before, which answers it exactly as without
the front door: modal submissions (their answer can carry errors for the modal), events (URL
verification, deduplication), Slack's SSL check, an unknown subcommand (answered in the
acknowledgement), and any request whose signature does not check out. Socket Mode does not
use the front door: there Bolt acknowledges over the socket.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import unquote, unquote_plus

from slack_sdk.signature import SignatureVerifier

from bot.ids import Command

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_sdk import WebClient

    from bot.deps import Services
    from bot.worker import JobContext, Worker

log = logging.getLogger(__name__)

Headers = dict[str, str | Sequence[str]]
"""Bolt's form of request headers: lower-case names, each with its list of values."""

_BLOCK_ACTIONS = re.compile(r'\{\s*"type"\s*:\s*"block_actions"')
_RESPONSE_URL = re.compile(rb"%22response_url%22%3A(?:\+|%20)*%22(.*?)%22")


class FrontDoor:
    """`takes_text` says which `/closedset` texts to take: those of a known subcommand (an
    unknown one is answered in the acknowledgement itself, by Bolt)."""

    def __init__(
        self, signing_secret: str, worker: Worker, *, takes_text: Callable[[str], bool]
    ) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._worker = worker
        self._takes_text = takes_text
        self._command = Command.SLASH.encode().replace(b"/", b"%2F")

    def take(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Hand a command or click over to the worker and return True (answer Slack 200 with
        an empty body), or return False: Bolt is to handle it. Never raises."""
        try:
            if headers.get("content-type", "").partition(";")[0].strip() != (
                "application/x-www-form-urlencoded"
            ):
                return False
            response_url = self._recognise(body)
            if response_url is None:
                return False
            timestamp = headers.get("x-slack-request-timestamp")
            signature = headers.get("x-slack-signature")
            if not self._verifier.is_valid(body, timestamp, signature):
                return False  # Bolt refuses it with its own 401
        except (ValueError, TypeError):  # a malformed timestamp, say: Bolt's to answer
            return False
        bolt_headers: Headers = {
            "content-type": ["application/x-www-form-urlencoded"],
            "x-slack-request-timestamp": [timestamp or ""],
            "x-slack-signature": [signature or ""],
        }
        self._worker.submit(
            run_request,
            (body.decode("utf-8", "replace"), bolt_headers),
            response_url=response_url or None,
        )
        return True

    def _recognise(self, body: bytes) -> str | None:
        """The request's `response_url` ("" if it has none) when it is one to take, else None."""
        if body.startswith(b"payload="):
            head = unquote_plus(body[8:72].decode("ascii", "replace"))
            if not _BLOCK_ACTIONS.match(head) or b"&" in body:
                return None
            match = _RESPONSE_URL.search(body)
            if match is None:
                return ""
            url: str = json.loads('"' + unquote(match.group(1).decode("ascii", "replace")) + '"')
            return url
        fields = dict(part.partition(b"=")[::2] for part in body.split(b"&"))
        if fields.get(b"command") != self._command or b"payload" in fields:
            return None
        if b"ssl_check" in fields:
            return None
        if not self._takes_text(unquote_plus(fields.get(b"text", b"").decode("utf-8", "replace"))):
            return None
        return unquote_plus(fields.get(b"response_url", b"").decode("ascii", "replace"))


def run_request(job: JobContext, request: tuple[str, Headers]) -> None:
    """The job: a request the front door acknowledged, run through Bolt in the worker."""
    if job.requests is None:
        raise RuntimeError("this worker runs no acknowledged requests")
    body, headers = request
    job.requests.run(body, headers)


class RequestRunner:
    """A Bolt app in the worker for requests already acknowledged: the same listeners as the
    web process's, whose acknowledgement goes nowhere (Slack has had its 200) and whose jobs
    run at once on the calling thread. It trusts what it is given (the front door verified
    the signature; re-checking its age here would refuse requests that waited in a backlog).
    """

    def __init__(self, services: Services, client: WebClient, wake: Callable[[], None]) -> None:
        from bot.app import create_app
        from bot.deps import Deps
        from bot.worker import InlineWorker

        here = InlineWorker(services, client, wake=wake, requests=self)
        self._app: App = create_app(
            client=client,
            signing_secret=None,
            deps=Deps(services.session_factory, services.clock, here),
            verify_token=False,
        )

    def run(self, body: str, headers: Headers) -> None:
        from slack_bolt import BoltRequest

        response = self._app.dispatch(BoltRequest(body=body, headers=headers))
        if response.status != 200:
            # 404: no listener took it; 500: a listener failed (logged by the app's error handler)
            log.warning("an acknowledged request ended with status %s", response.status)
