"""image-only: only image tags or digests change (and the version labels that move with them).

The lowest-risk class: the same images at another version, nothing else touched. Changing an
image's repository (`odoo` to `example/odoo`), adding a container or touching any other field is
not image-only. A change is image-only when every changed resource is.

Is image-only::

    image: odoo:17.0-20250101   ->   image: odoo:17.0-20250301

Is not (config-change)::

    image: odoo:17.0-20250101   ->   image: registry.example.com/odoo:17.0-20250301
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from govscan.rules._lib.release import image_bumps
from govscan.scanner.model import ClassifierMeta, ReleaseClass, ResourceChange, Signal

META = ClassifierMeta(ReleaseClass.IMAGE_ONLY, "Only image tags or digests change")


def classify(change: ResourceChange, ctx: Any) -> Iterator[Signal]:
    for bump in image_bumps(change, ctx) or ():
        yield Signal(f"{bump.container.label}: image {bump.before} -> {bump.after}", bump.pointer)
