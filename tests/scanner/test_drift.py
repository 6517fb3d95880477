"""govscan drift: a desired tree against a live API server (tests/k8s_api.py) that differ in every way drift reports.

Missing objects (one of a kind the cluster does not serve), an unmanaged object in a governed
namespace, modified fields (server defaults and generated fields ignored, quantities by value),
and policy findings live that Git does not have (hand edits).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from govscan.scanner.cli import app
from govscan.scanner.drift import changes, quantity

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from k8s_api import FakeCluster, Served, serve  # noqa: E402

PLANTED = "hunter2-planted-0xC0FFEE"
SHARED = Path(os.environ.get("GOVSCAN_SHARED", Path(__file__).resolve().parents[2].parent / "shared"))

NAMESPACE = """\
apiVersion: v1
kind: Namespace
metadata:
  name: erp-prod
  labels:
    govscan.io/tier: production
"""

ODOO = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: odoo
  namespace: erp-prod
  labels: {app: odoo, team: erp}
spec:
  replicas: 3
  selector:
    matchLabels: {app: odoo}
  template:
    metadata:
      labels: {app: odoo}
    spec:
      containers:
        - name: odoo
          image: ghcr.io/acme/odoo:17.0
          env:
            - name: PGHOST
              value: odoo-db-rw
          resources:
            requests: {cpu: "0.5", memory: 1Gi}
            limits: {memory: 1Gi}
---
apiVersion: v1
kind: Service
metadata: {name: odoo, namespace: erp-prod}
spec:
  selector: {app: odoo}
  ports: [{name: http, port: 8069, targetPort: 8069}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: odoo, namespace: erp-prod}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: odoo}}
"""

CONFIG = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: odoo-conf
data:
  ODOO_WORKERS: "4"
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: storefront, namespace: erp-prod}
spec: {size: 2}
"""

LIVE = f"""
apiVersion: v1
kind: Namespace
metadata:
  name: erp-prod
  uid: 0d9e
  labels: {{govscan.io/tier: production, kubernetes.io/metadata.name: erp-prod}}
spec: {{finalizers: [kubernetes]}}
status: {{phase: Active}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: monitoring}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: odoo
  namespace: erp-prod
  uid: 6a1f
  resourceVersion: "88412"
  generation: 7
  creationTimestamp: "2026-01-05T10:00:00Z"
  labels: {{app: odoo, team: erp}}
  annotations: {{deployment.kubernetes.io/revision: "7"}}
spec:
  replicas: 1
  progressDeadlineSeconds: 600
  revisionHistoryLimit: 10
  selector:
    matchLabels: {{app: odoo}}
  strategy: {{type: RollingUpdate, rollingUpdate: {{maxSurge: 25%, maxUnavailable: 25%}}}}
  template:
    metadata:
      labels: {{app: odoo}}
    spec:
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {{}}
      terminationGracePeriodSeconds: 30
      containers:
        - name: odoo
          image: ghcr.io/acme/odoo:17.0-hotfix
          imagePullPolicy: IfNotPresent
          securityContext: {{privileged: true}}
          terminationMessagePath: /dev/termination-log
          terminationMessagePolicy: File
          env:
            - name: PGHOST
              value: 10.0.0.5
          resources:
            requests: {{cpu: 500m, memory: 1Gi}}
            limits: {{memory: 1Gi}}
status: {{replicas: 1, availableReplicas: 1}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: odoo-5d9c7b
  namespace: erp-prod
  ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: odoo, uid: 6a1f, controller: true}}]
spec:
  replicas: 1
  selector: {{matchLabels: {{app: odoo}}}}
  template:
    metadata: {{labels: {{app: odoo}}}}
    spec:
      containers: [{{name: odoo, image: "ghcr.io/acme/odoo:17.0-hotfix"}}]
---
apiVersion: v1
kind: Service
metadata: {{name: odoo, namespace: erp-prod, uid: 77b0}}
spec:
  type: ClusterIP
  clusterIP: 10.96.14.2
  clusterIPs: [10.96.14.2]
  sessionAffinity: None
  selector: {{app: odoo}}
  ports: [{{name: http, port: 8069, targetPort: 8069, protocol: TCP}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: odoo-conf, namespace: erp-prod}}
data: {{ODOO_WORKERS: "4"}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: debug-hack, namespace: erp-prod}}
data: {{LOG_LEVEL: debug}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: kube-root-ca.crt, namespace: erp-prod}}
data: {{ca.crt: "-----BEGIN CERTIFICATE-----"}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: default, namespace: erp-prod}}
---
apiVersion: v1
kind: Secret
metadata:
  name: odoo-db
  namespace: erp-prod
  ownerReferences: [{{apiVersion: external-secrets.io/v1beta1, kind: ExternalSecret, name: odoo-db, uid: e5e5}}]
