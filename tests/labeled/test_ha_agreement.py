"""Labeled agreement: govscan ha rules vs Polaris checks and Kyverno policies on probes, replicas, PDBs, spread.

| govscan rule     | Polaris check                          | Kyverno policy (kyverno-test / chainsaw)                 |
|------------------|----------------------------------------|----------------------------------------------------------|
| ha.probes        | livenessProbeMissing (livenessProbe    | best-practices/require-probes (test + chainsaw)          |
|                  | findings), readinessProbeMissing       |                                                          |
|                  | (readinessProbe findings)              |                                                          |
| ha.replicas      | deploymentMissingReplicas              | other/require-deployments-have-multiple-replicas         |
|                  |                                        | (test + chainsaw)                                        |
| ha.pdb           | missingPodDisruptionBudget,            | other/pdb-maxunavailable (test + chainsaw),              |
|                  | pdbDisruptionsIsZero                   | other/require-reasonable-pdbs (test),                    |
|                  |                                        | other/require-replicas-allow-disruption (chainsaw, with  |
|                  |                                        | existing-pdbs.yaml as context),                          |
|                  |                                        | other/deployment-replicas-higher-than-pdb (chainsaw,     |
|                  |                                        | with existing-deployments.yaml as context)               |
| ha.zone-spread   | topologySpreadConstraint               | other/topologyspreadconstraints-policy (test + chainsaw) |

A finding counts for a labeled resource when it is on that resource, or (PDB labels) when its message
names `PodDisruptionBudget <name>`: ha.pdb reports replica-relative budget problems on the workload.

Not compared:
- Kyverno other/require-pdb and other/pdb-minavailable: their kyverno-tests read mocked cluster
  lookups (values.yaml: `pdb_count`, `minavailable`) that a static scan of the files cannot see.
- Kyverno velero/validate-cron-schedule (cron syntax of a Schedule) and velero/block-velero-restore
  (Restore into protected namespaces): no govscan rule checks either; govscan's backup rules judge
  coverage, retention, encryption and restore tests, which these files do not label.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from govscan.scanner.config import Config
from govscan.scanner.engine import ScanRequest, scan
from govscan.scanner.model import Finding, Tier


@dataclass(frozen=True)
class PolarisCase:
    check: str
    rule: str
    contains: str = ""  # only findings whose message contains this count (one rule, two Polaris checks)


POLARIS = (
    PolarisCase("livenessProbeMissing", "ha.probes", "livenessProbe"),
    PolarisCase("readinessProbeMissing", "ha.probes", "readinessProbe"),
    PolarisCase("deploymentMissingReplicas", "ha.replicas"),
    PolarisCase("missingPodDisruptionBudget", "ha.pdb"),
    PolarisCase("pdbDisruptionsIsZero", "ha.pdb"),
    PolarisCase("topologySpreadConstraint", "ha.zone-spread"),
)

_ONE_REPLICA_PDB = "Polaris wants a PDB on every Deployment; we only on >= 2 replicas (no budget can protect one pod)"
_ONE_REPLICA_SPREAD = "Polaris wants spread on every Deployment; we only on >= 2 replicas (one pod cannot spread)"
POLARIS_DISAGREE = {
    ("missingPodDisruptionBudget", "failure-bad-ns.yaml"): _ONE_REPLICA_PDB,
    ("missingPodDisruptionBudget", "failure.bad-name.yaml"): _ONE_REPLICA_PDB,
    ("missingPodDisruptionBudget", "failure.empty-labels.yaml"): _ONE_REPLICA_PDB,
    ("missingPodDisruptionBudget", "failure.no-labels.yaml"): _ONE_REPLICA_PDB,
    ("missingPodDisruptionBudget", "failure.no-metadata.yaml"): _ONE_REPLICA_PDB,
    ("missingPodDisruptionBudget", "failure.wrong-place.yaml"): _ONE_REPLICA_PDB,
    ("missingPodDisruptionBudget", "failure.yaml"): _ONE_REPLICA_PDB,
    ("pdbDisruptionsIsZero", "success.both.yaml"): "sets minAvailable and maxUnavailable: the API rejects both",
    ("pdbDisruptionsIsZero", "success.none.yaml"): "sets neither: the budget is undefined, we ask for maxUnavailable",
    ("topologySpreadConstraint", "failure.empty.yaml"): _ONE_REPLICA_SPREAD,
    ("topologySpreadConstraint", "failure.nospreadconstraint.yaml"): _ONE_REPLICA_SPREAD,
}

KYVERNO_TESTS = {
    "best-practices/require-probes": "ha.probes",
    "other/require-deployments-have-multiple-replicas": "ha.replicas",
    "other/pdb-maxunavailable": "ha.pdb",
    "other/require-reasonable-pdbs": "ha.pdb",
    "other/topologyspreadconstraints-policy": "ha.zone-spread",
}
_BOTH_PROBES = "Kyverno accepts any one probe per container; we require readiness and liveness"
_PERCENT = "Kyverno wants >= 50% evictable; we only reject 0 and all evictable, judged against the replica count"
_ONE_KEY = "Kyverno wants both hostname and zone spread; we accept either"
KYVERNO_TEST_DISAGREE = {
    ("best-practices/require-probes", "goodpod03"): _BOTH_PROBES,
    ("best-practices/require-probes", "goodpod04"): _BOTH_PROBES,
    ("other/pdb-maxunavailable", "good-pdb-none"): "sets neither minAvailable nor maxUnavailable (undefined budget)",
    **{("other/require-reasonable-pdbs", f"bad-maxUnavailable-pdb0{i}"): _PERCENT for i in range(1, 6)},
    **{("other/require-reasonable-pdbs", f"bad-minAvailable-pdb0{i}"): _PERCENT for i in range(1, 7)},
    ("other/topologyspreadconstraints-policy", "badss01"): _ONE_KEY,
    ("other/topologyspreadconstraints-policy", "badss02"): _ONE_KEY,
}

# policy -> (rule, context files applied first in the chainsaw test, files compared)
KYVERNO_CHAINSAW: dict[str, tuple[str, tuple[str, ...]]] = {
    "best-practices/require-probes": ("ha.probes", ()),
    "other/require-deployments-have-multiple-replicas": ("ha.replicas", ()),
    "other/pdb-maxunavailable": ("ha.pdb", ()),
    "other/topologyspreadconstraints-policy": ("ha.zone-spread", ()),
    "other/require-replicas-allow-disruption": ("ha.pdb", ("chainsaw-test/existing-pdbs.yaml",)),
    "other/deployment-replicas-higher-than-pdb": ("ha.pdb", ("chainsaw-test/existing-deployments.yaml",)),
}
KYVERNO_CHAINSAW_DISAGREE = {
    ("best-practices/require-probes", "chainsaw-test/good-pods.yaml"): _BOTH_PROBES,
    ("best-practices/require-probes", "chainsaw-test/good-podcontrollers.yaml"): _BOTH_PROBES,
    ("other/deployment-replicas-higher-than-pdb", "chainsaw-test/good-pdb.yaml"): (
        "good-pdb04 maxUnavailable: 3 lets all 3 replicas of alpha-busybox go at once; Kyverno only compares minAvailable"
    ),
}


def run(rule: str, *paths: Path) -> list[Finding]:
    request = ScanRequest(
        targets=tuple(str(p) for p in paths), config=Config(), tier=Tier.PRODUCTION, rule_patterns=(rule,)
    )
    report = scan(request)
    errors = [f.message for f in report.findings if f.rule_id.startswith("govscan.")]
    assert not errors, errors
    return [f for f in report.findings if f.rule_id == rule]


def about(findings: list[Finding], kind: str, name: str, contains: str = "") -> bool:
    """Some finding is on this resource, or (a PDB) names it in its message."""
    for finding in findings:
        if contains and contains not in finding.message:
            continue
        if finding.resource.kind == kind and finding.resource.name == name:
            return True
        if kind == "PodDisruptionBudget" and f"PodDisruptionBudget {name} " in finding.message:
            return True
    return False


# Chainsaw labels a whole file: "denied" agrees when govscan fires on at least one of its resources
# (podcontrollers-bad.yaml agrees through baddeploy03; baddeploy01/02 each spread on one key, see _ONE_KEY).
def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if isinstance(d, dict)]


@pytest.fixture(scope="module")
def polaris(corpus: Path) -> tuple[Path, dict[str, Any]]:
    root = corpus / "labeled" / "polaris"
    return root, json.loads((root / "INDEX.json").read_text(encoding="utf-8"))["checks"]


@pytest.fixture(scope="module")
def kyverno(corpus: Path) -> tuple[Path, dict[str, Any]]:
    root = corpus / "labeled" / "kyverno"
    entries = json.loads((root / "INDEX.json").read_text(encoding="utf-8"))
    return root, {e["policy_dir"]: e for e in entries}


@pytest.mark.parametrize("case", POLARIS, ids=lambda c: f"{c.check}->{c.rule}")
def test_polaris_agreement(case: PolarisCase, polaris: tuple[Path, dict[str, Any]]) -> None:
    root, checks = polaris
    entry = checks[case.check]
    problems, compared = [], 0
    for label, files in (("failure", entry["failure"]), ("success", entry["success"])):
        for file in files:
            findings = [f for f in run(case.rule, root / file) if case.contains in f.message]
            fired, expected = bool(findings), label == "failure"
            name = Path(file).name
            if (case.check, name) in POLARIS_DISAGREE:
                assert fired != expected, f"{file}: listed as a deliberate disagreement but govscan now agrees"
                continue
            compared += 1
            if fired != expected:
                problems.append(f"{file}: Polaris says {label}, govscan {'fired' if fired else 'did not fire'}")
    assert not problems, problems
    assert compared or any(k[0] == case.check for k in POLARIS_DISAGREE), f"{case.check}: nothing compared"


@pytest.mark.parametrize("policy", sorted(KYVERNO_TESTS))
def test_kyverno_test_agreement(policy: str, kyverno: tuple[Path, dict[str, Any]]) -> None:
    root, entries = kyverno
    rule = KYVERNO_TESTS[policy]
    test = entries[policy]["kyverno_test"]
    base = root / policy / Path(test["file"]).parent
    findings = run(rule, *(root / policy / f for f in test["resource_files"]))
    problems, compared = [], 0
    for result in test["results"]:
        if result["result"] not in ("pass", "fail"):
            continue
        name = result["resource"].rsplit("/", 1)[-1]
        fired, expected = about(findings, result["kind"], name), result["result"] == "fail"
        if (policy, name) in KYVERNO_TEST_DISAGREE:
            assert fired != expected, f"{name}: listed as a deliberate disagreement but govscan now agrees"
            continue
        compared += 1
        if fired != expected:
            problems.append(f"{result['kind']} {name}: Kyverno says {result['result']}, govscan {fired=}")
    assert base.is_dir()
    assert compared, f"{policy}: nothing compared"
    assert not problems, problems


@pytest.mark.parametrize("policy", sorted(KYVERNO_CHAINSAW))
def test_kyverno_chainsaw_agreement(policy: str, kyverno: tuple[Path, dict[str, Any]]) -> None:
    root, entries = kyverno
    rule, context = KYVERNO_CHAINSAW[policy]
    chainsaw = entries[policy]["chainsaw"]
    problems, compared = [], 0
    for applied in chainsaw["applied"]:
        file = applied["file"]
        if file in context:
            continue
        path = root / policy / file
        findings = run(rule, *(root / policy / c for c in context), path)
        hit = [
            d["metadata"]["name"] for d in documents(path) if about(findings, d.get("kind", ""), d["metadata"]["name"])
        ]
        fired, expected = bool(hit), applied["expected"] == "denied"
        if (policy, file) in KYVERNO_CHAINSAW_DISAGREE:
            assert fired != expected, f"{file}: listed as a deliberate disagreement but govscan now agrees"
            continue
        compared += 1
        if fired != expected:
            problems.append(f"{file}: Kyverno says {applied['expected']}, govscan fired on {hit}")
    assert compared, f"{policy}: nothing compared"
    assert not problems, problems
