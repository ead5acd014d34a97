"""The same Slack requests as `SlackSender`, delivered the Socket Mode way: as envelopes over
the WebSocket stand-in, the "response" being the app's acknowledgement on the socket.

Slack sends a slash command's form fields, an interaction's payload and an Events API
envelope as the `payload` of a `slash_commands`, `interactive` or `events_api` envelope;
the app acknowledges with `{"envelope_id": ..., "payload"?: ...}`. There is no signature and
no HTTP status: an acknowledged envelope reads as a 200 with the ack's payload as its body,
and one the app does not acknowledge within the timeout as a 504.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from tests.support.signing import Response, SlackSender
from tests.support.ws_standin import SocketModeStandIn


@dataclass(frozen=True)
class SocketSender(SlackSender):
    ws: SocketModeStandIn | None = None

    def _post(self, body: bytes, headers: Mapping[str, str]) -> Response:
        assert self.ws is not None
        if headers.get("Content-Type", "").startswith("application/json"):
            kind, payload = "events_api", json.loads(body)
        else:
            form = dict(parse_qsl(body.decode(), keep_blank_values=True))
            if "payload" in form:
                kind, payload = "interactive", json.loads(form["payload"])
            else:
                kind, payload = "slash_commands", form
        envelope_id = self.ws.send_envelope(kind, payload)
        try:
            ack = self.ws.wait_for_ack(envelope_id, timeout=self.timeout)
        except AssertionError:
            return Response(504, {}, b"")
        answer = ack.get("payload")
        return Response(200, {}, json.dumps(answer).encode() if answer else b"")
