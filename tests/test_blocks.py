"""The Block Kit builders (`handlers/blocks/`), without Slack: every message the delivery engine
sends and the Home tab, check-in and request surfaces, fed long hostile values, come out as
slack_sdk.models output (each block parses back into the same dict) inside Slack's limits; and
no builder takes a database session."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args

import pytest
from slack_sdk.models.blocks import Block

import handlers.blocks
from bot.checkins import Counts, Line
from bot.confirmations import Offline, PerformerState, State
from bot.delivery import content
from bot.delivery.content import (
    AdCancelled,
    AdReminder,
    AdScene,
    Answered,
    AnswerNotice,
    Asker,
    CheckinPrompt,
    Closed,
    ClosureNotice,
    ClosurePrompt,
    Digest,
    Erasure,
    Escalation,
    FailureNotice,
    Held,
    Lapsed,
    LiveCheckin,
    NoteNotice,
    Outgoing,
    PauseAlert,
    Prompt,
    Removed,
    RequestMessage,
    RequestReminder,
    RoleAdded,
    RoleChange,
    SceneRef,
    ShortNotice,
    Upcoming,
)
from bot.home import CoordinatedScene, NoteLine, OwnScene, ProductionHome, RequestLine, Todo
from bot.ids import BoundaryAction, CheckinAction, RequestAction, RequestView
from bot.meta import pack
from handlers.blocks.checkin import round_modal
from handlers.blocks.home import home_view
from handlers.blocks.messages import render, typed_text_message, upcoming_scenes
from handlers.blocks.requests import (
    Concerns,
    RequestForm,
    edit_modal,
    note_modal,
    note_view_modal,
    request_modal,
    requests_list,
)
from storage.models import (
    CheckinRound,
    CoordinatorRequest,
    Production,
    RequestAck,
    RequestPost,
    RequestStatus,
    Role,
    Scene,
)

HOSTILE = "<!channel> <@U0HOSTILE1> <https://evil.example|click> *bold* & _it_ ~x~ `c` "
LONG = (HOSTILE * 80)[:5000]  # far over any one text Slack takes
NAME = LONG[:120]  # a production's name is at most 120 characters, a set's 200
SET = LONG[:200]
NUMBER = ("42A<!here>&" * 4)[:32]  # a scene number is at most 32 characters
AT = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
ZONE = "Europe/London"

MESSAGE_BLOCKS, VIEW_BLOCKS = 50, 100
LIMITS = {  # Slack's documented limits, by the key that holds the text
    "section": 3000,
    "context_element": 3000,
    "button": 75,
    "option": 75,
    "header": 150,
    "title": 24,
    "label": 2000,
    "value": 2000,
    "action_id": 255,
    "block_id": 255,
}


# --- checking output -------------------------------------------------------------------------


def check_blocks(blocks: list[dict[str, Any]], *, most: int) -> None:
    """Each block is what slack_sdk.models builds (it parses back to the same dict, and
    `to_dict` validates Slack's limits again), and the texts fit."""
    assert 0 < len(blocks) <= most
    for block in blocks:
        assert isinstance(block, dict)
        parsed = Block.parse(block)
        assert parsed is not None and parsed.to_dict() == block
        _check_limits(block)


def _check_limits(block: dict[str, Any]) -> None:
    if block["type"] == "section":
        assert len(block["text"]["text"]) <= LIMITS["section"]
        if "accessory" in block:
            _check_element(block["accessory"])
    elif block["type"] == "context":
        assert len(block["elements"]) <= 10
        for element in block["elements"]:
            assert len(element["text"]) <= LIMITS["context_element"]
    elif block["type"] == "header":
        assert len(block["text"]["text"]) <= LIMITS["header"]
    elif block["type"] == "actions":
        assert len(block["elements"]) <= 25
        for element in block["elements"]:
            _check_element(element)
    elif block["type"] == "input":
        assert len(block["label"]["text"]) <= LIMITS["label"]
        _check_element(block["element"])
    if "block_id" in block:
        assert len(block["block_id"]) <= LIMITS["block_id"]


def _check_element(element: dict[str, Any]) -> None:
    if "action_id" in element:
        assert len(element["action_id"]) <= LIMITS["action_id"]
    if element["type"] == "button":
        assert len(element["text"]["text"]) <= LIMITS["button"]
        assert len(element["value"]) <= LIMITS["value"]
    for option in element.get("options", ()):
        assert len(option["text"]["text"]) <= LIMITS["option"]


def check_message(out: Outgoing) -> None:
    assert isinstance(out, Outgoing) and out.text
    check_blocks(out.blocks, most=MESSAGE_BLOCKS)
    # What a notification shows is plain text: never a whole block's worth.
    assert len(out.text) <= 4000


def check_view(view: dict[str, Any], kind: str) -> None:
    assert view["type"] == kind
    if kind == "modal":
        assert len(view["title"]["text"]) <= LIMITS["title"]
    check_blocks(view["blocks"], most=VIEW_BLOCKS)


# --- the delivery engine's messages, from plain values ---------------------------------------

SCENE = SceneRef(id=7, number=NUMBER, revision=3, start_at=AT, time_zone=ZONE, set_name=SET)
ASKER = Asker(production_name=NAME, coordinators=tuple(f"U0COORD{i:04}" for i in range(200)))
AD_SCENE = AdScene(
    number=NUMBER,
    start_at=AT,
    time_zone=ZONE,
    set_name=SET,
    closed_set_text=LONG,
    asked=tuple(LONG[:80] for _ in range(100)),
    signed_off=False,
)

EVERY_CONTENT = [
    Prompt(SCENE, ASKER, again=True, changed=("content", "time", "intimacy", "returned")),
    Prompt(SCENE, ASKER, nudge=True),
    Answered(SCENE, ASKER, AT),
    Lapsed(SCENE, ASKER, ("content",)),
    Closed(NUMBER, "This request was replaced by a newer one below."),
    Removed(NUMBER, removed=True),
    ClosurePrompt(7, NUMBER),
    CheckinPrompt(9, NUMBER, 12),
    RoleAdded(5, NAME, ("performer", "ad", "admin", "coordinator"), "U0ADDER0001"),
    AnswerNotice(None, 11),
    NoteNotice(NUMBER, 12),
    FailureNotice(NUMBER, 13),
    ClosureNotice(7, NUMBER),
    PauseAlert(9, NUMBER, 12),
    LiveCheckin(9, NUMBER, 12, Counts(performers=500, answered=499, good=1, adjust=2, pause=3)),
    Escalation(SCENE),
    ShortNotice(SCENE),
    RoleChange(
        NAME,
        "U0ADDER0001",
        tuple((f"U0PERSON{i:03}", Role.PERFORMER, "+-"[i % 2]) for i in range(200)),
        more=1000,
    ),
    RoleChange(NAME, "U0DISPUTE1", (("U0DISPUTE1", Role.PERFORMER, "-"),), disputed=True),
    Held(NAME),
    Held(NAME, vouched_by="U0VOUCH001"),
    Erasure(NAME, asked=True),
    Erasure(NAME, asked=False),
    RequestMessage(
        post_id=4,
        scene=SCENE,
        text=("&<>" * 700)[:2000],  # at the request limit, three times as long escaped
        allow_ping=False,
        active=True,
        acks=1,
        edited=True,
    ),
    RequestMessage(4, None, LONG, allow_ping=True, active=False, acks=0, edited=False),
    RequestReminder("1700000000.000100"),
    AdReminder(3, AD_SCENE),
    AdCancelled(NUMBER, removed=False),
    Digest(date(2026, 3, 2), tuple(AD_SCENE for _ in range(content.DIGEST_SCENES)), more=88),
]


def test_the_examples_cover_every_kind_of_content() -> None:
    assert {type(c) for c in EVERY_CONTENT} == set(get_args(content.Content)) - {Upcoming}


@pytest.mark.parametrize("about", EVERY_CONTENT, ids=lambda c: type(c).__name__)
def test_every_message_is_block_kit_within_slack_limits(about: content.Content) -> None:
    check_message(render(about))


def test_a_cut_text_says_so_and_keeps_its_title() -> None:
    out = render(Prompt(SCENE, ASKER))
    first = out.blocks[0]["text"]["text"]
    assert len(first) == 3000 and first.endswith("…")
    assert first.startswith(f"*Boundary check — scene {NUMBER}*")


def test_messages_carry_ids_in_buttons_and_no_performer() -> None:
    out = render(LiveCheckin(9, "42A", 2, Counts(3, 2, 1, 1, 0)))
    assert out.blocks[0]["text"]["text"] == (
        "*Check-in — scene 42A, take 2*\nAnswered 2 of 3 · still good 1 · adjust 1 · pause 0"
    )
    (view,) = out.blocks[1]["elements"]
    assert (view["action_id"], view["value"]) == (CheckinAction.VIEW, pack("checkin", r=9))


def test_the_typed_text_notice_and_upcoming_scenes() -> None:
    check_message(typed_text_message())
    many = [Upcoming(SCENE, NAME, answered=bool(i % 2)) for i in range(15)]
    out = upcoming_scenes(many, more=True)
    check_message(out)
    assert out.blocks[-1]["elements"][0]["text"] == "Showing the next 15."


# --- surfaces built from models --------------------------------------------------------------


def _production() -> Production:
    return Production(id=1, name=NAME, time_zone=ZONE, closed_set_text=LONG)


def _scene(production: Production, n: int) -> Scene:
    return Scene(
        id=n,
        number=NUMBER,
        revision=1,
        signed_off_revision=None,
        start_at=AT + timedelta(hours=n),
        after_midnight=bool(n % 2),
        set_name=SET,
        intimacy=True,
        intimacy_undecided=True,
        closed_set=None,
        production=production,
    )


def test_the_home_tab_of_someone_in_every_role_stays_inside_100_blocks() -> None:
    production = _production()
    scenes = [_scene(production, n) for n in range(1, 9)]
    offline = [
        Offline(
            cast_number="12" * 8,
            name=LONG[:100],
            character=LONG[:100],
            listed=True,
            confirmed=False,
        )
        for _ in range(3)
    ]
    home = ProductionHome(
        production=production,
        roles={Role.PERFORMER, Role.COORDINATOR, Role.ADMIN},
        own=[OwnScene(s, state) for s, state in zip(scenes, list(State), strict=False)],
        coordinated=[
            CoordinatedScene(
                s,
                [
                    PerformerState(f"U0P{i:04}", LONG[:80], LONG[:80], State.WAITING, AT)
                    for i in range(40)
                ],
                offline,
            )
            for s in scenes
        ],
        notes=[NoteLine(i, NUMBER, AT) for i in range(14)],
        requests=[RequestLine(LONG[:80], NUMBER, 3, 4) for _ in range(30)],
        todos=[Todo(s, True, offline) for s in scenes],
        more_todos=4,
        more=True,
    )
    view = home_view([home, home], page=2)
    check_view(view, "home")
    assert view["blocks"][-1]["block_id"] == "home_paging"
    check_view(home_view([], page=0), "home")


def test_the_home_tab_keeps_only_buttons_that_open_a_window() -> None:
    production = _production()
    scene = _scene(production, 1)
    home = ProductionHome(
        production=production, roles={Role.PERFORMER}, own=[OwnScene(scene, State.CONFIRMED)]
    )
    blocks = home_view([home], page=0)["blocks"]
    actions = next(b for b in blocks if b.get("block_id", "").startswith("home_prompt_"))
    assert actions["block_id"] == "home_prompt_1_1"
    assert [e["action_id"] for e in actions["elements"]] == [
        BoundaryAction.REVIEW,
        BoundaryAction.CHANGES,
        RequestAction.NOTE,
    ]


def test_the_check_in_modal_of_a_large_cast() -> None:
    production = _production()
    round_ = CheckinRound(id=1, number=3, started_at=AT, scene=_scene(production, 1))
    answers = [Line(LONG[:200], f"U0P{i:04}", "Still good", AT) for i in range(500)]
    check_view(round_modal(round_, answers), "modal")


def _request(production: Production, scene: Scene | None) -> CoordinatorRequest:
    request = CoordinatorRequest(
        id=1,
        text=LONG[:2000],
        allow_ping=False,
        status=RequestStatus.ACTIVE,
        post_at=AT,
        edits=0,
        scene=scene,
        production=production,
    )
    request.posts = [
        RequestPost(
            id=n,
            channel_id=f"C0DEPT{n:04}",
            ts=None if n == 0 else f"1700000000.{n:06}",
            acks=[RequestAck(user_id=f"U0ACK{i:04}", at=AT) for i in range(n * 10)],
        )
        for n in range(10)
    ]
    return request


def test_the_request_surfaces_with_long_values() -> None:
    production = _production()
    scenes = [_scene(production, n) for n in range(1, 150)]
    form = RequestForm(
        channels=["C0DEPT0001"], scene_id=3, text=LONG[:2000], post_at=1700000000, allow_ping=True
    )
    concerns = Concerns(
        warnings=[],
        small_cast=1,
        recent=AT,
        hold_until=AT + timedelta(minutes=20),
        zone=ZONE,
    )
    modal = request_modal(
        form=form, scenes=scenes, metadata=pack("request", p=1), concerns=concerns
    )
    check_view(modal, "modal")
    chosen = next(b for b in modal["blocks"] if b.get("block_id") == RequestView.SCENE)
    assert chosen["element"]["initial_option"]["value"] == "3"
    assert len(chosen["element"]["options"]) == 100
    check_view(note_modal(scenes=scenes, metadata=pack("note", p=1), scene_id=None), "modal")
    request = _request(production, scenes[0])
    check_view(edit_modal(request, metadata=pack("request", r=1)), "modal")
    check_view(
        note_view_modal(
            who=LONG, user_id="U0PERF0001", scene=scenes[0], at=AT, text=LONG, zone=ZONE, note_id=1
        ),
        "modal",
    )
    listed = requests_list([request] * 12, zone=ZONE, production=LONG)
    check_blocks(listed, most=MESSAGE_BLOCKS)


# --- builders gather nothing -----------------------------------------------------------------


def _builder_modules() -> list[Any]:
    return [
        importlib.import_module(f"handlers.blocks.{m.name}")
        for m in pkgutil.iter_modules(handlers.blocks.__path__)
    ]


def test_no_builder_takes_a_database_session() -> None:
    modules = _builder_modules()
    assert {m.__name__ for m in modules} >= {
        "handlers.blocks.messages",
        "handlers.blocks.home",
        "handlers.blocks.requests",
        "handlers.blocks.checkin",
    }
    checked = 0
    for module in modules:
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__:
                continue
            checked += 1
            for parameter in inspect.signature(function).parameters.values():
                assert "session" not in parameter.name.lower(), (module.__name__, name)
                assert "Session" not in str(parameter.annotation), (module.__name__, name)
            assert "sqlalchemy" not in vars(module) and "session_scope" not in vars(module)
    assert checked > 40


def test_content_values_hold_no_block_kit() -> None:
    for kind in get_args(content.Content):
        for f in fields(kind):
            assert "Block" not in str(f.type), (kind.__name__, f.name)
