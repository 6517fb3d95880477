"""`govscan gate`: may this change be promoted to the target tier, and why.

A base and a head (two git refs read with git plumbing, two directories, two plan or preview files,
or one plan on its own) are diffed resource by resource (diff.py), each change is classified
(classes.py), and the release policy of `.govscan.yaml` (release_policy.py) says what the change's
class needs in the target tier: approvals, labels, a change ticket, a backup taken first, a
rollback plan, a blast radius, a progressive rollout, and which freeze windows hold it. Each unmet
requirement is a finding of domain `release` (release_rules.py) at the target tier; the head is
scanned by the normal engine too, and with `new_only` findings already in the base do not block.
One ScanReport comes out, with the decision in `ScanReport.release`, so every reporter and the one
gate (gate.py) treat it like a scan.

With git refs the policy is read from the base: a change cannot relax its own gate.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from govscan.rules._lib.release import (
    BACKUP_KINDS,
    ROLLBACK_PLAN,
    hook_weight,
    is_backup_job,
    label,
    runs_before_upgrade,
    value_at,
)
from govscan.scanner import gate as gate_module
from govscan.scanner import gittree
from govscan.scanner.classes import (
    AnnotationProblem,
    ClassifiedChange,
    ClassifyContext,
    classify_changes,
    release_class_of,
)
from govscan.scanner.config import Config, find_config, load_config
from govscan.scanner.diff import Snapshot, diff, load_snapshot, plan_changes
from govscan.scanner.engine import WAIVER_PROBLEM, ScanRequest, fingerprint, location_of, resource_ref, scan
from govscan.scanner.errors import ConfigError, UsageError
from govscan.scanner.inputs import display_path
from govscan.scanner.model import (
    TIERS,
    ChangedResource,
    ChangeKind,
    Enforcement,
    Evaluation,
    Finding,
    Origin,
    Platform,
    ReleaseClass,
    ReleaseDecision,
    RequirementCheck,
    Resource,
    RuleInfo,
    RuleMeta,
    ScanReport,
    Skipped,
    Source,
    Status,
    Tier,
    Waiver,
)
from govscan.scanner.release_policy import Declaration, FreezeWindow, Requirements
from govscan.scanner.release_rules import (
    APPROVALS,
    BACKUP_EVIDENCE,
    BLAST_RADIUS,
    CHANGE_TICKET,
    CLASS_ANNOTATION,
    DECISION,
    FREEZE_WINDOW,
    LABELS,
    PROGRESSIVE_ROLLOUT,
    REQUIREMENT_RULES,
)
from govscan.scanner.release_rules import (
    ROLLBACK_PLAN as ROLLBACK_RULE,
)
from govscan.scanner.tiers import TierResolver
from govscan.scanner.waivers import WaiverBook

CHANGE_UID = "govscan.io/Change/-/change"
"""The uid of findings about the change as a whole (approvals, labels, freezes): stable across runs."""
SHOWN_FIELDS = 20


@dataclass(frozen=True)
class Evidence:
    """What the change brings: approvals, labels, a change ticket, the emergency path."""

    approvals: int = 0
    labels: frozenset[str] = frozenset()
    change_ticket: str | None = None
    emergency: bool = False
    reason: str | None = None
    sources: tuple[str, ...] = ()


def ci_evidence(environ: Mapping[str, str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """Labels of the pull request (GitHub: GITHUB_EVENT_PATH) or merge request (GitLab:
    CI_MERGE_REQUEST_LABELS) being built, and where they came from."""
    labels: set[str] = set()
    sources: list[str] = []
    event_path = environ.get("GITHUB_EVENT_PATH")
    if event_path:
        try:
            event = json.loads(Path(event_path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise UsageError(f"GITHUB_EVENT_PATH={event_path}: cannot read the event: {exc}") from None
        request = event.get("pull_request") if isinstance(event, dict) else None
        if isinstance(request, dict):
            found = [item.get("name") for item in request.get("labels") or [] if isinstance(item, dict)]
            labels.update(name for name in found if isinstance(name, str) and name)
            sources.append(f"GitHub pull request #{request.get('number')} labels")
    gitlab = environ.get("CI_MERGE_REQUEST_LABELS")
    if gitlab is not None:
        labels.update(part.strip() for part in gitlab.split(",") if part.strip())
        sources.append(f"GitLab merge request !{environ.get('CI_MERGE_REQUEST_IID', '?')} labels")
    return frozenset(labels), tuple(sources)


@dataclass(frozen=True)
class GateRequest:
    head: str = "HEAD"
    base: str | None = None
    paths: tuple[str, ...] = ()
    """With git refs: only these paths (relative to the working directory) are compared and scanned."""
    scan: ScanRequest = field(default_factory=lambda: ScanRequest(targets=(), config=Config()))
    """Settings of the scans (tier, rules, fail-on, jobs...); `today` is the gate's clock (--now)."""
    target: Tier | None = None
    evidence: Evidence = field(default_factory=Evidence)
    new_only: bool = False
    config_path: Path | None = None
    no_config: bool = False
    cwd: Path | None = None


