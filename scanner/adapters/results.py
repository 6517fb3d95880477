"""What the adapters hand over: a tool's results as read, and outcomes the engine settles like a rule's."""

from __future__ import annotations

from dataclasses import dataclass

from govscan.scanner.model import Location, Resource, RuleMeta, Status, Violation


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check of a tool on one resource, as the tool reported it (nothing mapped yet)."""

    tool: str
    check_id: str
    title: str
    chunk: str
    """The staged file the tool read (`k8s/0001-0002.yaml`)."""
    status: Status
    """PASS or FAIL (NOT_EVALUATED for a check the tool skipped)."""
    line: int | None = None
    """1-based line in the staged file."""
    keys: tuple[str, ...] = ()
    """checkov's evaluated keys (`spec/template/spec/containers/[0]/image`)."""
    resource: str = ""
    """The tool's own name for the resource: a plan address (checkov), `type.name[_hash]` (trivy)."""
    block_line: int | None = None
    """trivy on plans: the line of the resource's block in trivy's own rendering of the plan."""
    message: str = ""
    severity: str | None = None
    remediation: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """A tool check (or an image rule) on one govscan resource, located, ready for tier and waivers."""

    meta: RuleMeta
    doc: str
    resource: Resource
    status: Status
    violations: tuple[tuple[Violation, Location], ...] = ()
    reason: str = ""
    covers: tuple[str, ...] = ()
    """Built-in rules judging the same concern: the engine drops this outcome where they judged."""
    always: bool = False
    """Reported whatever --rule/--domain select (an engine that did not run must never go unseen)."""
