"""Recognise production data sources in configuration, without ever echoing a value that may be secret.

`production_name(text, patterns)` matches whole tokens (`odoo-prod-db` has `prod`; `product-api`
does not). `data_references(key, value)` finds the hosts, Service DNS names and buckets a config
value points at, for keys that name a data source (DB_HOST, DATABASE_URL, REDIS_URL, S3_BUCKET,
odoo.conf's db_host, ...) or values with a data-store URL scheme. `namespace_is_production` asks
the scan's own tier map (a Namespace's `govscan.io/tier` label, config `tiers.namespaces`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

from govscan.scanner.model import Platform, Resource, Source, Tier

DEFAULT_PRODUCTION_PATTERNS = ("prod", "production", "prd")
MASKING_JOB_ANNOTATION = "govscan.io/masking-job"
MASKING_STEP_ANNOTATION = "govscan.io/masking-step"

_DATA_SCHEMES = frozenset(
    {
        "postgres", "postgresql", "pgsql", "mysql", "mariadb", "mongodb", "mongodb+srv", "redis", "rediss",
        "amqp", "amqps", "s3", "gs", "gcs", "az", "abfs", "abfss", "wasb", "wasbs", "sqlserver", "oracle",
        "elasticsearch", "kafka",
    }
)  # fmt: skip
_BUCKET_SCHEMES = frozenset({"s3", "gs", "gcs", "az", "abfs", "abfss", "wasb", "wasbs"})
_DATA_KEY_TOKENS = frozenset(
    {
        "db", "database", "databases", "pg", "pghost", "postgres", "postgresql", "psql", "mysql", "mariadb",
        "mongo", "mongodb", "redis", "bucket", "s3", "gcs", "dsn", "datasource", "jdbc", "elasticsearch",
        "es", "replica", "primary", "dbhost", "dbname", "backup", "dump", "filestore", "minio",
    }
)  # fmt: skip
_HOST_KEY_TOKENS = frozenset({"host", "hostname", "server", "address", "addr"})
_NOT_DATA_TOKENS = frozenset(
    {
        "smtp", "mail", "email", "imap", "pop", "sentry", "otel", "otlp", "jaeger", "zipkin", "proxy", "webhook",
        "callback", "redirect", "public", "site", "web", "oauth", "oidc", "sso", "auth", "issuer", "ldap",
        "metrics", "tracing", "log", "logging", "registry", "docs", "api",
    }
)  # fmt: skip
_TOKEN = re.compile(r"[^a-z0-9]+")
_HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d+)?$")
_SVC = re.compile(r"^[a-z0-9-]+\.([a-z0-9-]+)\.svc(\.cluster\.local)?\.?$")
_DSN_HOST = re.compile(r"(?:^|\s)host\s*=\s*([^\s]+)", re.IGNORECASE)
_CONF_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*(.+?)\s*$")


def tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.split(text.lower()) if t]


def production_name(text: object, patterns: tuple[str, ...] | list[str]) -> str | None:
    """The first whole token of `text` that matches a production pattern (globs allowed), or None."""
    if not isinstance(text, str):
        return None
    lowered = [str(p).lower() for p in patterns]
    for token in tokens(text):
        if any(fnmatchcase(token, p) for p in lowered):
            return token
    return None


def is_data_key(key: str) -> bool:
    words = set(tokens(key))
    if words & _NOT_DATA_TOKENS:
        return False
    return bool(words & _DATA_KEY_TOKENS) or (bool(words & _HOST_KEY_TOKENS) and len(words) <= 2)


@dataclass(frozen=True, slots=True)
class DataReference:
    kind: str  # "host" | "service" | "bucket"
    target: str
    """A host name, `service.namespace`, or bucket: never the full value (which may hold a password)."""
    namespace: str | None = None


def _host_reference(host: str) -> DataReference | None:
    host = host.strip().strip("[]").lower().rstrip(".")
    if not host or not _HOSTNAME.match(host):
        return None
    bare = host.split(":", 1)[0]
    if bare in ("true", "false", "none", "null", "yes", "no", "on", "off", "localhost") or bare.isdigit():
        return None
    svc = _SVC.match(bare)
    if svc:
        return DataReference("service", bare.split(".svc", 1)[0], svc.group(1))
    return DataReference("host", bare)


def data_references(key: str, value: object) -> Iterator[DataReference]:
    """Hosts, Service DNS names and buckets that a config value points at."""
    if not isinstance(value, str) or not value.strip() or len(value) > 4096:
        return
    text = value.strip()
    if "\n" in text:
        for line in text.splitlines():
            match = _CONF_LINE.match(line)
            if match and not line.lstrip().startswith(("#", ";")):
                yield from data_references(match.group(1), match.group(2).strip().strip("\"'"))
        return
    data_key = is_data_key(key)
    lowered = text.lower()
    if lowered.startswith("jdbc:"):
        lowered, text = lowered[5:], text[5:]
    if "://" in lowered:
        try:
            parts = urlsplit(text)
            scheme, host = parts.scheme.lower(), parts.hostname
        except ValueError:
            return
        if scheme not in _DATA_SCHEMES and not data_key:
            return
        if scheme in _BUCKET_SCHEMES and parts.netloc:
            yield DataReference("bucket", parts.netloc.rsplit("@", 1)[-1].lower())
            return
        if host:
            ref = _host_reference(host)
            if ref is not None:
                yield ref
        return
    dsn = _DSN_HOST.search(text)
    if dsn and ("dbname" in lowered or "port=" in lowered or data_key):
        ref = _host_reference(dsn.group(1))
        if ref is not None:
            yield ref
        return
    if " " in text:
        return
    ref = _host_reference(text)
    if ref is None:
        return
    if ref.kind == "service" or data_key:
        if "bucket" in tokens(key) and ref.kind == "host":
            yield DataReference("bucket", ref.target)
        else:
            yield ref


def namespace_is_production(namespace: str, ctx: Any, near: Resource) -> bool:
    """True when the scan's tier map says so explicitly (not merely by the default tier)."""
    obj = ctx.namespace_object(namespace)
    if obj is not None:
        return bool(ctx.tier_of(obj) is Tier.PRODUCTION) and _explicit(ctx, near, obj)
    probe = _namespace_probe(namespace, near)
    return bool(ctx.tier_of(probe) is Tier.PRODUCTION) and _explicit(ctx, near, probe)


def _namespace_probe(name: str, near: Resource) -> Resource:
    source = Source(near.source.origin, near.source.path, near.source.document, near.source.template)
    return Resource(
        uid=f"govscan-probe/Namespace/{name}",
        platform=Platform.K8S,
        kind="Namespace",
        api_version="v1",
        name=name,
        namespace=None,
        body={"metadata": {"name": name}},
        source=source,
    )


def _explicit(ctx: Any, near: Resource, namespace: Resource) -> bool:
    """A namespace nobody mapped gets the default tier; only an explicit mapping counts as evidence."""
    if namespace.labels.get("govscan.io/tier"):
        return True
    unmapped = _namespace_probe("govscan-unmapped-namespace-probe", near)
    return bool(ctx.tier_of(unmapped) is not Tier.PRODUCTION)


def annotations_of(*metadatas: Mapping[str, Any] | None) -> dict[str, str]:
    merged: dict[str, str] = {}
    for metadata in metadatas:
        annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
        if isinstance(annotations, Mapping):
            merged.update({str(k): str(v) for k, v in annotations.items()})
    return merged
