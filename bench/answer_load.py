"""What `bench.answer_latency` sends, and to what: the seeded production, freshly signed
Slack requests (each with a `response_url` path and a `trigger_id` of its own, so its answer
can be found at the stand-in), and the load generators (asyncio, one event loop):

- `open_loop`: requests sent on a fixed schedule whatever the answers, over a pool of
  keep-alive connections (a new one when every pooled one is waiting for an answer);
- `closed_loop`: c clients on a keep-alive connection each, sending the next request as soon
  as the last one is acknowledged.
- `crowd`: waves of requests from that many different people at the same instant.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Any

from tests.support.signing import SlackSender
from tests.support.slack_standin import TEAM_ID

USERS = tuple(f"UBENCH{n:04d}" for n in range(1, 51))
"""The people sending: 50 coordinators of one production, taking turns (a burst is many
people's clicks; one person's repeated clicks while told "busy" are told once)."""
USER = USERS[0]
PRODUCTION = "Night Shift"
REQUEST_TIMEOUT = 15.0

# ---------------------------------------------------------------- seeding


@dataclass(frozen=True)
class Seeded:
    production_id: int
    scene_id: int


def seed(database_url: str, key: str) -> Seeded:
    """Through the app's storage code, on the database `closedset serve` has migrated: USERS
    coordinate 'Night Shift' (4 cast, 14 upcoming scenes: the schedule has a second page) and
    are ADs on 'Day Shift'. The modal click views the status of Night Shift's first scene."""
    from bot.crypto import Cipher
    from bot.setup import ProductionSetup
    from storage.db import make_engine, make_session_factory, session_scope
    from storage.productions import save_setup

    engine = make_engine(database_url)
    try:
        factory = make_session_factory(engine, Cipher([key]))
        now = datetime.now(UTC).replace(microsecond=0)

        def setup(name: str, coordinators: tuple[str, ...], ads: tuple[str, ...]) -> Any:
            return ProductionSetup(
                name=name,
                zone="Europe/London",
                coordinators=coordinators,
                ads=ads,
                admins=("UADMIN0001",),
                ad_channel="C0TEST0001",
                lead=timedelta(hours=48),
                nudge=timedelta(hours=24),
                escalation=timedelta(hours=12),
                default_call=dtime(7, 0),
                intimacy_category=None,
            )

        with session_scope(factory) as session:
            night = save_setup(
                session,
                team_id=TEAM_ID,
                production=None,
                setup=setup(PRODUCTION, USERS, ("UAD0000001",)),
                now=now,
            )
            save_setup(
                session,
                team_id=TEAM_ID,
                production=None,
                setup=setup("Day Shift", ("UCOORD0002",), USERS),
                now=now,
            )
            scenes = cast_and_scenes(session, night.id, now=now, people="UCAST000")
            return Seeded(night.id, scenes[3].id)  # intimate, 4 cast
    finally:
        engine.dispose()


