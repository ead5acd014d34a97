"""One deployment, several workspaces ("Add to Slack"): the OAuth flow against the stand-in, the
installations in the database, and each workspace served with its own token, nothing crossing
over."""

from __future__ import annotations

import html
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import OAuth, create_app, make_client
from bot.clock import FixedClock
from bot.config import BOT_SCOPES, ConfigError, load_settings, manifest_scopes
from bot.delivery.dispatch import Dispatcher
from bot.deps import Deps, Services
from bot.installations import DatabaseInstallationStore, Workspaces
from bot.ratelimit import PacedWebClient, Pacer
from bot.server import HttpServer, wsgi_app
from bot.worker import Worker
from handlers.blocks.messages import render
from storage.db import session_scope
from storage.installations import Installed, find_installation
from storage.models import (
    AuditEvent,
    Delivery,
    DeliveryStatus,
    OAuthState,
    Production,
    SlackInstallation,
    Workspace,
)
from tests import test_outsiders as outsiders
from tests.conftest import NOW, SIGNING_SECRET, RunningApp
from tests.support import privacy, processes
from tests.support.e2e import CAST_CSV, add_people, blocks_text
from tests.support.signing import SlackSender
from tests.support.slack_standin import Call, SlackStandIn
from tests.support.standin_oauth import CLIENT_ID, CLIENT_SECRET
from tests.support.world import COORDINATOR, build
from tests.support.world import TEAM as WORLD_TEAM

TEAM_A, TEAM_B = "T0AAAAAAA1", "T0BBBBBBB2"
CLOSEDSET = str(Path(sys.executable).with_name("closedset"))


@dataclass
class Browser:
    """An installer's browser and Slack, against a running app."""

    url: str
    standin: SlackStandIn
    session_factory: sessionmaker[Session]
    slack: SlackSender

    def get(self, path: str, *, cookie: str | None = None) -> tuple[int, dict[str, str], str]:
        request = urllib.request.Request(self.url + path, headers={"Cookie": cookie or ""})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers.items()), response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, dict(error.headers.items()), error.read().decode()

    def install_page(self) -> tuple[str, str]:
        """Open the install page: the authorize URL it links to, and the state cookie."""
        status, headers, body = self.get("/slack/install")
        assert status == 200
        (href,) = re.findall(r'href="([^"]+)"', body)
        cookie = headers["Set-Cookie"].split(";")[0]
        return html.unescape(href), cookie

    def install(self, team_id: str | None, **grant: Any) -> tuple[int, str]:
        """The whole flow: the install page, the installer allowing the app on Slack, Slack's
        redirect back with the code and the state."""
        link, cookie = self.install_page()
        state = parse_qs(urlsplit(link).query)["state"][0]
        code = self.standin.authorize(team_id, **grant)
        status, _, body = self.get(
            "/slack/oauth_redirect?" + urlencode({"code": code, "state": state}), cookie=cookie
        )
        return status, body


@dataclass
class Served(Browser):
    """The app in OAuth mode in this process, with its parts."""

    clock: FixedClock
    workspaces: Workspaces
    dispatcher: Dispatcher
    worker: Worker

    def running_app(self) -> RunningApp:
        """The same app as the fixtures' `RunningApp`, for helpers written for those."""
        return RunningApp(
            self.url,
            self.slack,
            self.standin,
            self.session_factory,
            self.session_factory.kw["bind"],
            self.clock,
            self.dispatcher,
            self.worker,
        )


