"""SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer).

One run per scan target (the paths given on the command line), each with a stable
`automationDetails.id` of `CATEGORY/TARGET/` (CATEGORY from `--sarif-category`, default `govscan`),
so GitHub keeps each target's alerts apart and a later scan of one target does not close another's.
A report without targets, or with more than GitHub's 20 runs per file, has one run `CATEGORY/`.
`tool.driver.rules` holds every rule in the report plus a generic descriptor for any rule id
that only appears in findings (e.g. `govscan.input-error`). Results follow GitHub's expectations:

- `level` from enforcement (block -> error, warn -> warning, info -> note); severity goes to the rule's
  `security-severity` property, which GitHub uses to rank alerts.
- `artifactLocation.uri` is repo-relative with forward slashes and `uriBaseId` "%SRCROOT%"; absolute paths
  become `file://` URIs (no base id), `<stdin>` becomes "stdin".
- Live objects (`govscan cluster`, `govscan drift`) keep their logical location `context/namespace/Kind/name`
  as the logical location's fully qualified name; their physical location is the Git file when the
  object could be traced to one, else a stable pseudo-path `cluster/<context>/<namespace>/<Kind>/<name>.yaml`.
- `partialFingerprints` derive from the engine's fingerprint (rule + resource uid + pointer), never from
  line numbers, so moving a manifest does not reopen an alert.
- Waived findings stay in the output with a `suppressions` entry: "inSource" for annotation waivers,
  "external" for config or Rego exceptions.
- Not-evaluated and errored evaluations, and skipped documents, become tool execution notifications.
- Within GitHub's upload limits: past 25,000 results in a run, or 10 MB for the gzipped file, the most
  severe results are kept (blocking first, then by enforcement and severity; waived ones go first) and
  a run-level notification says how many were dropped and of which levels. The JSON report keeps all.
- Each run's `properties.evaluations` counts its evaluations by status (pass, fail, waived, not-evaluated,
  error), zeros included: nothing undecided is left unsaid.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from govscan.reporters._common import (
    SECURITY_SEVERITY,
    STDIN_PATH,
    blocking_checker,
    count_evaluations,
    is_absolute,
    json_chunks,
    repo_path,
    sorted_findings,
)
from govscan.scanner.model import Enforcement, Finding, RuleInfo, ScanReport, Severity, Status, Tier

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/govscan/govscan"
SRCROOT = "%SRCROOT%"
DEFAULT_CATEGORY = "govscan"
AUTOMATION_ID = DEFAULT_CATEGORY + "/"

# GitHub code scanning's upload limits (docs: "SARIF support for code scanning").
MAX_RESULTS_PER_RUN = 25_000
MAX_GZIP_BYTES = 10 * 1024 * 1024
MAX_RUNS = 20

LEVEL: dict[Enforcement, str] = {
    Enforcement.BLOCK: "error",
    Enforcement.WARN: "warning",
    Enforcement.INFO: "note",
    Enforcement.OFF: "none",
}

# A rule's default level when only its severity is known (RuleInfo carries no per-tier enforcement).
ENFORCEMENT_LEVEL: dict[Enforcement, str] = {
    Enforcement.BLOCK: "error",
    Enforcement.WARN: "warning",
    Enforcement.INFO: "note",
    Enforcement.OFF: "none",
}


def _default_level(info: RuleInfo) -> str:
    """The production enforcement when known (the tier a gate cares most about), else by severity."""
    production = info.enforcement.get(Tier.PRODUCTION) if info.enforcement else None
    return ENFORCEMENT_LEVEL[production] if production is not None else DEFAULT_LEVEL[info.severity]


DEFAULT_LEVEL: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
}

_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


def artifact_location(path: str) -> dict[str, str]:
    """SARIF artifactLocation for a report path (see the module docstring for the rules)."""
    if path == STDIN_PATH:
        return {"uri": "stdin", "uriBaseId": SRCROOT}
    if is_absolute(path):
        windows = PureWindowsPath(path)
        if windows.drive:
            return {"uri": windows.as_uri()}
        return {"uri": PurePosixPath(path).as_uri()}
    return {"uri": quote(repo_path(path), safe="/"), "uriBaseId": SRCROOT}


def rule_name(rule_id: str) -> str:
    """A PascalCase identifier from a rule id: `backup.velero-retention` -> `BackupVeleroRetention`."""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", rule_id) if p]
    return "".join(p[:1].upper() + p[1:] for p in parts) or rule_id


def _first_paragraph(text: str) -> str:
    for block in text.strip().split("\n\n"):
        if block.strip():
            return " ".join(block.split())
    return ""


def rule_descriptor(info: RuleInfo) -> dict[str, Any]:
    title = info.title or info.id
    doc = info.doc.strip()
    remediation = info.remediation.strip()
    text_parts = [f"Remediation: {remediation}"] if remediation else []
    markdown_parts = [f"**Remediation:** {remediation}"] if remediation else []
    if doc:
        text_parts.append(doc)
        markdown_parts.append(doc)
    show = f"Run `govscan rules show {info.id}` for details."
    text_parts.append(show)
    markdown_parts.append(show)
    return {
        "id": info.id,
        "name": rule_name(info.id),
        "shortDescription": {"text": title},
        "fullDescription": {"text": _first_paragraph(doc) or title},
        "help": {"text": "\n\n".join(text_parts), "markdown": "\n\n".join(markdown_parts)},
        "defaultConfiguration": {"level": _default_level(info)},
        "properties": {
            "security-severity": SECURITY_SEVERITY[info.severity],
            "tags": [info.domain, "security"] if info.domain != "security" else ["security"],
            "precision": "high",
        },
    }


def _generic_rule_info(rule_id: str, findings: list[Finding]) -> RuleInfo:
    """Descriptor data for a rule id seen only in findings: built from its first finding."""
    first = findings[0]
    return RuleInfo(
        id=rule_id,
        domain=first.domain,
        title=first.title or rule_id,
        severity=max(f.severity for f in findings),
        remediation=first.remediation,
        doc="",
    )


def rule_table(report: ScanReport, findings: list[Finding]) -> list[RuleInfo]:
    """Rules sorted by id: the report's rules plus generic entries for ids only seen in findings."""
    known = {info.id: info for info in report.rules}
    orphans: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.rule_id not in known:
            orphans.setdefault(finding.rule_id, []).append(finding)
    for rule_id, group in orphans.items():
        known[rule_id] = _generic_rule_info(rule_id, group)
    return [known[rule_id] for rule_id in sorted(known)]


