"""Labeled agreement: govscan pod-security rules vs Kyverno's pod-security policies and Polaris checks.

| govscan rule                             | Kyverno policy (kyverno-test rule)                          | Polaris check              |
|------------------------------------------|-------------------------------------------------------------|----------------------------|
| pod-security.privileged                  | baseline/disallow-privileged-containers                     | runAsPrivileged            |
| pod-security.host-namespaces             | baseline/disallow-host-namespaces                           | hostIPCSet, hostPIDSet,    |
|                                          |                                                             | hostNetworkSet (by field)  |
| pod-security.host-path                   | baseline/disallow-host-path                                 | hostPathSet                |
| pod-security.host-ports                  | baseline/disallow-host-ports; disallow-host-ports-range     | hostPortSet                |
|                                          | (with allowed_host_ports: 5000-6000, the policy's range)    |                            |
| pod-security.host-process                | baseline/disallow-host-process                              | hostProcess                |
| pod-security.capabilities-baseline       | baseline/disallow-capabilities                              | dangerousCapabilities      |
| pod-security.apparmor                    | baseline/restrict-apparmor-profiles                         |                            |
| pod-security.selinux                     | baseline/disallow-selinux (selinux-type, selinux-user-role) |                            |
| pod-security.proc-mount                  | baseline/disallow-proc-mount                                | procMount                  |
| pod-security.seccomp-unconfined          | baseline/restrict-seccomp                                   |                            |
| pod-security.sysctls                     | baseline/restrict-sysctls                                   |                            |
| pod-security.privilege-escalation        | restricted/disallow-privilege-escalation                    | privilegeEscalationAllowed |
| pod-security.run-as-non-root             | restricted/require-run-as-nonroot (runAsNonRoot findings)   | runAsRootAllowed           |
|                                          | restricted/require-run-as-non-root-user (runAsUser findings)|                            |
| pod-security.seccomp                     | restricted/restrict-seccomp-strict                          |                            |
| pod-security.capabilities-restricted     | restricted/disallow-capabilities-strict (require-drop-all:  | insecureCapabilities       |
|                                          | drop findings; adding-capabilities-strict: add findings)    |                            |
| pod-security.volume-types                | restricted/restrict-volume-types                            |                            |
| pod-security.read-only-root-filesystem   | (not a PSS control)                                         | notReadOnlyRootFilesystem  |
| every baseline rule                      | subrule/podsecurity-subrule-baseline (podSecurity baseline) |                            |
| every baseline + restricted PSS rule     | subrule/restricted/restricted-latest                        |                            |
| ... except the two seccomp rules         | subrule/restricted/restricted-exclude-seccomp               |                            |

Both the kyverno-test labels (per resource) and the chainsaw e2e files (denied/admitted per file)
are compared. Where one govscan rule covers two upstream rules, findings are told apart by their JSON pointer
(e.g. `.../runAsUser` vs the rest), so each label is compared with the matching sub-control only.

Not mapped: Polaris `linuxHardening` (passes when *any one* of AppArmor, seccomp, SELinux or a
capability drop is set: no single govscan rule means that), and Kyverno
`subrule/restricted/restricted-exclude-capabilities` (exempts the Capabilities control *by image*,
which in govscan is a config waiver, not rule behaviour).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from govscan.scanner.config import Config, build_config
from govscan.scanner.engine import ScanRequest, scan
from govscan.scanner.model import Finding, Tier

BASELINE = (
    "pod-security.privileged",
    "pod-security.host-namespaces",
    "pod-security.host-path",
    "pod-security.host-ports",
    "pod-security.host-process",
    "pod-security.capabilities-baseline",
    "pod-security.apparmor",
    "pod-security.selinux",
    "pod-security.proc-mount",
    "pod-security.seccomp-unconfined",
    "pod-security.sysctls",
)
RESTRICTED = (
    "pod-security.privilege-escalation",
    "pod-security.run-as-non-root",
    "pod-security.seccomp",
    "pod-security.capabilities-restricted",
    "pod-security.volume-types",
)
SECCOMP = ("pod-security.seccomp", "pod-security.seccomp-unconfined")

Pointer = Callable[[str], bool]


def _any(pointer: str) -> bool:
    return True


def _cap_add(pointer: str) -> bool:
    return "/capabilities/add/" in pointer


def _not_cap_add(pointer: str) -> bool:
    return not _cap_add(pointer)


def _run_as_user(pointer: str) -> bool:
    return pointer.endswith("/runAsUser")


def _not_run_as_user(pointer: str) -> bool:
    return not _run_as_user(pointer)


@dataclass(frozen=True)
class KyvernoCase:
    policy_dir: str
    rules: tuple[str, ...]
    kyverno_rule: str | None = None
    """Only this kyverno-test rule's labels (None: a resource fails if any of the policy's rules fails)."""
    pointer: Pointer = _any
    options: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.policy_dir.split("/", 1)[1] + (f":{self.kyverno_rule}" if self.kyverno_rule else "")


KYVERNO = [
    KyvernoCase("pod-security/baseline/disallow-privileged-containers", ("pod-security.privileged",)),
    KyvernoCase("pod-security/baseline/disallow-host-namespaces", ("pod-security.host-namespaces",)),
    KyvernoCase("pod-security/baseline/disallow-host-path", ("pod-security.host-path",)),
    KyvernoCase("pod-security/baseline/disallow-host-ports", ("pod-security.host-ports",)),
    KyvernoCase(
        "pod-security/baseline/disallow-host-ports-range",
        ("pod-security.host-ports",),
        options={"pod-security.host-ports": {"allowed_host_ports": list(range(5000, 6001))}},
    ),
    KyvernoCase("pod-security/baseline/disallow-host-process", ("pod-security.host-process",)),
    KyvernoCase("pod-security/baseline/disallow-capabilities", ("pod-security.capabilities-baseline",)),
    KyvernoCase("pod-security/baseline/restrict-apparmor-profiles", ("pod-security.apparmor",)),
    KyvernoCase("pod-security/baseline/disallow-selinux", ("pod-security.selinux",)),
    KyvernoCase("pod-security/baseline/disallow-proc-mount", ("pod-security.proc-mount",)),
    KyvernoCase("pod-security/baseline/restrict-seccomp", ("pod-security.seccomp-unconfined",)),
    KyvernoCase("pod-security/baseline/restrict-sysctls", ("pod-security.sysctls",)),
    KyvernoCase("pod-security/restricted/disallow-privilege-escalation", ("pod-security.privilege-escalation",)),
    KyvernoCase(
        "pod-security/restricted/require-run-as-nonroot", ("pod-security.run-as-non-root",), pointer=_not_run_as_user
    ),
    KyvernoCase(
        "pod-security/restricted/require-run-as-non-root-user", ("pod-security.run-as-non-root",), pointer=_run_as_user
    ),
    KyvernoCase("pod-security/restricted/restrict-seccomp-strict", ("pod-security.seccomp",)),
    KyvernoCase(
        "pod-security/restricted/disallow-capabilities-strict",
        ("pod-security.capabilities-restricted",),
        kyverno_rule="require-drop-all",
        pointer=_not_cap_add,
    ),
    KyvernoCase(
        "pod-security/restricted/disallow-capabilities-strict",
        ("pod-security.capabilities-restricted",),
        kyverno_rule="adding-capabilities-strict",
        pointer=_cap_add,
    ),
    KyvernoCase("pod-security/restricted/restrict-volume-types", ("pod-security.volume-types",)),
    KyvernoCase("pod-security/subrule/podsecurity-subrule-baseline", BASELINE),
    KyvernoCase("pod-security/subrule/restricted/restricted-latest", BASELINE + RESTRICTED),
    KyvernoCase(
        "pod-security/subrule/restricted/restricted-exclude-seccomp",
        tuple(r for r in BASELINE + RESTRICTED if r not in SECCOMP),
    ),
]


@dataclass(frozen=True)
class PolarisCase:
    check: str
    rule: str
    pointer: Pointer = _any


POLARIS = [
    PolarisCase("runAsPrivileged", "pod-security.privileged"),
    PolarisCase("hostIPCSet", "pod-security.host-namespaces", lambda p: p.endswith("/hostIPC")),
    PolarisCase("hostPIDSet", "pod-security.host-namespaces", lambda p: p.endswith("/hostPID")),
    PolarisCase("hostNetworkSet", "pod-security.host-namespaces", lambda p: p.endswith("/hostNetwork")),
    PolarisCase("hostPathSet", "pod-security.host-path"),
    PolarisCase("hostPortSet", "pod-security.host-ports"),
    PolarisCase("hostProcess", "pod-security.host-process"),
    PolarisCase("dangerousCapabilities", "pod-security.capabilities-baseline"),
    PolarisCase("procMount", "pod-security.proc-mount"),
    PolarisCase("privilegeEscalationAllowed", "pod-security.privilege-escalation"),
    PolarisCase("runAsRootAllowed", "pod-security.run-as-non-root"),
    PolarisCase("insecureCapabilities", "pod-security.capabilities-restricted"),
    PolarisCase("notReadOnlyRootFilesystem", "pod-security.read-only-root-filesystem"),
]

# Labels govscan deliberately does not follow: file (relative to labeled/) -> why.
POLARIS_DISAGREEMENTS = {
    "polaris/checks/insecureCapabilities/success.yaml": (
        "Polaris accepts dropping a long explicit list of capabilities; PSS restricted (and we) require drop: [ALL]"
    ),
    "polaris/checks/insecureCapabilities/success.pod.yaml": (
        "Polaris accepts dropping a long explicit list of capabilities; PSS restricted (and we) require drop: [ALL]"
    ),
    "polaris/checks/insecureCapabilities/success.case.yaml": (
        "Polaris accepts dropping a long explicit list of capabilities; PSS restricted (and we) require drop: [ALL]"
    ),
}
# Kyverno labels we deliberately do not follow: (policy_dir, kind, name) -> why.  None today.
KYVERNO_DISAGREEMENTS: dict[tuple[str, str, str], str] = {}

_SCANS: dict[tuple[str, str], tuple[Finding, ...]] = {}


def _findings(path: Path, options: dict[str, dict[str, Any]] | None = None) -> tuple[Finding, ...]:
    """pod-security findings for one file at production tier (cached: several cases share a file)."""
    key = (str(path), json.dumps(options or {}, sort_keys=True))
    if key not in _SCANS:
        config = (
            build_config({"rules": {r: {"options": o} for r, o in options.items()}}, "test") if options else Config()
        )
        request = ScanRequest(
            targets=(str(path),), config=config, tier=Tier.PRODUCTION, rule_patterns=("pod-security.*",)
        )
        report = scan(request)
        errors = [f for f in report.findings if f.rule_id in ("govscan.rule-error", "govscan.input-error")]
        assert not errors, [f"{path}: {f.message}" for f in errors]
        _SCANS[key] = report.findings
    return _SCANS[key]


@pytest.fixture(scope="module")
def labeled(corpus: Path) -> Path:
    path = corpus / "labeled"
    if not (path / "kyverno" / "INDEX.json").is_file() or not (path / "polaris" / "INDEX.json").is_file():
        pytest.skip("labeled corpus (kyverno/polaris INDEX.json) not found")
    return path


@pytest.mark.parametrize("case", KYVERNO, ids=lambda c: c.id)
def test_kyverno_agreement(labeled: Path, case: KyvernoCase) -> None:
    index = {entry["policy_dir"]: entry for entry in json.loads((labeled / "kyverno" / "INDEX.json").read_text())}
    test = index[case.policy_dir]["kyverno_test"]
    labels: dict[tuple[str, str], str] = {}
    for result in test["results"]:
        if result["result"] == "skip" or (case.kyverno_rule and result["rule"] != case.kyverno_rule):
            continue
        key = (result["kind"], result["resource"])
        labels[key] = "fail" if result["result"] == "fail" or labels.get(key) == "fail" else "pass"
    assert labels, f"no pass/fail labels for {case.id}"

    fired: dict[tuple[str, str], list[str]] = defaultdict(list)
    for resource_file in test["resource_files"]:
        for finding in _findings(labeled / "kyverno" / case.policy_dir / resource_file, case.options):
            if finding.rule_id in case.rules and case.pointer(finding.pointer):
                fired[(finding.resource.kind, finding.resource.name)].append(f"{finding.rule_id}: {finding.message}")

    wrong = []
    for (kind, name), label in sorted(labels.items()):
        if (case.policy_dir, kind, name) in KYVERNO_DISAGREEMENTS:
            continue
        if label == "fail" and not fired.get((kind, name)):
            wrong.append(f"{kind}/{name} is labeled fail but govscan found nothing")
        if label == "pass" and fired.get((kind, name)):
            wrong.append(f"{kind}/{name} is labeled pass but govscan reports {fired[(kind, name)]}")
    assert not wrong, "\n".join(wrong)


def _polaris_files(labeled: Path) -> list[tuple[PolarisCase, str, str]]:
    checks = json.loads((labeled / "polaris" / "INDEX.json").read_text())["checks"]
    return [
        (case, label, f"polaris/{name}")
        for case in POLARIS
        for label in ("success", "failure")
        for name in checks[case.check][label]
    ]


def test_polaris_agreement(labeled: Path) -> None:
    wrong = []
    disagreed = set()
    compared = 0
    for case, label, name in _polaris_files(labeled):
        hits = [f for f in _findings(labeled / name) if f.rule_id == case.rule and case.pointer(f.pointer)]
        agrees = bool(hits) == (label == "failure")
        if name in POLARIS_DISAGREEMENTS:
            assert not agrees, f"{name} now agrees with Polaris: drop it from POLARIS_DISAGREEMENTS"
            disagreed.add(name)
            continue
        compared += 1
        if not agrees:
            said = [f.message for f in hits] or "nothing"
            wrong.append(f"{case.check} {label} {name}: {case.rule} reports {said}")
    assert not wrong, "\n".join(wrong)
    assert disagreed == set(POLARIS_DISAGREEMENTS), "stale POLARIS_DISAGREEMENTS entries"
    assert compared >= 40


CHAINSAW = [case for case in KYVERNO if case.kyverno_rule is None] + [
    KyvernoCase("pod-security/restricted/disallow-capabilities-strict", ("pod-security.capabilities-restricted",))
]


@pytest.mark.parametrize("case", CHAINSAW, ids=lambda c: c.id)
def test_kyverno_chainsaw_agreement(labeled: Path, case: KyvernoCase) -> None:
    """Chainsaw e2e files: a file the policy denies gets a finding, an admitted one gets none."""
    index = {entry["policy_dir"]: entry for entry in json.loads((labeled / "kyverno" / "INDEX.json").read_text())}
    chainsaw = index[case.policy_dir]["chainsaw"]
    if not chainsaw:
        pytest.skip(f"{case.policy_dir} has no chainsaw test")
    wrong = []
    for applied in chainsaw["applied"]:
        findings = _findings(labeled / "kyverno" / case.policy_dir / applied["file"], case.options)
        hits = [f.message for f in findings if f.rule_id in case.rules and case.pointer(f.pointer)]
        if applied["expected"] == "denied" and not hits:
            wrong.append(f"{applied['file']} is denied by Kyverno but govscan found nothing")
        if applied["expected"] == "admitted" and hits:
            wrong.append(f"{applied['file']} is admitted by Kyverno but govscan reports {hits[:3]}")
    assert not wrong, "\n".join(wrong)
