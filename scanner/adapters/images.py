"""Image vulnerabilities: for each image a scanned workload runs, a trivy report decides.

Two rules, tiered like any other (config overrides their enforcement and options):
- `image-provenance.critical-vulnerabilities`: critical vulnerabilities with a fix available; blocks
  production, warns in staging.
- `image-provenance.high-vulnerabilities`: the same for high ones; warns in production and staging.

Reports come from `--trivy-report PATH` (a `trivy image --format json` report, or a directory of
them: the report's ArtifactName, RepoTags and RepoDigests say which image it is about, the file name
does not matter), or with `--scan-images` from running trivy itself, offline, on images already on
this machine (never pulled, the vulnerability database never downloaded). An image with no report
is not evaluated, never passed. Messages name the vulnerability id, package, installed and fixed
versions, at most MAX_LISTED of them: no descriptions, no links.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from govscan.rules._lib.images import ImageRef, container_images, parse_image
from govscan.rules._lib.workloads import WORKLOADS, pod_spec_path
from govscan.scanner.adapters.results import Outcome
from govscan.scanner.adapters.tools import Running
from govscan.scanner.config import Config
from govscan.scanner.engine import location_of
from govscan.scanner.errors import GovscanError
from govscan.scanner.model import (
    NotEvaluated,
    Platform,
    Resource,
    RuleMeta,
    Severity,
    Status,
    Violation,
    enforcement_table,
)

MAX_LISTED = 3


@dataclass(frozen=True)
class VulnerabilityOptions:
    fixable_only: bool = True
    """Count only vulnerabilities with a fixed version (FixedVersion set): those a rebuild can remove."""


CRITICAL_RULE = RuleMeta(
    id="image-provenance.critical-vulnerabilities",
    domain="image-provenance",
    title="Images run by workloads have no critical vulnerability with a fix available",
    severity=Severity.CRITICAL,
    enforcement=enforcement_table("block", "warn", "info", "info", "info"),
    remediation="Rebuild the image on updated packages or move to a patched tag (the message lists each "
    "vulnerability with the installed and the fixed version), then deploy it; while the fix is rolled out, "
    "waive with an owner and an expiry.",
    kinds=(WORKLOADS,),
    options=VulnerabilityOptions(),
)
HIGH_RULE = RuleMeta(
    id="image-provenance.high-vulnerabilities",
    domain="image-provenance",
    title="Images run by workloads have no high vulnerability with a fix available",
    severity=Severity.HIGH,
    enforcement=enforcement_table("warn", "warn", "info", "info", "off"),
    remediation=CRITICAL_RULE.remediation,
    kinds=(WORKLOADS,),
    options=VulnerabilityOptions(),
)
RULES = {"CRITICAL": CRITICAL_RULE, "HIGH": HIGH_RULE}
DOC = """Each image a workload runs is looked up in trivy's image reports (`--trivy-report`, `--scan-images`).

Passes: the image's report lists no {level} vulnerability with a fixed version.
Fails: the report lists one or more; the message names each (id, package, installed -> fixed).
An image without a report is not evaluated, never passed."""


def no_check(resource: Resource, ctx: object, options: object) -> Iterator[Violation]:
    """The image rules are judged by `judge` over trivy's reports, not resource by resource."""
    return iter(())


class ReportError(GovscanError):
    """A --trivy-report file that is not a trivy image report (exit 2, naming the file)."""


@dataclass(frozen=True, slots=True)
class Vulnerability:
    id: str
    package: str
    installed: str
    fixed: str
    severity: str

    def describe(self) -> str:
        fix = f" -> {self.fixed}" if self.fixed else " (no fix yet)"
        return f"{self.id} in {self.package} {self.installed}{fix}"


@dataclass(frozen=True, slots=True)
class ImageReport:
    source: str
    """Where it came from: the report file, or `trivy image`."""
    names: frozenset[str]
    """Normalised references it covers: `docker.io/library/odoo:17.0`, `...@sha256:...`."""
    vulnerabilities: tuple[Vulnerability, ...]


