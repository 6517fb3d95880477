"""govscan cluster: the real kubernetes client against a Kubernetes API server in this process (tests/k8s_api.py).

Discovery, pages with continue tokens, an expired token (410), a 403 on one kind, a 404 for a CRD that
is discovered but not served, bearer tokens from a kubeconfig (a wrong one is a clear exit 2),
SelfSubjectAccessReviews, metadata-only Secrets whose values reach no output, and locations.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from govscan import reporters
from govscan.scanner.cli import app
from govscan.scanner.config import Config
from govscan.scanner.engine import ScanRequest
from govscan.scanner.live import ClusterRequest, GitSources, audit
from govscan.scanner.loaders.cluster import METADATA_ONLY, ApiType, Cluster, Target, live_resource
from govscan.scanner.model import ScanReport, Status, Tier

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from k8s_api import TOKEN, FakeCluster, Kind, Served, serve  # noqa: E402

PLANTED = "hunter2-planted-0xC0FFEE"
PLANTED_B64 = "aHVudGVyMi1wbGFudGVkLTB4QzBGRkVF"  # base64 of PLANTED

ERP = """
apiVersion: v1
kind: Namespace
metadata:
  name: erp-prod
  labels: {govscan.io/tier: production}
status: {phase: Active}
---
apiVersion: v1
kind: Namespace
metadata:
  name: erp-dev
  labels: {govscan.io/tier: development}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: odoo
  namespace: erp-prod
  managedFields: [{manager: kubectl-client-side-apply, operation: Update}]
spec:
  replicas: 1
  selector: {matchLabels: {app: odoo}}
  template:
    metadata: {labels: {app: odoo}}
    spec:
      containers: [{name: odoo, image: "ghcr.io/acme/odoo:17.0"}]