@dataclass
class _Sides:
    base_label: str
    head_label: str
    base_targets: list[str] | None
    """None: the head is a plan that is its own base."""
    base_cwd: Path
    head_targets: list[str]
    head_cwd: Path
    config: Config
    skipped: list[Skipped] = field(default_factory=list)
    changed: Callable[[str], bool] | None = None
    """Whether a file (as the side shows its path) differs between the sides; None: read every file."""
    plans: bool = False
    """The sides are two plan or preview files: planned deletes and replaces are always the change."""
    base_prefix: str = ""
    head_prefix: str = ""
    """How each side's report paths start (`old/`, `new/`; nothing for git trees): one file is one file."""


def run_gate(request: GateRequest) -> ScanReport:
    """Decide on the change; raises UsageError / ConfigError for problems before any input is judged."""
    cwd = (request.cwd or Path.cwd()).resolve()
    if request.new_only and request.base is None:
        raise UsageError("--new-only needs --base: the base's findings are what is not new")
    with tempfile.TemporaryDirectory(prefix="govscan-gate-") as tmp:
        sides = _open_sides(request, cwd, Path(tmp))
        return _Gate(request, sides).run()


def _as_path(text: str, cwd: Path) -> Path:
    path = Path(text)
    return path if path.is_absolute() else cwd / path


def _open_sides(request: GateRequest, cwd: Path, tmp: Path) -> _Sides:
    head = _as_path(request.head, cwd)
    base = _as_path(request.base, cwd) if request.base is not None else None
    if head.exists() or (base is not None and base.exists()):
        return _path_sides(request, cwd, head, base)
    if request.base is None:
        raise UsageError("--base is required: a git ref (origin/main), a directory, or a plan file")
    repo = gittree.open_repository(cwd)
    base_commit = gittree.resolve(repo, request.base, "--base")
    head_commit = gittree.resolve(repo, request.head, "--head")
    specs = []
    for text in request.paths:
        try:
            specs.append(_as_path(text, cwd).resolve().relative_to(repo.root).as_posix())
        except ValueError:
            raise UsageError(f"{text}: outside the repository {repo.root}") from None
    base_tree = gittree.materialize(repo, base_commit, specs, tmp / "base")
    head_tree = gittree.materialize(repo, head_commit, specs, tmp / "head", reuse=base_tree)
    if not base_tree.files and not head_tree.files:
        under = f" under {', '.join(request.paths)}" if request.paths else ""
        raise UsageError(f"no manifests (.yaml, .yml, .json) in {request.base} or {request.head}{under}")
    return _Sides(
        base_label=request.base,
        head_label=request.head,
        base_targets=_tree_targets(base_tree, specs),
        base_cwd=base_tree.root,
        head_targets=_tree_targets(head_tree, specs),
        head_cwd=head_tree.root,
        config=_git_config(request, repo, base_commit, tmp / "policy"),
        skipped=head_tree.skipped,
        changed=lambda path: base_tree.blobs.get(path) != head_tree.blobs.get(path),
    )


