"""The streaming engine: worker processes, the index of declared needs, slimmed resources, packed positions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govscan.scanner import inputs
from govscan.scanner.config import Config
from govscan.scanner.context import Context
from govscan.scanner.engine import PARALLEL_MIN_FILES, FilePass, ScanRequest, scan
from govscan.scanner.model import (
    TIER,
    PackedPositions,
    Resource,
    Rule,
    RuleMeta,
    ScanReport,
    Severity,
    Status,
    Violation,
    enforcement_table,
)
from govscan.scanner.registry import builtin_rules

TODAY = dt.date(2026, 11, 23)


def _scan(targets: tuple[str, ...], jobs: int, rules: list[Rule] | None = None, cwd: Path | None = None) -> ScanReport:
    request = ScanRequest(targets=targets, config=Config(), today=TODAY, jobs=jobs, cwd=cwd)
    return scan(request, rules)


def test_jobs_give_the_same_report_as_one_process(repo_root: Path) -> None:
    files, _ = inputs.discover([str(repo_root / "fixtures")])
    assert len(files) >= PARALLEL_MIN_FILES  # so that jobs=2 really starts workers
    one = _scan((str(repo_root / "fixtures"),), jobs=1)
    two = _scan((str(repo_root / "fixtures"),), jobs=2)
    assert one.findings == two.findings
    assert one.evaluations == two.evaluations
    assert one.skipped == two.skipped
    assert one.gate == two.gate
    assert len(one.findings) > 500


def test_jobs_on_the_corpus_give_the_same_report(corpus: Path) -> None:
    trees = tuple(str(corpus / "k8s-real" / name) for name in ("bank-of-anthos", "cloudnative-pg-samples", "argo-cd"))
    one = _scan(trees, jobs=1)
    two = _scan(trees, jobs=2)
    assert one.findings and one.findings == two.findings
    assert one.evaluations == two.evaluations


# --- declared needs ----------------------------------------------------------------------------------

MANIFESTS = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: erp}
spec: {selector: {app: web}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: erp}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: odoo:17.0}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: erp}
data: {a: b}
"""


def _rule(rule_id: str, check: Any, needs: tuple[str, ...] = ()) -> Rule:
    meta = RuleMeta(
        id=rule_id,
        domain="ha",
        title="test rule",
        severity=Severity.LOW,
        enforcement=enforcement_table("block", "block", "block", "block", "block"),
        remediation="none",
        kinds=("Deployment",),
        needs=needs,
    )
    return Rule(meta, check, "", "tests")


def _services(resource: Resource, ctx: Context, options: Any) -> Iterator[Violation]:
    if not ctx.of_kind("Service", namespace=resource.namespace):
        yield Violation("no service")


def _tier(resource: Resource, ctx: Context, options: Any) -> Iterator[Violation]:
    yield Violation(f"tier {ctx.tier_of(resource).value}")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (_rule("test.services", _services), "reads Service resources but its RULE.needs does not list 'Service'"),
        (_rule("test.tier", _tier), "reads ctx.tier_of but its RULE.needs does not list '@tier'"),
    ],
)
def test_an_undeclared_read_is_a_rule_error(tmp_path: Path, rule: Rule, message: str) -> None:
    (tmp_path / "app.yaml").write_text(MANIFESTS)
    report = _scan((str(tmp_path),), jobs=1, rules=[rule])
    errors = [f for f in report.findings if f.rule_id == "govscan.rule-error"]
    assert [f.resource.name for f in errors] == ["web"]
    assert message in errors[0].message
    assert [(e.rule_id, e.status) for e in report.evaluations if e.rule_id.startswith("test.")] == [
        (rule.id, Status.ERROR)
    ]


