"""Helpers for the encryption rules and the cloud secrets rules (Terraform plans and Pulumi previews).

Both shapes of a nested block are handled (`[{...}]` from Terraform, `{...}` from Pulumi), and so are
Pulumi's plural names for list blocks in its V2 resources (`rules`, `ebs_block_devices`,
`server_side_encryption_configurations`). Values are read with `cloud.get`, so a value known only
after apply still raises UnknownValue (not-evaluated), except where a function says otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from govscan.rules._lib.cloud import config_address, get, pointer
from govscan.rules._lib.secrets import NOT_SECRET_LAST, Detector, words
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, Tier

Path = tuple[str | int, ...]

_REFERENCE = re.compile(r"^(arn:aws[a-z-]*:|alias/|projects/[^/\s]+/locations/)")
"""Values that name a key, a role or a secret instead of holding one (ARNs, KMS aliases, GCP key names)."""

SECRET_WORDS = frozenset(  # words that make free text (a description) talk about a secret
    {"PASSWORD", "PASSWORDS", "PASSWD", "PASSPHRASE", "SECRET", "SECRETS", "TOKEN", "TOKENS", "APIKEY", "CREDENTIAL",
     "CREDENTIALS", "PRIVATEKEY"}
)  # fmt: skip
SECRET_KEY_QUALIFIERS = frozenset({"API", "PRIVATE", "ACCESS", "SECRET", "SIGNING", "ENCRYPTION", "MASTER", "AUTH"})
"""`<qualifier> key` in free text: an API key, a private key (a KMS key or a "key pair name" is not one)."""


def enabled(value: Any) -> bool | None:
    """True / False for a boolean or the strings "true" / "false" (launch templates use strings);
    None when the value is absent or empty."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def field(parent: Mapping[str, Any] | None, name: str) -> str:
    """`name`, or Pulumi's plural `names` when only that one is present."""
    if isinstance(parent, Mapping) and name not in parent and name + "s" in parent:
        return name + "s"
    return name


def blocks_at(resource: Resource, *path: str | int) -> list[tuple[Path, Mapping[str, Any]]]:
    """(path, object) of every object of the nested block at `path`, in either shape; [] when absent.
    The last step may name the block in Terraform's singular or Pulumi's plural form."""
    parent = get(resource, *path[:-1]) if len(path) > 1 else resource.body
    last = path[-1]
    full: Path = (*path[:-1], field(parent, last) if isinstance(last, str) else last)
    value = get(resource, *full)
    if isinstance(value, list):
        return [((*full, i), item) for i, item in enumerate(value) if isinstance(item, Mapping)]
    if isinstance(value, Mapping):
        return [(full, value)]
    return []


def block_at(resource: Resource, *path: str | int) -> tuple[Path, Mapping[str, Any]] | None:
    """The first object of the nested block at `path` (see `blocks_at`), or None."""
    found = blocks_at(resource, *path)
    return found[0] if found else None


def inline_blocks(resource: Resource, name: str) -> list[tuple[Path, Mapping[str, Any]]]:
    """Objects of a deprecated inline block that a separate resource now configures (S3 default
    encryption, Secrets Manager rotation rules).

    Since AWS provider 4 such blocks are optional *and computed*: a plan marks the whole block unknown
    when the configuration leaves it out (the provider fills it from whatever configures it after
    apply), while a block written in the configuration is known, with only its unknown leaves marked.
    So a wholly unknown block counts as absent here, and callers look for the separate resource
    first. Unknown leaves inside a known block still raise UnknownValue when read.
    """
    change = resource.change
    key = field(resource.body, name)
    if change is not None and change.is_unknown("/" + key):
        return []
    return blocks_at(resource, key)


def is_set(resource: Resource, *path: str | int) -> bool:
    """Whether a plain (not computed) attribute is configured: a non-empty known value, or a value
    unknown until apply (an expression on a resource not yet created, such as a new KMS key's ARN).
    Use only for attributes the provider never computes itself, where unknown can only mean set."""
    change = resource.change
    if change is not None and change.is_unknown(pointer(*path)):
        return True
    value: Any = resource.body
    for step in path:
        if isinstance(value, Mapping):
            value = value.get(step)
        elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
            value = value[step]
        else:
            return False
    return value not in (None, "", [], {})


