"""Errors the engine raises about its input: each names the file and, where known, line and column."""

from __future__ import annotations


class InputError(ValueError):
    """A whole input file cannot be used (missing columns, empty, wrong encoding...).

    `message` is in Bahasa Indonesia, for the user; `place` says where.
    """

    def __init__(self, message: str, *, path: str = "", line: int | None = None, column: str | None = None):
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        super().__init__(self.__str__())

    @property
    def place(self) -> str:
        parts = [self.path] if self.path else []
        if self.line is not None:
            parts.append(f"baris {self.line}")
        if self.column:
            parts.append(f"kolom '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.place}: {self.message}" if self.place else self.message
