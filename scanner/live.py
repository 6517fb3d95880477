"""`govscan cluster`: the live state of a cluster through the same engine, rules, tiers, waivers and gate.

Only kinds that some enabled rule judges or needs are listed (RuleMeta.kinds and .needs, WORKLOADS
expanded to every kind with a pod template, Namespaces always: their labels decide tiers). Pages go
into the engine as they arrive, like files in `govscan scan`, so memory stays flat on a large cluster.
A kind that cannot be read becomes a Gap: its rules record not-evaluated, never a pass.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from govscan.rules._lib.workloads import POD_SPEC_PATHS
from govscan.scanner import inputs
from govscan.scanner.config import Config
from govscan.scanner.engine import Engine, Page, ScanRequest
from govscan.scanner.errors import InputError
from govscan.scanner.loaders import content
from govscan.scanner.loaders.cluster import ApiType, Cluster, Discovery, ListFailure, Target, Tracer, live_resource
from govscan.scanner.loaders.k8s import packed
from govscan.scanner.model import (
    TIER,
    WORKLOADS,
    Enforcement,
    Gap,
    Platform,
    Position,
    Resource,
    Rule,
    ScanReport,
    Skipped,
    Source,
    Tier,
)

SECRET_VALUES_WITHHELD = (
    "Secret values were not read (Secrets are listed as metadata only); "
    "pass --read-secrets to let the rules that need them judge"
)
ARGO_TRACKING = "argocd.argoproj.io/tracking-id"
FLUX_PREFIXES = ("kustomize.toolkit.fluxcd.io/", "helm.toolkit.fluxcd.io/")
_TRACKING_ID = re.compile(r"^(?P<app>[^:]+):(?P<group>[^/:]*)/(?P<kind>[^:]+):(?P<namespace>[^/]*)/(?P<name>.+)$")

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ClusterRequest:
    """`govscan cluster` as asked: the scan settings, the cluster, and how far to read."""

    scan: ScanRequest
    target: Target
    read_secrets: bool = False
    source_root: Path | None = None
    """The Git checkout Argo CD / Flux deploy from: tracked objects' findings point at their files there."""


def enabled_rules(engine: Engine, tier: Tier | None) -> list[Rule]:
    """The selected Kubernetes rules that are not off in every tier the audit can meet."""
    tiers = [tier] if tier is not None else list(Tier)
    return [
        r
        for r in engine.rules
        if Platform.K8S in r.meta.platforms
        and any(engine.config.enforcement_for(r.meta, t) is not Enforcement.OFF for t in tiers)
    ]


def needed_kinds(rules: Iterable[Rule], config: Config) -> set[str]:
    """Kinds (`Kind` or `group/Kind`) the rules judge or read, WORKLOADS expanded; Namespaces always."""
    kinds = {"Namespace"}
    for rule in rules:
        for kind in (*rule.meta.kinds, *rule.meta.needs):
            if kind == WORKLOADS:
                kinds.update(POD_SPEC_PATHS)
                kinds.update(config.pod_spec_paths)
            elif kind != TIER:
                kinds.add(kind)
    return kinds


def reads_secret_values(rules: Iterable[Rule]) -> bool:
    """Some rule judges Secrets or reads them through ctx (everything else is happy with metadata)."""
    return any("Secret" in r.meta.kinds or "Secret" in r.meta.needs for r in rules)


def matching_types(discovery: Discovery, kinds: set[str]) -> list[ApiType]:
    """Served types whose kind is wanted, by `Kind` or `group/Kind`, in a stable order."""
    found = {t for t in discovery.types if t.kind in kinds or f"{t.group}/{t.kind}" in kinds}
    return sorted(found, key=lambda t: (t.group, t.kind, t.version))


@dataclass(frozen=True, slots=True)
class Read:
    """One request plan entry: list a type (in a namespace or everywhere), or get one Namespace."""

    api_type: ApiType
    namespace: str | None
    name: str | None = None


