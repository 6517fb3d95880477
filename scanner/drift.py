"""`govscan drift DESIRED...`: the desired state in Git (manifests, Helm output) against the live cluster.

Four checks in domain `drift`, judged by the engine like any rule (tiers, waivers, gate, reports):

- `drift.missing`: an object in Git is not in the cluster.
- `drift.unmanaged`: an object in a governed namespace (one the desired state touches, or listed in
  `drift.namespaces`) is not in Git. Objects a controller owns (`ownerReferences`) and objects the
  cluster makes itself (kube-root-ca.crt, the default ServiceAccount, Helm release Secrets) are not.
- `drift.modified`: a field the manifest sets has another value live. Only fields the manifest sets
  are compared, so server defaults and generated fields never count; quantities compare by value.
- `drift.hand-edit`: a policy finding on the live object that the manifest in Git does not have.

Live objects that Git has point at their manifest's file and line (the drift mapping). The live
objects are read once and fed, page by page, to two engines: the policy pack (for hand edits) and
the drift checks.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from fnmatch import fnmatchcase
from typing import Any

from govscan.scanner import inputs
from govscan.scanner.config import DRIFT_CHECKS, Config
from govscan.scanner.engine import Engine, Page, PageStream, ScanRequest
from govscan.scanner.errors import InputError, UsageError
from govscan.scanner.live import (
    SECRET_VALUES_WITHHELD,
    Read,
    discovery_notes,
    enabled_rules,
    live_pages,
    matching_types,
    needed_kinds,
    reads_secret_values,
)
from govscan.scanner.loaders import content
from govscan.scanner.loaders.cluster import ApiType, Cluster, Discovery, Target
from govscan.scanner.loaders.k8s import resource_uid
from govscan.scanner.model import (
    TIER,
    Enforcement,
    Gap,
    NotEvaluated,
    Origin,
    Platform,
    Resource,
    Rule,
    RuleMeta,
    ScanReport,
    Severity,
    Skipped,
    Source,
    Status,
    Tier,
    Violation,
    enforcement_table,
    escape_pointer_token,
)
from govscan.scanner.registry import builtin_rules

DEFAULT_ENFORCEMENT: dict[str, dict[Tier, Enforcement]] = {
    "missing": enforcement_table(production="block", staging="warn", qa="warn", development="info", sandbox="info"),
    "unmanaged": enforcement_table(production="warn", staging="warn", qa="info", development="info", sandbox="off"),
    "modified": enforcement_table(production="block", staging="warn", qa="info", development="info", sandbox="off"),
    "hand-edit": enforcement_table(production="block", staging="warn", qa="warn", development="info", sandbox="off"),
}
GENERATED = (
    "core/ConfigMap/*/kube-root-ca.crt",
    "core/ServiceAccount/*/default",
    "core/Secret/*/sh.helm.release.v1.*",
    "core/Endpoints/*/*",
    "discovery.k8s.io/EndpointSlice/*/*",
    "core/Event/*/*",
    "events.k8s.io/Event/*/*",
    "coordination.k8s.io/Lease/*/*",
)
"""Objects the cluster makes by itself in every namespace: never unmanaged."""
SHOWN_KEYS = frozenset(
    {
        "image", "imagePullPolicy", "replicas", "schedule", "suspend", "serviceAccountName", "type",
        "storageClassName", "ingressClassName", "priorityClassName", "minAvailable", "maxUnavailable",
        "cpu", "memory", "ephemeral-storage", "port", "targetPort", "containerPort", "protocol",
        "minReplicas", "maxReplicas", "concurrencyPolicy", "runAsNonRoot", "runAsUser", "privileged",
        "readOnlyRootFilesystem", "allowPrivilegeEscalation", "hostNetwork", "hostPID", "hostIPC",
    }
)  # fmt: skip
"""Fields whose values a drift message may show; any other value (an env var, an annotation) may be a secret."""

DOCS = {
    "missing": "An object in the desired state (Git) is missing from the cluster.\n\n"
    "Someone deleted it, or the last sync failed. Re-sync (argocd app sync, flux reconcile, kubectl apply) "
    "or remove it from Git if it is gone on purpose.",
    "unmanaged": "An object in a governed namespace is not in the desired state (Git).\n\n"
    "Made by hand (kubectl create/apply) or by a tool outside Git, it bypasses review and is lost on the next "
    "rebuild. Add it to Git or delete it. Objects owned by a controller are never reported.",
    "modified": "A field the manifest in Git sets has another value in the cluster.\n\n"
    "Only fields the manifest sets are compared: server defaults and generated fields never count. "
    "Someone edited the object live (kubectl edit/scale/patch); put the change in Git or re-sync.",
    "hand-edit": "A policy finding exists on the live object but not on its manifest in Git.\n\n"
    "The object was changed live in a way the rules reject (e.g. scaled to one replica in production). "
    "Re-sync from Git, or change Git and let review decide.",
}
TITLES = {
    "missing": "Object in Git is missing from the cluster",
    "unmanaged": "Object in a governed namespace is not in Git",
    "modified": "Field differs between Git and the cluster",
    "hand-edit": "Policy finding live that Git does not have",
}
REMEDIATION = {
    "missing": "Re-sync the application (argocd app sync / flux reconcile / kubectl apply), or delete the "
    "manifest from Git if the object is gone on purpose.",
    "unmanaged": "Add the object to Git (and let review decide), or delete it from the cluster; list generated "
    "objects under drift.ignore in .govscan.yaml.",
    "modified": "Put the live change into Git, or re-sync so the cluster matches Git again; list fields that "
    "controllers own under drift.ignore_fields.",
    "hand-edit": "Re-sync from Git, or make the change in Git so review and the gate see it.",
}


def drift_metas(config: Config) -> dict[str, RuleMeta]:
    """The four checks with enforcement per tier: the defaults, then `drift.enforcement` in the config."""
    metas = {}
    for check in DRIFT_CHECKS:
        table = dict(DEFAULT_ENFORCEMENT[check])
        table.update(config.drift.enforcement.get(check, {}))
        metas[check] = RuleMeta(
            id=f"drift.{check}",
            domain="drift",
            title=TITLES[check],
            severity=Severity.HIGH if check in ("hand-edit", "missing") else Severity.MEDIUM,
            enforcement=table,
            remediation=REMEDIATION[check],
            controls=("change management: GitOps",),
        )
    return metas


DRIFT_IDS = tuple(f"drift.{check}" for check in DRIFT_CHECKS)


@dataclasses.dataclass(frozen=True)
class DriftRequest:
    scan: ScanRequest
    """targets are the DESIRED paths; rule patterns choose the policy rules compared for hand edits."""
    target: Target
    read_secrets: bool = False


@dataclasses.dataclass
class Desired:
    """The desired state: Kubernetes objects from Git by uid, with their sources (file, line)."""

    resources: dict[str, Resource]
    skipped: list[Skipped]
    errors: list[InputError]
    files: int
    targets: dict[str, str] = dataclasses.field(default_factory=dict)
    """File (as reports show it) -> the DESIRED path it was found under."""


def load_desired(request: ScanRequest) -> Desired:
    files, problems = inputs.discover(list(request.targets), request.cwd)
    desired = Desired({}, [], list(problems), len(files), {f.display: f.target for f in files})
    for file in files:
        try:
            text = inputs.read_text(file, request.max_file_bytes)
        except InputError as exc:
            desired.errors.append(exc)
            continue
        origin = Origin.STDIN if file.path is None else Origin.FILE
        loaded = content.load(text, file.display, origin, named=file.named)
        desired.skipped.extend(loaded.skipped)
        desired.errors.extend(loaded.errors)
        for resource in loaded.resources:
            if resource.platform is not Platform.K8S:
                reason = (
                    f"{resource.kind} {resource.uid}: drift compares Kubernetes objects; scan plans with govscan scan"
                )
                desired.skipped.append(Skipped(resource.source.path, 1, reason))
                break
            first = desired.resources.setdefault(resource.uid, resource)
            if first is not resource:
                line = resource.source.locate("")[0]
                reason = f"{resource.uid} is also in {first.source.display_path}; that one is compared"
                desired.skipped.append(Skipped(resource.source.display_path, line, reason))
    return desired


def placed(desired: Desired, discovery: Discovery, default_namespace: str) -> Desired:
    """Namespaced objects without a namespace go where `kubectl apply` would put them."""
    namespaced = {(t.group, t.kind): t.namespaced for t in discovery.types}
    resources: dict[str, Resource] = {}
    for resource in desired.resources.values():
        if resource.namespace is None and namespaced.get((resource.group, resource.kind)):
            uid = resource_uid(resource.api_version, resource.kind, default_namespace, resource.name)
            resource = dataclasses.replace(resource, uid=uid, namespace=default_namespace)
        resources.setdefault(resource.uid, resource)
    return Desired(resources, desired.skipped, desired.errors, desired.files, desired.targets)


# --- comparing one object -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Change:
    pointer: str
    label: str
    desired: Any
    live: Any


def _empty(value: Any) -> bool:
    """What the API server leaves out when a manifest sets it (omitempty): false, 0, "", [], {}, null."""
    return value is None or value is False or value == 0 or value == "" or value == [] or value == {}


_SUFFIXES = {
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
    "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12), "P": Decimal(10**15),
    "E": Decimal(10**18), "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40),
    "Pi": Decimal(2**50), "Ei": Decimal(2**60),
}  # fmt: skip


def quantity(value: Any) -> Decimal | None:
    """A Kubernetes quantity (`500m`, `1Gi`, `0.5`, `2`) as a number; None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value).strip()
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if suffix and text.endswith(suffix):
            number, unit = text[: -len(suffix)], _SUFFIXES[suffix]
            break
    else:
        number, unit = text, Decimal(1)
    try:
        return Decimal(number) * unit
    except InvalidOperation:
        return None


