"""Waiver abuse: a waiver without owner, reason or expiry, beyond waiver_policy.max_days, expired,
naming no rule, or self-service (annotation) in a tier that forbids it, is rejected with a
govscan.waiver-invalid finding naming its file and line, and the finding it meant to hide stays."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hardening import HOSTILE, scan_here, tool_findings

from govscan.scanner.config import build_config, load_config
from govscan.scanner.model import Enforcement, Tier

INVALID = "govscan.waiver-invalid"


def replicas_finding(report):  # type: ignore[no-untyped-def]
    [finding] = [f for f in report.findings if f.rule_id == "ha.replicas"]
    return finding


def test_unusable_config_waivers_are_each_reported_at_their_line_and_none_applies(tmp_path: Path) -> None:
    for name in ("waivers.govscan.yaml", "shipping.yaml"):
        shutil.copy(HOSTILE / name, tmp_path / name)
    config = load_config(tmp_path / "waivers.govscan.yaml")
    report = scan_here(tmp_path, "shipping.yaml", config=config, rule_patterns=("ha.replicas",))
    where = "waivers.govscan.yaml"
    what = "for ha.replicas on Deployment/shipping"
    assert tool_findings(report) == [
        (INVALID, where, 5, 1, f"config waiver ({where}:5) {what} ignored: it has no reason"),
        (INVALID, where, 9, 1, f"config waiver ({where}:9) {what} ignored: it has no expiry (expires: YYYY-MM-DD)"),
        (INVALID, where, 13, 1,
         f"config waiver ({where}:13) {what} ignored: expiry 2030-01-01 is more than 90 days away (waiver_policy.max_days)"),
        (INVALID, where, 18, 1, f"config waiver ({where}:18) {what} expired on 2026-01-31"),
        (INVALID, where, 23, 1, f"config waiver ({where}:23) {what} ignored: it has no owner"),
    ]  # fmt: skip
    finding = replicas_finding(report)
    assert finding.waiver is None and finding.enforcement is Enforcement.BLOCK
    assert report.gate.exit_code == 1 and finding.fingerprint in report.gate.blocking


@pytest.mark.parametrize(
    ("reason", "expires", "problem"),
    [
        ("   ", "2026-12-31", "it has no reason"),
        ("ok", "2026-12-31", "it has no reason"),  # two characters are not a reason
        ("tracked in ERP-42", "someday", "its expiry 'someday' is not a date (YYYY-MM-DD)"),
        ("tracked in ERP-42", "2026-02-30", "its expiry '2026-02-30' is not a date (YYYY-MM-DD)"),
    ],
)
def test_config_waiver_fields_are_judged_not_trusted(tmp_path: Path, reason: str, expires: str, problem: str) -> None:
    (tmp_path / "app.yaml").write_text((HOSTILE / "shipping.yaml").read_text())
    config = build_config(
        {"waivers": [{"rule": "ha.replicas", "resource": "*", "owner": "me", "reason": reason, "expires": expires}]},
        "cfg.yaml",
    )
    report = scan_here(tmp_path, "app.yaml", config=config, rule_patterns=("ha.replicas",))
    [(rule, _, _, _, message)] = tool_findings(report)
    assert rule == INVALID and message == f"config waiver (cfg.yaml) for ha.replicas on * ignored: {problem}"
    assert replicas_finding(report).waiver is None and report.gate.exit_code == 1


ANNOTATED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: portal
  namespace: erp
  labels:
    govscan.io/tier: {tier}
  annotations:
    govscan.io/waive.ha.replicas: "{value}"
spec:
  replicas: 1
"""


