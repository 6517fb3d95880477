"""Helpers for availability rules: effective replicas (HPA-aware), image names, selectors, PVC access modes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from govscan.rules._lib.images import parse_image
from govscan.rules._lib.workloads import (
    dig,
    pod_spec,
    replicas,
    selecting,
    template_labels,
)
from govscan.scanner.context import Context
from govscan.scanner.model import Resource

HELM_HOOK = "helm.sh/hook"


def hpa_for(resource: Resource, ctx: Context) -> Resource | None:
    """The HorizontalPodAutoscaler in the same namespace whose scaleTargetRef names this workload."""

    def build() -> dict[tuple[str | None, Any, Any], Resource]:
        by_target: dict[tuple[str | None, Any, Any], Resource] = {}
        for hpa in ctx.of_kind("HorizontalPodAutoscaler"):
            target = dig(hpa.body, ("spec", "scaleTargetRef"))
            if isinstance(target, dict):
                key = (hpa.namespace, target.get("kind"), target.get("name"))
                if isinstance(key[1], str) and isinstance(key[2], str):
                    by_target.setdefault(key, hpa)  # the first one, as a scan in order would find
        return by_target

    return ctx.cached("ha.hpa-by-target", build).get((resource.namespace, resource.kind, resource.name))


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
    # an empty PDB selector matches every pod in policy/v1; a missing one matches none
    return selecting(ctx, "PodDisruptionBudget", resource.namespace, template_labels(resource, ctx), plain=False)


def selecting_services(resource: Resource, ctx: Context) -> list[Resource]:
    """Services in the workload's namespace whose spec.selector matches its pod template labels."""
    return selecting(ctx, "Service", resource.namespace, template_labels(resource, ctx), plain=True)


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