QUANTITY_KEYS = frozenset({"cpu", "memory", "storage", "ephemeral-storage", "pods", "count"})


def _is_quantity_key(key: str) -> bool:
    name = key.rsplit(".", 1)[-1].rsplit("/", 1)[-1]  # ResourceQuota's `requests.cpu`, `count/pods`
    return name in QUANTITY_KEYS or name.startswith("hugepages-")


def _same(desired: Any, live: Any, key: str = "") -> bool:
    if desired == live:
        return True
    if live is None and _empty(desired):
        return True
    if _is_quantity_key(key):  # the server canonicalises quantities: 0.5 -> 500m, 1024Mi stays
        a, b = quantity(desired), quantity(live)
        return a is not None and a == b
    return False


def _keyed(items: list[Any]) -> bool:
    """Lists the API merges by name (containers, env, ports, volumes) are matched by name, not position."""
    return bool(items) and all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items)


def changes(desired: Any, live: Any, pointer: str = "", label: str = "") -> Iterator[Change]:
    """Fields the desired object sets whose live value differs (JSON pointer, readable label, both values)."""
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            if not (live is None and _empty(desired)):
                yield Change(pointer, label, desired, live)
            return
        for key, value in desired.items():
            child, child_label = f"{pointer}/{escape_pointer_token(str(key))}", f"{label}.{key}" if label else str(key)
            if key not in live:
                if not _empty(value):
                    yield Change(child, child_label, value, None)
                continue
            yield from changes(value, live[key], child, child_label)
    elif isinstance(desired, list):
        if not isinstance(live, list):
            if not (live is None and _empty(desired)):
                yield Change(pointer, label, desired, live)
            return
        if _keyed(desired) and _keyed(live):
            by_name = {item["name"]: item for item in live}
            for i, item in enumerate(desired):
                child, child_label = f"{pointer}/{i}", f"{label}[{item['name']}]"
                if item["name"] not in by_name:
                    yield Change(child, child_label, item, None)
                else:
                    yield from changes(item, by_name[item["name"]], child, child_label)
        elif all(not isinstance(i, dict | list) for i in desired):
            if len(desired) != len(live) or not all(_same(a, b) for a, b in zip(desired, live, strict=False)):
                yield Change(pointer, label, desired, live)
        else:
            for i, item in enumerate(desired):
                child, child_label = f"{pointer}/{i}", f"{label}[{i}]"
                yield from changes(item, live[i] if i < len(live) else None, child, child_label)
    elif not _same(desired, live, label.rsplit(".", 1)[-1]):
        yield Change(pointer, label, desired, live)


