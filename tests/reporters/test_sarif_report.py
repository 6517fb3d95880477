from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from govscan.reporters import sarif
from govscan.scanner.model import GateDecision, Location, ScanReport, Waiver

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "shared/schemas/sarif-schema-2.1.0.json"


def _run(report: ScanReport) -> dict[str, Any]:
    """The one run of a report without targets (tests of runs per target are in test_sarif_limits)."""
    data = json.loads(sarif.render(replace(report, targets=())))
    assert len(data["runs"]) == 1
    run: dict[str, Any] = data["runs"][0]
    return run


def _result(run: dict[str, Any], rule_id: str, uid: str, line: int | None = None) -> dict[str, Any]:
    hits = [
        r
        for r in run["results"]
        if r["ruleId"] == rule_id
        and r["properties"]["resourceUid"] == uid
        and (line is None or r["locations"][0]["physicalLocation"]["region"]["startLine"] == line)
    ]
    assert len(hits) == 1, hits
    hit: dict[str, Any] = hits[0]
    return hit


def test_validates_against_the_sarif_schema(report: ScanReport) -> None:
    if not SCHEMA_PATH.is_file():
        pytest.skip(f"SARIF schema not found at {SCHEMA_PATH}")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(json.loads(sarif.render(report))), key=str)
    assert errors == []


def test_driver_and_run_metadata(report: ScanReport) -> None:
    data = json.loads(sarif.render(replace(report, targets=())))
    assert data["version"] == "2.1.0"
    run = data["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "govscan"
    assert driver["version"] == "0.1.0"
    assert driver["semanticVersion"] == "0.1.0"
    assert driver["informationUri"] == "https://github.com/govscan/govscan"
    assert run["automationDetails"] == {"id": "govscan/"}
    assert "originalUriBaseIds" not in run


def test_rules_table_covers_report_rules_and_orphan_rule_ids(report: ScanReport) -> None:
    run = _run(report)
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert ids == [
        "backup.velero-retention",
        "govscan.input-error",
        "ha.pdb",
        "ha.replicas",
        "image.latest-tag",
        "rbac.cluster-admin-binding",
        "secrets.plaintext-env",
    ]
    by_id = {r["id"]: r for r in rules}
    assert {rule_id: r["properties"]["security-severity"] for rule_id, r in by_id.items()} == {
        "backup.velero-retention": "3.0",
        "govscan.input-error": "7.0",
        "ha.pdb": "5.0",
        "ha.replicas": "7.0",
        "image.latest-tag": "5.0",
        "rbac.cluster-admin-binding": "9.0",
        "secrets.plaintext-env": "9.0",
    }
    replicas = by_id["ha.replicas"]
    assert replicas["name"] == "HaReplicas"
    assert replicas["shortDescription"] == {"text": "Production workloads run at least two replicas"}
    assert replicas["fullDescription"] == {"text": "A single replica is a single point of failure."}
    assert replicas["help"]["text"].startswith("Remediation: Set spec.replicas to 2 or more.")
    assert "**Remediation:** Set spec.replicas to 2 or more." in replicas["help"]["markdown"]
    assert replicas["defaultConfiguration"] == {"level": "error"}
    assert replicas["properties"]["tags"] == ["ha", "security"]
    assert replicas["properties"]["precision"] == "high"
    orphan = by_id["govscan.input-error"]
    assert orphan["shortDescription"] == {"text": "Input could not be read"}
    assert orphan["properties"]["tags"] == ["govscan", "security"]
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]


def test_results_levels_lines_and_locations(report: ScanReport) -> None:
    run = _run(report)
    assert len(run["results"]) == 9
    web = "apps/Deployment/shop/web"
    replicas = _result(run, "ha.replicas", web)
    assert replicas["level"] == "error"
    location = replicas["locations"][0]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "deploy/prod/web.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 12, "startColumn": 3},
    }
    assert location["logicalLocations"] == [{"name": "web", "fullyQualifiedName": web, "kind": "resource"}]
    assert replicas["properties"] == {
        "tier": "production",
        "enforcement": "block",
        "domain": "ha",
        "severity": "high",
        "resourceUid": web,
    }
    assert _result(run, "image.latest-tag", web)["level"] == "warning"
    assert _result(run, "backup.velero-retention", "velero.io/Schedule/velero/nightly")["level"] == "note"

    stdin = _result(run, "ha.replicas", "apps/Deployment/default/api")
    assert stdin["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "stdin",
        "uriBaseId": "%SRCROOT%",
    }
    assert stdin["locations"][0]["physicalLocation"]["region"]["startLine"] == 7

    helm = _result(run, "image.latest-tag", "apps/Deployment/shop/shop-worker", line=40)
    assert helm["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "charts/shop/templates/deployment.yaml"
    )

    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in run["results"]]
    assert lines == [7, 31, 40, 3, 8, 27, 12, 20, 24]


