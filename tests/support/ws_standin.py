"""A local stand-in for Slack's Socket Mode WebSocket endpoint, for tests.

``SocketModeStandIn`` listens on ``127.0.0.1:<free port>``.  Hand its :attr:`url` to the
app as the answer of ``apps.connections.open`` (see ``SlackStandIn.respond``); the app's
Socket Mode client then connects, gets the ``hello`` message, and the test pushes
envelopes and waits for the acks::

    with SocketModeStandIn() as ws:
        standin.respond("apps.connections.open", lambda call: (200, {}, {"ok": True,
                                                                         "url": ws.url}))
        ...start the app...
        ws.wait_for_connection()
        envelope_id = ws.send_envelope("slash_commands", {...})
        ack = ws.wait_for_ack(envelope_id)

What of RFC 6455 it covers (enough for slack_sdk's builtin client and other clients):

* Opening handshake (section 4.2): a ``GET`` with ``Upgrade: websocket``,
  ``Connection: Upgrade``, ``Sec-WebSocket-Version: 13`` and a ``Sec-WebSocket-Key`` is
  answered ``101 Switching Protocols`` with ``Sec-WebSocket-Accept`` =
  base64(SHA-1(key + GUID)); anything else gets ``400`` and is closed.
* Framing (section 5): client frames must be masked (unmasked ones fail the connection with
  close code 1002); 7-bit, 16-bit and 64-bit payload lengths; fragmented text messages
  (continuation frames) are reassembled.  Server frames are unmasked, unfragmented.
* Control frames (5.5): a ping is answered with a pong carrying the same payload; a close
  is answered with a close echoing the status code, then the TCP connection is closed.
* Text messages are decoded as JSON and recorded; binary messages are recorded as bytes.

Not covered: extensions (no ``permessage-deflate``), subprotocols, TLS (``wss://``), UTF-8
validation beyond ``decode``, sending fragmented frames.

Connections are served each in its own daemon thread, so a client may reconnect (Slack
clients open the new connection before closing the old one); envelopes go to the newest
open connection.  :meth:`SocketModeStandIn.stop` closes everything and joins every thread.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import secrets
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from tests.support.slack_standin import API_APP_ID

__all__ = ["Handshake", "SocketModeStandIn"]

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_CONTINUATION, _TEXT, _BINARY, _CLOSE, _PING, _PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_CLOSE_NORMAL, _CLOSE_GOING_AWAY, _CLOSE_PROTOCOL_ERROR = 1000, 1001, 1002


def accept_key(key: str) -> str:
    """``Sec-WebSocket-Accept`` for a ``Sec-WebSocket-Key`` (RFC 6455, section 4.2.2)."""
    return base64.b64encode(hashlib.sha1((key + _GUID).encode("ascii")).digest()).decode()


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """One unmasked, final server frame (RFC 6455, section 5.2)."""
    size = len(payload)
    if size <= 125:
        header = struct.pack("!BB", 0x80 | opcode, size)
    elif size <= 0xFFFF:
        header = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return header + payload


class _ProtocolError(Exception):
    """The client broke RFC 6455; the connection is failed with close code 1002."""


@dataclass(frozen=True)
class Handshake:
    """The opening handshake a client sent: request target and lower-cased headers."""

    path: str
    headers: dict[str, str]


@dataclass
class _Connection:
    sock: socket.socket
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    open: bool = True
    upgraded: bool = False  # the 101 was sent: frames may flow
    buffer: bytes = b""

    def send(self, opcode: int, payload: bytes) -> None:
        with self.send_lock:
            self.sock.sendall(encode_frame(opcode, payload))

    def recv_exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            chunk = self.sock.recv(max(4096, size - len(self.buffer)))
            if not chunk:
                raise ConnectionError("peer closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def recv_head(self) -> bytes | None:
        """The HTTP request head (up to the blank line); None if the peer hung up first."""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk or len(self.buffer) > 65536:
                return None
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        return head

    def read_frame(self) -> tuple[bool, int, bytes]:
        """(fin, opcode, unmasked payload) of the next client frame."""
        first, second = self.recv_exact(2)
        size = second & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", self.recv_exact(2))
        elif size == 127:
            (size,) = struct.unpack("!Q", self.recv_exact(8))
        if not second & 0x80:
            raise _ProtocolError("client frame is not masked")
        mask = self.recv_exact(4)
        data = self.recv_exact(size)
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        return bool(first & 0x80), first & 0x0F, payload


class SocketModeStandIn:
    """A fake Socket Mode endpoint (``ws://127.0.0.1:PORT/link/?ticket=...``).

    Args:
        app_id: The ``app_id`` announced in the ``hello`` message.
        send_hello: Send Slack's ``hello`` right after the handshake (as Slack does).

    Use as a context manager, or call :meth:`start` / :meth:`stop`.
    """

    def __init__(self, *, app_id: str = API_APP_ID, send_hello: bool = True) -> None:
        self.app_id = app_id
        self.send_hello = send_hello
        self.ticket = secrets.token_hex(8)
        self._cond = threading.Condition()
        self._listener: socket.socket | None = None
        self._stopping = threading.Event()
        self._accepter: threading.Thread | None = None
        self._threads: list[threading.Thread] = []
        self._accepted: list[_Connection] = []  # every TCP connection, for stop()
        self._live: list[_Connection] = []  # handshake done, not closed yet
        self._handshakes: list[Handshake] = []
        self._messages: list[Any] = []
        self._pings = 0
        self._ids = itertools.count(1)
        self.errors: list[BaseException] = []

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SocketModeStandIn:
        """Bind a free port on 127.0.0.1 and accept connections in a daemon thread."""
        if self._listener is not None:
            return self
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.05)
        self._listener = listener
        self._accepter = threading.Thread(
            target=self._accept_loop, name=f"SocketModeStandIn:{self.port}", daemon=True
        )
        self._accepter.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close every connection (close frame 1001 first, best effort)
        and join every thread.  Safe to call twice."""
        self._stopping.set()
        if self._accepter is not None:
            self._accepter.join(timeout=5)
        if self._listener is not None:
            self._listener.close()
        with self._cond:
            accepted = list(self._accepted)
        for conn in accepted:
            self._close(conn, _CLOSE_GOING_AWAY)
        for thread in self._threads:
            thread.join(timeout=5)
        alive = [t.name for t in [self._accepter, *self._threads] if t and t.is_alive()]
        if alive:
            raise RuntimeError(f"SocketModeStandIn threads did not stop: {alive}")

    def __enter__(self) -> SocketModeStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError("SocketModeStandIn is not started")
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        """What ``apps.connections.open`` should answer: ``ws://127.0.0.1:PORT/link/?ticket=``."""
        return f"ws://127.0.0.1:{self.port}/link/?ticket={self.ticket}&app_id={self.app_id}"

    # ------------------------------------------------------------------ inspection

    @property
    def connections(self) -> int:
        """How many WebSocket handshakes were accepted so far."""
        with self._cond:
            return len(self._handshakes)

    @property
    def open_connections(self) -> int:
        with self._cond:
            return len(self._live)

    @property
    def handshakes(self) -> list[Handshake]:
        with self._cond:
            return list(self._handshakes)

    @property
    def messages(self) -> list[Any]:
        """Every message the clients sent, oldest first (JSON text decoded, binary as bytes)."""
        with self._cond:
            return list(self._messages)

    @property
    def pings(self) -> int:
        """How many pings the clients sent (each answered with a pong)."""
        with self._cond:
            return self._pings

    def wait_for_connection(self, count: int = 1, timeout: float = 10.0) -> None:
        """Block until ``count`` handshakes were accepted and one connection is open."""
        self._wait(
            lambda: len(self._handshakes) >= count and bool(self._live),
            timeout,
            f"{count} connection(s)",
        )

    def wait_for_open_connections(self, count: int, timeout: float = 5.0) -> None:
        """Block until exactly ``count`` connections are open (e.g. the old one of a
        reconnect was closed)."""
        self._wait(lambda: len(self._live) == count, timeout, f"{count} open connection(s)")

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The client's acknowledgement ``{"envelope_id": ..., "payload"?: ...}``."""
        found: list[dict[str, Any]] = []

        def acked() -> bool:
            found[:] = [
                m
                for m in self._messages
                if isinstance(m, dict) and m.get("envelope_id") == envelope_id
            ]
            return bool(found)

        self._wait(acked, timeout, f"the ack of envelope {envelope_id}")
        return found[0]

    # ------------------------------------------------------------------ sending

    def send_envelope(
        self, type: str, payload: dict[str, Any], *, accepts_response_payload: bool = True
    ) -> str:
        """Push a Socket Mode envelope to the newest open connection; returns its id."""
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": type,
            "accepts_response_payload": accepts_response_payload,
            "payload": payload,
        }
        if type == "events_api":
            envelope["retry_attempt"] = 0
            envelope["retry_reason"] = ""
        self.send_json(envelope)
        return envelope_id

    def send_json(self, message: dict[str, Any]) -> None:
        """Send any JSON text message (e.g. ``{"type": "disconnect", ...}``)."""
        with self._cond:
            if not self._live:
                raise RuntimeError("no open Socket Mode connection")
            conn = self._live[-1]
        conn.send(_TEXT, json.dumps(message).encode())

    def close_newest(self, code: int = _CLOSE_NORMAL) -> None:
        """Close the newest connection from the server side (the client should reconnect)."""
        with self._cond:
            conn = self._live[-1] if self._live else None
        if conn is not None:
            self._close(conn, code)

    # ------------------------------------------------------------------ internals

    def _wait(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not ready():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {what}; "
                        f"messages: {self._messages}, errors: {self.errors}"
                    )
                self._cond.wait(remaining)

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            conn = _Connection(sock)
            with self._cond:
                self._accepted.append(conn)
            thread = threading.Thread(
                target=self._serve,
                args=(conn,),
                name=f"SocketModeStandIn:{self.port}:{len(self._accepted)}",
                daemon=True,
            )
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: _Connection) -> None:
        try:
            if not self._handshake(conn):
                return
            with self._cond:
                if self._stopping.is_set():
                    return
                self._live.append(conn)
                self._cond.notify_all()
            if self.send_hello:
                conn.send(_TEXT, json.dumps(self._hello()).encode())
            self._read_messages(conn)
        except _ProtocolError:
            self._close(conn, _CLOSE_PROTOCOL_ERROR)
        except OSError:
            pass  # the peer went away, or stop() shut the socket down
        except Exception as error:  # a bug here: reported through .errors
            with self._cond:
                self.errors.append(error)
        finally:
            with self._cond:
                if conn in self._live:
                    self._live.remove(conn)
                conn.open = False
                self._cond.notify_all()
            conn.sock.close()

    def _handshake(self, conn: _Connection) -> bool:
        raw = conn.recv_head()
        if raw is None:
            return False
        request_line, *header_lines = raw.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        method, _, rest = request_line.partition(" ")
        path = rest.rsplit(" ", 1)[0]
        key = headers.get("sec-websocket-key", "")
        if (
            method != "GET"
            or headers.get("upgrade", "").lower() != "websocket"
            or "upgrade" not in headers.get("connection", "").lower()
            or headers.get("sec-websocket-version") != "13"
            or not key
        ):
            conn.sock.sendall(
                b"HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Version: 13\r\n"
                b"Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            return False
        conn.sock.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept_key(key)}\r\n\r\n"
            ).encode("ascii")
        )
        conn.upgraded = True
        with self._cond:
            self._handshakes.append(Handshake(path, headers))
        return True

    def _hello(self) -> dict[str, Any]:
        return {
            "type": "hello",
            "num_connections": self.open_connections,
            "debug_info": {
                "host": "applink-standin",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }

    def _read_messages(self, conn: _Connection) -> None:
        fragments: list[bytes] = []
        message_opcode = _TEXT
        while True:
            fin, opcode, payload = conn.read_frame()
            if opcode == _PING:
                with self._cond:
                    self._pings += 1
                conn.send(_PONG, payload)
            elif opcode == _PONG:
                continue
            elif opcode == _CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else _CLOSE_NORMAL
                self._close(conn, code)
                return
            elif opcode in (_TEXT, _BINARY, _CONTINUATION):
                if opcode != _CONTINUATION:
                    if fragments:
                        raise _ProtocolError("new message before the last one finished")
                    message_opcode = opcode
                elif not fragments:
                    raise _ProtocolError("continuation frame without a message")
                fragments.append(payload)
                if fin:
                    self._record(message_opcode, b"".join(fragments))
                    fragments = []
            else:
                raise _ProtocolError(f"unknown opcode {opcode:#x}")

    def _record(self, opcode: int, data: bytes) -> None:
        message: Any = data
        if opcode == _TEXT:
            text = data.decode("utf-8")
            try:
                message = json.loads(text)
            except ValueError:
                message = text
        with self._cond:
            self._messages.append(message)
            self._cond.notify_all()

    def _close(self, conn: _Connection, code: int) -> None:
        """Send a close frame (once; only after the handshake), then shut the TCP
        connection down, which also wakes its thread's blocked ``recv``."""
        with self._cond:
            was_open, conn.open = conn.open, False
        if not was_open:
            return
        try:
            if conn.upgraded:
                conn.send(_CLOSE, struct.pack("!H", code))
            conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
