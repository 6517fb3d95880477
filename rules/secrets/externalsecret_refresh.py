"""ExternalSecrets refresh on a schedule, so rotated credentials reach the cluster.

Rotation in the secret manager only helps if the cluster picks it up. An ExternalSecret (or a
ClusterExternalSecret's `externalSecretSpec`) must set `refreshInterval` explicitly (the operator's
implicit default is easy to miss in review), not `0` (which syncs once and never again), no longer
than option `max_interval` (default 24h), and not use `refreshPolicy: CreatedOnce` or `OnChange`.

Passes::

    kind: ExternalSecret
    spec:
      refreshInterval: 1h

Fails::

    kind: ExternalSecret
    spec:
      refreshInterval: "0"
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    max_interval: str = "24h"
    require_explicit: bool = True


RULE = RuleMeta(
    id="secrets.externalsecret-refresh",
    domain="secrets",
    title="ExternalSecret never refreshes (or too rarely) for rotation",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="off", sandbox="off"),
    remediation="Set spec.refreshInterval to a duration such as 1h (at most the rotation window, 24h by "
    "default) and drop refreshPolicy CreatedOnce/OnChange.",
    kinds=("ExternalSecret", "ClusterExternalSecret"),
    controls=("security: secret rotation",),
    options=Options(),
)

_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def duration_seconds(value: object) -> float | None:
    """A Go duration (`1h30m`, `0`, `720h`) in seconds, or None when unparsable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text in ("0", ""):
        return 0.0 if text == "0" else None
    parts = _PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _SECONDS[u] for n, u in parts)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if resource.group not in ("external-secrets.io", ""):
        return
    base = "/spec/externalSecretSpec" if resource.kind == "ClusterExternalSecret" else "/spec"
    spec = resource.body.get("spec")
    if isinstance(spec, dict) and resource.kind == "ClusterExternalSecret":
        spec = spec.get("externalSecretSpec")
    if not isinstance(spec, dict):
        return
    name = f"{resource.kind} {resource.name}"
    policy = spec.get("refreshPolicy")
    if policy in ("CreatedOnce", "OnChange"):
        yield Violation(
            f"{name}: refreshPolicy {policy} never picks up rotated values from the store",
            f"{base}/refreshPolicy",
        )
        return
    if "refreshInterval" not in spec:
        if options.require_explicit:
            yield Violation(f"{name}: refreshInterval is unset; set it explicitly so rotation is reviewable", base)
        return
    seconds = duration_seconds(spec.get("refreshInterval"))
    limit = duration_seconds(options.max_interval)
    if seconds is None:
        yield Violation(f"{name}: refreshInterval is not a duration such as 1h", f"{base}/refreshInterval")
    elif seconds == 0:
        yield Violation(
            f"{name}: refreshInterval is 0, so the secret syncs once and rotation never reaches the cluster",
            f"{base}/refreshInterval",
        )
    elif limit is not None and seconds > limit:
        yield Violation(
            f"{name}: refreshInterval {spec.get('refreshInterval')} is longer than the {options.max_interval} "
            "rotation window",
            f"{base}/refreshInterval",
        )