def suppression(finding: Finding) -> dict[str, Any]:
    waiver = finding.waiver
    assert waiver is not None
    extra = {"source": waiver.source}
    if waiver.owner:
        extra["owner"] = waiver.owner
    if waiver.expires:
        extra["expires"] = waiver.expires
    return {
        "kind": "inSource" if waiver.source == "annotation" else "external",
        "status": "accepted",
        "justification": waiver.reason,
        "properties": extra,
    }


def result(finding: Finding, rule_index: int) -> dict[str, Any]:
    resource = finding.resource
    out: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.enforcement],
        "message": {"text": finding.message or finding.title or finding.rule_id},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact_location(finding.location.path),
                    "region": {
                        "startLine": max(1, finding.location.line),
                        "startColumn": max(1, finding.location.column),
                    },
                },
                "logicalLocations": [
                    {"name": resource.name, "fullyQualifiedName": resource.logical or resource.uid, "kind": "resource"}
                ],
            }
        ],
        "partialFingerprints": {
            "primaryLocationLineHash": f"{finding.fingerprint}:1",
            "govscan/v1": finding.fingerprint,
        },
        "properties": {
            "tier": finding.tier.value,
            "enforcement": finding.enforcement.label,
            "domain": finding.domain,
            "severity": finding.severity.label,
            "resourceUid": resource.uid,
        },
    }
    if resource.logical:
        out["properties"]["liveObject"] = resource.logical
    if finding.waiver is not None:
        out["suppressions"] = [suppression(finding)]
    return out