@contextmanager
def serving(
    engine: Engine, session_factory: sessionmaker[Session], standin: SlackStandIn
) -> Iterator[Served]:
    """The app in OAuth mode, as `serve` builds it with SLACK_CLIENT_ID and no bot token."""
    clock = FixedClock(NOW)
    services = Services(session_factory, clock)
    base = make_client(token=None, base_url=standin.api_url, rate_scale=100)

    def make(token: str, pacer: Pacer) -> WebClient:
        return make_client(token=token, base_url=standin.api_url, pacer=pacer)

    workspaces = Workspaces(
        session_factory,
        clock,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        oauth=base,
        make=make,
        rate_scale=100,
    )
    dispatcher = Dispatcher(services, base, render=render, threads=4, workspaces=workspaces)
    worker = Worker(
        services,
        base,
        threads=6,
        urgent_threads=2,
        on_wake=dispatcher.run_due,
        clients=workspaces.client,
    )
    app = create_app(
        client=base,
        signing_secret=SIGNING_SECRET,
        deps=Deps(session_factory, clock, worker),
        oauth=OAuth(workspaces, BOT_SCOPES),
    )
    server = HttpServer(wsgi_app(app, engine), host="127.0.0.1", port=0, threads=4)
    thread = server.start_in_thread()
    url = f"http://127.0.0.1:{server.port}"
    try:
        yield Served(
            url,
            standin,
            session_factory,
            SlackSender(url, SIGNING_SECRET, response_base=standin.base_url),
            clock,
            workspaces,
            dispatcher,
            worker,
        )
    finally:
        server.stop()
        thread.join(timeout=10)
        worker.shutdown()
        dispatcher.close()


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as server:
        server.add_workspace(TEAM_A, "Night Shift Productions")
        server.add_workspace(TEAM_B, "Day Shift Films", enterprise_id="E0STUDIO01")
        yield server
    problems = privacy.check_calls(server.calls())
    assert not problems, "\n".join(problems)


@pytest.fixture
def oauth(
    engine: Engine, session_factory: sessionmaker[Session], slack: SlackStandIn
) -> Iterator[Served]:
    with serving(engine, session_factory, slack) as served:
        yield served


def _row(served: Browser, team_id: str) -> SlackInstallation | None:
    with served.session_factory() as session:
        return session.scalar(select(SlackInstallation).where(SlackInstallation.team_id == team_id))


