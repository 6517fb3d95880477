"""`govscan merge`: the JSON reports of a sharded scan (or of several scans) as one report and one verdict.

Shards of one scan (same targets, `--shard i/n`) must all be there, each once: a missing shard would
pass what it never judged. The verdict is decided again over every finding and evaluation, by the
same gate as a scan, so `--fail-on`, `--soft-fail` and `--fail-on-incomplete` mean what they mean there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from govscan.scanner import gate as gate_module
from govscan.scanner.engine import unique_fingerprints
from govscan.scanner.errors import InputError, UsageError
from govscan.scanner.model import Enforcement, Evaluation, Finding, RuleInfo, ScanReport


@dataclass(frozen=True, slots=True)
class ShardReport:
    """One JSON report and the file it was read from (messages name the file)."""

    path: str
    report: ScanReport


def load(path: Path) -> ShardReport:
    """A JSON report read back; a file that is not one is an InputError naming it."""
    from govscan.reporters.json_report import ReportFormatError, read_report

    name = path.as_posix()
    try:
        with path.open("rb") as stream:
            data = json.load(stream)
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(name, f"not JSON ({exc})") from None
    try:
        return ShardReport(name, read_report(data))
    except ReportFormatError as exc:
        raise InputError(name, str(exc)) from None


def check_complete(reports: Sequence[ShardReport]) -> None:
    """Every shard of each sharded scan present once; one unsharded scan of the same targets once."""
    versions = sorted({r.report.tool_version for r in reports})
    if len(versions) > 1:
        raise UsageError(
            f"the reports come from different govscan versions ({', '.join(versions)}); run every shard with one version"
        )
    scans: dict[tuple[tuple[str, ...], int], dict[int, str]] = {}
    for item in reports:
        shard = item.report.shard
        index, count = shard if shard is not None else (1, 1)
        seen = scans.setdefault((item.report.targets, count), {})
        if index in seen:
            what = f"shard {index}/{count}" if shard is not None else "an unsharded scan"
            targets = " ".join(item.report.targets) or "(no targets)"
            raise UsageError(
                f"{seen[index]} and {item.path} are both {what} of {targets}; merge each shard's report once"
            )
        seen[index] = item.path
    for (scanned, count), seen in scans.items():
        missing = [f"{i}/{count}" for i in range(1, count + 1) if i not in seen]
        if missing:
            raise UsageError(
                f"shard(s) {', '.join(missing)} of {' '.join(scanned) or '(no targets)'} missing: a missing shard's "
                "files would pass unjudged; merge the reports of every shard"
            )


def merge(
    reports: Sequence[ShardReport],
    *,
    fail_on: Enforcement = Enforcement.BLOCK,
    soft_fail: bool = False,
    fail_on_incomplete: bool = False,
) -> ScanReport:
    """One report: findings, evaluations, rules, counts and targets joined, the verdict decided again."""
    if not reports:
        raise UsageError("no reports to merge; pass the shards' JSON reports, e.g. govscan merge shard-*.json")
    check_complete(reports)
    findings: list[Finding] = []
    evaluations: list[Evaluation] = []
    rules: dict[str, RuleInfo] = {}
    targets: dict[str, None] = {}
    for item in reports:
        report = item.report
        findings += report.findings
        evaluations += report.evaluations
        for info in report.rules:
            rules.setdefault(info.id, info)
        targets.update(dict.fromkeys(report.targets))
    findings = unique_fingerprints(findings)  # the same resource read in two shards' files
    resources = sum(item.report.resources for item in reports)
    decision = gate_module.decide(
        findings,
        evaluations,
        fail_on=fail_on,
        soft_fail=soft_fail,
        fail_on_incomplete=fail_on_incomplete,
        resources=resources,
    )
    return ScanReport(
        tool_version=reports[0].report.tool_version,
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        evaluations=tuple(sorted(evaluations, key=Evaluation.sort_key)),
        rules=tuple(sorted(rules.values(), key=lambda r: r.id)),
        gate=decision,
        resources=resources,
        files=sum(item.report.files for item in reports),
        skipped=tuple(s for item in reports for s in item.report.skipped),
        targets=tuple(targets),
    )
