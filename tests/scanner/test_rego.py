"""Rego policies through the engine: one suite, run on the embedded engine and on an OPA server.

The OPA path talks real HTTP to tests/scanner/opa_server.py (OPA's REST Policy and Data APIs,
evaluated by regorus), so both paths must give the same findings, lines, waivers and evaluations.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from opa_server import FakeOpa, running

from govscan.reporters import render
from govscan.scanner import engine as engine_module
from govscan.scanner.config import Config, build_config
from govscan.scanner.engine import ScanRequest, scan
from govscan.scanner.errors import UsageError
from govscan.scanner.model import Enforcement, ScanReport, Severity, Status
from govscan.scanner.rego import PolicyCompileError

ROOT = Path(__file__).resolve().parents[2]
POLICY = "fixtures/policies/policy"
MANIFESTS = "fixtures/policies/manifests"
SHOP = "fixtures/policies/manifests/shop.yaml"
STAGING = "fixtures/policies/manifests/shop-staging.yaml"
TODAY = dt.date(2026, 11, 23)
STOREFRONT = "apps/Deployment/shop-prod/storefront"


@pytest.fixture(params=["embedded", "opa"])
def opa_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for the embedded engine; the URL of a local OPA stand-in for server mode."""
    if request.param == "embedded":
        yield None
        return
    with running() as (_, url):
        yield url


def policy_scan(
    opa_url: str | None,
    targets: tuple[str, ...] = (MANIFESTS,),
    policies: tuple[str, ...] = (POLICY,),
    config: Config | None = None,
    cwd: Path = ROOT,
    **options: object,
) -> ScanReport:
    request = ScanRequest(
        targets=tuple(str(cwd / t) for t in targets),
        config=config or Config(),
        today=TODAY,
        cwd=cwd,
        policies=policies,
        opa_url=opa_url,
        rule_patterns=("policy.*",),
        **options,  # type: ignore[arg-type]
    )
    return scan(request)


def finding_rows(report: ScanReport) -> set[tuple[str, str, str, int, str, bool]]:
    return {
        (f.rule_id, f.resource.uid, f.location.path, f.location.line, f.enforcement.label, f.waived)
        for f in report.findings
    }


def statuses(report: ScanReport, rule_id: str) -> dict[str, Status]:
    return {e.resource_uid: e.status for e in report.evaluations if e.rule_id == rule_id}


def test_fixture_policies_find_each_problem_on_its_line(opa_url: str | None) -> None:
    report = policy_scan(opa_url)
    assert finding_rows(report) == {
        ("policy.main.owner-label", STOREFRONT, SHOP, 13, "block", False),
        ("policy.main.image-latest-production", STOREFRONT, SHOP, 25, "block", False),
        ("policy.main.owner-label", "batch/CronJob/shop-prod/invoice-export", SHOP, 66, "block", True),
        ("policy.main.deny_host_network", "apps/Deployment/shop-staging/storefront", STAGING, 1, "block", False),
        ("policy.main.image-latest", "apps/Deployment/shop-staging/storefront", STAGING, 21, "warn", False),
    }
    latest = next(f for f in report.findings if f.rule_id == "policy.main.image-latest-production")
    assert latest.message == (
        "container web runs registry.example.com/shop/storefront:latest: production never runs :latest"
    )
    assert (latest.domain, latest.severity, latest.location.column) == ("image-provenance", Severity.CRITICAL, 11)
    assert latest.pointer == "/spec/template/spec/containers/0/image"
    assert latest.remediation.startswith("Pin the image to a release tag")
    waived = next(f for f in report.findings if f.waived)
    assert waived.waiver is not None and waived.waiver.source == "rego-exception"
    assert waived.waiver.reason == "Rego exception 'owner-label' in package main"
    assert report.gate.exit_code == 1 and report.gate.counts["blocking"] == 3


