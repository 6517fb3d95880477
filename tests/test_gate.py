"""`govscan gate` on real git repositories: each test commits a base on main (the example release
policy, an Odoo estate that is not clean yet) and a head on a branch, then asserts the decision, its
exact reasons, the exit code and the reports.

Most decisions run in-process (run_gate, the same code the CLI calls); the exit codes, JSON,
markdown and CI label pick-up run the real command.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from govscan.reporters import render
from govscan.scanner.config import Config
from govscan.scanner.engine import ScanRequest
from govscan.scanner.gates import CHANGE_UID, Evidence, GateRequest, ci_evidence, run_gate
from govscan.scanner.model import ReleaseClass, ScanReport, Status, Tier

ROOT = Path(__file__).resolve().parents[1]
POLICY = (ROOT / "examples" / "release-gates" / ".govscan.yaml").read_text()
QUIET_DAY = dt.date(2026, 6, 15)  # no freeze window holds it
GIT_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "GIT_AUTHOR_NAME": "dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}

NAMESPACE = """\
apiVersion: v1
kind: Namespace
metadata:
  name: erp-prod
  labels: {owner: team-erp}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: erp-prod
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
"""
ROLLOUT = """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: odoo
  namespace: erp-prod
  labels: {app: odoo, app.kubernetes.io/version: "TAG", owner: team-erp}
spec:
  replicas: 3
  selector:
    matchLabels: {app: odoo}
  strategy:
    canary:
      steps: [{setWeight: 20}, {pause: {duration: 10m}}]
  template:
    metadata:
      labels: {app: odoo}
    spec:
      containers:
        - name: odoo
          image: registry.example.com/erp/odoo:TAG
"""
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: odoo-config
  namespace: erp-prod
data:
  WORKERS: "4"
  CARRIER_API_URL: https://api.carrier.example/v1
"""
DIGEST = "sha256:4a3f0c2b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a"
JOB = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: NAME
  namespace: erp-prod
  labels: {app: odoo, owner: team-erp}
  annotations:
    helm.sh/hook: pre-upgrade
    helm.sh/hook-weight: "WEIGHT"
spec:
  backoffLimit: 0
  template:
    metadata:
      labels: {app: NAME}
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      serviceAccountName: odoo
      securityContext:
        runAsNonRoot: true
        runAsUser: 101
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: CONTAINER
          image: IMAGE
          args: ARGS
          resources:
            requests: {cpu: 500m, memory: 1Gi}
            limits: {memory: 2Gi}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
"""


def job(name: str, container: str, image: str, args: list[str], weight: int, annotations: str = "") -> str:
    text = JOB.replace("NAME", name).replace("CONTAINER", container).replace("WEIGHT", str(weight))
    text = text.replace("IMAGE", image).replace("ARGS", json.dumps(args))
    return text.replace("    helm.sh/hook: pre-upgrade\n", "    helm.sh/hook: pre-upgrade\n" + annotations)


MIGRATE = job(
    "odoo-migrate",
    "migrate",
    f"registry.example.com/erp/odoo:17.0-20250301@{DIGEST}",
    ["odoo", "-u", "sale_stock", "--stop-after-init"],
    5,
    '    govscan.io/rollback-plan: "restore the pre-upgrade dump: runbooks/odoo-rollback.md"\n',
)
BACKUP_HOOK = job(
    "odoo-predeploy-backup",
    "pg-dump",
    f"registry.example.com/erp/pg-tools:16.2@{DIGEST}",
    ["pg_dump", "--format=custom", "--file=/backups/pre-upgrade.dump", "erp"],
    -5,
)
VELERO_BACKUP = """\
apiVersion: velero.io/v1
kind: Backup
metadata:
  name: erp-pre-17-0-20250301
  namespace: velero
spec:
  includedNamespaces: [erp-prod]
  snapshotVolumes: true
  ttl: 720h0m0s
"""


class Repo:
    """A real git repository in a temporary directory, with a main branch holding the base."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", *args], cwd=self.root, env=GIT_ENV, capture_output=True, text=True, check=True)
        return done.stdout

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def branch(self, name: str) -> Repo:
        self.git("checkout", "-q", "-b", name, "main")
        return self


@pytest.fixture()
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "erp")
    repo.write(".govscan.yaml", POLICY)
    repo.write("k8s/namespace.yaml", NAMESPACE)
    repo.write("k8s/odoo.yaml", ROLLOUT.replace("TAG", "17.0-20250101"))
    repo.write("k8s/config.yaml", CONFIGMAP)
    repo.commit("the estate as it runs today")
    return repo


def gate(repo: Repo, *, today: dt.date = QUIET_DAY, new_only: bool = True, **evidence: object) -> ScanReport:
    request = GateRequest(
        base="main",
        head="HEAD",
        scan=ScanRequest(targets=(), config=Config(), today=today),
        evidence=Evidence(**evidence),  # type: ignore[arg-type]
        new_only=new_only,
        cwd=repo.root,
    )
    return run_gate(request)


def requirements(report: ScanReport) -> list[tuple[str, str, str]]:
    assert report.release is not None
    return [(r.rule_id, r.status.value, r.message) for r in report.release.requirements]


def govscan(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("GOVSCAN_DEBUG", "GITHUB_EVENT_PATH", "CI_MERGE_REQUEST_LABELS")
    }
    clean.update(GIT_ENV, NO_COLOR="1", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "govscan.scanner.cli", "gate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=clean,
        timeout=120,
    )


