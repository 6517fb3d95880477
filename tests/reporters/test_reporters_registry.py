from __future__ import annotations

import subprocess
import sys

import pytest

import govscan.reporters as reporters
from govscan.scanner.model import ScanReport


def test_formats() -> None:
    assert list(reporters.FORMATS) == ["table", "json", "sarif", "junit", "codequality", "github", "markdown"]


@pytest.mark.parametrize("fmt", ["table", "json", "sarif", "junit", "codequality", "github", "markdown"])
def test_render_each_format(fmt: str, report: ScanReport) -> None:
    text = reporters.render(fmt, report)
    assert text
    assert "ha.replicas" in text
    assert "\x1b" not in text


def test_render_table_with_color(report: ScanReport) -> None:
    assert "\x1b[" in reporters.render("table", report, color=True)


def test_unknown_format(report: ScanReport) -> None:
    with pytest.raises(ValueError) as info:
        reporters.render("xml", report)
    assert str(info.value) == (
        "unknown format 'xml'; choose one of: table, json, sarif, junit, codequality, github, markdown"
    )


def test_import_is_lazy() -> None:
    code = (
        "import sys, govscan.reporters\n"
        "heavy = sorted(m for m in ('rich', 'jsonschema') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