def is_reference(value: str) -> bool:
    """An ARN, a KMS alias or a GCP resource name: it points at a secret or key, it is not one."""
    return bool(_REFERENCE.match(value.strip()))


def in_tiers(ctx: Context, resource: Resource, tiers: tuple[str, ...]) -> bool:
    """Whether the resource's tier is one of `tiers` (names or aliases: prod, stg, ...)."""
    tier = ctx.tier_of(resource)
    wanted = set()
    for name in tiers:
        try:
            wanted.add(Tier.parse(name))
        except ValueError:
            continue
    return tier in wanted


def attachments(ctx: Context, kind: str, *keys: str) -> Callable[[Resource], list[Resource]]:
    """A lookup of the `kind` resources that configure a resource, built once per scan: those whose
    configuration refers to it from the same file (Terraform reference, Pulumi dependency: two plans
    scanned together reuse addresses) or whose `keys` attribute holds its id, name or ARN (bucket
    names and ARNs are unique, so that holds across files)."""

    candidates = ctx.of_kind(kind)  # checks, on every call, that the rule declared `kind` in needs

    def build() -> dict[tuple[str, str], list[Resource]]:
        index: dict[tuple[str, str], list[Resource]] = {}
        for other in candidates:
            refs = other.change.references if other.change is not None else ()
            tokens = {(other.source.path, r) for r in refs}
            tokens |= {("", str(v)) for k in keys if (v := other.body.get(k)) not in (None, "")}
            for token in tokens:
                index.setdefault(token, []).append(other)
        return index

    index = ctx.cached(f"cloud_encryption.attachments:{kind}:{','.join(keys)}", build)

    def lookup(resource: Resource) -> list[Resource]:
        path = resource.source.path
        tokens = [(path, resource.uid), (path, config_address(resource))]
        tokens += [("", str(v)) for k in ("id", "bucket", "identifier", "name", "arn") if (v := resource.body.get(k))]
        found: dict[int, Resource] = {}
        for token in tokens:
            for other in index.get(token, ()):
                found.setdefault(id(other), other)
        return list(found.values())

    return lookup


def mentions_secret(text: str) -> bool:
    """Whether free text (a description) talks about a password, token, secret or private/API key, not
    about a setting of one ("password length", "token TTL", "secret name", "Secrets Manager")."""
    parts = [*words(text), ""]
    for i, part in enumerate(parts[:-1]):
        following = parts[i + 1]
        if following in NOT_SECRET_LAST or following == "MANAGER":
            continue
        if part in SECRET_WORDS or (part in SECRET_KEY_QUALIFIERS and following in ("KEY", "KEYS")):
            return True
    return False


def ssm_secret_reason(detector: Detector, resource: Resource) -> str | None:
    """Which of an aws_ssm_parameter's fields says it holds a secret ("name", "description"), or None."""
    name = get(resource, "name")
    if isinstance(name, str) and detector.sensitive_name(name):
        return "name"
    description = get(resource, "description")
    if isinstance(description, str) and mentions_secret(description):
        return "description"
    return None


def leaves(value: Any, path: Path = (), name: str = "") -> Iterator[tuple[Path, str, Any]]:
    """(path, attribute name, value) of every scalar under `value`; list items carry their list's name.

    Iterative, in document order: plans hold tens of thousands of values per rule run."""
    stack: list[tuple[Any, Path, str]] = [(value, path, name)]
    while stack:
        node, at, label = stack.pop()
        if isinstance(node, dict):
            stack.extend((item, (*at, str(key)), str(key)) for key, item in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((item, (*at, i), label) for i, item in reversed(list(enumerate(node))))
        else:
            yield at, label, node


def dotted(path: Path) -> str:
    """`("environment", 0, "variables", "DB_PASSWORD")` -> `environment.variables.DB_PASSWORD`."""
    return ".".join(str(p) for p in path if not isinstance(p, int))
