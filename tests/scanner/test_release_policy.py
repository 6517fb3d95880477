"""The `release:` section of .govscan.yaml: validated with lines, requirements per class and tier,
freeze windows (one-off, yearly, monthly) on the right days."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govscan.scanner.config import load_config
from govscan.scanner.errors import ConfigError
from govscan.scanner.model import ReleaseClass, Tier

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "release-gates" / ".govscan.yaml"


def test_the_readme_shows_the_example_policy_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "```yaml\n" + EXAMPLE.read_text(encoding="utf-8") + "```\n" in readme


def test_the_example_policy_loads_with_defaults_merged_and_lines_kept() -> None:
    policy = load_config(EXAMPLE).release
    migration = policy.requirements_for(ReleaseClass.SCHEMA_MIGRATION, Tier.PRODUCTION)
    assert (migration.approvals, migration.labels, migration.backup, migration.rollback_plan) == (
        2,
        ("dba-approved",),
        True,
        True,
    )
    assert migration.change_ticket is not None and migration.change_ticket.pattern == "CHG-[0-9]{4,}"
    assert migration.max_changed_resources == 10  # the class entry wins over defaults' 25
    config = policy.requirements_for(ReleaseClass.CONFIG_CHANGE, Tier.PRODUCTION)
    assert (config.approvals, config.max_changed_resources, config.progressive_rollout) == (1, 25, True)
    assert config.declared["approvals"].pointer == "/release/defaults/production/approvals"
    assert config.declared["approvals"].line == 10
    assert policy.requirements_for(ReleaseClass.IMAGE_ONLY, Tier.DEVELOPMENT).declared == {}
    assert [(f.name, f.declared.line, sorted(t.value for t in f.tiers)) for f in policy.freezes] == [
        ("peak-season", 39, ["production"]),
        ("month-end-close", 44, ["production"]),
        ("erp-cutover", 48, ["production", "staging"]),
    ]
    assert policy.backup_labels == ("backup-verified",)


def test_freeze_windows_hold_on_the_right_days() -> None:
    peak, month_end, cutover = load_config(EXAMPLE).release.freezes
    holds = {
        day: (peak.holds(dt.date.fromisoformat(day)), month_end.holds(dt.date.fromisoformat(day)))
        for day in ("2026-11-19", "2026-11-20", "2026-12-31", "2027-01-05", "2027-01-06")
    }
    assert holds == {
        "2026-11-19": (False, False),
        "2026-11-20": (True, False),
        "2026-12-31": (True, True),
        "2027-01-05": (True, False),
        "2027-01-06": (False, False),
    }
    # February 2027 has 28 days: day -2 is the 27th
    assert [d for d in range(1, 29) if month_end.holds(dt.date(2027, 2, d))] == [1, 2, 27, 28]
    assert [d for d in range(1, 31) if month_end.holds(dt.date(2026, 6, d))] == [1, 2, 29, 30]
    assert [cutover.holds(dt.date(2027, 3, d)) for d in (4, 5, 8, 9)] == [False, True, True, False]
    assert (peak.describe(), month_end.describe(), cutover.describe()) == (
        "every year 11-20 to 01-05",
        "every month, day -2 to day 2",
        "2027-03-05 to 2027-03-08",
    )


POLICY = """\
release:
  classes:
    schema-migration:
      production:
        approvals: 2
{extra}"""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("        aprovals: 3\n", "release.classes.schema-migration.production.aprovals: unknown key (allowed: approvals, "
         "backup, change_ticket, labels, max_changed_resources, progressive_rollout, rollback_plan)"),
        ("      prod: {approvals: 1}\n", "release.classes.schema-migration.prod: unknown key (allowed: development, "
         "production, qa, sandbox, staging)"),
        ("    schema-migrations: {}\n", "release.classes.schema-migrations: unknown key (allowed: config-change, "
         "data-destructive, image-only, infrastructure-change, integration-change, schema-migration)"),
        ("  freeze: []\n", "release.freeze: unknown key (allowed: backup_labels, classes, defaults, freezes)"),
        ("        change_ticket: 'CHG-('\n", "release.classes.schema-migration.production.change_ticket: not a regular "
         "expression: missing ), unterminated subpattern at position 4"),
    ],
)  # fmt: skip
def test_unknown_keys_classes_tiers_and_bad_patterns_name_the_line(tmp_path: Path, extra: str, message: str) -> None:
    path = tmp_path / ".govscan.yaml"
    path.write_text(POLICY.format(extra=extra))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}:6: {message}"


FREEZE = """\
release:
  freezes:
    - name: peak
{extra}"""
CLASSES = "      classes: [config-change]\n"


@pytest.mark.parametrize(
    ("extra", "line", "message"),
    [
        (CLASSES + "      yearly: {start: '11-20', end: '01-05'}\n      monthly: {start: -2, end: 2}\n", 3,
         "release.freezes.0: give exactly one of dates, yearly or monthly (found 2)"),
        (CLASSES, 3, "release.freezes.0: give exactly one of dates, yearly or monthly (found 0)"),
        (CLASSES + "      yearly: {start: '13-01', end: '01-05'}\n", 5,
         "release.freezes.0.yearly.start: '13-01' is not a valid month and day (MM-DD)"),
        (CLASSES + "      dates: {start: 2027-03-09, end: 2027-03-05}\n", 3, "release.freezes.0.dates: end is before start"),
        (CLASSES + "      monthly: {start: 0, end: 2}\n", 5,
         "release.freezes.0.monthly.start: 0 is not a valid day of the month (1 to 31, or -1 to -28 from the end)"),
        ("      yearly: {start: '11-20', end: '01-05'}\n      classes: [config-change, hotfix]\n", 5,
         "release.freezes.0.classes.1: 'hotfix' is not one of ['data-destructive', 'schema-migration', "
         "'infrastructure-change', 'integration-change', 'config-change', 'image-only']"),
    ],
)  # fmt: skip
def test_freeze_windows_are_validated(tmp_path: Path, extra: str, line: int, message: str) -> None:
    path = tmp_path / ".govscan.yaml"
    path.write_text(FREEZE.format(extra=extra))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}:{line}: {message}"


def test_a_requirement_set_in_a_parent_profile_points_at_the_parent(tmp_path: Path) -> None:
    (tmp_path / "platform.yaml").write_text("release:\n  defaults:\n    production: {approvals: 1}\n")
    (tmp_path / ".govscan.yaml").write_text(
        "extends: [platform.yaml]\nrelease:\n  defaults:\n    staging: {approvals: 1}\n"
    )
    policy = load_config(tmp_path / ".govscan.yaml").release
    production = policy.requirements_for(ReleaseClass.CONFIG_CHANGE, Tier.PRODUCTION).declared["approvals"]
    staging = policy.requirements_for(ReleaseClass.CONFIG_CHANGE, Tier.STAGING).declared["approvals"]
    assert (Path(production.file).name, production.line) == ("platform.yaml", 3)
    assert (Path(staging.file).name, staging.line) == (".govscan.yaml", 4)