def _shown(value: Any) -> str:
    return "true" if value is True else "false" if value is False else str(value)


def describe(change: Change, secret: bool) -> str:
    key = change.label.rsplit(".", 1)[-1].split("[", 1)[0]
    if change.live is None:
        return f"{change.label}: set in Git, missing live"
    safe = not secret and not isinstance(change.desired, dict | list) and not isinstance(change.live, dict | list)
    if safe and (key in SHOWN_KEYS or isinstance(change.desired, bool | int | float)):
        return f"{change.label}: Git {_shown(change.desired)}, live {_shown(change.live)}"
    return (
        f"{change.label}: differs from Git (value not shown)" if not secret else f"{change.label}: differs (values ***)"
    )


def _secret_data(body: Mapping[str, Any]) -> dict[str, Any]:
    """A desired Secret's stringData as the base64 `data` the API server stores."""
    merged = dict(body.get("data") or {})
    for key, value in (body.get("stringData") or {}).items():
        merged[key] = base64.b64encode(str(value).encode()).decode()
    out = {k: v for k, v in body.items() if k != "stringData"}
    if merged:
        out["data"] = merged
    return out


# --- the four checks as rules ---------------------------------------------------------------------


class DriftChecks:
    """The drift checks over one desired state; `hand_edits` is filled once the live policy pass is judged."""

    def __init__(self, desired: Desired, config: Config, governed: Callable[[str | None], bool], secret_values: bool):
        self.desired = desired.resources
        self.config = config
        self.governed = governed
        self.secret_values = secret_values
        self.not_served: dict[str, str] = {}
        """uid -> `apiVersion Kind` of desired objects whose type the cluster does not serve."""
        self.hand_edits: dict[str, list[Violation | NotEvaluated]] = {}

    def rules(self) -> list[Rule]:
        metas = drift_metas(self.config)
        checks: dict[str, Any] = {
            "missing": self.missing,
            "unmanaged": self.unmanaged,
            "modified": self.modified,
            "hand-edit": self.hand_edit,
        }
        rules = []
        for check in DRIFT_CHECKS:
            meta = metas[check]
            if check == "hand-edit":  # judged after the live policy pass: a deferred rule
                meta = dataclasses.replace(meta, needs=(TIER,))
            rules.append(Rule(meta, checks[check], DOCS[check], __name__))
        return rules

    def missing(self, resource: Resource, ctx: Any, options: Any) -> Iterator[Violation]:
        if resource.source.logical is not None:  # a live object: present
            return
        where = f" in namespace {resource.namespace}" if resource.namespace else ""
        note = ""
        if resource.uid in self.not_served:
            note = f"; the cluster does not serve {self.not_served[resource.uid]} (is the CRD installed?)"
        yield Violation(f"{resource.kind} {resource.name} is in Git but not in the cluster{where}{note}")

    def unmanaged(self, resource: Resource, ctx: Any, options: Any) -> Iterator[Violation]:
        if resource.uid in self.desired or resource.namespace is None or not self.governed(resource.namespace):
            return
        if (resource.body.get("metadata") or {}).get("ownerReferences"):
            return  # made by a controller from something else
        names = (
            resource.uid,
            f"{resource.kind}/{resource.name}",
            f"{resource.namespace}/{resource.kind}/{resource.name}",
        )
        if any(fnmatchcase(n, p) for p in (*GENERATED, *self.config.drift.ignore) for n in names):
            return
        yield Violation(
            f"{resource.kind} {resource.name} is in namespace {resource.namespace} but not in Git "
            "(made by hand or by a tool outside Git)"
        )

    def modified(self, resource: Resource, ctx: Any, options: Any) -> Iterator[Violation | NotEvaluated]:
        desired = self.desired.get(resource.uid)
        if desired is None or resource.source.logical is None:
            return
        body, live = desired.body, resource.body
        secret = resource.kind == "Secret" and not resource.group
        if secret:
            body, live = _secret_data(body), dict(live)
            if not self.secret_values and "data" in body:
                body = {k: v for k, v in body.items() if k != "data"}
                yield NotEvaluated(f"Secret data not compared: {SECRET_VALUES_WITHHELD}")
        ignored = self.config.drift.ignore_fields
        for change in changes(body, live):
            if change.pointer.startswith("/status") or any(fnmatchcase(change.pointer, p) for p in ignored):
                continue
            in_data = secret and change.pointer.startswith("/data")
            yield Violation(describe(change, in_data), change.pointer)

    def hand_edit(self, resource: Resource, ctx: Any, options: Any) -> Iterator[Violation | NotEvaluated]:
        if resource.uid not in self.desired or resource.source.logical is None:
            return
        yield from self.hand_edits.get(resource.uid, ())

    def note_policy(self, git: ScanReport, live: ScanReport) -> None:
        """Live policy findings that Git does not have become hand edits; undecided live ones, not-evaluated."""
        in_git: dict[tuple[str, str], list[str]] = {}
        for finding in git.findings:
            in_git.setdefault((finding.rule_id, finding.resource.uid), []).append(finding.pointer)
        for finding in live.findings:
            if finding.rule_id.startswith("govscan.") or finding.resource.uid not in self.desired:
                continue
            if any(_same_place(finding.pointer, p) for p in in_git.get((finding.rule_id, finding.resource.uid), ())):
                continue
            message = f"{finding.rule_id}: {finding.message} (live only: the manifest in Git passes)"
            self.hand_edits.setdefault(finding.resource.uid, []).append(Violation(message, finding.pointer))
        undecided = (Status.NOT_EVALUATED, Status.ERROR)
        undecided_in_git = {(e.rule_id, e.resource_uid) for e in git.evaluations if e.status in undecided}
        for evaluation in live.evaluations:
            if evaluation.status not in undecided or evaluation.resource_uid not in self.desired:
                continue
            if (evaluation.rule_id, evaluation.resource_uid) in undecided_in_git:
                continue  # undecided on both sides (e.g. an option not configured): nothing to compare
            reason = f"{evaluation.rule_id} not evaluated live: {evaluation.reason}"
            self.hand_edits.setdefault(evaluation.resource_uid, []).append(NotEvaluated(reason))


