from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from govscan.reporters import junit
from govscan.scanner.model import Enforcement, ScanReport, Severity

BLOCKING_PAIRS = {
    ("ha.replicas", "apps/Deployment/shop/web"),
    ("ha.replicas", "apps/Deployment/default/api"),
    ("image.latest-tag", "apps/Deployment/shop/shop-worker"),
    ("govscan.input-error", "file:deploy/prod/broken.yaml"),
}


def _parse(report: ScanReport) -> ET.Element:
    return ET.fromstring(junit.render(report).encode("utf-8"))


def _case(root: ET.Element, classname: str, name: str) -> ET.Element:
    hits = [c for c in root.iter("testcase") if c.get("classname") == classname and c.get("name") == name]
    assert len(hits) == 1
    return hits[0]


def test_header_and_encoding(report: ScanReport) -> None:
    text = junit.render(report)
    assert not text.startswith("\ufeff")
    assert not text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="govscan"')
    assert text.endswith("</testsuites>\n")


def test_failures_are_blocking_rule_resource_pairs(report: ScanReport) -> None:
    root = _parse(report)
    failed = {(c.get("classname"), c.get("name")) for c in root.iter("testcase") if c.find("failure") is not None}
    assert failed == BLOCKING_PAIRS
    pairs_from_findings = {(f.rule_id, f.resource.uid) for f in report.findings if f.blocking}
    assert root.get("failures") == str(len(pairs_from_findings)) == "4"


def test_totals_and_suites(report: ScanReport) -> None:
    root = _parse(report)
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "13",
        "failures": "4",
        "errors": "1",
        "skipped": "1",
    }
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [
        "backup.velero-retention",
        "govscan.input-error",
        "ha.pdb",
        "ha.replicas",
        "image.latest-tag",
        "rbac.cluster-admin-binding",
        "secrets.plaintext-env",
    ]
    for suite in suites:
        cases = suite.findall("testcase")
        assert suite.get("tests") == str(len(cases))
        assert suite.get("failures") == str(sum(c.find("failure") is not None for c in cases))
        assert suite.get("errors") == str(sum(c.find("error") is not None for c in cases))
        assert suite.get("skipped") == str(sum(c.find("skipped") is not None for c in cases))
        assert all(c.get("classname") == suite.get("name") for c in cases)
        names = [c.get("name", "") for c in cases]
        assert names == sorted(names)
    for key in ("tests", "failures", "errors", "skipped"):
        assert root.get(key) == str(sum(int(s.get(key, "0")) for s in suites))


def test_testcase_names_are_unique_per_classname(report: ScanReport) -> None:
    keys = [(c.get("classname"), c.get("name")) for c in _parse(report).iter("testcase")]
    assert len(keys) == len(set(keys))


def test_findings_on_one_pair_merge_into_one_failure(report: ScanReport) -> None:
    case = _case(_parse(report), "image.latest-tag", "apps/Deployment/shop/shop-worker")
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "2 blocking findings"
    assert failure.get("type") == "block"
    assert failure.text == (
        "charts/shop/templates/deployment.yaml:31: container worker uses shop/worker:latest\n"
        "charts/shop/templates/deployment.yaml:40: container sidecar uses envoy:latest\n"
        "fix: Fix it."
    )


def test_single_blocking_finding_failure(report: ScanReport) -> None:
    failure = _case(_parse(report), "ha.replicas", "apps/Deployment/default/api").find("failure")
    assert failure is not None
    assert failure.get("message") == "Deployment api runs 1 replica; production needs at least 2"
    assert failure.text is not None
    assert failure.text.startswith("<stdin>:7: Deployment api runs 1 replica")


def test_warn_info_and_waived_are_passing_with_system_out(report: ScanReport) -> None:
    root = _parse(report)
    warn = _case(root, "image.latest-tag", "apps/Deployment/shop/web")
    assert warn.find("failure") is None
    assert warn.findtext("system-out", "").startswith("[warn] deploy/prod/web.yaml:20: container app uses")
    info = _case(root, "backup.velero-retention", "velero.io/Schedule/velero/nightly")
    assert info.find("failure") is None
    assert info.findtext("system-out", "").startswith("[info] deploy/prod/rbac.yaml:27:")
    waived = _case(root, "rbac.cluster-admin-binding", "rbac.authorization.k8s.io/ClusterRoleBinding//ci-admin")
    assert [child.tag for child in waived] == ["system-out"]
    assert (
        "waived: CI bootstrap, removed after migration (until 2026-03-31, owner platform, via annotation)"
        in waived.findtext("system-out", "")
    )


def test_plain_pass_has_no_children(report: ScanReport) -> None:
    case = _case(_parse(report), "ha.replicas", "apps/Deployment/shop/shop-worker")
    assert list(case) == []


def test_not_evaluated_is_skipped_and_error_is_error(report: ScanReport) -> None:
    root = _parse(report)
    skipped = _case(root, "ha.pdb", "apps/Deployment/shop/web").find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "cluster returned 403 listing policy/v1 PodDisruptionBudgets"
    error = _case(root, "secrets.plaintext-env", "apps/Deployment/default/api").find("error")
    assert error is not None
    assert error.get("message") == "rule crashed: KeyError 'env'"


def test_input_error_fails_and_keeps_its_error_reason(report: ScanReport) -> None:
    case = _case(_parse(report), "govscan.input-error", "file:deploy/prod/broken.yaml")
    assert [child.tag for child in case] == ["failure", "system-out"]
    assert case.findtext("system-out") == "[error] could not parse YAML: mapping values are not allowed here"


def test_finding_without_evaluation_gets_a_testcase(report_factory: Any) -> None:
    root = _parse(report_factory(evaluations=()))
    case = _case(root, "govscan.input-error", "file:deploy/prod/broken.yaml")
    assert case.find("failure") is not None
    assert root.get("failures") == "4"


def test_fail_on_warn_makes_listed_warn_findings_fail(report_factory: Any) -> None:
    from dataclasses import replace

    base = report_factory()
    warn = next(f for f in base.findings if f.rule_id == "image.latest-tag" and f.enforcement is Enforcement.WARN)
    gate = replace(base.gate, blocking=(*base.gate.blocking, warn.fingerprint))
    root = _parse(replace(base, gate=gate))
    assert root.get("failures") == "5"
    failure = _case(root, "image.latest-tag", "apps/Deployment/shop/web").find("failure")
    assert failure is not None
    assert failure.get("type") == "warn"


def test_empty_uid_falls_back_to_file_path(report_factory: Any, finding_factory: Any, resources: Any) -> None:
    from dataclasses import replace

    nameless = replace(resources["broken"], uid="")
    finding = finding_factory("govscan.input-error", nameless, path="deploy/other.yaml", domain="govscan")
    root = _parse(report_factory(findings=(finding,), evaluations=()))
    assert _case(root, "govscan.input-error", "deploy/other.yaml").find("failure") is not None


def test_unsafe_characters_still_parse(report_factory: Any, finding_factory: Any, resources: Any) -> None:
    finding = finding_factory(
        "ha.replicas",
        resources["web"],
        message='bad \x07bell <tag> & "quotes"\nsecond line',
        severity=Severity.LOW,
        enforcement=Enforcement.BLOCK,
    )
    root = _parse(report_factory(findings=(finding,)))
    failure = _case(root, "ha.replicas", "apps/Deployment/shop/web").find("failure")
    assert failure is not None
    assert failure.get("message") == 'bad \ufffdbell <tag> & "quotes"\nsecond line'


def test_deterministic(report: ScanReport) -> None:
    assert junit.render(report) == junit.render(report)
