"""Problems found in user input (files, forms), reported all at once with their place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, and where: a 1-based row (line of data) and a column."""

    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        prefix = ", ".join(where)
        return f"{prefix[0].upper()}{prefix[1:]}: {self.message}" if prefix else self.message


class InputRejected(Exception):
    """The input was refused as a whole; nothing was changed. Carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the input")
        self.problems = problems

    def summary(self, limit: int = 20) -> str:
        lines = [f"• {p}" for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"… and {len(self.problems) - limit} more")
        return "\n".join(lines)


class CliError(Exception):
    """An error for the operator of the CLI: printed as one line, exit status 1."""
