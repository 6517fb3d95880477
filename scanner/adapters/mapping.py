"""How a checkov or trivy check becomes a govscan rule: id, domain, severity, enforcement, duplicates.

Three documented tables (docs/engines.md prints them, a test keeps it current):
- DOMAINS: check id globs -> govscan domain, first match wins; then TITLE_DOMAINS: words in the
  check's title -> domain; then DEFAULT_DOMAIN.
- ENFORCEMENT_BY_SEVERITY: the default enforcement per tier of a tool check, from its severity
  (`.govscan.yaml` overrides it like any rule's: `rules: {"checkov.CKV_K8S_*": {enforcement: ...}}`).
- COVERS: tool check -> the built-in rules that judge the same concern; the engine drops the tool's
  result on a resource that one of those rules judged in the same scan.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from functools import cache

from govscan.scanner.model import Enforcement, Platform, RuleMeta, Severity, Tier, enforcement_table

CHECKOV = "checkov"
TRIVY = "trivy"
NAMESPACES = (CHECKOV, TRIVY)
"""Rule ids of tool checks are `checkov.<check id>` and `trivy.<AVD id>`."""

DEFAULT_DOMAIN = "misconfiguration"

DOMAINS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ha", ("CKV_K8S_8", "CKV_K8S_9")),
    ("quotas", ("CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13",
                "AVD-KSV-0011", "AVD-KSV-0015", "AVD-KSV-0016", "AVD-KSV-0018", "AVD-KSV-0039", "AVD-KSV-0040")),
    ("image-provenance", ("CKV_K8S_14", "CKV_K8S_15", "CKV_K8S_43",
                          "AVD-KSV-0013", "AVD-KSV-0032", "AVD-KSV-0033", "AVD-KSV-0034", "AVD-KSV-0035")),
    ("secrets", ("CKV_K8S_35", "AVD-KSV-0109", "AVD-KSV-01010")),
    ("rbac", ("CKV_K8S_38", "CKV_K8S_41", "CKV_K8S_42", "CKV_K8S_49", "CKV_K8S_155", "CKV_K8S_156", "CKV_K8S_157",
              "CKV_K8S_158", "CKV2_K8S_[1-5]", "AVD-KSV-0036", "AVD-KSV-004[1-9]", "AVD-KSV-005[0-6]",
              "AVD-KSV-011[1-5]", "AVD-KSV-012[23]", "AVD-KSV-01011")),
    ("network", ("CKV_K8S_152", "CKV_K8S_153", "CKV_K8S_154", "CKV2_K8S_6", "AVD-KSV-0038", "AVD-KSV-0108")),
    ("pod-security", ("CKV_K8S_[1-7]", "CKV_K8S_1[6-9]", "CKV_K8S_2[02-9]", "CKV_K8S_3[0-2679]", "CKV_K8S_40",
                      "AVD-KSV-000?", "AVD-KSV-001[0247]", "AVD-KSV-002?", "AVD-KSV-0030", "AVD-KSV-010[3-6]",
                      "AVD-KSV-011[6-9]", "AVD-KSV-012[01]")),
    # Kubernetes control-plane flags and file permissions (CIS benchmark), dashboards, Tiller, namespaces
    (DEFAULT_DOMAIN, ("CKV_K8S_*", "AVD-KCV-*", "AVD-KSV-*")),
)  # fmt: skip

TITLE_DOMAINS: tuple[tuple[str, str], ...] = (
    ("encryption", r"encrypt|\bkms\b|\bcmk\b|customer.managed key|\btls\b|\bssl\b|https|cipher|in.transit|at.rest"),
    (
        "backup",
        r"backup|retention|snapshot|point.in.time|versioning|versioned|deletion.protection|replication|object.lock",
    ),
    (
        "network",
        r"public|internet|the world|0\.0\.0\.0|ingress|egress|security group|firewall|\bport\b|cidr|\bwaf\b|vpc",
    ),
    ("rbac", r"\biam\b|\brole|polic(y|ies)|privilege|\badmin|permission|access key|\bmfa\b|wildcard|impersonat"),
    ("secrets", r"secret|password|credential|token"),
    ("observability", r"\blog|monitor|audit|trail|alarm|insight|tracing|metric"),
    ("ha", r"multi.az|availability zone|high availability|failover|replicas?\b"),
    ("image-provenance", r"\bimage|registry|digest"),
)
"""Checks no id glob names (cloud checks mostly): the first pattern found in the title decides."""

ENFORCEMENT_BY_SEVERITY: dict[Severity, dict[Tier, Enforcement]] = {
    Severity.CRITICAL: enforcement_table("block", "block", "warn", "warn", "info"),
    Severity.HIGH: enforcement_table("block", "warn", "warn", "info", "info"),
    Severity.MEDIUM: enforcement_table("warn", "warn", "info", "info", "off"),
    Severity.LOW: enforcement_table("info", "info", "off", "off", "off"),
}

TOOL_SEVERITY = {"CRITICAL": Severity.CRITICAL, "HIGH": Severity.HIGH, "MEDIUM": Severity.MEDIUM, "LOW": Severity.LOW}
"""trivy's severities, and checkov's when its report carries them (runs connected to Prisma Cloud)."""
UNRATED = Severity.MEDIUM
"""checkov without a platform connection rates no check: it takes the severity of the built-in rule it
covers (COVERS), else this."""

COVERS: dict[str, tuple[str, ...]] = {
    # checkov, Kubernetes
    "CKV_K8S_8": ("ha.probes",),
    "CKV_K8S_9": ("ha.probes",),
    "CKV_K8S_10": ("quotas.requests",),
    "CKV_K8S_12": ("quotas.requests",),
    "CKV_K8S_13": ("quotas.memory-limit",),
    "CKV_K8S_14": ("image-provenance.latest-tag",),
    "CKV_K8S_15": ("image-provenance.pull-policy",),
    "CKV_K8S_16": ("pod-security.privileged",),
    "CKV_K8S_17": ("pod-security.host-namespaces",),
    "CKV_K8S_18": ("pod-security.host-namespaces",),
    "CKV_K8S_19": ("pod-security.host-namespaces",),
    "CKV_K8S_20": ("pod-security.privilege-escalation",),
    "CKV_K8S_22": ("pod-security.read-only-root-filesystem",),
    "CKV_K8S_23": ("pod-security.run-as-non-root",),
    "CKV_K8S_25": ("pod-security.capabilities-baseline",),
    "CKV_K8S_26": ("pod-security.host-ports",),
    "CKV_K8S_27": ("pod-security.host-path",),
    "CKV_K8S_28": ("pod-security.capabilities-restricted",),
    "CKV_K8S_31": ("pod-security.seccomp",),
    "CKV_K8S_32": ("pod-security.seccomp",),
    "CKV_K8S_37": ("pod-security.capabilities-restricted",),
    "CKV_K8S_38": ("rbac.automount-token",),
    "CKV_K8S_39": ("pod-security.capabilities-baseline",),
    "CKV_K8S_41": ("rbac.default-service-account",),
    "CKV_K8S_42": ("rbac.default-service-account",),
    "CKV_K8S_43": ("image-provenance.digest-pinning",),
    "CKV_K8S_49": ("rbac.wildcard",),
    "CKV_K8S_157": ("rbac.escalation-verbs",),
    "CKV_K8S_158": ("rbac.escalation-verbs",),
    "CKV2_K8S_2": ("rbac.pods-exec",),
    "CKV2_K8S_5": ("rbac.secrets-read",),
    # checkov, Terraform plans
    "CKV_AWS_1": ("rbac.iam-wildcard",),
    "CKV_AWS_62": ("rbac.iam-wildcard",),
    "CKV_AWS_63": ("rbac.iam-wildcard",),
    "CKV_AWS_7": ("encryption.kms-rotation",),
    "CKV_AWS_16": ("encryption.storage-at-rest",),
    "CKV_AWS_17": ("network.db-public",),
    "CKV_AWS_19": ("encryption.bucket",),
    "CKV_AWS_145": ("encryption.bucket",),
    "CKV_AWS_21": ("backup.bucket-versioning",),
    "CKV_AWS_28": ("backup.dynamodb-pitr",),
    "CKV_AWS_29": ("encryption.cache",),
    "CKV_AWS_30": ("encryption.cache",),
    "CKV_AWS_31": ("encryption.cache",),
    "CKV_AWS_53": ("network.bucket-public-access-block",),
    "CKV_AWS_54": ("network.bucket-public-access-block",),
    "CKV_AWS_55": ("network.bucket-public-access-block",),
    "CKV_AWS_56": ("network.bucket-public-access-block",),
    "CKV2_AWS_6": ("network.bucket-public-access-block",),
    "CKV_AWS_133": ("backup.db-retention",),
    "CKV_AWS_144": ("backup.bucket-replication",),
    "CKV_AWS_157": ("ha.db-multi-az",),
    "CKV_AWS_293": ("backup.db-deletion-protection",),
    "CKV2_AWS_57": ("secrets.secret-rotation",),
    "CKV_GCP_11": ("network.db-public",),
    "CKV_GCP_60": ("network.db-public",),
    "CKV_GCP_14": ("backup.db-retention",),
    # trivy, Kubernetes
    "AVD-KSV-0001": ("pod-security.privilege-escalation",),
    "AVD-KSV-0002": ("pod-security.apparmor",),
    "AVD-KSV-0003": ("pod-security.capabilities-restricted",),
    "AVD-KSV-0005": ("pod-security.capabilities-baseline",),
    "AVD-KSV-0006": ("pod-security.host-path",),
    "AVD-KSV-0008": ("pod-security.host-namespaces",),
    "AVD-KSV-0009": ("pod-security.host-namespaces",),
    "AVD-KSV-0010": ("pod-security.host-namespaces",),
    "AVD-KSV-0012": ("pod-security.run-as-non-root",),
    "AVD-KSV-0013": ("image-provenance.latest-tag",),
    "AVD-KSV-0014": ("pod-security.read-only-root-filesystem",),
    "AVD-KSV-0015": ("quotas.requests",),
    "AVD-KSV-0016": ("quotas.requests",),
    "AVD-KSV-0017": ("pod-security.privileged",),
    "AVD-KSV-0018": ("quotas.memory-limit",),
    "AVD-KSV-0022": ("pod-security.capabilities-baseline",),
    "AVD-KSV-0023": ("pod-security.host-path",),
    "AVD-KSV-0024": ("pod-security.host-ports",),
    "AVD-KSV-0025": ("pod-security.selinux",),
    "AVD-KSV-0026": ("pod-security.sysctls",),
    "AVD-KSV-0027": ("pod-security.proc-mount",),
    "AVD-KSV-0028": ("pod-security.volume-types",),
    "AVD-KSV-0030": ("pod-security.seccomp",),
    "AVD-KSV-0036": ("rbac.automount-token",),
    "AVD-KSV-0041": ("rbac.secrets-read",),
    "AVD-KSV-0044": ("rbac.wildcard",),
    "AVD-KSV-0045": ("rbac.wildcard",),
    "AVD-KSV-0046": ("rbac.wildcard",),
    "AVD-KSV-0053": ("rbac.pods-exec",),
    "AVD-KSV-0103": ("pod-security.host-process",),
    "AVD-KSV-0104": ("pod-security.seccomp",),
    "AVD-KSV-0105": ("pod-security.run-as-non-root",),
    "AVD-KSV-0106": ("pod-security.capabilities-restricted",),
    "AVD-KSV-0109": ("secrets.configmap-literal",),
    "AVD-KSV-01010": ("secrets.configmap-literal",),
    "AVD-KSV-0119": ("pod-security.capabilities-baseline",),
    "AVD-KSV-0120": ("pod-security.capabilities-baseline",),
    "AVD-KSV-0121": ("pod-security.volume-types",),
    "AVD-KSV-0122": ("rbac.anonymous",),
    # trivy, Terraform plans
    "AVD-AWS-0024": ("backup.dynamodb-pitr",),
    "AVD-AWS-0045": ("encryption.cache",),
    "AVD-AWS-0051": ("encryption.cache",),
    "AVD-AWS-0065": ("encryption.kms-rotation",),
    "AVD-AWS-0077": ("backup.db-retention",),
    "AVD-AWS-0080": ("encryption.storage-at-rest",),
    "AVD-AWS-0086": ("network.bucket-public-access-block",),
    "AVD-AWS-0087": ("network.bucket-public-access-block",),
    "AVD-AWS-0088": ("encryption.bucket",),
    "AVD-AWS-0090": ("backup.bucket-versioning",),
    "AVD-AWS-0091": ("network.bucket-public-access-block",),
    "AVD-AWS-0093": ("network.bucket-public-access-block",),
    "AVD-AWS-0094": ("network.bucket-public-access-block",),
    "AVD-AWS-0132": ("encryption.bucket",),
    "AVD-AWS-0177": ("backup.db-deletion-protection",),
    "AVD-AWS-0180": ("network.db-public",),
    "AVD-GCP-0017": ("network.db-public",),
    "AVD-GCP-0024": ("backup.db-retention",),
}


def domain_by_id(check_id: str) -> str | None:
    """The domain an id glob gives the check, if one names it."""
    for domain, globs in DOMAINS:
        if any(fnmatchcase(check_id, glob) for glob in globs):
            return domain
    return None


def domain_of(check_id: str, title: str) -> str:
    """The govscan domain of a tool check: its id's glob, else its title's words, else the default."""
    by_id = domain_by_id(check_id)
    if by_id is not None:
        return by_id
    lowered = title.lower()
    for domain, pattern in TITLE_DOMAINS:
        if re.search(pattern, lowered):
            return domain
    return DEFAULT_DOMAIN


def severity_of(tool_severity: str | None, check_id: str, builtin_severity: dict[str, Severity]) -> Severity:
    """The tool's own rating; unrated checkov checks take the severity of the built-in rule they cover."""
    rated = TOOL_SEVERITY.get((tool_severity or "").upper())
    if rated is not None:
        return rated
    covered = [builtin_severity[r] for r in COVERS.get(check_id, ()) if r in builtin_severity]
    return max(covered) if covered else UNRATED


