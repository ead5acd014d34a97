"""A file shared with the bot cannot make it send its token anywhere but Slack's file host.

`files.info` answers are crafted here as Slack can return them: a remote file whose
`url_private` points at any host, a download URL on another host, a redirect from Slack's
host to another, a `size` that lies, a download that never ends. A second server (the
"capture") records every request that reaches it: none must.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.app import make_client
from bot.downloads import download
from bot.problems import InputRejected
from tests.conftest import RunningApp
from tests.support.e2e import (
    COORDINATOR,
    add_people,
    blocks_text,
    next_post,
    open_and_submit_setup,
    posts_to,
)
from tests.support.slack_standin import BOT_TOKEN, SlackStandIn

CSV = b"Scene,Shoot Date,Time,Set\n1,2027-01-12,07:00,INT. FLAT\n"


@pytest.fixture
def capture() -> Iterator[SlackStandIn]:
    """A host that is not Slack's (another port: another origin)."""
    with SlackStandIn() as server:
        yield server


def _fetch(standin: SlackStandIn, file_id: str, **kwargs: float) -> tuple[str, bytes]:
    client = make_client(token=BOT_TOKEN, base_url=standin.api_url)
    return download(client, file_id, max_bytes=int(kwargs.pop("max_bytes", 1024)), **kwargs)


def _refusal(fetch: Callable[[], object]) -> str:
    with pytest.raises(InputRejected) as refused:
        fetch()
    return refused.value.summary()


def test_a_file_on_slacks_host_is_downloaded_with_the_token(standin: SlackStandIn) -> None:
    file = standin.add_file(CSV, "schedule.csv")
    assert _fetch(standin, file["id"]) == ("schedule.csv", CSV)
    [fetched] = standin.downloads()
    assert fetched.token == BOT_TOKEN


def test_a_remote_file_is_refused_without_a_request_to_its_host(
    standin: SlackStandIn, capture: SlackStandIn
) -> None:
    file = standin.add_file(CSV, "schedule.csv", remote_url=f"{capture.base_url}/sheet.csv")
    assert "stored outside Slack" in _refusal(lambda: _fetch(standin, file["id"]))
    assert capture.calls() == []


def test_a_download_url_on_another_host_is_never_fetched(
    standin: SlackStandIn, capture: SlackStandIn
) -> None:
    """Not marked external, but `url_private` elsewhere all the same."""
    file = standin.add_file(CSV, "schedule.csv", download_url=f"{capture.base_url}/files/F1/x.csv")
    assert "outside its file servers" in _refusal(lambda: _fetch(standin, file["id"]))
    assert capture.calls() == []


def test_a_redirect_to_another_host_is_not_followed(
    standin: SlackStandIn, capture: SlackStandIn
) -> None:
    bounce = standin.add_redirect(f"{capture.base_url}/steal")
    file = standin.add_file(CSV, "schedule.csv", download_url=bounce)
    assert "outside its file servers" in _refusal(lambda: _fetch(standin, file["id"]))
    assert [c.method for c in standin.calls("redirect")] == ["redirect"]
    assert capture.calls() == []


def test_a_redirect_within_slacks_file_host_is_followed(standin: SlackStandIn) -> None:
    file = standin.add_file(CSV, "schedule.csv")
    bounce = standin.add_redirect(file["url_private_download"])
    other = standin.add_file(CSV, "schedule.csv", download_url=bounce)
    assert _fetch(standin, other["id"]) == ("schedule.csv", CSV)


def test_the_size_limit_holds_on_the_bytes_received_not_the_size_claimed(
    standin: SlackStandIn,
) -> None:
    file = standin.add_file(b"x" * 5000, "schedule.csv", declared_size=10)
    assert "larger than" in _refusal(lambda: _fetch(standin, file["id"], max_bytes=4096))


def test_a_download_that_never_ends_is_cut_off(standin: SlackStandIn) -> None:
    file = standin.add_file(CSV * 20, "schedule.csv", trickle_seconds=4)
    assert "too long" in _refusal(lambda: _fetch(standin, file["id"], seconds=0.5, max_bytes=10**6))


def test_an_upload_of_a_remote_file_gets_a_clear_reply(
    app: RunningApp, capture: SlackStandIn
) -> None:
    add_people(app.standin)
    assert "is set up" in open_and_submit_setup(app).text
    app.standin.clear()
    remote = app.standin.add_file(
        CSV, "schedule.csv", user=COORDINATOR, remote_url=f"{capture.base_url}/sheet.csv"
    )
    reply = _upload_file(app, remote)
    assert "stored outside Slack" in blocks_text(reply)
    assert capture.calls() == []
    assert app.standin.downloads() == []


def _upload_file(app: RunningApp, file: dict[str, object]) -> dict[str, object]:
    channel = app.standin.dm_channel_id(COORDINATOR)
    before = len(posts_to(app, channel))
    response = app.slack.event(
        {
            "type": "message",
            "subtype": "file_share",
            "channel_type": "im",
            "channel": app.standin.dm_channel_id(COORDINATOR),
            "user": COORDINATOR,
            "text": "",
            "files": [file],
        }
    )
    assert response.status == 200
    return dict(next_post(app, channel, before))