def _wait(predicate: Callable[[], bool], what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


# ------------------------------------------------------------------ the stand-in


def test_the_standin_installs_refreshes_and_exchanges_like_slack(slack: SlackStandIn) -> None:
    client = WebClient(base_url=slack.api_url)
    app = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    code = slack.authorize(TEAM_A, redirect_uri="https://example.test/slack/oauth_redirect")
    with pytest.raises(SlackApiError, match="bad_redirect_uri"):
        client.oauth_v2_access(**app, code=code)
    code = slack.authorize(TEAM_A)
    with pytest.raises(SlackApiError, match="bad_client_secret"):
        client.oauth_v2_access(client_id=CLIENT_ID, client_secret="wrong", code=code)
    first = client.oauth_v2_access(**app, code=code)
    assert (first["team"], first["token_type"], first["expires_in"]) == (
        {"id": TEAM_A, "name": "Night Shift Productions"},
        "bot",
        43200,
    )
    with pytest.raises(SlackApiError, match="invalid_code"):  # a code is good once
        client.oauth_v2_access(**app, code=code)
    again = client.oauth_v2_access(
        **app, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert again["access_token"] != first["access_token"]
    with pytest.raises(SlackApiError, match="invalid_refresh_token"):  # spent
        client.oauth_v2_access(
            **app, grant_type="refresh_token", refresh_token=first["refresh_token"]
        )
    for token in (first["access_token"], again["access_token"]):
        assert client.auth_test(token=token)["team_id"] == TEAM_A
    lasting = client.oauth_v2_access(**app, code=slack.authorize(TEAM_B, rotation=False))
    assert "refresh_token" not in lasting.data
    exchanged = client.oauth_v2_exchange(token=lasting["access_token"], **app)
    assert exchanged["access_token"].startswith("xoxe.xoxb-") and exchanged["refresh_token"]
    assert client.auth_test(token=exchanged["access_token"])["team_id"] == TEAM_B
    assert WebClient(token="xoxb-test", base_url=slack.api_url).auth_test()["team_id"] == (
        "T0TEST0001"
    )
    slack.revoke(TEAM_B)
    with pytest.raises(SlackApiError, match="invalid_auth"):
        client.auth_test(token=exchanged["access_token"])


# ------------------------------------------------------------------ the flow


def test_the_install_page_links_to_slack_with_a_fresh_state(oauth: Served) -> None:
    link, cookie = oauth.install_page()
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "slack.com", "/oauth/v2/authorize")
    query = parse_qs(parts.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == list(BOT_SCOPES)
    assert cookie == f"slack-app-oauth-state={query['state'][0]}"
    with oauth.session_factory() as session:
        stored = session.get(OAuthState, query["state"][0])
        assert stored is not None and stored.expires_at == NOW + timedelta(minutes=10)
    second, _ = oauth.install_page()
    assert parse_qs(urlsplit(second).query)["state"] != query["state"]


def test_install_saves_the_workspace_with_its_token_sealed(oauth: Served) -> None:
    status, page = oauth.install(TEAM_A)
    assert status == 200
    assert "Night Shift Productions" in page and "/closedset setup" in page
    (token,) = oauth.standin.tokens_of(TEAM_A)
    row = _row(oauth, TEAM_A)
    assert row is not None
    assert token.encode() not in row.bot_token_ct  # sealed at rest
    assert row.bot_refresh_token_ct is not None and b"xoxe-" not in row.bot_refresh_token_ct
    assert row.bot_token_expires_at is not None  # 12 hours on the app's clock
    assert abs((row.bot_token_expires_at - NOW - timedelta(hours=12)).total_seconds()) < 5
    with oauth.session_factory() as session:
        found = find_installation(session, team_id=TEAM_A)
    assert found is not None
    assert (found.bot_token, found.bot_user_id, found.bot_id) == (
        token,
        "UB0AAAAAAA1",
        "B0AAAAAAA1",
    )
    assert found.enterprise_id is None and token not in repr(found)
    exchanged = oauth.standin.calls("oauth.v2.access")[-1]
    assert exchanged.ok and (exchanged.header("authorization") or "").startswith("Basic ")


def test_a_workspace_inside_an_org_records_its_enterprise(oauth: Served) -> None:
    assert oauth.install(TEAM_B)[0] == 200
    row = _row(oauth, TEAM_B)
    assert row is not None and row.enterprise_id == "E0STUDIO01"


def test_an_org_wide_install_is_refused_with_a_clear_page(oauth: Served) -> None:
    status, page = oauth.install(None, org_wide_enterprise="E0STUDIO01")
    assert status == 400
    assert "whole Enterprise Grid organization" in page
    (issued,) = [(c.response or {})["access_token"] for c in oauth.standin.calls("oauth.v2.access")]
    (revoked,) = oauth.standin.calls("auth.revoke")
    assert revoked.token == issued and issued not in oauth.standin.valid_tokens
    with oauth.session_factory() as session:
        assert session.scalars(select(SlackInstallation)).all() == []


def test_a_replayed_state_is_refused(oauth: Served) -> None:
    link, cookie = oauth.install_page()
    state = parse_qs(urlsplit(link).query)["state"][0]
    first = oauth.standin.authorize(TEAM_A)
    query = {"code": first, "state": state}
    assert oauth.get("/slack/oauth_redirect?" + urlencode(query), cookie=cookie)[0] == 200
    second = {"code": oauth.standin.authorize(TEAM_B), "state": state}
    status, _, page = oauth.get("/slack/oauth_redirect?" + urlencode(second), cookie=cookie)
    assert status == 400 and "expired" in page
    assert _row(oauth, TEAM_B) is None


@pytest.mark.parametrize(
    ("after", "accepted"),
    [
        pytest.param(timedelta(minutes=10) - timedelta(seconds=1), True, id="one-second-inside"),
        pytest.param(timedelta(minutes=10), False, id="exactly-10-minutes"),
        pytest.param(timedelta(hours=1), False, id="an-hour-later"),
    ],
)
def test_a_state_lasts_ten_minutes(oauth: Served, after: timedelta, accepted: bool) -> None:
    link, cookie = oauth.install_page()
    state = parse_qs(urlsplit(link).query)["state"][0]
    oauth.clock.advance(after)
    query = {"code": oauth.standin.authorize(TEAM_A), "state": state}
    status, _, _ = oauth.get("/slack/oauth_redirect?" + urlencode(query), cookie=cookie)
    assert (status == 200) is accepted
    assert (_row(oauth, TEAM_A) is not None) is accepted


def test_a_state_from_another_browser_is_refused(oauth: Served) -> None:
    link, _ = oauth.install_page()
    state = parse_qs(urlsplit(link).query)["state"][0]
    query = {"code": oauth.standin.authorize(TEAM_A), "state": state}
    status, _, _ = oauth.get("/slack/oauth_redirect?" + urlencode(query))  # no cookie
    assert status == 400 and _row(oauth, TEAM_A) is None


def test_a_cancelled_install_changes_nothing(oauth: Served) -> None:
    status, _, page = oauth.get("/slack/oauth_redirect?error=access_denied")
    assert status == 200 and "cancelled" in page
    assert _row(oauth, TEAM_A) is None


def test_reinstalling_updates_the_installation_and_keeps_the_data(oauth: Served) -> None:
    oauth.install(TEAM_A)
    first = _row(oauth, TEAM_A)
    build(oauth.session_factory, now=NOW, team_id=TEAM_A)
    oauth.clock.advance(timedelta(days=1))
    assert oauth.install(TEAM_A)[0] == 200
    again = _row(oauth, TEAM_A)
    assert first is not None and again is not None
    assert again.id == first.id and again.bot_token_ct != first.bot_token_ct
    assert (again.installed_at, again.updated_at) == (NOW, NOW + timedelta(days=1))
    with oauth.session_factory() as session:
        assert session.scalar(select(Workspace).where(Workspace.team_id == TEAM_A)) is not None
    newest = oauth.standin.tokens_of(TEAM_A)[-1]
    opened = _command_opens_setup(oauth, TEAM_A)
    assert opened.token == newest  # the cache saw the reinstall at once


# ------------------------------------------------------------------ tokens


def _command_opens_setup(served: Browser, team_id: str, user_id: str = COORDINATOR) -> Call:
    before = len(served.standin.calls("views.open"))
    assert served.slack.command("setup", user_id=user_id, team_id=team_id).status == 200
    return served.standin.wait_for("views.open", count=before + 1)[-1]


def test_a_rotating_token_is_refreshed_before_it_expires(oauth: Served) -> None:
    oauth.install(TEAM_A)
    (old,) = oauth.standin.tokens_of(TEAM_A)
    oauth.clock.advance(timedelta(hours=9))  # 3 h left: no refresh yet
    assert _command_opens_setup(oauth, TEAM_A).token == old
    oauth.clock.advance(timedelta(hours=1, minutes=1))  # under 2 h left
    opened = _command_opens_setup(oauth, TEAM_A)
    refreshes = [c for c in oauth.standin.calls("oauth.v2.access") if c.params.get("grant_type")]
    assert len(refreshes) == 1 and refreshes[0].ok
    new = oauth.standin.tokens_of(TEAM_A)[-1]
    assert new != old and opened.token == new
    with oauth.session_factory() as session:
        found = find_installation(session, team_id=TEAM_A)
    assert found is not None and found.bot_token == new
    assert found.bot_token_expires_at == oauth.clock.now() + timedelta(hours=12)


def test_the_delivery_engine_refreshes_a_quiet_workspace_token(oauth: Served) -> None:
    oauth.install(TEAM_A)
    (old,) = oauth.standin.tokens_of(TEAM_A)
    build(
        oauth.session_factory, now=NOW, team_id=TEAM_A, scenes={"42A": (timedelta(days=1), ("1",))}
    )
    oauth.clock.advance(timedelta(hours=11))  # nobody used Slack meanwhile
    result = oauth.dispatcher.run_due()
    assert result.sent > 0
    posts = oauth.standin.calls("chat.postMessage")
    assert posts and {p.token for p in posts} == {oauth.standin.tokens_of(TEAM_A)[-1]}
    assert old not in {p.token for p in posts}


def test_a_token_slack_will_not_refresh_is_retried_then_dropped_once_uninstalled(
    oauth: Served,
) -> None:
    oauth.install(TEAM_A)
    build(
        oauth.session_factory, now=NOW, team_id=TEAM_A, scenes={"42A": (timedelta(days=1), ("1",))}
    )
    oauth.standin.revoke(TEAM_A)  # its refresh token too; Slack's event has not come yet
    oauth.clock.advance(timedelta(hours=13))  # the token has expired
    result = oauth.dispatcher.run_due()
    assert result.retried > 0 and result.sent == result.failed == result.skipped == 0
    with oauth.session_factory() as session:
        assert {d.error for d in session.scalars(select(Delivery)) if d.attempts} == {
            "token_expired"
        }
    with session_scope(oauth.session_factory) as session:  # the uninstall, in another process
        session.delete(session.scalar(select(SlackInstallation).filter_by(team_id=TEAM_A)))
    oauth.clock.advance(timedelta(minutes=10))
    oauth.workspaces.forget(TEAM_A)  # as its cache entry runs out (CACHE_SECONDS)
    result = oauth.dispatcher.run_due()
    assert result.skipped > 0 and result.sent == result.failed == result.retried == 0
    with oauth.session_factory() as session:
        tried = [d for d in session.scalars(select(Delivery)) if d.attempts]
    assert tried and all(
        (d.status, d.error) == (DeliveryStatus.SKIPPED, "uninstalled") for d in tried
    )


def test_requests_take_the_token_from_memory_not_a_query_each(
    oauth: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    oauth.install(TEAM_A)
    reads: list[str] = []
    find = oauth.workspaces.store.find_installed

    def counted(team_id: str) -> Installed | None:
        reads.append(team_id)
        return find(team_id)

    monkeypatch.setattr(oauth.workspaces.store, "find_installed", counted)
    for _ in range(5):
        _command_opens_setup(oauth, TEAM_A)
    assert reads == [TEAM_A]  # once: after the install wrote it, not per request or job
    assert [c.method for c in oauth.standin.calls()].count("auth.test") == 1  # the install's


def test_a_stale_installation_is_read_again_off_the_request_path(
    oauth: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    oauth.install(TEAM_A)
    workspaces = oauth.workspaces
    first = workspaces.installed(TEAM_A)
    assert first is not None
    reading, release = threading.Event(), threading.Event()
    find = workspaces.store.find_installed

    def slow(team_id: str) -> Installed | None:
        reading.set()
        release.wait(5)
        return find(team_id)

    monkeypatch.setattr(workspaces.store, "find_installed", slow)
    monkeypatch.setattr(workspaces, "cache_seconds", 0.0)  # every entry is stale now
    # Answered from memory at once, while one thread reads it again (not one per caller).
    assert workspaces.installed(TEAM_A) is first
    assert workspaces.installed(TEAM_A) is first
    assert reading.wait(5)
    release.set()
    deadline = time.monotonic() + 5
    while workspaces.installed(TEAM_A) is first and time.monotonic() < deadline:
        time.sleep(0.01)
    again = workspaces.installed(TEAM_A)
    assert again is not first and again is not None and again.bot_token == first.bot_token
    # A team never seen is read on the spot: there is nothing to answer from.
    assert workspaces.installed("T0NEVER001") is None


def test_each_workspace_is_paced_apart(oauth: Served) -> None:
    oauth.install(TEAM_A)
    oauth.install(TEAM_B)
    a, b = oauth.workspaces.client(TEAM_A), oauth.workspaces.client(TEAM_B)
    assert isinstance(a, PacedWebClient) and isinstance(b, PacedWebClient)
    assert a.pacer is not b.pacer
    assert (a.token, b.token) == (
        oauth.standin.tokens_of(TEAM_A)[0],
        oauth.standin.tokens_of(TEAM_B)[0],
    )
    oauth.install(TEAM_A)  # a new token, the same workspace's limits
    again = oauth.workspaces.client(TEAM_A)
    assert isinstance(again, PacedWebClient) and again.token != a.token
    assert again.pacer is a.pacer


# ------------------------------------------------------------------ workspaces side by side


def _two_workspaces(served: Served) -> None:
    served.install(TEAM_A)
    served.install(TEAM_B)
    build(served.session_factory, now=NOW, team_id=TEAM_A, name="Night Shift")
    build(served.session_factory, now=NOW, team_id=TEAM_B, name="Day Shift")


def _production_named_in(params: dict[str, Any]) -> set[str]:
    text = blocks_text(params)
    return {name for name in ("Night Shift", "Day Shift") if name in text}


def test_two_workspaces_each_get_their_messages_with_their_own_token(oauth: Served) -> None:
    _two_workspaces(oauth)
    oauth.clock.advance(timedelta(days=3, hours=1))  # the prompts are due in both
    result = oauth.dispatcher.run_due()
    assert result.sent == 4 and result.failed == result.skipped == result.retried == 0
    teams = {TEAM_A: "Night Shift", TEAM_B: "Day Shift"}
    seen = set()
    for call in oauth.standin.calls("chat.postMessage"):
        team = oauth.standin.team_of_token(call.token)
        assert team in teams, "a post without a workspace's own token"
        named = _production_named_in(call.params)
        assert named <= {teams[team]}, "a workspace was sent another's production"
        seen.add(team)
    assert seen == {TEAM_A, TEAM_B}
    for team in (TEAM_A, TEAM_B):  # each workspace's command runs with its own token
        opened = _command_opens_setup(oauth, team)
        assert oauth.standin.team_of_token(opened.token) == team


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({"type": "app_uninstalled"}, id="app_uninstalled"),
        pytest.param({"type": "tokens_revoked", "tokens": {"bot": ["B0AAAAAAA1"]}}, id="revoked"),
    ],
)
def test_uninstalling_one_workspace_leaves_the_other_working(
    oauth: Served, event: dict[str, Any]
) -> None:
    _two_workspaces(oauth)
    oauth.standin.revoke(TEAM_A)
    assert oauth.slack.event(event, team_id=TEAM_A).status == 200
    _wait(lambda: _row(oauth, TEAM_A) is None, "the installation was not deleted")
    with oauth.session_factory() as session:
        assert session.scalar(select(Workspace).where(Workspace.team_id == TEAM_A)) is None
    oauth.clock.advance(timedelta(days=3, hours=1))
    result = oauth.dispatcher.run_due()
    assert result.sent > 0 and result.failed == 0 and result.retried == 0
    posts = oauth.standin.calls("chat.postMessage")
    assert {oauth.standin.team_of_token(c.token) for c in posts} == {TEAM_B}
    opened = _command_opens_setup(oauth, TEAM_B)
    assert oauth.standin.team_of_token(opened.token) == TEAM_B


def test_a_removed_workspace_pending_messages_are_dropped_not_retried(oauth: Served) -> None:
    """Its installation gone (deleted by another process) while its rows remain: they are
    dropped at their first try, and the other workspace's go out."""
    _two_workspaces(oauth)
    oauth.workspaces.installed(TEAM_A)  # cached in this process
    with session_scope(oauth.session_factory) as session:
        session.delete(session.scalar(select(SlackInstallation).filter_by(team_id=TEAM_A)))
    oauth.standin.revoke(TEAM_A)
    oauth.clock.advance(timedelta(days=3, hours=1))
    result = oauth.dispatcher.run_due()
    assert result.retried == 0 and result.failed == 0 and result.sent > 0
    with oauth.session_factory() as session:
        rows = session.scalars(select(Delivery)).all()
        dropped = [r for r in rows if r.error == "uninstalled"]
        assert dropped and all(r.status is DeliveryStatus.SKIPPED for r in dropped)
        teams = {session.get_one(Production, r.production_id).workspace.team_id for r in dropped}
    assert teams == {TEAM_A}
    assert oauth.dispatcher.run_due().sent == 0  # nothing left to retry


def test_a_request_from_a_workspace_without_the_app_is_not_served(oauth: Served) -> None:
    oauth.install(TEAM_A)
    before = len(oauth.standin.calls())
    response = oauth.slack.command("setup", user_id=COORDINATOR, team_id=TEAM_B)
    assert response.status == 200
    (told,) = oauth.standin.wait_for("response_url")  # Bolt's "please reinstall"
    assert "reinstall" in told.params["text"]
    time.sleep(0.2)
    assert [c.method for c in oauth.standin.calls()[before:]] == ["response_url"]


# ------------------------------------------------------------------ settings


BASE = {"SLACK_SIGNING_SECRET": "s", "CLOSEDSET_ENCRYPTION_KEY": ""}


def test_client_id_and_secret_select_oauth_mode() -> None:
    settings = load_settings(
        {**BASE, "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "x"}, serving=True
    )
    assert settings.oauth and settings.slack_bot_token is None
    assert settings.slack_scopes == manifest_scopes() and settings.token_refresh_minutes == 120
    assert settings.slack_redirect_uri is None


def test_a_bot_token_keeps_single_workspace_mode() -> None:
    env = {**BASE, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_CLIENT_ID": "1.2"}
    assert not load_settings(env, serving=True).oauth


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SLACK_CLIENT_ID": "1.2"}, "SLACK_CLIENT_SECRET"),
        ({"SLACK_CLIENT_SECRET": "x"}, "SLACK_CLIENT_ID"),
        (
            {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "x", "SLACK_APP_TOKEN": "xapp-1"},
            "SLACK_APP_TOKEN",
        ),
        (
            {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "x", "SLACK_SIGNING_SECRET": ""},
            "SLACK_SIGNING_SECRET",
        ),
        (
            {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "x", "SLACK_REDIRECT_URI": "x"},
            "SLACK_REDIRECT_URI",
        ),
        (
            {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "x", "SLACK_SCOPES": "a b"},
            "SLACK_SCOPES",
        ),
        ({}, "SLACK_BOT_TOKEN"),
    ],
)
def test_config_errors_name_the_setting(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({**BASE, **env}, serving=True)
    assert str(raised.value).startswith(named)


def test_the_default_scopes_are_the_manifest_s() -> None:
    assert manifest_scopes() == BOT_SCOPES
    assert manifest_scopes(Path("/nonexistent/manifest.json")) == BOT_SCOPES


# ------------------------------------------------------------------ crafted payloads


@pytest.mark.parametrize("outsider", [outsiders.OTHER_COORDINATOR, outsiders.NOBODY])
def test_every_button_and_modal_from_another_workspace_with_its_ids_is_refused(
    oauth: Served, monkeypatch: pytest.MonkeyPatch, outsider: str
) -> None:
    """Workspace B's people (B's coordinator, and someone in no production) send every
    action id and every modal callback with workspace A's ids in the payload: each is refused
    and leaves no trace (`tests.test_outsiders` does the same within one workspace)."""
    oauth.standin.add_workspace(WORLD_TEAM, "Closed Set Test")
    oauth.install(WORLD_TEAM)
    oauth.install(TEAM_B)
    app = oauth.running_app()
    a = outsiders._build_a(app)
    outsiders._build_b(app, TEAM_B)
    jobs = outsiders.Jobs(app.worker, monkeypatch)
    problems: list[str] = []

    def attempt(name: str, send: Callable[[], Any]) -> None:
        before, since = outsiders.snapshot(app.engine), len(app.standin.calls())
        with oauth.session_factory() as session:
            audited = session.scalar(select(func.max(AuditEvent.id))) or 0
        response = send()
        jobs.settle()
        if response.status != 200:
            problems.append(f"{name}: HTTP {response.status}")
        found = outsiders.A_WORDS.search(response.text)
        if found:
            problems.append(f"{name}: the acknowledgement shows {found.group(0)!r}")
        after = outsiders.snapshot(app.engine)
        changed = [t for t in outsiders._changed(before, after) if t != "audit_event"]
        if changed:
            problems.append(f"{name}: changed {', '.join(changed)}")
        with oauth.session_factory() as session:  # B's own reads of its own production only
            added = session.scalars(select(AuditEvent).where(AuditEvent.id > audited)).all()
            foreign = [
                e.action for e in added if e.team_id != TEAM_B or e.production_id == a.production
            ]
        if foreign:
            problems.append(f"{name}: audited in A: {foreign}")
        problems.extend(f"{name}: {p}" for p in outsiders._leaks(app, since))
        for call in app.standin.calls()[since:]:
            if call.token and oauth.standin.team_of_token(call.token) != TEAM_B:
                problems.append(f"{name}: {call.method} with another workspace's token")

    for action_id, click in outsiders.clicks(a).items():
        if click.where == "home":
            where: dict[str, Any] = {"view": {"id": "VHOME00001", "type": "home"}}
        elif click.where == "modal":
            modal = {"id": "VMODAL0001", "type": "modal", "private_metadata": click.value}
            where = {"view": modal}
        elif click.where == "own_channel":
            where = {"channel_id": outsiders.OUTSIDER_CHANNEL}
        else:
            channel, ts = a.reminder_at
            where = {"channel_id": channel, "message": {"ts": ts, "type": "message", "text": ""}}
        click_it = partial(
            app.slack.block_action, user_id=outsider, action_id=action_id, team_id=TEAM_B
        )
        attempt(action_id, partial(click_it, value=click.value, **where))
    for callback_id, (metadata, values) in outsiders.submissions(a).items():
        submit = partial(
            app.slack.view_submission, user_id=outsider, callback_id=callback_id, team_id=TEAM_B
        )
        attempt(callback_id, partial(submit, private_metadata=metadata, values=values))
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------ `closedset serve`


def test_serve_with_client_id_installs_and_serves_each_workspace(
    engine: Engine, slack: SlackStandIn, tmp_path: Path
) -> None:
    """The real `closedset serve` in OAuth mode: the install page, Slack's redirect, then a
    command from the installed workspace answered with its own token."""
    database = processes.database_for(engine)
    env = processes.serve_env(slack, database.url, database.key, sweep=None)
    del env["SLACK_BOT_TOKEN"]
    env |= {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET}
    with processes.serving(env, tmp_path) as (serve,):
        served = Browser(
            serve.url,
            slack,
            database.session_factory,
            SlackSender(serve.url, env["SLACK_SIGNING_SECRET"], response_base=slack.base_url),
        )
        status, page = served.install(TEAM_A)
        assert status == 200 and "/closedset setup" in page, serve.log()
        assert _row(served, TEAM_A) is not None
        opened = _command_opens_setup(served, TEAM_A)
        assert slack.team_of_token(opened.token) == TEAM_A
        assert "GET /slack/install" in serve.log()


def test_serve_refuses_socket_mode_with_client_id(tmp_path: Path) -> None:
    env = {
        "PATH": "",
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_APP_TOKEN": "xapp-1",
    }
    result = subprocess.run(
        [CLOSEDSET, "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("closedset: SLACK_APP_TOKEN cannot be used with SLACK_CLIENT_ID")


def test_cast_import_on_the_command_line_uses_the_production_workspace_token(
    engine: Engine, slack: SlackStandIn, tmp_path: Path
) -> None:
    database = processes.database_for(engine)
    add_people(slack)
    build(database.session_factory, now=NOW, team_id=TEAM_B, name="Day Shift")
    for team in (TEAM_A, TEAM_B):
        granted = WebClient(base_url=slack.api_url).oauth_v2_access(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=slack.authorize(team)
        )
        store = DatabaseInstallationStore(database.session_factory, FixedClock(NOW))
        store.save_installed(Installed(team_id=team, bot_token=str(granted["access_token"])))
    (tmp_path / "cast.csv").write_text(CAST_CSV)
    env = processes.serve_env(slack, database.url, database.key, sweep=None)
    del env["SLACK_BOT_TOKEN"]
    env |= {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET}
    slack.clear()
    result = subprocess.run(
        [CLOSEDSET, "cast", "import", "cast.csv", "--production", "Day Shift"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    looked_up = [c for c in slack.calls() if c.method.startswith("users.")]
    assert looked_up and {slack.team_of_token(c.token) for c in looked_up} == {TEAM_B}
