"""The only place that turns findings and evaluations into a verdict and an exit code.

0 passed; 1 blocked by policy; 2 could not run as asked (unreadable input, nothing to scan);
3 incomplete (something was not evaluated) when the user asks to fail on that.
`soft_fail` turns 1 into 0 and never hides 2 or 3.
"""

from __future__ import annotations

from collections.abc import Sequence

from govscan.scanner.model import Enforcement, Evaluation, Finding, GateDecision, Status

EXIT_PASSED = 0
EXIT_BLOCKED = 1
EXIT_ERROR = 2
EXIT_INCOMPLETE = 3
INPUT_ERROR_RULE = "govscan.input-error"


def is_blocking(finding: Finding, fail_on: Enforcement) -> bool:
    return finding.waiver is None and finding.enforcement >= fail_on and finding.enforcement is not Enforcement.OFF


def decide(
    findings: Sequence[Finding],
    evaluations: Sequence[Evaluation],
    *,
    fail_on: Enforcement = Enforcement.BLOCK,
    soft_fail: bool = False,
    fail_on_incomplete: bool = False,
    resources: int = 0,
) -> GateDecision:
    blocking = [f for f in findings if is_blocking(f, fail_on)]
    blocked_pairs = {(f.rule_id, f.resource.uid) for f in blocking}
    input_errors = [f for f in findings if f.rule_id == INPUT_ERROR_RULE]
    incomplete = [e for e in evaluations if e.status in (Status.NOT_EVALUATED, Status.ERROR)]
    counts = {
        "block": sum(1 for f in findings if f.enforcement is Enforcement.BLOCK and not f.waived),
        "warn": sum(1 for f in findings if f.enforcement is Enforcement.WARN and not f.waived),
        "info": sum(1 for f in findings if f.enforcement is Enforcement.INFO and not f.waived),
        "waived": sum(1 for f in findings if f.waived),
        "blocking": len(blocked_pairs),
        "blocking_findings": len(blocking),
        "incomplete": len(incomplete),
        "input_errors": len(input_errors),
    }
    fingerprints = tuple(sorted(f.fingerprint for f in blocking))
    if input_errors:
        first = min(input_errors, key=lambda f: f.sort_key())
        reason = f"{first.location.path}:{first.location.line}: {first.message}"
        if len(input_errors) > 1:
            reason += f" (and {len(input_errors) - 1} more input error(s); see the report)"
        return GateDecision("error", EXIT_ERROR, reason, counts, fingerprints)
    if resources == 0:
        return GateDecision(
            "error", EXIT_ERROR, "nothing to scan: no Kubernetes resources found in the inputs", counts, fingerprints
        )
    if blocking and not soft_fail:
        return GateDecision(
            "blocked",
            EXIT_BLOCKED,
            f"{len(blocking)} blocking finding(s) on {len(blocked_pairs)} rule/resource pair(s)",
            counts,
            fingerprints,
        )
    if incomplete and fail_on_incomplete:
        return GateDecision(
            "incomplete",
            EXIT_INCOMPLETE,
            f"{len(incomplete)} evaluation(s) could not be completed",
            counts,
            fingerprints,
        )
    if blocking:
        return GateDecision(
            "passed",
            EXIT_PASSED,
            f"soft-fail: {len(blocking)} blocking finding(s) reported, not enforced",
            counts,
            fingerprints,
        )
    reason = "no blocking findings"
    if incomplete:
        reason += f"; {len(incomplete)} evaluation(s) incomplete (use --fail-on-incomplete to fail on that)"
    return GateDecision("passed", EXIT_PASSED, reason, counts, fingerprints)
