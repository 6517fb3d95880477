"""Helpers for cloud backup rules: tier retention, nested values in both plan shapes, backup buckets.

Terraform gives nested blocks as lists of one object (`versioning: [{enabled: true}]`), Pulumi the
object itself; Pulumi also pluralises repeated blocks (BucketV2's `versionings`, `lifecycleRules`
with `expirations`, `objectLockConfiguration.rules[].defaultRetentions`). `find` steps through both
shapes, reading `<key>s` where `<key>` is absent, and reads every step with `cloud.get`, so a value
known only after apply raises UnknownValue (not-evaluated) instead of passing.

Which buckets hold backups: a bucket whose name or prefix, Terraform address (module and resource
names) or Pulumi name, or one of the "purpose" tags (Name, Purpose, Role, Usage) matches a pattern
such as `*backup*`, `*velero*`, `*snapshot*` or `*archive*` (case-insensitive). Tags such as
`Backup = "daily"` that ask for a resource to *be* backed up are deliberately not read: they mark the
data, not the copies. A bucket whose name is known only after apply and has no other clue is not
treated as a backup bucket.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from govscan.rules._lib.cloud import action, config_address, get, pointer
from govscan.rules._lib.cloud import integer as integer  # shared by the backup rules
from govscan.scanner.context import Context
from govscan.scanner.model import Action, Platform, Resource, Tier

Path = tuple[str | int, ...]

MIN_DAYS = {"production": 30, "staging": 7, "qa": 1, "development": 1, "sandbox": 0}
"""Default minimum retention in days per tier (0: no minimum)."""

RDS_FAMILY = ("aws_db_instance", "aws_rds_cluster", "aws_docdb_cluster", "aws_neptune_cluster")
"""Types that share `backup_retention_period`, `deletion_protection`, `skip_final_snapshot`."""

BUCKETS = ("aws_s3_bucket", "google_storage_bucket")

_WORDS = re.compile(r"[a-z0-9]+")


def default_min_days() -> dict[str, int]:
    return dict(MIN_DAYS)


def min_days(table: Mapping[str, int], tier: Tier) -> int:
    try:
        return int(table.get(tier.value, 0))
    except (TypeError, ValueError):
        return 0


def live(resource: Resource) -> bool:
    """Whether the plan keeps the resource (a deleted one is release.destructive-change's business)."""
    return action(resource) is not Action.DELETE


def find(resource: Resource, *keys: str | int) -> tuple[Any, Path]:
    """The value at `keys` and its path, stepping into Terraform's list-of-one blocks (index 0) where a
    name follows a list, and reading Pulumi's plural `<key>s` where `<key>` is absent. When a step is
    absent: (None, path of the nearest object that exists)."""
    path: list[str | int] = []
    found: Path = ()
    current: Any = resource.body
    for key in keys:
        if isinstance(current, list) and isinstance(key, str):
            if not current:
                return None, found
            path.append(0)
            found = tuple(path)
            current = current[0]
        if isinstance(key, str) and isinstance(current, dict) and current.get(key) is None and f"{key}s" in current:
            key = f"{key}s"
        path.append(key)
        current = get(resource, *path)
        if current is None:
            return None, found
        found = tuple(path)
    return current, found


def first(resource: Resource, *spellings: str) -> tuple[Any, Path]:
    """The first top-level attribute present among `spellings` (Terraform `rule`, Pulumi `rules`)."""
    for key in spellings:
        value, path = find(resource, key)
        if value is not None:
            return value, path
    return None, ()


def each(resource: Resource, *spellings: str, under: Path = ()) -> list[Path]:
    """Paths of every object of a repeated block (`rule`, `lifecycle_rule`), whichever spelling and
    shape it came in; `under` is the path of the object holding it."""
    for key in spellings:
        value, path = find(resource, *under, key)
        if isinstance(value, dict):
            return [path]
        if isinstance(value, list):
            return [(*path, i) for i, item in enumerate(value) if isinstance(item, dict)]
    return []


def is_set(resource: Resource, key: str) -> bool:
    """Whether a top-level attribute is configured: it has a value, or one known only after apply
    (an expression such as `"erp-prod-final-${timestamp()}"` is set, whatever it evaluates to)."""
    change = resource.change
    if change is not None and change.is_unknown(pointer(key)):
        return True
    value = resource.body.get(key)
    return value not in (None, "", [], {})


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "enabled"))


