"""No non-production namespace is labelled as holding production-classified data.

A data-classification label is a promise about what a namespace contains. A QA or sandbox
namespace labelled `data-classification: production` (or confidential, restricted) either holds
real customer data, which the non-production access model does not protect, or carries a wrong
label that misleads backup, retention and access reviews. Either way someone must decide: mask
the data and relabel, or move the workload to a production namespace. Label keys
(`classification_labels`) and values (`production_classes`) are configurable.

Enforcement: off in production. Staging is informational (a production mirror there may be
sanctioned); QA, development and sandbox warn: the label alone is evidence, not proof, of data.

Passes (qa)::

    kind: Namespace
    metadata:
      labels: {data-classification: masked}

Fails (qa)::

    kind: Namespace
    metadata:
      labels: {data-classification: production}
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.scanner.context import Context
from govscan.scanner.model import TIER, Resource, RuleMeta, Severity, Tier, Violation, enforcement_table, pointer_join


@dataclass(frozen=True)
class Options:
    classification_labels: tuple[str, ...] = (
        "data-classification",
        "data.govscan.io/classification",
        "classification",
    )
    production_classes: tuple[str, ...] = ("production", "prod", "confidential", "restricted")


RULE = RuleMeta(
    id="data-masking.prod-classified-namespace",
    domain="data-masking",
    title="Non-production namespace is labelled as holding production-classified data",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="off", staging="info", qa="warn", development="warn", sandbox="warn"),
    remediation="Mask the data and relabel the namespace (e.g. data-classification: masked), or move the workload "
    "to a production namespace.",
    kinds=("Namespace",),
    controls=("data: no unmasked production data outside production",),
    options=Options(),
    needs=(TIER,),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    tier = ctx.tier_of(resource)
    if tier is Tier.PRODUCTION:
        return
    classes = {str(c).lower() for c in options.production_classes}
    for key in options.classification_labels:
        value = resource.labels.get(key)
        if isinstance(value, str) and value.lower() in classes:
            yield Violation(
                f"{tier.value} namespace {resource.name} is labelled {key}={value}",
                pointer_join("metadata", "labels", key),
            )
            return
