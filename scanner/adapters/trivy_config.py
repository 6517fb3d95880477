"""`--engine trivy-config`: `trivy config` over the staged inputs, with its embedded checks only.

One run over the staged Kubernetes documents (one file each, so trivy's file names the resource) and
one run per plan (trivy renders a plan as one `main.tf`, so two plans in one run could not be told
apart). Offline: `--skip-check-update`, nothing else to download for config scanning.

Rule ids use trivy's AVD id (`trivy.AVD-KSV-0017`): unique and the same for every check family,
where the short id is not (`KSV017`, but `KSV0012` for AVD-KCV-0012).

trivy lists passed checks per file without saying which of them applied to the resource (a
Namespace "passes" ninety pod checks), so govscan records trivy's failures only: a pass from trivy
is not evidence, and no Evaluation claims it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from govscan.scanner.adapters.mapping import TRIVY
from govscan.scanner.adapters.results import CheckResult
from govscan.scanner.model import Status

_FLAGS = ("config", "--format", "json", "--quiet", "--skip-check-update")


def k8s_command(tool: list[str], k8s_dir: Path, cache_dir: Path) -> list[str]:
    return [*tool, *_FLAGS, "--cache-dir", str(cache_dir), "--misconfig-scanners", "kubernetes", str(k8s_dir)]


def plan_command(tool: list[str], plan: Path, cache_dir: Path) -> list[str]:
    return [*tool, *_FLAGS, "--cache-dir", str(cache_dir), "--misconfig-scanners", "terraformplan-json", str(plan)]


class Unreadable(Exception):
    """trivy's output is not the JSON report it writes when it works."""


def parse(stdout: str, chunk_of_target: dict[str, str] | str) -> list[CheckResult]:
    """Failed checks; `chunk_of_target` maps trivy's Target to a staged file, or names the one plan."""
    try:
        data = json.loads(stdout) if stdout.strip() else {}
    except ValueError:
        raise Unreadable("trivy printed no JSON report") from None
    if not isinstance(data, dict):
        raise Unreadable("trivy's JSON report has an unexpected shape")
    found: list[CheckResult] = []
    for result in data.get("Results") or []:
        if not isinstance(result, dict):
            continue
        target = str(result.get("Target") or "")
        chunk = chunk_of_target if isinstance(chunk_of_target, str) else chunk_of_target.get(target)
        if chunk is None:
            continue
        for item in result.get("Misconfigurations") or []:
            if isinstance(item, dict) and item.get("Status") == "FAIL":
                found.append(_result(item, chunk))
    return found


def _result(item: dict[str, Any], chunk: str) -> CheckResult:
    cause = item.get("CauseMetadata") if isinstance(item.get("CauseMetadata"), dict) else {}
    assert isinstance(cause, dict)
    resource = str(cause.get("Resource") or "")
    start = cause.get("StartLine") if isinstance(cause.get("StartLine"), int) else None
    block = start
    for occurrence in cause.get("Occurrences") or []:
        where = occurrence.get("Location") if isinstance(occurrence, dict) else None
        if isinstance(where, dict) and occurrence.get("Resource") == resource:
            block = where.get("StartLine") if isinstance(where.get("StartLine"), int) else block
    check_id = str(item.get("AVDID") or item.get("ID") or "")
    resolution = str(item.get("Resolution") or "").strip().rstrip(".")
    url = str(item.get("PrimaryURL") or "")
    remediation = " ".join(
        part for part in (f"{resolution}." if resolution else "", f"See {url}." if url else "") if part
    )
    return CheckResult(
        tool=TRIVY,
        check_id=check_id,
        title=str(item.get("Title") or check_id),
        chunk=chunk,
        status=Status.FAIL,
        line=start if start and start > 0 else None,
        resource=resource,
        block_line=block if block and block > 0 else None,
        message=str(item.get("Message") or item.get("Title") or ""),
        severity=str(item.get("Severity") or "") or None,
        remediation=remediation,
        description=str(item.get("Description") or ""),
    )
