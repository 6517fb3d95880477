"""Helpers for availability rules: effective replicas (HPA-aware), image names, selectors, PVC access modes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from govscan.rules._lib.images import parse_image
from govscan.rules._lib.workloads import (
    dig,
    label_selector_matches,
    pod_spec,
    replicas,
    service_selector_matches,
    template_labels,
)
from govscan.scanner.context import Context
from govscan.scanner.model import Resource

HELM_HOOK = "helm.sh/hook"


def hpa_for(resource: Resource, ctx: Context) -> Resource | None:
    """The HorizontalPodAutoscaler in the same namespace whose scaleTargetRef names this workload."""
    for hpa in ctx.of_kind("HorizontalPodAutoscaler", namespace=resource.namespace):
        target = dig(hpa.body, ("spec", "scaleTargetRef"))
        if isinstance(target, dict) and target.get("kind") == resource.kind and target.get("name") == resource.name:
            return hpa
    return None


def effective_replicas(resource: Resource, ctx: Context) -> int | None:
    """The fewest replicas the workload runs: an HPA's minReplicas (default 1) wins over spec.replicas."""
    hpa = hpa_for(resource, ctx)
    if hpa is not None:
        value = dig(hpa.body, ("spec", "minReplicas"))
        return int(value) if isinstance(value, int) and not isinstance(value, bool) else 1
    count: int | None = replicas(resource)
    return count


def replicas_pointer(resource: Resource) -> str:
    spec = resource.body.get("spec")
    return "/spec/replicas" if isinstance(spec, dict) and "replicas" in spec else "/spec"


def image_repository(image: Any) -> str:
    """`registry.example.com:5000/bitnami/redis:7.2@sha256:...` -> `bitnami/redis`; "" when unparseable."""
    ref = parse_image(image)
    return ref.short_repository if ref is not None else ""


def image_basename(image: Any) -> str:
    """The last path segment of an image repository: `docker.io/bitnami/redis:7` -> `redis`."""
    return image_repository(image).rsplit("/", 1)[-1]


def is_helm_hook(resource: Resource) -> bool:
    return HELM_HOOK in resource.annotations


def selecting_pdbs(resource: Resource, ctx: Context) -> list[Resource]:
    """PodDisruptionBudgets in the workload's namespace whose selector matches its pod template labels."""
    labels = template_labels(resource, ctx)
    if not labels:
        return []
    found = []
    for pdb in ctx.of_kind("PodDisruptionBudget", namespace=resource.namespace):
        selector = dig(pdb.body, ("spec", "selector"))
        # an empty PDB selector matches every pod in policy/v1; a missing one matches none
        if label_selector_matches(selector, labels):
            found.append(pdb)
    return found


def selecting_services(resource: Resource, ctx: Context) -> list[Resource]:
    """Services in the workload's namespace whose spec.selector matches its pod template labels."""
    labels = template_labels(resource, ctx)
    if not labels:
        return []
    found = []
    for service in ctx.of_kind("Service", namespace=resource.namespace):
        selector = dig(service.body, ("spec", "selector"))
        if service_selector_matches(selector, labels):
            found.append(service)
    return found


def pvc_claims(resource: Resource, ctx: Context) -> Iterator[tuple[int, str]]:
    """(volume index, claimName) of each persistentVolumeClaim volume in the pod spec."""
    pod = pod_spec(resource, ctx)
    volumes = pod.spec.get("volumes") if pod else None
    if not isinstance(volumes, list):
        return
    for i, volume in enumerate(volumes):
        claim = dig(volume, ("persistentVolumeClaim", "claimName"))
        if isinstance(claim, str) and claim:
            yield i, claim


def access_modes(pvc: Resource) -> list[str]:
    modes = dig(pvc.body, ("spec", "accessModes"))
    return [m for m in modes if isinstance(m, str)] if isinstance(modes, list) else []


def labels_text(labels: Mapping[str, Any], limit: int = 3) -> str:
    items = [f"{k}={v}" for k, v in sorted(labels.items(), key=lambda kv: str(kv[0]))][:limit]
    return ", ".join(items) + (", ..." if len(labels) > limit else "")
