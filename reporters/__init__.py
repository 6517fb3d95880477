"""Reporters: pure functions from a ScanReport to text.

`render(fmt, report)` picks a module from `FORMATS` and imports it only then, so importing this
package loads neither rich nor jsonschema.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govscan.scanner.model import ScanReport

FORMATS: dict[str, str] = {
    "table": "govscan.reporters.table",
    "json": "govscan.reporters.json_report",
    "sarif": "govscan.reporters.sarif",
    "junit": "govscan.reporters.junit",
    "codequality": "govscan.reporters.codequality",
    "github": "govscan.reporters.github",
    "markdown": "govscan.reporters.markdown",
}


def _module(fmt: str) -> Any:
    try:
        return importlib.import_module(FORMATS[fmt])
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}") from None


def render(fmt: str, report: ScanReport, *, color: bool = False, sarif_category: str | None = None) -> str:
    """Render `report` in format `fmt`; `color` only affects the table, `sarif_category` only SARIF."""
    return "".join(chunks(fmt, report, color=color, sarif_category=sarif_category))


def chunks(fmt: str, report: ScanReport, *, color: bool = False, sarif_category: str | None = None) -> Iterator[str]:
    """The same text as `render`, in pieces where the format allows it (JSON-based formats)."""
    module = _module(fmt)
    if fmt == "table":
        yield module.render(report, color=color)
    elif fmt == "sarif":
        yield from module.chunks(report, sarif_category)
    elif hasattr(module, "chunks"):
        yield from module.chunks(report)
    else:
        yield module.render(report)


__all__ = ["FORMATS", "chunks", "render"]