def _same_place(live: str, git: str) -> bool:
    """One finding in both: the same field, or a field the server filled in where Git's finding
    points at the object that lacks it (imagePullPolicy defaulted under a container)."""
    return live == git or live.startswith(git + "/") or git.startswith(live + "/")


# --- the run --------------------------------------------------------------------------------------


def _split_patterns(patterns: Iterable[str], policy_ids: list[str], flag: str) -> tuple[list[str], list[str]]:
    """(patterns for the drift checks, patterns for the policy rules); one matching nothing is an error."""
    drift, policy = [], []
    for pattern in patterns:
        hits_drift = any(fnmatchcase(i, pattern) for i in DRIFT_IDS)
        hits_policy = any(fnmatchcase(i, pattern) for i in policy_ids)
        if not hits_drift and not hits_policy:
            raise UsageError(f"{flag}: no rule matches {pattern!r}; `govscan rules list` shows every rule id")
        if hits_drift:
            drift.append(pattern)
        if hits_policy:
            policy.append(pattern)
    return drift, policy


def _plan(types: list[ApiType], governed: list[str], everywhere: bool) -> list[Read]:
    plan: list[Read] = []
    for api_type in types:
        if api_type.kind == "Namespace" and not api_type.group and not everywhere:
            plan.extend(Read(api_type, None, name) for name in governed)
        elif api_type.namespaced and not everywhere:
            plan.extend(Read(api_type, namespace) for namespace in governed)
        else:
            plan.append(Read(api_type, None))
    return plan


