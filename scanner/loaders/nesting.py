"""How deeply a text nests, bounded before a parser that recurses sees it.

libyaml's composer recurses in C and kills the process (SIGSEGV) a few ten thousand levels down;
`json.loads` stops near a thousand with a RecursionError, and whatever walks the result afterwards
recurses too. Brackets are counted with C-speed passes (`bytes.translate`, `accumulate`); only a
text that looks too deep is walked token by token to find the offending line.
"""

from __future__ import annotations

import re
from itertools import accumulate

_OTHERS = bytes(c for c in range(256) if c not in b"[]{}")
_SIGNS = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")  # +1 for an opening bracket, -1 for a closing one
_BRACKETS = re.compile(r"[\[\]{}]")
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_OPENING = frozenset("[{")


def flow_overflow(text: str, limit: int, json_strings: bool = False) -> int | None:
    """Offset of the bracket where `[` / `{` nesting first goes past `limit`, or None.

    Brackets count wherever they are (quoted strings and comments included) and the depth never
    goes below zero, so the bound only errs high: no text nests deeper than it says. With
    `json_strings` (a text `json.loads` accepted) brackets inside strings are left out: exact.
    """
    if text.count("[") + text.count("{") <= limit:
        return None
    signs = memoryview(text.encode("utf-8", "surrogatepass").translate(_SIGNS, _OTHERS)).cast("b")
    depths = list(accumulate(signs))
    if min(depths) >= 0 and max(depths) <= limit:  # never below zero: the running sum is the depth
        return None
    depth = 0
    for match in (_JSON_TOKENS if json_strings else _BRACKETS).finditer(text):
        token = match.group()
        if token in _OPENING:
            depth += 1
            if depth > limit:
                return match.start()
        elif token[0] != '"':
            depth = max(0, depth - 1)
    return None


def block_overflow(text: str, limit: int) -> int | None:
    """Offset of a line indented (or opened with `- `, `? `, `: `) past `limit` columns, or None.

    A block collection nests only by indenting further or by a compact `- - -` on one line, so
    no YAML text nests deeper in block style than its longest such line prefix.
    """
    pattern = _block_pattern(limit)
    if pattern.match("\n" + text[: limit + 1]):  # the first line has no newline before it
        return 0
    match = pattern.search(text)  # a literal "\n" first lets the regex engine skip: 4x faster than ^ with MULTILINE
    return match.start() + 1 if match else None


_PATTERNS: dict[int, re.Pattern[str]] = {}


def _block_pattern(limit: int) -> re.Pattern[str]:
    if limit not in _PATTERNS:
        _PATTERNS[limit] = re.compile(rf"\n[ ?:-]{{{limit}}}")
    return _PATTERNS[limit]


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
