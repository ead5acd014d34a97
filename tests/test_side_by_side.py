"""Two workspaces installed side by side ("Add to Slack"), each with its own production, running
every main flow at the same time (one thread per workspace, each with its own team id): boundary
prompts answered, a request to a department channel and its acknowledgement, a private note, a
check-in round with a pause, the closure questions after the scene, an AD reminder snoozed and
then done, the status and closure modals and each role's Home tab. Nothing may cross over: every
call for a workspace's people and channels carries its own token and none of the other
workspace's names, ids or texts; each row and audit event belongs to one workspace; and each
workspace gets the same messages as the other, as one workspace alone gets them."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cast.resolve import RosterEntry
from bot.ids import (
    VALUE,
    AdAction,
    BoundaryAction,
    ChangesView,
    CheckinAction,
    ClosureAction,
    ConfirmView,
    CoordinatorAction,
    NoteView,
    RequestAction,
    RequestView,
)
from storage.db import session_scope
from storage.models import AuditEvent, Base, Production, RequestPost
from tests.conftest import NOW
from tests.support import privacy
from tests.support.e2e import blocks_text, button_value
from tests.support.signing import Response, checkboxes, plain, radio, static
from tests.support.slack_standin import Call, SlackStandIn
from tests.support.standin_calls import dm_channel_id
from tests.support.world import build
from tests.test_oauth import TEAM_A, TEAM_B, Served, serving

BOOKING = "11A"  # five days ahead: prompts, answers, the AD reminder
ON_SET = "12"  # an hour ahead: the check-in round
EVENING_BEFORE = datetime(2026, 3, 5, 18, 0, tzinfo=UTC)  # 11A is on Fri 6 Mar at 09:00


@dataclass(frozen=True)
class Side:
    """One workspace's production: every name, id and text in it is its own (a marker)."""

    team: str
    production: str
    coordinator: str
    ad: str
    crew: str  # a crew member in the department channel
    performers: tuple[str, str, str]
    cast: tuple[RosterEntry, ...]
    ad_channel: str
    department: str
    booking: str
    on_set: str
    planned: str
    request: str
    note: str
    changes: str

    def markers(self) -> dict[str, str]:
        """Role → this side's value, for every string that identifies it."""
        found = {
            "production": self.production,
            "coordinator": self.coordinator,
            "ad": self.ad,
            "crew": self.crew,
            "ad_channel": self.ad_channel,
            "department": self.department,
            "planned": self.planned,
            "request": self.request,
            "note": self.note,
            "changes": self.changes,
        }
        for role in ("coordinator", "ad"):
            found[f"{role}_dm"] = dm_channel_id(found[role])
        for i, entry in enumerate(self.cast, 1):
            found |= {
                f"p{i}": entry.slack_user_id or "",
                f"character{i}": entry.character,
                f"performer{i}": entry.performer_name,
                f"email{i}": entry.email or "",
                f"p{i}_dm": dm_channel_id(entry.slack_user_id or ""),
            }
        return found

    def normalize(self, text: str) -> str:
        """`text` with this side's markers and scene numbers replaced by their roles."""
        for role, value in sorted(self.markers().items(), key=lambda kv: -len(kv[1])):
            if value:
                text = text.replace(value, f"<{role}>")
        return text.replace(self.booking, "<booking>").replace(self.on_set, "<on_set>")


def _side(team: str, letter: str, production: str, people: tuple[tuple[str, str], ...]) -> Side:
    ids = tuple(f"U0{letter}PERF00{i}" for i in (1, 2, 3))
    cast = tuple(
        RosterEntry(str(i), character, performer, ids[i - 1], performer.split()[0].lower())
        for i, (character, performer) in enumerate(people, 1)
    )
    return Side(
        team=team,
        production=production,
        coordinator=f"U0{letter}COORD01",
        ad=f"U0{letter}ADAD001",
        crew=f"U0{letter}CREW001",
        performers=(ids[0], ids[1], ids[2]),
        cast=cast,
        ad_channel=f"C0{letter}ADS0001",
        department=f"C0{letter}WARD001",
        booking=BOOKING,
        on_set=ON_SET,
        planned=f"Embrace by the window, robe between takes ({letter}-plan)",
        request=f"Closed-set robes ready between takes please ({letter}-req)",
        note=f"The monitors should stay covered between setups ({letter}-note)",
        changes=f"I would rather keep the shirt on ({letter}-changes)",
    )


