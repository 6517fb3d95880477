"""JUnit XML: one <testsuite> per rule, one <testcase> per (rule, resource).

Counting rule, shared with the engine's gate: a testcase fails exactly when the findings for its
(rule id, resource uid) include a blocking one: unwaived and listed by the gate (block
enforcement, or warn too under `--fail-on warn`; see `_common.blocking_checker`). So
`failures` == the number of distinct (rule id, resource uid) pairs with a blocking finding, whatever
the number of findings behind each pair; several findings on one pair merge into one testcase whose
failure text lists each message with its file:line.

Other outcomes:
- pass and waived evaluations are passing testcases; waivers, warn and info findings go to <system-out>
- not-evaluated -> <skipped message=reason/>; error -> <error message=reason/>
- when a pair has both a blocking finding and an undecided evaluation, <failure> wins and the
  evaluation's reason goes to <system-out> (one outcome element per testcase)
- findings without an evaluation (e.g. govscan.input-error on a file) still get a testcase, named by
  the resource uid, or by the file path when the uid is empty

Output is sorted (suites by rule id, testcases by name), has no BOM and declares UTF-8.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from govscan.reporters._common import blocking_checker, sorted_findings, waiver_summary, xml_safe
from govscan.scanner.model import Enforcement, Evaluation, Finding, ScanReport, Status

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass
class _Case:
    rule_id: str
    name: str
    findings: list[Finding] = field(default_factory=list)
    blocking: list[Finding] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)

    def status(self, wanted: Status) -> list[Evaluation]:
        return [e for e in self.evaluations if e.status is wanted]


def _case_name(finding: Finding) -> str:
    name: str = finding.resource.uid or finding.location.path
    return name


def _where(finding: Finding) -> str:
    return f"{finding.location.path}:{finding.location.line}"


def collect_cases(report: ScanReport) -> dict[str, dict[str, _Case]]:
    """rule id -> testcase name -> case, for every rule that ran or produced a finding."""
    suites: dict[str, dict[str, _Case]] = {info.id: {} for info in report.rules}
    for evaluation in report.evaluations:
        cases = suites.setdefault(evaluation.rule_id, {})
        name = evaluation.resource_uid
        cases.setdefault(name, _Case(evaluation.rule_id, name)).evaluations.append(evaluation)
    is_blocking = blocking_checker(report)
    for finding in sorted_findings(report):
        cases = suites.setdefault(finding.rule_id, {})
        name = _case_name(finding)
        case = cases.setdefault(name, _Case(finding.rule_id, name))
        (case.blocking if is_blocking(finding) else case.findings).append(finding)
    return suites


def _reasons(evaluations: list[Evaluation]) -> str:
    return "; ".join(sorted({e.reason or e.status.value for e in evaluations}))


def _system_out(case: _Case, outcome: str) -> list[str]:
    lines: list[str] = []
    for finding in case.findings:
        label = "waived" if finding.waived else finding.enforcement.label
        lines.append(f"[{label}] {_where(finding)}: {finding.message}")
        if finding.waived:
            lines.append(f"  {waiver_summary(finding)}")
        elif finding.remediation:
            lines.append(f"  fix: {finding.remediation}")
    for evaluation in case.evaluations:
        if evaluation.status is Status.WAIVED and not any(f.waived for f in case.findings):
            lines.append(f"[waived] {evaluation.reason or 'waived'}")
        if evaluation.status in (Status.ERROR, Status.NOT_EVALUATED) and outcome != evaluation.status.value:
            lines.append(f"[{evaluation.status.value}] {evaluation.reason}")
    return lines


def _testcase(case: _Case) -> tuple[ET.Element, str]:
    """The <testcase> element and its outcome: failure, error, skipped or pass."""
    element = ET.Element("testcase", {"classname": xml_safe(case.rule_id), "name": xml_safe(case.name)})
    blocking = case.blocking
    errors = case.status(Status.ERROR)
    undecided = case.status(Status.NOT_EVALUATED)
    if blocking:
        outcome = "failure"
        message = blocking[0].message if len(blocking) == 1 else f"{len(blocking)} blocking findings"
        kind = "block" if any(f.enforcement is Enforcement.BLOCK for f in blocking) else blocking[0].enforcement.label
        failure = ET.SubElement(element, "failure", {"message": xml_safe(message), "type": kind})
        lines = [f"{_where(f)}: {f.message}" for f in blocking]
        remediations = sorted({f.remediation for f in blocking if f.remediation})
        lines.extend(f"fix: {text}" for text in remediations)
        failure.text = xml_safe("\n".join(lines))
    elif errors:
        outcome = "error"
        ET.SubElement(element, "error", {"message": xml_safe(_reasons(errors)), "type": "error"})
    elif undecided:
        outcome = "not-evaluated"
        ET.SubElement(element, "skipped", {"message": xml_safe(_reasons(undecided))})
    else:
        outcome = "pass"
    system_out = _system_out(case, outcome)
    if system_out:
        ET.SubElement(element, "system-out").text = xml_safe("\n".join(system_out))
    return element, outcome


def _set_counts(element: ET.Element, counts: dict[str, int]) -> None:
    for key in ("tests", "failures", "errors", "skipped"):
        element.set(key, str(counts[key]))


def render(report: ScanReport) -> str:
    root = ET.Element("testsuites", {"name": "govscan"})
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for rule_id, cases in sorted(collect_cases(report).items()):
        suite = ET.SubElement(root, "testsuite", {"name": xml_safe(rule_id)})
        counts = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
        for name in sorted(cases):
            element, outcome = _testcase(cases[name])
            suite.append(element)
            counts["tests"] += 1
            if outcome == "failure":
                counts["failures"] += 1
            elif outcome == "error":
                counts["errors"] += 1
            elif outcome == "not-evaluated":
                counts["skipped"] += 1
        _set_counts(suite, counts)
        for key, value in counts.items():
            totals[key] += value
    _set_counts(root, totals)
    ET.indent(root, space="  ")
    return XML_DECLARATION + ET.tostring(root, encoding="unicode") + "\n"
