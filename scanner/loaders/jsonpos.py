"""Positions in a JSON text without a position-keeping parse: `json.loads` reads the values (fast,
in C) and keys are found afterwards by searching the text from the entry that holds them.

Plans are often one 60 MB line; a pointer's position is worked out only when a finding asks for it.
"""

from __future__ import annotations

import bisect
import json
import re
from array import array
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from govscan.scanner.model import Position


class JsonText:
    """A JSON document's text, with line/column lookup by offset and key search within a range."""

    __slots__ = ("text", "_newlines")

    def __init__(self, text: str) -> None:
        self.text = text
        self._newlines: array[int] | None = None

    def position(self, offset: int) -> Position:
        if self._newlines is None:
            self._newlines = array("q", (m.start() for m in re.finditer("\n", self.text)))
        line = bisect.bisect_left(self._newlines, offset)
        start = self._newlines[line - 1] + 1 if line else 0
        return (line + 1, offset - start + 1)

    def find_key(self, key: str, start: int, end: int) -> int:
        """Offset of the first `"key":` in [start, end), or -1."""
        match = _key_pattern(key).search(self.text, start, end)
        return match.start() if match else -1

    def entries(self, key: str, values: list[str], start: int = 0) -> dict[str, int]:
        """Offset of the first `"key": "value"` at or after `start` for each value (entries of a list)."""
        wanted = set(values)
        found: dict[str, int] = {}
        pattern = re.compile(r'"' + re.escape(key) + r'"\s*:\s*("(?:[^"\\]|\\.)*")')
        for match in pattern.finditer(self.text, start):
            try:
                value = json.loads(match.group(1))
            except ValueError:
                continue
            if value in wanted and value not in found:
                found[value] = match.start()
                if len(found) == len(wanted):
                    break
        return found


@lru_cache(maxsize=1024)
def _key_pattern(key: str) -> re.Pattern[str]:
    return re.compile(re.escape(json.dumps(key)) + r"\s*:")


class EntryPositions(Mapping[str, Position]):
    """Positions inside one entry (a plan's resource change, a preview step).

    `""` is the entry itself; a pointer below it is found key by key, from where the entry's values
    start (`values`) up to the next entry (`end`). A list index is not searched: the position of the
    list stands for its items.
    """

    __slots__ = ("_json", "_entry", "_values", "_end", "_camel")

    def __init__(self, json_text: JsonText, entry: int, values: int, end: int, camel: bool = False) -> None:
        self._json = json_text
        self._entry = entry
        self._values = values
        self._end = end
        self._camel = camel  # the body's snake_case keys are camelCase in the text (Pulumi)

    def get(self, pointer: str, default: Any = None) -> Any:
        if not pointer:
            return self._json.position(self._entry)
        offset = self._values
        for token in pointer[1:].split("/"):
            if token.isdigit():
                return default
            key = token.replace("~1", "/").replace("~0", "~")
            if self._camel:
                key = re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), key)
            offset = self._json.find_key(key, offset, self._end)
            if offset < 0:
                return default
        return self._json.position(offset)

    def __getitem__(self, pointer: str) -> Position:
        found: Position | None = self.get(pointer)
        if found is None:
            raise KeyError(pointer)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(("",))

    def __len__(self) -> int:
        return 1
