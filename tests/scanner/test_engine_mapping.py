"""The adapters' pieces that need no tool process: tables, config, selection, staging, naming, redaction."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest

from govscan.scanner import inputs
from govscan.scanner.adapters import mapping
from govscan.scanner.adapters.attribute import _PlanNames, _trivy_name
from govscan.scanner.adapters.locate import body_pointer, redact
from govscan.scanner.adapters.results import CheckResult
from govscan.scanner.adapters.staging import stage
from govscan.scanner.config import Config, build_config
from govscan.scanner.engine import Engine, ScanRequest
from govscan.scanner.errors import ConfigError, UsageError
from govscan.scanner.model import Enforcement, Severity, Status, Tier
from govscan.scanner.registry import builtin_rules

ROOT = Path(__file__).resolve().parents[2]
ENGINES = ROOT / "fixtures" / "engines"


def test_docs_engines_md_holds_the_current_tables() -> None:
    text = (ROOT / "docs" / "engines.md").read_text()
    match = re.search(r"<!-- generated: mapping tables -->\n(.*?)<!-- end generated -->", text, re.S)
    assert match, "docs/engines.md lost its generated block"
    assert match.group(1) == mapping.markdown_tables(), "regenerate with mapping.markdown_tables()"


def test_covered_rules_exist_and_their_domains_agree() -> None:
    builtin = {r.id: r.meta for r in builtin_rules()}
    for check_id, rules in mapping.COVERS.items():
        for rule_id in rules:
            assert rule_id in builtin, f"{check_id} covers unknown rule {rule_id}"
        by_id = mapping.domain_by_id(check_id)
        if by_id is not None:  # Kubernetes checks: the id table and the covered rule say the same domain
            assert by_id == builtin[rules[0]].domain, check_id


@pytest.mark.parametrize(
    ("check_id", "title", "domain"),
    [
        ("CKV_K8S_8", "Liveness Probe Should be Configured", "ha"),
        ("CKV_K8S_11", "CPU limits should be set", "quotas"),
        ("CKV_K8S_21", "The default namespace should not be used", "misconfiguration"),
        ("CKV_K8S_35", "Prefer using secrets as files over secrets as environment variables", "secrets"),
        ("AVD-KSV-0017", "Privileged", "pod-security"),
        ("AVD-KSV-0041", "Manage secrets", "rbac"),
        ("AVD-KCV-0001", "Ensure that the --anonymous-auth argument is set to false", "misconfiguration"),
        ("CKV_AWS_17", "Ensure all data stored in RDS is not publicly accessible", "network"),
        ("CKV_AWS_19", "Ensure all data stored in the S3 bucket is securely encrypted at rest", "encryption"),
        ("AVD-AWS-0090", "S3 Data should be versioned", "backup"),
        ("CKV_AWS_161", "Ensure RDS database has IAM authentication enabled", "rbac"),
        ("AVD-AWS-0133", "Instance does not have performance insights enabled.", "observability"),
        ("CKV_AWS_226", "Ensure DB instance gets all minor upgrades automatically", "misconfiguration"),
    ],
)
def test_domain_mapping(check_id: str, title: str, domain: str) -> None:
    assert mapping.domain_of(check_id, title) == domain


def test_severity_and_default_enforcement() -> None:
    builtin = {r.id: r.meta.severity for r in builtin_rules()}
    assert mapping.severity_of("HIGH", "AVD-KSV-0014", builtin) is Severity.HIGH
    assert mapping.severity_of(None, "CKV_K8S_16", builtin) is Severity.CRITICAL  # pod-security.privileged's
    assert mapping.severity_of(None, "CKV_K8S_11", builtin) is Severity.MEDIUM  # unrated, covers nothing
    meta = mapping.tool_rule("trivy", "AVD-KSV-0014", "Root file system is not read-only", Severity.HIGH, "Fix it.")
    assert (meta.id, meta.domain) == ("trivy.AVD-KSV-0014", "pod-security")
    assert [meta.enforcement[t].label for t in Tier] == ["block", "warn", "warn", "info", "info"]


def test_config_overrides_tool_checks_and_refuses_options_for_them() -> None:
    config = build_config(
        {"rules": {"checkov.CKV_K8S_*": {"enforcement": {"production": "block"}}, "trivy.*": {"enabled": False}}},
        "team.govscan.yaml",
    )
    Engine(ScanRequest(targets=(".",), config=config))  # validates: the tool namespaces are known
    checkov = mapping.tool_rule("checkov", "CKV_K8S_11", "CPU limits should be set", Severity.MEDIUM, "Fix it.")
    trivy = mapping.tool_rule("trivy", "AVD-KSV-0011", "CPU not limited", Severity.LOW, "Fix it.")
    assert config.enforcement_for(checkov, Tier.PRODUCTION) is Enforcement.BLOCK
    assert config.enforcement_for(checkov, Tier.STAGING) is Enforcement.WARN
    assert config.enforcement_for(trivy, Tier.PRODUCTION) is Enforcement.OFF
    with pytest.raises(
        ConfigError, match=r"rules\.checkov\.CKV_K8S_8\.options: checkov and trivy checks take no options"
    ):
        Engine(
            ScanRequest(
                targets=(".",), config=build_config({"rules": {"checkov.CKV_K8S_8": {"options": {"a": 1}}}}, "x")
            )
        )
    with pytest.raises(ConfigError, match=r"rules\.kubescape\.C-0017: no such rule"):
        Engine(
            ScanRequest(targets=(".",), config=build_config({"rules": {"kubescape.C-0017": {"enabled": False}}}, "x"))
        )


def test_rule_and_domain_selection_know_tool_checks_only_with_their_engine() -> None:
    with pytest.raises(
        UsageError, match=r"no rule matches 'checkov\.CKV_K8S_8'.*\(checkov and trivy checks need --engine\)"
    ):
        Engine(ScanRequest(targets=(".",), config=Config(), rule_patterns=("checkov.CKV_K8S_8",)))
    engine = Engine(
        ScanRequest(targets=(".",), config=Config(), rule_patterns=("checkov.CKV_K8S_8",), engines=("checkov",))
    )
    assert engine.rules == []  # no built-in rule selected; the checkov check is selected when checkov reports it
    with pytest.raises(UsageError, match="unknown domain 'misconfiguration'"):
        Engine(ScanRequest(targets=(".",), config=Config(), domains=("misconfiguration",)))
    Engine(ScanRequest(targets=(".",), config=Config(), domains=("misconfiguration",), engines=("trivy-config",)))
    with pytest.raises(UsageError, match="--engine: unknown engine 'kubescape'; choose checkov or trivy-config"):
        Engine(ScanRequest(targets=(".",), config=Config(), engines=("kubescape",)))


def test_stdin_is_staged_once_one_file_per_document_with_its_offset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    helm = (ENGINES / "helm" / "erp-worker-template.out").read_text()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(helm.encode())))
    staged = stage([inputs.InputFile(inputs.STDIN_NAME, None)], tmp_path, max_bytes=1 << 20, write=True)
    assert staged.stdin_copy is not None and staged.stdin_copy.read_text() == helm
    chunks = sorted(staged.chunks.values(), key=lambda c: c.name)
    assert [(c.name, c.offset, [r.uid for r in c.resources]) for c in chunks] == [
        ("k8s/0001-0001.yaml", 0, ["core/ServiceAccount/erp-prod/erp-worker"]),
        ("k8s/0001-0002.yaml", 8, ["apps/Deployment/erp-prod/erp-worker"]),
    ]
    second = (staged.scan_dir / "k8s" / "0001-0002.yaml").read_text().splitlines()
    assert second[:2] == ["---", "# Source: erp/templates/worker.yaml"]
    assert helm.splitlines()[8 + 24 - 1] == second[24 - 1]  # a tool's line 24 is the input's line 32
    [worker] = chunks[1].resources
    assert worker.source.template == "erp/templates/worker.yaml"


def test_files_read_only_for_context_are_not_given_to_the_tools(tmp_path: Path) -> None:
    prod = inputs.InputFile("fixtures/engines/k8s/erp-prod.yaml", ENGINES / "k8s" / "erp-prod.yaml", named=True)
    dev = inputs.InputFile("fixtures/engines/k8s/erp-dev.yaml", ENGINES / "k8s" / "erp-dev.yaml", judged=False)
    staged = stage([prod, dev], tmp_path, max_bytes=1 << 20, write=True)
    assert sorted({c.display for c in staged.chunks.values()}) == ["fixtures/engines/k8s/erp-prod.yaml"]
    assert sorted(p.name for p in (staged.scan_dir / "k8s").iterdir()) == ["0001-0001.yaml", "0001-0002.yaml"]


def test_trivy_plan_names_map_to_module_resources_and_count_instances(tmp_path: Path) -> None:
    plan = inputs.InputFile("fixtures/engines/tfplan/erp-plan.json", ENGINES / "tfplan" / "erp-plan.json", named=True)
    staged = stage([plan], tmp_path, max_bytes=1 << 24, write=True)
    [chunk] = staged.chunks.values()
    names = {_trivy_name(r): r.uid for r in chunk.resources}
    assert names["aws_db_instance.erp_36ba00f8ce196a46d7a90c2248f4e8c6"] == "module.database.aws_db_instance.erp"

    def result(check: str, block: int) -> CheckResult:
        return CheckResult(
            "trivy",
            check,
            check,
            chunk.name,
            Status.FAIL,
            resource="aws_rds_cluster_instance.reporting",
            block_line=block,
        )

    both = [result("AVD-AWS-0133", 26), result("AVD-AWS-0133", 41), result("AVD-AWS-0180", 41)]
    resolved = _PlanNames(both, staged)
    assert resolved.resolve(both[2], chunk)[0].uid == "aws_rds_cluster_instance.reporting[1]"  # second block
    assert resolved.resolve(both[0], chunk) == (chunk.resources[2], "")
    alone = [result("AVD-AWS-0180", 41)]
    resource, note = _PlanNames(alone, staged).resolve(alone[0], chunk)
    assert resource.uid == "aws_rds_cluster_instance.reporting[0]"
    assert note == " (trivy names the instances reporting[0], reporting[1] alike and did not say which one)"


def test_checkov_key_paths_become_pointers_and_tool_messages_lose_secret_values(tmp_path: Path) -> None:
    dev = inputs.InputFile("fixtures/engines/k8s/erp-dev.yaml", ENGINES / "k8s" / "erp-dev.yaml", named=True)
    staged = stage([dev], tmp_path, max_bytes=1 << 20, write=False)
    resources = {r.uid: r for r in staged.resources}
    odoo, conf = resources["apps/Deployment/erp-dev/odoo"], resources["core/ConfigMap/erp-dev/odoo-conf"]
    key = "spec/template/spec/containers/[0]/securityContext/readOnlyRootFilesystem"
    assert body_pointer(odoo, key) == "/spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem"
    assert body_pointer(odoo, "spec/template/spec/containers/[3]/image") == "/spec/template/spec/containers"
    assert body_pointer(odoo, "resource_type") is None
    assert (
        redact("PGPASSWORD='Dev-Pg-9f2c1e7a' is stored in a ConfigMap", conf)
        == "PGPASSWORD='***' is stored in a ConfigMap"
    )
    assert redact("PGUSER is odoo", conf) == "PGUSER is odoo"
    plan = inputs.InputFile("p.json", ENGINES / "tfplan" / "erp-plan.json", named=True)
    [db] = [r for r in stage([plan], tmp_path, max_bytes=1 << 24, write=False).resources if r.kind == "aws_db_instance"]
    assert redact("password Zq8#Lm2v!Tx4rWp9 in plain text", db) == "password *** in plain text"