@cache
def tool_rule(tool: str, check_id: str, title: str, severity: Severity, remediation: str) -> RuleMeta:
    """The rule a tool check becomes: `checkov.CKV_K8S_8`, `trivy.AVD-KSV-0001`."""
    return RuleMeta(
        id=f"{tool}.{check_id}",
        domain=domain_of(check_id, title),
        title=title or check_id,
        severity=severity,
        enforcement=ENFORCEMENT_BY_SEVERITY[severity],
        remediation=remediation,
        platforms=(Platform.K8S, Platform.TERRAFORM),
    )


def all_domains() -> set[str]:
    """Every domain a tool check can be given."""
    return {d for d, _ in DOMAINS} | {d for d, _ in TITLE_DOMAINS} | {DEFAULT_DOMAIN, "govscan"}


def engine_rule(engine: str, tool: str) -> RuleMeta:
    """The rule that records a resource a tool was asked to judge and did not (crash, timeout)."""
    return RuleMeta(
        id=f"{tool}.run",
        domain="govscan",
        title=f"{engine} ran on this resource",
        severity=Severity.MEDIUM,
        enforcement=enforcement_table("info", "info", "info", "info", "info"),
        remediation=f"Read the reason: {tool} crashed, timed out or could not read the input; fix that and scan "
        "again (raise --engine-timeout for a slow run).",
        platforms=(Platform.K8S, Platform.TERRAFORM),
    )


