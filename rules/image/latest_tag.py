"""Every container image names an explicit tag other than `latest` (or is pinned by digest).

An image without a tag, or tagged `:latest`, runs whatever was pushed last: two pods of one
Deployment can run different code, a rollback cannot return to the previous build, and a scan
report cannot say what actually runs. Tag images with a release version (`odoo:17.0-20240501`) or,
better, pin them by digest. An image pinned by digest passes whatever its tag says.

Passes::

    containers:
      - name: odoo
        image: registry.example.com/erp/odoo:17.0-20240501

Fails::

    containers:
      - name: odoo
        image: odoo            # no tag: resolves to odoo:latest
      - name: redis
        image: redis:latest
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.images import container_images
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import NotEvaluated, Resource, RuleMeta, Severity, Violation, enforcement_table

RULE = RuleMeta(
    id="image-provenance.latest-tag",
    domain="image-provenance",
    title="Container image has no tag or uses :latest",
    severity=Severity.HIGH,
    # security: image controls apply in every tier; only production blocks on them
    enforcement=enforcement_table(production="block", staging="warn", qa="warn", development="info", sandbox="info"),
    remediation="Give every image an explicit release tag (odoo:17.0-20240501) or pin it by digest (@sha256:...).",
    kinds=(WORKLOADS,),
    controls=("security: image scanning", "security: image controls"),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation | NotEvaluated]:
    images, unreadable = container_images(resource, ctx)
    yield from unreadable
    for item in images:
        image = item.image
        if not image.latest:
            continue
        if image.tag is None:
            said = f"image {image.raw!r} has no tag, so it resolves to :latest"
        else:
            said = f"image {image.raw!r} uses the mutable :latest tag"
        yield Violation(f"{item.container.label} {said}", item.pointer)