def bump(repo: Repo) -> None:
    repo.write("k8s/odoo.yaml", ROLLOUT.replace("TAG", "17.0-20250301"))


# --- an image bump ---------------------------------------------------------------------------------


def test_an_image_bump_is_image_only_and_allowed(repo: Repo) -> None:
    repo.branch("bump")
    bump(repo)
    repo.commit("odoo 17.0-20250301")
    result = govscan("--base", "main", "--new-only", "--now", "2026-06-15", "-q", "-f", "json", cwd=repo.root)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    release = report["release"]
    assert (release["verdict"], release["class"], release["target"], release["target_from"]) == (
        "allow",
        "image-only",
        "production",
        "strictest tier of the changed resources: Rollout erp-prod/odoo",
    )
    assert release["requirements"] == [
        {
            "rule_id": "release.blast-radius",
            "status": "pass",
            "message": "the change touches 1 resource(s); an image-only release to production may touch at most 25",
        },
        {
            "rule_id": "release.progressive-rollout",
            "status": "pass",
            "message": "progressive rollout: Rollout erp-prod/odoo",
        },
    ]
    assert release["unmet"] == []
    [change] = release["changes"]
    assert (change["change"], change["uid"], change["file"], change["classes"], change["reasons"]) == (
        "modified",
        "argoproj.io/Rollout/erp-prod/odoo",
        "k8s/odoo.yaml",
        ["image-only"],
        [
            'image-only: container "odoo": image registry.example.com/erp/odoo:17.0-20250101 -> '
            "registry.example.com/erp/odoo:17.0-20250301"
        ],
    )
    assert report["gate"]["verdict"] == "passed"
    decision = [f for f in report["findings"] if f["rule_id"] == "release.decision"]
    assert [(f["enforcement"], f["location"]["file"], f["location"]["line"], f["message"]) for f in decision] == [
        (
            "info",
            "k8s/odoo.yaml",
            20,
            "allow: image-only release to production (1 changed resource(s)): 2 requirement(s) met",
        )
    ]
    # the estate's own findings are still reported, marked as already in the base
    digest = [f for f in report["findings"] if f["rule_id"] == "image-provenance.digest-pinning"]
    assert [(f["waived"]["source"], f["waived"]["reason"]) for f in digest] == [
        ("baseline", "already in the base main (--new-only)")
    ]


def test_a_deployment_without_a_canary_fails_the_progressive_rollout_requirement(repo: Repo) -> None:
    repo.branch("plain")
    deployment = ROLLOUT.replace("argoproj.io/v1alpha1", "apps/v1").replace("kind: Rollout", "kind: Deployment")
    deployment = deployment.replace(
        "  strategy:\n    canary:\n      steps: [{setWeight: 20}, {pause: {duration: 10m}}]\n", ""
    )
    repo.write("k8s/odoo.yaml", deployment.replace("TAG", "17.0-20250101"))
    repo.commit("odoo as a Deployment")
    repo.git("checkout", "-q", "-B", "main")  # the estate runs plain Deployments now
    repo.branch("bump-plain")
    repo.write("k8s/odoo.yaml", deployment.replace("TAG", "17.0-20250301"))
    repo.commit("bump")
    report = gate(repo)
    assert report.release is not None and report.release.verdict == "block"
    assert requirements(report)[1:] == [
        (
            "release.progressive-rollout",
            "fail",
            "Deployment erp-prod/odoo rolls out all at once: an image-only release to production needs a progressive "
            "rollout (an Argo Rollout with a canary or blueGreen strategy, or a Flagger Canary)",
        )
    ]
    [finding] = [f for f in report.findings if f.rule_id == "release.progressive-rollout"]
    assert (finding.location.path, finding.location.line, finding.blocking) == ("k8s/odoo.yaml", 7, True)
    canary = "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: odoo, namespace: erp-prod}\n"
    canary += "spec:\n  targetRef: {apiVersion: apps/v1, kind: Deployment, name: odoo}\n"
    repo.write("k8s/canary.yaml", canary)
    repo.commit("canary")
    allowed = gate(repo, approvals=1)  # a new Canary object makes it a config-change: one approval
    assert allowed.release is not None and allowed.release.verdict == "allow"
    assert (
        "release.progressive-rollout",
        "pass",
        "progressive rollout: Deployment erp-prod/odoo via Flagger Canary erp-prod/odoo",
    ) in requirements(allowed)


# --- a migration, with and without backup evidence ------------------------------------------------

MIGRATION_EVIDENCE = {"approvals": 2, "labels": frozenset({"dba-approved"}), "change_ticket": "CHG-20431"}


