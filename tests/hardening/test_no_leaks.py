"""No leaks: secret values planted in manifests, plans, previews, state and broken files never appear
in any report format, on stdout or stderr, or in an error message (rule crashes included)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

from hardening import FORMATS, govscan, report_args, scan_here

from govscan import reporters
from govscan.scanner.model import Resource, Rule, RuleMeta, Severity, Violation, enforcement_table
from govscan.scanner.registry import builtin_rules

SECRETS = {
    "k8s-data": "S3cr3t-k8s-data-9f2a",
    "k8s-string-data": "S3cr3t-k8s-stringdata-41c7",
    "env": "S3cr3t-env-value-77d1",
    "args": "S3cr3t-args-value-0b3e",
    "odoo": "S3cr3t-odoo-admin-5e90",
    "token": "ghp_S3cr3tT0kenAbCdEfGhIjKlMnOpQrStUvWx12",
    "tf-sensitive": "S3cr3t-tf-sensitive-a18c",
    "tf-literal": "S3cr3t-tf-literal-66fe",
    "ssm": "S3cr3t-ssm-value-3d2b",
    "pulumi-plaintext": "S3cr3t-pulumi-plaintext-c4e1",
    "malformed": "S3cr3t-malformed-line-8a0d",
    "tagged": "S3cr3t-tagged-int-2f5c",
    "mapping": "S3cr3t-mapping-error-91ab",
    "crash": "S3cr3t-rule-crash-e7c3",
}
PULUMI_SIG = "4dabf18193072939515e22adb298388d"


def forms(secret: str) -> list[str]:
    """The value and its base64 (how a Secret's data holds it)."""
    return [secret, base64.b64encode(secret.encode()).decode()]


def plant(root: Path) -> None:
    s = SECRETS
    k8s = root / "k8s"
    k8s.mkdir(parents=True)
    data = base64.b64encode(s["k8s-data"].encode()).decode()
    (k8s / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: odoo-db\n  namespace: erp-prod\ntype: Opaque\n"
        f"data:\n  password: {data}\nstringData:\n  token: {s['k8s-string-data']}\n"
    )
    (k8s / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: odoo\n  namespace: erp-prod\n"
        "spec:\n  replicas: 2\n  selector:\n    matchLabels: {app: odoo}\n  template:\n    metadata:\n"
        "      labels: {app: odoo}\n    spec:\n      containers:\n        - name: odoo\n          image: odoo:17.0\n"
        f"          args: ['--db_password={s['args']}']\n"
        f"          env:\n            - name: DB_PASSWORD\n              value: {s['env']}\n"
    )
    (k8s / "app.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: erp\n  namespace: argocd\n"
        f"spec:\n  source:\n    repoURL: https://ci:{s['token']}@github.com/acme/erp.git\n"
    )
    (k8s / "config.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: odoo-conf\n  namespace: erp-prod\ndata:\n"
        f"  odoo.conf: |\n    [options]\n    admin_passwd = {s['odoo']}\n"
    )
    broken = root / "broken"
    broken.mkdir()
    (broken / "unterminated.yaml").write_text(
        f'apiVersion: v1\nkind: Secret\nstringData:\n  password: "{s["malformed"]}\n'
    )
    (broken / "tagged.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\ndata:\n  password: !!int {s['tagged']}\n")
    (broken / "mapping.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\ndata:\n  password: {s['mapping']}: x\n")
    (broken / "latin1.yaml").write_bytes(
        f"apiVersion: v1\nkind: ConfigMap\ndata:\n  pw: {s['malformed']}\xe9\n".encode("latin-1")
    )
    changes = [
        {
            "address": "aws_db_instance.erp",
            "mode": "managed",
            "type": "aws_db_instance",
            "name": "erp",
            "change": {
                "actions": ["create"],
                "after": {"identifier": "erp", "engine": "postgres", "password": s["tf-sensitive"],
                          "tags": {"Environment": "production"}},
                "after_sensitive": {"password": True},
            },
        },
        {
            "address": "aws_db_instance.reporting",
            "mode": "managed",
            "type": "aws_db_instance",
            "name": "reporting",
            "change": {"actions": ["create"], "after": {"identifier": "reporting", "engine": "postgres",
                       "password": s["tf-literal"], "tags": {"Environment": "production"}}},
        },
        {
            "address": "aws_ssm_parameter.db",
            "mode": "managed",
            "type": "aws_ssm_parameter",
            "name": "db",
            "change": {"actions": ["create"], "after": {"name": "/erp/db/password", "type": "String",
                       "value": s["ssm"], "tags": {"Environment": "production"}}},
        },
    ]  # fmt: skip
    (root / "plan.json").write_text(json.dumps({"format_version": "1.2", "resource_changes": changes}, indent=2))
    secret = {PULUMI_SIG: "1b47061264138c4ac30d75fd1eb44270", "plaintext": json.dumps(s["pulumi-plaintext"])}
    state = {
        "version": 3,
        "deployment": {
            "resources": [
                {
                    "urn": "urn:pulumi:prod::erp::aws:rds/instance:Instance::erp-db",
                    "custom": True,
                    "type": "aws:rds/instance:Instance",
                    "inputs": {"identifier": "erp", "engine": "postgres", "password": secret,
                               "tags": {"Environment": "production"}},
                    "outputs": {"password": secret},
                }
            ]
        },
    }  # fmt: skip
    (root / "state.json").write_text(json.dumps(state, indent=2))


def leaks(text: str) -> list[str]:
    return [name for name, secret in SECRETS.items() for form in forms(secret) if form in text]


def test_no_planted_secret_reaches_any_report_stdout_or_stderr(tmp_path: Path) -> None:
    plant(tmp_path / "tree")
    out = tmp_path / "out"
    out.mkdir()
    result = govscan("scan", "tree", "--no-config", "-q", *report_args(out), cwd=tmp_path)
    assert result.returncode == 2  # the broken files are input errors
    texts = {fmt: (out / f"report.{fmt}").read_text() for fmt in FORMATS}
    for fmt, text in texts.items():
        assert leaks(text) == [], fmt
    assert leaks(result.stdout + result.stderr) == []
    # the secrets were found (by key, with ***), and the broken files were reported by line
    document = json.loads(texts["json"])
    found = {(f["rule_id"], f["location"]["file"]) for f in document["findings"]}
    assert {
        ("secrets.committed-secret", "tree/k8s/secret.yaml"),
        ("secrets.env-literal", "tree/k8s/deploy.yaml"),
        ("secrets.args-literal", "tree/k8s/deploy.yaml"),
        ("secrets.credential-pattern", "tree/k8s/app.yaml"),
        ("secrets.configmap-literal", "tree/k8s/config.yaml"),
        ("secrets.cloud-literal-password", "tree/plan.json"),
        ("secrets.ssm-plain-secret", "tree/plan.json"),
    } <= found
    errors = sorted(
        (f["location"]["file"], f["location"]["line"])
        for f in document["findings"]
        if f["rule_id"] == "govscan.input-error"
    )
    assert errors == [
        ("tree/broken/latin1.yaml", 4),
        ("tree/broken/mapping.yaml", 4),
        ("tree/broken/tagged.yaml", 4),
        ("tree/broken/unterminated.yaml", 5),
    ]


def _crashes_on_the_value(resource: Resource, ctx: object, options: object) -> Iterator[Violation]:
    value = resource.body.get("data", {}).get("password", "")
    int(value)  # ValueError: invalid literal for int() with base 10: '<the secret>'
    yield Violation("unreachable")


def test_a_rule_crash_on_a_secret_value_reports_the_crash_site_not_the_value(tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: erp\ndata:\n  password: {SECRETS['crash']}\n"
    )
    meta = RuleMeta(
        id="test.crash",
        domain="secrets",
        title="crashes",
        severity=Severity.LOW,
        enforcement=enforcement_table("block", "block", "block", "block", "block"),
        remediation="none",
        kinds=("ConfigMap",),
    )
    rules = [*builtin_rules(), Rule(meta, _crashes_on_the_value, "doc", "tests")]
    report = scan_here(tmp_path, "cm.yaml", rules=rules)
    [crash] = [f for f in report.findings if f.rule_id == "govscan.rule-error"]
    line = _crashes_on_the_value.__code__.co_firstlineno + 2
    assert crash.message == f"rule test.crash crashed: ValueError at tests/hardening/test_no_leaks.py:{line}"
    for fmt in FORMATS:
        assert leaks(reporters.render(fmt, report)) == [], fmt


def test_secrets_in_a_pulumi_preview_and_sensitive_plan_values_never_reach_a_rule(tmp_path: Path) -> None:
    plant(tmp_path)
    report = scan_here(tmp_path, "plan.json", "state.json")
    messages = " ".join(f.message for f in report.findings)
    assert leaks(messages) == []
    assert any("***" in f.message for f in report.findings if f.rule_id == "secrets.cloud-literal-password")