@pytest.mark.parametrize(
    ("tier", "value", "config", "message"),
    [
        ("production", "we know better; expires=2026-12-31", {},
         "waiver govscan.io/waive.ha.replicas ignored: annotation waivers are not allowed in production; "
         "ask the platform team for a config waiver"),
        ("staging", "single node until further notice", {},
         'waiver govscan.io/waive.ha.replicas ignored: needs "<reason>; expires=YYYY-MM-DD"'),
        ("staging", " ; expires=2026-12-31", {}, "waiver govscan.io/waive.ha.replicas ignored: needs a reason before '; expires='"),
        ("staging", "x; expires=2026-12-31", {}, "waiver govscan.io/waive.ha.replicas ignored: needs a reason before '; expires='"),
        ("staging", "until the HPA lands; expires=9999-12-31", {"waiver_policy": {"max_days": 90}},
         "waiver govscan.io/waive.ha.replicas ignored: expiry 9999-12-31 is more than 90 days away"),
        ("staging", "until the HPA lands; expires=2026-11-22", {}, "waiver govscan.io/waive.ha.replicas expired on 2026-11-22"),
        ("staging", "until the HPA lands; expires=2026-12-31", {"waiver_policy": {"forbid_annotation_waivers_in": ["production", "staging"]}},
         "waiver govscan.io/waive.ha.replicas ignored: annotation waivers are not allowed in staging; "
         "ask the platform team for a config waiver"),
    ],
)  # fmt: skip
def test_annotation_waivers_that_may_not_apply_are_reported_at_the_annotation(
    tmp_path: Path, tier: str, value: str, config: dict[str, object], message: str
) -> None:
    (tmp_path / "app.yaml").write_text(ANNOTATED.format(tier=tier, value=value))
    report = scan_here(tmp_path, "app.yaml", config=build_config(config, "cfg"), rule_patterns=("ha.replicas",))
    assert tool_findings(report) == [(INVALID, "app.yaml", 9, 5, message)]
    finding = replicas_finding(report)
    assert finding.waiver is None
    assert finding.enforcement is (Enforcement.BLOCK if tier == "production" else Enforcement.WARN)


def test_a_valid_annotation_waiver_outside_production_still_applies(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(
        ANNOTATED.format(tier="staging", value="until the HPA lands; expires=2026-12-31")
    )
    report = scan_here(tmp_path, "app.yaml", rule_patterns=("ha.replicas",))
    assert not tool_findings(report)
    waiver = replicas_finding(report).waiver
    assert waiver is not None and (waiver.reason, waiver.expires, waiver.source) == (
        "until the HPA lands",
        "2026-12-31",
        "annotation",
    )


def test_the_hostile_annotation_waiver_fixtures(tmp_path: Path) -> None:
    report = scan_here(
        HOSTILE,
        "annotation-waiver-production.yaml",
        "annotation-waiver-no-expiry.yaml",
        "waiver-unknown-rule.yaml",
        rule_patterns=("ha.replicas",),
    )
    assert [(f[1], f[2], f[4].split(" ignored: ")[-1]) for f in tool_findings(report)] == [
        ("annotation-waiver-no-expiry.yaml", 9, 'needs "<reason>; expires=YYYY-MM-DD"'),
        (
            "annotation-waiver-production.yaml",
            9,
            "annotation waivers are not allowed in production; ask the platform team for a config waiver",
        ),
        (
            "waiver-unknown-rule.yaml",
            9,
            "waiver govscan.io/waive.ha.replica names no rule (see `govscan rules list`); it waives nothing",
        ),
    ]
    assert report.gate.exit_code == 1  # invoices stays blocked in production


def test_tool_findings_cannot_be_waived_away(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: [\n")
    (tmp_path / "app.yaml").write_text(
        ANNOTATED.format(tier="staging", value="x; expires=2026-12-31").replace(
            "    govscan.io/waive.ha.replicas", "    govscan.io/waive.govscan.waiver-invalid: \"hide it; expires=2026-12-31\"\n"
            "    govscan.io/waive.ha.replicas"
        )
    )  # fmt: skip
    config = build_config(
        {"waivers": [{"rule": "govscan.*", "resource": "*", "owner": "me", "reason": "hide everything", "expires": "2026-12-31"}]},
        "cfg",
    )  # fmt: skip
    report = scan_here(tmp_path, ".", config=config, rule_patterns=("ha.replicas",))
    assert [(f.rule_id, f.location.path, f.location.line, f.waiver) for f in report.findings] == [
        ("govscan.waiver-invalid", "app.yaml", 10, None),  # waiver-invalid is never waivable, by annotation or config
        ("ha.replicas", "app.yaml", 12, None),
        ("govscan.input-error", "broken.yaml", 3, None),  # nor are input errors
    ]
    assert report.gate.exit_code == 2


def test_an_annotation_waiver_for_the_namespace_tier_label_cannot_lower_it(tmp_path: Path) -> None:
    """The tier of a production namespace comes from its label, not from a waiver on a workload."""
    (tmp_path / "ns.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: erp\n  labels:\n    govscan.io/tier: production\n"
    )
    (tmp_path / "app.yaml").write_text(
        ANNOTATED.format(tier="production", value="x; expires=2026-12-31").replace("    govscan.io/tier: production\n", "")
        .replace("  labels:\n", "")
    )  # fmt: skip
    report = scan_here(tmp_path, ".", rule_patterns=("ha.replicas",))
    assert replicas_finding(report).tier is Tier.PRODUCTION and replicas_finding(report).waiver is None
    assert [f[0] for f in tool_findings(report)] == [INVALID]
