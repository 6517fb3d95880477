"""Fail closed: an unknown rule, domain, tier or format anywhere is exit 2 with one line naming where
(file:line for config and inputs), never a silently empty filter; zero resources is exit 2;
not-evaluated checks are counted in every format and `--fail-on-incomplete` turns them into exit 3."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hardening import HOSTILE, report_args, scan_here, tool_findings
from typer.testing import CliRunner

from govscan import reporters
from govscan.scanner.cli import app
from govscan.scanner.config import build_config, load_config
from govscan.scanner.engine import ScanRequest, scan
from govscan.scanner.errors import ConfigError
from govscan.scanner.model import Tier

DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: odoo\n  namespace: erp\nspec:\n  replicas: 3\n"


def cli(*args: str, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    """The real CLI in this process (fast): exit code, stdout, stderr."""
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("scan", ".", "--rule", "ha.replica"),
            "no rule matches 'ha.replica'; `govscan rules list` shows every rule id",
        ),
        (("scan", ".", "--rule", "nope.*"), "no rule matches 'nope.*'; `govscan rules list` shows every rule id"),
        (
            ("scan", ".", "--skip-rule", "ha.nope*"),
            "no rule matches 'ha.nope*'; `govscan rules list` shows every rule id",
        ),
        (("scan", ".", "--domain", "hA"), "unknown domain 'hA'; known domains: "),
        (
            ("scan", ".", "--tier", "prodd"),
            "--tier: unknown tier 'prodd'; choose production, staging, qa, development or sandbox",
        ),
        (
            ("scan", ".", "-f", "sarif2"),
            "unknown format 'sarif2'; choose one of: table, json, sarif, junit, codequality",
        ),
        (("scan", ".", "--fail-on", "off"), "--fail-on: 'off' is not one of block, warn, info"),
        (("scan", ".", "--max-file-size", "0"), "--max-file-size: '0' must be at least 1 byte (e.g. 32M)"),
        (("scan", ".", "--max-file-size", "-5M"), "--max-file-size: '-5M' must be at least 1 byte (e.g. 32M)"),
        (("scan", ".", "--max-file-size", "1e999M"), "--max-file-size: '1e999M' is not a size (e.g. 32M)"),
        (("rules", "list", "--domain", "nope"), "unknown domain 'nope'; known domains: "),
        (("rules", "show", "ha.nope"), "unknown rule"),
    ],
)
def test_unknown_names_in_flags_are_exit_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "app.yaml").write_text(DEPLOYMENT)
    extra = ("--no-config",) if args[0] == "scan" else ()
    code, stdout, stderr = cli(*args, *extra, cwd=tmp_path, monkeypatch=monkeypatch)
    assert code == 2
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"govscan: error: {message}"), stderr
    assert not list(tmp_path.glob("report*"))


def test_rules_list_unknown_format_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, stderr = cli("rules", "list", "-f", "yaml", cwd=tmp_path, monkeypatch=monkeypatch)
    assert code == 2 and stderr.startswith("govscan: error: ") and "yaml" in stderr and len(stderr.splitlines()) == 1


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".govscan.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("rules:\n  ha.replicas: {enforcement: warn}\n  ha.replica:\n    enforcement: warn\n", 3,
         "rules.ha.replica: no such rule (see `govscan rules list`)"),
        ("rules:\n  'nope.*': {enabled: false}\n", 2, "rules.nope.*: no such rule (see `govscan rules list`)"),
        ("waivers:\n  - rule: ha.replicas\n    resource: a\n  - rule: ha.replica\n    resource: b\n", 4,
         "waivers: rule 'ha.replica' matches no rule (see `govscan rules list`)"),
        ("rules:\n  ha.replicas:\n    options: {min_replicas: {production: 3, prodd: 1}}\n", 2,
         "rules.ha.replicas.options.min_replicas: 'prodd' is not a tier (use production, staging, qa, development, sandbox or an alias)"),
        ("rules:\n  ha.replicas:\n    options: {min_replicas: {production: three}}\n", 2,
         "rules.ha.replicas.options.min_replicas.production: expected an integer, got a string"),
        ("rules:\n  encryption.bucket:\n    options: {kms_tiers: [production, prodd]}\n", 2,
         "rules.encryption.bucket.options.kms_tiers: 'prodd' is not a tier (use production, staging, qa, development, sandbox or an alias)"),
    ],
)  # fmt: skip
def test_config_names_that_match_nothing_are_exit_2_at_their_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        scan_here(tmp_path, "x.yaml", config=load_config(path))
    assert str(info.value) == f"{path}:{line}: {message}"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("default_tier: prodd\n", 1, "default_tier: 'prodd' is not one of ['production', 'staging', 'qa', 'development', 'sandbox']"),
        ("tiers:\n  namespaces:\n    '*-prod': prod\n", 3, "tiers.namespaces.*-prod: 'prod' is not one of"),
        ("waiver_policy:\n  forbid_annotation_waivers_in: [production, stagging]\n", 2,
         "waiver_policy.forbid_annotation_waivers_in.1: 'stagging' is not one of"),
        ("rules:\n  ha.replicas:\n    enforcement: {production: blok}\n", 3, "rules.ha.replicas.enforcement.production: 'blok' is not one of"),
        ("rules:\n  ha.replicas:\n    enforcement: {prodd: block}\n", 3, "rules.ha.replicas.enforcement: expected one of off, info, warn, block or a mapping of tier to level"),
        ("tiers:\n  aliases: {live: prodd}\n", 2, "tiers.aliases.live: 'prodd' is not one of"),
        ("tiers:\n  aliases: {production: sandbox}\n", 2, "tiers.aliases.production: 'production' already means production"),
        ("tiers:\n  aliases: {dev: production}\n", 2, "tiers.aliases.dev: 'dev' already means development"),
        ("default_tier: sandbox\ndefault_tier: production\n", 2, "default_tier: given twice; only one may stay"),
        ("rules:\n  ha.replicas: {enabled: false}\n  ha.replicas: {enabled: true}\n", 3, "rules.ha.replicas: given twice; only one may stay"),
        ("rules:\n  1: {enabled: false}\n", 2, "rules.1: keys must be text, not an integer"),
        ("extends: [missing.yaml]\n", 1, "extends: 'missing.yaml' is not a file"),
        ('extends: ["a\\0b"]\n', 1, "extends: 'a\\x00b' is not a file"),
        ("a: " + "[" * 200 + "]" * 200 + "\n", 1, "nesting deeper than 128 levels"),
    ],
)  # fmt: skip
def test_invalid_config_values_are_one_line_errors_at_their_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}:{line}: {message}")
    assert "\n" not in str(info.value)


def test_extends_chains_are_bounded(tmp_path: Path) -> None:
    for i in range(40):
        (tmp_path / f"p{i}.yaml").write_text(f"extends: [p{i + 1}.yaml]\n")
    (tmp_path / "p40.yaml").write_text("default_tier: qa\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "p0.yaml")
    assert str(info.value) == f"{tmp_path / 'p16.yaml'}: extends chains more than 16 files deep"


def test_a_config_too_big_to_be_real_is_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path, "settings:\n  blob: '" + "x" * (5 * 1024 * 1024) + "'\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: config is over 4 MiB; is this the right file?"


# ---- tier declarations in inputs -------------------------------------------------------------------


NOT_A_TIER = (
    "is not a tier: use production, staging, qa, development, sandbox or an alias (prod, stg, dev...), "
    "or map your own names under tiers.aliases in .govscan.yaml"
)


def test_unknown_tier_labels_annotations_and_namespace_labels_are_input_errors(tmp_path: Path) -> None:
    (tmp_path / "ns.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: erp\n  labels:\n    govscan.io/tier: Stagging\n"
    )
    (tmp_path / "app.yaml").write_text(
        DEPLOYMENT.replace("  namespace: erp\n", "  namespace: erp\n  annotations:\n    govscan.io/tier: ' '\n")
    )
    report = scan_here(tmp_path, ".", rule_patterns=("ha.replicas",))
    assert tool_findings(report) == [
        ("govscan.input-error", "app.yaml", 7, 5, f"govscan.io/tier annotation ' ' on Deployment/odoo {NOT_A_TIER}"),
        ("govscan.input-error", "ns.yaml", 6, 5, f"govscan.io/tier label 'Stagging' on Namespace/erp {NOT_A_TIER}"),
    ]
    assert report.gate.exit_code == 2
    assert report.gate.reason.startswith("app.yaml:7: govscan.io/tier annotation ' ' on Deployment/odoo is not a tier")
    forced = scan_here(tmp_path, ".", rule_patterns=("ha.replicas",), tier=Tier.STAGING)  # --tier decides alone
    assert not tool_findings(forced) and forced.gate.exit_code == 0


def test_config_aliases_map_your_own_tier_names_in_labels_tags_and_workspaces(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(
        DEPLOYMENT.replace("  namespace: erp\n", "  namespace: erp\n  labels:\n    govscan.io/tier: Live\n")
    )
    config = build_config({"tiers": {"aliases": {"live": "production", "SB": "sandbox"}}}, "t")
    report = scan_here(tmp_path, "app.yaml", rule_patterns=("ha.replicas",), config=config)
    assert not tool_findings(report)
    assert [(e.rule_id, e.tier) for e in report.evaluations] == [("ha.replicas", Tier.PRODUCTION)]
    plan = json.loads((HOSTILE / "plan-tier-typo.json").read_text())
    plan["resource_changes"][0]["change"]["after"]["tags"]["Environment"] = "sb"
    (tmp_path / "plan.json").write_text(json.dumps(plan, indent=2))
    report = scan_here(tmp_path, "plan.json", rule_patterns=("ha.db-multi-az",), config=config)
    assert not tool_findings(report)
    assert [(e.rule_id, e.tier) for e in report.evaluations] == []  # ha.db-multi-az is off in sandbox


def test_the_corpus_plans_own_tag_values_fail_closed_until_mapped(corpus: Path) -> None:
    report = scan(ScanRequest(targets=(str(corpus / "tf-plans"),), config=build_config({}, "t"), cwd=corpus, jobs=1))
    tagged = sorted(
        {(f.location.path, f.message.split(" on ")[0]) for f in report.findings if f.rule_id == "govscan.input-error"}
    )
    assert tagged == [
        ("tf-plans/checkov/runner_plan_55_resources.json", "tag Environment '123456789123-acme-corp'"),
        ("tf-plans/terraform-compliance/test_issue-249.plan.json", "tag Environment 'SB'"),
    ]


# ---- nothing to judge ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({"empty.yaml": ""}, "nothing to scan: no Kubernetes resources found in the inputs"),
        ({"values.yaml": "replicaCount: 2\n", "kustomization.yaml": "resources: [a.yaml]\n"},
         "nothing to scan: no Kubernetes resources found in the inputs"),
        ({"plan.json": '{"format_version": "1.2", "terraform_version": "1.9.5", "resource_changes": []}'},
         "nothing to scan: no Kubernetes resources found in the inputs"),
        ({"list.yaml": "apiVersion: v1\nkind: List\nitems: []\n"}, "nothing to scan: no Kubernetes resources found in the inputs"),
    ],
)  # fmt: skip
def test_zero_resources_is_exit_2_never_a_pass(tmp_path: Path, files: dict[str, str], reason: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    report = scan_here(tmp_path, ".")
    assert (report.gate.exit_code, report.gate.verdict, report.gate.reason) == (2, "error", reason)


# ---- not evaluated is never a pass -------------------------------------------------------------------

UNKNOWN_PLAN = {
    "format_version": "1.2",
    "terraform_version": "1.9.5",
    "resource_changes": [
        {
            "address": "aws_db_instance.erp",
            "mode": "managed",
            "type": "aws_db_instance",
            "name": "erp",
            "change": {
                "actions": ["create"],
                "after": {"identifier": "erp", "engine": "postgres", "tags": {"Environment": "production"}},
                "after_unknown": {"multi_az": True, "backup_retention_period": True},
            },
        }
    ],
}


def test_not_evaluated_checks_are_counted_in_every_format_and_fail_on_incomplete_gives_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "plan.json").write_text(json.dumps(UNKNOWN_PLAN, indent=2))
    rules = ("-r", "ha.db-multi-az", "-r", "backup.db-retention")
    code, _, _ = cli(
        "scan", "plan.json", "--no-config", *rules, *report_args(tmp_path), cwd=tmp_path, monkeypatch=monkeypatch
    )
    assert code == 0  # undecided is not blocking unless asked...
    code, _, _ = cli(
        "scan", "plan.json", "--no-config", "--fail-on-incomplete", *rules, cwd=tmp_path, monkeypatch=monkeypatch
    )
    assert code == 3  # ...and with --fail-on-incomplete it is exit 3

    reasons = ["/backup_retention_period is unknown until apply", "/multi_az is unknown until apply"]
    table = (tmp_path / "report.table").read_text()
    assert "  not evaluated: 2, errors: 0" in table.splitlines()
    assert f"not-evaluated: backup.db-retention on aws_db_instance.erp: {reasons[0]}" in " ".join(table.split())
    document = json.loads((tmp_path / "report.json").read_text())
    assert document["summary"]["evaluations"]["not-evaluated"] == 2
    assert [e["reason"] for e in document["not_evaluated"]] == reasons
    sarif = json.loads((tmp_path / "report.sarif").read_text())["runs"][0]
    assert sarif["properties"]["evaluations"]["not-evaluated"] == 2
    notes = [n["message"]["text"] for n in sarif["invocations"][0]["toolExecutionNotifications"]]
    assert notes == [
        f"backup.db-retention could not evaluate aws_db_instance.erp: {reasons[0]}",
        f"ha.db-multi-az could not evaluate aws_db_instance.erp: {reasons[1]}",
    ]
    junit = ET.fromstring((tmp_path / "report.junit").read_text())
    assert junit.get("skipped") == "2"
    assert [s.get("message") for s in junit.iter("skipped")] == reasons
    quality = json.loads((tmp_path / "report.codequality").read_text())
    assert [
        (i["check_name"], i["severity"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in quality
    ] == [
        ("backup.db-retention", "info", "plan.json", 6),
        ("ha.db-multi-az", "info", "plan.json", 6),
    ]


def test_every_format_counts_zero_undecided_too(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(DEPLOYMENT)
    report = scan_here(tmp_path, "app.yaml", rule_patterns=("ha.replicas",))
    assert "  not evaluated: 0, errors: 0" in reporters.render("table", report).splitlines()
    assert json.loads(reporters.render("json", report))["summary"]["evaluations"]["not-evaluated"] == 0
    assert json.loads(reporters.render("sarif", report))["runs"][0]["properties"]["evaluations"]["not-evaluated"] == 0
    assert ET.fromstring(reporters.render("junit", report)).get("skipped") == "0"
