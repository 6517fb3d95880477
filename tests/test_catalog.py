"""Meta-tests that keep the rule catalog honest, and docs/rules.md current."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from govscan.scanner import catalog
from govscan.scanner.model import TIERS, Enforcement, Platform
from govscan.scanner.registry import RULE_ID, builtin_rules
from govscan.scanner.version import __version__

ROOT = Path(__file__).resolve().parents[1]
DOMAINS = {
    "rbac",
    "secrets",
    "image-provenance",
    "ha",
    "backup",
    "data-masking",
    "quotas",
    "network",
    "pod-security",
    "observability",
    "encryption",
    "release",
}
RULES = builtin_rules()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_metadata_is_complete(rule) -> None:  # type: ignore[no-untyped-def]
    meta = rule.meta
    assert RULE_ID.match(meta.id), f"{meta.id}: ids are <domain>.<name>, lowercase with hyphens"
    assert meta.domain in DOMAINS
    assert meta.id.startswith(meta.domain + "."), f"{meta.id} does not start with its domain {meta.domain}"
    assert len(meta.title) > 10
    assert len(meta.remediation) > 20, "remediation must tell the user what to change"
    assert set(meta.enforcement) == set(TIERS), "enforcement must name every tier"
    assert any(level is not Enforcement.OFF for level in meta.enforcement.values())
    assert meta.platforms and all(isinstance(p, Platform) for p in meta.platforms)
    if meta.options is not None:
        assert dataclasses.is_dataclass(meta.options) and type(meta.options).__dataclass_params__.frozen  # type: ignore[attr-defined]
    doc = rule.doc
    first = doc.splitlines()[0] if doc else ""
    assert first.endswith("."), f"{meta.id}: docstring's first line is one sentence saying what passes"
    assert re.search(r"pass", doc, re.I) and re.search(r"fail", doc, re.I), (
        f"{meta.id}: docstring needs a passing and a failing example"
    )


def test_rule_ids_are_unique() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))


def test_docs_rules_md_is_generated_from_the_catalog() -> None:
    expected = catalog.render_markdown()
    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == expected, "docs/rules.md is stale: run `govscan rules list --format markdown > docs/rules.md`"


def test_version_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["version"] == __version__
