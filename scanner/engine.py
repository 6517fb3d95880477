"""The engine: load inputs, resolve tiers, run rules, make Findings and Evaluations, apply waivers.

It never aborts on a rule crash or a broken file: those become govscan.rule-error and
govscan.input-error findings and the scan goes on. It knows no individual rule and no output format.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import hashlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govscan.rules._lib.workloads import pod_spec_path
from govscan.scanner import gate as gate_module
from govscan.scanner import inputs
from govscan.scanner.config import Config
from govscan.scanner.context import Context, UndeclaredRead
from govscan.scanner.errors import GovscanError, InputError, UsageError
from govscan.scanner.loaders import content, k8s
from govscan.scanner.loaders.tfsource import TerraformSource
from govscan.scanner.model import (
    EVERYTHING,
    TIER,
    WORKLOADS,
    Enforcement,
    Evaluation,
    Finding,
    Gap,
    Location,
    NotEvaluated,
    Origin,
    Platform,
    Position,
    Resource,
    ResourceRef,
    Rule,
    RuleInfo,
    RuleMeta,
    ScanReport,
    Severity,
    Skipped,
    Source,
    Status,
    Tier,
    UnknownValue,
    Violation,
    Waiver,
    enforcement_table,
    pointer_join,
)
from govscan.scanner.registry import builtin_rules
from govscan.scanner.release_rules import RELEASE_RULES
from govscan.scanner.shard import Shard
from govscan.scanner.tiers import GOVSCAN_PREFIX, TierResolver, undeclared_tier_problems
from govscan.scanner.version import __version__
from govscan.scanner.waivers import WaiverBook

if TYPE_CHECKING:
    from govscan.scanner.adapters.session import Session as AdapterSession
    from govscan.scanner.policies import PolicySet

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
POLICY_ERROR = dataclasses.replace(
    RULE_ERROR,
    remediation="Fix the Rego policy (the message names its file and line), then re-run; `govscan policy test` runs its unit tests.",
)
"""A Rego rule that fails at run time: the same finding, but the fix is in the policy, not in govscan."""


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
    jobs: int = 1
    """Worker processes that read and parse files (1: all in this process)."""
    workspace: str | None = None
    """The Terraform workspace the plans were made in; its name can decide the tier (`prod`)."""
    tf_root: Path | None = None
    """Terraform source directory: findings on plan resources point at their .tf blocks."""
    shard: Shard | None = None
    """Judge only the files this shard owns (--shard i/n); the others are read for cross-resource context."""
    context: tuple[str, ...] = ()
    """Paths read only so cross-resource rules and tiers see them (--context); never judged or reported."""
    policies: tuple[str, ...] = ()
    """Rego policies to run besides the built-in rules: directories, .rego files, git:REF:PATH."""
    namespaces: tuple[str, ...] = ("main",)
    """Globs on Rego package names whose deny / violation / warn rules run (Conftest's --namespace)."""
    combine: bool = False
    """Give Rego policies every resource of the scan as data.govscan.resources (cross-resource policies)."""
    opa_url: str | None = None
    """Evaluate Rego on this OPA server (policies pushed from --policy, or those already loaded there)."""
    policy_cwd: Path | None = None
    """Where --policy paths and git: refs resolve when not `cwd` (`govscan gate` scans trees read from git)."""
    engines: tuple[str, ...] = ()
    """Tools run on the same inputs, their results judged like rules': checkov, trivy-config (scanner/adapters)."""
    trivy_reports: tuple[Path, ...] = ()
    """trivy image reports (files or directories) for the image vulnerability rules."""
    scan_images: bool = False
    """Run `trivy image` offline for workload images that no report covers."""
    engine_timeout: float = 600.0
    """Seconds each tool run may take before it is killed and its checks count as not evaluated."""


POLICY_PREFIX = "policy."
"""Rule ids of Rego policy rules: policy.<package>.<id or rule name>."""


@dataclass(frozen=True)
class Page:
    """Resources that come from somewhere other than files (a page of a cluster list), judged like one file's."""

    resources: Sequence[Resource] = ()
    gaps: Sequence[Gap] = ()
    """Kinds that could not be read (403, 404, an expired list): their rules record not-evaluated."""
    skipped: Sequence[Skipped] = ()
    errors: Sequence[InputError] = ()
    only: frozenset[str] | None = None
    """Judge these resources with these rule ids only (an empty set: judge them with none)."""
    indexed: bool = True
    """False keeps the resources out of the index cross-resource rules read (drift: objects Git has
    and the cluster lacks must not stand in for live ones)."""


PARALLEL_MIN_FILES = 32
"""Below this many files, starting worker processes costs more than it saves."""
PARALLEL_MIN_RESOURCES = 4000
"""One file with this many resources (a big plan) has its rules run by forked workers after parsing."""


def select_rules(
    rules: Iterable[Rule],
    patterns: Iterable[str],
    skips: Iterable[str],
    domains: Iterable[str],
    extra_ids: Iterable[str] = (),
    extra_domains: Iterable[str] = (),
) -> list[Rule]:
    """Filter rules by id globs and domains; a pattern or domain that matches nothing is an error.

    `extra_ids` (globs) and `extra_domains` are those of the checkov/trivy adapters' rules: known, but
    selected later, when the tools have said which checks they ran.
    """
    rules = list(rules)
    patterns, skips, domains, extra_ids = list(patterns), list(skips), list(domains), list(extra_ids)
    known_domains = {r.meta.domain for r in rules} | set(extra_domains)
    for d in domains:
        if d not in known_domains:
            raise UsageError(f"unknown domain {d!r}; known domains: {', '.join(sorted(known_domains))}")
    for p in patterns + skips:
        if not any(fnmatchcase(r.id, p) for r in rules) and not any(
            fnmatchcase(e, p) or fnmatchcase(p, e) for e in extra_ids
        ):
            hint = " (checkov and trivy checks need --engine)" if p.startswith(("checkov", "trivy")) else ""
            raise UsageError(f"no rule matches {p!r}; `govscan rules list` shows every rule id{hint}")
    return [r for r in rules if selected(r.id, r.meta.domain, patterns, skips, domains)]


def selected(rule_id: str, domain: str, patterns: list[str], skips: list[str], domains: list[str]) -> bool:
    """Whether --rule / --skip-rule / --domain keep a rule."""
    if patterns and not any(fnmatchcase(rule_id, p) for p in patterns):
        return False
    if domains and domain not in domains:
        return False
    return not any(fnmatchcase(rule_id, p) for p in skips)


_CODE_ROOT = Path(__file__).resolve().parents[1]
"""What crash sites are named relative to (`rules/ha/replicas.py:42`), the same on every machine."""


def crash_reason(what: str, exc: BaseException, quote: bool = False) -> str:
    """`rule X crashed: TypeError at rules/x/y.py:42`, without the exception's text.

    The text of a ValueError or KeyError often quotes the input (`invalid literal for int(): 'hunter2'`),
    and the input may be a secret. govscan's own exceptions say nothing about inputs and are kept;
    `quote` keeps the text too (a Rego policy's error: its author needs the engine's words).
    """
    if quote or isinstance(exc, UndeclaredRead | GovscanError):
        return f"{what} crashed: {type(exc).__name__}: {exc}"[:300]
    site = "?"
    frame = exc.__traceback__
    while frame is not None:
        filename = Path(frame.tb_frame.f_code.co_filename).resolve()
        if filename.is_relative_to(_CODE_ROOT):  # frames in the standard library do not say whose bug it is
            site = f"{filename.relative_to(_CODE_ROOT).as_posix()}:{frame.tb_lineno}"
        frame = frame.tb_next
    return f"{what} crashed: {type(exc).__name__} at {site}"


def fingerprint(rule_id: str, uid: str, pointer: str) -> str:
    return hashlib.sha256(f"{rule_id}\x1f{uid}\x1f{pointer}".encode()).hexdigest()[:20]


def resource_ref(resource: Resource, target: str = "") -> ResourceRef:
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
        target=target,
        logical=resource.source.logical,
    )


