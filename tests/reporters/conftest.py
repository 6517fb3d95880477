"""A hand-built ScanReport that exercises every branch of the reporters.

Files: deploy/prod/web.yaml, deploy/prod/rbac.yaml, <stdin>, a Helm template, and an unreadable file.
Blocking (rule, resource uid) pairs: (ha.replicas, web), (ha.replicas, api),
(image.latest-tag, worker: two findings, one per container), (govscan.input-error, broken.yaml).
govscan.input-error is left out of RULES on purpose (the engine lists it) to exercise the SARIF
fallback descriptor; like the engine, the unreadable file also has an ERROR evaluation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from govscan.scanner.model import (
    Enforcement,
    Evaluation,
    Finding,
    GateDecision,
    Location,
    Platform,
    ResourceRef,
    RuleInfo,
    ScanReport,
    Severity,
    Skipped,
    Status,
    Tier,
    Waiver,
)

WEB = ResourceRef(
    uid="apps/Deployment/shop/web",
    platform=Platform.K8S,
    kind="Deployment",
    name="web",
    namespace="shop",
    api_version="apps/v1",
    path="deploy/prod/web.yaml",
    line=1,
)
API = ResourceRef(
    uid="apps/Deployment/default/api",
    platform=Platform.K8S,
    kind="Deployment",
    name="api",
    namespace="default",
    api_version="apps/v1",
    path="<stdin>",
    line=1,
)
WORKER = ResourceRef(
    uid="apps/Deployment/shop/shop-worker",
    platform=Platform.K8S,
    kind="Deployment",
    name="shop-worker",
    namespace="shop",
    api_version="apps/v1",
    path="rendered/shop.yaml",
    line=120,
)
CI_ADMIN = ResourceRef(
    uid="rbac.authorization.k8s.io/ClusterRoleBinding//ci-admin",
    platform=Platform.K8S,
    kind="ClusterRoleBinding",
    name="ci-admin",
    namespace=None,
    api_version="rbac.authorization.k8s.io/v1",
    path="deploy/prod/rbac.yaml",
    line=1,
)
SCHEDULE = ResourceRef(
    uid="velero.io/Schedule/velero/nightly",
    platform=Platform.K8S,
    kind="Schedule",
    name="nightly",
    namespace="velero",
    api_version="velero.io/v1",
    path="deploy/prod/rbac.yaml",
    line=20,
)
BROKEN = ResourceRef(  # as the engine makes it for an unreadable file
    uid="file:deploy/prod/broken.yaml",
    platform=Platform.K8S,
    kind="File",
    name="deploy/prod/broken.yaml",
    namespace=None,
    api_version="",
    path="deploy/prod/broken.yaml",
    line=1,
)
HELM_TEMPLATE = "charts/shop/templates/deployment.yaml"

RULES = (
    RuleInfo(
        "ha.replicas",
        "ha",
        "Production workloads run at least two replicas",
        Severity.HIGH,
        "Set spec.replicas to 2 or more.",
        "A single replica is a single point of failure.\n\nPassing: replicas: 3",
    ),
    RuleInfo(
        "ha.pdb",
        "ha",
        "Replicated workloads have a PodDisruptionBudget",
        Severity.MEDIUM,
        "Add a PodDisruptionBudget selecting the pods.",
        "Without a PDB a node drain can evict every replica at once.",
    ),
    RuleInfo(
        "image.latest-tag",
        "image",
        "Images are pinned, not :latest",
        Severity.MEDIUM,
        "Pin the image to a version tag or a digest.",
        "",
    ),
    RuleInfo(
        "rbac.cluster-admin-binding",
        "rbac",
        "No bindings to cluster-admin",
        Severity.CRITICAL,
        "Bind a narrower ClusterRole.",
        "cluster-admin grants everything.",
    ),
    RuleInfo(
        "secrets.plaintext-env",
        "secrets",
        "No secret values in plain environment variables",
        Severity.CRITICAL,
        "Use valueFrom.secretKeyRef.",
        "Plain env values end up in Git and in `kubectl describe`.",
    ),
    RuleInfo(
        "backup.velero-retention",
        "backup",
        "Velero schedules keep backups long enough",
        Severity.LOW,
        "Set spec.template.ttl to at least 720h.",
        "Short retention loses restore points.",
    ),
)


def fingerprint(rule_id: str, uid: str, pointer: str) -> str:
    return hashlib.sha256(f"{rule_id}|{uid}|{pointer}".encode()).hexdigest()[:32]


def make_finding(
    rule_id: str,
    resource: ResourceRef,
    *,
    enforcement: Enforcement = Enforcement.BLOCK,
    severity: Severity = Severity.HIGH,
    message: str = "problem",
    path: str | None = None,
    line: int = 1,
    column: int = 1,
    pointer: str = "",
    waiver: Waiver | None = None,
    domain: str | None = None,
    fp: str | None = None,
    remediation: str = "Fix it.",
    title: str = "",
) -> Finding:
    return Finding(
        rule_id=rule_id,
        domain=domain or rule_id.split(".", 1)[0],
        resource=resource,
        tier=Tier.PRODUCTION,
        enforcement=enforcement,
        severity=severity,
        message=message,
        remediation=remediation,
        location=Location(path or resource.path, line, column),
        pointer=pointer,
        fingerprint=fp or fingerprint(rule_id, resource.uid, pointer),
        title=title,
        waiver=waiver,
    )


FINDINGS = (
    make_finding(
        "ha.replicas",
        WEB,
        message="Deployment web runs 1 replica; production needs at least 2",
        line=12,
        column=3,
        pointer="/spec/replicas",
        remediation="Set spec.replicas to 2 or more.",
    ),
    make_finding(
        "image.latest-tag",
        WEB,
        enforcement=Enforcement.WARN,
        severity=Severity.MEDIUM,
        message="container app uses nginx:latest",
        line=20,
        column=18,
        pointer="/spec/template/spec/containers/0/image",
    ),
    make_finding(
        "secrets.plaintext-env",
        WEB,
        severity=Severity.CRITICAL,
        message="container app sets DB_PASSWORD to a literal value (redacted)",
        line=24,
        column=13,
        pointer="/spec/template/spec/containers/0/env/1/value",
        waiver=Waiver(
            "secrets.plaintext-env",
            "dummy value in a demo namespace",
            "config",
            owner="shop-team",
            expires="2026-06-30",
        ),
    ),
    make_finding(
        "rbac.cluster-admin-binding",
        CI_ADMIN,
        severity=Severity.CRITICAL,
        message="ClusterRoleBinding ci-admin binds cluster-admin to ServiceAccount ci/deployer",
        line=8,
        column=3,
        pointer="/roleRef",
        waiver=Waiver(
            "rbac.cluster-admin-binding",
            "CI bootstrap, removed after migration",
            "annotation",
            owner="platform",
            expires="2026-03-31",
        ),
    ),
    make_finding(
        "backup.velero-retention",
        SCHEDULE,
        enforcement=Enforcement.INFO,
        severity=Severity.LOW,
        message="Schedule nightly keeps backups for 72h; 720h recommended",
        line=27,
        column=10,
        pointer="/spec/template/ttl",
    ),
    make_finding(
        "ha.replicas",
        API,
        message="Deployment api runs 1 replica; production needs at least 2",
        line=7,
        column=3,
        pointer="/spec/replicas",
    ),
    make_finding(
        "image.latest-tag",
        WORKER,
        severity=Severity.MEDIUM,
        message="container worker uses shop/worker:latest",
        path=HELM_TEMPLATE,
        line=31,
        column=18,
        pointer="/spec/template/spec/containers/0/image",
    ),
    make_finding(
        "image.latest-tag",
        WORKER,
        severity=Severity.MEDIUM,
        message="container sidecar uses envoy:latest",
        path=HELM_TEMPLATE,
        line=40,
        column=18,
        pointer="/spec/template/spec/containers/1/image",
    ),
    make_finding(
        "govscan.input-error",
        BROKEN,
        domain="govscan",
        severity=Severity.HIGH,
        message="could not parse YAML: mapping values are not allowed here",
        line=3,
        column=9,
        title="Input could not be read",
        remediation="Fix the YAML syntax.",
    ),
)

EVALUATIONS = (
    Evaluation("ha.replicas", WEB.uid, Status.FAIL, Tier.PRODUCTION),
    Evaluation("ha.replicas", API.uid, Status.FAIL, Tier.PRODUCTION),
    Evaluation("ha.replicas", WORKER.uid, Status.PASS, Tier.PRODUCTION),
    Evaluation("image.latest-tag", WEB.uid, Status.FAIL, Tier.PRODUCTION),
    Evaluation("image.latest-tag", WORKER.uid, Status.FAIL, Tier.PRODUCTION),
    Evaluation("image.latest-tag", API.uid, Status.PASS, Tier.PRODUCTION),
    Evaluation("secrets.plaintext-env", WEB.uid, Status.WAIVED, Tier.PRODUCTION),
    Evaluation("secrets.plaintext-env", API.uid, Status.ERROR, Tier.PRODUCTION, "rule crashed: KeyError 'env'"),
    Evaluation("rbac.cluster-admin-binding", CI_ADMIN.uid, Status.WAIVED, Tier.PRODUCTION),
    Evaluation("backup.velero-retention", SCHEDULE.uid, Status.FAIL, Tier.PRODUCTION),
    Evaluation(
        "ha.pdb",
        WEB.uid,
        Status.NOT_EVALUATED,
        Tier.PRODUCTION,
        "cluster returned 403 listing policy/v1 PodDisruptionBudgets",
        location=Location("deploy/prod/web.yaml", 1, 1),
    ),
    Evaluation("ha.pdb", API.uid, Status.PASS, Tier.PRODUCTION),
    Evaluation(
        "govscan.input-error",
        BROKEN.uid,
        Status.ERROR,
        Tier.PRODUCTION,
        "could not parse YAML: mapping values are not allowed here",
    ),
)

SKIPPED = (Skipped("deploy/prod/web.yaml", 45, "document has no kind: not a Kubernetes object"),)


def make_report(**changes: Any) -> ScanReport:
    findings = changes.pop("findings", FINDINGS)
    blocking = tuple(sorted(f.fingerprint for f in findings if f.blocking))
    fields: dict[str, Any] = {
        "tool_version": "0.1.0",
        "findings": findings,
        "evaluations": EVALUATIONS,
        "rules": RULES,
        "gate": GateDecision(
            verdict="blocked",
            exit_code=1,
            reason=f"{len(blocking)} blocking findings",
            counts={"block": len(blocking), "warn": 1, "info": 1},
            blocking=blocking,
        ),
        "resources": 6,
        "files": 5,
        "skipped": SKIPPED,
        "targets": ("deploy/prod", "-"),
    }
    fields.update(changes)
    return ScanReport(**fields)


@pytest.fixture
def report() -> ScanReport:
    return make_report()


@pytest.fixture
def report_factory() -> Callable[..., ScanReport]:
    return make_report


@pytest.fixture
def finding_factory() -> Callable[..., Finding]:
    return make_finding


@pytest.fixture
def resources() -> dict[str, ResourceRef]:
    return {
        "web": WEB,
        "api": API,
        "worker": WORKER,
        "ci-admin": CI_ADMIN,
        "schedule": SCHEDULE,
        "broken": BROKEN,
    }