def markdown_tables() -> str:
    """The tables above as Markdown, for docs/engines.md (a test keeps the two identical)."""
    lines = ["| check id globs | domain |", "|---|---|"]
    for domain, globs in DOMAINS:
        lines.append(f"| {', '.join(f'`{g}`' for g in globs)} | `{domain}` |")
    lines += ["", "| words in the title (regular expression) | domain |", "|---|---|"]
    for domain, pattern in TITLE_DOMAINS:
        escaped = pattern.replace("|", "\\|")  # GitHub tables take \| inside code spans
        lines.append(f"| `{escaped}` | `{domain}` |")
    lines += ["", f"Anything else: `{DEFAULT_DOMAIN}`.", ""]
    lines += ["| severity | production | staging | qa | development | sandbox |", "|---|---|---|---|---|---|"]
    for severity, table in sorted(ENFORCEMENT_BY_SEVERITY.items(), reverse=True):
        lines.append(f"| {severity.label} | " + " | ".join(table[t].label for t in Tier) + " |")
    lines += ["", "| tool check | built-in rule judging the same concern |", "|---|---|"]
    for check_id, rules in COVERS.items():
        lines.append(f"| `{check_id}` | {', '.join(f'`{r}`' for r in rules)} |")
    return "\n".join(lines) + "\n"