def notifications(
    report: ScanReport, rule_index: dict[str, int], belongs: Callable[[str, str], bool] | None = None
) -> list[dict[str, Any]]:
    """Undecided evaluations and skipped documents; `belongs(target, path)` keeps one run's own."""
    out: list[dict[str, Any]] = []
    for evaluation in sorted(report.evaluations, key=lambda e: (e.rule_id, e.resource_uid, e.status.value, e.reason)):
        if evaluation.status not in (Status.ERROR, Status.NOT_EVALUATED):
            continue
        if belongs is not None and not belongs(evaluation.target, ""):
            continue
        rule_id, uid, status, reason = evaluation.rule_id, evaluation.resource_uid, evaluation.status, evaluation.reason
        what = "failed to evaluate" if status is Status.ERROR else "could not evaluate"
        text = f"{rule_id} {what} {uid}: {reason}" if reason else f"{rule_id} {what} {uid}"
        rule_ref: dict[str, Any] = {"id": rule_id}
        if rule_id in rule_index:
            rule_ref["index"] = rule_index[rule_id]
        out.append(
            {
                "level": "error" if status is Status.ERROR else "warning",
                "message": {"text": text},
                "locations": [{"logicalLocations": [{"fullyQualifiedName": uid, "kind": "resource"}]}],
                "associatedRule": rule_ref,
                "properties": {"status": status.value},
            }
        )
    for skipped in sorted(report.skipped, key=lambda s: (s.path, s.line, s.reason)):
        if belongs is not None and not belongs(skipped.target, skipped.path):
            continue
        out.append(
            {
                "level": "note",
                "message": {"text": f"skipped document: {skipped.reason}"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": artifact_location(skipped.path),
                            "region": {"startLine": max(1, skipped.line)},
                        }
                    }
                ],
                "properties": {"status": "skipped"},
            }
        )
    return out


def target_slug(target: str) -> str:
    """A target as it appears in a category: `./k8s/` -> `k8s`, `.` -> `.`, `-` -> `stdin`."""
    if target == "-":
        return "stdin"
    return repo_path(target).lstrip("/") or "."


def automation_id(category: str | None, target: str | None) -> str:
    """`CATEGORY/TARGET/`; GitHub reads everything before the last `/` as the analysis category."""
    base = (category or DEFAULT_CATEGORY).strip().strip("/") or DEFAULT_CATEGORY
    return f"{base}/" if target is None else f"{base}/{target_slug(target)}/"


def _target_matcher(targets: list[str]) -> Callable[[str, str], str]:
    """(recorded target, path) -> the run's target: the recorded one, else the deepest target holding the path."""
    known = set(targets)
    prefixes = sorted(((repo_path(t) if t != "-" else STDIN_PATH, t) for t in targets), key=lambda p: -len(p[0]))

    def run_of(recorded: str, path: str) -> str:
        if recorded in known:
            return recorded
        if path:
            where = path if path == STDIN_PATH else repo_path(path)
            for prefix, target in prefixes:
                if prefix in ("", ".") or where == prefix or where.startswith(prefix + "/"):
                    return target
        return targets[0]

    return run_of


@dataclass(frozen=True)
class _Dropped:
    """What the size limits left out of one run."""

    reason: str
    kept: int
    levels: Counter[str]


def _priority(is_blocking: Callable[[Finding], bool]) -> Callable[[Finding], tuple[Any, ...]]:
    """Most severe first: unwaived before waived, blocking first, then enforcement, then severity."""

    def key(finding: Finding) -> tuple[Any, ...]:
        return (finding.waived, not is_blocking(finding), -finding.enforcement, -finding.severity, finding.sort_key())

    return key


def _drop_note(dropped: _Dropped) -> dict[str, Any]:
    total = sum(dropped.levels.values())
    levels = ", ".join(
        f"{dropped.levels[level]:,} {level}" for level in ("error", "warning", "note", "none") if dropped.levels[level]
    )
    return {
        "level": "warning",
        "message": {
            "text": f"{total:,} result(s) left out ({levels}) to stay within {dropped.reason}; the {dropped.kept:,} most "
            "severe were kept. The JSON report (--format json) lists every finding."
        },
        "descriptor": {"id": "govscan/results-dropped"},
        "properties": {"dropped": total, "kept": dropped.kept, "levels": dict(sorted(dropped.levels.items()))},
    }


