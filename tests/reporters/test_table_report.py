from __future__ import annotations

from dataclasses import replace
from typing import Any

from govscan.reporters import table
from govscan.scanner.model import GateDecision, ScanReport


def test_plain_text_lists_findings_grouped_by_file(report: ScanReport) -> None:
    text = table.render(report)
    assert "\x1b" not in text
    for rule_id in (
        "ha.replicas",
        "image.latest-tag",
        "rbac.cluster-admin-binding",
        "secrets.plaintext-env",
        "backup.velero-retention",
        "govscan.input-error",
    ):
        assert rule_id in text
    lines = text.splitlines()
    headers = [line for line in lines if line and not line.startswith(" ") and line != "Summary"]
    assert headers[:5] == [
        "stdin",
        "charts/shop/templates/deployment.yaml",
        "deploy/prod/broken.yaml",
        "deploy/prod/rbac.yaml",
        "deploy/prod/web.yaml",
    ]
    assert "  BLOCK ha.replicas  deploy/prod/web.yaml:12  Deployment/web (shop)  Deployment web runs" in text
    assert "  WARN  image.latest-tag  deploy/prod/web.yaml:20  Deployment/web (shop)" in text
    assert "  INFO  backup.velero-retention  deploy/prod/rbac.yaml:27  Schedule/nightly (velero)" in text
    assert "        fix: Set spec.replicas to 2 or more." in lines


def test_waivers_are_marked(report: ScanReport) -> None:
    text = table.render(report, width=200)
    assert (
        "        waived: CI bootstrap, removed after migration (until 2026-03-31, owner platform, via annotation)"
    ) in text.splitlines()
    assert "waived: dummy value in a demo namespace (until 2026-06-30, owner shop-team, via config)" in text


def test_summary_and_next_step(report: ScanReport) -> None:
    lines = table.render(report, width=200).splitlines()
    start = lines.index("Summary")
    assert lines[start:] == [
        "Summary",
        "  6 resources in 5 files; 9 findings: 5 block, 1 warn, 1 info, 2 waived",
        "  not evaluated: 1, errors: 2",
        "    error: govscan.input-error on file:deploy/prod/broken.yaml: "
        "could not parse YAML: mapping values are not allowed here",
        "    not-evaluated: ha.pdb on apps/Deployment/shop/web: "
        "cluster returned 403 listing policy/v1 PodDisruptionBudgets",
        "    error: secrets.plaintext-env on apps/Deployment/default/api: rule crashed: KeyError 'env'",
        "  skipped documents: 1",
        "    deploy/prod/web.yaml:45: document has no kind: not a Kubernetes object",
        "Blocked: 5 blocking findings. Fix them, or waive with an expiry "
        "(see `govscan rules show ha.replicas`). (exit 1)",
    ]


def test_passed_verdict(report_factory: Any) -> None:
    gate = GateDecision(verdict="passed", exit_code=0, reason="no blocking findings", counts={})
    text = table.render(report_factory(findings=(), evaluations=(), skipped=(), gate=gate))
    assert text.splitlines() == [
        "No findings.",
        "Summary",
        "  6 resources in 5 files; 0 findings: 0 block, 0 warn, 0 info, 0 waived",
        "  not evaluated: 0, errors: 0",
        "  gate: no blocking findings",
        "Passed: no blocking findings. (exit 0)",
    ]


def test_width_is_respected_and_no_trailing_blanks(report: ScanReport) -> None:
    text = table.render(report, width=60)
    for line in text.splitlines():
        assert len(line) <= 60
        assert line == line.rstrip()


def test_color_output_has_ansi_and_same_words(report: ScanReport) -> None:
    colored = table.render(report, color=True)
    assert "\x1b[" in colored
    assert "ha.replicas" in colored


def test_deterministic(report: ScanReport) -> None:
    assert table.render(report) == table.render(report)
    assert table.render(report, color=True) == table.render(report, color=True)


def test_markup_in_messages_is_not_interpreted(report_factory: Any, finding_factory: Any, resources: Any) -> None:
    finding = finding_factory("ha.replicas", resources["web"], message="value [bold]x[/bold] in :smile:")
    text = table.render(report_factory(findings=(finding,)))
    assert "value [bold]x[/bold] in :smile:" in text


def test_soft_fail_verdict_still_names_blocking_findings(report_factory: Any) -> None:
    base = report_factory()
    gate = replace(base.gate, verdict="passed", exit_code=0, reason="soft-fail: 5 blocking finding(s) reported")
    lines = table.render(replace(base, gate=gate), width=200).splitlines()
    assert lines[-2:] == [
        "  gate: soft-fail: 5 blocking finding(s) reported",
        "Passed (soft-fail): 5 blocking findings reported, not enforced. "
        "Fix them before enforcement is turned on. (exit 0)",
    ]


def test_error_verdict(report_factory: Any) -> None:
    gate = GateDecision(
        verdict="error",
        exit_code=2,
        reason="1 input(s) could not be read: deploy/prod/broken.yaml",
        counts={},
    )
    lines = table.render(report_factory(gate=gate), width=200).splitlines()
    assert lines[-1] == (
        "Error: govscan could not run as asked: 1 input(s) could not be read: deploy/prod/broken.yaml (exit 2)"
    )