A = _side(
    TEAM_A,
    "A",
    "Night Shift",
    (("Lena", "Jane Doe"), ("Max", "Bob Smith"), ("Ines", "Ana Núñez")),
)
B = _side(
    TEAM_B,
    "B",
    "Harbour Lights",
    (("Rosa", "Tilda Marsh"), ("Ivo", "Kasper Lund"), ("Nell", "Oona Brisk")),
)


class Driver:
    """One workspace's people in Slack: signed requests with its team id, and the stand-in's
    calls made with its tokens (never counted across workspaces, so the two can run at once)."""

    _numbers = itertools.count(1)

    def __init__(self, served: Served, side: Side) -> None:
        self.served, self.side, self.standin = served, side, served.standin

    # ---------------------------------------------------------------- what Slack saw

    def owns(self, call: Call) -> bool:
        if call.method == "response_url":
            return f"/{self.side.team}/" in call.path
        if call.method == "oauth.v2.access":  # a token refreshed: the one it gave is whose?
            given = (call.response or {}).get("access_token")
            return self.standin.team_of_token(given) == self.side.team
        return self.standin.team_of_token(call.token) == self.side.team

    def calls(self, method: str) -> list[Call]:
        return [c for c in self.standin.calls(method) if self.owns(c)]

    def wait(self, what: str, found: Callable[[], list[Any]], count: int = 1) -> list[Any]:
        deadline = time.monotonic() + 10
        while len(got := found()) < count:
            assert time.monotonic() < deadline, f"{self.side.team}: no {what} (got {got})"
            time.sleep(0.02)
        return got

    def posts(self, channel: str, starting: str, scene: str = "") -> list[dict[str, Any]]:
        return [
            {**c.params, "ts": (c.response or {}).get("ts")}
            for c in self.calls("chat.postMessage")
            if c.params.get("channel") == channel
            and str(c.params.get("text", "")).startswith(starting)
            and (not scene or f"scene {scene}" in blocks_text(c.params))
            and c.ok
        ]

    def updated(self, what: str, channel: str, saying: str) -> None:
        """Wait for a `chat.update` in `channel` whose text or blocks say `saying`."""
        self.wait(
            what,
            lambda: [
                c
                for c in self.calls("chat.update")
                if c.params.get("channel") == channel
                and (saying in str(c.params.get("text")) or saying in blocks_text(c.params))
            ],
        )

    def post(self, channel: str, starting: str, scene: str = "") -> dict[str, Any]:
        found = self.wait(starting, lambda: self.posts(channel, starting, scene))
        assert len(found) == 1, found
        one: dict[str, Any] = found[0]
        return one

    def stored_post(self, ts: str) -> list[RequestPost]:
        """The request post Slack gave `ts`, once the app has stored it (a crew member cannot
        click a message before Slack shows it; a test can, before its ts is written)."""
        with self.served.session_factory() as session:
            return list(session.scalars(select(RequestPost).where(RequestPost.ts == ts)))

    # ---------------------------------------------------------------- what people do

    def _response_url(self) -> str:
        return f"{self.standin.base_url}/commands/{self.side.team}/{next(self._numbers)}/x"

    def command(self, text: str, user_id: str) -> None:
        response = self.served.slack.command(
            text, user_id=user_id, team_id=self.side.team, response_url=self._response_url()
        )
        assert response.status == 200

    def reply(self, text: str, user_id: str) -> str:
        before = len(self.calls("response_url"))
        self.command(text, user_id)
        told = self.wait(text, lambda: self.calls("response_url"), before + 1)[before]
        return str(told.params["text"])

    def open_modal(self, text: str, user_id: str) -> dict[str, Any]:
        before = len(self.calls("views.open"))
        self.command(text, user_id)
        return self.opened(before)

    def opened(self, before: int) -> dict[str, Any]:
        call = self.wait("views.open", lambda: self.calls("views.open"), before + 1)[before]
        view: dict[str, Any] = call.json("view")
        return view

    def tap(self, user_id: str, action: str, message: dict[str, Any], channel: str = "") -> int:
        """Click a button on a message in `channel` (default: the clicker's DM); returns how
        many modals had opened before (`opened`)."""
        before = len(self.calls("views.open"))
        response = self.served.slack.block_action(
            user_id=user_id,
            action_id=action,
            value=button_value(message, action),
            channel_id=channel or self.standin.dm_channel_id(user_id),
            message={
                "ts": message.get("ts") or "1.1",
                "type": "message",
                "text": message.get("text", ""),
            },
            team_id=self.side.team,
            response_url=self._response_url(),
        )
        assert response.status == 200
        return before

    def submit(
        self, user_id: str, view: dict[str, Any], values: dict[str, Any]
    ) -> tuple[Response, str]:
        """Submit a modal: the ack, and what the modal says afterwards (the job's view)."""
        view_id = f"V{self.side.team[-2:]}{next(self._numbers):06d}"
        response = self.served.slack.view_submission(
            user_id=user_id,
            callback_id=view["callback_id"],
            values=values,
            private_metadata=view["private_metadata"],
            view_id=view_id,
            team_id=self.side.team,
        )
        assert response.status == 200, response.text
        updates = self.wait(
            f"the outcome of {view['callback_id']}",
            lambda: [c for c in self.calls("views.update") if c.params.get("view_id") == view_id],
        )
        return response, json.dumps(updates[0].json("view"), ensure_ascii=False)

    def home(self, user_id: str) -> str:
        def mine() -> list[Call]:
            return [c for c in self.calls("views.publish") if c.params["user_id"] == user_id]

        before = len(mine())
        event = {"type": "app_home_opened", "user": user_id, "tab": "home"}
        assert self.served.slack.event(event, team_id=self.side.team).status == 200
        view = self.wait(f"{user_id}'s Home tab", mine, before + 1)[-1].json("view")
        assert view["type"] == "home"
        return json.dumps(view, ensure_ascii=False)

    # ---------------------------------------------------------------- the flows

    def at_the_start(self) -> None:
        """Today: the status modal, a request to a department channel, a private note, a
        check-in round on scene 12 (good, changes, pause), and each role's Home tab."""
        s = self.side
        p1, p2, p3 = s.performers
        status = self.open_modal(f"status {s.booking}", s.coordinator)
        shown = json.dumps(status, ensure_ascii=False)
        assert f"Scene {s.booking}" in shown and s.cast[0].performer_name in shown
        # A request to the production's department channel.
        form = self.open_modal("request", s.coordinator)
        assert form["callback_id"] == RequestView.CALLBACK
        _, said = self.submit(
            s.coordinator,
            form,
            {
                RequestView.CHANNELS: {
                    VALUE: {
                        "type": "multi_conversations_select",
                        "selected_conversations": [s.department],
                    }
                },
                RequestView.SCENE: {VALUE: static(None)},
                RequestView.TEXT: {VALUE: plain(s.request)},
                RequestView.POST_AT: {
                    VALUE: {"type": "datetimepicker", "selected_date_time": None}
                },
                RequestView.PING: {VALUE: checkboxes([])},
            },
        )
        assert "being posted" in said
        posted = self.post(s.department, "", "")
        assert s.request in blocks_text(posted)
        self.wait("the post's ts stored", lambda: self.stored_post(posted["ts"]))
        self.tap(s.crew, RequestAction.ACKNOWLEDGE, posted, channel=s.department)
        self.updated("the acknowledgement on the request", s.department, "Acknowledged by 1")
        # A performer's private note: to the coordinator without its words.
        form = self.open_modal("note", p1)
        assert form["callback_id"] == NoteView.CALLBACK
        _, said = self.submit(
            p1,
            form,
            {NoteView.SCENE: {VALUE: static(None)}, NoteView.TEXT: {VALUE: plain(s.note)}},
        )
        assert "only with them" in said
        notice = self.post(s.coordinator, "New private note")
        assert s.note not in blocks_text(notice)
        # The check-in round: good, changes, pause.
        assert "on its way to 3 performers" in self.reply(f"checkin {s.on_set}", s.coordinator)
        take = f"Check-in — scene {s.on_set}, take 1"
        prompts = {p: self.post(p, take) for p in (p1, p2, p3)}
        self.tap(p1, CheckinAction.GOOD, prompts[p1])
        before = self.tap(p2, CheckinAction.ADJUST, prompts[p2])
        form = self.opened(before)
        assert form["callback_id"] == ChangesView.CALLBACK
        _, said = self.submit(p2, form, self.changes_values(form, s.changes))
        assert "Thank you" in said
        self.tap(p3, CheckinAction.PAUSE, prompts[p3])
        alert = self.post(s.coordinator, f"Pause requested — scene {s.on_set}")
        assert s.cast[2].performer_name not in blocks_text(alert)
        self.homes()

    def after_the_scene(self) -> None:
        """Scene 12's closure questions, hours after its start: the first performer is fine,
        the second is not; the coordinator sees who in the closure modal."""
        s = self.side
        p1, p2, _ = s.performers
        question = f"How did scene {s.on_set} go?"
        prompts = {p: self.post(p, question) for p in (p1, p2)}
        before = len(self.calls("response_url"))
        self.tap(p1, ClosureAction.OK, prompts[p1])
        self.tap(p2, ClosureAction.NOT_OK, prompts[p2])
        self.wait("the closure answers' thanks", lambda: self.calls("response_url"), before + 2)
        notices = self.wait(  # one per answer, naming nobody
            "the closure notices",
            lambda: self.posts(s.coordinator, f"Closure — scene {s.on_set}"),
            2,
        )
        assert not any(c.performer_name in blocks_text(n) for n in notices for c in s.cast)
        before = self.tap(s.coordinator, CoordinatorAction.VIEW_CLOSURE, notices[-1])
        shown = json.dumps(self.opened(before), ensure_ascii=False)
        assert s.cast[1].performer_name in shown and "Not OK" in shown

    def snooze_the_reminder(self) -> None:
        """The AD snoozes the evening-before reminder in the AD channel."""
        s = self.side
        reminder = self.post(s.ad_channel, "Coming up", s.booking)
        assert "INT. BEDROOM" in blocks_text(reminder)  # scene facts, in its own AD channel
        self.tap(s.ad, AdAction.SNOOZE, reminder, channel=s.ad_channel)
        self.updated("the snoozed reminder", s.ad_channel, f"snoozed by <@{s.ad}>")

    def reminder_done(self) -> None:
        """Ten minutes later the reminder is back; the AD marks it done."""
        s = self.side
        again = self.wait(
            "the reminder again", lambda: self.posts(s.ad_channel, "Coming up", s.booking), 2
        )
        self.tap(s.ad, AdAction.DONE, again[1], channel=s.ad_channel)
        self.updated("the reminder done", s.ad_channel, f"done — <@{s.ad}>")

    @staticmethod
    def changes_values(form: dict[str, Any], note: str) -> dict[str, Any]:
        items = [b for b in form["blocks"] if b.get("block_id", "").startswith(ChangesView.ITEM)]
        assert items
        values: dict[str, Any] = {
            b["block_id"]: {VALUE: radio("not_ok" if i == 0 else "ok")} for i, b in enumerate(items)
        }
        return values | {ChangesView.NOTE: {VALUE: plain(note)}}

    def answer_the_prompts(self) -> None:
        """Scene 11A's prompts: the first performer confirms, the second asks for changes;
        the coordinator is told of each."""
        s = self.side
        p1, p2, _ = s.performers
        prompt = self.post(p1, "Boundary check", s.booking)
        before = self.tap(p1, BoundaryAction.REVIEW, prompt)
        review = self.opened(before)
        assert review["callback_id"] == ConfirmView.CALLBACK and s.planned in json.dumps(review)
        assert "Thank you" in self.submit(p1, review, {})[1]
        prompt = self.post(p2, "Boundary check", s.booking)
        before = self.tap(p2, BoundaryAction.CHANGES, prompt)
        form = self.opened(before)
        assert "Thank you" in self.submit(p2, form, self.changes_values(form, s.changes))[1]
        self.wait(
            "two boundary updates",
            lambda: self.posts(s.coordinator, "Boundary update", s.booking),
            2,
        )
        shown = json.dumps(
            self.open_modal(f"status {s.booking}", s.coordinator), ensure_ascii=False
        )
        assert s.cast[0].performer_name in shown and "Confirmed" in shown
        self.homes()

    def homes(self) -> None:
        s = self.side
        coordinator = self.home(s.coordinator)
        assert s.production in coordinator and f"Scene {s.booking}" in coordinator
        assert f"Scene {s.booking}" in self.home(s.ad)
        mine = self.home(s.performers[0])
        assert f"Scene {s.booking}" in mine and s.cast[1].performer_name not in mine


