"""SARIF within GitHub code scanning's limits: one run per scan target with a stable category,
at most 25,000 results per run and 10 MB gzipped, the most severe kept and the rest accounted for."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from govscan.reporters import render, sarif
from govscan.scanner.model import Enforcement, Evaluation, ScanReport, Severity, Skipped, Status, Tier


def _validate(document: dict[str, Any], schema_path: Path) -> None:
    import jsonschema

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert sorted(map(str, validator.iter_errors(document))) == []


def _runs(text: str) -> dict[str, dict[str, Any]]:
    return {run["automationDetails"]["id"]: run for run in json.loads(text)["runs"]}


def _notes(run: dict[str, Any]) -> list[str]:
    return [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]


def _uris(run: dict[str, Any]) -> list[tuple[str, int]]:
    return [
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in run["results"]
    ]


def test_one_run_per_target_with_a_stable_category(report: ScanReport, sarif_schema_path: Path) -> None:
    """Findings the engine made carry their target; others are placed by path (Helm templates: first target)."""
    text = sarif.render(report)
    _validate(json.loads(text), sarif_schema_path)
    runs = _runs(text)
    assert list(runs) == ["govscan/deploy/prod/", "govscan/stdin/"]
    assert _uris(runs["govscan/stdin/"]) == [("stdin", 7)]
    assert _uris(runs["govscan/deploy/prod/"]) == [
        ("charts/shop/templates/deployment.yaml", 31),
        ("charts/shop/templates/deployment.yaml", 40),
        ("deploy/prod/broken.yaml", 3),
        ("deploy/prod/rbac.yaml", 8),
        ("deploy/prod/rbac.yaml", 27),
        ("deploy/prod/web.yaml", 12),
        ("deploy/prod/web.yaml", 20),
        ("deploy/prod/web.yaml", 24),
    ]
    assert _notes(runs["govscan/stdin/"]) == []
    assert len(_notes(runs["govscan/deploy/prod/"])) == 4  # two errors, one not-evaluated, one skipped document
    assert list(_runs(render("sarif", report, sarif_category="pr-scan"))) == ["pr-scan/deploy/prod/", "pr-scan/stdin/"]


def test_recorded_targets_win_over_paths(report: ScanReport) -> None:
    """A Helm template rendered from stdin belongs to the stdin run, as the engine recorded."""
    findings = tuple(
        replace(f, resource=replace(f.resource, target="-")) if f.location.path.startswith("charts/") else f
        for f in report.findings
    )
    evaluations = tuple(replace(e, target="-") if e.rule_id == "ha.pdb" else e for e in report.evaluations)
    skipped = (Skipped("charts/shop/templates/job.yaml", 3, "no kind", target="-"),)
    runs = _runs(sarif.render(replace(report, findings=findings, evaluations=evaluations, skipped=skipped)))
    assert _uris(runs["govscan/stdin/"]) == [
        ("stdin", 7),
        ("charts/shop/templates/deployment.yaml", 31),
        ("charts/shop/templates/deployment.yaml", 40),
    ]
    assert _notes(runs["govscan/stdin/"]) == [
        "ha.pdb could not evaluate apps/Deployment/shop/web: cluster returned 403 listing policy/v1 PodDisruptionBudgets",
        "skipped document: no kind",
    ]


def test_category_is_normalised(report_factory: Any) -> None:
    report = report_factory(targets=("./k8s/overlays/", ".", "/abs/plans"))
    assert list(_runs(sarif.render(report, "/team-a/"))) == [
        "team-a/k8s/overlays/",
        "team-a/./",
        "team-a/abs/plans/",
    ]
    assert list(_runs(sarif.render(report_factory(targets=())))) == ["govscan/"]


def test_more_targets_than_github_accepts_runs_share_one(report_factory: Any) -> None:
    report = report_factory(targets=tuple(f"apps/app-{i:02d}" for i in range(sarif.MAX_RUNS + 1)))
    [run] = json.loads(sarif.render(report))["runs"]
    assert run["automationDetails"] == {"id": "govscan/"}
    assert len(run["results"]) == 9
    assert _notes(run)[0] == (
        "21 scan targets share one run: GitHub accepts at most 20 runs per SARIF file. "
        "Scan fewer, wider paths for one run (and one category) per target."
    )


def _findings(
    finding_factory: Any, resources: Any, count: int, enforcement: Enforcement, severity: Severity, tag: str
) -> list[Any]:
    return [
        finding_factory(
            "ha.replicas",
            resources["web"],
            enforcement=enforcement,
            severity=severity,
            message=f"{tag} {i} " + f"{i * 7919:x}" * 8,  # little to compress: the gzip limit test needs size
            line=i + 1,
            fp=f"{tag}-{i:06d}",
        )
        for i in range(count)
    ]


def test_past_25000_results_the_most_severe_are_kept(report_factory: Any, finding_factory: Any, resources: Any) -> None:
    findings = (
        _findings(finding_factory, resources, 24_990, Enforcement.BLOCK, Severity.HIGH, "block")
        + _findings(finding_factory, resources, 8, Enforcement.WARN, Severity.MEDIUM, "warn")
        + _findings(finding_factory, resources, 6, Enforcement.INFO, Severity.LOW, "info")
    )
    report = report_factory(findings=tuple(findings), evaluations=(), skipped=(), targets=("deploy/prod",))
    [run] = json.loads(sarif.render(report))["runs"]
    assert len(run["results"]) == sarif.MAX_RESULTS_PER_RUN == 25_000
    levels = [r["level"] for r in run["results"]]
    assert (levels.count("error"), levels.count("warning"), levels.count("note")) == (24_990, 8, 2)
    kept_notes = sorted(r["message"]["text"].split()[1] for r in run["results"] if r["level"] == "note")
    assert kept_notes == ["0", "1"]  # equal severity: the first in file order stay
    [note] = run["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"] == (
        "4 result(s) left out (4 note) to stay within GitHub's limit of 25,000 results per run; the 25,000 most "
        "severe were kept. The JSON report (--format json) lists every finding."
    )
    assert note["properties"] == {"dropped": 4, "kept": 25_000, "levels": {"note": 4}}


def test_waived_results_go_before_open_ones(report: ScanReport, sarif_schema_path: Path) -> None:
    document = sarif.sarif_dict(replace(report, targets=()), max_results=6)
    _validate(document, sarif_schema_path)
    [run] = document["runs"]
    kept = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]}
    assert kept == {
        ("ha.replicas", 12),
        ("ha.replicas", 7),
        ("govscan.input-error", 3),
        ("image.latest-tag", 31),
        ("image.latest-tag", 40),
        ("image.latest-tag", 20),
    }
    assert run["invocations"][0]["toolExecutionNotifications"][0]["properties"] == {
        "dropped": 3,
        "kept": 6,
        "levels": {"error": 2, "note": 1},  # the two waived errors and the info finding
    }


def test_past_the_gzip_limit_results_are_dropped_until_the_file_fits(
    report_factory: Any, finding_factory: Any, resources: Any, sarif_schema_path: Path
) -> None:
    findings = _findings(finding_factory, resources, 300, Enforcement.WARN, Severity.MEDIUM, "warn") + _findings(
        finding_factory, resources, 100, Enforcement.BLOCK, Severity.CRITICAL, "block"
    )
    report = report_factory(findings=tuple(findings), evaluations=(), skipped=(), targets=("deploy/prod", "-"))
    whole = sarif.render(report)
    limit = len(gzip.compress(whole.encode())) * 2 // 3
    text = sarif.render(report, max_gzip_bytes=limit)
    document = json.loads(text)
    _validate(document, sarif_schema_path)
    assert len(gzip.compress(text.encode(), 6)) <= limit
    [run, stdin_run] = document["runs"]
    assert stdin_run["results"] == [] and stdin_run["automationDetails"]["id"] == "govscan/stdin/"
    levels = [r["level"] for r in run["results"]]
    assert levels.count("error") == 100 and 0 < levels.count("warning") < 300  # every blocking one kept
    [note] = run["invocations"][0]["toolExecutionNotifications"]
    dropped = 400 - len(levels)
    assert note["properties"] == {"dropped": dropped, "kept": len(levels), "levels": {"warning": dropped}}
    assert (
        f"to stay within GitHub's limit of {limit / 1048576:g} MB for a gzipped SARIF file" in note["message"]["text"]
    )


@pytest.mark.parametrize("status", [Status.NOT_EVALUATED, Status.ERROR])
def test_undecided_evaluations_go_to_their_targets_run(report_factory: Any, status: Status) -> None:
    evaluation = Evaluation("ha.pdb", "apps/Deployment/default/api", status, Tier.PRODUCTION, "403", target="-")
    runs = _runs(sarif.render(report_factory(evaluations=(evaluation,), skipped=())))
    assert _notes(runs["govscan/deploy/prod/"]) == []
    what = "could not evaluate" if status is Status.NOT_EVALUATED else "failed to evaluate"
    assert _notes(runs["govscan/stdin/"]) == [f"ha.pdb {what} apps/Deployment/default/api: 403"]
