"""The GitHub Action's govscan step, run exactly as a runner runs it.

The runner writes the step's `run:` text to a script file, sets the step's `env:` (its `${{ }}`
expressions evaluated) and runs `bash --noprofile --norc -eo pipefail SCRIPT` in the working
directory, with GITHUB_OUTPUT and GITHUB_STEP_SUMMARY pointing at files it reads afterwards. This
test does the same with action.yml as written, on copies of the bundled fixtures.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"^\$\{\{ (inputs\.[a-z-]+|github\.action_path) \}\}$")
FAIL = "fixtures/ha/replicas/fail-single-replica.yaml"
PASS = "fixtures/ha/replicas/pass-production-three.yaml"


def _step(step_id: str) -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in ACTION["runs"]["steps"] if s.get("id") == step_id)
    return step


def _evaluate(expression: str, inputs: dict[str, str]) -> str:
    """The two expressions the step's env may hold: an input (its default when not given) or the action path."""
    match = EXPRESSION.match(expression)
    assert match, f"env value {expression!r} is not a single input or github.action_path expression"
    name = match[1]
    if name == "github.action_path":
        return str(ROOT)
    key = name.removeprefix("inputs.")
    return inputs.get(key, str(ACTION["inputs"][key].get("default", "")))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A checkout holding the ha.replicas fixtures, as the workflow's checkout step would leave it."""
    ws = tmp_path / "workspace"
    shutil.copytree(ROOT / "fixtures/ha/replicas", ws / "fixtures/ha/replicas")
    return ws


def run_step(workspace: Path, **inputs: str) -> tuple[int, dict[str, str], str, str]:
    """Run the step; return its exit code, its outputs, the job summary and the log (stdout)."""
    step = _step("govscan")
    runner_temp = workspace.parent / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    output_file, summary_file = runner_temp / "output", runner_temp / "summary.md"
    output_file.write_text("")
    summary_file.write_text("")
    script = runner_temp / "step.sh"
    script.write_text(step["run"])
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(workspace.parent),
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_OUTPUT": str(output_file),
        "GITHUB_STEP_SUMMARY": str(summary_file),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_WORKSPACE": str(workspace),
    }
    env.update({key: _evaluate(value, inputs) for key, value in step["env"].items()})
    cwd = workspace / _evaluate(step["working-directory"], inputs)
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines())
    return result.returncode, outputs, summary_file.read_text(), result.stdout + result.stderr


def test_step_env_passes_every_input_and_run_holds_no_expression() -> None:
    step = _step("govscan")
    assert "${{" not in step["run"]
    mapped = {EXPRESSION.match(v)[1].removeprefix("inputs.") for v in step["env"].values()}  # type: ignore[index]
    used_elsewhere = {"python-version", "working-directory", "upload-sarif"}
    assert set(ACTION["inputs"]) - used_elsewhere <= mapped


def test_blocked_run_writes_reports_then_fails_with_exit_1(workspace: Path) -> None:
    code, outputs, summary, log = run_step(workspace, paths=FAIL, args="--rule ha.replicas")
    assert code == 1
    assert outputs["exit-code"] == "1"
    assert outputs["blocking"] == "2"
    assert outputs["sarif-file"] == str((workspace / "govscan.sarif").resolve())
    assert outputs["junit-file"] == str((workspace / "govscan-junit.xml").resolve())
    sarif = json.loads(Path(outputs["sarif-file"]).read_text())
    [run] = sarif["runs"]
    assert run["automationDetails"] == {"id": f"govscan/{FAIL}/"}
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]] == [
        ("ha.replicas", 8),
        ("ha.replicas", 24),
    ]
    assert 'failures="2"' in Path(outputs["junit-file"]).read_text()
    assert json.loads(Path(outputs["json-file"]).read_text())["gate"]["verdict"] == "blocked"
    assert summary.startswith("## ❌ govscan: blocked\n")
    assert f"| ha.replicas | {FAIL}:8 | Deployment/odoo-web (erp-prod) |" in summary
    assert f"| ha.replicas | {FAIL}:24 | StatefulSet/redis (erp-prod) |" in summary
    assert "soft-fail" not in summary
    assert f"::error file={FAIL},line=8,col=3,title=govscan ha.replicas::Deployment odoo-web: replicas is 1" in log


def test_soft_fail_turns_only_a_block_into_success(workspace: Path) -> None:
    code, outputs, summary, log = run_step(workspace, paths=FAIL, args="--rule ha.replicas", **{"soft-fail": "true"})
    assert code == 0
    assert outputs["exit-code"] == "1"  # govscan's own code stays visible to later steps
    assert outputs["blocking"] == "2"
    assert summary.startswith("## ❌ govscan: blocked\n")
    assert summary.rstrip().endswith("this step passes because soft-fail is on.")
    assert "soft-fail: govscan exited 1 (blocked); the step passes" in log


def test_soft_fail_never_hides_could_not_run(workspace: Path) -> None:
    code, outputs, summary, log = run_step(workspace, paths="missing/", **{"soft-fail": "true"})
    assert code == 2
    assert outputs == {"exit-code": "2", "blocking": "", "sarif-file": "", "junit-file": "", "json-file": ""}
    assert summary.startswith("## ⚠️ govscan could not run (exit code 2)\n")
    assert "    govscan: error: missing/: no such file or directory" in summary


def test_passing_run(workspace: Path) -> None:
    code, outputs, summary, log = run_step(
        workspace, paths=PASS, args="--rule ha.replicas", annotations="false", **{"sarif-category": "pr"}
    )
    assert code == 0
    assert outputs["exit-code"] == "0"
    assert outputs["blocking"] == "0"
    sarif = json.loads(Path(outputs["sarif-file"]).read_text())
    assert [(run["automationDetails"]["id"], run["results"]) for run in sarif["runs"]] == [(f"pr/{PASS}/", [])]
    assert summary.startswith("## ✅ govscan: passed\n")
    assert "Blocking findings" not in summary
    assert "::error" not in log and "Passed" in log  # annotations off: the table goes to the log


def test_inputs_are_data_never_shell(workspace: Path) -> None:
    hostile = "$(touch pwned) `touch pwned2` ; touch pwned3 *"
    code, outputs, summary, log = run_step(workspace, paths=hostile)
    assert code == 2
    assert not list(workspace.glob("pwned*"))
    assert "govscan: error: $(touch: no such file or directory" in log  # the first word, taken literally


def test_an_unknown_command_or_flag_value_stops_with_exit_2(workspace: Path) -> None:
    code, outputs, _, log = run_step(workspace, command="rm")
    assert code == 2 and "input command: 'rm' is not scan, gate, merge, drift or cluster" in log
    assert outputs == {}
    code, _, _, log = run_step(workspace, paths=PASS, **{"soft-fail": "maybe"})
    assert code == 2 and "input soft-fail: 'maybe' is not true or false" in log


def test_a_report_path_with_a_line_break_cannot_forge_outputs(workspace: Path) -> None:
    code, outputs, _, log = run_step(workspace, paths=PASS, **{"sarif-file": "x.sarif\nblocking=0"})
    assert code == 2 and "input sarif-file holds a line break" in log
    assert outputs == {}
