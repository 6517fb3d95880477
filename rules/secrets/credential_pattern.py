"""No known credential format appears in any field of any resource.

Known formats are unambiguous: PEM private keys, AWS access key ids (`AKIA...`), GitHub tokens
(`ghp_...`, `github_pat_...`), Slack tokens (`xox?-...`), GCP service-account JSON `private_key`,
Google API keys, Stripe live keys, JSON Web Tokens, and URLs with an embedded password. This rule
reads every string of every resource (CRDs included: Traefik middlewares, Velero locations, Argo CD
Applications' Helm values) except where a more specific rule already looks, so one leak is one
finding: a Secret's `data`/`stringData` (secrets.committed-secret), a ConfigMap's `data`
(secrets.configmap-literal), container env (secrets.env-literal), container args/command and
annotations (secrets.args-literal). Findings never show the value.

Passes::

    kind: BackupStorageLocation
    spec:
      credential: {name: velero-s3, key: cloud}

Fails::

    kind: Application
    spec:
      source:
        repoURL: https://ci:ghp_0123456789abcdefghijklmnopqrstuvwxyzAB@github.com/acme/erp.git
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from govscan.rules._lib.secrets import Detector
from govscan.rules._lib.workloads import containers
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table, escape_pointer_token

RULE = RuleMeta(
    id="secrets.credential-pattern",
    domain="secrets",
    title="A known credential format appears in a resource",
    severity=Severity.CRITICAL,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="warn"),
    remediation="Remove the credential from the manifest, reference it from a Secret fed by a secret manager, "
    "and revoke and rotate it: it is in git history.",
    controls=("security: secret rotation",),
)

DETECTOR = Detector()
MAX_STRINGS = 20000


def _walk(node: Any, pointer: str, skip: set[str], budget: list[int]) -> Iterator[tuple[str, str]]:
    if pointer in skip or budget[0] <= 0:
        return
    if isinstance(node, str):
        budget[0] -= 1
        yield pointer, node
    elif isinstance(node, dict):
        for key, value in node.items():
            child = f"{pointer}/{escape_pointer_token(str(key))}"
            if key == "annotations" and pointer.endswith("metadata"):
                continue
            yield from _walk(value, child, skip, budget)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{pointer}/{i}", skip, budget)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    skip: set[str] = set()
    if resource.kind == "Secret":
        skip |= {"/data", "/stringData"}
    if resource.kind == "ConfigMap":
        skip |= {"/data", "/binaryData"}
    for container in containers(resource, ctx):
        skip |= {f"{container.pointer}/{f}" for f in ("env", "args", "command")}
    for pointer, text in _walk(resource.body, "", skip, [MAX_STRINGS]):
        kind = DETECTOR.credential_format(text) or DETECTOR.embedded_password(text)
        if kind:
            field = pointer.lstrip("/").replace("/", ".").replace("~1", "/").replace("~0", "~")
            yield Violation(f"{resource.kind} {resource.name}: {field} holds {kind} (***)", pointer)