def test_a_migration_without_backup_evidence_is_blocked(repo: Repo) -> None:
    repo.branch("migrate")
    bump(repo)
    repo.write("k8s/migrate.yaml", MIGRATE)
    repo.commit("odoo 17.0-20250301 with a sale_stock update")
    args = ("--base", "main", "--new-only", "--now", "2026-06-15", "-q", "--approvals", "2", "-l", "dba-approved")
    result = govscan(
        *args, "--change-ticket", "CHG-20431", "-f", "json", "-f", "markdown", "-o", "gate.json", cwd=repo.root
    )
    assert result.returncode == 1, result.stderr
    report = json.loads((repo.root / "gate.json").read_text())
    release = report["release"]
    assert (release["verdict"], release["class"]) == ("block", "schema-migration")
    backup = (
        "a schema-migration release to production needs a backup taken before it: a pre-upgrade backup hook, a "
        "Backup object in the change, or the label backup-verified; none found"
    )
    assert release["unmet"] == [backup]
    assert [(r["rule_id"], r["status"]) for r in release["requirements"]] == [
        ("release.approvals", "pass"),
        ("release.labels", "pass"),
        ("release.change-ticket", "pass"),
        ("release.backup-evidence", "fail"),
        ("release.rollback-plan", "pass"),
        ("release.blast-radius", "pass"),
    ]
    assert release["evidence"] == {
        "approvals": 2,
        "labels": ["dba-approved"],
        "change_ticket": "CHG-20431",
        "sources": ["--approvals", "--label", "--change-ticket"],
    }
    blocking = [f for f in report["findings"] if f["fingerprint"] in report["gate"]["blocking"]]
    assert [(f["rule_id"], f["location"]["file"], f["location"]["line"]) for f in blocking] == [
        ("release.backup-evidence", "k8s/migrate.yaml", 7)
    ]
    lines = result.stdout.splitlines()
    assert lines[:5] == [
        "## ❌ govscan: blocked",
        "",
        "1 blocking finding(s) on 1 rule/resource pair(s) (exit code 1)",
        "",
        "### Release decision: block",
    ]
    assert lines[6:13] == [
        "| | |",
        "|---|---|",
        "| class | schema-migration |",
        "| target | production (strictest tier of the changed resources: Rollout erp-prod/odoo) |",
        "| change | main → HEAD: 2 resources (1 added, 1 modified) |",
        "| evidence | 2 approvals; labels: dba-approved; ticket CHG-20431 (from --approvals, --label, --change-ticket) |",
        "",
    ]
    assert lines[13] == f"- ❌ unmet release.backup-evidence: {backup}"
    assert "- ✅ met release.change-ticket: change ticket CHG-20431 matches CHG-\\[0-9\\]{4,}" in lines
    assert (
        "| added | Job erp-prod/odoo-migrate | k8s/migrate.yaml:1 | schema-migration, config-change | "
        "schema-migration: pre-upgrade hook Job erp-prod/odoo-migrate runs before the release; schema-migration: "
        'container "migrate" runs Odoo with -u (module update); and 1 more |'
    ) in lines
    assert f"| release.backup-evidence | k8s/migrate.yaml:7 | Job/odoo-migrate (erp-prod) | {backup} |" in lines


@pytest.mark.parametrize(
    ("files", "labels", "evidence"),
    [
        ({"k8s/backup.yaml": BACKUP_HOOK}, set(), "pre-upgrade hook Job erp-prod/odoo-predeploy-backup"),
        ({"k8s/velero-backup.yaml": VELERO_BACKUP}, set(), "Backup velero/erp-pre-17-0-20250301 in the change"),
        ({}, {"backup-verified"}, "label backup-verified"),
    ],
    ids=["pre-upgrade-hook", "backup-object", "evidence-label"],
)
def test_a_migration_with_backup_evidence_is_allowed(
    repo: Repo, files: dict[str, str], labels: set[str], evidence: str
) -> None:
    repo.branch("migrate")
    bump(repo)
    repo.write("k8s/migrate.yaml", MIGRATE)
    for path, text in files.items():
        repo.write(path, text)
    repo.commit("migration with a backup")
    report = gate(repo, **{**MIGRATION_EVIDENCE, "labels": frozenset({"dba-approved", *labels})})
    assert report.release is not None
    assert (report.release.verdict, report.release.release_class) == ("allow", ReleaseClass.SCHEMA_MIGRATION)
    assert ("release.backup-evidence", "pass", f"backup before the change: {evidence}") in requirements(report)
    assert report.gate.exit_code == 0, [f.rule_id for f in report.findings if f.blocking]


def test_a_backup_hook_that_runs_after_the_migration_is_no_evidence(repo: Repo) -> None:
    repo.branch("late-backup")
    bump(repo)
    repo.write("k8s/migrate.yaml", MIGRATE)
    repo.write("k8s/backup.yaml", BACKUP_HOOK.replace('helm.sh/hook-weight: "-5"', 'helm.sh/hook-weight: "10"'))
    repo.commit("backup after the migration")
    report = gate(repo, **MIGRATION_EVIDENCE)
    assert report.release is not None and report.release.verdict == "block"
    assert [r for r in requirements(report) if r[1] == "fail"] == [
        (
            "release.backup-evidence",
            "fail",
            "a schema-migration release to production needs a backup taken before it: a pre-upgrade backup hook, a "
            "Backup object in the change, or the label backup-verified; pre-upgrade hook Job "
            "erp-prod/odoo-predeploy-backup (hook weight 10) does not run before the migration hook (weight 5): "
            "give it a lower weight",
        )
    ]


