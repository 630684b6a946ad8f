"""Where each key of a TOML document stands, so errors can say ``file:line:col``.

tomllib parses but forgets positions. This scanner walks a document that
tomllib has already accepted and records, for every key path (table names,
keys and array indexes, as in the parsed data), the line and column where it
is written. Being run only on valid TOML, it need not diagnose anything.
"""

from __future__ import annotations

__all__ = ["KeyPath", "Position", "locate"]

KeyPath = tuple[str | int, ...]
Position = tuple[int, int]

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.positions: dict[KeyPath, Position] = {}
        self._line_starts = [0]
        for index, char in enumerate(text):
            if char == "\n":
                self._line_starts.append(index + 1)

    def position(self, index: int) -> Position:
        low, high = 0, len(self._line_starts) - 1
        while low < high:
            mid = (low + high + 1) // 2
            if self._line_starts[mid] <= index:
                low = mid
            else:
                high = mid - 1
        return low + 1, index - self._line_starts[low] + 1

    def peek(self, ahead: int = 0) -> str:
        index = self.i + ahead
        return self.text[index] if index < len(self.text) else ""

    def skip_blank(self, newlines: bool) -> None:
        """Skip spaces, comments and (inside arrays and such) newlines."""
        while self.i < len(self.text):
            char = self.text[self.i]
            if char in " \t\r" or (newlines and char == "\n"):
                self.i += 1
            elif char == "#":
                while self.i < len(self.text) and self.text[self.i] != "\n":
                    self.i += 1
            else:
                return

    def string(self) -> str:
        quote = self.peek()
        if self.text.startswith(quote * 3, self.i):
            end = self.text.index(quote * 3, self.i + 3)
            while self.text.startswith(quote, end + 3):  # up to two quotes may close it
                end += 1
            value = self.text[self.i + 3 : end]
            self.i = end + 3
            return value
        self.i += 1
        out: list[str] = []
        while self.text[self.i] != quote:
            if quote == '"' and self.text[self.i] == "\\":
                out.append(self.text[self.i : self.i + 2])
                self.i += 2
            else:
                out.append(self.text[self.i])
                self.i += 1
        self.i += 1
        return "".join(out)  # escapes left as written: keys here never need them

    def key(self) -> list[tuple[str, int]]:
        """A dotted key: each part with the index where it starts."""
        parts: list[tuple[str, int]] = []
        while True:
            self.skip_blank(newlines=False)
            start = self.i
            if self.peek() in "\"'":
                parts.append((self.string(), start))
            else:
                while self.peek() in _BARE and self.peek():
                    self.i += 1
                parts.append((self.text[start : self.i], start))
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                return parts
            self.i += 1

    def value(self, path: KeyPath) -> None:
        self.skip_blank(newlines=False)
        char = self.peek()
        if char == "{":
            self.i += 1
            while True:
                self.skip_blank(newlines=False)
                if self.peek() == "}":
                    self.i += 1
                    return
                self.key_value(path)
                self.skip_blank(newlines=False)
                if self.peek() == ",":
                    self.i += 1
        elif char == "[":
            self.i += 1
            index = 0
            while True:
                self.skip_blank(newlines=True)
                if self.peek() == "]":
                    self.i += 1
                    return
                self.positions.setdefault((*path, index), self.position(self.i))
                self.value((*path, index))
                index += 1
                self.skip_blank(newlines=True)
                if self.peek() == ",":
                    self.i += 1
        elif char in "\"'":
            self.string()
        else:
            while self.peek() and self.peek() not in ",]}\n#":
                self.i += 1

    def key_value(self, table: KeyPath) -> None:
        path = table
        for name, start in self.key():
            path = (*path, name)
            self.positions.setdefault(path, self.position(start))
        self.skip_blank(newlines=False)
        self.i += 1  # the '='
        self.value(path)

    def document(self) -> dict[KeyPath, Position]:
        table: KeyPath = ()
        arrays: dict[KeyPath, int] = {}
        while True:
            self.skip_blank(newlines=True)
            if self.i >= len(self.text):
                return self.positions
            if self.peek() == "[":
                is_array = self.peek(1) == "["
                self.i += 2 if is_array else 1
                table = self._header(self.key(), arrays, is_array)
                self.i += 2 if is_array else 1
            else:
                self.key_value(table)

    def _header(
        self, parts: list[tuple[str, int]], arrays: dict[KeyPath, int], is_array: bool
    ) -> KeyPath:
        path: KeyPath = ()
        for number, (name, start) in enumerate(parts):
            path = (*path, name)
            self.positions.setdefault(path, self.position(start))
            last = number == len(parts) - 1
            if last and is_array:
                arrays[path] = arrays.get(path, -1) + 1
            if path in arrays:
                path = (*path, arrays[path])
                self.positions.setdefault(path, self.position(start))
        return path


def locate(text: str) -> dict[KeyPath, Position]:
    """Map every key path of a valid TOML ``text`` to its (line, column), both from 1."""
    return _Scanner(text).document()
