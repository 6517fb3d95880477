"""Rego policies as a user meets them: `govscan scan --policy` in every format, git refs, `policy test`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from opa_server import running

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "fixtures" / "policies" / "policy"
MANIFESTS = ROOT / "fixtures" / "policies" / "manifests"
STOREFRONT = "apps/Deployment/shop-prod/storefront"


def govscan(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GOVSCAN_DEBUG", "RUST_BACKTRACE")}
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "govscan.scanner.cli", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_policies_gate_a_scan_in_every_format(tmp_path: Path) -> None:
    result = govscan(
        "scan", "fixtures/policies/manifests", "--policy", "fixtures/policies/policy", "--no-config", "-q",
        "--rule", "policy.*",
        "-f", "json", "-o", str(tmp_path / "report.json"),
        "-f", "sarif", "-o", str(tmp_path / "report.sarif"),
        "-f", "junit", "-o", str(tmp_path / "junit.xml"),
        "-f", "table",
        cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr

    report = json.loads((tmp_path / "report.json").read_text())
    latest = [f for f in report["findings"] if f["rule_id"] == "policy.main.image-latest-production"]
    assert len(latest) == 1
    assert latest[0]["resource"]["uid"] == STOREFRONT
    assert latest[0]["location"] == {"file": "fixtures/policies/manifests/shop.yaml", "line": 25, "column": 11}
    assert (latest[0]["enforcement"], latest[0]["severity"], latest[0]["domain"]) == (
        "block",
        "critical",
        "image-provenance",
    )
    waived = [f for f in report["findings"] if f["waived"]]
    assert [(f["rule_id"], f["resource"]["uid"], f["waived"]["source"]) for f in waived] == [
        ("policy.main.owner-label", "batch/CronJob/shop-prod/invoice-export", "rego-exception")
    ]
    assert report["gate"]["exit_code"] == 1

    sarif = json.loads((tmp_path / "report.sarif").read_text())
    results = sarif["runs"][0]["results"]
    by_rule = {r["ruleId"]: r for r in results if r["ruleId"] == "policy.main.image-latest-production"}
    region = by_rule["policy.main.image-latest-production"]["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (25, 11)
    suppressed = [r for r in results if r.get("suppressions")]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in suppressed] == [
        ("policy.main.owner-label", 66)
    ]

    junit = ET.parse(tmp_path / "junit.xml").getroot()
    suite = junit.find("testsuite[@name='policy.main.image-latest-production']")
    assert suite is not None and suite.get("failures") == "1" and suite.get("tests") == "6"
    failed = suite.find(f"testcase[@name='{STOREFRONT}']/failure")
    assert failed is not None and "fixtures/policies/manifests/shop.yaml:25" in (failed.text or "")
    assert suite.find("testcase[@name='apps/Deployment/shop-prod/checkout']/failure") is None

    table = result.stdout
    assert "BLOCK policy.main.image-latest-production  fixtures/policies/manifests/shop.yaml:25" in table
    assert "waived: Rego exception 'owner-label' in package main (via rego-exception)" in table


def test_combine_through_the_command_line() -> None:
    result = govscan(
        "scan", "fixtures/policies/manifests", "-p", "fixtures/policies/policy", "-n", "crossresource",
        "--combine", "--no-config", "-q", "-r", "policy.*", "-f", "json",
        cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(f["rule_id"], f["resource"]["uid"], f["location"]["line"]) for f in findings] == [
        ("policy.crossresource.pdb-required", STOREFRONT, 16)
    ]


def test_opa_server_mode_gives_the_embedded_report() -> None:
    args = ("scan", "fixtures/policies/manifests", "-p", "fixtures/policies/policy", "--no-config", "-q", "-f", "json")
    embedded = govscan(*args, cwd=ROOT)
    with running() as (opa, url):
        served = govscan(*args, "--opa-url", url, cwd=ROOT)
    assert served.returncode == embedded.returncode == 1, served.stderr
    assert json.loads(served.stdout) == json.loads(embedded.stdout)
    assert opa.policies == {}


def test_a_policy_that_does_not_compile_is_exit_2_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "bad.rego").write_text(
        'package main\n\nimport rego.v1\n\ndeny contains "x" if {\n\t1 ===\n}\n'
    )
    (tmp_path / "app.yaml").write_text((MANIFESTS / "shop.yaml").read_text())
    result = govscan("scan", "app.yaml", "--policy", "policy", "--no-config", "-q", cwd=tmp_path)
    assert result.returncode == 2
    assert one_line_error(result) == "govscan: error: policy/bad.rego:6: expecting expression"


def test_version_and_a_scan_without_policies_load_no_rego_engine(tmp_path: Path) -> None:
    probe = (
        "import sys\nfrom govscan.scanner.launch import main\nsys.argv = ['govscan', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('LOADED ' + ' '.join(m for m in ('regorus', 'opa_client', 'requests') if m in sys.modules))\n"
    )
    (tmp_path / "app.yaml").write_text((MANIFESTS / "shop-staging.yaml").read_text())
    for args in (["version"], ["scan", "app.yaml", "--no-config", "-q", "-f", "json", "-o", "out.json"]):
        done = subprocess.run([sys.executable, "-c", probe, *args], cwd=tmp_path, capture_output=True, text=True)
        assert done.stderr.strip().splitlines()[-1] == "LOADED", (args, done.stderr)


# --- trusted policies from a git ref ---------------------------------------------------------------


def git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "ci",
        "GIT_AUTHOR_EMAIL": "ci@example.com",
        "GIT_COMMITTER_NAME": "ci",
        "GIT_COMMITTER_EMAIL": "ci@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, env=env)


PERMISSIVE = """\
package main