data: {{password: {PLANTED}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: grafana-hack, namespace: monitoring}}
data: {{x: y}}
"""


@pytest.fixture()
def desired(tmp_path: Path) -> Path:
    root = tmp_path / "gitops" / "erp-prod"
    root.mkdir(parents=True)
    (root / "namespace.yaml").write_text(NAMESPACE)
    (root / "odoo.yaml").write_text(ODOO)
    (root / "config.yaml").write_text(CONFIG)
    (root / "kustomization.yaml").write_text("resources: [namespace.yaml, odoo.yaml, config.yaml]\n")
    (tmp_path / "gitops" / ".govscan.yaml").write_text("drift:\n  enforcement:\n    unmanaged: {production: block}\n")
    return root


@pytest.fixture()
def served() -> Iterator[Served]:
    fake = FakeCluster(page_limit=3)
    fake.add_yaml(LIVE)
    yield from serve(fake)


def _drift(served: Served, desired: Path, tmp_path: Path, *extra: str) -> Any:
    kubeconfig = served.kubeconfig(tmp_path / "kubeconfig", namespace="erp-prod")
    args = ["drift", str(desired), "--kubeconfig", str(kubeconfig), *extra]
    return CliRunner().invoke(app, args, env={"NO_COLOR": "1"})


def _line(path: Path, text: str, after: str = "") -> int:
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and text in line) + 1


def test_drift_reports_missing_unmanaged_modified_and_hand_edits(served: Served, desired: Path, tmp_path: Path) -> None:
    reports = {fmt: tmp_path / f"drift.{fmt}" for fmt in ("json", "sarif", "junit", "codequality", "table")}
    args: list[str] = []
    for fmt, path in reports.items():
        args += ["-f", fmt, "-o", str(path)]
    result = _drift(served, desired, tmp_path, *args)
    assert result.exit_code == 1, result.output
    document = json.loads(reports["json"].read_text())
    odoo, config = desired / "odoo.yaml", desired / "config.yaml"
    found = {
        (
            f["rule_id"],
            f["resource"]["uid"],
            f["message"],
            f["location"]["file"],
            f["location"]["line"],
            f["enforcement"],
        )
        for f in document["findings"]
    }
    git = str(desired) + "/"
    assert found == {
        ("drift.missing", "policy/PodDisruptionBudget/erp-prod/odoo",
         "PodDisruptionBudget odoo is in Git but not in the cluster in namespace erp-prod",
         git + "odoo.yaml", _line(odoo, "kind: PodDisruptionBudget") - 1, "block"),
        ("drift.missing", "example.com/Widget/erp-prod/storefront",
         "Widget storefront is in Git but not in the cluster in namespace erp-prod; the cluster does not serve "
         "example.com/v1 Widget (is the CRD installed?)",
         git + "config.yaml", _line(config, "apiVersion: example.com/v1"), "block"),
        ("drift.unmanaged", "core/ConfigMap/erp-prod/debug-hack",
         "ConfigMap debug-hack is in namespace erp-prod but not in Git (made by hand or by a tool outside Git)",
         "cluster/kind-erp/erp-prod/ConfigMap/debug-hack.yaml", 1, "block"),  # drift.enforcement in .govscan.yaml
        ("drift.modified", "apps/Deployment/erp-prod/odoo", "spec.replicas: Git 3, live 1",
         git + "odoo.yaml", _line(odoo, "replicas: 3"), "block"),
        ("drift.modified", "apps/Deployment/erp-prod/odoo",
         "spec.template.spec.containers[odoo].image: Git ghcr.io/acme/odoo:17.0, live ghcr.io/acme/odoo:17.0-hotfix",
         git + "odoo.yaml", _line(odoo, "image: ghcr.io/acme/odoo:17.0"), "block"),
        ("drift.modified", "apps/Deployment/erp-prod/odoo",
         "spec.template.spec.containers[odoo].env[PGHOST].value: differs from Git (value not shown)",
         git + "odoo.yaml", _line(odoo, "value: odoo-db-rw"), "block"),
        ("drift.hand-edit", "apps/Deployment/erp-prod/odoo",
         "ha.replicas: Deployment odoo: replicas is 1; production needs at least 2 (live only: the manifest in Git passes)",
         git + "odoo.yaml", _line(odoo, "replicas: 3"), "block"),
        # not a field Git sets, so not "modified"; but a policy finding Git does not have
        ("drift.hand-edit", "apps/Deployment/erp-prod/odoo",
         'pod-security.privileged: container "odoo" runs privileged (securityContext.privileged: true) '
         "(live only: the manifest in Git passes)",
         git + "odoo.yaml", _line(odoo, "- name: odoo"), "block"),
    }  # fmt: skip
    assert {f["domain"] for f in document["findings"]} == {"drift"}
    targets = {f["resource"]["uid"]: f["resource"]["target"] for f in document["findings"]}
    assert targets["core/ConfigMap/erp-prod/debug-hack"] == "cluster/kind-erp"
    assert (
        targets["apps/Deployment/erp-prod/odoo"] == targets["policy/PodDisruptionBudget/erp-prod/odoo"] == str(desired)
    )
    assert document["gate"]["verdict"] == "blocked"
    assert {(s["file"], s["reason"][:26]) for s in document["skipped"]} == {
        (git + "kustomization.yaml", "a kustomization file: rend")
    }
    # server defaults, generated fields, 500m == 0.5 CPU, owned and cluster-made objects: nothing reported;
    # the ungoverned namespace is never listed
    requests = [r.path for r in served.cluster.requests]
    assert not any("/namespaces/monitoring/" in p for p in requests)
    assert all(
        p.startswith(("/api/v1/namespaces/erp-prod", "/apis/")) or p in ("/api", "/api/v1") or "/namespaces/" not in p
        for p in requests
    )
    # each check judges what it concerns: every object Git has, and for unmanaged the others in erp-prod
    judged: dict[str, set[str]] = {}
    for case in ElementTree.parse(reports["junit"]).iter("testcase"):
        judged.setdefault(case.get("classname", ""), set()).add(case.get("name", ""))
    in_git = {
        "core/Namespace/-/erp-prod", "apps/Deployment/erp-prod/odoo", "core/Service/erp-prod/odoo",
        "policy/PodDisruptionBudget/erp-prod/odoo", "core/ConfigMap/erp-prod/odoo-conf",
        "example.com/Widget/erp-prod/storefront",
    }  # fmt: skip
    live_in_git = in_git - {"policy/PodDisruptionBudget/erp-prod/odoo", "example.com/Widget/erp-prod/storefront"}
    assert judged["drift.missing"] == in_git
    assert judged["drift.modified"] == judged["drift.hand-edit"] == live_in_git
    assert judged["drift.unmanaged"] == live_in_git | {
        "core/ConfigMap/erp-prod/debug-hack",
        "core/ConfigMap/erp-prod/kube-root-ca.crt",
        "core/ServiceAccount/erp-prod/default",
        "core/Secret/erp-prod/odoo-db",
    }  # fmt: skip  (the Deployment's ReplicaSet is judged through the Deployment)
    assert document["not_evaluated"] == []
    sarif = json.loads(reports["sarif"].read_text())
    # one run per target: findings at Git files under the desired tree's, the unmanaged object under the cluster's
    runs = {
        run["automationDetails"]["id"]: {
            r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] for r in run["results"]
        }
        for run in sarif["runs"]
    }
    assert runs == {
        f"govscan/{str(desired).lstrip('/')}/": {
            "kind-erp/erp-prod/Deployment/odoo",
            "policy/PodDisruptionBudget/erp-prod/odoo",  # missing live: only its Git identity exists
            "example.com/Widget/erp-prod/storefront",
        },
        "govscan/cluster/kind-erp/": {"kind-erp/erp-prod/ConfigMap/debug-hack"},
    }
    for path in reports.values():
        assert PLANTED not in path.read_text(), path.name
    if (SHARED / "schemas").is_dir():
        _valid_sarif(sarif)
    assert PLANTED not in result.output


def test_drift_enforcement_comes_from_the_config_per_tier(served: Served, desired: Path, tmp_path: Path) -> None:
    result = _drift(served, desired, tmp_path, "-f", "json", "--tier", "sandbox")
    document = json.loads(result.stdout)
    levels = {(f["rule_id"], f["enforcement"]) for f in document["findings"]}
    # sandbox defaults: missing info, the rest off (so no modified, unmanaged or hand-edit findings)
    assert levels == {("drift.missing", "info")}
    assert result.exit_code == 0


def test_a_bad_drift_section_is_one_line_and_exit_2(served: Served, desired: Path, tmp_path: Path) -> None:
    config = desired.parent / ".govscan.yaml"
    config.write_text("drift:\n  enforcment:\n    missing: warn\n")
    result = _drift(served, desired, tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"govscan: error: {config}:2: drift.enforcment: unknown key "
        "(allowed: enforcement, ignore, ignore_fields, kinds, namespaces)"
    )


def test_secret_data_is_not_compared_without_values_and_never_shown(tmp_path: Path) -> None:
    fake = FakeCluster()
    fake.add_yaml(NAMESPACE + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: smtp, namespace: erp-prod}\n"
                  f"data: {{password: {PLANTED}}}\n")  # fmt: skip
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: smtp, namespace: erp-prod}\nstringData: {password: Relay-2026-q3-7Hk}\n"
    )
    for served in serve(fake):
        kubeconfig = served.kubeconfig(tmp_path / "kubeconfig")
        runner = CliRunner()
        base = ["drift", str(desired), "--kubeconfig", str(kubeconfig), "--no-config", "-f", "json"]
        withheld = runner.invoke(app, base)
        # a rule that reads Secret values (Odoo's list_db may be set in one) and --read-secrets: values are read
        read = runner.invoke(app, [*base, "--read-secrets", "-r", "network.odoo-database-manager"])
    undecided = {(e["rule_id"], e["resource_uid"]): e["reason"] for e in json.loads(withheld.stdout)["not_evaluated"]}
    assert undecided[("drift.modified", "core/Secret/erp-prod/smtp")] == (
        "Secret data not compared: Secret values were not read (Secrets are listed as metadata only); "
        "pass --read-secrets to let the rules that need them judge"
    )
    messages = [(f["rule_id"], f["message"]) for f in json.loads(read.stdout)["findings"]]
    assert messages == [("drift.modified", "data.password: differs (values ***)")]
    for text in (withheld.output, read.output):
        assert PLANTED not in text and "Relay-2026-q3-7Hk" not in text


def test_only_fields_the_manifest_sets_are_compared() -> None:
    desired = {"spec": {"replicas": 2, "paused": False, "template": {"spec": {"containers": [
        {"name": "app", "image": "a:1", "args": ["--x"], "resources": {"limits": {"cpu": "1", "memory": "512Mi"}}},
    ]}}}}  # fmt: skip
    live = {"spec": {"replicas": 2, "progressDeadlineSeconds": 600, "template": {"spec": {"containers": [
        {"name": "sidecar", "image": "envoy:1"},
        {"name": "app", "image": "a:1", "args": ["--x"], "resources": {"limits": {"cpu": "1000m", "memory": "0.5Gi"}}},
    ]}}}}  # fmt: skip
    assert list(changes(desired, live)) == []
    live["spec"]["template"]["spec"]["containers"][1]["args"] = ["--y"]
    [change] = changes(desired, live)
    assert (change.pointer, change.label) == (
        "/spec/template/spec/containers/0/args",
        "spec.template.spec.containers[app].args",
    )
    assert quantity("500m") == quantity("0.5") and quantity("1Gi") == quantity(1073741824) and quantity("x1") is None


def test_a_kind_the_cluster_will_not_list_is_not_called_missing(desired: Path, tmp_path: Path) -> None:
    fake = FakeCluster()
    fake.add_yaml(LIVE)
    fake.forbidden.add(("policy", "poddisruptionbudgets"))
    for served in serve(fake):
        result = _drift(served, desired, tmp_path, "-f", "json", "--fail-on-incomplete", "--soft-fail")
    document = json.loads(result.stdout)
    assert result.exit_code == 3
    assert "policy/PodDisruptionBudget/erp-prod/odoo" not in {f["resource"]["uid"] for f in document["findings"]}
    reason = (
        "cannot list poddisruptionbudgets.policy in namespace erp-prod: 403 Forbidden: poddisruptionbudgets.policy "
        'is forbidden: User "system:serviceaccount:govscan:auditor" cannot list resource "poddisruptionbudgets" '
        'in API group "policy" in the namespace "erp-prod"'
    )
    undecided = {(e["rule_id"], e["resource_uid"]): e["reason"] for e in document["not_evaluated"]}
    assert {k: v for k, v in undecided.items() if k[1] == "policy/PodDisruptionBudget/erp-prod/*"} == {
        (rule, "policy/PodDisruptionBudget/erp-prod/*"): reason for rule in ("drift.missing", "drift.unmanaged",
                                                                              "drift.modified", "drift.hand-edit")
    }  # fmt: skip


def _valid_sarif(document: Any) -> None:
    import jsonschema

    schema_path = SHARED / "schemas" / "sarif-schema-2.1.0.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert sorted(str(e.message) for e in validator.iter_errors(document)) == []
