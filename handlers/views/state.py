"""Reading a submitted modal's `view.state.values` (block_id → action_id → value)."""

from __future__ import annotations

from typing import Any

from bot.ids import VALUE


def _element(view: dict[str, Any], block: str) -> dict[str, Any]:
    value = view.get("state", {}).get("values", {}).get(block, {}).get(VALUE, {})
    return value if isinstance(value, dict) else {}


def text(view: dict[str, Any], block: str) -> str:
    return str(_element(view, block).get("value") or "")


def users(view: dict[str, Any], block: str) -> tuple[str, ...]:
    return tuple(_element(view, block).get("selected_users") or ())


def conversation(view: dict[str, Any], block: str) -> str | None:
    value = _element(view, block).get("selected_conversation")
    return str(value) if value else None


def checked(view: dict[str, Any], block: str) -> bool:
    return bool(_element(view, block).get("selected_options"))


def time_of_day(view: dict[str, Any], block: str) -> str:
    return str(_element(view, block).get("selected_time") or "")