import rego.v1

# a pull request "fixes" the gate by emptying the rules
deny contains msg if {
\tfalse
\tmsg := "never"
}
"""


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """main holds the team's policies; branch `feature` weakens them in the same pull request."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git(tmp_path, "init", "-q", "-b", "main")
    shutil.copytree(POLICY, tmp_path / "policy")
    shutil.copytree(MANIFESTS, tmp_path / "k8s")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "policies")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    for name in ("images.rego", "ownership.rego"):
        (tmp_path / "policy" / name).write_text(PERMISSIVE)
    git(tmp_path, "commit", "-q", "-am", "relax the gate")
    return tmp_path


def rule_ids(result: subprocess.CompletedProcess[str]) -> list[str]:
    return sorted(f["rule_id"] for f in json.loads(result.stdout)["findings"] if f["rule_id"].startswith("policy."))


def test_policies_from_the_base_branch_judge_the_pull_request(repo: Path) -> None:
    head = govscan("scan", "k8s", "--policy", "policy", "--no-config", "-q", "-f", "json", cwd=repo)
    assert rule_ids(head) == []  # the branch's own policies pass everything
    (repo / "policy" / "images.rego").write_text("package main\n\nthis is not rego\n")  # nor does the work tree matter
    base = govscan("scan", "k8s", "--policy", "git:main:policy", "--no-config", "-q", "-f", "json", cwd=repo)
    assert base.returncode == 1, base.stderr
    assert rule_ids(base) == [
        "policy.main.deny_host_network",
        "policy.main.image-latest",
        "policy.main.image-latest-production",
        "policy.main.owner-label",
        "policy.main.owner-label",
    ]
    warned = next(f for f in json.loads(base.stdout)["findings"] if f["rule_id"] == "policy.main.image-latest")
    assert warned["remediation"] == (
        "Change the resource so that warn in package main (main:policy/images.rego:28) no longer reports it."
    )


def test_policy_tests_from_a_git_ref(repo: Path) -> None:
    result = govscan("policy", "test", "git:main:policy", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS  main:policy/ownership_test.rego:16 data.main.test_legacy_billing_is_excepted" in result.stdout


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("git:release-9:policy", "govscan: error: --policy git:release-9:policy: git ref 'release-9' not found"),
        ("git:main:rules", "govscan: error: --policy git:main:rules: rules does not exist at main"),
        ("git:main:k8s", "govscan: error: --policy git:main:k8s: no .rego files (other than *_test.rego) there"),
        ("git:main", "govscan: error: --policy git:main: write git:REF:PATH, e.g. git:origin/main:policy"),
    ],
)
def test_git_policy_problems_are_one_line(repo: Path, spec: str, message: str) -> None:
    result = govscan("scan", "k8s", "--policy", spec, "--no-config", "-q", cwd=repo)
    assert result.returncode == 2
    assert one_line_error(result).startswith(message)


def test_git_policies_outside_a_repository(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text((MANIFESTS / "shop.yaml").read_text())
    result = govscan("scan", "app.yaml", "--policy", "git:main:policy", "--no-config", "-q", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        one_line_error(result) == f"govscan: error: --policy git:main:policy: {tmp_path} is not inside a git repository"
    )


# --- govscan policy test ----------------------------------------------------------------------------


def test_policy_test_passes_the_fixture_tests() -> None:
    result = govscan("policy", "test", "fixtures/policies/policy", cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "PASS  fixtures/policies/policy/images_test.rego:7 data.main.test_latest_denied_in_production",
        "PASS  fixtures/policies/policy/images_test.rego:12 data.main.test_untagged_only_warns_in_staging",
        "PASS  fixtures/policies/policy/images_test.rego:17 data.main.test_release_tag_passes",
        "PASS  fixtures/policies/policy/ownership_test.rego:7 data.main.test_owner_label_missing_is_denied",
        "PASS  fixtures/policies/policy/ownership_test.rego:12 data.main.test_owner_label_present_passes",
        "PASS  fixtures/policies/policy/ownership_test.rego:16 data.main.test_legacy_billing_is_excepted",
        "6 tests, 6 passed, 0 failed, 0 errors",
    ]


def test_policy_test_reports_a_failing_and_an_erroring_test(tmp_path: Path) -> None:
    shutil.copytree(POLICY, tmp_path / "policy")
    (tmp_path / "policy" / "extra_test.rego").write_text(
        "package main\n\nimport rego.v1\n\n"
        "test_checkout_is_denied if {\n"
        '\tcount(deny) > 0 with input as {"kind": "Deployment", "metadata": {"name": "checkout", "labels": {"owner": "t"}}}\n'
        "}\n\n"
        "conflicted := x if some x in [1, 2]\n\n"
        "test_conflict if conflicted == 1\n"
    )
    result = govscan("policy", "test", "policy", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "FAIL  policy/extra_test.rego:5 data.main.test_checkout_is_denied: undefined" in lines
    assert (
        "ERROR policy/extra_test.rego:11 data.main.test_conflict: "
        "policy/extra_test.rego:9: rules must not produce multiple outputs"
    ) in lines
    assert lines[-1] == "8 tests, 6 passed, 1 failed, 1 errors"


def test_policy_test_with_a_compile_error_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "broken_test.rego").write_text("package main\n\nimport rego.v1\n\ntest_x if {\n")
    result = govscan("policy", "test", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert one_line_error(result).startswith("govscan: error: broken_test.rego:")