def test_every_policy_rule_gets_an_evaluation_per_resource(opa_url: str | None) -> None:
    report = policy_scan(opa_url)
    owner = statuses(report, "policy.main.owner-label")
    assert owner == {
        "core/Namespace/-/shop-prod": Status.PASS,
        STOREFRONT: Status.FAIL,
        "apps/Deployment/shop-prod/checkout": Status.PASS,
        "policy/PodDisruptionBudget/shop-prod/checkout": Status.PASS,
        "batch/CronJob/shop-prod/invoice-export": Status.WAIVED,
        "apps/Deployment/shop-staging/storefront": Status.PASS,
    }
    assert {r.id for r in report.rules if r.id.startswith("policy.")} == {
        "policy.main.owner-label",
        "policy.main.image-latest-production",
        "policy.main.image-latest",
        "policy.main.deny_host_network",
    }
    assert statuses(report, "policy.main.image-latest")["apps/Deployment/shop-staging/storefront"] is Status.FAIL


def test_combine_gives_policies_every_resource(opa_url: str | None) -> None:
    report = policy_scan(opa_url, namespaces=("crossresource",), combine=True)
    assert finding_rows(report) == {("policy.crossresource.pdb-required", STOREFRONT, SHOP, 16, "block", False)}
    assert statuses(report, "policy.crossresource.pdb-required")["apps/Deployment/shop-prod/checkout"] is Status.PASS
    finding = report.findings[0]
    assert finding.domain == "ha"
    assert finding.message == (
        "Deployment storefront runs 3 replicas in production but no PodDisruptionBudget selects its pods"
    )


RUNTIME_ERROR = """\
package main

import rego.v1

# two values for one complete rule when a Deployment sets replicas other than 1: a policy bug
replicas := input.spec.replicas

replicas := 1 if input.kind == "Deployment"

deny contains msg if {
\treplicas > 2
\tmsg := "too many replicas"
}

warn contains msg if {
\tinput.kind == "Deployment"
\tmsg := sprintf("%s is a Deployment", [input.metadata.name])
}
"""

TWO_DEPLOYMENTS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: single, namespace: shop}
spec:
  replicas: 1
"""


def test_a_runtime_error_is_a_rule_error_of_that_rule_only(opa_url: str | None, tmp_path: Path) -> None:
    (tmp_path / "policy.rego").write_text(RUNTIME_ERROR)
    (tmp_path / "apps.yaml").write_text(TWO_DEPLOYMENTS)
    report = policy_scan(opa_url, targets=("apps.yaml",), policies=("policy.rego",), cwd=tmp_path)
    errors = [f for f in report.findings if f.rule_id == "govscan.rule-error"]
    assert [(f.resource.uid, f.location.line, f.enforcement) for f in errors] == [
        ("apps/Deployment/shop/web", 1, Enforcement.BLOCK)
    ]
    assert errors[0].message == (
        "rule policy.main.deny crashed: PolicyRuntimeError: policy.rego:8: rule conflicts with rule at policy.rego:6:1"
    )
    assert errors[0].remediation.startswith("Fix the Rego policy")
    assert statuses(report, "policy.main.deny") == {
        "apps/Deployment/shop/web": Status.ERROR,
        "apps/Deployment/shop/single": Status.PASS,
    }
    # the other rule of the package still judged the resource whose `deny` failed
    assert sorted((f.resource.uid, f.message) for f in report.findings if f.rule_id == "policy.main.warn") == [
        ("apps/Deployment/shop/single", "single is a Deployment"),
        ("apps/Deployment/shop/web", "web is a Deployment"),
    ]


def test_config_enforcement_and_waivers_apply_to_policy_rules(opa_url: str | None) -> None:
    config = build_config(
        {
            "rules": {"policy.main.owner-label": {"enforcement": {"production": "warn"}}},
            "waivers": [
                {
                    "rule": "policy.main.image-latest-production",
                    "resource": "shop-prod/Deployment/storefront",
                    "owner": "team-shop",
                    "reason": "rollback image pinned by the release train on Monday",
                    "expires": "2026-12-15",
                }
            ],
        },
        ".govscan.yaml",
    )
    report = policy_scan(opa_url, config=config)
    by_rule = {(f.rule_id, f.resource.uid): f for f in report.findings}
    assert by_rule[("policy.main.owner-label", STOREFRONT)].enforcement is Enforcement.WARN
    latest = by_rule[("policy.main.image-latest-production", STOREFRONT)]
    assert latest.waiver is not None and (latest.waiver.source, latest.waiver.owner) == ("config", "team-shop")
    # staging keeps the policy's own level: deny blocks in every tier unless config says otherwise
    assert by_rule[("policy.main.deny_host_network", "apps/Deployment/shop-staging/storefront")].blocking


RESULT_SHAPES = """\
package main

