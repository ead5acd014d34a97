"""`bot.frontdoor`: which requests the web process acknowledges itself and hands to the worker.

Every request here is built and signed exactly as Slack sends it (`tests.signing`); what the
front door takes is run end to end by the e2e tests, whose app has it in front of Bolt.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.frontdoor import FrontDoor, run_request
from handlers import commands
from tests.signing import SlackSender, sign

SECRET = "front-door-secret"
RESPONSE_BASE = "https://hooks.slack.test"


class _Capture(SlackSender):
    """Returns the signed request instead of posting it."""

    def _post(self, body: bytes, headers: Mapping[str, str]) -> Any:
        return body, {name.lower(): value for name, value in headers.items()}


class _Jobs:
    def __init__(self) -> None:
        self.jobs: list[tuple[Any, Any, str | None]] = []

    def submit(self, job: Any, payload: Any, *, response_url: str | None) -> None:
        self.jobs.append((job, payload, response_url))

    def wake(self) -> None: ...

    def ready(self) -> bool:
        return True

    def shutdown(self) -> None: ...


@pytest.fixture
def jobs() -> _Jobs:
    return _Jobs()


@pytest.fixture
def door(jobs: _Jobs) -> FrontDoor:
    return FrontDoor(SECRET, jobs, takes_text=commands.is_known)


def slack(secret: str = SECRET, skew: int = 0) -> _Capture:
    return _Capture("http://unused", secret, response_base=RESPONSE_BASE, clock_skew=skew)


def test_a_known_subcommand_is_handed_over_as_received(door: FrontDoor, jobs: _Jobs) -> None:
    body, headers = slack().command("schedule", user_id="U1", response_url=RESPONSE_BASE + "/c/1")
    assert door.take(body, headers)
    [(job, (forwarded, forwarded_headers), response_url)] = jobs.jobs
    assert job is run_request
    assert forwarded == body.decode()
    assert forwarded_headers["x-slack-signature"] == [headers["x-slack-signature"]]
    assert response_url == RESPONSE_BASE + "/c/1"  # told "lost" there if the worker dies


@pytest.mark.parametrize("text", ["", "  help", "HELP me", "checkin 42A"])
def test_every_known_subcommand_spelling_is_taken(door: FrontDoor, text: str) -> None:
    assert door.take(*slack().command(text, user_id="U1"))


def test_a_button_click_is_handed_over_with_its_response_url(door: FrontDoor, jobs: _Jobs) -> None:
    body, headers = slack().block_action(
        user_id="U1", action_id="schedule_page_next", value="x", response_url=RESPONSE_BASE + "/a/1"
    )
    assert door.take(body, headers)
    assert jobs.jobs[0][2] == RESPONSE_BASE + "/a/1"


def test_a_click_in_a_modal_has_no_response_url(door: FrontDoor, jobs: _Jobs) -> None:
    modal = {"id": "V1", "type": "modal", "callback_id": "confirm", "hash": "h"}
    assert door.take(*slack().block_action(user_id="U1", action_id="x", view=modal))
    assert jobs.jobs[0][2] is None


@pytest.mark.parametrize(
    "request_for",
    [
        # an unknown subcommand: Bolt answers in the acknowledgement itself
        lambda s: s.command("frobnicate", user_id="U1"),
        # another app's command
        lambda s: s.command("help", user_id="U1", command="/other"),
        # a modal submission: its answer may carry errors for the modal
        lambda s: s.view_submission(
            user_id="U1", callback_id="confirm", values={}, private_metadata=""
        ),
        # events: URL verification, deduplication
        lambda s: s.event({"type": "app_home_opened", "user": "U1", "tab": "home"}),
    ],
    ids=["unknown-subcommand", "other-command", "view-submission", "event"],
)
def test_everything_else_is_left_to_bolt(door: FrontDoor, jobs: _Jobs, request_for: Any) -> None:
    assert not door.take(*request_for(slack()))
    assert jobs.jobs == []


def test_a_bad_or_stale_signature_is_left_to_bolt_which_refuses_it(
    door: FrontDoor, jobs: _Jobs
) -> None:
    assert not door.take(*slack(secret="not-ours").command("help", user_id="U1"))
    assert not door.take(*slack(skew=-301).command("help", user_id="U1"))
    body, headers = slack().command("help", user_id="U1")
    assert not door.take(body + b"&text=setup", headers)  # body changed after signing
    assert not door.take(body, {**headers, "x-slack-request-timestamp": "soon"})
    assert not door.take(body, {"content-type": headers["content-type"]})
    assert jobs.jobs == []


def test_a_payload_whose_type_is_not_its_first_key_is_left_to_bolt(
    door: FrontDoor, jobs: _Jobs
) -> None:
    payload = {"user": {"id": "U1"}, "type": "block_actions", "actions": []}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = {"content-type": "application/x-www-form-urlencoded", **_lower(sign(SECRET, body))}
    assert not door.take(body, headers)
    # ...while the same payload with `type` first is taken
    payload = {"type": "block_actions", "user": {"id": "U1"}, "actions": []}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = {"content-type": "application/x-www-form-urlencoded", **_lower(sign(SECRET, body))}
    assert door.take(body, headers)


def test_slacks_ssl_check_and_json_bodies_are_left_to_bolt(door: FrontDoor) -> None:
    body = b"ssl_check=1&token=t&command=%2Fclosedset&text=help"
    headers = {"content-type": "application/x-www-form-urlencoded", **_lower(sign(SECRET, body))}
    assert not door.take(body, headers)
    body = json.dumps({"type": "url_verification", "challenge": "c"}).encode()
    headers = {"content-type": "application/json", **_lower(sign(SECRET, body))}
    assert not door.take(body, headers)


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}
