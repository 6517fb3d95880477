"""Text from inputs made safe to print on a terminal or in a CI log.

A resource name, a YAML key, a file name or a waiver reason can hold a newline (a forged
`::error::` or `::add-mask::` workflow command on a line of its own), an ANSI escape (a cleared
screen, a hidden line), a bidi override (text that reads differently than it is) or an unpaired
surrogate (which no UTF-8 stream can write). `printable()` shows each as a visible escape.
JSON, SARIF and JUnit escape such characters themselves; the table and stderr need this.
"""

from __future__ import annotations

_UNSAFE = [*range(0x00, 0x09), *range(0x0A, 0x20), *range(0x7F, 0xA0)]
_UNSAFE += [0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_UNSAFE += list(range(0xD800, 0xE000))  # unpaired surrogates (only JSON escapes can make them)
_ESCAPES = {code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" for code in _UNSAFE}
_ESCAPES.update({ord("\n"): "\\n", ord("\r"): "\\r"})


_KEEP_LINES = {code: escape for code, escape in _ESCAPES.items() if code not in (ord("\n"), ord("\r"))}


def printable(text: str) -> str:
    """`text` with control, bidi and line-breaking characters shown as escapes (`\\n`, `\\x1b`)."""
    return text if text.isprintable() and text.isascii() else text.translate(_ESCAPES)


def printable_lines(text: str) -> str:
    """As printable(), but CR and LF stay (for a format that encodes them itself)."""
    return (
        text
        if text.isascii() and text.replace("\n", "").replace("\r", "").isprintable()
        else text.translate(_KEEP_LINES)
    )