def _both(run: Callable[[Driver], None], drivers: tuple[Driver, Driver]) -> None:
    """Run `run` for both workspaces at once, one thread each; re-raise what failed."""
    failures: list[BaseException] = []
    start = threading.Barrier(len(drivers))

    def one(driver: Driver) -> None:
        try:
            start.wait(5)
            run(driver)
        except BaseException as error:  # re-raised in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=one, args=(d,)) for d in drivers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "a workspace's flow hung"
    if failures:
        raise failures[0]


@pytest.fixture
def side_by_side(
    engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[tuple[Served, Driver, Driver]]:
    with SlackStandIn() as standin:
        for side, name in ((A, "Night Shift Productions"), (B, "Harbour Lights Ltd")):
            standin.add_workspace(side.team, name)
            standin.add_user(side.coordinator, side.coordinator.lower(), real_name="Coordinator")
            standin.add_user(side.ad, side.ad.lower(), real_name="Assistant Director")
            standin.add_user(side.crew, side.crew.lower(), real_name="Wardrobe")
            for entry in side.cast:
                assert entry.slack_user_id is not None and entry.slack_handle is not None
                standin.add_user(
                    entry.slack_user_id, entry.slack_handle, real_name=entry.performer_name
                )
        with serving(engine, session_factory, standin) as served:
            yield served, Driver(served, A), Driver(served, B)
    problems = privacy.check_calls(standin.calls())
    assert not problems, "\n".join(problems)


def test_two_workspaces_run_every_main_flow_at_once_with_nothing_crossing_over(
    side_by_side: tuple[Served, Driver, Driver],
) -> None:
    served, a, b = side_by_side
    for side in (A, B):
        privacy.sensitive(side.note)
        privacy.sensitive(side.changes)
        assert served.install(side.team)[0] == 200
        build(
            served.session_factory,
            now=NOW,
            team_id=side.team,
            name=side.production,
            scenes={
                BOOKING: (timedelta(days=5), ("1", "2")),
                ON_SET: (timedelta(hours=1), ("1", "2", "3")),
            },
            coordinators=(side.coordinator,),
            ads=(side.ad,),
            ad_channel=side.ad_channel,
            cast=side.cast,
            planned=side.planned,
        )
        with session_scope(served.session_factory) as session:
            production = session.scalars(
                select(Production).where(Production.name == side.production)
            ).one()
            production.department_channels = [side.department]
    served.standin.clear()
    drivers = (a, b)
    served.dispatcher.run_due()  # scene 12's short-notice prompts, in both
    _both(Driver.at_the_start, drivers)
    served.clock.advance(timedelta(hours=5))  # scene 12's closure questions, in both
    served.dispatcher.run_due()
    _both(Driver.after_the_scene, drivers)
    served.clock.advance(timedelta(days=3))  # scene 11A's prompts are due in both
    served.dispatcher.run_due()
    _both(Driver.answer_the_prompts, drivers)
    served.clock.advance(EVENING_BEFORE - served.clock.now())  # the AD reminder is due
    served.dispatcher.run_due()
    _both(Driver.snooze_the_reminder, drivers)
    served.clock.advance(timedelta(minutes=10))  # the snooze is over
    served.dispatcher.run_due()
    _both(Driver.reminder_done, drivers)
    _both(Driver.homes, drivers)
    time.sleep(0.3)  # anything still on its way out
    _nothing_crossed(served, a, b)
    _rows_are_their_workspace_s(served, a, b)


def _nothing_crossed(served: Served, a: Driver, b: Driver) -> None:
    problems: list[str] = []
    counts: dict[str, Counter[tuple[str, str, str]]] = {A.team: Counter(), B.team: Counter()}
    for call in served.standin.calls():
        owners = [d for d in (a, b) if d.owns(call)]
        if len(owners) != 1:
            problems.append(f"{call.method} {call.path} made for no single workspace")
            continue
        (mine,) = owners
        other = b if mine is a else a
        wire = json.dumps(call.params, ensure_ascii=False, default=str)
        for role, value in other.side.markers().items():
            if value and value in wire:
                problems.append(
                    f"{call.method} for {mine.side.team} carries {other.side.team}'s "
                    f"{role} {value!r}"
                )
        channel = mine.side.normalize(str(call.params.get("channel", "")))
        text = mine.side.normalize(str(call.params.get("text", "")))
        # A live message's updates may be coalesced (how many depends on timing): which
        # messages were updated counts, not how often.
        if call.method != "chat.update" or not counts[mine.side.team][(call.method, channel, text)]:
            counts[mine.side.team][(call.method, channel, text)] += 1
    assert not problems, "\n".join(problems)
    assert counts[A.team] == counts[B.team], (
        f"only A: {counts[A.team] - counts[B.team]}\nonly B: {counts[B.team] - counts[A.team]}"
    )

    def posted(channel: str, starting: str) -> int:
        return sum(
            n
            for (method, to, text), n in counts[A.team].items()
            if method == "chat.postMessage" and to == channel and text.startswith(starting)
        )

    # What one workspace alone gets (the same in the other, as compared above):
    assert posted("<department>", "Intimacy coordinator request") == 1
    assert posted("<ad_channel>", "Coming up: scene <booking>") == 2  # and again, snoozed
    assert posted("<coordinator>", "Closure — scene <on_set>") == 2
    assert posted("<coordinator>", "New private note") == 1
    assert posted("<coordinator>", "Pause requested — scene <on_set>") == 1
    assert posted("<coordinator>", "Boundary update — scene <booking>") == 2
    for performer, scenes in (("<p1>", 2), ("<p2>", 2), ("<p3>", 1)):  # 11A and 12; 12
        assert posted(performer, "Boundary check") == scenes
        assert posted(performer, "Check-in — scene <on_set>, take 1") == 1
        assert posted(performer, "How did scene <on_set> go?") == 1


def _rows_are_their_workspace_s(served: Served, a: Driver, b: Driver) -> None:
    """Every row of every table names the people, channels and texts of one workspace only,
    and a row of a production only its own workspace's."""
    problems: list[str] = []
    ids = {d.side.team: {v for k, v in d.side.markers().items() if v} for d in (a, b)}
    with served.session_factory() as session:
        team_of = {p.id: p.workspace.team_id for p in session.scalars(select(Production))}
        assert sorted(team_of.values()) == sorted((A.team, B.team))
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).mappings():
                text = json.dumps(
                    {k: v for k, v in row.items() if not isinstance(v, bytes)},
                    default=str,
                    ensure_ascii=False,
                )
                named = {team for team, values in ids.items() if any(v in text for v in values)}
                if "production_id" in row and row["production_id"] is not None:
                    named.add(team_of[row["production_id"]])
                if "team_id" in row and row["team_id"] in ids:
                    named.add(row["team_id"])
                if len(named) > 1:
                    problems.append(f"{table.name} row names both workspaces: {text[:300]}")
        events = session.scalars(select(AuditEvent)).all()
        for event in events:
            if event.production_id is not None and team_of[event.production_id] != event.team_id:
                problems.append(f"audit {event.action} of {event.team_id} on another production")
        teams = Counter(e.team_id for e in events)
        assert teams[A.team] > 0 and teams[B.team] > 0, teams
        actions = {team: Counter(e.action for e in events if e.team_id == team) for team in teams}
        assert actions[A.team] == actions[B.team], actions
    assert not problems, "\n".join(problems)