def reading_plan(types: Iterable[ApiType], namespace: str | None) -> list[Read]:
    """List each type everywhere (-A) or in one namespace; with one namespace, its Namespace is read
    by name and cluster-scoped types are listed whole (kubectl: -n does not apply to them)."""
    plan = []
    for api_type in types:
        if api_type.kind == "Namespace" and not api_type.group and namespace is not None:
            plan.append(Read(api_type, None, namespace))
        else:
            plan.append(Read(api_type, namespace if api_type.namespaced else None))
    return plan


class GitSources:
    """Manifests under --source-root by uid, so tracked live objects point at their Git files."""

    def __init__(self, sources: dict[str, Source]) -> None:
        self.sources = sources

    @classmethod
    def load(cls, root: Path, cwd: Path | None = None) -> GitSources:
        files, _ = inputs.discover([str(root)], cwd)
        sources: dict[str, Source] = {}
        memo: dict[int, Mapping[str, Position]] = {}
        for file in files:
            try:
                text = inputs.read_text(file)
            except InputError:  # an unreadable file only means its objects stay on pseudo-paths
                continue
            for resource in content.load(text, file.display).resources:
                if resource.platform is Platform.K8S:
                    source = resource.source
                    positions = packed(source.positions, memo)
                    sources.setdefault(resource.uid, Source(source.origin, source.path, source.document,
                                                            source.template, positions))  # fmt: skip
        return cls(sources)

    def find(self, uid: str) -> Source | None:
        found = self.sources.get(uid)
        if found is None:  # a manifest without namespace, placed by Argo CD's destination or kustomize
            group, kind, _, name = uid.split("/", 3)
            found = self.sources.get(f"{group}/{kind}/-/{name}")
        return found

    def tracer(self) -> Tracer:
        def trace(resource: Resource) -> Source | None:
            uid = tracked_uid(resource)
            return self.find(uid) if uid else None

        return trace


def tracked_uid(resource: Resource) -> str | None:
    """The uid of the Git manifest a GitOps controller applied this object from, if it says so."""
    tracking = resource.annotations.get(ARGO_TRACKING)
    if tracking:
        match = _TRACKING_ID.match(tracking)
        if match:
            group = match["group"] or "core"
            return f"{group}/{match['kind']}/{match['namespace'] or '-'}/{match['name']}"
    if any(key.startswith(FLUX_PREFIXES) for key in resource.labels):
        return resource.uid
    return None


def discovery_notes(cluster: Cluster, discovery: Discovery) -> list[Skipped]:
    return [
        Skipped(f"cluster/{cluster.context}/apis/{group_version}", 1,
                f"API group {group_version} could not be discovered ({why}); its kinds were not read")
        for group_version, why in discovery.problems
    ]  # fmt: skip


def live_pages(
    cluster: Cluster,
    plan: list[Read],
    metadata_only: frozenset[str],
    trace: Tracer | None,
    progress: Progress | None = None,
    seen: set[str] | None = None,
) -> Iterator[Page]:
    """Each page of each planned read as an engine Page; a read that fails becomes a Gap.

    Objects whose controller is of a kind this plan reads (a Deployment's ReplicaSets, their Pods, a
    CronJob's Jobs) are judged through that controller, not one by one: they share its pod template,
    so each finding would repeat on every replica, and they are most of a cluster's objects.
    """
    audited = frozenset(read.api_type.kind for read in plan)
    for done, read in enumerate(plan, start=1):
        api_type = read.api_type
        try:
            if read.name is not None:
                item = cluster.get(api_type, read.name)
                pages: Iterable[list[object]] = [[item]] if item is not None else []
            else:
                pages = cluster.pages(api_type, read.namespace, api_type.kind in metadata_only)
            for items in pages:
                resources = [live_resource(item, cluster.context, trace) for item in items if isinstance(item, dict)]
                if seen is not None:
                    seen.update(r.uid for r in resources)
                yield Page([r for r in resources if controller_kind(r) not in audited])
        except ListFailure as failure:
            namespace = read.name or read.namespace
            yield Page(gaps=[Gap(api_type.kind, api_type.api_version, namespace, failure.reason)])
        if progress is not None:
            progress(done, len(plan), "resource types")


