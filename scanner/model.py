"""Core types shared by loaders, rules, the engine and reporters.

Frozen dataclasses and enums only: no I/O, no logic beyond small derived properties.
"""

from __future__ import annotations

import enum
from array import array
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govscan.scanner.context import Context


class Tier(enum.Enum):
    """Environment tier of a resource, most demanding first."""

    PRODUCTION = "production"
    STAGING = "staging"
    QA = "qa"
    DEVELOPMENT = "development"
    SANDBOX = "sandbox"

    @classmethod
    def parse(cls, text: str) -> Tier:
        key = text.strip().lower()
        key = TIER_ALIASES.get(key, key)
        return cls(key)


TIER_ALIASES = {
    "prod": "production",
    "prd": "production",
    "stage": "staging",
    "stg": "staging",
    "test": "qa",
    "uat": "qa",
    "dev": "development",
    "develop": "development",
    "sbx": "sandbox",
}

TIERS: tuple[Tier, ...] = tuple(Tier)


class Enforcement(enum.IntEnum):
    """What a finding does to the gate. Ordered: off < info < warn < block."""

    OFF = 0
    INFO = 1
    WARN = 2
    BLOCK = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Enforcement:
        return cls[text.strip().upper()]


class Severity(enum.IntEnum):
    """The rule's own judgement of impact; feeds SARIF security-severity, never the gate."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.strip().upper()]


class Status(enum.Enum):
    """Outcome of one (rule, resource) evaluation."""

    PASS = "pass"
    FAIL = "fail"
    WAIVED = "waived"
    NOT_EVALUATED = "not-evaluated"
    ERROR = "error"


class Platform(enum.Enum):
    K8S = "k8s"
    TERRAFORM = "terraform"
    PULUMI = "pulumi"


class Origin(enum.Enum):
    FILE = "file"
    STDIN = "stdin"
    HELM = "helm"
    TFPLAN = "tfplan"
    PULUMI = "pulumi"
    CLUSTER = "cluster"


Position = tuple[int, int]


class PackedPositions(Mapping[str, Position]):
    """A pointer -> position map packed into one string and one int array.

    A dict of 300,000 pointer strings costs tens of megabytes and is slow to send between
    processes; this holds the same in two objects and finds a pointer with one C-level search.
    """

    __slots__ = ("_keys", "_numbers")
    _SEP = "\x00"

    def __init__(self, positions: Mapping[str, Position]) -> None:
        self._keys = self._SEP + self._SEP.join(positions) + self._SEP if positions else ""
        self._numbers = array("I", [n for position in positions.values() for n in position])

    @classmethod
    def of(cls, positions: Mapping[str, Position]) -> Mapping[str, Position]:
        """A dict packed, unless a key holds the separator; other maps (lazy ones) stay as they are."""
        if not isinstance(positions, dict) or any(cls._SEP in key for key in positions):
            return positions
        return cls(positions)

    def get(self, pointer: str, default: Any = None) -> Any:
        at = self._keys.find(self._SEP + pointer + self._SEP)
        if at < 0:
            return default
        i = self._keys.count(self._SEP, 0, at) * 2
        return (self._numbers[i], self._numbers[i + 1])

    def __getitem__(self, pointer: str) -> Position:
        found: Position | None = self.get(pointer)
        if found is None:
            raise KeyError(pointer)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys[1:-1].split(self._SEP)) if self._keys else iter(())

    def __len__(self) -> int:
        return len(self._numbers) // 2

    def __reduce__(self) -> tuple[Any, ...]:
        return (_unpickle_positions, (self._keys, self._numbers))


def _unpickle_positions(keys: str, numbers: array[int]) -> PackedPositions:
    packed = PackedPositions.__new__(PackedPositions)
    packed._keys, packed._numbers = keys, numbers
    return packed


"""1-based (line, column)."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where a resource came from, with a side map of JSON pointer -> position.

    `path` is repo-relative (or `<stdin>`); `template` is what reports show instead when set: the
    Helm chart template named by the document's `# Source:` comment, or with --tf-root the .tf file
    holding a plan resource's block.
    """

    origin: Origin
    path: str
    document: int = 0
    template: str | None = None
    positions: Mapping[str, Position] = field(default_factory=dict, compare=False, repr=False)
    logical: str | None = None
    """A live object's stable logical location, `context/namespace/Kind/name` (None for files)."""

    @property
    def display_path(self) -> str:
        return self.template or self.path

    def locate(self, pointer: str = "") -> Position:
        """Position of `pointer`, or of its nearest known parent when the key is missing."""
        positions = self.positions
        probe = pointer
        while True:
            hit = positions.get(probe)
            if hit is not None:
                return hit
            if not probe:
                return (1, 1)
            probe = probe.rsplit("/", 1)[0] if "/" in probe else ""