status: {replicas: 1, readyReplicas: 1}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: odoo-cron, namespace: erp-prod}
spec:
  replicas: 3
  selector: {matchLabels: {app: odoo-cron}}
  template:
    metadata: {labels: {app: odoo-cron}}
    spec:
      containers: [{name: cron, image: "ghcr.io/acme/odoo:17.0"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: website, namespace: erp-prod}
spec:
  replicas: 1
  selector: {matchLabels: {app: website}}
  template:
    metadata: {labels: {app: website}}
    spec:
      containers: [{name: web, image: "ghcr.io/acme/website:3"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: odoo, namespace: erp-dev}
spec:
  replicas: 1
  selector: {matchLabels: {app: odoo}}
  template:
    metadata: {labels: {app: odoo}}
    spec:
      containers: [{name: odoo, image: "ghcr.io/acme/odoo:17.0"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: redis, namespace: erp-dev}
spec:
  replicas: 1
  selector: {matchLabels: {app: redis}}
  template:
    metadata: {labels: {app: redis}}
    spec:
      containers: [{name: redis, image: "redis:7.2"}]
---
apiVersion: v1
kind: Secret
metadata:
  name: odoo-db
  namespace: erp-prod
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"v1","data":{"password":"aHVudGVyMi1wbGFudGVkLTB4QzBGRkVF"},"kind":"Secret","stringData":{"token":"hunter2-planted-0xC0FFEE"}}'
type: Opaque
data:
  password: aHVudGVyMi1wbGFudGVkLTB4QzBGRkVF
---
apiVersion: v1
kind: ConfigMap
metadata: {name: odoo-conf, namespace: erp-prod}
data: {ODOO_WORKERS: "4"}
"""

CNPG = """
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: odoo-db, namespace: erp-prod}
spec:
  instances: 3
  storage: {size: 20Gi}
"""


def _fresh() -> FakeCluster:
    cluster = FakeCluster()
    cluster.add_yaml(ERP)
    return cluster


@pytest.fixture()
def fake() -> FakeCluster:
    return _fresh()


@pytest.fixture()
def served(fake: FakeCluster) -> Iterator[Served]:
    yield from serve(fake)


def _audit(kubeconfig: Path, *rules: str, **target: Any) -> ScanReport:
    request = ScanRequest(targets=(), config=Config(), rule_patterns=rules)
    return audit(ClusterRequest(request, Target(kubeconfig=kubeconfig, **target)))


def _findings(report: ScanReport) -> set[tuple[str, str, str]]:
    return {(f.rule_id, f.resource.uid, f.tier.value) for f in report.findings}


def _undecided(report: ScanReport) -> dict[tuple[str, str], str]:
    return {(e.rule_id, e.resource_uid): e.reason for e in report.evaluations if e.status is Status.NOT_EVALUATED}


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"NO_COLOR": "1"})


def test_discovers_then_lists_only_what_the_rules_need_page_by_page(
    fake: FakeCluster, served: Served, tmp_path: Path
) -> None:
    fake.page_limit = 2  # five Deployments come in three pages
    report = _audit(served.kubeconfig(tmp_path / "kubeconfig"), "ha.replicas", all_namespaces=True)

    gets = [r.path for r in fake.requests if r.method == "GET"]
    assert gets[:2] == ["/api", "/apis"]
    assert {"/api/v1", "/apis/apps/v1", "/apis/autoscaling/v2", "/apis/policy/v1"} <= set(gets)
    listed = {r.path for r in fake.requests if "limit" in r.query}
    # ha.replicas judges Deployment/ReplicaSet/StatefulSet (ReplicationController, Rollout: not served),
    # reads HPAs and tiers (Namespaces); nothing else is listed
    assert listed == {
        "/api/v1/namespaces",
        "/apis/apps/v1/deployments",
        "/apis/apps/v1/replicasets",
        "/apis/apps/v1/statefulsets",
        "/apis/autoscaling/v2/horizontalpodautoscalers",
    }
    pages = fake.lists("deployments")
    assert [r.query["limit"] for r in pages] == [["500"]] * 3
    assert [len(r.query.get("continue", [])) for r in pages] == [0, 1, 1]
    # tiers come from the namespaces' labels; development does not gate on replicas
    assert _findings(report) == {
        ("ha.replicas", "apps/Deployment/erp-prod/odoo", "production"),
        ("ha.replicas", "apps/Deployment/erp-prod/website", "production"),
    }
    assert report.resources == 7 and report.gate.exit_code == 1
    odoo = next(f for f in report.findings if f.resource.uid == "apps/Deployment/erp-prod/odoo")
    assert odoo.location.path == "cluster/kind-erp/erp-prod/Deployment/odoo.yaml"
    assert odoo.resource.logical == "kind-erp/erp-prod/Deployment/odoo"
    assert report.targets == ("cluster/kind-erp",)
    assert {f.resource.target for f in report.findings} == {"cluster/kind-erp"}
    assert "7 resources from cluster/kind-erp; 2 findings" in reporters.render("table", report)


def test_an_expired_continue_token_restarts_the_list_once_without_judging_twice(
    fake: FakeCluster, served: Served, tmp_path: Path
) -> None:
    fake.page_limit = 2
    fake.expire_once.add(("apps", "deployments"))
    report = _audit(served.kubeconfig(tmp_path / "kubeconfig"), "ha.replicas", all_namespaces=True)

    tokens = [bool(r.query.get("continue")) for r in fake.lists("deployments")]
    assert tokens == [False, True, False, True, True]  # page 1, 410 on page 2, restart, pages 2 and 3
    # the first page (erp-dev, where ha.replicas is off) is not read twice; erp-prod is judged once each
    evaluated = [e.resource_uid for e in report.evaluations if e.rule_id == "ha.replicas"]
    assert sorted(evaluated) == [
        "apps/Deployment/erp-prod/odoo",
        "apps/Deployment/erp-prod/odoo-cron",
        "apps/Deployment/erp-prod/website",
    ]
    assert len(report.findings) == 2

    cluster = Cluster.connect(Target(kubeconfig=tmp_path / "kubeconfig"))
    fake.expire_once.add(("apps", "deployments"))
    served.server.RequestHandlerClass.expired.clear()  # type: ignore[attr-defined]
    deployments = ApiType("apps", "v1", "Deployment", "deployments", True, frozenset({"list"}))
    names = [item["metadata"]["name"] for page in cluster.pages(deployments, None) for item in page]
    cluster.close()
    assert names == ["odoo", "redis", "odoo", "odoo-cron", "website"]


def test_a_token_that_expires_twice_leaves_the_kind_not_evaluated(tmp_path: Path) -> None:
    fake = _fresh()
    fake.page_limit = 2
    fake.expire_always.add(("apps", "deployments"))
    for served in serve(fake):
        report = _audit(served.kubeconfig(tmp_path / "kubeconfig"), "ha.replicas", all_namespaces=True)
    tokens = [bool(r.query.get("continue")) for r in fake.lists("deployments")]
    assert tokens == [False, True, False, True]  # page 1, 410, restart, 410 again: give up
    # the first page was judged; the rest of the kind is not evaluated, never passed
    # (the first page holds erp-dev's Deployments, where ha.replicas is off)
    evaluated = {e.resource_uid: e.status for e in report.evaluations if e.rule_id == "ha.replicas"}
    assert evaluated == {"apps/Deployment/*/*": Status.NOT_EVALUATED}
    assert _undecided(report)[("ha.replicas", "apps/Deployment/*/*")] == (
        "cannot list deployments.apps: 410 Gone: The provided continue parameter is too old to display a "
        "consistent list result."
    )


def test_a_forbidden_kind_is_not_evaluated_in_every_format_and_fails_on_incomplete(
    fake: FakeCluster, served: Served, tmp_path: Path
) -> None:
    fake.forbidden.add(("policy", "poddisruptionbudgets"))
    kubeconfig = served.kubeconfig(tmp_path / "kubeconfig")
    report = _audit(kubeconfig, "ha.pdb", all_namespaces=True)

    reason = (
        "needs PodDisruptionBudget objects, not read: cannot list poddisruptionbudgets.policy: 403 Forbidden: "
        'poddisruptionbudgets.policy is forbidden: User "system:serviceaccount:govscan:auditor" cannot list '
        'resource "poddisruptionbudgets" in API group "policy" at the cluster scope'
    )
    undecided = _undecided(report)
    # ha.pdb judges PDBs (none could be read) and needs them to judge Deployments: never a pass
    assert undecided == {
        ("ha.pdb", "apps/Deployment/erp-prod/odoo"): reason,
        ("ha.pdb", "apps/Deployment/erp-prod/odoo-cron"): reason,
        ("ha.pdb", "apps/Deployment/erp-prod/website"): reason,
        ("ha.pdb", "policy/PodDisruptionBudget/*/*"): reason.split(": ", 1)[1],
    }
    assert not report.findings and report.gate.exit_code == 0  # development tier: ha.pdb is off there

    for fmt in ("json", "sarif", "junit", "table", "codequality"):
        text = reporters.render(fmt, report)
        if fmt == "codequality":
            continue  # GitLab Code Quality has no place for not-evaluated results (as for scan)
        assert "apps/Deployment/erp-prod/website" in text and "403 Forbidden" in text, fmt

    result = _invoke(
        "cluster", "--kubeconfig", str(kubeconfig), "-A", "-r", "ha.pdb", "--no-config", "--fail-on-incomplete",
        "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    document = json.loads(result.stdout)
    assert document["gate"]["verdict"] == "incomplete"
    assert {e["resource_uid"] for e in document["not_evaluated"]} == {
        "apps/Deployment/erp-prod/odoo",
        "apps/Deployment/erp-prod/odoo-cron",
        "apps/Deployment/erp-prod/website",
        "policy/PodDisruptionBudget/*/*",
    }


def test_a_crd_discovered_but_not_served_is_not_evaluated_with_the_reason(tmp_path: Path) -> None:
    fake = _fresh()
    fake.kinds += [
        Kind("postgresql.cnpg.io", "v1", "Cluster", "clusters"),
        Kind("postgresql.cnpg.io", "v1", "ScheduledBackup", "scheduledbackups"),
    ]
    fake.add_yaml(CNPG)
    fake.unserved.add(("postgresql.cnpg.io", "scheduledbackups"))
    for served in serve(fake):
        report = _audit(served.kubeconfig(tmp_path / "kubeconfig"), "backup.cnpg-scheduled", all_namespaces=True)
    reason = "scheduledbackups.postgresql.cnpg.io is not served by the cluster (404 Not Found); is its CRD installed?"
    assert _undecided(report) == {
        (
            "backup.cnpg-scheduled",
            "postgresql.cnpg.io/Cluster/erp-prod/odoo-db",
        ): f"needs ScheduledBackup objects, not read: {reason}",
    }
    assert not report.findings


def test_an_unavailable_api_group_is_reported_and_the_rest_is_read(tmp_path: Path) -> None:
    fake = _fresh()
    fake.kinds.append(Kind("metrics.k8s.io", "v1beta1", "PodMetrics", "pods"))
    fake.broken_groups.add("metrics.k8s.io")
    for served in serve(fake):
        report = _audit(served.kubeconfig(tmp_path / "kubeconfig"), "ha.replicas", all_namespaces=True)
    assert [(s.path, s.reason) for s in report.skipped] == [
        (
            "cluster/kind-erp/apis/metrics.k8s.io/v1beta1",
            "API group metrics.k8s.io/v1beta1 could not be discovered (503 Service Unavailable: the server is "
            "currently unable to handle the request); its kinds were not read",
        )
    ]
    assert len(report.findings) == 2


def test_a_request_that_times_out_leaves_its_kind_not_evaluated(
    fake: FakeCluster, served: Served, tmp_path: Path
) -> None:
    fake.slow[("autoscaling", "horizontalpodautoscalers")] = 0.6
    request = ScanRequest(targets=(), config=Config(), rule_patterns=("ha.replicas",))
    target = Target(kubeconfig=served.kubeconfig(tmp_path / "k"), all_namespaces=True, timeout=0.2)
    report = audit(ClusterRequest(request, target))
    reasons = set(_undecided(report).values())
    assert reasons == {
        "needs HorizontalPodAutoscaler objects, not read: cannot list horizontalpodautoscalers.autoscaling: "
        "timed out after 0.2s (/apis/autoscaling/v2/horizontalpodautoscalers)"
    }


def test_one_namespace_reads_its_namespace_by_name_and_lists_inside_it(
    fake: FakeCluster, served: Served, tmp_path: Path
) -> None:
    kubeconfig = served.kubeconfig(tmp_path / "kubeconfig", namespace="erp-prod")
    report = _audit(kubeconfig, "ha.replicas")  # the context's namespace, as kubectl does
    listed = {r.path for r in fake.requests if "limit" in r.query or r.path.startswith("/api/v1/namespaces/")}
    assert listed == {
        "/api/v1/namespaces/erp-prod",
        "/apis/apps/v1/namespaces/erp-prod/deployments",
        "/apis/apps/v1/namespaces/erp-prod/replicasets",
        "/apis/apps/v1/namespaces/erp-prod/statefulsets",
        "/apis/autoscaling/v2/namespaces/erp-prod/horizontalpodautoscalers",
    }
    assert {(e.resource_uid, e.tier) for e in report.evaluations} == {
        ("apps/Deployment/erp-prod/odoo", Tier.PRODUCTION),
        ("apps/Deployment/erp-prod/odoo-cron", Tier.PRODUCTION),
        ("apps/Deployment/erp-prod/website", Tier.PRODUCTION),
    }
    assert len(report.findings) == 2


def test_the_token_comes_from_the_kubeconfig_and_a_wrong_one_is_one_clear_line(served: Served, tmp_path: Path) -> None:
    kubeconfig = served.kubeconfig(tmp_path / "kubeconfig", token="not-the-token")
    before = kubeconfig.read_bytes()
    result = _invoke("cluster", "--kubeconfig", str(kubeconfig), "-A", "--no-config", "-f", "json")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"govscan: error: context kind-erp: the API server at {served.url} rejected the credentials "
        "(401 Unauthorized); log in again or fix the user's token in the kubeconfig"
    )
    assert "not-the-token" not in result.output and TOKEN not in result.output
    assert kubeconfig.read_bytes() == before  # nothing written back

    good = served.kubeconfig(tmp_path / "good", token=TOKEN)
    before = good.read_bytes()
    ok = _invoke("cluster", "--kubeconfig", str(good), "-A", "--no-config", "-r", "ha.replicas", "-f", "json")
    assert ok.exit_code == 1 and json.loads(ok.stdout)["summary"]["findings"] == 2
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in served.cluster.requests[-3:])
    assert good.read_bytes() == before


def test_kubeconfig_problems_are_usage_errors(served: Served, tmp_path: Path) -> None:
    missing = _invoke("cluster", "--kubeconfig", str(tmp_path / "nope"), "-A", "--no-config")
    assert missing.exit_code == 2
    assert missing.stderr.strip() == (
        f"govscan: error: {tmp_path / 'nope'}: kubeconfig not found; pass --kubeconfig PATH or --in-cluster"
    )
    kubeconfig = served.kubeconfig(tmp_path / "kubeconfig")
    wrong = _invoke("cluster", "--kubeconfig", str(kubeconfig), "--context", "prod", "--no-config")
    assert wrong.stderr.strip() == f"govscan: error: --context: no context 'prod' in {kubeconfig} (known: kind-erp)"
    broken = tmp_path / "broken"
    broken.write_text("apiVersion: v1\nclusters: [\n")
    bad = _invoke("cluster", "--kubeconfig", str(broken), "--no-config")
    assert bad.stderr.strip() == (
        f"govscan: error: {broken}:3: not a valid kubeconfig (expected the node content, but found '<stream end>')"
    )
    both = _invoke("cluster", "--kubeconfig", str(kubeconfig), "-n", "erp-dev", "-A", "--no-config")
    assert both.exit_code == 2 and "exclude each other" in both.stderr


def test_an_unreachable_server_is_one_clear_line(tmp_path: Path) -> None:
    fake = FakeCluster()
    for served in serve(fake):
        kubeconfig = served.kubeconfig(tmp_path / "kubeconfig")
        url = served.url
    result = _invoke("cluster", "--kubeconfig", str(kubeconfig), "-A", "--no-config")  # server stopped
    assert result.exit_code == 2
    assert result.stderr.startswith(f"govscan: error: context kind-erp: cannot reach the API server at {url}: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_secrets_are_listed_as_metadata_and_their_values_reach_no_output(
    fake: FakeCluster, served: Served, tmp_path: Path
) -> None:
    kubeconfig = served.kubeconfig(tmp_path / "kubeconfig")
    outputs = [tmp_path / f"report.{fmt}" for fmt in ("json", "sarif", "xml", "cq", "txt")]
    args = ["cluster", "--kubeconfig", str(kubeconfig), "-A", "--no-config"]
    for fmt, path in zip(("json", "sarif", "junit", "codequality", "table"), outputs, strict=True):
        args += ["-f", fmt, "-o", str(path)]
    result = _invoke(*args)
    assert result.exit_code == 1, result.output
    assert {r.headers.get("accept") for r in fake.lists("secrets")} == {METADATA_ONLY}
    document = json.loads(outputs[0].read_text())
    assert {
        "rule_id": "secrets.committed-secret",
        "resource_uid": "core/Secret/*/*",
        "status": "not-evaluated",
        "reason": "Secret values were not read (Secrets are listed as metadata only); pass --read-secrets to "
        "let the rules that need them judge",
    } in [{k: v for k, v in e.items() if k != "location"} for e in document["not_evaluated"]]
    for path in outputs:
        text = path.read_text()
        assert PLANTED not in text and PLANTED_B64 not in text, path.name
    assert PLANTED not in result.output and PLANTED_B64 not in result.output

    # asked to read values: the rule that needs them judges; the values still appear nowhere
    read = _invoke(
        "cluster", "--kubeconfig", str(kubeconfig), "-A", "--no-config", "--read-secrets",
        "-r", "secrets.committed-secret", "-f", "json", "-f", "sarif", "-o", "-", "-o", str(tmp_path / "s.sarif"),
    )  # fmt: skip
    assert "application/json" in {r.headers.get("accept") for r in fake.lists("secrets")}
    findings = json.loads(read.stdout)["findings"]
    assert [(f["rule_id"], f["resource"]["uid"], f["message"]) for f in findings] == [
        ("secrets.committed-secret", "core/Secret/erp-prod/odoo-db",
         "Secret odoo-db commits 1 value(s) in data (password; values ***)"),
    ]  # fmt: skip
    for text in (read.output, (tmp_path / "s.sarif").read_text()):
        assert PLANTED not in text and PLANTED_B64 not in text


def test_rules_never_see_status_managed_fields_or_a_secrets_last_applied_copy(served: Served, tmp_path: Path) -> None:
    cluster = Cluster.connect(Target(kubeconfig=served.kubeconfig(tmp_path / "k")))
    deployments = ApiType("apps", "v1", "Deployment", "deployments", True, frozenset({"list"}))
    secrets = ApiType("", "v1", "Secret", "secrets", True, frozenset({"list"}))
    [deployment_page] = list(cluster.pages(deployments, "erp-prod"))
    [secret_page] = list(cluster.pages(secrets, "erp-prod", metadata_only=True))
    cluster.close()
    odoo = deployment_page[0]
    assert (odoo["apiVersion"], odoo["kind"], odoo["metadata"]["name"]) == ("apps/v1", "Deployment", "odoo")
    assert "status" not in odoo and "managedFields" not in odoo["metadata"]
    assert secret_page == [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "odoo-db", "namespace": "erp-prod", "annotations": {}},
        }
    ]


def test_check_access_asks_for_list_and_get_on_what_the_rules_read(
    fake: FakeCluster, served: Served, tmp_path: Path
) -> None:
    fake.forbidden.add(("policy", "poddisruptionbudgets"))
    kubeconfig = served.kubeconfig(tmp_path / "kubeconfig")
    result = _invoke("cluster", "check-access", "--kubeconfig", str(kubeconfig), "-A", "--no-config", "-r", "ha.pdb")
    assert result.exit_code == 3, result.output
    reviews = [r.body["spec"]["resourceAttributes"] for r in fake.requests if r.method == "POST"]
    assert all(
        r.path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" for r in fake.requests if r.method == "POST"
    )
    assert sorted((a["verb"], a["group"], a["resource"]) for a in reviews) == sorted(
        (verb, group, plural)
        for group, plural in [
            ("", "namespaces"), ("apps", "deployments"), ("apps", "replicasets"), ("apps", "statefulsets"),
            ("autoscaling", "horizontalpodautoscalers"), ("policy", "poddisruptionbudgets"),
        ]
        for verb in ("list", "get")
    )  # fmt: skip
    assert result.stdout.splitlines() == [
        "govscan: context kind-erp, all namespaces: what the enabled rules read",
        "  ok       list  namespaces (cluster-scoped)",
        "  ok       get   namespaces (cluster-scoped)",
        "  ok       list  deployments.apps (all namespaces)",
        "  ok       get   deployments.apps (all namespaces)",
        "  ok       list  replicasets.apps (all namespaces)",
        "  ok       get   replicasets.apps (all namespaces)",
        "  ok       list  statefulsets.apps (all namespaces)",
        "  ok       get   statefulsets.apps (all namespaces)",
        "  ok       list  horizontalpodautoscalers.autoscaling (all namespaces)",
        "  ok       get   horizontalpodautoscalers.autoscaling (all namespaces)",
        "  MISSING  list  poddisruptionbudgets.policy (all namespaces)",
        "  MISSING  get   poddisruptionbudgets.policy (all namespaces)",
        "2 of 12 permissions missing: rules that read these kinds will report not evaluated (grant get/list, "
        "see deploy/clusterrole.yaml)",
    ]

    fake.forbidden.clear()
    granted = _invoke(
        "cluster", "--kubeconfig", str(kubeconfig), "check-access", "-n", "erp-dev", "-r", "ha.pdb", "--no-config"
    )
    assert granted.exit_code == 0 and granted.stdout.splitlines()[-1] == "all 11 permissions granted"
    namespaced = [r.body["spec"]["resourceAttributes"] for r in fake.requests if r.method == "POST"][-11:]
    assert {a.get("namespace") for a in namespaced if a["resource"] == "deployments"} == {"erp-dev"}
    assert {(a["verb"], a.get("name")) for a in namespaced if a["resource"] == "namespaces"} == {("get", "erp-dev")}


def test_objects_tracked_by_argo_cd_point_at_their_git_file(fake: FakeCluster, served: Served, tmp_path: Path) -> None:
    git = tmp_path / "gitops" / "apps" / "erp"
    git.mkdir(parents=True)
    (git / "website.yaml").write_text(
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: website\n"
        "spec:\n"
        "  replicas: 1\n"
        "  template:\n"
        "    spec:\n"
        "      containers: [{name: web, image: ghcr.io/acme/website:3}]\n"
    )
    tracked = fake.objects[("apps", "deployments")]
    for item in tracked:
        if item["metadata"]["name"] == "website":
            item["metadata"]["annotations"] = {
                "argocd.argoproj.io/tracking-id": "erp-prod:apps/Deployment:erp-prod/website"
            }
    kubeconfig = served.kubeconfig(tmp_path / "kubeconfig")
    sarif = tmp_path / "cluster.sarif"
    result = _invoke(
        "cluster", "--kubeconfig", str(kubeconfig), "-A", "--no-config", "-r", "ha.replicas",
        "--source-root", str(tmp_path / "gitops"), "-f", "sarif", "-o", str(sarif),
    )  # fmt: skip
    assert result.exit_code == 1
    [run] = json.loads(sarif.read_text())["runs"]
    assert run["automationDetails"]["id"] == "govscan/cluster/kind-erp/"  # one category per cluster
    results = run["results"]
    located = {
        r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]: (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in results
    }
    cwd = Path.cwd()
    git_file = (git / "website.yaml").resolve()
    uri = git_file.relative_to(cwd).as_posix() if git_file.is_relative_to(cwd) else git_file.as_uri()
    assert located == {
        "kind-erp/erp-prod/Deployment/website": (uri, 6),  # spec.replicas in the Git file
        "kind-erp/erp-prod/Deployment/odoo": ("cluster/kind-erp/erp-prod/Deployment/odoo.yaml", 1),
    }
    fingerprints = {r["partialFingerprints"]["govscan/v1"] for r in results}
    assert len(fingerprints) == 2


def test_waivers_apply_to_live_objects_as_to_manifests(fake: FakeCluster, served: Served, tmp_path: Path) -> None:
    config = tmp_path / ".govscan.yaml"
    config.write_text(
        "waivers:\n"
        "  - rule: ha.replicas\n"
        "    resource: erp-prod/Deployment/website\n"
        "    owner: team-web\n"
        "    reason: single replica until the session store moves to Redis\n"
        "    expires: 2099-01-31\n"
    )
    for item in fake.objects[("apps", "deployments")]:
        if (item["metadata"]["namespace"], item["metadata"]["name"]) == ("erp-prod", "odoo"):
            item["metadata"]["annotations"] = {
                "govscan.io/waive.ha.replicas": "scaled down for the migration; expires=2099-01-01"
            }
    kubeconfig = served.kubeconfig(tmp_path / "kubeconfig")
    result = _invoke(
        "cluster", "--kubeconfig", str(kubeconfig), "-A", "-c", str(config), "-r", "ha.replicas", "-f", "json"
    )
    findings = json.loads(result.stdout)["findings"]
    assert sorted((f["rule_id"], f["resource"]["uid"], (f["waived"] or {}).get("source")) for f in findings) == [
        # annotation waivers are not allowed in production (the default policy), so it is reported
        ("govscan.waiver-invalid", "apps/Deployment/erp-prod/odoo", None),
        ("ha.replicas", "apps/Deployment/erp-prod/odoo", None),
        ("ha.replicas", "apps/Deployment/erp-prod/website", "config"),
    ]
    assert result.exit_code == 1


def test_flux_labels_and_argo_tracking_ids_name_the_git_manifest(tmp_path: Path) -> None:
    (tmp_path / "apps.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: odoo, namespace: erp-prod}\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: erp-reader}\n"
    )
    trace = GitSources.load(tmp_path, tmp_path).tracer()

    def live(kind: str, name: str, namespace: str | None, **metadata: Any) -> Any:
        group = "rbac.authorization.k8s.io/v1" if kind == "ClusterRole" else "apps/v1"
        body = {"apiVersion": group, "kind": kind, "metadata": {"name": name, "namespace": namespace, **metadata}}
        return live_resource(body, "prod", trace)

    flux = live("Deployment", "odoo", "erp-prod", labels={"kustomize.toolkit.fluxcd.io/name": "erp"})
    argo = live("ClusterRole", "erp-reader", None,
                annotations={"argocd.argoproj.io/tracking-id": "erp:rbac.authorization.k8s.io/ClusterRole:/erp-reader"})  # fmt: skip
    untracked = live("Deployment", "odoo", "erp-prod")
    assert (flux.source.path, flux.source.document, flux.source.logical) == (
        "apps.yaml",
        0,
        "prod/erp-prod/Deployment/odoo",
    )
    assert (argo.source.path, argo.source.document, argo.source.logical) == (
        "apps.yaml",
        1,
        "prod/_cluster/ClusterRole/erp-reader",
    )
    assert untracked.source.path == "cluster/prod/erp-prod/Deployment/odoo.yaml"


OWNED = """
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: odoo-7f9c
  namespace: erp-prod
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: odoo, uid: d1, controller: true}]
spec:
  template:
    spec:
      containers: [{name: odoo, image: "ghcr.io/acme/odoo:17.0", securityContext: {privileged: true}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: odoo-7f9c-x2x4d
  namespace: erp-prod
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: odoo-7f9c, uid: r1, controller: true}]
spec:
  containers: [{name: odoo, image: "ghcr.io/acme/odoo:17.0", securityContext: {privileged: true}}]
