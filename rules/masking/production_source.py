"""Non-production workloads and config do not read production data sources.

A staging or QA Odoo pointed at the production database (or its read replica, its filestore
bucket, its Redis, its secrets) exposes real customer data to everyone with non-production access
and, worse, can write to it: one test run of a mass-mailing or a migration against production.
This rule looks, in non-production, at:

- container `env` values and ConfigMap data (including odoo.conf-style files) under data-source
  keys (DB_HOST, HOST, DATABASE_URL, REDIS_URL, S3_BUCKET, db_host, ...) or with data-store URLs
  (postgresql://, redis://, s3://): hosts, Service DNS names (`svc.ns.svc.cluster.local`) and buckets;
- `envFrom`, `secretKeyRef`, `configMapKeyRef` and secret volumes by name;
- External Secrets (`ExternalSecret` remote keys and store names) and CloudNativePG `externalClusters`.

A reference is production when a whole token matches `production_patterns` (prod, production, prd)
or when it names a Service in a namespace the scan's own tier map explicitly puts in production.
Sanctioned masking jobs are exempt: annotation `govscan.io/masking-job: "true"` and an image
listed in `masking_images`. Values are never echoed: messages name the key and the host only.

Enforcement: off in production (production reading production is the point). Staging warns: it is
often the sanctioned pre-release mirror with production-grade access, so a read replica there is a
decision to review, not to block. QA, development and sandbox block: many people and test
automation have access there, so production data must arrive only through a masking job.

Passes (qa)::

    env:
      - {name: HOST, value: odoo-db-rw.erp-qa.svc.cluster.local}

Fails (qa)::

    env:
      - {name: HOST, value: odoo-db-ro.erp-prod.svc.cluster.local}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from govscan.rules._lib.images import image_matches, parse_image
from govscan.rules._lib.masking import (
    DEFAULT_PRODUCTION_PATTERNS,
    MASKING_JOB_ANNOTATION,
    DataReference,
    annotations_of,
    data_references,
    namespace_is_production,
    production_name,
)
from govscan.rules._lib.workloads import WORKLOADS, containers, dig, is_workload, pod_spec
from govscan.scanner.context import Context
from govscan.scanner.model import TIER, Resource, RuleMeta, Severity, Tier, Violation, enforcement_table, pointer_join


@dataclass(frozen=True)
class Options:
    production_patterns: tuple[str, ...] = DEFAULT_PRODUCTION_PATTERNS
    masking_images: tuple[str, ...] = ()


RULE = RuleMeta(
    id="data-masking.production-source",
    domain="data-masking",
    title="Non-production resource reads a production data source",
    severity=Severity.CRITICAL,
    enforcement=enforcement_table(production="off", staging="warn", qa="block", development="block", sandbox="block"),
    remediation="Point non-production at its own database, bucket and secrets; bring production data over only "
    'through a masking job (govscan.io/masking-job: "true" with an approved masking image).',
    kinds=(WORKLOADS, "ConfigMap", "ExternalSecret", "Cluster"),
    controls=("security: audited access", "data: no unmasked production data outside production"),
    options=Options(),
    needs=(TIER, "Namespace"),
)


def _why(ref: DataReference, ctx: Any, resource: Resource, patterns: tuple[str, ...]) -> str | None:
    if ref.kind == "service" and ref.namespace:
        if ref.namespace != resource.namespace and namespace_is_production(ref.namespace, ctx, resource):
            return f"Service {ref.target} in production namespace {ref.namespace}"
        token = production_name(ref.target, patterns)
        return f"Service {ref.target} (production by name: {token!r})" if token else None
    token = production_name(ref.target, patterns)
    return f"{ref.kind} {ref.target} (production by name: {token!r})" if token else None


def _value_findings(
    key: str, value: Any, pointer: str, where: str, ctx: Any, resource: Resource, patterns: tuple[str, ...]
) -> Iterator[Violation]:
    for ref in data_references(key, value):
        why = _why(ref, ctx, resource, patterns)
        if why:
            yield Violation(f"{where} {key} points at {why}", pointer)
            return


def _masking_job(resource: Resource, ctx: Any, options: Options) -> bool:
    pod = pod_spec(resource, ctx)
    annotations = annotations_of(resource.body.get("metadata"), pod.metadata if pod else None)
    if annotations.get(MASKING_JOB_ANNOTATION, "").lower() != "true" or not options.masking_images:
        return False
    for container in containers(resource, ctx):
        image = parse_image(container.body.get("image"))
        if image is not None and image_matches(image, options.masking_images):
            return True
    return False


def _workload(resource: Resource, ctx: Any, options: Options, patterns: tuple[str, ...]) -> Iterator[Violation]:
    if _masking_job(resource, ctx, options):
        return
    for container in containers(resource, ctx):
        env = container.body.get("env")
        for i, item in enumerate(env if isinstance(env, list) else ()):
            if not isinstance(item, Mapping):
                continue
            name, base = str(item.get("name") or f"#{i}"), f"{container.pointer}/env/{i}"
            if "value" in item:
                yield from _value_findings(
                    name, item.get("value"), f"{base}/value", f"{container.label} env", ctx, resource, patterns
                )
            for ref_key, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                ref_name = dig(item, ("valueFrom", ref_key, "name"))
                token = production_name(ref_name, patterns)
                if token:
                    yield Violation(
                        f"{container.label} env {name} reads {kind} {ref_name} (production by name: {token!r})",
                        f"{base}/valueFrom/{ref_key}/name",
                    )
        env_from = container.body.get("envFrom")
        for i, item in enumerate(env_from if isinstance(env_from, list) else ()):
            for ref_key, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                ref_name = dig(item, (ref_key, "name"))
                token = production_name(ref_name, patterns)
                if token:
                    yield Violation(
                        f"{container.label} envFrom reads {kind} {ref_name} (production by name: {token!r})",
                        f"{container.pointer}/envFrom/{i}/{ref_key}/name",
                    )
    pod = pod_spec(resource, ctx)
    volumes = pod.spec.get("volumes") if pod else None
    for i, volume in enumerate(volumes if isinstance(volumes, list) else ()):
        if not isinstance(volume, Mapping) or pod is None:
            continue
        candidates = [(dig(volume, ("secret", "secretName")), "secret/secretName")]
        sources = dig(volume, ("projected", "sources"))
        for j, source in enumerate(sources if isinstance(sources, list) else ()):
            candidates.append((dig(source, ("secret", "name")), f"projected/sources/{j}/secret/name"))
        for ref_name, path in candidates:
            token = production_name(ref_name, patterns)
            if token:
                yield Violation(
                    f"volume {volume.get('name')} mounts Secret {ref_name} (production by name: {token!r})",
                    f"{pod.pointer}/volumes/{i}/{path}",
                )


def _config_map(resource: Resource, ctx: Any, patterns: tuple[str, ...]) -> Iterator[Violation]:
    data = resource.body.get("data")
    for key, value in data.items() if isinstance(data, Mapping) else ():
        yield from _value_findings(
            str(key), value, pointer_join("data", str(key)), f"ConfigMap {resource.name} key", ctx, resource, patterns
        )


def _external_secret(resource: Resource, patterns: tuple[str, ...]) -> Iterator[Violation]:
    if not resource.group.startswith("external-secrets.io"):
        return
    store = dig(resource.body, ("spec", "secretStoreRef", "name"))
    token = production_name(store, patterns)
    if token:
        yield Violation(
            f"ExternalSecret {resource.name} reads from secret store {store} (production by name: {token!r})",
            "/spec/secretStoreRef/name",
        )
        return
    for section, paths in (("data", (("remoteRef", "key"),)), ("dataFrom", (("extract", "key"), ("find", "path")))):
        items = dig(resource.body, ("spec", section))
        for i, item in enumerate(items if isinstance(items, list) else ()):
            for path in paths:
                key = dig(item, path)
                token = production_name(key, patterns)
                if token:
                    yield Violation(
                        f"ExternalSecret {resource.name} reads remote key {key} (production by name: {token!r})",
                        pointer_join("spec", section, i, *path),
                    )


def _cnpg_cluster(resource: Resource, ctx: Any, patterns: tuple[str, ...]) -> Iterator[Violation]:
    if not resource.group.startswith("postgresql.cnpg.io"):
        return
    clusters = dig(resource.body, ("spec", "externalClusters"))
    for i, cluster in enumerate(clusters if isinstance(clusters, list) else ()):
        host = dig(cluster, ("connectionParameters", "host"))
        base = f"/spec/externalClusters/{i}"
        yield from _value_findings(
            "host", host, f"{base}/connectionParameters/host", f"externalClusters[{i}]", ctx, resource, patterns
        )
        dest = dig(cluster, ("barmanObjectStore", "destinationPath"))
        yield from _value_findings(
            "backup_destination",
            dest,
            f"{base}/barmanObjectStore/destinationPath",
            f"externalClusters[{i}]",
            ctx,
            resource,
            patterns,
        )


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if ctx.tier_of(resource) is Tier.PRODUCTION:
        return  # production reading production is fine
    patterns = tuple(options.production_patterns)
    if resource.kind == "ConfigMap":
        yield from _config_map(resource, ctx, patterns)
    elif resource.kind == "ExternalSecret":
        yield from _external_secret(resource, patterns)
    elif resource.kind == "Cluster":
        yield from _cnpg_cluster(resource, ctx, patterns)
    elif is_workload(resource, ctx):
        yield from _workload(resource, ctx, options, patterns)