def test_every_unmet_migration_requirement_is_its_own_finding(repo: Repo) -> None:
    repo.branch("bare-migration")
    repo.write("k8s/migrate.yaml", MIGRATE.replace('    govscan.io/rollback-plan: "restore', '    note: "restore'))
    repo.commit("migration, nothing else")
    report = gate(repo, approvals=1, labels=frozenset({"qa-passed"}), change_ticket="INC-7")
    assert [r for r in requirements(report) if r[1] == "fail"] == [
        (
            "release.approvals",
            "fail",
            "a schema-migration release to production needs 2 approval(s); 1 given (--approvals)",
        ),
        (
            "release.labels",
            "fail",
            "a schema-migration release to production needs the label(s) dba-approved; missing: dba-approved "
            "(labels found: qa-passed)",
        ),
        (
            "release.change-ticket",
            "fail",
            "a schema-migration release to production needs a change ticket matching CHG-[0-9]{4,}; 'INC-7' does not "
            "match",
        ),
        (
            "release.backup-evidence",
            "fail",
            "a schema-migration release to production needs a backup taken before it: a pre-upgrade backup hook, a "
            "Backup object in the change, or the label backup-verified; none found",
        ),
        (
            "release.rollback-plan",
            "fail",
            "a schema-migration release to production needs a rollback plan: annotate Job erp-prod/odoo-migrate with "
            "govscan.io/rollback-plan (the steps or a link)",
        ),
    ]
    # requirements of the change as a whole point at the policy line that asks for them
    located = {f.rule_id: (f.location.path, f.location.line, f.resource.uid) for f in report.findings}
    assert located["release.approvals"] == (".govscan.yaml", 23, CHANGE_UID)
    assert located["release.labels"] == (".govscan.yaml", 24, CHANGE_UID)
    assert located["release.change-ticket"] == (".govscan.yaml", 25, CHANGE_UID)
    assert located["release.rollback-plan"] == ("k8s/migrate.yaml", 7, "batch/Job/erp-prod/odoo-migrate")


# --- freeze windows and the emergency path --------------------------------------------------------

PEAK = "the peak-season freeze (every year 11-20 to 01-05) holds config-change releases to production until 2027-01-05"


def test_a_freeze_window_blocks_and_the_emergency_path_lets_the_change_through(repo: Repo) -> None:
    repo.branch("tune")
    repo.write("k8s/config.yaml", CONFIGMAP.replace('WORKERS: "4"', 'WORKERS: "6"'))
    repo.commit("more workers for the peak")
    base = ("--base", "main", "--new-only", "--now", "2026-12-01", "-q", "--approvals", "1", "-f", "json")

    frozen = govscan(*base, cwd=repo.root)
    assert frozen.returncode == 1, frozen.stderr
    release = json.loads(frozen.stdout)["release"]
    assert (release["verdict"], release["class"], release["freezes"]) == ("block", "config-change", ["peak-season"])
    assert release["unmet"] == [
        f"{PEAK}; emergency path: --emergency --reason TEXT with the label(s) emergency-change, cab-approved"
    ]

    half = gate(
        repo,
        today=dt.date(2026, 12, 1),
        approvals=1,
        labels=frozenset({"emergency-change"}),
        emergency=True,
        reason="carrier cut-off moved",
    )
    assert half.release is not None and half.gate.exit_code == 1
    assert [r.message for r in half.release.unmet] == [
        f"{PEAK}; the emergency path also needs the label(s) cab-approved"
    ]
    table = render("table", half)
    assert (
        "Release decision: block\n  config-change release to production (strictest tier of the changed resources:"
        in table
    )
    assert "  unmet release.freeze-window: the peak-season freeze (every year 11-20 to 01-05) holds\n" in table
    assert "  met release.approvals: a config-change release to production needs 1 approval(s); 1 given" in table

    emergency = ("--emergency", "--reason", "carrier cut-off moved", "-l", "emergency-change", "-l", "cab-approved")
    allowed = govscan(*base, *emergency, cwd=repo.root)
    assert allowed.returncode == 0, allowed.stdout
    report = json.loads(allowed.stdout)
    assert report["release"]["verdict"] == "allow"
    assert report["release"]["emergency_reason"] == "carrier cut-off moved"
    [freeze] = [f for f in report["findings"] if f["rule_id"] == "release.freeze-window"]
    assert (freeze["location"]["file"], freeze["location"]["line"], freeze["waived"]) == (
        ".govscan.yaml",
        39,
        {
            "rule_id": "release.freeze-window",
            "reason": "emergency: carrier cut-off moved",
            "source": "emergency",
            "owner": None,
            "expires": None,
        },
    )


def test_the_emergency_path_needs_a_reason(repo: Repo) -> None:
    result = govscan("--base", "main", "--emergency", "-l", "emergency-change", cwd=repo.root)
    assert result.returncode == 2
    assert result.stderr == (
        "govscan: error: --emergency needs --reason TEXT: why the change cannot wait (it is kept in the report)\n"
    )


def test_month_end_close_holds_an_integration_change_but_not_a_routine_one(repo: Repo) -> None:
    repo.branch("carrier-v2")
    repo.write("k8s/config.yaml", CONFIGMAP.replace("/v1", "/v2"))
    repo.commit("carrier API v2")
    month_end = dt.date(2026, 6, 30)
    held = gate(repo, today=month_end, labels=frozenset({"integration-tested"}), approvals=1)
    assert held.release is not None
    assert (held.release.release_class, held.release.freezes) == (ReleaseClass.INTEGRATION_CHANGE, ("month-end-close",))
    assert [r for r in requirements(held) if r[1] == "fail"] == [
        (
            "release.freeze-window",
            "fail",
            "the month-end-close freeze (every month, day -2 to day 2) holds integration-change releases to "
            "production until 2026-07-02; emergency path: --emergency --reason TEXT with the label(s) "
            "emergency-change, finance-approved",
        )
    ]
    repo.write("k8s/config.yaml", CONFIGMAP.replace('WORKERS: "4"', 'WORKERS: "5"'))
    repo.commit("back to v1, one more worker")
    routine = gate(repo, today=month_end, approvals=1)
    assert routine.release is not None
    assert (routine.release.release_class, routine.release.freezes, routine.release.verdict) == (
        ReleaseClass.CONFIG_CHANGE,
        (),
        "allow",
    )


