"""Container images come only from the registries your organisation allows.

Images from arbitrary registries bypass the scanning, signing and retention your own registry (or
its pull-through cache) applies. List the allowed registries in `.govscan.yaml`; entries are
registries (`ghcr.io`), registry/path prefixes (`registry.example.com/erp`) or globs
(`*.dkr.ecr.eu-west-1.amazonaws.com`). Images written without a registry come from `docker.io`.
Until `allowed_registries` is set the rule reports "not evaluated" (never a pass)::

    rules:
      image-provenance.registry-allowlist:
        options:
          allowed_registries: [registry.example.com, ghcr.io/cloudnative-pg]

Passes (allowed_registries: [registry.example.com])::

    image: registry.example.com/erp/odoo:17.0

Fails (allowed_registries: [registry.example.com])::

    image: odoo:17.0     # docker.io
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.images import container_images, registry_allowed
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import NotEvaluated, Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    allowed_registries: tuple[str, ...] = ()


RULE = RuleMeta(
    id="image-provenance.registry-allowlist",
    domain="image-provenance",
    title="Image comes from a registry outside the allow-list",
    severity=Severity.HIGH,
    # security: image controls in every tier, with less approval overhead outside production
    enforcement=enforcement_table(production="block", staging="warn", qa="warn", development="warn", sandbox="info"),
    remediation="Mirror the image into an allowed registry (or add its registry to allowed_registries).",
    kinds=(WORKLOADS,),
    controls=("security: image controls",),
    options=Options(),
)

HOW_TO = (
    "no allowed_registries configured: set rules.image-provenance.registry-allowlist.options."
    "allowed_registries in .govscan.yaml (e.g. [registry.example.com, ghcr.io/cloudnative-pg])"
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation | NotEvaluated]:
    allowed = tuple(options.allowed_registries)
    if not allowed:
        yield NotEvaluated(HOW_TO)
        return
    images, unreadable = container_images(resource, ctx)
    yield from unreadable
    for item in images:
        if registry_allowed(item.image, allowed):
            continue
        shown = ", ".join(allowed[:5]) + (", ..." if len(allowed) > 5 else "")
        yield Violation(
            f"{item.container.label} image {item.image.raw!r} comes from {item.image.registry}, "
            f"which is not in allowed_registries ({shown})",
            item.pointer,
        )
