"""--shard i/n and `govscan merge`: the shards' JSON reports merged equal one unsharded scan, in every format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from govscan.reporters import FORMATS, json_report, render
from govscan.scanner.config import load_config
from govscan.scanner.engine import ScanRequest, scan
from govscan.scanner.errors import UsageError
from govscan.scanner.merge import ShardReport, merge
from govscan.scanner.model import Enforcement, ScanReport
from govscan.scanner.shard import Shard, shard_of

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ("fixtures/ha", "fixtures/rbac", "fixtures/backup", "fixtures/data-masking", "fixtures/network")


def _scan(
    shard: Shard | None = None,
    fail_on: Enforcement = Enforcement.BLOCK,
    targets: tuple[str, ...] = TARGETS,
    cwd: Path = ROOT,
) -> ScanReport:
    return scan(ScanRequest(targets=targets, config=load_config(None), cwd=cwd, jobs=1, shard=shard, fail_on=fail_on))


def _through_json(report: ScanReport, name: str) -> ShardReport:
    """What `govscan merge` reads: the shard's JSON report, parsed back."""
    return ShardReport(name, json_report.read_report(json.loads(render("json", report))))


def test_shard_spec_is_checked() -> None:
    assert Shard.parse(" 2 / 4 ") == Shard(2, 4)
    for text, message in [
        ("0/4", "--shard: '0/4': INDEX must be between 1 and COUNT (e.g. 1/4 ... 4/4)"),
        ("5/4", "--shard: '5/4': INDEX must be between 1 and COUNT (e.g. 1/4 ... 4/4)"),
        ("1/0", "--shard: '1/0': INDEX must be between 1 and COUNT (e.g. 1/4 ... 4/4)"),
        ("half", "--shard: 'half' is not INDEX/COUNT, e.g. --shard 2/4"),
    ]:
        with pytest.raises(UsageError) as raised:
            Shard.parse(text)
        assert str(raised.value) == message


def test_a_files_shard_does_not_move_when_files_are_added() -> None:
    before = [f"apps/app-{i}/deployment.yaml" for i in range(200)]
    after = before + [f"apps/new-{i}/deployment.yaml" for i in range(100)]
    assigned = {path: shard_of(path, 4) for path in before}
    assert {path: shard_of(path, 4) for path in after if path in assigned} == assigned
    assert sorted(set(assigned.values())) == [1, 2, 3, 4]
    assert shard_of("apps\\app-1\\deployment.yaml", 4) == assigned["apps/app-1/deployment.yaml"]


@pytest.mark.parametrize("fail_on", [Enforcement.BLOCK, Enforcement.WARN], ids=["fail-on-block", "fail-on-warn"])
def test_merged_shards_equal_the_unsharded_scan_in_every_format(fail_on: Enforcement) -> None:
    whole = _scan(fail_on=fail_on)
    shards = [_scan(Shard(i, 3), fail_on) for i in (1, 2, 3)]
    assert [s.shard for s in shards] == [(1, 3), (2, 3), (3, 3)]
    assert sum(s.files for s in shards) == whole.files and all(s.files for s in shards)
    merged = merge([_through_json(s, f"shard-{i}.json") for i, s in enumerate(shards, 1)], fail_on=fail_on)
    assert (merged.gate.verdict, merged.gate.exit_code, merged.gate.reason) == (
        whole.gate.verdict,
        whole.gate.exit_code,
        whole.gate.reason,
    )
    for fmt in FORMATS:
        assert render(fmt, merged) == render(fmt, whole), fmt


def test_every_shard_reads_the_others_files_for_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Deployment judged by one shard is covered by a PodDisruptionBudget in another shard's file."""
    deployment = (ROOT / "fixtures/ha/pdb/pass-max-unavailable-one.yaml").read_text()
    documents = deployment.split("\n---\n")
    pdbs = [d for d in documents if "kind: PodDisruptionBudget" in d]
    others = [d for d in documents if "kind: PodDisruptionBudget" not in d]
    assert pdbs and others
    names = [f"file-{i}.yaml" for i in range(20)]
    workload_file = next(n for n in names if shard_of(n, 2) == 1)
    budget_file = next(n for n in names if shard_of(n, 2) == 2)
    (tmp_path / workload_file).write_text("\n---\n".join(others))
    (tmp_path / budget_file).write_text("\n---\n".join(pdbs))
    monkeypatch.chdir(tmp_path)
    first = _scan(Shard(1, 2), targets=(".",), cwd=tmp_path)
    assert first.files == 1 and first.resources == len(others)
    assert [f.rule_id for f in first.findings if f.rule_id == "ha.pdb"] == []
    assert {e.resource_uid for e in first.evaluations if e.rule_id == "ha.pdb"}  # judged, and passed
    second = _scan(Shard(2, 2), targets=(".",), cwd=tmp_path)
    assert second.files == 1 and second.resources == len(pdbs)
    kinds = {e.resource_uid.split("/")[1] for e in second.evaluations if e.rule_id == "ha.pdb"}
    assert kinds == {"PodDisruptionBudget"}  # the budgets themselves; the workloads are the first shard's