def escape_pointer_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer_join(*tokens: str | int) -> str:
    """Build a JSON pointer from tokens: pointer_join("spec", "replicas") == "/spec/replicas"."""
    return "".join("/" + escape_pointer_token(str(t)) for t in tokens)


class Action(enum.Enum):
    """What a plan or preview does to a cloud resource."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REPLACE = "replace"
    READ = "read"
    NO_OP = "no-op"


@dataclass(frozen=True, slots=True)
class Change:
    """A planned change to a cloud resource: its action, and which values are unknown or sensitive.

    `unknown` and `sensitive` hold JSON pointers into the resource body (`/backup_retention_period`);
    a pointer covers everything below it. `before` is the prior value (for deletes: what is lost).
    """

    action: Action
    unknown: frozenset[str] = frozenset()
    sensitive: frozenset[str] = frozenset()
    before: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)
    references: frozenset[str] = frozenset()
    """What the resource's configuration refers to: Terraform addresses without index
    (`aws_s3_bucket.logs`, `module.db.aws_db_instance.main`), Pulumi URNs (property dependencies)."""

    def covers(self, pointers: frozenset[str], pointer: str) -> bool:
        probe = pointer
        while True:
            if probe in pointers:
                return True
            if not probe:
                return False
            probe = probe.rsplit("/", 1)[0]

    def is_unknown(self, pointer: str) -> bool:
        return bool(self.unknown) and self.covers(self.unknown, pointer)

    def is_sensitive(self, pointer: str) -> bool:
        return bool(self.sensitive) and self.covers(self.sensitive, pointer)


class UnknownValue(Exception):
    """A rule needed a value the plan only knows after apply; the engine records not-evaluated."""

    def __init__(self, pointer: str) -> None:
        self.pointer = pointer
        super().__init__(f"{pointer or 'the value'} is unknown until apply")


@dataclass(frozen=True, slots=True)
class Resource:
    """One object to judge: a Kubernetes manifest, a planned cloud resource, a Pulumi step."""

    uid: str
    platform: Platform
    kind: str
    api_version: str
    name: str
    namespace: str | None
    body: Mapping[str, Any] = field(repr=False)
    source: Source
    labels: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Kubernetes labels; for cloud resources, their tags."""
    annotations: Mapping[str, str] = field(default_factory=dict, repr=False)
    change: Change | None = field(default=None, repr=False)
    """Cloud resources: the planned action and unknown / sensitive values; None for manifests."""

    @property
    def group(self) -> str:
        return self.api_version.rsplit("/", 1)[0] if "/" in self.api_version else ""


@dataclass(frozen=True, slots=True)
class Violation:
    """What a rule yields: a message and the JSON pointer of the offending (or missing) field.

    Built-in rules set nothing else. A Rego policy result may carry its own domain, severity and
    remediation (`rule`, same id as the rule that yielded it) and a waiver its `exception` grants.
    """

    message: str
    pointer: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    rule: RuleMeta | None = None
    waiver: Waiver | None = None


@dataclass(frozen=True, slots=True)
class NotEvaluated:
    """What a rule yields when it cannot decide (missing input, unknown value): never a pass."""

    reason: str


WORKLOADS = "@workload"
"""In RuleMeta.kinds and .needs: every kind that carries a pod template (built-in and configured `workloads:`)."""

TIER = "@tier"
"""In RuleMeta.needs: the rule calls `ctx.tier_of`, which reads Namespace labels from anywhere in the scan."""

EVERYTHING = "@everything"
"""In RuleMeta.needs: the rule reads every resource of the scan whole (`ctx.everything()`; Rego --combine)."""

EnforcementTable = Mapping[Tier, Enforcement]


def enforcement_table(
    production: str, staging: str, qa: str, development: str, sandbox: str
) -> dict[Tier, Enforcement]:
    """Spell a rule's default enforcement per tier in tier order."""
    values = (production, staging, qa, development, sandbox)
    return {tier: Enforcement.parse(v) for tier, v in zip(TIERS, values, strict=True)}