def keys(image: ImageRef) -> list[str]:
    """The normalised references of an image: by digest when pinned, and by tag."""
    found = []
    if image.digest:
        found.append(f"{image.name}@{image.digest}")
    found.append(f"{image.name}:{image.tag or 'latest'}")
    return found


def read_report(path: Path, display: str) -> ImageReport:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"--trivy-report {display}: cannot read: {exc}") from None
    except ValueError as exc:
        raise ReportError(f"--trivy-report {display}: not JSON ({exc})") from None
    return report_from(data, display)


def report_from(data: Any, display: str) -> ImageReport:
    if not isinstance(data, dict) or data.get("SchemaVersion") != 2 or not isinstance(data.get("ArtifactName"), str):
        raise ReportError(
            f"--trivy-report {display}: not a trivy image report (`trivy image --format json`, SchemaVersion 2, "
            "with an ArtifactName)"
        )
    if data.get("ArtifactType") not in (None, "container_image"):
        raise ReportError(
            f"--trivy-report {display}: ArtifactType is {data.get('ArtifactType')!r}, not a container image"
        )
    metadata = data.get("Metadata") if isinstance(data.get("Metadata"), dict) else {}
    assert isinstance(metadata, dict)
    references = [data["ArtifactName"], *(metadata.get("RepoTags") or []), *(metadata.get("RepoDigests") or [])]
    names = frozenset(k for ref in references if (image := parse_image(ref)) is not None for k in keys(image))
    if not names:
        raise ReportError(f"--trivy-report {display}: ArtifactName {data['ArtifactName']!r} is not an image reference")
    vulnerabilities: dict[tuple[str, str, str], Vulnerability] = {}
    for result in data.get("Results") or []:
        for item in (result.get("Vulnerabilities") if isinstance(result, dict) else None) or []:
            if not isinstance(item, dict) or item.get("Severity") not in RULES:
                continue
            vulnerability = Vulnerability(
                id=str(item.get("VulnerabilityID") or "?"),
                package=str(item.get("PkgName") or "?"),
                installed=str(item.get("InstalledVersion") or "?"),
                fixed=str(item.get("FixedVersion") or ""),
                severity=str(item["Severity"]),
            )
            vulnerabilities.setdefault(
                (vulnerability.id, vulnerability.package, vulnerability.installed), vulnerability
            )
    ordered = sorted(vulnerabilities.values(), key=lambda v: (v.severity, v.id, v.package))
    return ImageReport(display, names, tuple(ordered))


def load_reports(paths: Iterable[Path]) -> dict[str, ImageReport]:
    """Reports by normalised image reference; a directory holds `*.json` reports (searched recursively)."""
    by_name: dict[str, ImageReport] = {}
    for given in paths:
        if given.is_dir():
            files = sorted(p for p in given.rglob("*.json") if p.is_file())
            if not files:
                raise ReportError(f"--trivy-report {given}: no *.json reports in this directory")
        elif given.is_file():
            files = [given]
        else:
            raise ReportError(f"--trivy-report {given}: no such file or directory")
        for path in files:
            report = read_report(path, path.as_posix())
            for name in report.names:
                other = by_name.get(name)
                if other is not None and other.source != report.source:
                    raise ReportError(
                        f"--trivy-report: {other.source} and {report.source} are both reports for {name}; keep one"
                    )
                by_name[name] = report
    return by_name


def images_of(resource: Resource, config: Config) -> tuple[list[tuple[str, ImageRef, str]], list[NotEvaluated]]:
    """(container label, image, pointer of its `image` field) for each container, plus unreadable ones."""
    ctx = SimpleNamespace(pod_spec_paths=config.pod_spec_paths)
    found, unreadable = container_images(resource, ctx)
    return [(c.container.label, c.image, c.pointer) for c in found], unreadable


def workloads(resources: Iterable[Resource], config: Config) -> Iterator[Resource]:
    for resource in resources:
        if resource.platform is Platform.K8S and pod_spec_path(resource, config.pod_spec_paths) is not None:
            yield resource