import rego.v1

deny contains "plain string result" if input.kind == "Service"

deny contains {"msg": "replicas given as a key list", "path": ["spec", "replicas"]} if input.spec.replicas > 2

deny contains {"msg": "id known only at run time", "id": sprintf("dyn-%s", [input.kind])} if input.kind == "Service"

warn contains {"msg": "computed severity", "id": "sized", "severity": level} if {
\tinput.kind == "Deployment"
\tlevel := "low"
}
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  ports: [{port: 80}]
"""


def test_result_shapes(opa_url: str | None, tmp_path: Path) -> None:
    (tmp_path / "shapes.rego").write_text(RESULT_SHAPES)
    (tmp_path / "apps.yaml").write_text(TWO_DEPLOYMENTS + "---\n" + SERVICE)
    report = policy_scan(opa_url, targets=("apps.yaml",), policies=("shapes.rego",), cwd=tmp_path)
    rows = sorted((f.rule_id, f.resource.uid, f.location.line, f.message, f.severity.label) for f in report.findings)
    assert rows == [
        ("policy.main.deny", "apps/Deployment/shop/web", 5, "replicas given as a key list", "high"),
        ("policy.main.deny", "core/Service/shop/web", 13, "id known only at run time [dyn-Service]", "high"),
        ("policy.main.deny", "core/Service/shop/web", 13, "plain string result", "high"),
        ("policy.main.sized", "apps/Deployment/shop/single", 7, "computed severity", "low"),
        ("policy.main.sized", "apps/Deployment/shop/web", 1, "computed severity", "low"),
    ]


def test_a_result_without_msg_is_a_rule_error(opa_url: str | None, tmp_path: Path) -> None:
    (tmp_path / "bad.rego").write_text('package main\n\nimport rego.v1\n\ndeny contains {"message": "x"} if true\n')
    (tmp_path / "svc.yaml").write_text(SERVICE)
    report = policy_scan(opa_url, targets=("svc.yaml",), policies=("bad.rego",), cwd=tmp_path)
    assert [(f.rule_id, f.message) for f in report.findings] == [
        (
            "govscan.rule-error",
            'rule policy.main.deny crashed: PolicyResultError: deny in package main gave {"message": "x"}: '
            "a result is a string or an object with msg",
        )
    ]


def test_both_engines_give_the_same_report() -> None:
    embedded = policy_scan(None, namespaces=("main", "crossresource"), combine=True)
    with running() as (_, url):
        served = policy_scan(url, namespaces=("main", "crossresource"), combine=True)
    assert embedded.findings == served.findings
    assert embedded.evaluations == served.evaluations
    assert embedded.rules == served.rules
    for fmt in ("json", "sarif", "junit", "table"):
        assert render(fmt, embedded) == render(fmt, served)


def test_opa_mode_uses_the_policies_already_on_the_server() -> None:
    opa = FakeOpa()
    opa.put_policy("k8s/ownership.rego", (ROOT / POLICY / "ownership.rego").read_text())
    with running(opa) as (_, url):
        report = policy_scan(url, policies=())
    assert {(f.rule_id, f.resource.uid, f.waived) for f in report.findings} == {
        ("policy.main.owner-label", STOREFRONT, False),
        ("policy.main.owner-label", "batch/CronJob/shop-prod/invoice-export", True),
    }
    assert list(opa.policies) == ["k8s/ownership.rego"]  # only govscan's entry module came and went
    owner = next(r for r in report.rules if r.id == "policy.main.owner-label")
    assert "opa:k8s/ownership.rego:8" in owner.doc


def test_opa_mode_pushes_then_removes_what_it_needs() -> None:
    opa = FakeOpa()
    with running(opa) as (_, url):
        policy_scan(url, namespaces=("crossresource",), combine=True)
    pushed = [path for method, path in opa.requests if method == "PUT"]
    assert [p.rsplit("/", 1)[-1] for p in pushed if p.startswith("/v1/policies/govscan/")][:3] == [
        "disruption.rego",
        "images.rego",
        "ownership.rego",
    ]
    assert any(p.startswith("/v1/data/govscan_runs/") for p in pushed)  # --combine: the scan's resources
    evaluated = {path for method, path in opa.requests if method == "POST"}
    assert len(evaluated) == 1 and evaluated.pop().startswith("/v1/data/govscan_entry/r")
    deleted = [path for method, path in opa.requests if method == "DELETE"]
    assert len(deleted) == len(pushed)
    assert opa.policies == {} and opa.data == {"govscan_runs": {}}


def test_an_unreachable_opa_server_is_a_usage_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UsageError, match=rf"cannot reach OPA at http://127.0.0.1:{port}"):
        policy_scan(f"http://127.0.0.1:{port}")


# --- the engine-independent parts -----------------------------------------------------------------


def test_a_compile_error_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.rego").write_text(
        'package main\n\nimport rego.v1\n\ndeny contains msg if {\n\tinput.kind === "Pod"\n}\n'
    )
    with pytest.raises(PolicyCompileError) as raised:
        policy_scan(None, policies=("bad.rego",), cwd=tmp_path)
    assert str(raised.value) == "bad.rego:6: expecting expression"


def test_rego_v0_syntax_gets_a_hint(tmp_path: Path) -> None:
    (tmp_path / "old.rego").write_text('package main\n\ndeny[msg] {\n\tmsg := "x"\n}\n')
    with pytest.raises(PolicyCompileError, match=r"^old.rego:3: `if` keyword is required .*opa fmt --write --v0-v1"):
        policy_scan(None, policies=("old.rego",), cwd=tmp_path)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"namespaces": ("k8s.*",)},
            "--namespace k8s.*: no policy package matches; packages found: crossresource, main",
        ),
        (
            {"namespaces": ("crossresource",)},
            "fixtures/policies/policy/disruption.rego reads data.govscan.resources, which only --combine provides; "
            "add --combine",
        ),
        ({"policies": ("fixtures/policies/nope",)}, "--policy fixtures/policies/nope: no such file or directory"),
        ({"policies": ("fixtures/policies/manifests",)}, "--policy fixtures/policies/manifests: no .rego files"),
    ],
)
def test_policy_selection_problems_are_usage_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError) as raised:
        policy_scan(None, **options)  # type: ignore[arg-type]
    assert str(raised.value).startswith(message)


def test_one_id_names_one_rule(tmp_path: Path) -> None:
    (tmp_path / "twice.rego").write_text(
        'package main\n\nimport rego.v1\n\ndeny contains {"msg": "a", "id": "replicas"} if true\n\n'
        'warn contains {"msg": "b", "id": "replicas"} if true\n'
    )
    with pytest.raises(PolicyCompileError, match=r"^twice.rego:7: policy.main.replicas is given by both deny"):
        policy_scan(None, policies=("twice.rego",), cwd=tmp_path)


def test_config_may_name_policy_rules_when_no_policy_is_loaded() -> None:
    config = build_config({"rules": {"policy.main.owner-label": {"enforcement": "warn"}}}, ".govscan.yaml")
    report = scan(ScanRequest(targets=(MANIFESTS,), config=config, today=TODAY, cwd=ROOT))
    assert not any(f.rule_id.startswith("policy.") for f in report.findings)


def test_rule_selection_takes_policy_ids() -> None:
    request = ScanRequest(
        targets=(MANIFESTS,),
        config=Config(),
        today=TODAY,
        cwd=ROOT,
        policies=(POLICY,),
        rule_patterns=("policy.main.owner-label",),
    )
    report = scan(request)
    assert {f.rule_id for f in report.findings} == {"policy.main.owner-label"}
    assert {e.rule_id for e in report.evaluations} == {"policy.main.owner-label"}


def test_worker_processes_give_the_same_report(
    opa_url: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--jobs 2 parses in workers (the threshold lowered here to keep the test small): the report must
    not change, nor the server's state."""
    monkeypatch.setattr(engine_module, "PARALLEL_MIN_FILES", 4)
    files = 8
    base = (ROOT / SHOP).read_text()
    for i in range(files):
        (tmp_path / f"shop-{i:02}.yaml").write_text(base.replace("shop-prod", f"shop-{i:02}-prod"))
    (tmp_path / "policy").mkdir()
    for name in ("ownership.rego", "images.rego", "disruption.rego"):
        (tmp_path / "policy" / name).write_text((ROOT / POLICY / name).read_text())
    reports = [
        scan(
            ScanRequest(
                targets=(str(tmp_path),),
                config=Config(),
                today=TODAY,
                cwd=tmp_path,
                jobs=jobs,
                opa_url=opa_url,
                policies=("policy",),
                namespaces=("main", "crossresource"),
                combine=True,
                tier=None,
            )
        )
        for jobs in (1, 2)
    ]
    assert reports[0].findings == reports[1].findings
    assert reports[0].evaluations == reports[1].evaluations
    assert sum(f.rule_id == "policy.crossresource.pdb-required" for f in reports[0].findings) == files
    if opa_url is not None:  # what the scans pushed is gone, whichever process evaluated
        with urllib.request.urlopen(f"{opa_url}/v1/policies") as answer:
            assert json.load(answer) == {"result": []}


