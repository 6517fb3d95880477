"""`--engine checkov`: checkov's kubernetes and terraform_plan frameworks over the staged inputs.

Run once over the staging directory, offline (`--skip-download`, no update check). Its JSON lists
failed, passed and skipped checks per resource with the file, the line range and the keys it looked
at; every one becomes a CheckResult. checkov rates no check without a platform connection, so the
severity is usually empty (see mapping.severity_of).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from govscan.scanner.adapters.mapping import CHECKOV
from govscan.scanner.adapters.results import CheckResult
from govscan.scanner.model import Status

FRAMEWORKS = ("kubernetes", "terraform_plan")
_STATUS = (("failed_checks", Status.FAIL), ("passed_checks", Status.PASS), ("skipped_checks", Status.NOT_EVALUATED))


def command(tool: list[str], scan_dir: Path) -> list[str]:
    return [*tool, "--directory", str(scan_dir), "--framework", *FRAMEWORKS, "--output", "json", "--skip-download"]


class Unreadable(Exception):
    """checkov's output is not the JSON report it writes when it works."""


def parse(stdout: str, scan_dir: Path) -> tuple[list[CheckResult], list[str]]:
    """The results, and the staged files checkov could not parse."""
    try:
        data = json.loads(stdout)
    except ValueError:
        raise Unreadable("checkov printed no JSON report") from None
    reports = data if isinstance(data, list) else [data]
    results: list[CheckResult] = []
    unparsed: list[str] = []
    root = scan_dir.resolve()
    for report in reports:
        if not isinstance(report, dict):
            raise Unreadable("checkov's JSON report has an unexpected shape")
        found = report.get("results")
        if not isinstance(found, dict):
            continue  # a summary only: nothing of this framework was found
        for key, status in _STATUS:
            for item in found.get(key) or []:
                if isinstance(item, dict):
                    result = _result(item, status, root)
                    if result is not None:
                        results.append(result)
        for path in found.get("parsing_errors") or []:
            chunk = _chunk_name(str(path), root)
            if chunk:
                unparsed.append(chunk)
    return results, unparsed


def _result(item: dict[str, Any], status: Status, root: Path) -> CheckResult | None:
    chunk = _chunk_name(str(item.get("file_abs_path") or ""), root) or _chunk_name(
        str(item.get("file_path") or ""), root
    )
    check_id = item.get("check_id")
    if not chunk or not isinstance(check_id, str):
        return None
    check = item.get("check_result") if isinstance(item.get("check_result"), dict) else {}
    keys = check.get("evaluated_keys") if isinstance(check, dict) else None
    lines = item.get("file_line_range")
    line = lines[0] if isinstance(lines, list) and lines and isinstance(lines[0], int) else None
    guideline = item.get("guideline")
    skipped = check.get("suppress_comment") if isinstance(check, dict) else None
    return CheckResult(
        tool=CHECKOV,
        check_id=check_id,
        title=str(item.get("check_name") or check_id),
        chunk=chunk,
        status=status,
        line=line,
        keys=tuple(k for k in keys or () if isinstance(k, str)),
        resource=str(item.get("resource_address") or item.get("resource") or ""),
        message=f"checkov skipped it ({skipped}); govscan waivers need an owner and an expiry: waive "
        f"{CHECKOV}.{check_id} instead"
        if skipped
        else "",
        severity=item.get("severity") if isinstance(item.get("severity"), str) else None,
        remediation=f"See {guideline}." if isinstance(guideline, str) and guideline else "",
    )


def _chunk_name(path: str, root: Path) -> str:
    """The staged file a checkov path names (absolute, or relative to the scanned directory)."""
    if not path:
        return ""
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = root / path.lstrip("/")
    try:
        return candidate.resolve().relative_to(root).as_posix()
    except ValueError:
        return ""