def test_a_shard_that_owns_no_file_is_not_nothing_to_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "only.yaml").write_text((ROOT / "fixtures/ha/replicas/pass-production-three.yaml").read_text())
    owner = shard_of("only.yaml", 2)
    empty = _scan(Shard(3 - owner, 2), targets=(".",), cwd=tmp_path)
    assert (empty.files, empty.resources, empty.gate.exit_code) == (0, 0, 0)


def test_merge_refuses_a_missing_or_repeated_shard() -> None:
    shards = [_through_json(_scan(Shard(i, 3)), f"shard-{i}.json") for i in (1, 2, 3)]
    with pytest.raises(UsageError) as missing:
        merge([shards[0], shards[2]])
    assert str(missing.value) == (
        f"shard(s) 2/3 of {' '.join(TARGETS)} missing: a missing shard's files would pass unjudged; "
        "merge the reports of every shard"
    )
    with pytest.raises(UsageError) as repeated:
        merge([*shards, ShardReport("again.json", shards[1].report)])
    assert str(repeated.value) == (
        f"shard-2.json and again.json are both shard 2/3 of {' '.join(TARGETS)}; merge each shard's report once"
    )


def test_merge_joins_scans_of_different_targets() -> None:
    """Two scans (each with its own context) become one report with a SARIF run per target."""
    ha = _scan(targets=("fixtures/ha",))
    rbac = _scan(targets=("fixtures/rbac",))
    merged = merge([_through_json(ha, "ha.json"), _through_json(rbac, "rbac.json")])
    assert merged.targets == ("fixtures/ha", "fixtures/rbac")
    assert len(merged.findings) == len(ha.findings) + len(rbac.findings)
    assert len({f.fingerprint for f in merged.findings}) == len(merged.findings)  # twins across scans told apart
    assert (merged.resources, merged.files) == (ha.resources + rbac.resources, ha.files + rbac.files)
    assert (
        merged.gate.counts["blocking_findings"]
        == ha.gate.counts["blocking_findings"] + rbac.gate.counts["blocking_findings"]
    )
    runs = json.loads(render("sarif", merged))["runs"]
    assert [(r["automationDetails"]["id"], len(r["results"])) for r in runs] == [
        ("govscan/fixtures/ha/", len(ha.findings)),
        ("govscan/fixtures/rbac/", len(rbac.findings)),
    ]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "govscan.scanner.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_merge_command(tmp_path: Path) -> None:
    target = str(ROOT / "fixtures/ha/replicas")
    for i in (1, 2):
        shard = _cli(
            "scan", target, "--shard", f"{i}/2", "--no-config", "-q", "-f", "json", "-o", f"s{i}.json", cwd=tmp_path
        )
        assert shard.returncode in (0, 1), shard.stderr
    merged = _cli("merge", "s1.json", "s2.json", "-f", "junit", "-o", "junit.xml", "-f", "table", cwd=tmp_path)
    whole = _cli("scan", target, "--no-config", "-q", "-f", "junit", "-o", "whole.xml", "-f", "table", cwd=tmp_path)
    assert merged.returncode == whole.returncode == 1
    assert merged.stdout == whole.stdout and "Blocked" in merged.stdout
    assert (tmp_path / "junit.xml").read_text() == (tmp_path / "whole.xml").read_text()
    soft = _cli("merge", "s1.json", "s2.json", "--soft-fail", "-f", "json", cwd=tmp_path)
    assert soft.returncode == 0 and json.loads(soft.stdout)["gate"]["reason"].startswith("soft-fail: ")
    missing = _cli("merge", "s1.json", cwd=tmp_path)
    assert missing.returncode == 2
    assert (
        missing.stderr
        == f"govscan: error: shard(s) 2/2 of {target} missing: a missing shard's files would pass unjudged; merge the reports of every shard\n"
    )
    (tmp_path / "table.json").write_text('{"tool": {"name": "govscan"}, "schema_version": "1"}')
    old = _cli("merge", "table.json", cwd=tmp_path)
    assert old.returncode == 2
    assert old.stderr == (
        "govscan: error: table.json: JSON report schema_version '1'; this govscan reads '2': "
        "write every report with the same govscan version\n"
    )
    (tmp_path / "broken.json").write_text(
        json.loads(json.dumps(render("json", _scan(targets=("fixtures/ha/pdb",))))).replace(
            '"findings": [', '"findings": [{"rule_id": 1},', 1
        )
    )
    broken = _cli("merge", "broken.json", cwd=tmp_path)
    assert broken.returncode == 2
    assert broken.stderr == "govscan: error: broken.json: findings[0]: missing or unknown 'resource'\n"
