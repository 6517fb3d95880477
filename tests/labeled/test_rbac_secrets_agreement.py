"""Agreement of the rbac and secrets rules with Polaris and Kyverno labels, and no secret ever leaks.

| govscan rule                | Polaris check(s)                                                        | Kyverno policy (rules)                         |
|-----------------------------|-------------------------------------------------------------------------|------------------------------------------------|
| rbac.cluster-admin-binding  | clusterrolebindingClusterAdmin, rolebindingClusterAdminClusterRole,     | restrict-binding-clusteradmin                  |
|                             | rolebindingClusterAdminRole                                             |                                                |
| rbac.pods-exec              | clusterrolePodExecAttach, rolePodExecAttach,                            | -                                              |
|                             | clusterrolebindingPodExecAttach, rolebindingClusterRolePodExecAttach,   |                                                |
|                             | rolebindingRolePodExecAttach                                            |                                                |
| rbac.automount-token        | automountServiceAccountToken                                            | restrict-automount-sa-token                    |
| rbac.wildcard               | -                                                                       | restrict-wildcard-verbs (findings on `verbs`), |
|                             |                                                                         | restrict-wildcard-resources (on `resources`)   |
| rbac.escalation-verbs       | -                                                                       | restrict-escalation-verbs-roles                |
| rbac.secrets-read           | -                                                                       | restrict-secret-role-verbs                     |
| rbac.anonymous              | -                                                                       | restrict-binding-system-groups                 |
|                             |                                                                         | (restrict-anonymous, restrict-unauthenticated) |
| secrets.configmap-literal   | sensitiveConfigmapContent                                               | -                                              |
| secrets.env-literal         | sensitiveContainerEnvVar                                                | disallow-secrets-from-env-vars (disagrees)     |

Polaris: a failure file must get at least one finding of the mapped rule, a success file none.
Kyverno: a resource labelled fail gets a finding, pass gets none (matched by kind and name); skip is ignored.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govscan import reporters
from govscan.scanner.config import Config
from govscan.scanner.engine import ScanRequest, scan
from govscan.scanner.model import Finding, ScanReport, Tier

POLARIS: dict[str, tuple[str, ...]] = {
    "rbac.cluster-admin-binding": (
        "clusterrolebindingClusterAdmin",
        "rolebindingClusterAdminClusterRole",
        "rolebindingClusterAdminRole",
    ),
    "rbac.pods-exec": (
        "clusterrolePodExecAttach",
        "rolePodExecAttach",
        "clusterrolebindingPodExecAttach",
        "rolebindingClusterRolePodExecAttach",
        "rolebindingRolePodExecAttach",
    ),
    "rbac.automount-token": ("automountServiceAccountToken",),
    "secrets.configmap-literal": ("sensitiveConfigmapContent",),
    "secrets.env-literal": ("sensitiveContainerEnvVar",),
}

# (govscan rule, Kyverno policy folder, Kyverno rule names or None for all, field the message must name)
KYVERNO: tuple[tuple[str, str, tuple[str, ...] | None, str | None], ...] = (
    ("rbac.wildcard", "restrict-wildcard-verbs", None, "verbs"),
    ("rbac.wildcard", "restrict-wildcard-resources", None, "resources"),
    ("rbac.escalation-verbs", "restrict-escalation-verbs-roles", None, None),
    ("rbac.cluster-admin-binding", "restrict-binding-clusteradmin", None, None),
    ("rbac.secrets-read", "restrict-secret-role-verbs", None, None),
    ("rbac.automount-token", "restrict-automount-sa-token", None, None),
    ("rbac.anonymous", "restrict-binding-system-groups", ("restrict-anonymous", "restrict-unauthenticated"), None),
    ("secrets.env-literal", "disallow-secrets-from-env-vars", None, None),
)

_NAME_EXEMPTION = "Polaris exempts bindings/roles by their own name (system:*, gce:...calico-sa); a name is "
_NAME_EXEMPTION += "chosen by whoever writes the manifest, so we judge subjects and grants instead"

POLARIS_DISAGREE: dict[str, str] = {
    # cluster-admin-binding: name-based exemptions of the binding itself
    "clusterrolebindingClusterAdmin/success.gce_calico_binding.yaml": _NAME_EXEMPTION,
    "clusterrolebindingClusterAdmin/success.system_prefix_binding.yaml": _NAME_EXEMPTION,
    "rolebindingClusterAdminClusterRole/success.gce_calico_binding.yaml": _NAME_EXEMPTION,
    "rolebindingClusterAdminClusterRole/success.system_prefix_binding.yaml": _NAME_EXEMPTION,
    "rolebindingClusterAdminRole/success.gce_calico_binding.yaml": _NAME_EXEMPTION,
    "rolebindingClusterAdminRole/success.system_prefix_binding.yaml": _NAME_EXEMPTION,
    # pods-exec judges the Role/ClusterRole that grants exec, not the binding's name
    "clusterrolePodExecAttach/success.gce_calico_clusterrole.yaml": _NAME_EXEMPTION,
    "rolePodExecAttach/success.gce_calico_binding.yaml": _NAME_EXEMPTION,
    "clusterrolebindingPodExecAttach/success.gce_calico_binding.yaml": _NAME_EXEMPTION,
    "clusterrolebindingPodExecAttach/success.system_prefix_binding.yaml": _NAME_EXEMPTION,
    "rolebindingClusterRolePodExecAttach/success.gce_calico_binding.yaml": _NAME_EXEMPTION,
    "rolebindingClusterRolePodExecAttach/success.system_prefix_binding.yaml": _NAME_EXEMPTION,
    "rolebindingRolePodExecAttach/success.gce_calico_binding.yaml": _NAME_EXEMPTION,
    "rolebindingRolePodExecAttach/success.system_prefix_binding.yaml": _NAME_EXEMPTION,
    "rolebindingRolePodExecAttach/success.role_binding_cluster_role_binding.yaml": "the ClusterRole in the file "
    "grants exec; Polaris' Role-only check ignores it, our role-level rule flags it (as clusterrolePodExecAttach would)",
    "clusterrolebindingPodExecAttach/failure.binding_points_to_missing_ref.yaml": "a role outside the scan is "
    "unknown; we do not guess what it grants",
    "rolebindingClusterRolePodExecAttach/failure.binding_points_to_missing_ref.yaml": "a role outside the scan is "
    "unknown; we do not guess what it grants",
    "rolebindingRolePodExecAttach/failure.binding_points_to_missing_ref.yaml": "a role outside the scan is unknown; "
    "we do not guess what it grants",
    "clusterrolebindingPodExecAttach/failure.binding_to_system_prefix.yaml": "system:-named roles are reserved for "
    "Kubernetes and treated as its defaults (option include_default_roles flags them)",
    "rolebindingClusterRolePodExecAttach/failure.binding_to_system_prefix.yaml": "system:-named roles are reserved "
    "for Kubernetes and treated as its defaults (option include_default_roles flags them)",
    "rolebindingRolePodExecAttach/failure.binding_to_system_prefix.yaml": "system:-named roles are reserved for "
    "Kubernetes and treated as its defaults (option include_default_roles flags them)",
    # configmap-literal: the only sensitive key holds the placeholder "xxxxx"
    "sensitiveConfigmapContent/failure.key_aws_secret_access_key.yaml": "value xxxxx is a placeholder, not a secret",
    "sensitiveConfigmapContent/failure.key_azure_batch_key.yaml": "value xxxxx is a placeholder, not a secret",
    "sensitiveConfigmapContent/failure.key_oci_cli_key_content.yaml": "value xxxxx is a placeholder, not a secret",
}

KYVERNO_DISAGREE: dict[tuple[str, str, str], str] = {
    ("restrict-binding-clusteradmin", "RoleBinding", "badrb01"): "roleRef is a namespaced Role that happens to be "
    "named cluster-admin, not the ClusterRole; it is only flagged when the scan shows it grants everything",
    ("restrict-binding-clusteradmin", "RoleBinding", "badrb02"): "same: a Role named cluster-admin, not the "
    "ClusterRole",
    ("disallow-secrets-from-env-vars", "Pod", "secret-env-pod"): "Kyverno bans secretKeyRef env vars; valueFrom "
    "is exactly what secrets.env-literal recommends over literals",
    ("disallow-secrets-from-env-vars", "Pod", "secret-ref-pod"): "Kyverno bans envFrom secretRef; a reference is "
    "not a literal secret",
}


def _scan(paths: list[Path], rule_id: str) -> ScanReport:
    request = ScanRequest(
        targets=tuple(str(p) for p in paths), config=Config(), tier=Tier.PRODUCTION, rule_patterns=(rule_id,)
    )
    return scan(request)


def _findings(report: ScanReport, rule_id: str) -> list[Finding]:
    errors = [f for f in report.findings if f.rule_id in ("govscan.rule-error", "govscan.input-error")]
    assert not errors, [f.message for f in errors]
    return [f for f in report.findings if f.rule_id == rule_id]


def _polaris_cases(corpus: Path) -> list[tuple[str, str, bool]]:
    index = json.loads((corpus / "labeled/polaris/INDEX.json").read_text())["checks"]
    cases = []
    for rule_id, checks in POLARIS.items():
        for check in checks:
            for label in ("success", "failure"):
                for file in index[check][label]:
                    cases.append((rule_id, file, label == "failure"))
    return cases


def test_polaris_agreement(corpus: Path) -> None:
    problems = []
    for rule_id, file, should_fail in _polaris_cases(corpus):
        found = _findings(_scan([corpus / "labeled/polaris" / file], rule_id), rule_id)
        key = file.removeprefix("checks/")
        agrees = bool(found) == should_fail
        if key in POLARIS_DISAGREE:
            assert not agrees, f"{key} now agrees with Polaris: drop it from POLARIS_DISAGREE"
        elif not agrees:
            problems.append(f"{rule_id} on {key}: expected {'a finding' if should_fail else 'none'}, got {found}")
    assert not problems, "\n".join(problems)


def _kyverno_files(corpus: Path, entry: dict) -> list[Path]:
    test_dir = corpus / "labeled/kyverno" / entry["policy_dir"] / Path(entry["kyverno_test"]["file"]).parent
    files = []
    for name in entry["kyverno_test"]["resource_files"]:
        relative = name.removeprefix("kyverno-test/").replace(".chainsaw-test", "chainsaw-test")
        files.append((test_dir / relative).resolve())
    return files


def test_kyverno_agreement(corpus: Path) -> None:
    index = {
        e["policy_dir"].rsplit("/", 1)[-1]: e for e in json.loads((corpus / "labeled/kyverno/INDEX.json").read_text())
    }
    problems = []
    for rule_id, policy, kyverno_rules, field in KYVERNO:
        entry = index[policy]
        found = _findings(_scan(_kyverno_files(corpus, entry), rule_id), rule_id)
        if field:
            found = [f for f in found if field in f.message.rsplit(" in ", 1)[-1]]
        flagged = {(f.resource.kind, f.resource.name) for f in found}
        labels: dict[tuple[str, str], set[str]] = {}
        for result in entry["kyverno_test"]["results"]:
            if kyverno_rules and result["rule"] not in kyverno_rules:
                continue
            key = (result["kind"], result["resource"].rsplit("/", 1)[-1])
            labels.setdefault(key, set()).add(result["result"])
        assert labels, f"no labels for {policy}"
        for (kind, name), results in sorted(labels.items()):
            if results == {"skip"}:
                continue
            should_fail = "fail" in results
            agrees = ((kind, name) in flagged) == should_fail
            if (policy, kind, name) in KYVERNO_DISAGREE:
                assert not agrees, f"{policy} {kind}/{name} now agrees: drop it from KYVERNO_DISAGREE"
            elif not agrees:
                problems.append(f"{rule_id} vs {policy}: {kind}/{name} labelled {sorted(results)}")
    assert not problems, "\n".join(problems)


PLANTED = {
    "env": "Zq8!envPlantedValue-7731",
    "env_pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIEpQIBAAKCAQEAplantedPemBody4242\n-----END RSA PRIVATE KEY-----",
    "configmap": "Cm9#plantedConfigValue-5521",
    "odoo_conf": "OdooPlantedAdminPw-9090",
    "arg": "ArgPlantedFlagValue-3141",
    "annotation": "AnnPlantedTokenValue-2718",
    "secret": "SecretPlantedStringData-1618",
    "crd_token": "ghp_PlantedGithubToken0123456789abcdefABCD",
    "url_password": "UrlPlantedPw-6626",
}


def _manifest() -> str:
    p = PLANTED
    pem = "\n".join("                " + line for line in p["env_pem"].splitlines())
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: odoo-web
  namespace: erp-prod
  annotations:
    erp.example.com/api-token: "{p["annotation"]}"
spec:
  replicas: 2
  selector:
    matchLabels: {{app: odoo}}
  template:
    metadata:
      labels: {{app: odoo}}
    spec:
      containers:
        - name: odoo
          image: odoo:17.0
          args: ["--db_password={p["arg"]}"]
          env:
            - name: DB_PASSWORD
              value: "{p["env"]}"
            - name: SSH_KEY_MATERIAL
              value: |
{pem}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: odoo-config
  namespace: erp-prod
data:
  REDIS_PASSWORD: "{p["configmap"]}"
  odoo.conf: |
    [options]
    admin_passwd = {p["odoo_conf"]}
---
apiVersion: v1
kind: Secret
metadata:
  name: odoo-db
  namespace: erp-prod
stringData:
  password: "{p["secret"]}"
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: odoo
  namespace: argocd
spec:
  source:
    repoURL: https://ci:{p["crd_token"]}@github.com/acme/erp.git
    helm:
      values: |
        backupUrl: s3://velero:{p["url_password"]}@minio.velero.svc:9000/erp
"""


