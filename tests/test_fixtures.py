"""One test walks fixtures/<domain>/<rule>/: adding a rule adds data, not test code.

Conventions (see fixtures/README.md):
- `fail-*.yaml` / `pass-*.yaml`; rule id = `<domain>.<rule folder>`.
- A first-line comment `# tier: production` scans the file with `--tier production`.
- `# expect: <rule-id>` at the end of a line says that rule fires on that line (once per marker).
- An optional `config.yaml` in the rule folder is used as the scan's config.
- JSON inputs (Terraform plans, Pulumi previews) cannot carry comments: `expect.yaml` in the rule
  folder maps each file name to `tier:` and `findings:` (a list of `{rule, resource}`, the resource
  being the Terraform address or the Pulumi URN); a file it does not name expects no findings.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from govscan.scanner.config import load_config
from govscan.scanner.engine import ScanRequest, scan
from govscan.scanner.model import Status, Tier

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
TODAY = dt.date(2026, 11, 23)
EXPECT = re.compile(r"#\s*expect:\s*([a-z0-9.-]+(?:\s*,\s*[a-z0-9.-]+)*)\s*$")
TIER = re.compile(r"^#\s*tier:\s*(\w+)\s*$")
SUFFIXES = (".yaml", ".yml", ".json")


def fixture_files() -> list[Path]:
    found = []
    for path in sorted(FIXTURES.glob("*/*/*")):
        if path.suffix in SUFFIXES and path.name.startswith(("pass-", "fail-")):
            found.append(path)
    return found


def rule_id_of(path: Path) -> str:
    return f"{path.parent.parent.name}.{path.parent.name}"


def expectations(text: str) -> tuple[Tier | None, Counter[tuple[str, int]]]:
    tier = None
    lines = text.splitlines()
    if lines:
        match = TIER.match(lines[0])
        if match:
            tier = Tier.parse(match.group(1))
    expected: Counter[tuple[str, int]] = Counter()
    for number, line in enumerate(lines, start=1):
        match = EXPECT.search(line)
        if match:
            for rule_id in match.group(1).split(","):
                expected[(rule_id.strip(), number)] += 1
    return tier, expected


def json_expectations(path: Path) -> tuple[Tier | None, Counter[tuple[str, str]]]:
    listing = path.parent / "expect.yaml"
    entry = (yaml.safe_load(listing.read_text()) or {}).get(path.name, {}) if listing.is_file() else {}
    tier = Tier.parse(entry["tier"]) if entry.get("tier") else None
    return tier, Counter((f["rule"], f["resource"]) for f in entry.get("findings") or [])


def run_fixture(path: Path):  # type: ignore[no-untyped-def]
    if path.suffix == ".json":
        tier, expected = json_expectations(path)
    else:
        tier, expected = expectations(path.read_text(encoding="utf-8"))
    config_file = path.parent / "config.yaml"
    config = load_config(config_file if config_file.is_file() else None)
    request = ScanRequest(targets=(str(path),), config=config, tier=tier, today=TODAY, cwd=ROOT)
    return scan(request), expected


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture(path: Path) -> None:
    rule_id = rule_id_of(path)
    report, expected = run_fixture(path)
    errors = [f for f in report.findings if f.rule_id in ("govscan.rule-error", "govscan.input-error")]
    assert not errors, [f"{f.location.line}: {f.message}" for f in errors]
    if path.suffix == ".json":
        fired_at = Counter((f.rule_id, f.resource.uid) for f in report.findings if f.rule_id == rule_id)
        if path.name.startswith("pass-"):
            assert not fired_at, f"{rule_id} fired on a passing fixture: {sorted(fired_at)}"
            assert any(e.rule_id == rule_id and e.status is Status.PASS for e in report.evaluations), path.name
        else:
            mine_at = Counter({k: v for k, v in expected.items() if k[0] == rule_id})
            assert mine_at, f"expect.yaml names no {rule_id} finding for {path.name}"
            assert fired_at == mine_at, f"expected {sorted(mine_at.elements())}, got {sorted(fired_at.elements())}"
        for (other, uid), count in expected.items():
            if other != rule_id:
                got = sum(1 for f in report.findings if f.rule_id == other and f.resource.uid == uid)
                assert got == count, f"expected {other} x{count} on {uid}, got {got}"
        return
    fired = Counter((f.rule_id, f.location.line) for f in report.findings if f.rule_id == rule_id)
    mine = Counter({k: v for k, v in expected.items() if k[0] == rule_id})
    if path.name.startswith("pass-"):
        assert not fired, f"{rule_id} fired on a passing fixture: {sorted(fired)}"
        evaluated = [e for e in report.evaluations if e.rule_id == rule_id and e.status is Status.PASS]
        assert evaluated, f"{rule_id} never evaluated (and passed) anything in {path.name}"
    else:
        assert mine, f"{path.name} has no '# expect: {rule_id}' marker"
        assert fired == mine, f"expected {sorted(mine.elements())}, got {sorted(fired.elements())}"
    # markers for other rules in the same file must hold too
    others = Counter({k: v for k, v in expected.items() if k[0] != rule_id})
    for (other, line), count in others.items():
        got = sum(1 for f in report.findings if f.rule_id == other and f.location.line == line)
        assert got == count, f"expected {other} x{count} on line {line}, got {got}"


def test_every_rule_has_pass_and_fail_fixtures() -> None:
    from govscan.scanner.registry import builtin_rules

    files = fixture_files()
    for rule in builtin_rules():
        names = [p.name for p in files if rule_id_of(p) == rule.id]
        assert any(n.startswith("pass-") for n in names), f"{rule.id} has no pass-* fixture"
        assert any(n.startswith("fail-") for n in names), f"{rule.id} has no fail-* fixture"


def test_fixture_folders_name_real_rules() -> None:
    from govscan.scanner.registry import builtin_rules

    ids = {r.id for r in builtin_rules()}
    orphans = sorted({rule_id_of(p) for p in fixture_files()} - ids)
    assert not orphans, f"fixture folders without a rule: {orphans}"