def test_uris_are_repo_relative(report: ScanReport) -> None:
    run = _run(report)
    for result in run["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith(("./", "/"))
        assert "\\" not in uri and " " not in uri
        assert urlsplit(uri).scheme == ""


def test_path_normalisation(report_factory: Any, finding_factory: Any, resources: Any) -> None:
    web = resources["web"]
    findings = (
        finding_factory("ha.replicas", web, path="./deploy/prod/web.yaml", line=0, column=0, pointer="/a"),
        finding_factory("ha.replicas", web, path="deploy\\win\\my app.yaml", pointer="/b"),
        finding_factory("ha.replicas", web, path="/abs/deploy/web.yaml", pointer="/c"),
        finding_factory("ha.replicas", web, path="C:\\work\\web.yaml", pointer="/d"),
    )
    run = _run(report_factory(findings=findings))
    by_fingerprint = {r["partialFingerprints"]["govscan/v1"]: r["locations"][0] for r in run["results"]}
    by_pointer = {f.pointer: by_fingerprint[f.fingerprint]["physicalLocation"] for f in findings}
    assert by_pointer["/a"] == {
        "artifactLocation": {"uri": "deploy/prod/web.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 1, "startColumn": 1},
    }
    assert by_pointer["/b"]["artifactLocation"] == {
        "uri": "deploy/win/my%20app.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert by_pointer["/c"]["artifactLocation"] == {"uri": "file:///abs/deploy/web.yaml"}
    assert by_pointer["/d"]["artifactLocation"] == {"uri": "file:///C:/work/web.yaml"}


def test_waived_results_carry_suppressions(report: ScanReport) -> None:
    run = _run(report)
    annotation = _result(run, "rbac.cluster-admin-binding", "rbac.authorization.k8s.io/ClusterRoleBinding//ci-admin")
    assert annotation["suppressions"] == [
        {
            "kind": "inSource",
            "status": "accepted",
            "justification": "CI bootstrap, removed after migration",
            "properties": {"source": "annotation", "owner": "platform", "expires": "2026-03-31"},
        }
    ]
    config = _result(run, "secrets.plaintext-env", "apps/Deployment/shop/web")
    assert config["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "dummy value in a demo namespace",
            "properties": {"source": "config", "owner": "shop-team", "expires": "2026-06-30"},
        }
    ]
    suppressed = [r["ruleId"] for r in run["results"] if "suppressions" in r]
    assert sorted(suppressed) == ["rbac.cluster-admin-binding", "secrets.plaintext-env"]


def test_rego_exception_waiver_is_external(report_factory: Any, finding_factory: Any, resources: Any) -> None:
    waiver = Waiver("ha.replicas", "exception in policy", "rego-exception")
    run = _run(report_factory(findings=(finding_factory("ha.replicas", resources["web"], waiver=waiver),)))
    assert run["results"][0]["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "exception in policy",
            "properties": {"source": "rego-exception"},
        }
    ]


def test_output_is_deterministic_and_fingerprints_ignore_lines(report: ScanReport) -> None:
    first = sarif.render(report)
    assert first == sarif.render(report)
    assert first.endswith("}\n")

    moved = replace(
        report,
        findings=tuple(replace(f, location=Location(f.location.path, 500, 2)) for f in report.findings),
    )
    before = {r["partialFingerprints"]["govscan/v1"]: r["partialFingerprints"] for r in _run(report)["results"]}
    after = {r["partialFingerprints"]["govscan/v1"]: r["partialFingerprints"] for r in _run(moved)["results"]}
    assert before == after
    for fingerprint, fingerprints in before.items():
        assert fingerprints == {"primaryLocationLineHash": f"{fingerprint}:1", "govscan/v1": fingerprint}


def test_invocation_notifications(report: ScanReport) -> None:
    invocation = _run(report)["invocations"]
    assert len(invocation) == 1
    assert invocation[0]["executionSuccessful"] is True
    notes = invocation[0]["toolExecutionNotifications"]
    assert [(n["level"], n["message"]["text"]) for n in notes] == [
        (
            "error",
            "govscan.input-error failed to evaluate file:deploy/prod/broken.yaml: "
            "could not parse YAML: mapping values are not allowed here",
        ),
        (
            "warning",
            "ha.pdb could not evaluate apps/Deployment/shop/web: "
            "cluster returned 403 listing policy/v1 PodDisruptionBudgets",
        ),
        (
            "error",
            "secrets.plaintext-env failed to evaluate apps/Deployment/default/api: rule crashed: KeyError 'env'",
        ),
        ("note", "skipped document: document has no kind: not a Kubernetes object"),
    ]
    assert notes[0]["associatedRule"] == {"id": "govscan.input-error", "index": 1}
    assert notes[1]["associatedRule"] == {"id": "ha.pdb", "index": 2}
    assert notes[3]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "deploy/prod/web.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 45},
    }


def test_execution_unsuccessful_when_govscan_could_not_run(report_factory: Any) -> None:
    gate = GateDecision(verdict="error", exit_code=2, reason="unreadable config", counts={})
    assert _run(report_factory(gate=gate))["invocations"][0]["executionSuccessful"] is False


def test_non_semver_version_omits_semantic_version(report_factory: Any) -> None:
    driver = _run(report_factory(tool_version="0.2.0.dev3"))["tool"]["driver"]
    assert driver["version"] == "0.2.0.dev3"
    assert "semanticVersion" not in driver


def test_no_resource_body_leaks(report: ScanReport) -> None:
    text = sarif.render(report)
    assert "body" not in text
