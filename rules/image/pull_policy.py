"""Containers on a mutable tag pull with `imagePullPolicy: Always` (or pin the image by digest).

With a tag but no digest, `IfNotPresent` (the Kubernetes default for any tag but `latest`) and
`Never` let every node keep whichever build it pulled first: after someone re-pushes `odoo:17.0`,
old and new nodes run different code under the same name. Either pin the image by digest (then
any policy is consistent) or pull with `Always`. Images with no tag or `:latest` already default to
`Always`; `image-provenance.latest-tag` judges those.

Passes::

    image: registry.example.com/erp/odoo:17.0@sha256:4f1c...e2
    imagePullPolicy: IfNotPresent

Fails::

    image: registry.example.com/erp/odoo:17.0
    imagePullPolicy: IfNotPresent     # or unset: defaults to IfNotPresent
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.images import container_images
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import NotEvaluated, Resource, RuleMeta, Severity, Violation, enforcement_table

RULE = RuleMeta(
    id="image-provenance.pull-policy",
    domain="image-provenance",
    title="Mutable image tag with a pull policy that lets nodes run different builds",
    severity=Severity.MEDIUM,
    # production already blocks on digest-pinning, so this one only warns there (one fix solves both)
    enforcement=enforcement_table(production="warn", staging="warn", qa="info", development="info", sandbox="off"),
    remediation="Pin the image by digest (preferred), or set imagePullPolicy: Always for a mutable tag.",
    kinds=(WORKLOADS,),
    controls=("security: image controls",),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation | NotEvaluated]:
    images, unreadable = container_images(resource, ctx)
    yield from unreadable
    for item in images:
        image = item.image
        if image.pinned:
            continue
        policy = item.container.body.get("imagePullPolicy")
        if policy is None:
            if image.latest:
                continue  # Kubernetes defaults to Always for no tag or :latest
            yield Violation(
                f"{item.container.label} image {image.raw!r} has a mutable tag and no imagePullPolicy "
                "(defaults to IfNotPresent): nodes may keep different builds of the same tag",
                item.container.pointer,
            )
        elif policy in ("IfNotPresent", "Never"):
            yield Violation(
                f"{item.container.label} image {image.raw!r} has a mutable tag with imagePullPolicy {policy}: "
                "nodes may keep different builds of the same tag",
                f"{item.container.pointer}/imagePullPolicy",
            )
