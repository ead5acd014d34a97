"""Self-tests of the Slack Web API stand-in and the request signer.

The stand-in is driven with slack_sdk's real ``WebClient`` so the responses are
proven to be shapes the SDK accepts (pagination, retries, error raising); the
signer is proven against a real Bolt app served by waitress over HTTP.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import Clock, SignatureVerifier

from tests.support.signing import (
    SlackSender,
    checkboxes,
    plain,
    serve_wsgi,
    sign,
    static,
    timepicker,
    users,
)
from tests.support.slack_standin import (
    BOT_USER_ID,
    RESPONSE_URL_METHOD,
    TEAM_ID,
    Call,
    Limit,
    RateLimits,
    SlackStandIn,
)

SECRET = "s"


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn() as server:
        yield server


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    return WebClient(token="xoxb-test", base_url=standin.api_url)


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.headers.get_content_type(), resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers.get_content_type(), err.read()


# ------------------------------------------------------------------ stand-in


def test_binds_loopback_free_port_and_stops() -> None:
    server = SlackStandIn().start()
    try:
        assert server.api_url.startswith("http://127.0.0.1:")
        assert server.api_url.endswith("/api/")
        assert server.port != 0
        with SlackStandIn() as other:
            assert other.port != server.port
    finally:
        server.stop()
    server.stop()  # idempotent
    with pytest.raises(RuntimeError):
        _ = server.port


def test_auth_test(client: WebClient) -> None:
    resp = client.auth_test()
    assert resp["user_id"] == BOT_USER_ID
    assert resp["team_id"] == TEAM_ID
    assert {"bot_id", "url", "team", "user"} <= set(resp.data)


def test_post_message_recorded_with_blocks(standin: SlackStandIn, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Scene 12*"}}]
    first = client.chat_postMessage(channel="C123", text="Scene 12", blocks=blocks)
    second = client.chat_postMessage(channel="C123", text="again")

    assert first["channel"] == "C123"
    assert first["message"]["blocks"] == blocks
    assert float(first["ts"]) < float(second["ts"])
    assert first["ts"] != second["ts"]
    (call, _) = standin.wait_for("chat.postMessage", count=2)
    assert call.params["channel"] == "C123"
    assert call.json("blocks") == blocks
    assert call.header("Authorization") == "Bearer xoxb-test"
    assert call.token == "xoxb-test" and call.ok
    assert standin.last("chat.postMessage").params["text"] == "again"
    assert standin.unknown_methods == []


def test_form_encoded_json_strings_and_get(standin: SlackStandIn) -> None:
    blocks = [{"type": "divider"}]
    body = f"channel=C1&text=hi&blocks={json.dumps(blocks)}".encode()
    req = urllib.request.Request(
        standin.api_url + "chat.postMessage",
        data=body,
        headers={
            "Authorization": "Bearer xoxb-test",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert json.load(resp)["ok"] is True
    call = standin.last("chat.postMessage")
    assert isinstance(call.params["blocks"], str)
    assert call.json("blocks") == blocks

    status, _, raw = _get(standin.api_url + "users.info?user=UBOT0000001&token=xoxb-test")
    assert status == 200 and json.loads(raw)["user"]["is_bot"] is True


def test_ephemeral_update_delete(client: WebClient) -> None:
    eph = client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert eph["message_ts"]
    posted = client.chat_postMessage(channel="U0ABC", text="dm")
    assert posted["channel"] == "D0ABC"
    upd = client.chat_update(channel="C1", ts="1700000000.000100", text="edited")
    assert upd["ts"] == "1700000000.000100" and upd["message"]["text"] == "edited"
    dele = client.chat_delete(channel="C1", ts="1700000000.000100")
    assert dele["ts"] == "1700000000.000100"


def test_missing_and_invalid_token(standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as bad:
        WebClient(token="xoxb-wrong", base_url=standin.api_url).chat_postMessage(
            channel="C1", text="x"
        )
    assert bad.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as missing:
        WebClient(base_url=standin.api_url).auth_test()
    assert missing.value.response["error"] == "not_authed"
    assert [c.status for c in standin.calls()] == [200, 200]


def test_views_echo_ids_and_hash(standin: SlackStandIn, client: WebClient) -> None:
    view = {
        "type": "modal",
        "callback_id": "schedule",
        "title": {"type": "plain_text", "text": "Schedule"},
        "blocks": [],
        "private_metadata": "scene=12",
    }
    opened = client.views_open(trigger_id="t1", view=view)["view"]
    assert opened["id"].startswith("V") and opened["hash"]
    assert opened["callback_id"] == "schedule" and opened["private_metadata"] == "scene=12"
    updated = client.views_update(view_id=opened["id"], view={**view, "private_metadata": "x"})
    assert updated["view"]["id"] == opened["id"]
    pushed = client.views_push(trigger_id="t2", view=view)["view"]
    assert pushed["id"] != opened["id"]
    home = {"type": "home", "blocks": []}
    first = client.views_publish(user_id="U1", view=home)["view"]
    again = client.views_publish(user_id="U1", view=home)["view"]
    assert first["type"] == "home" and first["id"] == again["id"]
    assert standin.last("views.open").json("view") == view
    with pytest.raises(SlackApiError) as no_trigger:
        client.views_open(trigger_id="", view=view)
    assert no_trigger.value.response["error"] == "invalid_trigger_id"


def test_conversations_open_stable_dm(client: WebClient) -> None:
    first = client.conversations_open(users="U0AAA111")
    second = client.conversations_open(users=["U0AAA111"])
    other = client.conversations_open(users="U0BBB222")
    assert first["channel"]["id"] == "D0AAA111" == second["channel"]["id"]
    assert other["channel"]["id"] == "D0BBB222"
    assert second["already_open"] is True


def test_users_info_and_lookup(standin: SlackStandIn, client: WebClient) -> None:
    added = standin.add_user(
        "U0ALICE01",
        "alice",
        real_name="Alice Smith",
        display_name="Ali",
        email="alice@example.com",
        tz="America/Los_Angeles",
    )
    user = client.users_info(user="U0ALICE01")["user"]
    assert user == added
    assert user["profile"]["display_name"] == "Ali"
    assert user["tz"] == "America/Los_Angeles" and user["tz_offset"] in (-28800, -25200)
    assert client.users_lookupByEmail(email="ALICE@example.com")["user"]["id"] == "U0ALICE01"
    with pytest.raises(SlackApiError) as nobody:
        client.users_lookupByEmail(email="nobody@example.com")
    assert nobody.value.response["error"] == "users_not_found"
    with pytest.raises(SlackApiError) as unknown:
        client.users_info(user="U0NOPE")
    assert unknown.value.response["error"] == "user_not_found"


def test_users_list_pagination_via_sdk_iterator(standin: SlackStandIn, client: WebClient) -> None:
    for i in range(7):
        standin.add_user(f"U{i:09d}", f"user{i}")
    members: list[str] = []
    pages = 0
    # SlackResponse is its own iterator and mutates itself per page: read inside the loop.
    for page in client.users_list(limit=3):
        pages += 1
        members.extend(m["id"] for m in page["members"])
    assert pages == 3  # 8 users (7 + the bot) in pages of 3
    assert members == [u["id"] for u in standin.users()]
    assert BOT_USER_ID in members
    cursors = [c.params.get("cursor") for c in standin.calls("users.list")]
    assert cursors[0] is None and all(cursors[1:])
    assert len(client.users_list()["members"]) == 8  # default page size 200


def test_files_info_and_download(standin: SlackStandIn, client: WebClient) -> None:
    content = b"name,role\nAlice,Actor\n"
    f = standin.add_file(content, "cast.csv", user="U0ALICE01")
    info = client.files_info(file=f["id"])["file"]
    assert info["id"].startswith("F") and info["name"] == "cast.csv"
    assert info["filetype"] == "csv" and info["mimetype"] == "text/csv"
    assert info["size"] == len(content)
    assert info["url_private"].startswith(standin.base_url + "/files/" + f["id"])

    for url in (info["url_private"], info["url_private_download"]):
        status, ctype, body = _get(url, {"Authorization": "Bearer xoxb-test"})
        assert (status, ctype, body) == (200, "text/csv", content)
    status, ctype, body = _get(info["url_private"])
    assert status == 403 and ctype == "text/html" and b"Sign in" in body
    status, _, _ = _get(info["url_private"], {"Authorization": "Bearer xoxb-wrong"})
    assert status == 403
    assert [d.params["authorized"] for d in standin.downloads()] == [True, True, False, False]

    with pytest.raises(SlackApiError) as missing:
        client.files_info(file="F0MISSING")
    assert missing.value.response["error"] == "file_not_found"


def test_download_login_redirect_mode() -> None:
    with SlackStandIn(unauthorized_download="login_redirect") as standin:
        f = standin.add_file(b"x", "a.csv")
        status, ctype, body = _get(f["url_private"])  # urllib follows the 302
        assert (status, ctype) == (200, "text/html") and b"<html" in body


def test_ratelimit_retried_by_sdk(standin: SlackStandIn) -> None:
    client = WebClient(
        token="xoxb-test",
        base_url=standin.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )
    standin.fail_next("chat.postMessage", retry_after=0)
    started = time.monotonic()
    resp = client.chat_postMessage(channel="C1", text="after retry")
    assert resp["ok"] is True
    attempts = standin.calls("chat.postMessage")
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[0].response == {"ok": False, "error": "ratelimited"}
    assert time.monotonic() - started < 5


def test_ratelimit_without_retry_handler_raises(standin: SlackStandIn) -> None:
    standin.fail_next("chat.postMessage", retry_after=30)
    client = WebClient(token="xoxb-test", base_url=standin.api_url, retry_handlers=[])
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "30"


class _Clock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _refused(call: Any) -> tuple[int, str | None]:
    """(status, Retry-After) of a call the SDK raised for."""
    with pytest.raises(SlackApiError) as err:
        call()
    assert err.value.response["error"] == "ratelimited"
    return err.value.response.status_code, err.value.response.headers.get("Retry-After")


def test_rate_limits_are_off_by_default(standin: SlackStandIn, client: WebClient) -> None:
    assert standin.rate_limits is None
    for _ in range(20):
        client.chat_postMessage(channel="C1", text="x")
    assert {c.status for c in standin.calls()} == {200}


def test_post_message_one_per_second_per_channel_with_a_short_burst(
    standin: SlackStandIn, client: WebClient
) -> None:
    clock = _Clock()
    standin.enforce_rate_limits(clock=clock)
    post = client.chat_postMessage
    assert post(channel="C1", text="1")["ok"] and post(channel="C1", text="2")["ok"]  # burst 2
    assert _refused(lambda: post(channel="C1", text="3")) == (429, "1")
    assert post(channel="C2", text="other channel")["ok"]
    clock.t += 0.3  # a token comes back 1 s after the last one was taken
    assert _refused(lambda: post(channel="C1", text="3")) == (429, "1")
    clock.t += 0.7
    assert post(channel="C1", text="3")["ok"]
    # A user ID is that user's DM channel: the same bucket as its D... id.
    assert post(channel="U0PERF01", text="a")["ok"] and post(channel="D0PERF01", text="b")["ok"]
    assert _refused(lambda: post(channel="U0PERF01", text="c")) == (429, "1")
    refused = [c for c in standin.calls("chat.postMessage") if c.status == 429]
    assert len(refused) == 3 and not any(c.ok for c in refused)
    assert refused[0].response == {"ok": False, "error": "ratelimited"}


def test_post_message_workspace_limit_and_retry_after(
    standin: SlackStandIn, client: WebClient
) -> None:
    clock = _Clock()
    limits = RateLimits(post_message_per_workspace=Limit(per_minute=6, burst=3))
    standin.enforce_rate_limits(limits, clock=clock)
    for n in range(3):
        client.chat_postMessage(channel=f"U0PERF{n:03d}", text="prompt")
    # 6 a minute: one every 10 s, whatever the channel.
    assert _refused(lambda: client.chat_postMessage(channel="U0OTHER1", text="x")) == (429, "10")
    clock.t += 7.5
    assert _refused(lambda: client.chat_postMessage(channel="U0OTHER1", text="x")) == (429, "3")
    assert client.chat_update(channel="C1", ts="1.0", text="other methods are apart")["ok"]
    clock.t += 2.5
    assert client.chat_postMessage(channel="U0OTHER1", text="x")["ok"]
    # 3 + 1 posts in 10 s from full buckets: the limits' own lower bound says so too.
    assert limits.lower_bound([1, 1, 1, 1]) == 10.0
    assert RateLimits().lower_bound([1] * 500) == (500 - 10) / 5
    assert RateLimits().lower_bound([5]) == 3.0  # one channel: 2 at once, then 1 a second


def test_tier_limits_per_method_and_turning_them_off(
    standin: SlackStandIn, client: WebClient
) -> None:
    clock = _Clock()
    standin.enforce_rate_limits(clock=clock)
    view = {"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": []}
    for n in range(10):  # views.open is Tier 4: 100+ a minute, burst 10 here
        client.views_open(trigger_id=f"t{n}", view=view)
    assert _refused(lambda: client.views_open(trigger_id="t10", view=view)) == (429, "1")
    assert client.users_info(user=BOT_USER_ID)["ok"]  # its own bucket
    for _ in range(5):  # chat.update is Tier 3: 50+ a minute, burst 5 here
        client.chat_update(channel="C1", ts="1.0", text="x")
    assert _refused(lambda: client.chat_update(channel="C1", ts="1.0", text="x")) == (429, "2")
    assert client.api_call("reactions.add")["ok"]  # unlisted: not limited by default
    clock.t += 0.6  # 100 a minute: a token every 0.6 s
    assert client.views_open(trigger_id="t10", view=view)["ok"]
    standin.enforce_rate_limits(None)
    assert standin.rate_limits is None
    for n in range(20):
        client.views_open(trigger_id=f"u{n}", view=view)


def test_rate_limits_from_the_constructor_with_the_sdk_retrying() -> None:
    limits = RateLimits(post_message_per_channel=Limit(per_minute=60, burst=1))
    with SlackStandIn(rate_limits=limits) as standin:
        client = WebClient(
            token="xoxb-test",
            base_url=standin.api_url,
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
        )
        started = time.monotonic()
        client.chat_postMessage(channel="C1", text="first")
        assert client.chat_postMessage(channel="C1", text="second")["ok"]
        waited = time.monotonic() - started
    assert [c.status for c in standin.calls("chat.postMessage")] == [200, 429, 200]
    assert 1.0 <= waited < 4


def test_logical_and_server_errors_and_overrides(standin: SlackStandIn, client: WebClient) -> None:
    standin.fail_next("chat.postMessage", "channel_not_found", times=2)
    standin.fail_next("chat.postMessage", status=503)
    for expected in ("channel_not_found", "channel_not_found", "service_unavailable"):
        with pytest.raises(SlackApiError) as err:
            client.chat_postMessage(channel="C1", text="x")
        assert err.value.response["error"] == expected
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True
    assert [c.status for c in standin.calls()] == [200, 200, 503, 200]

    def custom(call: Call) -> tuple[int, dict[str, str], dict[str, Any]]:
        return 200, {"X-Custom": "1"}, {"ok": True, "channel": call.params["channel"], "ts": "1.0"}

    standin.respond("chat.postMessage", custom)
    assert client.chat_postMessage(channel="C9", text="x")["ts"] == "1.0"
    standin.respond("chat.postMessage", None)
    assert client.chat_postMessage(channel="C9", text="x")["ts"] != "1.0"

    def broken(call: Call) -> tuple[int, dict[str, str], dict[str, Any]]:
        raise RuntimeError("boom")

    standin.respond("chat.delete", broken)
    with pytest.raises(SlackApiError):
        client.chat_delete(channel="C1", ts="1.0")
    assert isinstance(standin.errors[0], RuntimeError)


def test_unknown_methods_and_apps_connections(standin: SlackStandIn, client: WebClient) -> None:
    assert client.api_call("reactions.add", params={"name": "x"})["ok"] is True
    app_client = WebClient(token="xapp-test", base_url=standin.api_url)
    assert app_client.apps_connections_open(app_token="xapp-test")["url"] == "ws://127.0.0.1:1/"
    assert standin.unknown_methods == ["reactions.add"]
    standin.clear()
    assert standin.calls() == [] and standin.unknown_methods == []


def test_wait_for_background_and_timeout(standin: SlackStandIn, client: WebClient) -> None:
    timer = threading.Timer(0.2, lambda: client.chat_postMessage(channel="C1", text="later"))
    timer.start()
    try:
        assert len(standin.wait_for("chat.postMessage", timeout=5)) == 1
    finally:
        timer.join()
    client.auth_test()
    with pytest.raises(AssertionError, match=r"views\.open.*auth\.test"):
        standin.wait_for("views.open", timeout=0.2)


# ------------------------------------------------------------------ signer


def test_sign_matches_slack_sdk_verifier() -> None:
    body = b"token=x&text=hello"
    headers = sign("secret", body, timestamp=1_700_000_000)
    assert headers["X-Slack-Request-Timestamp"] == "1700000000"
    assert headers["X-Slack-Signature"].startswith("v0=")
    verifier = SignatureVerifier("secret", clock=_FixedClock(1_700_000_000))
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("other", clock=_FixedClock(1_700_000_000)).is_valid_request(
        body, headers
    )


class _FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


@pytest.fixture
def bolt(standin: SlackStandIn) -> Iterator[tuple[SlackSender, list[dict[str, Any]]]]:
    """A tiny Bolt app on waitress, wired to the stand-in; yields a sender and
    the list of payloads its listeners saw."""
    seen: list[dict[str, Any]] = []
    app = App(
        token="xoxb-test",
        signing_secret=SECRET,
        client=WebClient(base_url=standin.api_url, token="xoxb-test"),
        process_before_response=True,
    )

    @app.command("/closedset")
    def closedset(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        seen.append(command)
        ack(f"Closed Set: {command['text']}")
        if command["text"] == "respond":
            respond("later")

    @app.action("approve")
    def approve(ack: Ack, body: dict[str, Any]) -> None:
        seen.append(body)
        ack()

    @app.view("schedule")
    def schedule(ack: Ack, view: dict[str, Any]) -> None:
        seen.append(view)
        ack(response_action="errors", errors={"when": "bad time"})

    @app.event("app_mention")
    def mention(event: dict[str, Any], say: Any) -> None:
        seen.append(event)
        say("hello")

    with serve_wsgi(SlackRequestHandler(app)) as url:
        yield SlackSender(url, SECRET, response_base=standin.base_url), seen


def test_signed_command_and_bad_signatures(
    standin: SlackStandIn, bolt: tuple[SlackSender, list[dict[str, Any]]]
) -> None:
    sender, seen = bolt
    assert standin.calls("auth.test")  # Bolt verified its token against the stand-in

    ok = sender.command("status", user_id="U0ALICE01")
    assert ok.status == 200 and ok.text == "Closed Set: status"
    assert seen[0]["user_id"] == "U0ALICE01" and seen[0]["command"] == "/closedset"
    assert seen[0]["trigger_id"] and seen[0]["response_url"].startswith(standin.base_url)

    assert sender.with_secret("wrong").command("status", user_id="U1").status == 401
    assert sender.with_clock_skew(-600).command("status", user_id="U1").status == 401
    body = b"command=%2Fclosedset&text=x"
    stale = sign(SECRET, body, int(time.time()) - 3600)
    assert sender.raw(body, stale).status == 401
    assert sender.raw(body, {}).status == 401
    assert len(seen) == 1


def test_respond_reaches_standin(
    standin: SlackStandIn, bolt: tuple[SlackSender, list[dict[str, Any]]]
) -> None:
    sender, _ = bolt
    assert sender.command("respond", user_id="U1").status == 200
    (call,) = standin.wait_for(RESPONSE_URL_METHOD)
    assert call.params["text"] == "later"


def test_block_action_view_submission_and_event(
    standin: SlackStandIn, bolt: tuple[SlackSender, list[dict[str, Any]]]
) -> None:
    sender, seen = bolt
    act = sender.block_action(user_id="U1", action_id="approve", value="42")
    assert act.status == 200
    body = seen[-1]
    assert body["type"] == "block_actions" and body["actions"][0]["value"] == "42"
    assert body["container"]["type"] == "message" and body["channel"]["id"]

    modal = {"id": "V123", "type": "modal", "callback_id": "schedule"}
    assert sender.block_action(user_id="U1", action_id="approve", view=modal).status == 200
    assert seen[-1]["container"] == {"type": "view", "view_id": "V123"}

    values = {
        "when": {"t": timepicker("0930")},
        "who": {"u": users(["U1", "U2"])},
        "note": {"n": plain("hi")},
        "kind": {"k": static("scene")},
        "ok": {"c": checkboxes(["a"])},
    }
    sub = sender.view_submission(
        user_id="U1", callback_id="schedule", values=values, private_metadata="m"
    )
    assert sub.status == 200
    assert sub.json() == {"response_action": "errors", "errors": {"when": "bad time"}}
    view = seen[-1]
    assert view["state"]["values"]["when"]["t"]["selected_time"] == "09:30"
    assert view["private_metadata"] == "m"

    ev = sender.event(
        {"type": "app_mention", "user": "U1", "text": "<@UBOT0000001> hi", "channel": "C1"}
    )
    assert ev.status == 200
    (said,) = standin.wait_for("chat.postMessage")
    assert said.params["channel"] == "C1" and said.params["text"] == "hello"

    retry = sender.event(
        {"type": "app_mention", "user": "U1", "text": "x", "channel": "C1"}, retry_num=1
    )
    assert retry.status == 200
    assert sender.url_verification("abc").json() == {"challenge": "abc"}
    assert standin.unknown_methods == []


def test_multipart_upload_is_decoded(standin: SlackStandIn, client: WebClient) -> None:
    client.api_call("files.upload", files={"file": b"a,b\n"}, data={"channels": "C1"})
    call = standin.last("files.upload")
    assert call.params["file"] == b"a,b\n" and call.params["channels"] == "C1"
    assert standin.unknown_methods == ["files.upload"]
