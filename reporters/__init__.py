"""Reporters: pure functions from a ScanReport to text.

`render(fmt, report)` picks a module from `FORMATS` and imports it only then, so importing this
package loads neither rich nor jsonschema.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govscan.scanner.model import ScanReport

FORMATS: dict[str, str] = {
    "table": "govscan.reporters.table",
    "json": "govscan.reporters.json_report",
    "sarif": "govscan.reporters.sarif",
    "junit": "govscan.reporters.junit",
    "codequality": "govscan.reporters.codequality",
}


def render(fmt: str, report: ScanReport, *, color: bool = False) -> str:
    """Render `report` in format `fmt`; `color` only affects the table."""
    try:
        module_path = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}") from None
    module = importlib.import_module(module_path)
    if fmt == "table":
        text: str = module.render(report, color=color)
    else:
        text = module.render(report)
    return text


__all__ = ["FORMATS", "render"]
