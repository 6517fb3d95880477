"""Config validation, tier resolution order, waivers and the gate, through the engine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govscan.scanner.config import Config, find_config, load_config
from govscan.scanner.engine import ScanRequest, scan
from govscan.scanner.errors import ConfigError
from govscan.scanner.model import Enforcement, Status, Tier

TODAY = dt.date(2026, 11, 23)


def deployment(
    name: str, namespace: str | None = "erp", replicas: int = 1, labels: str = "", annotations: str = ""
) -> str:
    ns = f"  namespace: {namespace}\n" if namespace else ""
    meta_labels = f"  labels:\n{labels}" if labels else ""
    meta_annotations = f"  annotations:\n{annotations}" if annotations else ""
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        f"  name: {name}\n{ns}{meta_labels}{meta_annotations}"
        f"spec:\n  replicas: {replicas}\n  selector:\n    matchLabels: {{app: {name}}}\n"
        f"  template:\n    metadata:\n      labels: {{app: {name}}}\n"
        f"    spec:\n      containers:\n        - name: app\n          image: odoo:17.0\n"
    )


def run(tmp_path: Path, files: dict[str, str], config: Config | None = None, tier: Tier | None = None):  # type: ignore[no-untyped-def]
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    request = ScanRequest(
        targets=(".",), config=config or Config(), tier=tier, rule_patterns=("ha.replicas",), today=TODAY, cwd=tmp_path
    )
    import os

    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        return scan(request)
    finally:
        os.chdir(old)


def write_config(tmp_path: Path, text: str) -> Config:
    path = tmp_path / ".govscan.yaml"
    path.write_text(text)
    return load_config(path)


# ---- config -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("default_tier: prod\n", "default_tier: 'prod' is not one of"),
        (
            "tiers:\n  namespace: {}\n",
            "tiers.namespace: unknown key (allowed: addresses, aliases, namespaces, paths, tags)",
        ),
        (
            "rules:\n  ha.replicas:\n    enforcement: {production: never}\n",
            "rules.ha.replicas.enforcement.production: 'never' is not one of",
        ),
        (
            "waivers:\n  - rule: ha.replicas\n    owner: me\n    reason: because\n",
            "'resource' is a required property",
        ),
        ("waiver_policy:\n  max_days: -1\n", "waiver_policy.max_days"),
        ("nonsense: 1\n", "nonsense: unknown key"),
    ],
)
def test_invalid_config_is_a_one_line_error_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        write_config(tmp_path, text)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_rule_and_bad_option_fail_closed(tmp_path: Path) -> None:
    config = write_config(tmp_path, "rules:\n  ha.replica:\n    enforcement: warn\n")
    with pytest.raises(ConfigError, match="rules.ha.replica: no such rule"):
        run(tmp_path, {"a.yaml": deployment("a")}, config)
    config = write_config(tmp_path, "rules:\n  ha.replicas:\n    options: {min_replica: 3}\n")
    with pytest.raises(ConfigError, match="options.min_replica: unknown option"):
        run(tmp_path, {"a.yaml": deployment("a")}, config)
    config = write_config(tmp_path, "rules:\n  ha.replicas:\n    options: {min_replicas: 3}\n")
    with pytest.raises(ConfigError, match="expected a mapping, got an integer"):
        run(tmp_path, {"a.yaml": deployment("a")}, config)


def test_extends_merges_parents_and_detects_loops(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(
        "default_tier: staging\nrules:\n  ha.replicas:\n    enforcement: {staging: block}\n"
    )
    config = write_config(
        tmp_path, "extends: [base.yaml]\nrules:\n  ha.replicas:\n    options: {min_replicas: {staging: 3}}\n"
    )
    assert config.default_tier is Tier.STAGING
    report = run(tmp_path, {"a.yaml": deployment("a", replicas=2)}, config)
    assert [(f.rule_id, f.enforcement) for f in report.findings] == [("ha.replicas", Enforcement.BLOCK)]
    (tmp_path / "loop.yaml").write_text("extends: [.govscan.yaml]\n")
    with pytest.raises(ConfigError, match="loops back"):
        write_config(tmp_path, "extends: [loop.yaml]\n")


def test_config_is_found_by_walking_up(tmp_path: Path) -> None:
    (tmp_path / ".govscan.yaml").write_text("default_tier: qa\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == tmp_path / ".govscan.yaml"


def test_glob_enforcement_then_exact_id_wins(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, "rules:\n  ha.replicas:\n    enforcement: {production: info}\n  'ha.*':\n    enforcement: warn\n"
    )
    report = run(tmp_path, {"a.yaml": deployment("a")}, config)
    assert [f.enforcement for f in report.findings] == [Enforcement.INFO]


# ---- tiers --------------------------------------------------------------------------------------


def tiers_of(report) -> dict[str, Tier]:  # type: ignore[no-untyped-def]
    return {e.resource_uid.split("/")[-1]: e.tier for e in report.evaluations if e.rule_id == "ha.replicas"}


def test_tier_resolution_order(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        "default_tier: sandbox\n"
        "rules:\n  ha.replicas: {enforcement: info}\n"
        "tiers:\n  namespaces: {'*-prod': production, 'qa-*': qa}\n  paths: {'overlays/staging/**': staging}\n",
    )
    files = {
        "ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {govscan.io/tier: development}\n",
        "own-label.yaml": deployment("own", "erp-prod", labels="    govscan.io/tier: qa\n"),
        "ns-label.yaml": deployment("nslabel", "shop"),
        "ns-pattern.yaml": deployment("nspattern", "erp-prod"),
        "ns-pattern2.yaml": deployment("nspattern2", "qa-1"),
        "overlays/staging/deploy.yaml": deployment("bypath", "other"),
        "default.yaml": deployment("fallback", "other"),
    }
    report = run(tmp_path, files, config)
    assert tiers_of(report) == {
        "own": Tier.QA,
        "nslabel": Tier.DEVELOPMENT,
        "nspattern": Tier.PRODUCTION,
        "nspattern2": Tier.QA,
        "bypath": Tier.STAGING,
        "fallback": Tier.SANDBOX,
    }
    flagged = run(tmp_path, {}, config, tier=Tier.STAGING)
    assert set(tiers_of(flagged).values()) == {Tier.STAGING}


def test_built_in_default_tier_is_production(tmp_path: Path) -> None:
    report = run(tmp_path, {"a.yaml": deployment("a")})
    assert tiers_of(report) == {"a": Tier.PRODUCTION}


# ---- waivers ------------------------------------------------------------------------------------


def test_annotation_waiver_applies_outside_production_and_is_kept_marked(tmp_path: Path) -> None:
    waived = deployment("a", annotations='    govscan.io/waive.ha.replicas: "single node lab; expires=2026-12-31"\n')
    report = run(tmp_path, {"a.yaml": waived}, tier=Tier.STAGING)
    [finding] = report.findings
    assert (
        finding.waiver is not None
        and finding.waiver.reason == "single node lab"
        and finding.waiver.source == "annotation"
    )
    assert [e.status for e in report.evaluations] == [Status.WAIVED]
    assert report.gate.exit_code == 0


def test_annotation_waivers_are_refused_in_production_by_default(tmp_path: Path) -> None:
    waived = deployment("a", annotations='    govscan.io/waive.ha.replicas: "we are special; expires=2026-12-31"\n')
    report = run(tmp_path, {"a.yaml": waived}, tier=Tier.PRODUCTION)
    by_rule = {f.rule_id: f for f in report.findings}
    assert by_rule["ha.replicas"].waiver is None
    assert "not allowed in production" in by_rule["govscan.waiver-invalid"].message
    assert by_rule["govscan.waiver-invalid"].location.line == 7
    assert report.gate.exit_code == 1


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("old; expires=2026-01-01", "expired on 2026-01-01"),
        ("no expiry at all", "needs"),
        ("; expires=2026-12-31", "needs a reason"),
        ("reason; expires=31/12/2026", "is not a date"),
    ],
)
def test_bad_annotation_waivers_do_not_apply_and_are_reported(tmp_path: Path, value: str, problem: str) -> None:
    waived = deployment("a", annotations=f'    govscan.io/waive.ha.replicas: "{value}"\n')
    report = run(tmp_path, {"a.yaml": waived}, tier=Tier.STAGING)
    by_rule = {f.rule_id: f for f in report.findings}
    assert by_rule["ha.replicas"].waiver is None
    assert problem in by_rule["govscan.waiver-invalid"].message


def test_config_waiver_with_owner_and_expiry(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        "waivers:\n"
        "  - {rule: ha.replicas, resource: 'apps/Deployment/erp/a', owner: team-erp, reason: migrating to HPA, expires: 2026-12-31}\n"
        "  - {rule: ha.replicas, resource: 'Deployment/b', owner: team-erp, reason: gone soon, expires: 2026-01-31}\n",
    )
    report = run(tmp_path, {"a.yaml": deployment("a"), "b.yaml": deployment("b")}, config)
    waived = {f.resource.name: f.waiver for f in report.findings if f.rule_id == "ha.replicas"}
    assert waived["a"] is not None and waived["a"].owner == "team-erp" and waived["a"].source == "config"
    assert waived["b"] is None
    problems = [f.message for f in report.findings if f.rule_id == "govscan.waiver-invalid"]
    assert len(problems) == 1 and "expired on 2026-01-31" in problems[0]


def test_max_waiver_days(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        "waiver_policy: {max_days: 30, forbid_annotation_waivers_in: []}\n",
    )
    waived = deployment("a", annotations='    govscan.io/waive.ha.replicas: "later; expires=2027-06-30"\n')
    report = run(tmp_path, {"a.yaml": waived}, config)
    assert any("more than 30 days away" in f.message for f in report.findings)


# ---- gate ---------------------------------------------------------------------------------------


def test_rule_crash_is_a_rule_error_finding_not_a_crash(tmp_path: Path) -> None:
    from govscan.scanner.model import Rule, RuleMeta, Severity, enforcement_table

    def explode(resource, ctx, options):  # type: ignore[no-untyped-def]
        raise KeyError("boom")

    meta = RuleMeta(
        id="test.explode",
        domain="ha",
        title="explodes",
        severity=Severity.LOW,
        enforcement=enforcement_table("block", "block", "block", "block", "block"),
        remediation="none",
        kinds=("Deployment",),
    )
    (tmp_path / "a.yaml").write_text(deployment("a"))
    request = ScanRequest(targets=(str(tmp_path / "a.yaml"),), config=Config(), today=TODAY, cwd=tmp_path)
    report = scan(request, rules=[Rule(meta, explode, "doc", "test")])
    [finding] = report.findings
    line = explode.__code__.co_firstlineno + 1  # the crash site is named; the exception's text (input) is not
    assert finding.rule_id == "govscan.rule-error"
    assert (
        finding.message == f"rule test.explode crashed: KeyError at tests/scanner/test_config_tiers_waivers.py:{line}"
    )
    assert [e.status for e in report.evaluations] == [Status.ERROR]
    assert report.gate.exit_code == 1


def test_configured_workload_kinds_are_checked_like_deployments(tmp_path: Path) -> None:
    worker = (
        "apiVersion: example.com/v1\nkind: Worker\nmetadata:\n  name: queue\n  namespace: erp\n"
        "spec:\n  podTemplate:\n    spec:\n      containers:\n        - name: job\n"
        "          image: odoo:17.0\n          securityContext:\n            privileged: true\n"
    )
    (tmp_path / "worker.yaml").write_text(worker)
    request = ScanRequest(targets=(str(tmp_path / "worker.yaml"),), config=Config(), today=TODAY, cwd=tmp_path)
    assert not [f for f in scan(request).findings if f.rule_id == "pod-security.privileged"]
    config = write_config(tmp_path, "workloads:\n  example.com/Worker: spec.podTemplate.spec\n")
    request = ScanRequest(targets=(str(tmp_path / "worker.yaml"),), config=config, today=TODAY, cwd=tmp_path)
    [finding] = [f for f in scan(request).findings if f.rule_id == "pod-security.privileged"]
    assert finding.location.line == 13
    assert 'container "job"' in finding.message