def _template_line(resource: Resource, line: int) -> int:
    """Helm output: lines count from the document's start, as the template's own lines roughly do."""
    source = resource.source
    if source.origin is not Origin.HELM or not source.template:
        return line
    start = source.positions.get("", (1, 1))[0]
    return max(1, line - start + 1)


def location_of(resource: Resource, pointer: str) -> Location:
    line, column = resource.source.locate(pointer)
    return Location(resource.source.display_path, _template_line(resource, line), column)


def location_at_line(resource: Resource, line: int) -> Location:
    """A line of the resource's file (a tool's line with no field to name), mapped like location_of."""
    return Location(resource.source.display_path, _template_line(resource, line), 1)


# --- pass 1: each file as it streams past ------------------------------------------------------------


@dataclass(slots=True)
class _Outcome:
    """One rule on one resource, located but not yet judged: tier, enforcement and waivers come last."""

    rule_id: str
    resource: int
    """Index into the batch's resources."""
    status: Status
    violations: tuple[tuple[Violation, Location], ...] = ()
    reason: str = ""


@dataclass(slots=True)
class _Batch:
    """What one file leaves behind: its resources (slimmed unless a rule still needs them) and outcomes."""

    resources: list[Resource] = field(default_factory=list)
    outcomes: list[_Outcome] = field(default_factory=list)
    duplicates: list[tuple[int, Violation, Location]] = field(default_factory=list)
    subjects: list[int] = field(default_factory=list)
    """Resources kept whole because rules that need the index judge them after the last file."""
    skipped: list[Skipped] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    context: bool = False
    """Read only for cross-resource context (another shard's file, or --context): its resources are
    index entries, never judged or counted."""
    only: frozenset[str] | None = None
    """Page.only: the rule ids that judge this batch (None: every applicable rule)."""
    indexed: bool = True


class _Dispatch:
    """Which of a set of rules apply to a resource, by kind, WORKLOADS and platform."""

    def __init__(self, rules: Iterable[Rule], pod_spec_paths: Mapping[str, tuple[str, ...]]) -> None:
        self.pod_spec_paths = pod_spec_paths
        self.by_kind: dict[str, list[Rule]] = {}
        self.generic: list[Rule] = []
        self.workload: list[Rule] = []
        for rule in rules:
            if not rule.meta.kinds:
                self.generic.append(rule)
            for kind in rule.meta.kinds:
                (self.workload if kind == WORKLOADS else self.by_kind.setdefault(kind, [])).append(rule)

    def is_workload(self, resource: Resource) -> bool:
        return pod_spec_path(resource, self.pod_spec_paths) is not None

    def applicable(self, resource: Resource) -> list[Rule]:
        found = self.by_kind.get(resource.kind, []) + self.generic
        if self.workload and self.is_workload(resource):
            found += [r for r in self.workload if r not in found]
        return [r for r in found if resource.platform in r.meta.platforms]

    def judging(self, resource: Resource, withheld: frozenset[str], only: frozenset[str] | None) -> list[Rule]:
        """`applicable`, less rules that name a kind whose content was withheld, and rules outside `only`."""
        rules = self.applicable(resource)
        if resource.kind in withheld:
            rules = [r for r in rules if resource.kind not in r.meta.kinds]
        if only is not None:
            rules = [r for r in rules if r.id in only]
        return rules


