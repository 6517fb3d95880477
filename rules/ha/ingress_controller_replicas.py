"""Ingress controllers (Traefik, ingress-nginx, HAProxy) run more than one replica in production.

Every request to Odoo enters through the ingress controller: one replica makes each node drain, chart
upgrade or crash a full outage of every site behind it. Detected by image (`traefik`,
`ingress-nginx/controller`, `nginx-ingress-controller`, `nginx/nginx-ingress`,
`haproxytech/kubernetes-ingress`, `haproxy-ingress`); admission-webhook and cert jobs are not
controllers. Deployments and Rollouts need at least `min_replicas` (production 2; an HPA's
`minReplicas` counts). A DaemonSet runs one per node and passes.

Passes (production)::

    kind: Deployment
    spec:
      replicas: 3
      template:
        spec:
          containers: [{name: traefik, image: traefik:v3.1}]

Fails (production)::

    kind: Deployment
    spec:
      replicas: 1
      template:
        spec:
          containers: [{name: traefik, image: traefik:v3.1}]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from govscan.rules._lib.ha import effective_replicas, image_repository, replicas_pointer
from govscan.rules._lib.workloads import containers
from govscan.scanner.context import Context
from govscan.scanner.model import TIER, NotEvaluated, Resource, RuleMeta, Severity, Violation, enforcement_table

CONTROLLER_REPOSITORIES = (
    "traefik",
    "library/traefik",
    "traefik/traefik",
    "ingress-nginx/controller",
    "ingress-nginx/controller-chroot",
    "kubernetes-ingress-controller/nginx-ingress-controller",
    "nginx-ingress-controller",
    "bitnami/nginx-ingress-controller",
    "nginx/nginx-ingress",
    "nginx/nginx-plus-ingress",
    "haproxytech/kubernetes-ingress",
    "jcmoraisjr/haproxy-ingress",
    "haproxy-ingress",
)


@dataclass(frozen=True)
class Options:
    min_replicas: Mapping[str, int] = field(
        default_factory=lambda: {"production": 2, "staging": 2, "qa": 1, "development": 1, "sandbox": 1}
    )


RULE = RuleMeta(
    id="ha.ingress-controller-replicas",
    domain="ha",
    title="Ingress controller runs a single replica",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="off", sandbox="off"),
    remediation=(
        "Run the ingress controller with at least 2 replicas (Traefik chart: deployment.replicas or autoscaling; "
        "ingress-nginx: controller.replicaCount), with a PodDisruptionBudget and spread over zones."
    ),
    kinds=("Deployment", "Rollout", "ReplicaSet", "StatefulSet"),
    controls=("availability: multi-instance application layer",),
    options=Options(),
    needs=(TIER, "HorizontalPodAutoscaler"),
)


def is_controller_image(image: object) -> bool:
    repository = image_repository(image)
    return any(repository == r or repository.endswith("/" + r) for r in CONTROLLER_REPOSITORIES)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation | NotEvaluated]:
    controller = next(
        (c for c in containers(resource, ctx, init=False) if is_controller_image(c.body.get("image"))), None
    )
    if controller is None:
        return
    count = effective_replicas(resource, ctx)
    if count is None:
        yield NotEvaluated("replicas is not a number")
        return
    tier = ctx.tier_of(resource)
    minimum = int(options.min_replicas.get(tier.value, 1))
    if count < minimum:
        yield Violation(
            f"ingress controller {resource.kind} {resource.name} ({controller.label}, image "
            f"{controller.body.get('image')}) runs {count} replica(s); {tier.value} needs at least {minimum}",
            replicas_pointer(resource),
        )