PLAN = {
    "format_version": "1.2",
    "terraform_version": "1.9.5",
    "resource_changes": [
        {
            "address": "aws_db_instance.orders",
            "mode": "managed",
            "type": "aws_db_instance",
            "name": "orders",
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {
                "actions": ["create"],
                "before": None,
                "after": {"identifier": "orders", "password": "hunter2-prod-secret", "tags": {"Environment": "prod"}},
                "after_unknown": {},
                "before_sensitive": {},
                "after_sensitive": {"password": True},
            },
        }
    ],
}

LEAKY_POLICY = """\
package main

import rego.v1

deny contains msg if {
\tdata.govscan.kind == "aws_db_instance"
\tmsg := sprintf("%s (%s, %s) has password %v", [input.identifier, data.govscan.tier, data.govscan.action, input.password])
}
"""


def test_plan_values_marked_sensitive_never_reach_a_policy(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text(json.dumps(PLAN))
    (tmp_path / "leaky.rego").write_text(LEAKY_POLICY)
    report = policy_scan(None, targets=("plan.json",), policies=("leaky.rego",), cwd=tmp_path)
    assert [f.message for f in report.findings] == ["orders (production, create) has password ***"]
    assert "hunter2" not in render("json", report)


CONFTEST_EXCEPTIONS = """\
package main

import rego.v1

deny_host_network contains "shares the node's network" if input.spec.hostNetwork

deny contains "plain deny" if input.kind == "Deployment"

warn contains "warnings are not waived" if input.kind == "Deployment"

exception contains rules if {
\tinput.metadata.name == "node-agent"
\trules := ["host_network"]
}

exception contains rules if {
\tinput.metadata.name == "legacy"
\trules := [""]
}
"""

AGENTS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: node-agent, namespace: ops}
spec: {hostNetwork: true}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: legacy, namespace: ops}
spec: {hostNetwork: true}
"""


def test_exceptions_follow_conftest_names(opa_url: str | None, tmp_path: Path) -> None:
    """`foo` waives deny_foo / violation_foo, "" waives plain deny / violation, warn is never waived."""
    (tmp_path / "exceptions.rego").write_text(CONFTEST_EXCEPTIONS)
    (tmp_path / "agents.yaml").write_text(AGENTS)
    report = policy_scan(opa_url, targets=("agents.yaml",), policies=("exceptions.rego",), cwd=tmp_path)
    assert sorted((f.rule_id, f.resource.name, f.waived) for f in report.findings) == [
        ("policy.main.deny", "legacy", True),
        ("policy.main.deny", "node-agent", False),
        ("policy.main.deny_host_network", "legacy", False),
        ("policy.main.deny_host_network", "node-agent", True),
        ("policy.main.warn", "legacy", False),
        ("policy.main.warn", "node-agent", False),
    ]
    assert statuses(report, "policy.main.deny_host_network") == {
        "apps/Deployment/ops/node-agent": Status.WAIVED,
        "apps/Deployment/ops/legacy": Status.FAIL,
    }