def run_rule(rule: Rule, resource: Resource, index: int, ctx: Context, options: Any) -> _Outcome:
    """Run one check; a crash becomes an ERROR outcome, never an aborted scan or a silent pass."""
    results: list[Violation | NotEvaluated] = []
    try:
        for result in _as_iter(rule.check(resource, ctx, options)):
            results.append(result)
    except UnknownValue as unknown:  # a plan value known only after apply: undecided, never a pass
        results.append(NotEvaluated(str(unknown)))
    except Exception as exc:  # a rule bug must never abort the scan or pass silently
        reason = crash_reason(f"rule {rule.id}", exc, quote=rule.id.startswith(POLICY_PREFIX))
        return _Outcome(rule.id, index, Status.ERROR, reason=reason)
    violations = tuple((v, location_of(resource, v.pointer)) for v in results if isinstance(v, Violation))
    if violations:
        return _Outcome(rule.id, index, Status.FAIL, violations)
    for result in results:
        if isinstance(result, NotEvaluated):
            return _Outcome(rule.id, index, Status.NOT_EVALUATED, reason=result.reason)
    return _Outcome(rule.id, index, Status.PASS)


class FilePass:
    """Read, parse, run the rules that need no index, and keep only what later rules need.

    Runs in this process or in a worker: it holds nothing but rules and settings, and what it
    returns for a file does not depend on any other file.
    """

    def __init__(
        self,
        rules: list[Rule],
        config: Config,
        tier: Tier | None,
        today: dt.date,
        max_bytes: int,
        tf_root: Path | None = None,
        cwd: Path | None = None,
        jobs: int = 1,
        withheld: frozenset[str] = frozenset(),
    ) -> None:
        tiers = [tier] if tier is not None else list(Tier)
        self.tier_flag = tier
        self.tier_aliases = dict(config.tier_aliases)
        self.jobs = jobs
        self.withheld = withheld
        """Kinds read without their content (Secrets listed metadata-only): rules naming them do not judge them."""
        self.max_bytes = max_bytes
        self.tf_root, self.cwd = tf_root, cwd
        self.tier_tags = frozenset(config.tier_tags)
        self.tier_tags_in_order = tuple(config.tier_tags)
        self._tf_source: TerraformSource | None = None
        self.local = _Dispatch(
            [r for r in rules if not r.meta.needs and any(config.enforcement_for(r.meta, t) for t in tiers)],
            config.pod_spec_paths,
        )
        self.deferred = _Dispatch([r for r in rules if r.meta.needs], config.pod_spec_paths)
        needs = {need for r in rules for need in r.meta.needs} | {"Namespace"}  # Namespace labels set tiers
        self.index_kinds = frozenset(needs - {TIER, WORKLOADS, EVERYTHING})
        self.index_workloads = WORKLOADS in needs
        self.index_everything = EVERYTHING in needs
        self.options = {r.id: config.options_for(r.meta) for r in rules}
        ctx = Context(pod_spec_paths=config.pod_spec_paths, settings=config.settings, today=today)
        self.views = {r.id: ctx.for_rule(r.id, ()) for r in rules if not r.meta.needs}

    def in_index(self, resource: Resource) -> bool:
        return (
            self.index_everything
            or resource.kind in self.index_kinds
            or (self.index_workloads and self.local.is_workload(resource))
        )

    def __call__(self, file: inputs.InputFile) -> _Batch:
        try:
            text = inputs.read_text(file, self.max_bytes)
        except InputError as exc:
            return _Batch(errors=[exc]) if file.judged else _Batch(context=True)
        origin = Origin.STDIN if file.path is None or file.display == inputs.STDIN_NAME else Origin.FILE
        if self.tf_root is not None and self._tf_source is None and text.lstrip()[:1] == "{":
            self._tf_source = TerraformSource(self.tf_root, (self.cwd or Path.cwd()).resolve())
        try:
            loaded = content.load(text, file.display, origin, file.named, self._tf_source)
        except Exception as exc:  # a loader bug: this file is unread (exit 2), the scan goes on
            error = InputError(file.display, crash_reason("loading this file", exc) + " (a govscan bug)")
            return _Batch(errors=[error]) if file.judged else _Batch(context=True)
        if not file.judged:  # the index needs its resources; the shard that owns the file judges them
            return _Batch(
                resources=[self._keep(r, False, {}) for r in loaded.resources if self.in_index(r)], context=True
            )
        skipped = (
            [dataclasses.replace(s, target=file.target) for s in loaded.skipped] if file.target else loaded.skipped
        )
        batch = _Batch(skipped=skipped, errors=loaded.errors)
        if self.tier_flag is None:
            for resource in loaded.resources:
                batch.errors.extend(self.tier_problems(resource))
        position = {id(r): i for i, r in enumerate(loaded.resources)}
        for dup in loaded.duplicates:
            key = dup.pointer.rsplit("/", 1)[-1]
            message = f"key {key!r} at {dup.pointer} is given twice; only the last value counts"
            violation = Violation(message, dup.pointer)
            batch.duplicates.append((position[id(dup.resource)], violation, location_of(dup.resource, dup.pointer)))
        return self._fill(batch, loaded.resources)

    def page(self, page: Page) -> _Batch:
        """A page of resources read elsewhere (a cluster list), judged as a file's would be."""
        batch = _Batch(skipped=list(page.skipped), errors=list(page.errors), only=page.only, indexed=page.indexed)
        return self._fill(batch, list(page.resources))

    def _fill(self, batch: _Batch, resources: list[Resource]) -> _Batch:
        memo: dict[int, Mapping[str, Position]] = {}
        batch.outcomes = self.local_outcomes(resources, only=batch.only)
        for i, resource in enumerate(resources):
            subject = bool(self.deferred.judging(resource, self.withheld, batch.only))
            if subject:
                batch.subjects.append(i)
            batch.resources.append(self._keep(resource, subject, memo))
        return batch

    def tier_problems(self, resource: Resource) -> Iterator[InputError]:
        """A tier label, annotation or tag naming no tier is an input error, never a silent fall-through."""
        for message, pointer in undeclared_tier_problems(resource, self.tier_tags_in_order, self.tier_aliases):
            where = location_of(resource, pointer)
            yield InputError(where.path, message, where.line, where.column)

    def local_outcomes(
        self, resources: list[Resource], start: int = 0, end: int | None = None, only: frozenset[str] | None = None
    ) -> list[_Outcome]:
        """The streaming rules over resources[start:end]; forked workers share a big file's half each."""
        parallel = end is None and only is None and self.jobs > 1 and len(resources) >= PARALLEL_MIN_RESOURCES
        if parallel and _may_fork():
            return _outcomes_in_workers(self, resources)
        outcomes = []
        for i in range(start, len(resources) if end is None else end):
            resource = resources[i]
            for rule in self.local.judging(resource, self.withheld, only):
                outcomes.append(run_rule(rule, resource, i, self.views[rule.id], self.options[rule.id]))
        return outcomes

    def _keep(self, resource: Resource, subject: bool, memo: dict[int, Mapping[str, Position]]) -> Resource:
        """The resource as pass 2 needs it: whole for deferred rules, without positions in the index, else a shell."""
        if subject:
            positions = k8s.packed(resource.source.positions, memo)
            return dataclasses.replace(resource, source=dataclasses.replace(resource.source, positions=positions))
        if resource.platform is not Platform.K8S:  # plan positions are looked up lazily: nothing to let go
            return resource if self.in_index(resource) else dataclasses.replace(resource, body={})
        if self.in_index(resource):
            return dataclasses.replace(resource, source=_located_by_reports_only(resource.source, resource.annotations))
        return shell(resource, self.tier_tags)