---
apiVersion: v1
kind: Pod
metadata: {name: debug-shell, namespace: erp-prod}
spec:
  containers: [{name: sh, image: "busybox:1.36", securityContext: {privileged: true}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: etcd-node-1
  namespace: erp-prod
  ownerReferences: [{apiVersion: v1, kind: Node, name: node-1, uid: n1, controller: true}]
spec:
  containers: [{name: etcd, image: "registry.k8s.io/etcd:3.5.12-0", securityContext: {privileged: true}}]
"""


def test_objects_a_listed_controller_owns_are_judged_through_it(fake: FakeCluster, tmp_path: Path) -> None:
    for item in fake.objects[("apps", "deployments")]:
        if (item["metadata"]["namespace"], item["metadata"]["name"]) == ("erp-prod", "odoo"):
            item["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    fake.add_yaml(OWNED)
    for served in serve(fake):
        report = _audit(served.kubeconfig(tmp_path / "kubeconfig"), "pod-security.privileged", all_namespaces=True)
    # the ReplicaSet and its Pod repeat the Deployment's template; the bare Pod and the Node's static Pod do not
    assert sorted(f.resource.uid for f in report.findings) == [
        "apps/Deployment/erp-prod/odoo",
        "core/Pod/erp-prod/debug-shell",
        "core/Pod/erp-prod/etcd-node-1",
    ]
