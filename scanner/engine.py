"""The engine: load inputs, resolve tiers, run rules, make Findings and Evaluations, apply waivers.

It never aborts on a rule crash or a broken file: those become govscan.rule-error and
govscan.input-error findings and the scan goes on. It knows no individual rule and no output format.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from govscan.scanner import gate as gate_module
from govscan.scanner import inputs
from govscan.scanner.config import Config
from govscan.scanner.context import Context
from govscan.scanner.errors import InputError, UsageError
from govscan.scanner.loaders import k8s
from govscan.scanner.model import (
    WORKLOADS,
    Enforcement,
    Evaluation,
    Finding,
    Location,
    NotEvaluated,
    Origin,
    Platform,
    Resource,
    ResourceRef,
    Rule,
    RuleInfo,
    RuleMeta,
    ScanReport,
    Severity,
    Skipped,
    Status,
    Tier,
    Violation,
    Waiver,
    enforcement_table,
)
from govscan.scanner.registry import builtin_rules
from govscan.scanner.tiers import TierResolver
from govscan.scanner.version import __version__
from govscan.scanner.waivers import WaiverBook

# The tool's own findings. Input errors block everywhere: an unreadable manifest is not a pass.
INPUT_ERROR = RuleMeta(
    id="govscan.input-error",
    domain="govscan",
    title="Input could not be read or parsed",
    severity=Severity.HIGH,
    enforcement=enforcement_table("block", "block", "block", "block", "block"),
    remediation="Fix the file so it parses (the message names the line), or exclude it from the scan.",
    platforms=(Platform.K8S, Platform.TERRAFORM, Platform.PULUMI),
)
RULE_ERROR = RuleMeta(
    id="govscan.rule-error",
    domain="govscan",
    title="A rule crashed on this resource, so it was not evaluated",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table("block", "block", "warn", "warn", "warn"),
    remediation="Report the message as a govscan bug; until fixed, check this resource by hand or waive with an expiry.",
    platforms=(Platform.K8S, Platform.TERRAFORM, Platform.PULUMI),
)
DUPLICATE_KEY = RuleMeta(
    id="govscan.duplicate-key",
    domain="govscan",
    title="A mapping key appears twice; the first value is silently ignored",
    severity=Severity.HIGH,
    enforcement=enforcement_table("block", "block", "warn", "warn", "warn"),
    remediation="Remove or merge the duplicate key: Kubernetes and every YAML parser keep only the last value.",
)
WAIVER_PROBLEM = RuleMeta(
    id="govscan.waiver-invalid",
    domain="govscan",
    title="A waiver was not applied (expired, malformed, or not allowed in this tier)",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table("warn", "warn", "warn", "warn", "warn"),
    remediation="Fix the waiver: `reason; expires=YYYY-MM-DD` within the allowed period, or fix the finding.",
    platforms=(Platform.K8S, Platform.TERRAFORM, Platform.PULUMI),
)
TOOL_RULES: tuple[RuleMeta, ...] = (INPUT_ERROR, RULE_ERROR, DUPLICATE_KEY, WAIVER_PROBLEM)


@dataclass(frozen=True)
class ScanRequest:
    targets: tuple[str, ...]
    config: Config
    tier: Tier | None = None
    rule_patterns: tuple[str, ...] = ()
    skip_patterns: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    fail_on: Enforcement = Enforcement.BLOCK
    soft_fail: bool = False
    fail_on_incomplete: bool = False
    max_file_bytes: int = inputs.DEFAULT_MAX_FILE_BYTES
    today: dt.date = field(default_factory=dt.date.today)
    cwd: Path | None = None
    progress: Callable[[int, int], None] | None = field(default=None, compare=False)


@dataclass
class _Loaded:
    resources: list[Resource] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    duplicates: list[k8s.DuplicateKey] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    files: int = 0


def select_rules(
    rules: Iterable[Rule], patterns: Iterable[str], skips: Iterable[str], domains: Iterable[str]
) -> list[Rule]:
    """Filter rules by id globs and domains; a pattern or domain that matches nothing is an error."""
    rules = list(rules)
    patterns, skips, domains = list(patterns), list(skips), list(domains)
    known_domains = {r.meta.domain for r in rules}
    for d in domains:
        if d not in known_domains:
            raise UsageError(f"unknown domain {d!r}; known domains: {', '.join(sorted(known_domains))}")
    for p in patterns + skips:
        if not any(fnmatchcase(r.id, p) for r in rules):
            raise UsageError(f"no rule matches {p!r}; `govscan rules list` shows every rule id")
    selected = []
    for rule in rules:
        if patterns and not any(fnmatchcase(rule.id, p) for p in patterns):
            continue
        if domains and rule.meta.domain not in domains:
            continue
        if any(fnmatchcase(rule.id, p) for p in skips):
            continue
        selected.append(rule)
    return selected


def load_inputs(
    targets: Iterable[str], max_bytes: int, cwd: Path | None, progress: Callable[[int, int], None] | None = None
) -> _Loaded:
    loaded = _Loaded()
    files, problems = inputs.discover(list(targets), cwd)
    loaded.errors.extend(problems)
    loaded.files = len(files)
    for done, (file, text) in enumerate(inputs.iter_texts(files, max_bytes), start=1):
        if progress is not None:
            progress(done, len(files))
        if isinstance(text, InputError):
            loaded.errors.append(text)
            continue
        origin = Origin.STDIN if file.path is None else Origin.FILE
        result = k8s.load_text(text, file.display, origin)
        loaded.resources.extend(result.resources)
        loaded.skipped.extend(result.skipped)
        loaded.duplicates.extend(result.duplicates)
        loaded.errors.extend(result.errors)
    return loaded


def fingerprint(rule_id: str, uid: str, pointer: str) -> str:
    return hashlib.sha256(f"{rule_id}\x1f{uid}\x1f{pointer}".encode()).hexdigest()[:20]


def resource_ref(resource: Resource) -> ResourceRef:
    line, _ = resource.source.locate("")
    return ResourceRef(
        uid=resource.uid,
        platform=resource.platform,
        kind=resource.kind,
        name=resource.name,
        namespace=resource.namespace,
        api_version=resource.api_version,
        path=resource.source.display_path,
        line=_template_line(resource, line),
    )


def _template_line(resource: Resource, line: int) -> int:
    """Helm output: lines count from the document's start, as the template's own lines roughly do."""
    source = resource.source
    if not source.template:
        return line
    start = source.positions.get("", (1, 1))[0]
    return max(1, line - start + 1)


def location_of(resource: Resource, pointer: str) -> Location:
    line, column = resource.source.locate(pointer)
    return Location(resource.source.display_path, _template_line(resource, line), column)


class Engine:
    def __init__(self, request: ScanRequest, rules: Iterable[Rule] | None = None) -> None:
        self.request = request
        self.config = request.config
        all_rules = builtin_rules() if rules is None else tuple(rules)
        self.config.check_rules([r.meta for r in all_rules] + list(TOOL_RULES))
        self.rules = select_rules(all_rules, request.rule_patterns, request.skip_patterns, request.domains)
        self.findings: list[Finding] = []
        self.evaluations: list[Evaluation] = []

    def run(self) -> ScanReport:
        request = self.request
        loaded = load_inputs(request.targets, request.max_file_bytes, request.cwd, request.progress)
        return self.evaluate(loaded.resources, loaded)

    def evaluate(self, resources: list[Resource], loaded: _Loaded) -> ScanReport:
        config = self.config
        resolver = TierResolver(config, self.request.tier, resources)
        ctx = Context(resources, resolver.tier_of, config.pod_spec_paths, config.settings, self.request.today)
        waivers = WaiverBook(config, self.request.today)
        default_tier = self.request.tier or config.default_tier

        for error in loaded.errors:
            self._tool_finding(INPUT_ERROR, error, default_tier)
        for dup in loaded.duplicates:
            tier = resolver.tier_of(dup.resource)
            message = (
                f"key {dup.pointer.rsplit('/', 1)[-1]!r} at {dup.pointer} is given twice; only the last value counts"
            )
            self._emit(
                DUPLICATE_KEY,
                dup.resource,
                tier,
                DUPLICATE_KEY.enforcement[tier],
                Violation(message, dup.pointer),
                waivers,
            )

        by_kind: dict[str, list[Rule]] = {}
        generic: list[Rule] = []
        workload_rules: list[Rule] = []
        for rule in self.rules:
            if not rule.meta.kinds:
                generic.append(rule)
            for kind in rule.meta.kinds:
                if kind == WORKLOADS:
                    workload_rules.append(rule)
                else:
                    by_kind.setdefault(kind, []).append(rule)
        from govscan.rules._lib.workloads import is_workload

        for resource in resources:
            tier = resolver.tier_of(resource)
            applicable = list(by_kind.get(resource.kind, ())) + generic
            if workload_rules and is_workload(resource, ctx):
                applicable.extend(r for r in workload_rules if r not in applicable)
            for rule in applicable:
                if resource.platform not in rule.meta.platforms:
                    continue
                enforcement = config.enforcement_for(rule.meta, tier)
                if enforcement is Enforcement.OFF:
                    continue
                self._run_rule(rule, resource, tier, enforcement, ctx, waivers)

        for problem in waivers.problems():
            resource = problem.resource
            tier = resolver.tier_of(resource)
            self._emit(
                WAIVER_PROBLEM,
                resource,
                tier,
                WAIVER_PROBLEM.enforcement[tier],
                Violation(problem.message, problem.pointer),
                None,
            )

        findings = _unique_fingerprints(self.findings)
        decision = gate_module.decide(
            findings,
            self.evaluations,
            fail_on=self.request.fail_on,
            soft_fail=self.request.soft_fail,
            fail_on_incomplete=self.request.fail_on_incomplete,
            resources=len(resources),
        )
        rule_infos = [_info(r.meta, r.doc) for r in self.rules] + [_info(m, m.title) for m in TOOL_RULES]
        return ScanReport(
            tool_version=__version__,
            findings=tuple(sorted(findings, key=Finding.sort_key)),
            evaluations=tuple(sorted(self.evaluations, key=lambda e: (e.rule_id, e.resource_uid))),
            rules=tuple(sorted(rule_infos, key=lambda r: r.id)),
            gate=decision,
            resources=len(resources),
            files=loaded.files,
            skipped=tuple(loaded.skipped),
            targets=tuple(self.request.targets),
        )

    def _run_rule(
        self, rule: Rule, resource: Resource, tier: Tier, enforcement: Enforcement, ctx: Context, waivers: WaiverBook
    ) -> None:
        options = self.config.options_for(rule.meta)
        outcomes: list[Violation | NotEvaluated] = []
        try:
            outcomes.extend(_as_iter(rule.check(resource, ctx, options)))
        except Exception as exc:  # a rule bug must never abort the scan or pass silently
            message = f"rule {rule.id} crashed: {type(exc).__name__}: {exc}"[:300]
            self.evaluations.append(Evaluation(rule.id, resource.uid, Status.ERROR, tier, message))
            self._emit(
                RULE_ERROR,
                resource,
                tier,
                config_enforcement(self.config, RULE_ERROR, tier),
                Violation(message),
                waivers,
            )
            return
        violations = [o for o in outcomes if isinstance(o, Violation)]
        not_evaluated = [o for o in outcomes if isinstance(o, NotEvaluated)]
        if not violations and not_evaluated:
            self.evaluations.append(
                Evaluation(rule.id, resource.uid, Status.NOT_EVALUATED, tier, not_evaluated[0].reason)
            )
            return
        waived_all = True
        for violation in violations:
            finding = self._emit(rule.meta, resource, tier, enforcement, violation, waivers)
            waived_all = waived_all and finding.waived
        status = Status.FAIL if violations and not waived_all else Status.WAIVED if violations else Status.PASS
        self.evaluations.append(Evaluation(rule.id, resource.uid, status, tier))

    def _emit(
        self,
        meta: RuleMeta,
        resource: Resource,
        tier: Tier,
        enforcement: Enforcement,
        violation: Violation,
        waivers: WaiverBook | None,
    ) -> Finding:
        waiver: Waiver | None = None
        if waivers is not None:
            waiver = waivers.waiver_for(meta.id, resource, tier, violation.pointer)
        finding = Finding(
            rule_id=meta.id,
            domain=meta.domain,
            resource=resource_ref(resource),
            tier=tier,
            enforcement=enforcement,
            severity=meta.severity,
            message=violation.message,
            remediation=meta.remediation,
            location=location_of(resource, violation.pointer),
            pointer=violation.pointer,
            fingerprint=fingerprint(meta.id, resource.uid, violation.pointer),
            title=meta.title,
            waiver=waiver,
        )
        self.findings.append(finding)
        return finding

    def _tool_finding(self, meta: RuleMeta, error: InputError, tier: Tier) -> None:
        ref = ResourceRef(
            uid=f"file:{error.path}",
            platform=Platform.K8S,
            kind="File",
            name=error.path,
            namespace=None,
            api_version="",
            path=error.path,
            line=error.line or 1,
        )
        self.findings.append(
            Finding(
                rule_id=meta.id,
                domain=meta.domain,
                resource=ref,
                tier=tier,
                enforcement=config_enforcement(self.config, meta, tier),
                severity=meta.severity,
                message=error.problem,
                remediation=meta.remediation,
                location=Location(error.path, error.line or 1, error.column or 1),
                pointer="",
                fingerprint=fingerprint(meta.id, ref.uid, error.problem),
                title=meta.title,
            )
        )
        self.evaluations.append(Evaluation(meta.id, ref.uid, Status.ERROR, tier, error.problem))


def config_enforcement(config: Config, meta: RuleMeta, tier: Tier) -> Enforcement:
    value = config.enforcement_for(meta, tier)
    return value if value is not Enforcement.OFF else meta.enforcement[tier]


def _as_iter(value: Iterable[Violation | NotEvaluated] | None) -> Iterator[Violation | NotEvaluated]:
    if value is None:
        return iter(())
    return iter(value)


def _unique_fingerprints(findings: list[Finding]) -> list[Finding]:
    """Same rule, uid and pointer in two places (a base and an overlay): qualify the later ones by file."""
    seen: dict[str, int] = {}
    result = []
    for finding in sorted(findings, key=Finding.sort_key):
        fp = finding.fingerprint
        count = seen.get(fp, 0)
        seen[fp] = count + 1
        if count:
            qualified = hashlib.sha256(f"{fp}\x1f{finding.location.path}\x1f{count}".encode()).hexdigest()[:20]
            finding = dataclasses.replace(finding, fingerprint=qualified)
        result.append(finding)
    return result


def _info(meta: RuleMeta, doc: str) -> RuleInfo:
    return RuleInfo(meta.id, meta.domain, meta.title, meta.severity, meta.remediation, doc, meta.enforcement)


def scan(request: ScanRequest, rules: Iterable[Rule] | None = None) -> ScanReport:
    """Run a scan as asked; raises UsageError only for problems before any input is read."""
    return Engine(request, rules).run()
