"""deploy/: the nightly audit a team applies. Least privilege derived from the rule pack, a CronJob that
is safe to run, and govscan's own production rules find nothing blocking in it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import typer
import yaml
from typer.testing import CliRunner

from govscan.scanner.cli import app
from govscan.scanner.config import Config
from govscan.scanner.engine import select_rules
from govscan.scanner.live import needed_kinds
from govscan.scanner.model import Platform
from govscan.scanner.registry import builtin_rules

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"

OPSTREE = "redis.redis.opstreelabs.in"
RESOURCES: dict[str, set[tuple[str, str]]] = {
    "Namespace": {("", "namespaces")},
    "ConfigMap": {("", "configmaps")},
    "Secret": {("", "secrets")},
    "Service": {("", "services")},
    "ServiceAccount": {("", "serviceaccounts")},
    "Pod": {("", "pods")},
    "PodTemplate": {("", "podtemplates")},
    "ReplicationController": {("", "replicationcontrollers")},
    "PersistentVolumeClaim": {("", "persistentvolumeclaims")},
    "ResourceQuota": {("", "resourcequotas")},
    "LimitRange": {("", "limitranges")},
    "Deployment": {("apps", "deployments")},
    "StatefulSet": {("apps", "statefulsets")},
    "DaemonSet": {("apps", "daemonsets")},
    "ReplicaSet": {("apps", "replicasets")},
    "Job": {("batch", "jobs")},
    "CronJob": {("batch", "cronjobs")},
    "HorizontalPodAutoscaler": {("autoscaling", "horizontalpodautoscalers")},
    "PodDisruptionBudget": {("policy", "poddisruptionbudgets")},
    "Ingress": {("networking.k8s.io", "ingresses")},
    "NetworkPolicy": {("networking.k8s.io", "networkpolicies")},
    "Role": {("rbac.authorization.k8s.io", "roles")},
    "RoleBinding": {("rbac.authorization.k8s.io", "rolebindings")},
    "ClusterRole": {("rbac.authorization.k8s.io", "clusterroles")},
    "ClusterRoleBinding": {("rbac.authorization.k8s.io", "clusterrolebindings")},
    "Rollout": {("argoproj.io", "rollouts")},
    "Cluster": {("postgresql.cnpg.io", "clusters")},
    "ScheduledBackup": {("postgresql.cnpg.io", "scheduledbackups")},
    "ObjectStore": {("barmancloud.cnpg.io", "objectstores")},
    "postgresql": {("acid.zalan.do", "postgresqls")},
    "Schedule": {("velero.io", "schedules")},
    "BackupStorageLocation": {("velero.io", "backupstoragelocations")},
    "ExternalSecret": {("external-secrets.io", "externalsecrets")},
    "ClusterExternalSecret": {("external-secrets.io", "clusterexternalsecrets")},
    "IngressRoute": {("traefik.io", "ingressroutes"), ("traefik.containo.us", "ingressroutes")},
    "Middleware": {("traefik.io", "middlewares"), ("traefik.containo.us", "middlewares")},
    "PodMonitor": {("monitoring.coreos.com", "podmonitors")},
    "ServiceMonitor": {("monitoring.coreos.com", "servicemonitors")},
    "VMPodScrape": {("operator.victoriametrics.com", "vmpodscrapes")},
    "VMServiceScrape": {("operator.victoriametrics.com", "vmservicescrapes")},
    "ScaledObject": {("keda.sh", "scaledobjects")},
    "Redis": {(OPSTREE, "redis"), ("kubedb.com", "redises")},
    "RedisCluster": {(OPSTREE, "redisclusters")},
    "RedisReplication": {(OPSTREE, "redisreplications")},
    "RedisFailover": {("databases.spotahome.com", "redisfailovers")},
}
"""Where each kind a rule names is served (group, plural), for the kinds the rule pack knows."""
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "ClusterExternalSecret"}


def _documents(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]


def _cronjob() -> dict[str, Any]:
    [cronjob] = _documents("cronjob.yaml")
    return cronjob


def _script() -> str:
    container = _cronjob()["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    return str(container["args"][0])


def _skip_flags() -> str:
    return re.search(r'skip="([^"]*)"', _script()).group(1)  # type: ignore[union-attr]


def _skipped_by_cronjob() -> list[str]:
    return re.findall(r"--skip-rule ([\w.-]+)", _script())


def _granted(rules: list[dict[str, Any]]) -> set[tuple[str, str]]:
    granted = set()
    for rule in rules:
        assert sorted(rule["verbs"]) == ["get", "list"], rule
        assert "*" not in rule["apiGroups"] and "*" not in rule["resources"], rule
        assert not rule.get("resourceNames"), rule
        granted |= {(group, resource) for group in rule["apiGroups"] for resource in rule["resources"]}
    return granted


def _needed(cluster_scoped: bool = True) -> set[tuple[str, str]]:
    rules = [r for r in builtin_rules() if Platform.K8S in r.meta.platforms]
    audited = select_rules(rules, (), _skipped_by_cronjob(), ())
    kinds = needed_kinds(audited, Config())
    unknown = kinds - set(RESOURCES)
    assert not unknown, f"a rule reads {sorted(unknown)}: add its group/plural here and to deploy/*role.yaml"
    return {r for kind in kinds if cluster_scoped or kind not in CLUSTER_SCOPED for r in RESOURCES[kind]}


def test_the_cluster_role_grants_get_and_list_on_exactly_what_the_rules_read() -> None:
    [role] = _documents("clusterrole.yaml")
    granted = _granted(role["rules"])
    assert ("", "secrets") not in granted
    assert granted == _needed()


def test_the_namespaced_role_grants_the_same_inside_one_namespace() -> None:
    role, binding = _documents("namespaced/role.yaml")
    assert (role["kind"], binding["kind"], binding["roleRef"]["kind"]) == ("Role", "RoleBinding", "Role")
    assert role["metadata"]["namespace"] == binding["metadata"]["namespace"] == "erp-prod"
    assert _granted(role["rules"]) == _needed(cluster_scoped=False)
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "govscan-audit", "namespace": "govscan-audit"}]


def test_the_cronjob_skips_exactly_the_rules_that_would_need_secrets() -> None:
    readers = sorted(r.id for r in builtin_rules() if "Secret" in r.meta.kinds or "Secret" in r.meta.needs)
    assert sorted(_skipped_by_cronjob()) == readers == ["network.odoo-database-manager", "secrets.committed-secret"]


def test_the_cronjob_runs_safely_and_writes_json_and_sarif_to_the_reports_volume() -> None:
    cronjob = _cronjob()
    assert (cronjob["apiVersion"], cronjob["kind"]) == ("batch/v1", "CronJob")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    [binding] = _documents("clusterrolebinding.yaml")
    [account] = _documents("serviceaccount.yaml")
    assert pod["serviceAccountName"] == account["metadata"]["name"] == binding["subjects"][0]["name"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    [container] = pod["containers"]
    assert container["securityContext"] == {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert set(container["resources"]) == {"requests", "limits"}
    assert set(container["resources"]["requests"]) == {"cpu", "memory"} and "memory" in container["resources"]["limits"]
    assert re.search(r"@sha256:[0-9a-f]{64}$", container["image"])
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    [pvc] = _documents("reports-pvc.yaml")
    assert mounts["reports"] == "/reports"
    assert volumes["reports"]["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
    script = _script()
    for command, name in (("cluster", "cluster"), ("drift", "drift")):
        assert f'-f json -o "$out/{name}.json" -f sarif -o "$out/{name}.sarif"' in script, command
    assert 'out="/reports/$(date -u +%Y-%m-%d)"' in script


def test_every_flag_the_cronjob_passes_exists() -> None:
    commands: dict[str, Any] = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    cluster, drift = commands["cluster"], commands["drift"]
    for line in re.findall(r"govscan (cluster|drift) ((?:[^\n\\]|\\\n)*)", _script()):  # with continued lines
        which, rest = line
        params = cluster.params if which == "cluster" else drift.params
        known = {opt for p in params for opt in p.opts}
        flags = set(re.findall(r"(?<!\S)(-{1,2}[a-zA-Z][\w-]*)", rest.replace("$skip", _skip_flags())))
        assert {"--in-cluster", "-f", "-o", "--skip-rule"} <= flags <= known, (which, sorted(flags - known))


def test_govscan_production_rules_find_nothing_blocking_in_deploy() -> None:
    result = CliRunner().invoke(app, ["scan", str(DEPLOY), "--tier", "production", "-f", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"]["blocking"] == 0 and report["summary"]["by_enforcement"]["block"] == 0
    assert report["summary"]["resources"] == 14
    # what remains is a warning no manifest can settle: a restore drill has to happen first
    assert [(f["rule_id"], f["enforcement"]) for f in report["findings"]] == [("backup.restore-test", "warn")]