def drift(request: DriftRequest, progress: Callable[[int, int, str], None] | None = None) -> ScanReport:
    scan = request.scan
    policy_ids = [r.id for r in builtin_rules()]
    drift_rules_wanted, policy_patterns = _split_patterns(scan.rule_patterns, policy_ids, "--rule")
    drift_skips, policy_skips = _split_patterns(scan.skip_patterns, policy_ids, "--skip-rule")
    domains = tuple(d for d in scan.domains if d != "drift")
    policy_request = dataclasses.replace(
        scan, rule_patterns=tuple(policy_patterns), skip_patterns=tuple(policy_skips), domains=domains
    )
    git_engine, live_engine = Engine(policy_request), Engine(policy_request)
    policy_rules = enabled_rules(live_engine, scan.tier)

    cluster = Cluster.connect(request.target)
    try:
        discovery = cluster.discover()
        target = request.target
        desired = placed(load_desired(scan), discovery, target.namespace or cluster.default_namespace)
        everywhere = target.all_namespaces
        governed_names = sorted(
            {r.namespace for r in desired.resources.values() if r.namespace}
            | {r.name for r in desired.resources.values() if r.kind == "Namespace" and not r.group}
            | set(scan.config.drift.namespaces)
            | ({target.namespace} if target.namespace else set())
        )
        governed_set = frozenset(governed_names)

        def governed(namespace: str | None) -> bool:
            return everywhere or namespace in governed_set

        secret_values = request.read_secrets and reads_secret_values(policy_rules)
        checks = DriftChecks(desired, scan.config, governed, secret_values)
        drift_request = dataclasses.replace(
            scan, rule_patterns=tuple(drift_rules_wanted or ["drift.*"]), skip_patterns=tuple(drift_skips), domains=()
        )
        drift_engine = Engine(drift_request, [*builtin_rules(), *checks.rules()])

        kinds = needed_kinds(policy_rules, scan.config) | set(scan.config.drift.kinds)
        kinds |= {f"{r.group}/{r.kind}" for r in desired.resources.values()}
        types = matching_types(discovery, kinds)
        served = {(t.group, t.kind): t for t in discovery.types}
        for resource in desired.resources.values():
            if (resource.group, resource.kind) not in served:
                checks.not_served[resource.uid] = f"{resource.api_version} {resource.kind}"
        withheld = []
        if not secret_values:
            withheld = [Gap(t.kind, t.api_version, None, SECRET_VALUES_WITHHELD, content_only=True)
                        for t in types if t.kind == "Secret" and not t.group]  # fmt: skip
        git = git_engine.run_pages([Page(list(desired.resources.values()))])
        scan_target = f"cluster/{cluster.context}"
        live_policy = PageStream(live_engine, withheld, scan_target, desired.targets)
        live_drift = PageStream(drift_engine, withheld, scan_target, desired.targets)
        live_drift.feed(Page(skipped=[*desired.skipped, *discovery_notes(cluster, discovery)], errors=desired.errors))

        def trace(resource: Resource) -> Source | None:
            found = desired.resources.get(resource.uid)
            return found.source if found is not None else None

        plan = _plan(types, governed_names, everywhere)
        metadata_only = frozenset(g.kind for g in withheld)
        seen: set[str] = set()
        unread: set[tuple[str, str]] = set()
        unmanaged_only = frozenset({"drift.unmanaged"})
        for page in live_pages(cluster, plan, metadata_only, trace, progress, seen):
            unread.update((g.api_version.rpartition("/")[0], g.kind) for g in page.gaps)
            # objects Git has are judged by everything; other objects in governed namespaces only as
            # possibly unmanaged; the rest only feed the index (Namespaces for tiers, ClusterRoles for RBAC)
            in_git = [r for r in page.resources if r.uid in desired.resources]
            extra = [r for r in page.resources if r.uid not in desired.resources and governed(r.namespace)]
            rest = [r for r in page.resources if r.uid not in desired.resources and not governed(r.namespace)]
            for stream in (live_policy, live_drift):
                stream.feed(dataclasses.replace(page, resources=in_git))
                if extra:
                    stream.feed(Page(extra, only=unmanaged_only if stream is live_drift else frozenset()))
                if rest:
                    stream.feed(Page(rest, only=frozenset()))
        checks.note_policy(git, live_policy.finish())
        ghosts = [
            r for uid, r in desired.resources.items()
            if uid not in seen and (r.group, r.kind) not in unread
        ]  # fmt: skip
        live_drift.feed(Page(ghosts, only=frozenset({"drift.missing"}), indexed=False))
        report = live_drift.finish(desired.files)
    finally:
        cluster.close()
    return dataclasses.replace(report, targets=(*scan.targets, scan_target))