def cast_and_scenes(session: Any, production_id: int, *, now: datetime, people: str) -> list[Any]:
    """A production's 4 cast (Slack ids `people` + 1..4) and 14 upcoming scenes, two a day, every
    third intimate (the schedule has a second page); the 4th scene is intimate with all 4 cast."""
    from storage.models import CastEntry, Scene
    from storage.productions import team_of
    from storage.secrets import seal

    team_id = team_of(session, production_id)
    cast = [
        CastEntry(
            production_id=production_id,
            team_id=team_id,
            cast_number=str(n),
            character=f"Role {n}",
            performer_name=f"Performer {n}",
            slack_user_id=f"{people}{n}",
        )
        for n in range(1, 5)
    ]
    session.add_all(cast)
    session.flush()
    scenes = []
    for i in range(14):
        start = now + timedelta(days=1 + i // 2, hours=i % 2 * 4)
        scene = Scene(
            production_id=production_id,
            team_id=team_id,
            number=f"{10 + i}A",
            shoot_date=start.date(),
            start_at=start,
            set_name=f"INT. FLAT {i}",
            intimacy=i % 3 == 0,
            planned_content_ct=seal(session, "kiss" if i % 3 == 0 else None),
            synopsis_ct=seal(session, f"Scene {i} synopsis"),
            cast=cast[: 1 + i % 4],
            created_at=now,
            updated_at=now,
        )
        session.add(scene)
        scenes.append(scene)
    session.flush()
    return scenes


# ---------------------------------------------------------------- requests


@dataclass(frozen=True)
class Prepared:
    kind: str
    data: bytes  # the whole HTTP request
    url_key: str  # its response_url's path
    trigger: str  # its trigger_id
    user: str  # who sent it


class _Capture(SlackSender):
    """A SlackSender that returns the signed (body, headers) instead of posting them."""

    def _post(self, body: bytes, headers: Mapping[str, str]) -> Any:
        return body, dict(headers)


def _signed(captured: Any) -> tuple[bytes, dict[str, str]]:
    """What `_Capture` returned, typed (SlackSender's methods say they return a Response)."""
    body, headers = captured
    return body, headers


class Requests:
    """Freshly signed requests: a timestamp of now, a response_url and trigger of their own."""

    def __init__(self, secret: str, port: int, response_base: str, seeded: Seeded) -> None:
        from bot.ids import CoordinatorAction, ScheduleAction
        from bot.meta import pack

        self._sender = _Capture("http://unused", secret, response_base=response_base)
        self._base = response_base.rstrip("/")
        self._port = port
        self._ids = itertools.count(1)
        self.tag = f"{os.getpid()}-{port}"
        self._page = (f"{ScheduleAction.PAGE}_next", pack("page", p=seeded.production_id, o=0))
        self._status = (CoordinatorAction.VIEW_STATUS.value, pack("status", s=seeded.scene_id))

    def owns(self, key: str) -> bool:
        """Whether an answer's key (a response_url path, `trigger:<id>`) is one of ours."""
        return key.endswith(f"/{self.tag}") or key.endswith(f".{self.tag}.bench")

    def sender_of(self, n: int) -> tuple[str, str, tuple[str, str], tuple[str, str]]:
        """Who sends request `n`: (team id, user id, the page button's (action id, value), the
        status button's)."""
        return TEAM_ID, USERS[n % len(USERS)], self._page, self._status

    def build(self, kind: str) -> Prepared:
        n = next(self._ids)
        team, user, page, status = self.sender_of(n)
        trigger = f"{n}.{self.tag}.bench"
        if kind == "help":
            key = f"/commands/{team}/{n}/{self.tag}"
            body, headers = _signed(
                self._sender.command(
                    "help",
                    user_id=user,
                    response_url=self._base + key,
                    trigger_id=trigger,
                    team_id=team,
                )
            )
        else:
            action_id, value = page if kind == "button" else status
            key = f"/actions/{team}/{n}/{self.tag}"
            body, headers = _signed(
                self._sender.block_action(
                    user_id=user,
                    action_id=action_id,
                    value=value,
                    response_url=self._base + key,
                    trigger_id=trigger,
                    team_id=team,
                )
            )
        head = [
            "POST /slack/events HTTP/1.1",
            f"Host: 127.0.0.1:{self._port}",
            f"Content-Length: {len(body)}",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        return Prepared(kind, data, key, trigger, user)


# ---------------------------------------------------------------- load


@dataclass
class Sent:
    kind: str
    url_key: str
    trigger: str
    measured: bool
    lag: float  # s the send was late on its schedule (open loop)
    wall: float  # time.time() when sent
    ack_s: float = float("nan")
    status: int = 0
    body: bytes = b""
    error: str = ""
    user: str = ""


Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _connect(port: int) -> Conn:
    return await asyncio.open_connection("127.0.0.1", port)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" not in headers:
        return status, await reader.read(), True
    body = await reader.readexactly(int(headers["content-length"]))
    return status, body, headers.get("connection", "").lower() == "close"


async def _exchange(conn: Conn | None, port: int, request: Prepared, sent: Sent) -> Conn | None:
    """Send `request` (connecting first if `conn` is None), record the answer in `sent`;
    returns the connection if it can be used again."""
    t0 = time.perf_counter()
    sent.wall = time.time()
    try:
        reader, writer = conn if conn is not None else await _connect(port)
    except OSError as error:
        sent.error = f"connect: {error!r}"
        return None
    try:
        writer.write(request.data)
        sent.status, sent.body, close = await asyncio.wait_for(
            _read_response(reader), REQUEST_TIMEOUT
        )
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
        sent.error = f"{type(error).__name__}: {error}"
        writer.close()
        return None
    sent.ack_s = time.perf_counter() - t0
    if close:
        writer.close()
        return None
    return reader, writer


async def open_loop(
    port: int, requests: Requests, kind: str, rate: float, warmup: float, seconds: float
) -> list[Sent]:
    idle: list[Conn] = []
    out: list[Sent] = []
    tasks: list[asyncio.Task[None]] = []

    async def one(request: Prepared, sent: Sent) -> None:
        conn = await _exchange(idle.pop() if idle else None, port, request, sent)
        if conn is not None:
            idle.append(conn)

    start = time.perf_counter() + 0.05
    for i in range(round((warmup + seconds) * rate)):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        request = requests.build(kind)
        sent = Sent(
            kind,
            request.url_key,
            request.trigger,
            measured=due >= start + warmup,
            lag=max(0.0, time.perf_counter() - due),
            wall=0.0,
            user=request.user,
        )
        out.append(sent)
        tasks.append(asyncio.create_task(one(request, sent)))
    await asyncio.gather(*tasks)
    for _, writer in idle:
        writer.close()
    return out


async def closed_loop(
    port: int, requests: Requests, kinds: Sequence[str], clients: int, seconds: float
) -> list[Sent]:
    out: list[Sent] = []
    end = time.perf_counter() + seconds

    async def client(first: int) -> None:
        conn: Conn | None = None
        for n in itertools.count(first):
            if time.perf_counter() >= end:
                break
            request = requests.build(kinds[n % len(kinds)])
            sent = Sent(
                request.kind, request.url_key, request.trigger, True, 0.0, 0.0, user=request.user
            )
            out.append(sent)
            conn = await _exchange(conn, port, request, sent)
        if conn is not None:
            conn[1].close()

    await asyncio.gather(*(client(i) for i in range(clients)))
    return out


async def crowd(
    port: int, requests: Requests, kinds: Sequence[str], size: int, waves: int, gap: float
) -> list[Sent]:
    """A crew answering one message together: `waves` times, `gap` s apart, `size` different
    people click at the same instant, each on a keep-alive connection of their own; the kinds
    in turn within a wave. A wave whose acks take longer than `gap` delays the next."""
    if size > len(USERS):
        raise ValueError(f"a crowd of {size} needs more than the {len(USERS)} seeded users")
    conns: list[Conn | None] = [None] * size
    out: list[Sent] = []
    start = time.perf_counter() + 0.05
    for wave in range(waves):
        batch = [requests.build(kinds[(wave + i) % len(kinds)]) for i in range(size)]
        sents = [Sent(r.kind, r.url_key, r.trigger, True, 0.0, 0.0, user=r.user) for r in batch]
        out += sents
        delay = start + wave * gap - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        conns = list(
            await asyncio.gather(
                *(_exchange(conns[i], port, batch[i], sents[i]) for i in range(size))
            )
        )
    for conn in conns:
        if conn is not None:
            conn[1].close()
    return out