# --- a destructive plan --------------------------------------------------------------------------


def plan(actions: list[str], identifier: str) -> str:
    before = {"identifier": "erp-prod", "engine": "postgres", "engine_version": "16.3", "instance_class": "db.r6g.xlarge",
              "deletion_protection": True, "backup_retention_period": 30, "multi_az": True,
              "storage_encrypted": True, "tags": {"Environment": "production", "owner": "team-erp"}}  # fmt: skip
    after = {**before, "identifier": identifier}
    change = {"actions": actions, "before": before, "after": after, "after_unknown": {}, "after_sensitive": {}}
    if actions == ["delete", "create"]:
        change["replace_paths"] = [["identifier"]]
    entry = {"address": "aws_db_instance.erp", "mode": "managed", "type": "aws_db_instance", "name": "erp",
             "provider_name": "registry.terraform.io/hashicorp/aws", "change": change}  # fmt: skip
    return json.dumps({"format_version": "1.2", "terraform_version": "1.8.5", "resource_changes": [entry]}, indent=2)


DESTRUCTIVE_UNMET = [
    ("release.approvals", "a data-destructive release to production needs 2 approval(s); 1 given (--approvals)"),
    (
        "release.labels",
        "a data-destructive release to production needs the label(s) data-owner-approved; missing: "
        "data-owner-approved (labels found: none)",
    ),
    ("release.change-ticket", "a data-destructive release to production needs a change ticket matching CHG-[0-9]{4,} "
     "(--change-ticket ID)"),
    (
        "release.backup-evidence",
        "a data-destructive release to production needs a backup taken before it: a pre-upgrade backup hook, a "
        "Backup object in the change, or the label backup-verified; none found",
    ),
    (
        "release.rollback-plan",
        "a data-destructive release to production needs a rollback plan: annotate aws_db_instance "
        "aws_db_instance.erp with govscan.io/rollback-plan (the steps or a link)",
    ),
]  # fmt: skip


def test_a_destructive_plan_in_the_history_is_blocked_with_every_reason(repo: Repo) -> None:
    repo.write("plans/prod.json", plan(["no-op"], "erp-prod"))
    repo.commit("the plan of what runs")
    repo.branch("rename-db")
    repo.write("plans/prod.json", plan(["delete", "create"], "erp-prod-v2"))
    repo.commit("rename the database")
    args = ("plans/", "--base", "main", "--new-only", "--now", "2026-06-15", "--approvals", "1", "-q", "-f", "json")
    result = govscan(*args, cwd=repo.root)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    release = report["release"]
    assert (release["verdict"], release["class"], release["target"]) == ("block", "data-destructive", "production")
    assert [(r["rule_id"], r["message"]) for r in release["requirements"] if r["status"] == "fail"] == DESTRUCTIVE_UNMET
    [change] = release["changes"]
    assert (change["uid"], change["action"], change["fields"]) == ("aws_db_instance.erp", "replace", ["/identifier"])
    assert change["classes"] == ["data-destructive", "infrastructure-change", "config-change"]
    assert change["reasons"][0] == (
        "data-destructive: the change replaces (deletes, then creates) aws_db_instance erp: its data is lost "
        "without a backup"
    )
    # the head is scanned as well: the plan's new finding blocks beside the release requirements, while
    # what the running database already lacked (e.g. backup.final-snapshot) is in the base and does not
    blocking = sorted(f["rule_id"] for f in report["findings"] if f["fingerprint"] in report["gate"]["blocking"])
    assert blocking == sorted([r for r, _ in DESTRUCTIVE_UNMET] + ["release.destructive-change"])


def test_two_plan_files_and_a_plan_alone(tmp_path: Path) -> None:
    (tmp_path / "main.json").write_text(plan(["no-op"], "erp-prod"))
    (tmp_path / "pr.json").write_text(plan(["delete", "create"], "erp-prod-v2"))
    (tmp_path / ".govscan.yaml").write_text(POLICY)
    for base in ("main.json", None):
        request = GateRequest(
            base=base,
            head="pr.json",
            scan=ScanRequest(targets=(), config=Config(), today=QUIET_DAY),
            evidence=Evidence(approvals=1),
            cwd=tmp_path,
        )
        report = run_gate(request)
        assert report.release is not None
        assert (report.release.release_class, report.release.target, report.release.base) == (
            ReleaseClass.DATA_DESTRUCTIVE,
            Tier.PRODUCTION,
            base or "pr.json (before)",
        )
        assert [(r.rule_id, r.message) for r in report.release.unmet] == DESTRUCTIVE_UNMET
        assert report.gate.exit_code == 1


# --- new findings only ---------------------------------------------------------------------------


def test_new_only_blocks_only_what_the_change_brings(repo: Repo) -> None:
    repo.branch("worker")
    worker = ROLLOUT.replace("name: odoo\n", "name: odoo-worker\n", 1).replace("TAG", "17.0-20250101")
    repo.write("k8s/worker.yaml", worker)
    repo.commit("a queue worker")
    everything = gate(repo, new_only=False, approvals=1)
    new_only = gate(repo, approvals=1)

    def blocking(report: ScanReport) -> set[tuple[str, str]]:
        return {(f.rule_id, f.resource.name) for f in report.findings if f.blocking}

    assert ("ha.probes", "odoo") in blocking(everything)
    assert ("ha.probes", "odoo-worker") in blocking(everything)
    assert {name for _, name in blocking(new_only)} == {"odoo-worker"}
    assert blocking(new_only) == {r for r in blocking(everything) if r[1] == "odoo-worker"}
    [baselined] = [f for f in new_only.findings if (f.rule_id, f.resource.name) == ("ha.probes", "odoo")]
    assert baselined.waiver is not None and baselined.waiver.source == "baseline"
    assert new_only.release is not None and new_only.release.verdict == "allow"
    assert new_only.gate.exit_code == 1  # the release may go, but its new findings block


