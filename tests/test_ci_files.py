"""The CI files users copy: valid for GitHub, GitLab and pre-commit, pinned, and running what they say.

Schemas are the ones check-jsonschema carries (offline): vendor.github-actions, vendor.github-workflows
and vendor.gitlab-ci. pre-commit's own manifest loader validates .pre-commit-hooks.yaml.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / "examples/github").glob("*.yml"))
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def check_jsonschema(schema: str, *files: Path, transform: str | None = None) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema]
    if transform:
        args += ["--data-transform", transform]
    return subprocess.run([*args, *map(str, files)], capture_output=True, text=True, timeout=120)


def test_there_are_the_three_documented_examples() -> None:
    names = [p.name for p in WORKFLOWS]
    assert {"pull-request-scan.yml", "promotion-gate.yml", "nightly-drift.yml"} <= set(names)


def test_action_validates_against_the_github_action_schema() -> None:
    result = check_jsonschema("vendor.github-actions", ROOT / "action.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_example_workflows_validate_against_the_github_workflow_schema() -> None:
    result = check_jsonschema("vendor.github-workflows", *WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_gitlab_template_validates_against_the_gitlab_ci_schema() -> None:
    result = check_jsonschema("vendor.gitlab-ci", ROOT / "ci/govscan.gitlab-ci.yml", transform="gitlab-ci")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_workflow_is_rejected(tmp_path: Path) -> None:
    """The schema check can fail: a job without runs-on or steps is not a workflow."""
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  scan:\n    stepz: []\n")
    assert check_jsonschema("vendor.github-workflows", broken).returncode == 1


def _steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    if "runs" in document:
        steps: list[dict[str, Any]] = document["runs"]["steps"]
        return steps
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


@pytest.mark.parametrize("path", [ROOT / "action.yml", *WORKFLOWS], ids=lambda p: p.name)
def test_third_party_actions_are_pinned_and_run_blocks_hold_no_expressions(path: Path) -> None:
    """`${{ }}` inside `run:` is pasted into the script before bash sees it: inputs go through `env:`."""
    for step in _steps(yaml.safe_load(path.read_text(encoding="utf-8"))):
        if "run" in step:
            assert "${{" not in step["run"], f"{path.name}: step {step.get('name')!r} pastes an expression into run:"
        uses = step.get("uses")
        if uses and not uses.startswith("govscan/govscan@"):
            assert SHA_PIN.match(uses), f"{path.name}: {uses} is not pinned to a commit SHA"


def test_pull_request_example_takes_rules_from_the_base_branch() -> None:
    workflow = yaml.safe_load((ROOT / "examples/github/pull-request-scan.yml").read_text())
    assert list(workflow[True]) == ["pull_request"]  # PyYAML reads the key `on` as True
    steps = workflow["jobs"]["govscan"]["steps"]
    trusted = next(s for s in steps if s.get("with", {}).get("path") == ".govscan-trusted")
    assert trusted["with"]["ref"] == "${{ github.base_ref }}"
    scan = next(s for s in steps if s.get("uses", "").startswith("govscan/govscan@"))
    assert scan["with"]["config"] == ".govscan-trusted/.govscan.yaml"
    assert scan["with"]["args"] == "--policy .govscan-trusted/policies"


def test_pre_commit_manifest_is_valid_for_pre_commit() -> None:
    from pre_commit.clientlib import load_manifest

    hooks = {hook["id"]: hook for hook in load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))}
    assert hooks["govscan"]["pass_filenames"] is True and hooks["govscan"]["types"] == ["yaml"]
    assert hooks["govscan-repo"]["stages"] == ["pre-push"] and hooks["govscan-repo"]["pass_filenames"] is False


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: web:1.0
"""
PDB = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: shop
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {app: web}
"""


def _hook_command(hook_id: str) -> list[str]:
    from pre_commit.clientlib import load_manifest

    hook = next(h for h in load_manifest(str(ROOT / ".pre-commit-hooks.yaml")) if h["id"] == hook_id)
    return [sys.executable, "-m", "govscan.scanner.cli", *shlex.split(hook["entry"])[1:], *hook["args"]]


def test_commit_hook_judges_the_staged_file_with_the_repository_as_context(tmp_path: Path) -> None:
    """The PodDisruptionBudget lives in another, unchanged file: the hook must see it, not report ha.pdb."""
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy/web.yaml").write_text(DEPLOYMENT)
    (tmp_path / "deploy/pdb.yaml").write_text(PDB)
    (tmp_path / "deploy/kustomization.yaml").write_text("resources: [web.yaml, pdb.yaml]\n")
    env = {**os.environ, "NO_COLOR": "1"}
    hook = [*_hook_command("govscan"), "--rule", "ha.pdb", "-f", "json"]
    staged = subprocess.run([*hook, "deploy/web.yaml"], cwd=tmp_path, capture_output=True, text=True, env=env)
    report = json.loads(staged.stdout)
    assert staged.returncode == 0, staged.stderr
    assert (report["summary"]["files"], report["summary"]["resources"], report["findings"]) == (1, 1, [])
    assert [e["resources"] for e in report["evaluations"]] == [["apps/Deployment/shop/web"]]
    # a commit touching only a file that holds no resource passes: the repository has some
    only_config = subprocess.run(
        [*hook, "deploy/kustomization.yaml"], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert only_config.returncode == 0, only_config.stderr
    # without the PDB anywhere, the same staged file is blocked
    (tmp_path / "deploy/pdb.yaml").unlink()
    blocked = subprocess.run([*hook, "deploy/web.yaml"], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert blocked.returncode == 1
    assert [(f["rule_id"], f["location"]["file"]) for f in json.loads(blocked.stdout)["findings"]] == [
        ("ha.pdb", "deploy/web.yaml")
    ]


def test_gitlab_scan_job_writes_the_reports_its_artifacts_name(tmp_path: Path) -> None:
    template = yaml.safe_load((ROOT / "ci/govscan.gitlab-ci.yml").read_text())
    [script] = template["govscan-scan"]["script"]
    declared = template[".govscan"]["artifacts"]
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy/web.yaml").write_text(DEPLOYMENT.replace("replicas: 3", "replicas: 1"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "govscan").write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m govscan.scanner.cli "$@"\n')
    (bin_dir / "govscan").chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GOVSCAN_PATHS": "deploy",
        "GOVSCAN_ARGS": "--rule ha.replicas",
        "GOVSCAN_RULES": "--no-config",
        "NO_COLOR": "1",
    }
    result = subprocess.run(["sh", "-c", script], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert result.returncode == 1, result.stderr
    assert "ha.replicas" in result.stdout and "Blocked" in result.stdout
    for path in declared["paths"]:
        assert (tmp_path / path).stat().st_size > 0, path
    assert declared["reports"] == {"junit": "govscan-junit.xml", "codequality": "gl-code-quality-report.json"}
    [issue] = json.loads((tmp_path / "gl-code-quality-report.json").read_text())
    assert (issue["check_name"], issue["location"]) == (
        "ha.replicas",
        {"path": "deploy/web.yaml", "lines": {"begin": 7}},
    )


def test_gitlab_gate_job_turns_each_merge_request_label_into_one_flag(tmp_path: Path) -> None:
    template = yaml.safe_load((ROOT / "ci/govscan.gitlab-ci.yml").read_text())
    [script] = template["govscan-gate"]["script"]
    labels_part = script[: script.index("govscan gate")]
    env = {**os.environ, "CI_MERGE_REQUEST_LABELS": "approved,change:CHG-42,needs backup,*"}
    (tmp_path / "glob-bait").write_text("")
    result = subprocess.run(
        ["sh", "-c", labels_part + 'printf "<%s>\\n" "$@"'], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert result.stdout.splitlines() == [
        "<--label>",
        "<approved>",
        "<--label>",
        "<change:CHG-42>",
        "<--label>",
        "<needs backup>",
        "<--label>",
        "<*>",
    ]