def _tree_targets(tree: gittree.Materialized, specs: list[str]) -> list[str]:
    if not tree.files:
        return []
    if not specs:
        return [str(tree.root)]
    return [str(tree.root / spec) for spec in specs if (tree.root / spec).exists()]


def _path_sides(request: GateRequest, cwd: Path, head: Path, base: Path | None) -> _Sides:
    if request.paths:
        raise UsageError(
            "PATHS narrow a comparison of git refs; with directories or files, give those as --base and --head"
        )
    if base is not None and not base.exists():
        raise UsageError(
            f"--base: {request.base}: no such file or directory (--head is a path, so --base must be one too)"
        )
    if not head.exists():
        raise UsageError(
            f"--head: {request.head}: no such file or directory (--base is a path, so --head must be one too)"
        )
    if base is not None and base.is_dir() != head.is_dir():
        raise UsageError("--base and --head must both be directories or both be files")
    if base is None and head.is_dir():
        raise UsageError(
            "--base is required with a directory: the base to compare it with (a plan file is its own base)"
        )
    if request.no_config:
        config = Config()
    else:
        config = load_config(request.config_path or find_config(base if base is not None else head))
    changed = None
    prefixes = [_prefix(base, cwd) if base is not None else "", _prefix(head, cwd)]
    if base is not None and base.is_dir():

        def changed(path: str) -> bool:
            for prefix in prefixes:
                if path.startswith(prefix):
                    relative = path[len(prefix) :]
                    return not _same_file(base / relative, head / relative)
            return True

    return _Sides(
        base_label=request.base or f"{request.head} (before)",
        head_label=request.head,
        base_targets=[str(base)] if base is not None else None,
        base_cwd=cwd,
        head_targets=[str(head)],
        head_cwd=cwd,
        config=config,
        changed=changed,
        plans=not head.is_dir(),
        base_prefix=prefixes[0],
        head_prefix=prefixes[1],
    )


def _prefix(path: Path, cwd: Path) -> str:
    """How report paths of a side start: `old/` below a directory, the whole path of a file."""
    shown = display_path(path, cwd)
    return shown.rstrip("/") + "/" if path.is_dir() else shown


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def _git_config(request: GateRequest, repo: gittree.Repository, commit: str, folder: Path) -> Config:
    """The policy of the base ref (or --config): a change cannot relax the gate that judges it."""
    if request.no_config:
        return Config()
    if request.config_path is not None:
        return load_config(request.config_path)
    assert request.base is not None
    path = gittree.fetch_config(repo, commit, request.base, folder)
    if path is None:
        return Config()

    def shown(name: Path | str) -> str:
        try:
            return Path(name).relative_to(folder).as_posix()
        except ValueError:
            return str(name)

    try:
        return load_config(path, display=shown)
    except ConfigError as exc:
        raise ConfigError(f"{request.base}:{shown(exc.path)}", exc.problem, exc.line) from None


