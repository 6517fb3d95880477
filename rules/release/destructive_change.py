"""A plan deletes or replaces a resource that holds data (a database, bucket, volume, cache, key).

Terraform replaces a database when an attribute such as `engine`, `identifier` or
`availability_zone` changes, and the plan says so in one word among hundreds of lines: the data goes
with it unless a snapshot is taken first. This is what release gates build on: in production such a
change blocks until someone waives it with an owner, a reason and an expiry (after taking and
testing a backup). The stateful types are listed in `govscan.rules._lib.cloud.STATEFUL_TYPES`.

Passes (production)::

    {"address": "aws_db_instance.erp", "change": {"actions": ["update"], ...}}

Fails (production)::

    {"address": "aws_db_instance.erp", "change": {"actions": ["delete", "create"], ...}}
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.cloud import CLOUD, STATEFUL_TYPES, action, data_loss
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

RULE = RuleMeta(
    id="release.destructive-change",
    domain="release",
    title="A change deletes or replaces a resource that holds data",
    severity=Severity.CRITICAL,
    enforcement=enforcement_table(production="block", staging="warn", qa="warn", development="info", sandbox="info"),
    remediation="Take and test a snapshot first, then waive this finding with an owner, a reason and an expiry; "
    "or avoid the replacement (lifecycle prevent_destroy / ignore_changes, Pulumi protect, or revert the "
    "attribute that forces it).",
    kinds=tuple(sorted(STATEFUL_TYPES)),
    platforms=CLOUD,
    controls=("release: backup before destructive change",),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    message = data_loss(resource, action(resource))
    if message is not None:
        yield Violation(message)
