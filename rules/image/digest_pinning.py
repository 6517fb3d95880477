"""Production container images are pinned by digest (`image@sha256:...`).

A tag is a pointer anyone with push rights can move: the image that passed the scan and the one a
node pulls next week can differ. A digest names exact bytes, so the scanned image is the running
image. Production requires digests; staging is warned, so the pinning habit exists before release;
lower tiers may follow tags. Keep the tag for readability: `name:tag@sha256:...` is valid and
the digest wins.

Passes (production)::

    image: registry.example.com/erp/odoo:17.0@sha256:4f1c...e2

Fails (production)::

    image: registry.example.com/erp/odoo:17.0
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.images import container_images
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import NotEvaluated, Resource, RuleMeta, Severity, Violation, enforcement_table

RULE = RuleMeta(
    id="image-provenance.digest-pinning",
    domain="image-provenance",
    title="Production image is not pinned by digest",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="warn", qa="off", development="off", sandbox="off"),
    remediation="Pin the image by digest: name:tag@sha256:<digest> (crane digest / docker buildx imagetools inspect).",
    kinds=(WORKLOADS,),
    controls=("security: image scanning",),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation | NotEvaluated]:
    images, unreadable = container_images(resource, ctx)
    yield from unreadable
    for item in images:
        if item.image.pinned:
            continue
        what = f"tag :{item.image.tag}" if item.image.tag else "no tag"
        yield Violation(
            f"{item.container.label} image {item.image.raw!r} is not pinned by digest ({what} can be moved)",
            item.pointer,
        )
