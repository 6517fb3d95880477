"""The command line as a user meets it: exit codes, one-line errors, no tracebacks, reports written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: odoo
  namespace: erp
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: odoo}}
  template:
    metadata:
      labels: {{app: odoo}}
    spec:
      containers:
        - name: odoo
          image: odoo:17.0
"""


def govscan(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GOVSCAN_DEBUG",)}
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "govscan.scanner.cli", *args],
        cwd=cwd,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("govscan: error: ")
    return lines[0]


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    (tmp_path / "ok.yaml").write_text(DEPLOYMENT.format(replicas=3))
    return tmp_path


def test_clean_tree_passes_with_exit_0(tree: Path) -> None:
    result = govscan("scan", ".", "--rule", "ha.replicas", "--no-config", cwd=tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_blocking_finding_exits_1_and_soft_fail_exits_0(tree: Path) -> None:
    (tree / "bad.yaml").write_text(DEPLOYMENT.format(replicas=1).replace("name: odoo\n", "name: odoo-bad\n", 1))
    blocked = govscan("scan", ".", "--rule", "ha.replicas", "--no-config", "-f", "json", cwd=tree)
    assert blocked.returncode == 1
    report = json.loads(blocked.stdout)
    [finding] = report["findings"]
    assert (finding["rule_id"], finding["location"]["file"], finding["location"]["line"]) == (
        "ha.replicas",
        "bad.yaml",
        7,
    )
    assert report["gate"]["exit_code"] == 1
    soft = govscan("scan", ".", "--rule", "ha.replicas", "--no-config", "--soft-fail", cwd=tree)
    assert soft.returncode == 0


def test_tier_flag_changes_enforcement(tree: Path) -> None:
    (tree / "ok.yaml").write_text(DEPLOYMENT.format(replicas=1))
    assert govscan("scan", ".", "-r", "ha.replicas", "--no-config", "--tier", "production", cwd=tree).returncode == 1
    assert govscan("scan", ".", "-r", "ha.replicas", "--no-config", "--tier", "development", cwd=tree).returncode == 0
    assert (
        govscan(
            "scan", ".", "-r", "ha.replicas", "--no-config", "--tier", "staging", "--fail-on", "warn", cwd=tree
        ).returncode
        == 1
    )


def test_malformed_yaml_is_exit_2_naming_file_and_line_and_reports_are_still_written(tree: Path) -> None:
    (tree / "broken.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x\n")
    result = govscan("scan", ".", "--no-config", "-f", "json", "-o", "out.json", cwd=tree)
    assert result.returncode == 2
    line = one_line_error(result)
    assert "broken.yaml" in line
    report = json.loads((tree / "out.json").read_text())
    errors = [f for f in report["findings"] if f["rule_id"] == "govscan.input-error"]
    assert [(f["location"]["file"], f["location"]["line"]) for f in errors] == [("broken.yaml", 5)]
    # the good file was still scanned
    assert report["summary"]["resources"] == 1


def test_alias_bomb_is_exit_2_without_hanging(tree: Path) -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    (tree / "bomb.yaml").write_text("\n".join(lines) + "\n")
    result = govscan("scan", "bomb.yaml", "--no-config", cwd=tree)
    assert result.returncode == 2
    assert "bomb.yaml" in one_line_error(result)


def test_huge_file_is_refused_by_size_before_reading(tree: Path) -> None:
    big = tree / "huge.yaml"
    with big.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse 100 MB file
    result = govscan("scan", "huge.yaml", "--no-config", cwd=tree)
    assert result.returncode == 2
    assert "huge.yaml" in one_line_error(result)


def test_binary_file_is_refused(tree: Path) -> None:
    (tree / "blob.yaml").write_bytes(b"apiVersion: v1\n\x00\x01\x02")
    result = govscan("scan", "blob.yaml", "--no-config", cwd=tree)
    assert result.returncode == 2
    assert "blob.yaml:2" in one_line_error(result)


def test_symlink_outside_the_tree_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(DEPLOYMENT.format(replicas=3))
    tree = tmp_path / "repo"
    tree.mkdir()
    (tree / "ok.yaml").write_text(DEPLOYMENT.format(replicas=3))
    (tree / "link.yaml").symlink_to(outside)
    result = govscan("scan", ".", "--no-config", "-r", "ha.replicas", cwd=tree)
    assert result.returncode == 2
    assert "link.yaml" in one_line_error(result) and "outside" in result.stderr


def test_directory_without_manifests_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    result = govscan("scan", ".", "--no-config", cwd=tmp_path)
    assert result.returncode == 2
    assert "no manifests found" in one_line_error(result)


def test_zero_resources_is_exit_2_never_a_pass(tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text("replicaCount: 2\n")
    result = govscan("scan", ".", "--no-config", cwd=tmp_path)
    assert result.returncode == 2
    assert "nothing to scan" in one_line_error(result)


def test_unknown_format_rule_and_tier_are_exit_2(tree: Path) -> None:
    for args, needle in [
        (("-f", "xml"), "unknown format"),
        (("--rule", "ha.nope"), "no rule matches"),
        (("--tier", "prodd"), "unknown tier"),
        (("--domain", "nope"), "unknown domain"),
        (("--fail-on", "sometimes"), "--fail-on"),
    ]:
        result = govscan("scan", ".", "--no-config", *args, cwd=tree)
        assert result.returncode == 2, args
        assert needle in one_line_error(result)


def test_missing_path_is_exit_2(tree: Path) -> None:
    result = govscan("scan", "nope/", cwd=tree)
    assert result.returncode == 2
    assert "nope/: no such file or directory" in one_line_error(result)


def test_helm_output_on_stdin_points_at_the_template(tree: Path) -> None:
    rendered = "---\n# Source: erp/templates/deployment.yaml\n" + DEPLOYMENT.format(replicas=1)
    result = govscan("scan", "-", "--no-config", "-r", "ha.replicas", "-f", "json", cwd=tree, stdin=rendered)
    assert result.returncode == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["location"]["file"] == "erp/templates/deployment.yaml"
    assert finding["location"]["line"] == 7  # line within the rendered template document


def test_config_unknown_key_is_one_line_error_with_line(tree: Path) -> None:
    (tree / ".govscan.yaml").write_text("default_tier: production\nrules:\n  ha.replicas:\n    enforcment: warn\n")
    result = govscan("scan", ".", cwd=tree)
    assert result.returncode == 2
    line = one_line_error(result)
    assert ".govscan.yaml:4" in line and "rules.ha.replicas.enforcment: unknown key" in line


def test_several_formats_to_files(tree: Path) -> None:
    result = govscan(
        "scan",
        ".",
        "--no-config",
        "-r",
        "ha.replicas",
        "-f",
        "sarif",
        "-o",
        "r.sarif",
        "-f",
        "junit",
        "-o",
        "r.xml",
        "-f",
        "table",
        cwd=tree,
    )
    assert result.returncode == 0
    assert json.loads((tree / "r.sarif").read_text())["version"] == "2.1.0"
    assert (tree / "r.xml").read_text().startswith("<?xml")
    assert "Summary" in result.stdout


def test_rules_list_show_and_version() -> None:
    listed = govscan("rules", "list", cwd=ROOT)
    assert listed.returncode == 0 and "ha.replicas" in listed.stdout
    shown = govscan("rules", "show", "ha.replicas", cwd=ROOT)
    assert shown.returncode == 0 and "Remediation:" in shown.stdout
    missing = govscan("rules", "show", "ha.nope", cwd=ROOT)
    assert missing.returncode == 2 and "unknown rule" in one_line_error(missing)
    version = govscan("version", cwd=ROOT)
    assert version.stdout.startswith("govscan ")


LOADED = """
import sys
from govscan.scanner.launch import main
sys.argv = ["govscan", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
heavy = ("typer", "rich", "kubernetes", "checkov", "pydantic", "jsonschema")
sys.stderr.write("LOADED " + " ".join(m for m in heavy if m in sys.modules) + "\\n")
"""


def _loaded(*args: str, cwd: Path) -> set[str]:
    result = subprocess.run([sys.executable, "-c", LOADED, *args], cwd=cwd, capture_output=True, text=True)
    line = next(x for x in result.stderr.splitlines() if x.startswith("LOADED"))
    return set(line.split()[1:])


def test_version_loads_no_framework(tmp_path: Path) -> None:
    assert _loaded("version", cwd=tmp_path) == set()


def test_cluster_and_drift_help_load_no_kubernetes(tmp_path: Path) -> None:
    assert "kubernetes" not in _loaded("cluster", "--help", cwd=tmp_path)
    assert "kubernetes" not in _loaded("drift", "--help", cwd=tmp_path)


def test_a_json_scan_loads_only_what_it_uses(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(DEPLOYMENT.format(replicas=2))
    loaded = _loaded("scan", "app.yaml", "--no-config", "-q", "-f", "json", "-o", "out.json", cwd=tmp_path)
    assert "rich" not in loaded and "kubernetes" not in loaded and "checkov" not in loaded
    assert json.loads((tmp_path / "out.json").read_text())["summary"]["resources"] == 1