class _Gate:
    def __init__(self, request: GateRequest, sides: _Sides) -> None:
        self.request = request
        self.sides = sides
        self.config = sides.config
        self.policy = sides.config.release
        self.evidence = request.evidence
        self.today = request.scan.today
        self.fail_on = request.scan.fail_on
        self.findings: list[Finding] = []
        self.evaluations: list[Evaluation] = []
        self.checks: list[RequirementCheck] = []
        self.used: dict[str, RuleMeta] = {}
        self.waivers = WaiverBook(self.config, self.today)
        self.notes: list[str] = []
        self.tier = Tier.PRODUCTION
        self.held_by: list[str] = []
        self.classified: list[ClassifiedChange] = []

    def run(self) -> ScanReport:
        request, sides = self.request, self.sides
        max_bytes = request.scan.max_file_bytes
        base = None
        if sides.base_targets is not None:
            base = load_snapshot(sides.base_label, sides.base_targets, sides.base_cwd, max_bytes, sides.changed)
        head = load_snapshot(sides.head_label, sides.head_targets, sides.head_cwd, max_bytes, sides.changed)
        if base is None:
            if not any(r.change is not None for r in head.resources):
                raise UsageError(f"--base is required: {request.head} is not a Terraform plan or Pulumi preview")
            changes = plan_changes(head.resources)
        else:
            changes = diff(base.resources, head.resources, base.root, head.root, keep_planned=sides.plans)
            for error in base.errors:
                self.notes.append(f"base {sides.base_label}: {error}; what it holds counts as added")
        context = ClassifyContext(self.config.pod_spec_paths)
        classified, problems = classify_changes(changes, context)
        self.classified = classified
        release_class = release_class_of(classified)
        self.tier, target_from = self._target(classified, base, head)
        if release_class is not None:
            self._requirements(release_class, classified, head, context)
            self._freezes(classified)
        elif self.evidence.emergency:
            self.notes.append("--emergency has no effect: nothing changed")
        self._annotation_problems(problems)
        if not self.policy.configured:
            self.notes.append("no release policy (a `release:` section in .govscan.yaml): nothing is required")
        blocking = [
            f for f in self.findings if f.rule_id in _REQUIREMENT_IDS and gate_module.is_blocking(f, self.fail_on)
        ]
        verdict = "block" if blocking else "allow"
        if release_class is not None:
            self._decision(verdict, release_class, classified, sorted({f.rule_id for f in blocking}))
        decision = ReleaseDecision(
            verdict=verdict,
            release_class=release_class,
            target=self.tier,
            target_from=target_from,
            base=sides.base_label,
            head=sides.head_label,
            changes=tuple(_changed(c) for c in classified),
            requirements=tuple(self.checks),
            approvals=self.evidence.approvals,
            labels=tuple(sorted(self.evidence.labels)),
            change_ticket=self.evidence.change_ticket,
            evidence_sources=self.evidence.sources,
            freezes=tuple(self.held_by),
            emergency_reason=self.evidence.reason if self.evidence.emergency else None,
            notes=tuple(self.notes),
        )
        return self._report(decision)

    # --- the target tier -------------------------------------------------------------------------

    def _target(self, classified: list[ClassifiedChange], base: Snapshot | None, head: Snapshot) -> tuple[Tier, str]:
        request = self.request
        if request.target is not None:
            return request.target, "--target"
        if request.scan.tier is not None:
            return request.scan.tier, "--tier"
        if not classified:
            return self.config.default_tier, "nothing changed: the default tier"
        head_tiers = TierResolver(self.config, None, [*head.resources, *head.context], request.scan.workspace)
        base_side = [*base.resources, *base.context] if base is not None else []
        base_tiers = TierResolver(self.config, None, base_side, request.scan.workspace)
        strictest: tuple[Tier, Resource] | None = None
        for item in classified:
            resolver = head_tiers if item.change.head is not None else base_tiers
            tier = resolver.tier_of(item.change.resource)
            if strictest is None or TIERS.index(tier) < TIERS.index(strictest[0]):
                strictest = (tier, item.change.resource)
        assert strictest is not None
        return strictest[0], f"strictest tier of the changed resources: {label(strictest[1])}"

    # --- requirements ----------------------------------------------------------------------------

    def _requirements(
        self, release_class: ReleaseClass, classified: list[ClassifiedChange], head: Snapshot, context: ClassifyContext
    ) -> None:
        needs = self.policy.requirements_for(release_class, self.tier)
        deciding = [c for c in classified if release_class in c.signals]
        what = f"{_article(release_class.value)} {release_class.value} release to {self.tier.value}"
        evidence = self.evidence
        if "approvals" in needs.declared and needs.approvals > 0:
            met = evidence.approvals >= needs.approvals
            self._check(
                APPROVALS,
                needs.declared["approvals"],
                met,
                f"{what} needs {needs.approvals} approval(s); {evidence.approvals} given (--approvals)",
            )
        if needs.labels:
            missing = [name for name in needs.labels if name not in evidence.labels]
            present = ", ".join(sorted(evidence.labels)) or "none"
            message = f"{what} needs the label(s) {', '.join(needs.labels)}" + (
                f"; missing: {', '.join(missing)} (labels found: {present})" if missing else "; all present"
            )
            self._check(LABELS, needs.declared["labels"], not missing, message)
        if needs.change_ticket is not None:
            self._ticket(needs, what)
        if needs.backup:
            self._backup(needs, what, deciding, head, context)
        if needs.rollback_plan:
            self._rollback(needs, what, deciding)
        if needs.max_changed_resources is not None:
            count = len(classified)
            limit = needs.max_changed_resources
            self._check(
                BLAST_RADIUS,
                needs.declared["max_changed_resources"],
                count <= limit,
                f"the change touches {count} resource(s); {what} may touch at most {limit}"
                + ("" if count <= limit else ": split it"),
            )
        if needs.progressive_rollout:
            self._progressive(needs, what, classified, head)

    def _ticket(self, needs: Requirements, what: str) -> None:
        assert needs.change_ticket is not None
        pattern = needs.change_ticket.pattern
        ticket = self.evidence.change_ticket
        if ticket is None:
            message, met = f"{what} needs a change ticket matching {pattern} (--change-ticket ID)", False
        elif needs.change_ticket.fullmatch(ticket) is None:
            message, met = f"{what} needs a change ticket matching {pattern}; {ticket!r} does not match", False
        else:
            message, met = f"change ticket {ticket} matches {pattern}", True
        self._check(CHANGE_TICKET, needs.declared["change_ticket"], met, message)

    def _backup(
        self,
        needs: Requirements,
        what: str,
        deciding: list[ClassifiedChange],
        head: Snapshot,
        context: ClassifyContext,
    ) -> None:
        found, why_not = self._backup_evidence(deciding, head, context)
        if found is not None:
            self._check(BACKUP_EVIDENCE, needs.declared["backup"], True, f"backup before the change: {found}")
            return
        labels = " or ".join(self.policy.backup_labels) or "(none configured)"
        message = (
            f"{what} needs a backup taken before it: a pre-upgrade backup hook, a Backup object in the change, "
            f"or the label {labels}; " + (why_not or "none found")
        )
        first = deciding[0]
        pointer = first.signals[next(iter(first.signals))][0].pointer
        self._check_on(BACKUP_EVIDENCE, first.change.resource, pointer, False, message)

    def _backup_evidence(
        self, deciding: list[ClassifiedChange], head: Snapshot, context: ClassifyContext
    ) -> tuple[str | None, str | None]:
        """(what shows a backup is taken first, why a backup hook found does not count)."""
        for name in self.policy.backup_labels:
            if name in self.evidence.labels:
                return f"label {name}", None
        for item in self.classified:
            resource = item.change.resource
            if item.change.kind is not ChangeKind.REMOVED and resource.kind in BACKUP_KINDS:
                return f"{label(resource)} in the change", None
        hooks = [r for r in head.resources if runs_before_upgrade(r) and is_backup_job(r, context)]
        if not hooks:
            return None, None
        migration_hooks = [c.change.resource for c in deciding if runs_before_upgrade(c.change.resource)]
        first_migration = min((hook_weight(r) for r in migration_hooks), default=None)
        for hook in hooks:
            if first_migration is None or hook_weight(hook) < first_migration:
                return f"pre-upgrade hook {label(hook)}", None
        hook = hooks[0]
        return None, (
            f"pre-upgrade hook {label(hook)} (hook weight {hook_weight(hook)}) does not run before the migration "
            f"hook (weight {first_migration}): give it a lower weight"
        )

    def _rollback(self, needs: Requirements, what: str, deciding: list[ClassifiedChange]) -> None:
        for item in deciding:
            resource = item.change.resource
            plan = resource.annotations.get(ROLLBACK_PLAN) or resource.labels.get(ROLLBACK_PLAN)
            if plan and plan.strip():
                self._check(ROLLBACK_RULE, needs.declared["rollback_plan"], True, f"rollback plan on {label(resource)}")
                return
        resource = deciding[0].change.resource
        pointer = "/metadata/annotations" if resource.platform is Platform.K8S else ""
        message = f"{what} needs a rollback plan: annotate {label(resource)} with {ROLLBACK_PLAN} (the steps or a link)"
        self._check_on(ROLLBACK_RULE, resource, pointer, False, message)

    def _progressive(self, needs: Requirements, what: str, classified: list[ClassifiedChange], head: Snapshot) -> None:
        managed: dict[tuple[str | None, str], str] = {}
        for manager in head.resources:
            if manager.kind == "Canary" and manager.group == "flagger.app":
                target = value_at(manager.body, "/spec/targetRef/name")
                if isinstance(target, str):
                    managed[(manager.namespace, target)] = f"Flagger {label(manager)}"
            elif manager.kind == "Rollout" and manager.group == "argoproj.io":
                target = value_at(manager.body, "/spec/workloadRef/name")
                if isinstance(target, str):
                    managed[(manager.namespace, target)] = label(manager)
        progressive: list[str] = []
        unmet = False
        for item in classified:
            resource = item.change.head
            if resource is None:
                continue
            if resource.kind == "Rollout" and resource.group == "argoproj.io":
                strategy = value_at(resource.body, "/spec/strategy")
                if isinstance(strategy, dict) and ("canary" in strategy or "blueGreen" in strategy):
                    progressive.append(label(resource))
                    continue
                message = f"{label(resource)} has no canary or blueGreen strategy: {what} needs a progressive rollout"
            elif resource.kind == "Deployment":
                managed_by = managed.get((resource.namespace, resource.name))
                if managed_by is not None:
                    progressive.append(f"{label(resource)} via {managed_by}")
                    continue
                message = (
                    f"{label(resource)} rolls out all at once: {what} needs a progressive rollout "
                    "(an Argo Rollout with a canary or blueGreen strategy, or a Flagger Canary)"
                )
            else:
                continue
            unmet = True
            self._check_on(PROGRESSIVE_ROLLOUT, resource, "/spec/strategy", False, message)
        if not unmet:
            shown = ", ".join(progressive) or "no Deployment or Rollout in the change"
            self._check(
                PROGRESSIVE_ROLLOUT, needs.declared["progressive_rollout"], True, f"progressive rollout: {shown}"
            )

    # --- freeze windows --------------------------------------------------------------------------

    def _freezes(self, classified: list[ClassifiedChange]) -> None:
        present = {c for item in classified for c in item.classes}
        for window in self.policy.freezes:
            if self.tier not in window.tiers or not window.holds(self.today):
                continue
            held = sorted((c for c in present if c in window.classes), key=lambda c: -c.risk)
            if not held:
                continue
            self.held_by.append(window.name)
            self._freeze(window, held)
        if self.evidence.emergency and not self.held_by:
            self.notes.append("--emergency has no effect: no freeze window holds this change")

    def _freeze(self, window: FreezeWindow, held: list[ReleaseClass]) -> None:
        until = _last_day(window, self.today)
        message = (
            f"the {window.name} freeze ({window.describe()}) holds {', '.join(c.value for c in held)} releases "
            f"to {self.tier.value} until {until.isoformat()}"
        )
        waiver = None
        evidence = self.evidence
        if window.emergency_labels is None:
            message += "; it has no emergency path"
        elif evidence.emergency:
            missing = [name for name in window.emergency_labels if name not in evidence.labels]
            if missing:
                message += f"; the emergency path also needs the label(s) {', '.join(missing)}"
            else:
                waiver = Waiver(FREEZE_WINDOW.id, f"emergency: {evidence.reason}", "emergency")
        else:
            message += (
                f"; emergency path: --emergency --reason TEXT with the label(s) {', '.join(window.emergency_labels)}"
            )
        resource = _declared(window.declared, self._change_name)
        self._emit(FREEZE_WINDOW, resource, window.declared.pointer, message, waiver)

    # --- findings --------------------------------------------------------------------------------

    @property
    def _change_name(self) -> str:
        return f"{self.sides.base_label}..{self.sides.head_label}"

    def _check(self, meta: RuleMeta, declared: Declaration, met: bool, message: str) -> None:
        """A requirement about the change as a whole: its finding points at the line that asks for it."""
        self._check_on(meta, _declared(declared, self._change_name), declared.pointer, met, message)

    def _check_on(self, meta: RuleMeta, resource: Resource, pointer: str, met: bool, message: str) -> None:
        if met:
            if self.config.enforcement_for(meta, self.tier) is not Enforcement.OFF:
                self.used[meta.id] = meta
                self.checks.append(RequirementCheck(meta.id, Status.PASS, message))
                self.evaluations.append(Evaluation(meta.id, resource.uid, Status.PASS, self.tier))
            return
        self._emit(meta, resource, pointer, message, None)

    def _emit(self, meta: RuleMeta, resource: Resource, pointer: str, message: str, waiver: Waiver | None) -> None:
        enforcement = self.config.enforcement_for(meta, self.tier)
        if enforcement is Enforcement.OFF:
            return
        self.used[meta.id] = meta
        if waiver is None:
            waiver = self.waivers.waiver_for(meta.id, resource, self.tier, pointer)
        finding = self._finding(meta, resource, pointer, message, enforcement, waiver)
        self.findings.append(finding)
        status = Status.WAIVED if waiver is not None else Status.FAIL
        if meta.id in _REQUIREMENT_IDS:
            self.checks.append(RequirementCheck(meta.id, status, message))
        self.evaluations.append(Evaluation(meta.id, resource.uid, status, self.tier))

    def _finding(
        self,
        meta: RuleMeta,
        resource: Resource,
        pointer: str,
        message: str,
        enforcement: Enforcement,
        waiver: Waiver | None,
    ) -> Finding:
        return Finding(
            rule_id=meta.id,
            domain=meta.domain,
            resource=resource_ref(resource),
            tier=self.tier,
            enforcement=enforcement,
            severity=meta.severity,
            message=message,
            remediation=meta.remediation,
            location=location_of(resource, pointer),
            pointer=pointer,
            fingerprint=fingerprint(meta.id, resource.uid, pointer),
            title=meta.title,
            waiver=waiver,
        )

    def _annotation_problems(self, problems: Iterable[AnnotationProblem]) -> None:
        for problem in problems:
            self._emit(CLASS_ANNOTATION, problem.change.resource, problem.pointer, problem.message, None)

    def _decision(
        self, verdict: str, release_class: ReleaseClass, classified: list[ClassifiedChange], unmet: list[str]
    ) -> None:
        first = next(c for c in classified if release_class in c.signals)
        pointer = first.signals[release_class][0].pointer
        what = f"{release_class.value} release to {self.tier.value} ({len(classified)} changed resource(s))"
        if unmet:
            message = f"block: {what}: unmet {', '.join(unmet)}"
        else:
            met = sum(1 for c in self.checks if c.status is not Status.FAIL)
            message = f"allow: {what}: " + (
                f"{met} requirement(s) met" if met else "the release policy asks for nothing"
            )
        self._emit(DECISION, first.change.resource, pointer, message, None)

    def _report(self, decision: ReleaseDecision) -> ScanReport:
        request, sides = self.request, self.sides
        cwd = (request.cwd or Path.cwd()).resolve()  # --policy paths are the user's, not the trees'
        settings = dataclasses.replace(request.scan, config=self.config, today=self.today, policy_cwd=cwd)
        head = scan(dataclasses.replace(settings, targets=tuple(sides.head_targets), cwd=sides.head_cwd))
        head_findings = list(head.findings)
        if request.new_only:
            head_findings = self._baselined(head_findings, settings)
        for problem in self.waivers.problems():
            resource = problem.resource
            self.findings.append(
                self._finding(
                    WAIVER_PROBLEM,
                    resource,
                    problem.pointer,
                    problem.message,
                    WAIVER_PROBLEM.enforcement[self.tier],
                    None,
                )
            )
        findings = sorted(head_findings + self.findings, key=Finding.sort_key)
        evaluations = sorted([*head.evaluations, *self.evaluations], key=lambda e: (e.rule_id, e.resource_uid))
        decided = gate_module.decide(
            findings,
            evaluations,
            fail_on=request.scan.fail_on,
            soft_fail=request.scan.soft_fail,
            fail_on_incomplete=request.scan.fail_on_incomplete,
            resources=head.resources,
        )
        infos = [
            RuleInfo(m.id, m.domain, m.title, m.severity, m.remediation, m.title, m.enforcement)
            for m in self.used.values()
        ]
        known = {r.id for r in head.rules}
        return ScanReport(
            tool_version=head.tool_version,
            findings=tuple(findings),
            evaluations=tuple(evaluations),
            rules=tuple(sorted([*head.rules, *(i for i in infos if i.id not in known)], key=lambda r: r.id)),
            gate=decided,
            resources=head.resources,
            files=head.files,
            skipped=tuple(sorted([*head.skipped, *sides.skipped], key=lambda s: (s.path, s.line))),
            targets=(self._change_name,),
            release=decision,
        )

    def _baselined(self, findings: list[Finding], settings: ScanRequest) -> list[Finding]:
        """--new-only: findings the base has too (same rule, resource and field: the fingerprint before a
        duplicate is told apart by its file) are kept, marked, and do not block. A finding the base has
        n times is baselined n times, in the same file first: a new copy of a resource is new."""
        sides = self.sides
        if not sides.base_targets:
            return findings
        base = scan(dataclasses.replace(settings, targets=tuple(sides.base_targets), cwd=sides.base_cwd, progress=None))
        left = Counter(_identity(f) for f in base.findings)
        left_in_file = Counter((_identity(f), f.location.path.removeprefix(sides.base_prefix)) for f in base.findings)
        reason = f"already in the base {sides.base_label} (--new-only)"
        matched: set[int] = set()
        candidates = [(i, f) for i, f in enumerate(findings) if f.waiver is None and f.rule_id not in _NEVER_BASELINED]
        for i, finding in candidates:  # the same file first, so moves elsewhere do not steal a match
            key = (_identity(finding), finding.location.path.removeprefix(sides.head_prefix))
            if left_in_file[key] > 0 and left[key[0]] > 0:
                left_in_file[key] -= 1
                left[key[0]] -= 1
                matched.add(i)
        for i, finding in candidates:
            if i not in matched and left[_identity(finding)] > 0:
                left[_identity(finding)] -= 1
                matched.add(i)
        return [
            dataclasses.replace(f, waiver=Waiver(f.rule_id, reason, "baseline")) if i in matched else f
            for i, f in enumerate(findings)
        ]