def shell(resource: Resource, tier_tags: frozenset[str] = frozenset()) -> Resource:
    """Identity, the labels and tags that decide the tier, govscan.io/ annotations, and the positions
    reports and waivers point at."""
    own = {k: v for k, v in resource.annotations.items() if k.startswith(GOVSCAN_PREFIX)}
    return dataclasses.replace(
        resource,
        body={},
        source=_located_by_reports_only(resource.source, own),
        labels={k: v for k, v in resource.labels.items() if k.startswith(GOVSCAN_PREFIX) or k in tier_tags},
        annotations=own,
    )


def _located_by_reports_only(source: Source, annotations: Mapping[str, str]) -> Source:
    """Positions of the object and its govscan.io/ annotations (waivers), the rest let go."""
    pointers = ["", "/metadata", "/metadata/annotations"] + [
        pointer_join("metadata", "annotations", k) for k in annotations if k.startswith(GOVSCAN_PREFIX)
    ]
    positions = {p: at for p in pointers if (at := source.positions.get(p)) is not None}
    return dataclasses.replace(source, positions=positions)


_WORKER: FilePass | None = None
_PARSED: tuple[FilePass, list[Resource]] | None = None
"""A big file's parsed resources, inherited by forked workers (copy-on-write, never pickled)."""


def _may_fork() -> bool:
    """Linux, and not already inside a worker (pool workers cannot start workers of their own)."""
    return sys.platform == "linux" and not multiprocessing.current_process().daemon