def judge(
    resources: Iterable[Resource], config: Config, reports: dict[str, ImageReport], missing: dict[str, str]
) -> list[Outcome]:
    """Both rules on every workload: FAIL with one finding per affected container, NOT_EVALUATED for an
    image without a report (`missing` says why, per normalised reference), PASS otherwise."""
    found: list[Outcome] = []
    for resource in workloads(resources, config):
        images, unreadable = images_of(resource, config)
        for level, meta in RULES.items():
            options = config.options_for(meta)
            violations = []
            undecided = [n.reason for n in unreadable]
            for label, image, pointer in images:
                report = next((reports[k] for k in keys(image) if k in reports), None)
                if report is None:
                    why = next((missing[k] for k in keys(image) if k in missing), "")
                    undecided.append(f"no trivy report for image {image.raw} ({label}){why}")
                    continue
                hits = [
                    v for v in report.vulnerabilities if v.severity == level and (v.fixed or not options.fixable_only)
                ]
                if hits:
                    message = _message(image, label, level, hits, options.fixable_only)
                    violations.append((Violation(message, pointer), location_of(resource, pointer)))
            doc = DOC.format(level=level.lower())
            if violations:
                found.append(Outcome(meta, doc, resource, Status.FAIL, tuple(violations)))
            if undecided:
                found.append(Outcome(meta, doc, resource, Status.NOT_EVALUATED, reason="; ".join(undecided)))
            if not violations and not undecided:
                found.append(Outcome(meta, doc, resource, Status.PASS))
    return found


def _message(image: ImageRef, label: str, level: str, hits: list[Vulnerability], fixable_only: bool) -> str:
    count = len(hits)
    kind = f"{'fixable ' if fixable_only else ''}{level.lower()} vulnerabilit{'y' if count == 1 else 'ies'}"
    listed = ", ".join(v.describe() for v in hits[:MAX_LISTED])
    more = f", and {count - MAX_LISTED} more" if count > MAX_LISTED else ""
    return f"image {image.raw} ({label}) has {count} {kind}: {listed}{more}"


# --- --scan-images: trivy image, offline, on images already on this machine ---------------------------


def trivy_cache_dir() -> Path:
    """Where trivy keeps its vulnerability database: $TRIVY_CACHE_DIR, else the user cache directory."""
    explicit = os.environ.get("TRIVY_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "trivy"


def image_command(tool: list[str], image: str, cache_dir: Path, timeout: float) -> list[str]:
    return [
        *tool, "image", "--format", "json", "--quiet", "--scanners", "vuln",
        "--skip-db-update", "--skip-java-db-update", "--offline-scan",
        "--image-src", "docker,containerd,podman",  # never "remote": nothing is pulled
        "--cache-dir", str(cache_dir), "--timeout", f"{int(timeout)}s", image,
    ]  # fmt: skip


def scan_images(
    images: Iterable[str], tool: list[str], work_dir: Path, timeout: float
) -> tuple[dict[str, ImageReport], dict[str, str]]:
    """Reports for the images trivy could scan, and why not for the others (by normalised reference)."""
    reports: dict[str, ImageReport] = {}
    missing: dict[str, str] = {}
    cache = trivy_cache_dir()
    database = [cache / "db" / "trivy.db", cache / "db" / "metadata.json"]
    for number, raw in enumerate(sorted(set(images)), start=1):
        image = parse_image(raw)
        if image is None:
            continue
        if not all(path.is_file() for path in database):
            why = (
                f": trivy has no vulnerability database in {cache / 'db'} and this scan never downloads one "
                "(run `trivy image --download-db-only` where the network is allowed, or give --trivy-report)"
            )
            missing.update(dict.fromkeys(keys(image), why))
            continue
        run = Running(f"trivy-image-{number}", image_command(tool, raw, cache, timeout), work_dir, timeout)
        finished = run.wait()
        problem = finished.problem
        if problem is None and finished.returncode != 0:
            problem = f"trivy image exited with {finished.returncode}: {run.last_error_line() or 'no message'}"
        if problem is None:
            try:
                report = report_from(json.loads(finished.stdout), f"trivy image {raw}")
            except (ValueError, ReportError) as exc:
                problem = f"trivy image gave no usable report ({str(exc)[:200]})"
            else:
                reports.update(dict.fromkeys(keys(image), report))
                continue
        missing.update(dict.fromkeys(keys(image), f": {problem}"))
    return reports, missing