def test_declared_reads_see_resources_from_other_files(tmp_path: Path) -> None:
    service, deployment, _ = MANIFESTS.split("---\n")
    (tmp_path / "a-deployment.yaml").write_text(deployment)
    (tmp_path / "b-service.yaml").write_text(service)  # read after the Deployment
    rules = [_rule("test.services", _services, ("Service",)), _rule("test.tier", _tier, (TIER,))]
    report = _scan((str(tmp_path),), jobs=1, rules=rules, cwd=tmp_path)
    assert [(f.rule_id, f.message, f.location.path) for f in report.findings] == [
        ("test.tier", "tier production", "a-deployment.yaml")
    ]
    assert [(e.rule_id, e.status) for e in report.evaluations] == [
        ("test.services", Status.PASS),
        ("test.tier", Status.FAIL),
    ]


def test_a_file_keeps_only_what_later_rules_need(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(MANIFESTS)
    rule = _rule("test.services", _services, ("Service",))
    file_pass = FilePass([rule], Config(), None, TODAY, inputs.DEFAULT_MAX_FILE_BYTES)
    [file] = inputs.discover([str(tmp_path / "app.yaml")], tmp_path)[0]
    batch = file_pass(file)
    service, deployment, config_map = batch.resources
    assert isinstance(deployment.source.positions, PackedPositions)  # a subject: located later
    assert deployment.source.locate("/spec/template/spec/containers/0/image") == (12, 37)
    assert service.body["spec"] == {"selector": {"app": "web"}}  # in the index, without positions
    assert set(service.source.positions) <= {"", "/metadata"}
    assert config_map.body == {} and config_map.name == "settings"  # nobody needs it: a shell
    assert pickle.loads(pickle.dumps(batch)) == batch


def test_the_builtin_pack_declares_needs_it_can_have() -> None:
    kubernetes_kind = re.compile(r"^[A-Z][A-Za-z0-9]+$")
    cloud_type = re.compile(r"^[a-z][a-z0-9]*_[a-z0-9_]+$")
    for rule in builtin_rules():
        for need in rule.meta.needs:
            assert need in ("@workload", "@tier") or kubernetes_kind.match(need) or cloud_type.match(need), (
                rule.id,
                need,
            )


# --- packed positions ---------------------------------------------------------------------------------


def test_packed_positions_behave_like_the_dict() -> None:
    plain = {"": (1, 1), "/metadata": (2, 1), "/metadata/name": (3, 3), "/spec/x~1y": (5, 7)}
    packed = PackedPositions(plain)
    assert dict(packed) == plain and len(packed) == 4
    assert packed.get("/metadata/name") == (3, 3)
    assert packed.get("/metadata/nam") is None and packed.get("/missing", (0, 0)) == (0, 0)
    assert pickle.loads(pickle.dumps(packed)) == plain
    assert dict(PackedPositions({})) == {} and PackedPositions({}).get("") is None
    odd = {"/a\x00b": (1, 1)}
    assert PackedPositions.of(odd) is odd  # a key holding the separator stays a dict


def test_slimmed_resources_still_carry_waiver_positions(tmp_path: Path) -> None:
    waived = MANIFESTS.replace(
        "metadata: {name: settings, namespace: erp}",
        "metadata:\n  name: settings\n  namespace: erp\n  annotations:\n"
        '    govscan.io/waive.secrets.configmap-literal: "no; expires=2020-01-01"',
    ).replace("data: {a: b}", "data: {DB_PASSWORD: Xk9pLm2qRt7vW}")
    (tmp_path / "app.yaml").write_text(waived)
    request = ScanRequest(
        targets=(str(tmp_path),), config=dataclasses.replace(Config(), annotation_waivers_forbidden=frozenset()),
        today=TODAY, cwd=tmp_path, rule_patterns=("secrets.configmap-literal",),
    )  # fmt: skip
    report = scan(request)
    problems = [f for f in report.findings if f.rule_id == "govscan.waiver-invalid"]
    assert [(f.location.line, f.resource.name) for f in problems] == [(20, "settings")]
