"""Helpers for cloud rules: nested blocks in either shape, open CIDRs, port ranges.

`nested(resource, "settings", "ip_configuration", "ipv4_enabled")` walks Terraform's lists of one
object and Pulumi's objects alike, through `cloud.get` (so a value known only after apply raises
UnknownValue), and returns the value with the path it was found at (for the Violation's pointer).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from govscan.rules._lib.cloud import config_address, get, pointer
from govscan.scanner.context import Context
from govscan.scanner.model import Platform, Resource

Path = tuple[str | int, ...]


def unset_computed_block(resource: Resource, key: str) -> bool:
    """Whether a Terraform plan leaves an optional *and computed* inline block (`aws_security_group.ingress`,
    `aws_iam_role.inline_policy`, `aws_s3_bucket.replication_configuration`) wholly unknown.

    The AWS provider computes these blocks when the configuration leaves them out (separate
    resources such as `aws_security_group_rule`, `aws_iam_role_policy` and
    `aws_s3_bucket_replication_configuration` configure them, and are judged themselves), so the plan
    marks the whole block unknown; a block written in the configuration is known, with only its
    unknown leaves marked (and those still raise when read). Pulumi inputs are what the program
    passed, so an unknown there is a real unknown: this is False for Pulumi.
    """
    change = resource.change
    return resource.platform is Platform.TERRAFORM and change is not None and change.is_unknown("/" + key)


def nested(resource: Resource, *keys: str, start: Path = ()) -> tuple[Any, Path]:
    """The value under `keys`, stepping into the first object of each list on the way; (value, path)."""
    path: Path = start
    value: Any = get(resource, *path) if path else resource.body
    for key in keys:
        if isinstance(value, list):
            path = (*path, 0)
        path = (*path, key)
        value = get(resource, *path)
        if value is None:
            return None, path
    return value, path


def path_of(resource: Resource, *keys: str) -> Path:
    """The path of `keys` in the body, with `0` inserted where a Terraform block is a list of one object
    (`restore_to_point_in_time`, `source_db_instance_identifier` -> `/restore_to_point_in_time/0/...`).
    Structure only: no value is read, so nothing raises; read the value with `cloud.get(resource, *path)`."""
    path: Path = ()
    value: Any = resource.body
    for key in keys:
        if isinstance(value, list):
            path = (*path, 0)
            value = value[0] if value else None
        path = (*path, key)
        value = value.get(key) if isinstance(value, dict) else None
    return path


def items(resource: Resource, *path: str | int) -> list[Path]:
    """Paths of the objects of a repeated block (`ingress`, `authorized_networks`) in either shape."""
    value = get(resource, *path)
    if isinstance(value, list):
        return [(*path, i) for i, v in enumerate(value) if isinstance(v, dict)]
    return [path] if isinstance(value, dict) else []


def at(path: Path) -> str:
    return pointer(*path)


def is_open_cidr(value: Any) -> bool:
    """`0.0.0.0/0`, `::/0` (any prefix length 0): the whole internet."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    try:
        return ipaddress.ip_network(text, strict=False).prefixlen == 0
    except ValueError:
        return False


def port_range(from_port: Any, to_port: Any, protocol: Any) -> tuple[int, int] | None:
    """Ports a rule opens as (low, high), or None when it opens no TCP port (UDP, ICMP).

    Protocol `-1` / `all` opens every port whatever from/to say; a missing bound is the other one.
    """
    proto = str(protocol if protocol is not None else "tcp").strip().lower()
    if proto in ("-1", "all", "*"):
        return (0, 65535)
    if proto not in ("tcp", "6"):
        return None
    low, high = _int(from_port), _int(to_port)
    if low is None and high is None:
        return (0, 65535)
    low = high if low is None else low
    high = low if high is None else high
    assert low is not None and high is not None
    return (min(low, high), max(low, high))


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


class Attachments:
    """`cloud.attached` as an index: the resources of one kind (public access blocks, ACLs) by what they
    configure (a Terraform reference or Pulumi dependency, within the same plan or preview, or a `keys`
    attribute holding a name), built once per scan so that each lookup is a few dictionary probes."""

    def __init__(self, candidates: list[Resource], keys: tuple[str, ...]) -> None:
        self.by_reference: dict[tuple[str, str], list[Resource]] = {}
        self.by_name: dict[str, list[Resource]] = {}
        for other in candidates:
            for ref in other.change.references if other.change is not None else ():
                self.by_reference.setdefault((other.source.path, ref), []).append(other)
            for name in {str(v) for k in keys if (v := other.body.get(k))}:
                self.by_name.setdefault(name, []).append(other)

    @classmethod
    def of(cls, ctx: Context, kind: str, *keys: str) -> Attachments:
        return ctx.cached(f"cloud_network.attachments:{kind}:{','.join(keys)}", lambda: cls(ctx.of_kind(kind), keys))

    def to(self, resource: Resource) -> list[Resource]:
        """What configures `resource`: refers to its address or URN in the same file, or names its id,
        bucket, name or ARN."""
        path = resource.source.path
        found: dict[str, Resource] = {}
        for key in {resource.uid, config_address(resource)}:
            for other in self.by_reference.get((path, key), ()):
                found.setdefault(other.uid, other)
        for name in {str(v) for k in ("id", "bucket", "identifier", "name", "arn") if (v := resource.body.get(k))}:
            for other in self.by_name.get(name, ()):
                found.setdefault(other.uid, other)
        return list(found.values())