def _outcomes_in_workers(file_pass: FilePass, resources: list[Resource]) -> list[_Outcome]:
    global _PARSED
    _PARSED = (file_pass, resources)
    try:
        step = -(-len(resources) // (file_pass.jobs * 4))
        spans = [(start, min(start + step, len(resources))) for start in range(0, len(resources), step)]
        with multiprocessing.get_context("fork").Pool(file_pass.jobs) as pool:
            return [o for part in pool.map(_outcomes_of_span, spans) for o in part]
    finally:
        _PARSED = None


def _outcomes_of_span(span: tuple[int, int]) -> list[_Outcome]:
    assert _PARSED is not None
    file_pass, resources = _PARSED
    return file_pass.local_outcomes(resources, *span)


def _worker_start(file_pass: FilePass) -> None:
    global _WORKER
    _WORKER = file_pass
    gc.disable()  # short-lived and acyclic: collection passes would only re-walk parsed bodies


def _worker_run(task: list[tuple[int, inputs.InputFile]]) -> list[tuple[int, _Batch]]:
    assert _WORKER is not None
    return [(number, _WORKER(file)) for number, file in task]


TASK_BYTES = 256 * 1024
"""Small files travel to workers in groups of about this many bytes; a larger file goes alone."""


def _tasks(files: list[inputs.InputFile]) -> list[list[tuple[int, inputs.InputFile]]]:
    """Files grouped into worker tasks, largest first, so that no big file is left for the end while
    the other workers idle (longest-processing-time-first scheduling)."""
    sizes = []
    for number, file in enumerate(files):
        try:
            size = os.stat(file.path).st_size if file.path is not None else 0
        except OSError:
            size = 0  # the worker reports the problem when it reads the file
        sizes.append((size, number))
    sizes.sort(key=lambda pair: (-pair[0], pair[1]))
    tasks: list[list[tuple[int, inputs.InputFile]]] = []
    group: list[tuple[int, inputs.InputFile]] = []
    weight = 0
    for size, number in sizes:
        if group and weight + size > TASK_BYTES:
            tasks.append(group)
            group, weight = [], 0
        group.append((number, files[number]))
        weight += size
    if group:
        tasks.append(group)
    return tasks


def stream_batches(file_pass: FilePass, files: list[inputs.InputFile], jobs: int) -> Iterator[tuple[int, _Batch]]:
    """(file number, batch) as each file is done; with jobs > 1, worker processes parse while this one
    collects, in an order that keeps every worker busy (callers put batches back in file order)."""
    if jobs <= 1 or len(files) < PARALLEL_MIN_FILES or any(f.path is None for f in files):
        for number, file in enumerate(files):
            yield number, file_pass(file)
        return
    method = "fork" if sys.platform == "linux" else "spawn"
    with multiprocessing.get_context(method).Pool(jobs, _worker_start, (file_pass,)) as pool:
        for done in pool.imap_unordered(_worker_run, _tasks(files)):
            yield from done


# --- pass 2: tiers, the index, cross-resource rules, judgement ---------------------------------------


class _Judging:
    """What the cross-resource rules need in pass 2. They run in this process: forked workers sharing the
    subjects gained 0.15 s of 1.65 s on 44,000 resources and cost 350 MiB, refcount writes copying the
    heap they inherit."""

    def __init__(
        self,
        engine: Engine,
        batches: list[_Batch],
        file_pass: FilePass,
        tier_of: Callable[[Resource], Tier],
        views: Mapping[str, Context],
        unreadable: Mapping[str, str],
    ) -> None:
        self.engine, self.batches, self.file_pass, self.tier_of, self.views = engine, batches, file_pass, tier_of, views
        self.unreadable = unreadable
        """Rule id -> why it cannot be judged: something it needs was not (fully) read (a Gap)."""
        self.subjects = [(b, i) for b, batch in enumerate(batches) for i in batch.subjects]

    def run(self, start: int, end: int) -> list[tuple[int, _Outcome]]:
        done = []
        options = self.file_pass.options
        for b, i in self.subjects[start:end]:
            batch = self.batches[b]
            resource = batch.resources[i]
            tier = self.tier_of(resource)
            for rule in self.file_pass.deferred.judging(resource, self.file_pass.withheld, batch.only):
                if self.engine._enforcement_for(rule.meta, tier) is Enforcement.OFF:
                    continue
                if rule.id in self.unreadable:  # judging without what it needs could pass wrongly
                    done.append((b, _Outcome(rule.id, i, Status.NOT_EVALUATED, reason=self.unreadable[rule.id])))
                else:
                    done.append((b, run_rule(rule, resource, i, self.views[rule.id], options[rule.id])))
        return done


class Engine:
    def __init__(self, request: ScanRequest, rules: Iterable[Rule] | None = None) -> None:
        from govscan.scanner.adapters import images, mapping, session

        self.request = request
        self.config = request.config
        all_rules = builtin_rules() if rules is None else tuple(rules)
        self.policies: PolicySet | None = None
        if request.policies or request.opa_url:
            from govscan.scanner.policies import load_policies

            self.policies = load_policies(request)
            all_rules = (*all_rules, *self.policies.rules)
        unloaded = () if self.policies is not None else (POLICY_PREFIX,)
        self.adapters = session.Wanted(
            session.check_engines(request.engines), request.trivy_reports, request.scan_images, request.engine_timeout
        )
        tool_globs = [f"{session.ENGINES[e]}.*" for e in self.adapters.engines]
        image_ids = [m.id for m in images.RULES.values()] if self.adapters.images else []
        # release.* findings come from `govscan gate`; config may tune and waive them in any command
        self.config.check_rules(
            [r.meta for r in all_rules] + list(TOOL_RULES) + list(RELEASE_RULES) + list(images.RULES.values()),
            unloaded,
            also=[f"{n}.*" for n in mapping.NAMESPACES],
        )
        self.rules = select_rules(
            all_rules,
            request.rule_patterns,
            request.skip_patterns,
            request.domains,
            extra_ids=tool_globs + image_ids,
            extra_domains=mapping.all_domains() if tool_globs else (),
        )
        known_ids = {r.id for r in all_rules} | {m.id for m in (*TOOL_RULES, *RELEASE_RULES, *images.RULES.values())}
        open_namespaces = tuple(f"{n}." for n in mapping.NAMESPACES)  # checkov.*, trivy.*: ids the tools define
        self.known_rule: Callable[[str], bool] = lambda rule_id: (
            rule_id in known_ids or rule_id.startswith(open_namespaces)
        )
        self.metas = {r.id: r.meta for r in self.rules}
        self.findings: list[Finding] = []
        self.evaluations: list[Evaluation] = []
        self._enforcement: dict[tuple[str, Tier], Enforcement] = {}
        self._file_targets: dict[str, str] = {}
        self._default_target = ""
        """The target of resources no file names (a live cluster's objects: `cluster/<context>`)."""
        self._adapter_docs: dict[str, str] = {}

    def run(self) -> ScanReport:
        request = self.request
        files, problems = self.discover()
        adapters: AdapterSession | None = None
        if self.adapters:
            from govscan.scanner.adapters.session import Session

            adapters = Session(
                self.adapters, files, self.config, max_bytes=request.max_file_bytes, tf_root=request.tf_root,
                cwd=request.cwd,
            )  # fmt: skip
            files = adapters.files  # stdin was read once, for the tools and for this pass
        file_pass = FilePass(
            self.rules,
            self.config,
            request.tier,
            request.today,
            request.max_file_bytes,
            request.tf_root,
            request.cwd,
            request.jobs,
        )
        in_order: list[_Batch | None] = [None] * len(files)
        collecting = gc.isenabled()
        gc.disable()  # what is kept is acyclic; collector passes over it cost more than parsing
        try:
            for done, (number, batch) in enumerate(stream_batches(file_pass, files, request.jobs), start=1):
                if request.progress is not None:
                    request.progress(done, len(files))
                in_order[number] = batch
            batches = [_Batch(errors=problems)] + [b for b in in_order if b is not None]
            return self.judge(batches, file_pass, sum(1 for f in files if f.judged), adapters=adapters)
        finally:
            if collecting:
                gc.enable()
            if self.policies is not None:
                self.policies.close()  # an OPA server forgets what this scan pushed
            if adapters is not None:
                adapters.close()

    def discover(self) -> tuple[list[inputs.InputFile], list[InputError]]:
        """The files to read, in a stable order: judged ones, and those read only for context."""
        request = self.request
        files, problems = inputs.discover(list(request.targets), request.cwd)
        shard = request.shard
        if shard is not None:
            files = [f if shard.owns(f.display) else dataclasses.replace(f, judged=False) for f in files]
            problems = [p for p in problems if shard.owns(p.path)]
        if request.context:
            extra, _ = inputs.discover(list(request.context), request.cwd)  # the owners report broken files
            seen = {f.display for f in files}
            files += [dataclasses.replace(f, judged=False) for f in extra if f.display not in seen]
        self._file_targets = {f.display: f.target for f in files if f.judged}
        return files, problems

    def _target_of(self, resource: Resource) -> str:
        return self._file_targets.get(resource.source.path, self._default_target)

    def run_pages(
        self, pages: Iterable[Page], withheld: Sequence[Gap] = (), files: int = 0, target: str = ""
    ) -> ScanReport:
        """Judge resources that arrive in pages (a live cluster), page by page as files stream in `run`."""
        stream = PageStream(self, withheld, target)
        for page in pages:
            stream.feed(page)
        return stream.finish(files)

    def judge(
        self,
        batches: list[_Batch],
        file_pass: FilePass,
        files: int,
        gaps: Sequence[Gap] = (),
        adapters: AdapterSession | None = None,
    ) -> ScanReport:
        config = self.config
        resources = [r for b in batches for r in b.resources]
        index = [r for b in batches if b.indexed for r in b.resources if file_pass.in_index(r)]
        resolver = TierResolver(config, self.request.tier, index, self.request.workspace)
        ctx = Context(
            index, resolver.tier_of, config.pod_spec_paths, config.settings, self.request.today,
            is_workload=file_pass.local.is_workload,
        )  # fmt: skip
        waivers = WaiverBook(config, self.request.today)
        default_tier = self.request.tier or config.default_tier
        views = {r.id: ctx.for_rule(r.id, r.meta.needs) for r in self.rules if r.meta.needs}
        if self.policies is not None and resources and any(r.id.startswith(POLICY_PREFIX) for r in self.rules):
            self.policies.start(ctx)  # here, not in forked workers: one compile, one push to an OPA server
        unreadable = {r.id: reason for r in self.rules if (reason := _unmet_need(r, gaps, file_pass.local))}
        deferred = self._deferred_outcomes(_Judging(self, batches, file_pass, resolver.tier_of, views, unreadable))

        for batch, later in zip(batches, deferred, strict=True):
            if batch.context:
                continue
            for error in batch.errors:
                self._tool_finding(INPUT_ERROR, error, default_tier)
            for position, violation, location in batch.duplicates:
                resource = batch.resources[position]
                tier = resolver.tier_of(resource)
                enforcement = config_enforcement(config, DUPLICATE_KEY, tier)
                self._emit(DUPLICATE_KEY, resource, tier, enforcement, violation, location, waivers)
            for outcome in batch.outcomes:
                resource = batch.resources[outcome.resource]
                self._settle(outcome, resource, resolver.tier_of(resource), waivers)
            for outcome in later:
                resource = batch.resources[outcome.resource]
                self._settle(outcome, resource, resolver.tier_of(resource), waivers)
        self._gap_evaluations(gaps, resources, file_pass, resolver)

        for batch in batches:
            for resource in () if batch.context else batch.resources:
                if resource.annotations:
                    waivers.check_annotations(resource, self.known_rule)
        for config_problem in waivers.config_problems:
            path = inputs.display_path(Path(config_problem.path), (self.request.cwd or Path.cwd()).resolve())
            if self.request.shard is not None and not self.request.shard.owns(path):
                continue  # one shard reports a config entry, as one shard reports each file
            where = f"{path}:{config_problem.line}" if config_problem.line else path
            message = f"config waiver ({where}) {config_problem.message}"
            self._tool_finding(WAIVER_PROBLEM, InputError(path, message, config_problem.line or None), default_tier)

        adapter_skipped = self._settle_adapters(adapters, resolver, waivers) if adapters is not None else []

        for problem in waivers.problems():
            resource = problem.resource
            tier = resolver.tier_of(resource)
            self._emit(
                WAIVER_PROBLEM,
                resource,
                tier,
                WAIVER_PROBLEM.enforcement[tier],
                Violation(problem.message, problem.pointer),
                location_of(resource, problem.pointer),
                None,
            )

        # a shard leaves twins (one resource in two files) alone: merge tells them apart over every file
        findings = unique_fingerprints(self.findings) if self.request.shard is None else self.findings
        decision = gate_module.decide(
            findings,
            self.evaluations,
            fail_on=self.request.fail_on,
            soft_fail=self.request.soft_fail,
            fail_on_incomplete=self.request.fail_on_incomplete,
            resources=len(resources),  # context included: a shard that owns no file is not "nothing to scan"
        )
        rule_infos = [_info(r.meta, r.doc) for r in self.rules] + [_info(m, m.title) for m in TOOL_RULES]
        rule_infos += [_info(self.metas[rule_id], doc) for rule_id, doc in self._adapter_docs.items()]
        shard = self.request.shard
        return ScanReport(
            tool_version=__version__,
            findings=tuple(sorted(findings, key=Finding.sort_key)),
            evaluations=tuple(sorted(self.evaluations, key=Evaluation.sort_key)),
            rules=tuple(sorted(rule_infos, key=lambda r: r.id)),
            gate=decision,
            resources=sum(len(b.resources) for b in batches if not b.context),
            files=files,
            skipped=tuple(s for b in batches for s in b.skipped) + tuple(adapter_skipped),
            targets=tuple(self.request.targets),
            shard=(shard.index, shard.count) if shard is not None else None,
        )

    def _deferred_outcomes(self, judging: _Judging) -> list[list[_Outcome]]:
        """The cross-resource rules over every subject, per batch, in subject order."""
        done = judging.run(0, len(judging.subjects))
        per_batch: list[list[_Outcome]] = [[] for _ in judging.batches]
        for batch_number, outcome in done:
            per_batch[batch_number].append(outcome)
        return per_batch

    def _gap_evaluations(
        self, gaps: Sequence[Gap], resources: list[Resource], file_pass: FilePass, resolver: TierResolver
    ) -> None:
        """One not-evaluated per (rule, unread kind and scope) for the rules that judge that kind."""
        seen_kinds = {r.kind for r in resources}
        recorded: set[tuple[str, str]] = set()
        for gap in gaps:
            if gap.content_only and gap.kind not in seen_kinds:
                continue  # no such object exists, so nothing went unjudged
            stand_in = gap_resource(gap)
            tier = resolver.tier_of(stand_in)
            is_workload = file_pass.local.is_workload(stand_in)
            for rule in self.rules:
                kinds = rule.meta.kinds
                named = gap.kind in kinds
                # metadata still reaches workload and generic rules; a missing object reaches none
                unread = not gap.content_only and (not kinds or (WORKLOADS in kinds and is_workload))
                if not (named or unread):
                    continue
                if Platform.K8S not in rule.meta.platforms or (rule.id, gap.scope) in recorded:
                    continue
                if self._enforcement_for(rule.meta, tier) is Enforcement.OFF:
                    continue
                recorded.add((rule.id, gap.scope))
                self.evaluations.append(Evaluation(rule.id, gap.scope, Status.NOT_EVALUATED, tier, gap.reason))

    def _settle_adapters(self, adapters: AdapterSession, resolver: TierResolver, waivers: WaiverBook) -> list[Skipped]:
        """checkov/trivy results and image rules, judged like rules' outcomes once the built-in rules ran.

        A tool result is dropped where a built-in rule covering the same concern (mapping.COVERS)
        judged the same resource: the built-in rule is tier-aware, points at the field and carries the
        team's waivers; counting one problem twice would take two waivers to clear it.
        """
        request = self.request
        patterns, skips, domains = list(request.rule_patterns), list(request.skip_patterns), list(request.domains)
        outcomes, skipped = adapters.outcomes({r.id: r.meta.severity for r in builtin_rules()})
        judged = {(e.rule_id, e.resource_uid) for e in self.evaluations}
        for outcome in outcomes:
            meta, resource = outcome.meta, outcome.resource
            if not outcome.always and not selected(meta.id, meta.domain, patterns, skips, domains):
                continue
            if any((rule_id, resource.uid) in judged for rule_id in outcome.covers):
                continue
            self.metas[meta.id] = meta
            self._adapter_docs[meta.id] = outcome.doc
            located = _Outcome(meta.id, 0, outcome.status, outcome.violations, outcome.reason)
            self._settle(located, resource, resolver.tier_of(resource), waivers)
        return skipped

    def _enforcement_for(self, meta: RuleMeta, tier: Tier) -> Enforcement:
        key = (meta.id, tier)
        level = self._enforcement.get(key)
        if level is None:
            level = self._enforcement[key] = self.config.enforcement_for(meta, tier)
        return level

    def _settle(self, outcome: _Outcome, resource: Resource, tier: Tier, waivers: WaiverBook) -> None:
        """Judge an outcome in the resource's tier: enforcement, waivers, Findings and an Evaluation."""
        meta = self.metas[outcome.rule_id]
        enforcement = self._enforcement_for(meta, tier)
        if enforcement is Enforcement.OFF:
            return
        target = self._target_of(resource)
        if outcome.status is Status.ERROR:
            at = location_of(resource, "")
            evaluation = Evaluation(meta.id, resource.uid, Status.ERROR, tier, outcome.reason, target, at)
            self.evaluations.append(evaluation)
            violation = Violation(outcome.reason, rule=POLICY_ERROR if meta.id.startswith(POLICY_PREFIX) else None)
            rule_error = config_enforcement(self.config, RULE_ERROR, tier)
            self._emit(RULE_ERROR, resource, tier, rule_error, violation, at, waivers)
            return
        if outcome.status is not Status.FAIL:
            where = location_of(resource, "") if outcome.status is Status.NOT_EVALUATED else None
            evaluation = Evaluation(meta.id, resource.uid, outcome.status, tier, outcome.reason, target, where)
            self.evaluations.append(evaluation)
            return
        waived_all = True
        for violation, location in outcome.violations:
            finding = self._emit(meta, resource, tier, enforcement, violation, location, waivers)
            waived_all = waived_all and finding.waived
        status = Status.WAIVED if waived_all else Status.FAIL
        self.evaluations.append(Evaluation(meta.id, resource.uid, status, tier, target=target))

    def _emit(
        self,
        meta: RuleMeta,
        resource: Resource,
        tier: Tier,
        enforcement: Enforcement,
        violation: Violation,
        location: Location,
        waivers: WaiverBook | None,
    ) -> Finding:
        meta = violation.rule or meta  # a Rego result's own domain, severity, remediation
        waiver: Waiver | None = None
        if waivers is not None:
            waiver = waivers.waiver_for(meta.id, resource, tier, violation.pointer)
        waiver = waiver or violation.waiver  # annotation and config waivers first, then a Rego exception
        finding = Finding(
            rule_id=meta.id,
            domain=meta.domain,
            resource=resource_ref(resource, self._target_of(resource)),
            tier=tier,
            enforcement=enforcement,
            severity=meta.severity,
            message=violation.message,
            remediation=meta.remediation,
            location=location,
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
            target=error.target or self._file_targets.get(error.path, ""),
        )
        finding = Finding(
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
        self.findings.append(finding)
        if meta is not INPUT_ERROR:
            return
        self.evaluations.append(
            Evaluation(meta.id, ref.uid, Status.ERROR, tier, error.problem, ref.target, finding.location)
        )


class PageStream:
    """Pages fed into an engine one at a time, then judged: what `Engine.run_pages` does, open so that
    one reader can feed the same pages to two engines (drift judges live objects twice).

    `withheld` names kinds whose objects arrive without content (Secrets listed metadata-only),
    known before the first page: rules naming those kinds record not-evaluated instead of judging.
    """

    def __init__(
        self,
        engine: Engine,
        withheld: Sequence[Gap] = (),
        target: str = "",
        file_targets: Mapping[str, str] | None = None,
    ) -> None:
        request = engine.request
        self.engine = engine
        engine._default_target = target  # what findings and evaluations record as their scan target
        engine._file_targets = dict(file_targets or {})
        self.file_pass = FilePass(
            engine.rules, engine.config, request.tier, request.today, request.max_file_bytes,
            withheld=frozenset(g.kind for g in withheld),
        )  # fmt: skip
        self.batches: list[_Batch] = []
        self.gaps: list[Gap] = list(withheld)

    def feed(self, page: Page) -> None:
        self.batches.append(self.file_pass.page(page))
        self.gaps.extend(page.gaps)

    def finish(self, files: int = 0) -> ScanReport:
        try:
            return self.engine.judge(self.batches, self.file_pass, files, self.gaps)
        finally:
            if self.engine.policies is not None:
                self.engine.policies.close()  # as Engine.run: an OPA server forgets what this scan pushed


def gap_resource(gap: Gap) -> Resource:
    """A stand-in for the objects a gap covers, so tiers and workload kinds are decided as for real ones."""
    source = Source(Origin.CLUSTER, gap.scope)
    return Resource(gap.scope, Platform.K8S, gap.kind, gap.api_version, "*", gap.namespace, {}, source)


def _unmet_need(rule: Rule, gaps: Sequence[Gap], dispatch: _Dispatch) -> str:
    """Why a cross-resource rule cannot be judged: something it reads through ctx was not (fully) read."""
    for need in rule.meta.needs:
        for gap in gaps:
            if need == gap.kind or (need == WORKLOADS and dispatch.is_workload(gap_resource(gap))):
                return f"needs {gap.kind} objects, not read: {gap.reason}"
    return ""


def config_enforcement(config: Config, meta: RuleMeta, tier: Tier) -> Enforcement:
    value = config.enforcement_for(meta, tier)
    return value if value is not Enforcement.OFF else meta.enforcement[tier]


def _as_iter(value: Iterable[Violation | NotEvaluated] | None) -> Iterator[Violation | NotEvaluated]:
    if value is None:
        return iter(())
    return iter(value)


def unique_fingerprints(findings: list[Finding]) -> list[Finding]:
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
