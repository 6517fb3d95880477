"""JUnit and Code Quality as GitLab reads them, on a real scan of every bundled fixture.

GitLab's rules (docs: "Unit test reports", "Code Quality report format"): a test case is keyed by its
classname and name, so two cases with the same pair collapse into one; a Code Quality issue needs
description, check_name, fingerprint, severity (info, minor, major, critical or blocker) and
location.path with location.lines.begin, and issues with the same fingerprint collapse into one.
Neither parser accepts a byte order mark.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from govscan.reporters import render
from govscan.scanner.config import load_config
from govscan.scanner.engine import ScanRequest, scan
from govscan.scanner.model import ScanReport, Status

ROOT = Path(__file__).resolve().parents[2]
SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


@pytest.fixture(scope="module")
def fixtures_report() -> ScanReport:
    return scan(ScanRequest(targets=("fixtures",), config=load_config(None), cwd=ROOT, jobs=1))


def test_junit_cases_are_unique_and_counted(fixtures_report: ScanReport) -> None:
    data = render("junit", fixtures_report).encode("utf-8")
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')  # no BOM
    root = ET.fromstring(data)
    cases = root.findall("./testsuite/testcase")
    pairs = [(case.get("classname"), case.get("name")) for case in cases]
    assert all(classname and name for classname, name in pairs)
    assert len(pairs) == len(set(pairs))
    failures = [case for case in cases if case.find("failure") is not None]
    assert int(root.get("tests", "")) == len(cases) and int(root.get("failures", "")) == len(failures)
    assert len(failures) == fixtures_report.gate.counts["blocking"]
    for suite in root.findall("testsuite"):
        assert int(suite.get("tests", "")) == len(suite.findall("testcase"))
        assert {case.get("classname") for case in suite.findall("testcase")} <= {suite.get("name")}


def test_code_quality_issues_follow_gitlabs_fields(fixtures_report: ScanReport) -> None:
    data = render("codequality", fixtures_report).encode("utf-8")
    assert data.startswith(b"[")  # no BOM
    issues = json.loads(data)
    undecided = sum(1 for e in fixtures_report.evaluations if e.status is Status.NOT_EVALUATED)
    assert undecided and len(issues) == sum(1 for f in fixtures_report.findings if not f.waived) + undecided
    fingerprints = [issue["fingerprint"] for issue in issues]
    assert len(fingerprints) == len(set(fingerprints))
    for issue in issues:
        assert isinstance(issue["description"], str) and issue["description"]
        assert isinstance(issue["check_name"], str) and issue["check_name"]
        assert issue["severity"] in SEVERITIES
        path = issue["location"]["path"]
        assert path.startswith("fixtures/") and "\\" not in path
        assert isinstance(issue["location"]["lines"]["begin"], int) and issue["location"]["lines"]["begin"] >= 1
    # one resource defined in several fixture files: its findings stay apart, each with its own fingerprint
    twins = [
        i for i in issues if i["check_name"] == "backup.bucket-versioning" and "erp-pg-wal-archive" in i["description"]
    ]
    assert len(twins) == len({i["fingerprint"] for i in twins}) >= 2
