"""The findings `govscan gate` makes about a change (domain `release`), as rule metadata.

Each requirement of the release policy that a change does not meet becomes a finding of one of these
rules, at the target tier; they block wherever the policy asks for them (the policy is per tier
already), and `.govscan.yaml` can tune their enforcement and waive them like any rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from govscan.scanner.model import Platform, Rule, RuleMeta, Severity, Violation, enforcement_table

ALL_PLATFORMS = (Platform.K8S, Platform.TERRAFORM, Platform.PULUMI)
_BLOCK = enforcement_table("block", "block", "block", "block", "block")


def _requirement(rule_id: str, title: str, remediation: str, severity: Severity = Severity.HIGH) -> RuleMeta:
    return RuleMeta(
        id=rule_id,
        domain="release",
        title=title,
        severity=severity,
        enforcement=_BLOCK,
        remediation=remediation,
        platforms=ALL_PLATFORMS,
        controls=("release: evidence by class and target tier",),
    )


APPROVALS = _requirement(
    "release.approvals",
    "The change has fewer approvals than its release class needs in the target tier",
    "Get the approvals the release policy asks for and pass their number with --approvals N.",
)
LABELS = _requirement(
    "release.labels",
    "The change lacks labels its release class needs in the target tier",
    "Add the labels to the pull or merge request (read from GitHub and GitLab), or pass --label.",
)
CHANGE_TICKET = _requirement(
    "release.change-ticket",
    "The change has no change ticket matching the release policy",
    "Pass the approved change ticket with --change-ticket ID; it must match the policy's pattern.",
)
BACKUP_EVIDENCE = _requirement(
    "release.backup-evidence",
    "No backup is taken before a change that needs one",
    "Add a Helm pre-upgrade hook Job that backs the database up (with a lower hook weight than the migration), "
    "add a Backup object to the change, or label the pull request with a backup evidence label after taking one.",
    Severity.CRITICAL,
)
ROLLBACK_PLAN = _requirement(
    "release.rollback-plan",
    "The change has no rollback plan",
    'Annotate the resource that makes the change its class with govscan.io/rollback-plan: "<steps or a link>".',
)
BLAST_RADIUS = _requirement(
    "release.blast-radius",
    "The change touches more resources than its release class allows in the target tier",
    "Split the change into smaller ones, each within the policy's max_changed_resources.",
    Severity.MEDIUM,
)
PROGRESSIVE_ROLLOUT = _requirement(
    "release.progressive-rollout",
    "A workload rolls out all at once where the policy needs a progressive rollout",
    "Roll the workload out progressively: an Argo Rollout with a canary or blueGreen strategy, or a Flagger "
    "Canary targeting the Deployment.",
    Severity.MEDIUM,
)
FREEZE_WINDOW = _requirement(
    "release.freeze-window",
    "A freeze window holds this class of change for the target tier",
    "Wait until the freeze ends, or take the emergency path: --emergency --reason TEXT with the labels the "
    "freeze names.",
)
CLASS_ANNOTATION = RuleMeta(
    id="release.class-annotation",
    domain="release",
    title="A govscan.io/release-class annotation was not applied",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table("warn", "warn", "warn", "warn", "warn"),
    remediation="Remove the annotation or set it to the change's class or a riskier one: it can raise a class, "
    "never lower it.",
    platforms=ALL_PLATFORMS,
)
DECISION = RuleMeta(
    id="release.decision",
    domain="release",
    title="The release decision for this change: its class, target tier and verdict",
    severity=Severity.LOW,
    enforcement=enforcement_table("info", "info", "info", "info", "info"),
    remediation="Nothing to fix here: the other release findings say what the change still needs.",
    platforms=ALL_PLATFORMS,
)

REQUIREMENT_RULES: tuple[RuleMeta, ...] = (
    APPROVALS,
    LABELS,
    CHANGE_TICKET,
    BACKUP_EVIDENCE,
    ROLLBACK_PLAN,
    BLAST_RADIUS,
    PROGRESSIVE_ROLLOUT,
    FREEZE_WINDOW,
)
RELEASE_RULES: tuple[RuleMeta, ...] = (*REQUIREMENT_RULES, CLASS_ANNOTATION, DECISION)

_ASKED_BY = {
    APPROVALS.id: "approvals: N",
    LABELS.id: "labels: [...]",
    CHANGE_TICKET.id: "change_ticket: REGEX",
    BACKUP_EVIDENCE.id: "backup: true",
    ROLLBACK_PLAN.id: "rollback_plan: true",
    BLAST_RADIUS.id: "max_changed_resources: N",
    PROGRESSIVE_ROLLOUT.id: "progressive_rollout: true",
    FREEZE_WINDOW.id: "freezes: [...]",
}


def _never(resource: Any, ctx: Any, options: Any) -> Iterator[Violation]:
    return iter(())  # judged by `govscan gate` over the whole change, never resource by resource


def release_rule(rule_id: str) -> Rule | None:
    """A release rule as the catalog shows it (`govscan rules show release.approvals`); None if unknown."""
    meta = next((m for m in RELEASE_RULES if m.id == rule_id), None)
    if meta is None:
        return None
    asked = _ASKED_BY.get(meta.id)
    doc = (
        f"Reported by `govscan gate` when the release policy asks for it: `{asked}` under "
        "`release.classes.<class>.<tier>` (or `release.defaults.<tier>`) in .govscan.yaml, for the change's "
        "class and target tier. See the README, Release gates."
        if asked
        else "Reported by `govscan gate` about every change it classifies. See the README, Release gates."
    )
    return Rule(meta=meta, check=_never, doc=doc, module=__name__)
