"""--format markdown: the verdict, the counts and the blocking findings with file:line, escaped and capped."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from govscan.reporters import markdown
from govscan.scanner.model import (
    ChangedResource,
    ChangeKind,
    GateDecision,
    ReleaseClass,
    ReleaseDecision,
    RequirementCheck,
    ScanReport,
    Status,
    Tier,
)


def test_blocked_report(report: ScanReport) -> None:
    text = markdown.render(report)
    lines = text.splitlines()
    assert lines[0] == "## ❌ govscan: blocked"
    assert lines[2] == "5 blocking findings (exit code 1)"
    assert lines[6] == "| 5 | 5 | 1 | 1 | 2 | 3 | 6 | 5 |"
    table = lines[lines.index("### Blocking findings") + 4 :]
    assert table[:5] == [
        "| ha.replicas | stdin:7 | Deployment/api (default) | Deployment api runs 1 replica; production needs at least 2 |",
        "| govscan.input-error | deploy/prod/broken.yaml:3 | File/deploy/prod/broken.yaml "
        "| could not parse YAML: mapping values are not allowed here |",
        "| ha.replicas | deploy/prod/web.yaml:12 | Deployment/web (shop) | Deployment web runs 1 replica; production needs at least 2 |",
        "| image.latest-tag | charts/shop/templates/deployment.yaml:31 | Deployment/shop-worker (shop) "
        "| container worker uses shop/worker:latest |",
        "| image.latest-tag | charts/shop/templates/deployment.yaml:40 | Deployment/shop-worker (shop) "
        "| container sidecar uses envoy:latest |",
    ]
    assert (
        lines[-1]
        == "Fix them, or waive with an owner, a reason and an expiry. `govscan rules show ha.replicas` explains."
    )


def test_text_from_manifests_cannot_inject_markup(report_factory: Any, finding_factory: Any, resources: Any) -> None:
    hostile = finding_factory(
        "ha.replicas",
        resources["web"],
        message="[click](https://evil.example) <img src=x onerror=alert(1)> | cell\nbreak *bold* `code`",
    )
    text = markdown.render(report_factory(findings=(hostile,)))
    row = text.splitlines()[-3]
    assert row.endswith(
        "| \\[click\\](https://evil.example) &lt;img src=x onerror=alert(1)&gt; \\| cell break \\*bold\\* \\`code\\` |"
    )


def test_the_table_is_capped(report_factory: Any, finding_factory: Any, resources: Any) -> None:
    findings = tuple(
        finding_factory("ha.replicas", resources["web"], message=f"m{i}", line=i + 1, fp=f"fp{i:03d}")
        for i in range(60)
    )
    text = markdown.render(report_factory(findings=findings))
    assert text.count("| ha.replicas | deploy/prod/web.yaml:") == markdown.TABLE_ROWS == 50
    assert "…and 10 more blocking finding(s): see the SARIF or JSON report." in text


def test_passed_report(report_factory: Any) -> None:
    gate = GateDecision("passed", 0, "no blocking findings", {})
    text = markdown.render(report_factory(findings=(), gate=gate))
    assert text.startswith("## ✅ govscan: passed\n\nno blocking findings (exit code 0)\n")
    assert "Blocking findings" not in text


def test_a_gate_report_shows_the_release_decision_before_the_counts(report: ScanReport) -> None:
    first = report.findings[0]
    decision = ReleaseDecision(
        verdict="block",
        release_class=ReleaseClass.SCHEMA_MIGRATION,
        target=Tier.PRODUCTION,
        target_from="--target",
        base="origin/main",
        head="HEAD",
        changes=(
            ChangedResource(
                first.resource,
                ChangeKind.ADDED,
                (ReleaseClass.SCHEMA_MIGRATION, ReleaseClass.CONFIG_CHANGE),
                ('schema-migration: container "migrate" runs alembic upgrade', "config-change: adds Job x", "c", "d"),
            ),
        ),
        requirements=(
            RequirementCheck("release.approvals", Status.PASS, "2 approvals"),
            RequirementCheck("release.backup-evidence", Status.FAIL, "needs a backup"),
            RequirementCheck("release.freeze-window", Status.WAIVED, "peak_season"),
        ),
        approvals=2,
        labels=("dba-approved",),
        evidence_sources=("GitHub pull request #42 labels", "--approvals"),
        freezes=("peak_season",),
        emergency_reason="payments <down>",
        notes=("base origin/main: k8s/x.yaml:3: broken",),
    )
    lines = markdown.render(replace(report, release=decision)).splitlines()
    start = lines.index("### Release decision: block")
    assert lines[: start + 1] == [
        "## ❌ govscan: blocked",
        "",
        "5 blocking findings (exit code 1)",
        "",
        "### Release decision: block",
    ]
    assert lines[start + 1 : start + 24] == [
        "",
        "| | |",
        "|---|---|",
        "| class | schema-migration |",
        "| target | production (--target) |",
        "| change | origin/main → HEAD: 1 resource (1 added) |",
        "| evidence | 2 approvals; labels: dba-approved; emergency: payments &lt;down&gt; "
        "(from GitHub pull request #42 labels, --approvals) |",
        "| freeze | peak\\_season |",
        "",
        "- ❌ unmet release.backup-evidence: needs a backup",
        "- ➖ waived release.freeze-window: peak\\_season",
        "- ✅ met release.approvals: 2 approvals",
        "",
        "> base origin/main: k8s/x.yaml:3: broken",
        "",
        "<details><summary>Changed resources (1)</summary>",
        "",
        "| change | resource | file | classes | why |",
        "|---|---|---|---|---|",
        "| added | Deployment shop/web | deploy/prod/web.yaml:1 | schema-migration, config-change | schema-migration: "
        'container "migrate" runs alembic upgrade; config-change: adds Job x; and 2 more |',
        "",
        "</details>",
        "",
    ]
    assert lines[start + 24] == "| blocking | block | warn | info | waived | not evaluated | resources | files |"