# --- evidence from CI, annotations, tiers, errors ------------------------------------------------


def test_labels_come_from_github_and_gitlab(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"pull_request": {"number": 42, "labels": [{"name": "dba-approved"}, {"name": "backup-verified"}]}})
    )
    assert ci_evidence({"GITHUB_EVENT_PATH": str(event)}) == (
        frozenset({"dba-approved", "backup-verified"}),
        ("GitHub pull request #42 labels",),
    )
    assert ci_evidence({"CI_MERGE_REQUEST_LABELS": "dba-approved, backup-verified,", "CI_MERGE_REQUEST_IID": "7"}) == (
        frozenset({"dba-approved", "backup-verified"}),
        ("GitLab merge request !7 labels",),
    )
    assert ci_evidence({}) == (frozenset(), ())


def test_a_pull_request_event_supplies_the_labels_to_the_command(repo: Repo, tmp_path: Path) -> None:
    repo.branch("migrate")
    bump(repo)
    repo.write("k8s/migrate.yaml", MIGRATE)
    repo.commit("migration")
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"pull_request": {"number": 42, "labels": [{"name": "dba-approved"}, {"name": "backup-verified"}]}})
    )
    args = ("--base", "main", "--new-only", "--now", "2026-06-15", "-q", "-f", "json")
    result = govscan(
        *args, "--approvals", "2", "--change-ticket", "CHG-20431", cwd=repo.root, env={"GITHUB_EVENT_PATH": str(event)}
    )
    assert result.returncode == 0, result.stdout
    release = json.loads(result.stdout)["release"]
    assert release["evidence"]["labels"] == ["backup-verified", "dba-approved"]
    assert release["evidence"]["sources"] == ["GitHub pull request #42 labels", "--approvals", "--change-ticket"]
    assert {
        "rule_id": "release.backup-evidence",
        "status": "pass",
        "message": "backup before the change: label backup-verified",
    } in release["requirements"]


def test_an_annotation_raises_the_class_and_a_lowering_attempt_is_reported(repo: Repo) -> None:
    repo.branch("annotated")
    annotated = CONFIGMAP.replace(
        "  namespace: erp-prod\n",
        "  namespace: erp-prod\n  annotations:\n    govscan.io/release-class: infrastructure-change\n",
    )
    repo.write("k8s/config.yaml", annotated)
    repo.write(
        "k8s/migrate.yaml",
        MIGRATE.replace("  annotations:\n", "  annotations:\n    govscan.io/release-class: image-only\n"),
    )
    repo.commit("annotations")
    report = gate(repo, **MIGRATION_EVIDENCE)
    assert report.release is not None and report.release.release_class is ReleaseClass.SCHEMA_MIGRATION
    by_uid = {c.resource.uid: c for c in report.release.changes}
    config = by_uid["core/ConfigMap/erp-prod/odoo-config"]
    assert config.classes == (ReleaseClass.INFRASTRUCTURE_CHANGE, ReleaseClass.CONFIG_CHANGE)
    assert config.reasons[0] == "infrastructure-change: raised by govscan.io/release-class: infrastructure-change"
    [lowered] = [f for f in report.findings if f.rule_id == "release.class-annotation"]
    assert (lowered.location.path, lowered.location.line, lowered.enforcement.label) == ("k8s/migrate.yaml", 8, "warn")
    assert lowered.message == (
        "govscan.io/release-class: image-only is ignored: an annotation may raise a change's class, never lower it, "
        "and this change is schema-migration (pre-upgrade hook Job erp-prod/odoo-migrate runs before the release)"
    )


def test_the_target_is_the_strictest_tier_of_what_changed(repo: Repo) -> None:
    staging = NAMESPACE.replace("erp-prod", "erp-staging") + "---\n" + CONFIGMAP.replace("erp-prod", "erp-staging")
    repo.write("k8s/staging.yaml", staging)
    repo.commit("a staging copy")
    repo.branch("staging-tune")
    repo.write("k8s/staging.yaml", staging.replace('WORKERS: "4"', 'WORKERS: "2"'))
    repo.commit("fewer workers in staging")
    report = gate(repo)
    assert report.release is not None
    assert (report.release.target, report.release.target_from, report.release.verdict) == (
        Tier.STAGING,
        "strictest tier of the changed resources: ConfigMap erp-staging/odoo-config",
        "allow",
    )
    assert requirements(report) == [
        (
            "release.blast-radius",
            "pass",
            "the change touches 1 resource(s); a config-change release to staging may touch at most 50",
        )
    ]
    forced = run_gate(
        GateRequest(
            base="main",
            scan=ScanRequest(targets=(), config=Config(), today=QUIET_DAY),
            target=Tier.PRODUCTION,
            cwd=repo.root,
        )
    )
    assert forced.release is not None
    assert (forced.release.target, forced.release.target_from, forced.release.verdict) == (
        Tier.PRODUCTION,
        "--target",
        "block",
    )