def _identity(finding: Finding) -> str:
    return fingerprint(finding.rule_id, finding.resource.uid, finding.pointer)


_NEVER_BASELINED = frozenset({"govscan.input-error", "govscan.rule-error"})
"""About this run, not the manifests: an unreadable file or a crashed rule is never 'already there'."""
_REQUIREMENT_IDS = frozenset(m.id for m in REQUIREMENT_RULES)


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _declared(declared: Declaration, name: str) -> Resource:
    """The change as a resource located at the config line that sets a requirement."""
    return Resource(
        uid=CHANGE_UID,
        platform=Platform.K8S,
        kind="Change",
        api_version="govscan.io/v1",
        name=name,
        namespace=None,
        body={},
        source=Source(Origin.FILE, declared.file, positions={"": (declared.line, 1)}),
    )


def _last_day(window: FreezeWindow, day: dt.date) -> dt.date:
    """The last day of the freeze holding `day` (windows are at most a year long)."""
    for _ in range(366):
        following = day + dt.timedelta(days=1)
        if not window.holds(following):
            return day
        day = following
    return day


def _changed(item: ClassifiedChange) -> ChangedResource:
    change = item.change
    return ChangedResource(
        resource=resource_ref(change.resource),
        change=change.kind,
        classes=item.classes,
        reasons=item.reasons(),
        fields=change.fields[:SHOWN_FIELDS],
        action=change.action,
    )


__all__ = ["CHANGE_UID", "Evidence", "GateRequest", "ci_evidence", "run_gate"]
