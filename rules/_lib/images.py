"""Container image references parsed the way the container runtime reads them.

`parse_image("registry:5000/team/odoo:17.0@sha256:...")` splits a reference into registry, repository,
tag and digest, applying Docker's defaults: no registry means `docker.io`, a single-component name on
Docker Hub lives under `library/`, no tag and no digest means `:latest`. References the runtime would
reject, or that are still templates (`{{ .Values.image }}`, `${IMAGE}`), parse to None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from govscan.rules._lib.workloads import Container, containers
from govscan.scanner.model import NotEvaluated, Resource

DEFAULT_REGISTRY = "docker.io"
_DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$")
_REGISTRY = re.compile(r"^(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$")


@dataclass(frozen=True, slots=True)
class ImageRef:
    """One parsed image reference; `tag` and `digest` are None when absent."""

    raw: str
    registry: str
    repository: str
    tag: str | None
    digest: str | None
    explicit_registry: bool

    @property
    def pinned(self) -> bool:
        """A digest fixes the exact bytes; any tag alone can be moved."""
        return self.digest is not None

    @property
    def untagged(self) -> bool:
        return self.tag is None and self.digest is None

    @property
    def latest(self) -> bool:
        """Resolves to whatever `latest` points at: no tag and no digest, or `:latest` without a digest."""
        return self.digest is None and (self.tag is None or self.tag == "latest")

    @property
    def name(self) -> str:
        """registry/repository, fully qualified (docker.io/library/redis)."""
        return f"{self.registry}/{self.repository}"

    @property
    def short_repository(self) -> str:
        """The repository without Docker Hub's implicit `library/` (redis, bitnami/redis)."""
        if self.registry == DEFAULT_REGISTRY and self.repository.startswith("library/"):
            return self.repository[len("library/") :]
        return self.repository


def parse_image(text: object) -> ImageRef | None:
    """Parse an image reference; None for non-strings, templates and malformed references."""
    if not isinstance(text, str):
        return None
    raw = text.strip()
    if not raw or any(ch in raw for ch in " \t{}$<>()|\"'"):
        return None
    rest, digest = raw, None
    if "@" in rest:
        rest, digest = rest.split("@", 1)
        if not _DIGEST.match(digest):
            return None
    tag = None
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG.match(tag):
            return None
    parts = rest.split("/")
    first = parts[0]
    explicit = len(parts) > 1 and ("." in first or ":" in first or first == "localhost" or first.startswith("["))
    if explicit:
        if not _REGISTRY.match(first):
            return None
        registry, path = first.lower(), parts[1:]
    else:
        registry, path = DEFAULT_REGISTRY, parts
    if registry in _DOCKER_HUB_ALIASES:
        registry = DEFAULT_REGISTRY
    if not path or not all(_COMPONENT.match(p) for p in path):
        return None
    if registry == DEFAULT_REGISTRY and len(path) == 1:
        path = ["library", *path]
    return ImageRef(raw, registry, "/".join(path), tag, digest, explicit)


def registry_allowed(image: ImageRef, allowed: tuple[str, ...] | list[str]) -> bool:
    """True when an allow-list entry covers the image.

    Entries are registries (`ghcr.io`, `registry.example.com:5000`), registry/path prefixes
    (`ghcr.io/acme`, matched on whole path components) or globs (`*.dkr.ecr.*.amazonaws.com`,
    `eu.foo.io/*`). `docker.io` entries cover Docker Hub images written without a registry.
    """
    full = image.name
    for entry in allowed:
        pattern = str(entry).strip().lower().rstrip("/")
        if not pattern:
            continue
        if pattern in _DOCKER_HUB_ALIASES:
            pattern = DEFAULT_REGISTRY
        if any(ch in pattern for ch in "*?["):
            if fnmatchcase(image.registry, pattern) or fnmatchcase(full, pattern):
                return True
            continue
        if image.registry == pattern or full == pattern or full.startswith(pattern + "/"):
            return True
        # `docker.io/odoo` should cover the official image written as plain `odoo`
        if image.registry == DEFAULT_REGISTRY and f"{DEFAULT_REGISTRY}/{image.short_repository}".startswith(
            pattern + "/"
        ):
            return True
        if image.registry == DEFAULT_REGISTRY and f"{DEFAULT_REGISTRY}/{image.short_repository}" == pattern:
            return True
    return False


def image_matches(image: ImageRef, patterns: tuple[str, ...] | list[str]) -> bool:
    """True when a glob matches the reference as written, its full name, or its short repository."""
    candidates = (image.raw, image.name, image.short_repository, image.repository)
    for pattern in patterns:
        p = str(pattern).strip()
        if p and any(fnmatchcase(c, p) or fnmatchcase(c, p + ":*") or fnmatchcase(c, p + "@*") for c in candidates):
            return True
    return False


@dataclass(frozen=True, slots=True)
class ContainerImage:
    container: Container
    image: ImageRef
    pointer: str
    """JSON pointer of the container's `image` field."""


def container_images(resource: Resource, ctx: Any) -> tuple[list[ContainerImage], list[NotEvaluated]]:
    """Each container's parsed image, plus a NotEvaluated for every image that cannot be read."""
    found: list[ContainerImage] = []
    unreadable: list[NotEvaluated] = []
    for container in containers(resource, ctx):
        raw = container.body.get("image")
        image = parse_image(raw)
        if image is None:
            what = (
                "has no image" if raw in (None, "") else f"has image {str(raw)[:80]!r}, which is not a plain reference"
            )
            unreadable.append(NotEvaluated(f"{container.label} {what} (a template or a patch?)"))
            continue
        found.append(ContainerImage(container, image, f"{container.pointer}/image"))
    return found, unreadable