CheckFn = Callable[[Resource, "Context", Any], Iterator["Violation | NotEvaluated"]]


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """A rule's identity and defaults. Remediation is required."""

    id: str
    domain: str
    title: str
    severity: Severity
    enforcement: EnforcementTable
    remediation: str
    kinds: tuple[str, ...] = ()
    platforms: tuple[Platform, ...] = (Platform.K8S,)
    controls: tuple[str, ...] = ()
    options: Any = None
    """A frozen dataclass instance holding option defaults, or None."""
    needs: tuple[str, ...] = ()
    """What the rule reads through `ctx` besides its own resource: kinds, WORKLOADS, TIER.

    A rule that needs nothing runs while its file streams past and the file is then let go; a rule
    that needs something runs once every file is read, over an index holding only what rules need.
    Reading anything undeclared raises, so a missing entry fails the rule's fixtures loudly.
    """


@dataclass(frozen=True, slots=True)
class Rule:
    """A discovered rule: its metadata, its check function and its module docstring."""

    meta: RuleMeta
    check: CheckFn
    doc: str
    module: str

    @property
    def id(self) -> str:
        return self.meta.id


@dataclass(frozen=True, slots=True)
class Location:
    path: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Waiver:
    """Why a finding does not count: where the waiver came from, who owns it, until when."""

    rule_id: str
    reason: str
    source: str  # "annotation" | "config" | "rego-exception"
    owner: str | None = None
    expires: str | None = None  # ISO date


@dataclass(frozen=True, slots=True)
class ResourceRef:
    """The parts of a resource a report needs (bodies never leave the engine)."""

    uid: str
    platform: Platform
    kind: str
    name: str
    namespace: str | None
    api_version: str
    path: str
    line: int
    target: str = ""
    """The scan target (a path as given on the command line, `-` for stdin) the resource was read from."""
    logical: str | None = None
    """A live object's `context/namespace/Kind/name` (Source.logical); None for files."""


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    domain: str
    resource: ResourceRef
    tier: Tier
    enforcement: Enforcement
    severity: Severity
    message: str
    remediation: str
    location: Location
    pointer: str
    fingerprint: str
    title: str = ""
    waiver: Waiver | None = None

    @property
    def waived(self) -> bool:
        return self.waiver is not None

    @property
    def blocking(self) -> bool:
        return self.enforcement is Enforcement.BLOCK and self.waiver is None

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.location.path, self.location.line, self.location.column, self.rule_id, self.fingerprint)


@dataclass(frozen=True, slots=True)
class Evaluation:
    rule_id: str
    resource_uid: str
    status: Status
    tier: Tier | None = None
    reason: str = ""
    target: str = ""
    """The scan target the resource was read from (see ResourceRef.target)."""

    def sort_key(self) -> tuple[str, str, str, str, str, str]:
        return (
            self.rule_id,
            self.resource_uid,
            self.target,
            self.status.value,
            self.tier.value if self.tier else "",
            self.reason,
        )

    location: Location | None = None
    """Where the resource is, for not-evaluated and errored evaluations (reports list them by place)."""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A document or file that was read but is not something govscan judges, with why."""

    path: str
    line: int
    reason: str
    target: str = ""


@dataclass(frozen=True, slots=True)
class Gap:
    """Objects of one kind govscan could not read (a 403, an unserved CRD, a Secret listed metadata-only).

    Rules that judge the kind record not-evaluated for `scope`; rules that need it (RuleMeta.needs)
    record not-evaluated on every resource they would have judged. Never a pass.
    """

    kind: str
    api_version: str
    namespace: str | None
    """The namespace that could not be read; None for all namespaces or a cluster-scoped kind."""
    reason: str
    content_only: bool = False
    """The objects were read without their content (metadata only): only rules naming the kind are affected."""

    @property
    def scope(self) -> str:
        """A uid-shaped name for what was not read: `apps/Deployment/erp-prod/*`."""
        group = self.api_version.rsplit("/", 1)[0] if "/" in self.api_version else "core"
        return f"{group}/{self.kind}/{self.namespace or '*'}/*"


@dataclass(frozen=True, slots=True)
class GateDecision:
    verdict: str  # "passed" | "blocked" | "error" | "incomplete"
    exit_code: int
    reason: str
    counts: Mapping[str, int]
    blocking: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What reporters need to know about every rule that ran (SARIF's rule table, JUnit's suites)."""

    id: str
    domain: str
    title: str
    severity: Severity
    remediation: str
    doc: str
    enforcement: Mapping[Tier, Enforcement] = field(default_factory=dict)
    """The rule's default enforcement per tier (SARIF's defaultConfiguration uses production's)."""