def sarif_dict(
    report: ScanReport,
    category: str | None = None,
    *,
    max_results: int = MAX_RESULTS_PER_RUN,
    keep: int | None = None,
    size_limit: str = "",
) -> dict[str, Any]:
    """The SARIF document; `keep` caps the results of the whole file (most severe first) when the
    gzipped size is over the limit (see `chunks`)."""
    findings = sorted_findings(report)
    rules = rule_table(report, findings)
    index = {info.id: i for i, info in enumerate(rules)}
    driver: dict[str, Any] = {"name": "govscan", "version": report.tool_version}
    if _SEMVER.match(report.tool_version):
        driver["semanticVersion"] = report.tool_version
    driver["informationUri"] = INFORMATION_URI
    driver["rules"] = [rule_descriptor(info) for info in rules]

    targets = list(dict.fromkeys(report.targets))
    per_target = 0 < len(targets) <= MAX_RUNS
    run_targets: list[str | None] = list(targets) if per_target else [None]
    groups: dict[str | None, list[Finding]] = {t: [] for t in run_targets}
    run_of = _target_matcher(targets) if per_target else None
    for finding in findings:
        groups[run_of(finding.resource.target, finding.location.path) if run_of else None].append(finding)

    priority = _priority(blocking_checker(report))
    dropped: dict[str | None, list[_Dropped]] = {t: [] for t in run_targets}
    for target, group in groups.items():
        if len(group) > max_results:
            kept = set(map(id, sorted(group, key=priority)[:max_results]))
            levels = Counter(LEVEL[f.enforcement] for f in group if id(f) not in kept)
            dropped[target].append(_Dropped(f"GitHub's limit of {max_results:,} results per run", max_results, levels))
            groups[target] = [f for f in group if id(f) in kept]
    if keep is not None:
        remaining = [f for group in groups.values() for f in group]
        if len(remaining) > keep:
            kept = set(map(id, sorted(remaining, key=priority)[:keep]))
            for target, group in groups.items():
                levels = Counter(LEVEL[f.enforcement] for f in group if id(f) not in kept)
                groups[target] = [f for f in group if id(f) in kept]
                if levels:
                    dropped[target].append(_Dropped(size_limit, len(groups[target]), levels))

    runs = []
    for target in run_targets:
        notes: list[dict[str, Any]] = []
        if target is None and len(targets) > MAX_RUNS:
            notes.append(
                {
                    "level": "note",
                    "message": {
                        "text": f"{len(targets)} scan targets share one run: GitHub accepts at most {MAX_RUNS} runs "
                        "per SARIF file. Scan fewer, wider paths for one run (and one category) per target."
                    },
                }
            )
        notes += [_drop_note(d) for d in dropped[target]]
        belongs = None
        if run_of is not None:
            belongs = _belongs_to(run_of, target)
        notes += notifications(report, index, belongs)
        runs.append(
            {
                "tool": {"driver": driver},
                "automationDetails": {"id": automation_id(category, target)},
                "invocations": [
                    {"executionSuccessful": report.gate.exit_code in (0, 1), "toolExecutionNotifications": notes}
                ],
                "columnKind": "unicodeCodePoints",
                "results": [result(f, index[f.rule_id]) for f in groups[target]],
                "properties": {"evaluations": count_evaluations(report, belongs)},
            }
        )
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": runs}


def _belongs_to(run_of: Callable[[str, str], str], target: str | None) -> Callable[[str, str], bool]:
    return lambda recorded, path: run_of(recorded, path) == target


def _gzip_size(pieces: Iterator[str]) -> int:
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # gzip, zlib's default level (as upload-sarif sends it)
    size = 0
    for piece in pieces:
        size += len(packer.compress(piece.encode()))
    return size + len(packer.flush())


def chunks(report: ScanReport, category: str | None = None, *, max_gzip_bytes: int = MAX_GZIP_BYTES) -> Iterator[str]:
    """The document in pieces (one result per line), shrunk to fit `max_gzip_bytes` once gzipped."""
    document = sarif_dict(report, category)
    pieces: list[str] = []
    raw = 0
    for piece in json_chunks(document, expand=4):
        pieces.append(piece)
        raw += len(piece.encode())
        if raw > max_gzip_bytes:  # gzip can only be smaller than the text: measure only past the limit
            break
    else:
        return iter(pieces)
    size = _gzip_size(json_chunks(document, expand=4))
    if size <= max_gzip_bytes:
        return json_chunks(document, expand=4)
    results = sum(len(run["results"]) for run in document["runs"])
    limit = f"GitHub's limit of {max_gzip_bytes / 1048576:g} MB for a gzipped SARIF file"
    while size > max_gzip_bytes and results > 0:
        results = int(results * max_gzip_bytes / size * 0.95)
        document = sarif_dict(report, category, keep=results, size_limit=limit)
        size = _gzip_size(json_chunks(document, expand=4))
    return json_chunks(document, expand=4)


def render(report: ScanReport, category: str | None = None, *, max_gzip_bytes: int = MAX_GZIP_BYTES) -> str:
    return "".join(chunks(report, category, max_gzip_bytes=max_gzip_bytes))