def controller_kind(resource: Resource) -> str | None:
    """The kind of the object's managing controller (`ownerReferences[].controller: true`), if any."""
    for owner in (resource.body.get("metadata") or {}).get("ownerReferences") or ():
        if isinstance(owner, dict) and owner.get("controller") is True:
            return str(owner.get("kind", ""))
    return None


def audit(request: ClusterRequest, progress: Progress | None = None) -> ScanReport:
    """Read the cluster and judge it; raises UsageError / ClusterError before anything is judged."""
    engine = Engine(request.scan)
    rules = enabled_rules(engine, request.scan.tier)
    target = request.target
    trace = GitSources.load(request.source_root, request.scan.cwd).tracer() if request.source_root else None
    cluster = Cluster.connect(target)
    try:
        discovery = cluster.discover()
        namespace = None if target.all_namespaces else (target.namespace or cluster.default_namespace)
        types = matching_types(discovery, needed_kinds(rules, engine.config))
        plan = reading_plan(types, namespace)
        secret_values = request.read_secrets and reads_secret_values(rules)
        withheld = []
        if not secret_values:
            withheld = [Gap(t.kind, t.api_version, None, SECRET_VALUES_WITHHELD, content_only=True)
                        for t in types if t.kind == "Secret" and not t.group]  # fmt: skip
        first = Page(skipped=discovery_notes(cluster, discovery))
        pages = live_pages(cluster, plan, frozenset(g.kind for g in withheld), trace, progress)
        scan_target = f"cluster/{cluster.context}"
        report = engine.run_pages(_chain(first, pages), withheld, target=scan_target)
    finally:
        cluster.close()
    return dataclasses.replace(report, targets=(scan_target,))


def _chain(first: Page, rest: Iterable[Page]) -> Iterator[Page]:
    yield first
    yield from rest


# --- govscan cluster check-access ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Permission:
    verb: str
    api_type: ApiType
    namespace: str | None
    name: str | None
    allowed: bool
    reason: str = ""

    @property
    def scope(self) -> str:
        if self.name is not None:
            return f"{self.api_type.label}/{self.name}"
        if not self.api_type.namespaced:
            return f"{self.api_type.label} (cluster-scoped)"
        return (
            f"{self.api_type.label} in {self.namespace}"
            if self.namespace
            else f"{self.api_type.label} (all namespaces)"
        )


@dataclass(frozen=True)
class AccessReport:
    context: str
    scope: str
    permissions: tuple[Permission, ...]

    @property
    def missing(self) -> tuple[Permission, ...]:
        return tuple(p for p in self.permissions if not p.allowed)


def check_access(request: ClusterRequest) -> AccessReport:
    """SelfSubjectAccessReviews for `list` and `get` on everything the enabled rules read."""
    engine = Engine(request.scan)
    rules = enabled_rules(engine, request.scan.tier)
    cluster = Cluster.connect(request.target)
    try:
        discovery = cluster.discover()
        namespace = None if request.target.all_namespaces else (request.target.namespace or cluster.default_namespace)
        plan = reading_plan(matching_types(discovery, needed_kinds(rules, engine.config)), namespace)
        permissions = []
        for read in plan:
            verbs = ("get",) if read.name is not None else ("list", "get")
            for verb in verbs:
                allowed, reason = cluster.can_i(verb, read.api_type, read.namespace, read.name)
                permissions.append(Permission(verb, read.api_type, read.namespace, read.name, allowed, reason))
    finally:
        cluster.close()
    scope = "all namespaces" if namespace is None else f"namespace {namespace}"
    return AccessReport(cluster.context, scope, tuple(permissions))


def render_access(report: AccessReport) -> str:
    lines = [f"govscan: context {report.context}, {report.scope}: what the enabled rules read"]
    for p in report.permissions:
        mark = "ok     " if p.allowed else "MISSING"
        lines.append(f"  {mark}  {p.verb:<4}  {p.scope}")
    missing = report.missing
    if missing:
        lines.append(
            f"{len(missing)} of {len(report.permissions)} permissions missing: rules that read these kinds will "
            "report not evaluated (grant get/list, see deploy/clusterrole.yaml)"
        )
    else:
        lines.append(f"all {len(report.permissions)} permissions granted")
    return "\n".join(lines) + "\n"
