"""Files on the Slack stand-in: files registered with :meth:`Files.add_file` (hosted, or
remote and other hostile shapes as ``files.info`` can return them), their downloads from
``GET /files/<id>/<name>`` (only with a valid bot token, like Slack's ``url_private``; recorded
in ``downloads()``), Slack's sign-in page, and redirects a test points a download at.

:class:`Files` is a mixin of :class:`tests.support.slack_standin.SlackStandIn`.
"""

from __future__ import annotations

import itertools
import mimetypes
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import quote

from tests.support.standin_calls import (
    DOWNLOAD_METHOD,
    REDIRECT_METHOD,
    TEAM_DOMAIN,
    TEAM_ID,
    Call,
    token_of,
)

LOGIN_PAGE = (
    b"<!DOCTYPE html><html><head><title>Slack</title></head>"
    b"<body><h1>Sign in to Closed Set Test</h1>"
    b'<form action="/signin" method="post"></form></body></html>'
)


class Answer(Protocol):
    """The request being answered (the stand-in's HTTP request handler)."""

    def send(self, status: int, headers: Mapping[str, str], body: bytes) -> None: ...

    def trickle(
        self, status: int, headers: Mapping[str, str], body: bytes, seconds: float
    ) -> None: ...


@dataclass
class StoredFile:
    obj: dict[str, Any]
    content: bytes
    trickle_seconds: float = 0.0


@dataclass
class FileStore:
    files: dict[str, StoredFile] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)


class Files:
    """Files, downloads and redirects (a mixin: the stand-in holds ``_lock``, ``_file_store``,
    ``_id_counter``, ``valid_tokens``, ``unauthorized_download``, ``base_url`` and
    ``_record``)."""

    _lock: threading.Condition
    _file_store: FileStore
    _id_counter: itertools.count[int]
    valid_tokens: set[str]
    unauthorized_download: Literal["forbidden", "login_redirect"]

    if TYPE_CHECKING:

        @property
        def base_url(self) -> str: ...

        def _record(self, call: Call, *, download: bool = False) -> None: ...

    def add_file(
        self,
        content: bytes,
        name: str,
        filetype: str = "csv",
        user: str = "U0TEST0001",
        *,
        title: str | None = None,
        mimetype: str | None = None,
        remote_url: str | None = None,
        download_url: str | None = None,
        declared_size: int | None = None,
        trickle_seconds: float = 0.0,
    ) -> dict[str, Any]:
        """Register a file; returns the Slack file object (id ``F...``).

        Use the object inside a ``message`` event with ``subtype: "file_share"``
        (``"files": [obj]``) or a ``file_shared`` event.  ``files.info`` returns it
        and ``url_private``/``url_private_download`` serve ``content``.

        Hostile shapes, as ``files.info`` can return them: ``remote_url`` makes it a remote
        file (``is_external``, ``mode: "external"``, ``url_private`` pointing there, as Slack
        documents for files added with ``files.remote.add``); ``download_url`` replaces the download
        URLs with any other (e.g. a redirect from :meth:`add_redirect`); ``declared_size``
        is the ``size`` claimed (default: the real one); ``trickle_seconds`` spreads the
        download over that long.
        """
        file_id = f"F{next(self._id_counter):09d}"
        if mimetype is None:
            mimetype = {"csv": "text/csv", "text": "text/plain"}.get(filetype) or (
                mimetypes.guess_type(name)[0] or "application/octet-stream"
            )
        url = f"{self.base_url}/files/{file_id}/{quote(name)}"
        created = int(time.time())
        obj: dict[str, Any] = {
            "id": file_id,
            "created": created,
            "timestamp": created,
            "name": name,
            "title": title if title is not None else name,
            "mimetype": mimetype,
            "filetype": filetype,
            "pretty_type": filetype.upper(),
            "user": user,
            "user_team": TEAM_ID,
            "editable": False,
            "size": len(content),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": False,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": url,
            "url_private_download": f"{url}?download=1",
            "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{user}/{file_id}/{name}",
            "channels": [],
            "groups": [],
            "ims": [],
            "comments_count": 0,
        }
        if remote_url is not None:
            obj.update(
                mode="external",
                is_external=True,
                external_type="gdrive",
                url_private=remote_url,
                url_private_download=remote_url,
            )
        if download_url is not None:
            obj.update(url_private=download_url, url_private_download=download_url)
        if declared_size is not None:
            obj["size"] = declared_size
        with self._lock:
            self._file_store.files[file_id] = StoredFile(obj, content, trickle_seconds)
        return obj

    def add_redirect(self, location: str) -> str:
        """A URL on this server that answers ``302 Found`` to ``location`` (a redirect Slack's
        file host could be made to send); each GET is recorded as a ``"redirect"`` call."""
        path = f"/redirect/{next(self._id_counter)}"
        with self._lock:
            self._file_store.redirects[path] = location
        return f"{self.base_url}{path}"

    def _stored_file(self, file_id: str) -> StoredFile | None:
        with self._lock:
            return self._file_store.files.get(file_id)

    def _download(self, req: Answer, path: str, headers: dict[str, str], now: float) -> None:
        parts = path.split("/")  # ["", "files", id, name...]
        file_id = parts[2] if len(parts) > 2 else ""
        name = "/".join(parts[3:])
        token = token_of(headers, {})
        authorized = (
            token is not None
            and token in self.valid_tokens
            and token.startswith(("xoxb-", "xoxp-"))
        )
        stored = self._stored_file(file_id)
        found = stored is not None and stored.obj["name"] == name
        status = 200 if authorized and found else (404 if authorized else 403)
        params = {"file": file_id, "name": name, "authorized": authorized}
        self._record(Call(DOWNLOAD_METHOD, params, headers, now, status, None, path), download=True)
        if authorized and stored is not None and found and stored.trickle_seconds:
            mimetype = str(stored.obj["mimetype"])
            req.trickle(200, {"Content-Type": mimetype}, stored.content, stored.trickle_seconds)
        elif authorized and stored is not None and found:
            req.send(200, {"Content-Type": str(stored.obj["mimetype"])}, stored.content)
        elif authorized:
            req.send(404, {"Content-Type": "text/plain"}, b"file not found")
        elif self.unauthorized_download == "login_redirect":
            req.send(302, {"Location": f"{self.base_url}/signin", "Content-Type": "text/html"}, b"")
        else:
            req.send(403, {"Content-Type": "text/html; charset=utf-8"}, LOGIN_PAGE)

    def _signin(self, req: Answer) -> None:
        req.send(200, {"Content-Type": "text/html; charset=utf-8"}, LOGIN_PAGE)

    def _is_redirect(self, path: str) -> bool:
        return path in self._file_store.redirects

    def _redirect(self, req: Answer, path: str, headers: dict[str, str], now: float) -> None:
        location = self._file_store.redirects[path]
        self._record(Call(REDIRECT_METHOD, {"location": location}, headers, now, 302, None, path))
        req.send(302, {"Location": location, "Content-Type": "text/plain"}, b"")