def test_the_policy_comes_from_the_base_so_a_change_cannot_relax_its_own_gate(repo: Repo) -> None:
    repo.branch("relax")
    repo.write(".govscan.yaml", "release: {}\n")
    repo.write("k8s/migrate.yaml", MIGRATE)
    repo.commit("migrate, and drop the policy")
    report = gate(repo)
    assert report.release is not None and report.release.verdict == "block"
    assert "release.backup-evidence" in {r.rule_id for r in report.release.unmet}


def test_a_bad_policy_in_the_base_is_one_line_naming_the_ref_file_and_line(repo: Repo) -> None:
    repo.write(
        ".govscan.yaml",
        POLICY.replace(
            "        approvals: 2\n        labels: [dba-approved]",
            "        aprovals: 2\n        labels: [dba-approved]",
            1,
        ),
    )
    repo.commit("typo")
    result = govscan("--base", "main", "--head", "main", cwd=repo.root)
    assert result.returncode == 2
    assert result.stderr.startswith(
        "govscan: error: main:.govscan.yaml:23: release.classes.schema-migration.production.aprovals: unknown key "
        "(allowed: approvals, backup, change_ticket, labels, max_changed_resources, progressive_rollout, rollback_plan)"
    )
    assert result.stderr.count("\n") == 1


def test_an_unknown_ref_and_a_missing_base_are_exit_2(repo: Repo) -> None:
    unknown = govscan("--base", "origin/main", cwd=repo.root)
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("govscan: error: --base: 'origin/main' is not a directory, a file or a commit in ")
    assert unknown.stderr.endswith("(in a shallow CI clone, fetch it first: git fetch --depth=1 origin main)\n")
    missing = govscan(cwd=repo.root)
    assert (missing.returncode, missing.stderr) == (
        2,
        "govscan: error: --base is required: a git ref (origin/main), a directory, or a plan file\n",
    )
    assert (repo.root / "k8s").is_dir()  # nothing was checked out or changed


def test_nothing_changed_allows_with_no_class(repo: Repo) -> None:
    report = gate(repo)
    assert report.release is not None
    assert (report.release.verdict, report.release.release_class, report.release.changes) == ("allow", None, ())
    assert not [f for f in report.findings if f.domain == "release"]
    assert report.release.requirements == ()
    assert Status.FAIL not in {e.status for e in report.evaluations if e.rule_id.startswith("release.")}


def test_release_findings_are_tuned_and_waived_like_any_rule(repo: Repo) -> None:
    tuned = POLICY + (
        "rules:\n"
        "  release.blast-radius: {enforcement: {production: warn}}\n"
        "waivers:\n"
        "  - rule: release.rollback-plan\n"
        "    resource: erp-prod/Job/odoo-migrate\n"
        "    owner: team-erp\n"
        "    reason: the dump hook is the rollback until the runbook lands\n"
        "    expires: 2026-07-31\n"
    )
    repo.write(".govscan.yaml", tuned)
    repo.commit("tune the release rules")
    repo.branch("big-migration")
    for i in range(11):
        repo.write(f"k8s/settings-{i}.yaml", CONFIGMAP.replace("odoo-config", f"odoo-settings-{i}"))
    repo.write("k8s/migrate.yaml", MIGRATE.replace("    govscan.io/rollback-plan", "    note"))
    repo.commit("a migration with eleven new settings")
    report = gate(repo, **{**MIGRATION_EVIDENCE, "labels": frozenset({"dba-approved", "backup-verified"})})
    assert report.release is not None
    assert report.release.verdict == "allow"
    assert [(r.rule_id, r.status) for r in report.release.requirements if r.status is not Status.PASS] == [
        ("release.rollback-plan", Status.WAIVED),
        ("release.blast-radius", Status.FAIL),
    ]
    by_rule = {f.rule_id: f for f in report.findings if f.domain == "release"}
    assert by_rule["release.blast-radius"].enforcement.label == "warn"
    assert by_rule["release.blast-radius"].message == (
        "the change touches 12 resource(s); a schema-migration release to production may touch at most 10: split it"
    )
    waiver = by_rule["release.rollback-plan"].waiver
    assert waiver is not None and (waiver.source, waiver.owner) == ("config", "team-erp")


@pytest.mark.parametrize("fmt", ["table", "json", "sarif", "junit", "codequality", "markdown"])
def test_every_format_carries_the_release_findings(repo: Repo, fmt: str, request: pytest.FixtureRequest) -> None:
    repo.branch("migrate")
    repo.write("k8s/migrate.yaml", MIGRATE)
    repo.commit("migration")
    report = gate(repo, **MIGRATION_EVIDENCE)
    text = render(fmt, report)
    assert "release.backup-evidence" in text
    # markdown shows the decision as its own section rather than as a release.decision finding
    assert "### Release decision: block" in text if fmt == "markdown" else "release.decision" in text
    if fmt == "sarif":
        sarif_schema_path: Path = request.getfixturevalue("sarif_schema_path")
        import jsonschema

        schema = json.loads(sarif_schema_path.read_text(encoding="utf-8"))
        jsonschema.validators.validator_for(schema)(schema).validate(json.loads(text))
        results = {r["ruleId"]: r for r in json.loads(text)["runs"][0]["results"]}
        location = results["release.backup-evidence"]["locations"][0]["physicalLocation"]
        assert (location["artifactLocation"]["uri"], location["region"]["startLine"]) == ("k8s/migrate.yaml", 7)


