"""Button values and `private_metadata`: ids only (never names or content), versioned.

`pack("import", id=12)` → '{"v":1,"k":"import","id":12}'; `unpack(text, "import")` gives the
ids back or raises ValueError for anything else (old versions, another kind, tampering that
breaks the shape). Authorization is still checked against the database on every use.
"""

from __future__ import annotations

import json

VERSION = 1
Ids = dict[str, int | str]


def pack(kind: str, **ids: int | str) -> str:
    return json.dumps({"v": VERSION, "k": kind, **ids}, separators=(",", ":"))


def unpack(text: str, kind: str) -> Ids:
    try:
        data = json.loads(text)
    except (TypeError, json.JSONDecodeError):
        raise ValueError("not app metadata") from None
    if not isinstance(data, dict) or data.get("v") != VERSION or data.get("k") != kind:
        raise ValueError(f"not {kind} metadata of version {VERSION}")
    ids = {k: v for k, v in data.items() if k not in ("v", "k")}
    if not all(isinstance(v, int | str) and not isinstance(v, bool) for v in ids.values()):
        raise ValueError("metadata holds ids only")
    return ids


def unpack_int(text: str, kind: str, name: str) -> int:
    value = unpack(text, kind).get(name)
    if not isinstance(value, int):
        raise ValueError(f"{kind} metadata lacks {name}")
    return value