def test_no_secret_value_in_messages(tmp_path: Path) -> None:
    manifest = tmp_path / "planted.yaml"
    manifest.write_text(_manifest(), encoding="utf-8")
    report = scan(
        ScanRequest(targets=(str(manifest),), config=Config(), tier=Tier.PRODUCTION, rule_patterns=("secrets.*",))
    )
    fired = {f.rule_id for f in report.findings}
    assert {
        "secrets.env-literal",
        "secrets.configmap-literal",
        "secrets.args-literal",
        "secrets.committed-secret",
        "secrets.credential-pattern",
    } <= fired, sorted(fired)
    needles = [v for v in PLANTED.values()] + ["plantedPemBody4242"]
    for finding in report.findings:
        for needle in needles:
            assert needle not in finding.message, f"{finding.rule_id} leaks a value: {finding.message}"
            assert needle not in finding.remediation and needle not in finding.title
    for fmt in ("json", "sarif", "junit", "codequality", "table"):
        rendered = reporters.render(fmt, report)
        for needle in needles:
            assert needle not in rendered, f"{fmt} output contains a planted secret value"


@pytest.mark.parametrize("rule_id", sorted(POLARIS))
def test_mapped_rules_exist(rule_id: str) -> None:
    from govscan.scanner.registry import rule_by_id

    assert rule_by_id(rule_id).meta.domain in ("rbac", "secrets")
