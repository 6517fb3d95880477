"""Production workloads are scraped for metrics: a ServiceMonitor or PodMonitor selects them.

Without metrics there are no alerts on saturation, error rates or queue depth, and incidents are found
by users. A long-running workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Rollout) passes when
one of these in the scan selects its pods:

- a `monitoring.coreos.com` `PodMonitor` (or VictoriaMetrics `VMPodScrape`) whose `selector` matches the
  pod template labels and whose `namespaceSelector` (`any: true`, `matchNames`; default: its own
  namespace) includes the workload's namespace;
- a `ServiceMonitor` (or `VMServiceScrape`) selecting a Service, in such a namespace, whose selector
  matches the pod template labels;
- with `accept_scrape_annotations` (default on), a `prometheus.io/scrape: "true"` annotation on the pod
  template or on a Service selecting the pods (annotation-based scraping).

Non-production tiers expect core metrics too (warn in staging, info in qa and development). Helm hook
resources are skipped. Monitors kept in a separate monitoring repo are invisible to a scan of
the app repo: scan both together, or waive with an owner and expiry.

Passes (production)::

    kind: PodMonitor
    spec:
      selector: {matchLabels: {app: odoo}}
      podMetricsEndpoints: [{port: metrics}]

Fails (production)::

    kind: Deployment      # pods labelled app: odoo, and no monitor selects them
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from govscan.rules._lib.ha import is_helm_hook, labels_text, selecting_services
from govscan.rules._lib.workloads import LONG_RUNNING_KINDS, dig, label_selector_matches, pod_spec, template_labels
from govscan.scanner.context import Context
from govscan.scanner.model import NotEvaluated, Resource, RuleMeta, Severity, Violation, enforcement_table

POD_MONITORS = {("PodMonitor", "monitoring.coreos.com"), ("VMPodScrape", "operator.victoriametrics.com")}
SERVICE_MONITORS = {("ServiceMonitor", "monitoring.coreos.com"), ("VMServiceScrape", "operator.victoriametrics.com")}
SCRAPE = "prometheus.io/scrape"


@dataclass(frozen=True)
class Options:
    accept_scrape_annotations: bool = True


RULE = RuleMeta(
    id="observability.monitoring",
    domain="observability",
    title="Workload is not scraped by any ServiceMonitor or PodMonitor",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="info", sandbox="off"),
    remediation=(
        "Add a PodMonitor selecting the pod labels (or a ServiceMonitor selecting its Service) with the metrics "
        "port, in the workload's namespace or with namespaceSelector.matchNames naming it."
    ),
    kinds=tuple(sorted(LONG_RUNNING_KINDS)),
    controls=("observability: full metrics",),
    options=Options(),
    needs=("Service", *sorted(kind for kind, _ in POD_MONITORS | SERVICE_MONITORS)),
)


def watches_namespace(monitor: Resource, namespace: str | None) -> bool:
    selector = dig(monitor.body, ("spec", "namespaceSelector"))
    if isinstance(selector, dict):
        if selector.get("any") is True:
            return True
        names = selector.get("matchNames")
        if isinstance(names, list) and names:
            return namespace in names
    return bool(monitor.namespace == namespace)


def monitors(ctx: Context, kinds: set[tuple[str, str]]) -> list[Resource]:
    found: list[Resource] = []
    for kind in sorted({k for k, _ in kinds}):
        found.extend(m for m in ctx.of_kind(kind) if (m.kind, m.group) in kinds)
    return found


def _scrape_annotated(annotations: Any) -> bool:
    return isinstance(annotations, dict) and str(annotations.get(SCRAPE, "")).lower() == "true"


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation | NotEvaluated]:
    if is_helm_hook(resource):
        return
    pod = pod_spec(resource, ctx)
    if pod is None:
        yield NotEvaluated("the workload has no pod template")
        return
    labels = template_labels(resource, ctx)
    namespace = resource.namespace
    if labels:
        for monitor in monitors(ctx, POD_MONITORS):
            if watches_namespace(monitor, namespace) and label_selector_matches(
                dig(monitor.body, ("spec", "selector")), labels
            ):
                return
    services = selecting_services(resource, ctx)
    if services:
        service_monitors = monitors(ctx, SERVICE_MONITORS)
        for service in services:
            for monitor in service_monitors:
                if watches_namespace(monitor, namespace) and label_selector_matches(
                    dig(monitor.body, ("spec", "selector")), service.labels
                ):
                    return
    annotated = _scrape_annotated(pod.metadata.get("annotations")) or any(
        _scrape_annotated(s.annotations) for s in services
    )
    if options.accept_scrape_annotations and annotated:
        return
    shown = f"pods ({labels_text(labels)})" if labels else "pods (the template has no labels)"
    via = f" or a ServiceMonitor selecting Service {services[0].name}" if services else ""
    yield Violation(
        f"{resource.kind} {resource.name}: no PodMonitor selects its {shown}{via}; its metrics are not scraped",
        pod.pointer.removesuffix("/spec") + "/metadata" if pod.pointer != "/spec" else "/metadata",
    )