def where(path: Path) -> str:
    return pointer(*path) if path else ""


# --- buckets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupBuckets:
    """Options shared by the bucket rules: which buckets hold backups."""

    backup_patterns: tuple[str, ...] = ("*backup*", "*velero*", "*snapshot*", "*archive*")
    purpose_tags: tuple[str, ...] = ("Name", "Purpose", "Role", "Usage")


def bucket_name(resource: Resource) -> str:
    """The bucket's name for messages: `bucket` (AWS), `name` (Google), else the resource name."""
    for key in ("bucket", "name", "bucket_prefix"):
        value = resource.body.get(key)
        if isinstance(value, str) and value:
            return value
    return resource.name


def bucket_clues(resource: Resource, purpose_tags: Iterable[str]) -> list[str]:
    """What a bucket's role can be read from: its names, its address or Pulumi name, purpose tags."""
    clues = [resource.body.get(k) for k in ("bucket", "bucket_prefix", "name")]
    clues.append(resource.uid if resource.platform is Platform.TERRAFORM else resource.name)
    lowered = {k.lower(): v for k, v in resource.labels.items()}
    clues.extend(lowered.get(t.lower()) for t in purpose_tags)
    return [c.lower() for c in clues if isinstance(c, str) and c]


def is_backup_bucket(resource: Resource, options: BackupBuckets) -> bool:
    patterns = [p.lower() for p in options.backup_patterns]
    return any(fnmatchcase(clue, p) for clue in bucket_clues(resource, options.purpose_tags) for p in patterns)


def has_word(resource: Resource, words: Sequence[str], purpose_tags: Iterable[str]) -> bool:
    """Whether a clue of the bucket holds one of `words` as a whole word (`logs` in `erp-access-logs`)."""
    wanted = {w.lower() for w in words}
    return any(w in wanted for clue in bucket_clues(resource, purpose_tags) for w in _WORDS.findall(clue))


def configured_by(resource: Resource, ctx: Context, kind: str) -> list[Resource]:
    """The `kind` resources (`aws_s3_bucket_versioning`, ...) the plan keeps that configure `resource`:
    they refer to it from the same file (Terraform reference, Pulumi dependency: two plans scanned
    together reuse addresses) or their `bucket` holds its name or id. Looked up in an index built
    once per scan, not by scanning every candidate for every bucket."""
    candidates = ctx.of_kind(kind)  # checks the rule declared `kind` in needs, every time
    index = ctx.cached(f"cloud_backup.configured_by.{kind}", lambda: _index(candidates))
    path = resource.source.path
    keys = [(path, resource.uid), (path, config_address(resource))]
    keys += [("", v) for k in ("id", "bucket", "name", "arn") if (v := resource.body.get(k)) and isinstance(v, str)]
    found: dict[int, Resource] = {}
    for key in keys:
        for other in index.get(key, ()):
            found.setdefault(id(other), other)
    return list(found.values())


def _index(candidates: list[Resource]) -> dict[tuple[str, str], list[Resource]]:
    """(file, referenced address or URN) and ("", bucket name) -> the configuration resources."""
    index: dict[tuple[str, str], list[Resource]] = {}
    for other in candidates:
        if not live(other):
            continue
        keys = {(other.source.path, ref) for ref in other.change.references} if other.change is not None else set()
        bucket = other.body.get("bucket")
        if isinstance(bucket, str) and bucket:
            keys.add(("", bucket))
        for key in keys:
            index.setdefault(key, []).append(other)
    return index


def display_name(resource: Resource) -> str:
    """The name the cloud knows the resource by (`erp-prod`), else its Terraform or Pulumi name."""
    for key in ("identifier", "cluster_identifier", "name", "bucket"):
        value = resource.body.get(key)
        if isinstance(value, str) and value:
            return value
    return resource.name
