"""Containers run with a read-only root filesystem (hardening beyond the Pod Security Standards).

A writable root filesystem lets an attacker drop tools or tamper with the application's code at
runtime, and hides state that is lost on restart. Set `readOnlyRootFilesystem: true` on each
container and mount an emptyDir where the process must write (`/tmp`, Odoo's session store, nginx's
cache) and a volume for real data (the Odoo filestore, PostgreSQL's PGDATA). Not a PSS control, so
it warns in production and is informational below. Windows pods are exempt.

Passes::

    securityContext:
      readOnlyRootFilesystem: true

Fails::

    securityContext:
      readOnlyRootFilesystem: false
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.podsecurity import boolean_field_violations
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    pass


RULE = RuleMeta(
    id="pod-security.read-only-root-filesystem",
    domain="pod-security",
    title="Container root filesystem is writable",
    severity=Severity.LOW,
    enforcement=enforcement_table(production="warn", staging="info", qa="info", development="off", sandbox="off"),
    remediation="Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where it must write.",
    kinds=(WORKLOADS,),
    controls=("security: strict RBAC, image scanning (hardening: immutable container filesystem)",),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    yield from boolean_field_violations(resource, ctx, "readOnlyRootFilesystem", wanted=True)