class ReleaseClass(enum.Enum):
    """What kind of change a release is, riskiest first; a change takes its riskiest class."""

    DATA_DESTRUCTIVE = "data-destructive"
    SCHEMA_MIGRATION = "schema-migration"
    INFRASTRUCTURE_CHANGE = "infrastructure-change"
    INTEGRATION_CHANGE = "integration-change"
    CONFIG_CHANGE = "config-change"
    IMAGE_ONLY = "image-only"

    @property
    def risk(self) -> int:
        """Higher is riskier: image-only 1 ... data-destructive 6."""
        return len(RELEASE_CLASSES) - RELEASE_CLASSES.index(self)


RELEASE_CLASSES: tuple[ReleaseClass, ...] = tuple(ReleaseClass)


class ChangeKind(enum.Enum):
    ADDED = "added"
    REMOVED = "removed"
    MODIFIED = "modified"


@dataclass(frozen=True, slots=True)
class ResourceChange:
    """One resource that differs between a base and a head.

    `fields` are the JSON pointers of the changed values (modified resources; sorted). `action` is
    the planned action when the head is a Terraform plan or Pulumi preview, else None.
    """

    kind: ChangeKind
    base: Resource | None
    head: Resource | None
    fields: tuple[str, ...] = ()
    action: Action | None = None

    @property
    def resource(self) -> Resource:
        """The head's resource, or the base's for a removal."""
        found = self.head if self.head is not None else self.base
        assert found is not None
        return found


@dataclass(frozen=True, slots=True)
class Signal:
    """What a release-class classifier yields: why the change has its class, and where."""

    message: str
    pointer: str = ""


@dataclass(frozen=True, slots=True)
class ClassifierMeta:
    release_class: ReleaseClass
    title: str


ClassifyFn = Callable[[ResourceChange, Any], Iterator[Signal]]


@dataclass(frozen=True, slots=True)
class Classifier:
    """A discovered release-class classifier: its metadata, function and module docstring."""

    meta: ClassifierMeta
    classify: ClassifyFn
    doc: str
    module: str


@dataclass(frozen=True, slots=True)
class ChangedResource:
    """A changed resource as reports show it: where it is, what changed, its classes and why."""

    resource: ResourceRef
    change: ChangeKind
    classes: tuple[ReleaseClass, ...]
    """Riskiest first."""
    reasons: tuple[str, ...]
    fields: tuple[str, ...] = ()
    action: Action | None = None


@dataclass(frozen=True, slots=True)
class RequirementCheck:
    """One release requirement and whether the change meets it (pass, fail or waived)."""

    rule_id: str
    status: Status
    message: str


@dataclass(frozen=True, slots=True)
class ReleaseDecision:
    """`govscan gate`'s decision: may this change be promoted to the target tier, and why."""

    verdict: str  # "allow" | "block"
    release_class: ReleaseClass | None
    """The change's riskiest class; None when nothing changed."""
    target: Tier
    target_from: str
    base: str
    head: str
    changes: tuple[ChangedResource, ...]
    requirements: tuple[RequirementCheck, ...]
    approvals: int = 0
    labels: tuple[str, ...] = ()
    change_ticket: str | None = None
    evidence_sources: tuple[str, ...] = ()
    freezes: tuple[str, ...] = ()
    """Names of the freeze windows that hold this change."""
    emergency_reason: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def unmet(self) -> tuple[RequirementCheck, ...]:
        return tuple(r for r in self.requirements if r.status is Status.FAIL)


@dataclass(frozen=True)
class ScanReport:
    """Everything a reporter needs. Reporters are pure functions of this value."""

    tool_version: str
    findings: tuple[Finding, ...]
    evaluations: tuple[Evaluation, ...]
    rules: tuple[RuleInfo, ...]
    gate: GateDecision
    resources: int
    files: int
    skipped: tuple[Skipped, ...] = ()
    targets: tuple[str, ...] = ()
    shard: tuple[int, int] | None = None
    """(index, count) when this report covers one shard of a scan (--shard i/n); `govscan merge` joins them."""
    release: ReleaseDecision | None = None
    """Set by `govscan gate`: the release decision reporters show beside the findings."""