def test_two_directories_compare_only_what_differs_and_keep_namespace_tiers(tmp_path: Path) -> None:
    staging_ns = NAMESPACE.replace("erp-prod", "erp-uat").replace(
        "{owner: team-erp}", "{owner: team-erp, govscan.io/tier: staging}"
    )
    for side, workers in (("old", "4"), ("new", "2")):
        (tmp_path / side / "k8s").mkdir(parents=True)
        (tmp_path / side / "k8s" / "namespace.yaml").write_text(staging_ns)  # the same on both sides
        (tmp_path / side / "k8s" / "config.yaml").write_text(
            CONFIGMAP.replace("erp-prod", "erp-uat").replace('"4"', f'"{workers}"')
        )
    (tmp_path / ".govscan.yaml").write_text(POLICY)
    request = GateRequest(
        base="old",
        head="new",
        scan=ScanRequest(targets=(), config=Config(), today=QUIET_DAY),
        new_only=True,
        cwd=tmp_path,
    )
    report = run_gate(request)
    assert report.release is not None
    [change] = report.release.changes
    assert (change.resource.uid, change.resource.path, change.fields) == (
        "core/ConfigMap/erp-uat/odoo-config",
        "new/k8s/config.yaml",
        ("/data/WORKERS",),
    )
    # the Namespace in an unchanged file still sets the tier: erp-uat is labelled staging
    assert (report.release.target, report.release.verdict) == (Tier.STAGING, "allow")
    # the namespace's own findings are in old/ too: baselined although old/ and new/ are other paths
    namespace_findings = [f for f in report.findings if f.resource.kind == "Namespace"]
    assert namespace_findings and all(
        f.waiver is not None and f.waiver.source == "baseline" for f in namespace_findings
    )


def test_new_only_counts_a_copy_of_a_resource_as_new_and_keeps_content_findings_of_the_tool(repo: Repo) -> None:
    duplicated = CONFIGMAP.replace('  WORKERS: "4"\n', '  WORKERS: "4"\n  WORKERS: "4"\n')
    repo.write("k8s/config.yaml", duplicated)
    repo.commit("a duplicate key the estate already has")
    repo.branch("copy")
    repo.write("overlays/copy.yaml", ROLLOUT.replace("TAG", "17.0-20250101"))  # the same uid as k8s/odoo.yaml
    repo.commit("a second copy of the Rollout")
    report = gate(repo, approvals=1)
    [duplicate_key] = [f for f in report.findings if f.rule_id == "govscan.duplicate-key"]
    assert duplicate_key.waiver is not None and duplicate_key.waiver.source == "baseline"
    probes = {f.location.path: f.waiver for f in report.findings if f.rule_id == "ha.probes"}
    assert probes["k8s/odoo.yaml"] is not None and probes["k8s/odoo.yaml"].source == "baseline"
    assert probes["overlays/copy.yaml"] is None  # the base has one such finding, the head two: one is new


def test_a_broken_event_file_and_a_bad_clock_are_one_line_usage_errors(tmp_path: Path) -> None:
    from govscan.scanner.cli import _parse_now
    from govscan.scanner.errors import UsageError

    event = tmp_path / "event.json"
    event.write_text("{not json")
    with pytest.raises(UsageError) as info:
        ci_evidence({"GITHUB_EVENT_PATH": str(event)})
    assert str(info.value).startswith(f"GITHUB_EVENT_PATH={event}: cannot read the event: Expecting property name")
    assert _parse_now("2026-12-01") == dt.date(2026, 12, 1)
    assert _parse_now("2026-12-01T23:30:00-05:00") == dt.date(2026, 12, 2)  # the UTC date
    with pytest.raises(UsageError) as bad:
        _parse_now("next tuesday")
    assert str(bad.value) == (
        "--now: 'next tuesday' is not a date (2026-11-27) or an ISO date-time (2026-11-27T14:00:00Z)"
    )


def test_rego_policies_from_the_base_ref_judge_the_head(repo: Repo) -> None:
    rego = (ROOT / "fixtures" / "policies" / "policy" / "ownership.rego").read_text()
    repo.write("policy/ownership.rego", rego)
    repo.commit("the team's policies")
    repo.branch("unowned")
    repo.write("k8s/migrate.yaml", MIGRATE.replace("labels: {app: odoo, owner: team-erp}", "labels: {app: odoo}"))
    repo.commit("a migration Job nobody owns")
    request = GateRequest(
        base="main",
        scan=ScanRequest(targets=(), config=Config(), today=QUIET_DAY, policies=("git:main:policy",)),
        evidence=Evidence(**MIGRATION_EVIDENCE),  # type: ignore[arg-type]
        new_only=True,
        cwd=repo.root,
    )
    report = run_gate(request)
    owner = [f for f in report.findings if f.rule_id.startswith("policy.")]
    assert [(f.rule_id, f.location.path, f.message, f.blocking) for f in owner] == [
        ("policy.main.owner-label", "k8s/migrate.yaml", "Job odoo-migrate has no owner label", True)
    ]


def test_rules_show_explains_the_release_rules() -> None:
    from govscan.scanner.catalog import render_show

    text = render_show("release.backup-evidence")
    assert text.startswith("release.backup-evidence  (release, severity critical)\nNo backup is taken before a change")
    assert "`backup: true` under `release.classes.<class>.<tier>`" in text
    assert "Enforcement by tier: production block, staging block, qa block, development block, sandbox block" in text
